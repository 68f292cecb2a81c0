//! The named groups of one match, kept in a single string.
//!
//! Every milestone line of a correlated sequence captures its key
//! (`run_id`), and there are millions of them in a large log. Kept as a
//! vector of name and value strings, each capture cost three allocations
//! (and three frees when the match was dropped, as most are). One string,
//! `name=value` pairs separated by newlines, costs one at most: none for
//! a match without groups, nor for pairs short enough to be kept inline
//! (`run_id=7f3a9c21`).

use compact_str::CompactString;
use serde::de::{SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Named groups and their captured text, in pattern order.
///
/// Group names never hold `=` or a newline (the regex syntax allows neither
/// in a name), and a value is captured within one line, so neither
/// separator is ambiguous; a value given with a newline has it replaced by
/// a space.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Captures {
    pairs: CompactString,
}

impl Captures {
    /// Adds group `name` with its text `value`.
    pub(crate) fn push(&mut self, name: &str, value: &str) {
        debug_assert!(!name.contains(['=', '\n']), "a group name: {name:?}");
        if !self.pairs.is_empty() {
            self.pairs.push('\n');
        }
        self.pairs.push_str(name);
        self.pairs.push('=');
        if value.contains('\n') {
            self.pairs.push_str(&value.replace('\n', " "));
        } else {
            self.pairs.push_str(value);
        }
    }

    /// The groups in pattern order, as (name, value).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs
            .split('\n')
            .filter(|pair| !pair.is_empty())
            .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
    }

    /// The text group `name` captured, if it took part.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

impl<'a> FromIterator<(&'a str, &'a str)> for Captures {
    fn from_iter<I: IntoIterator<Item = (&'a str, &'a str)>>(pairs: I) -> Captures {
        let mut captures = Captures::default();
        for (name, value) in pairs {
            captures.push(name, value);
        }
        captures
    }
}

/// Written as a list of `[name, value]` pairs, as summaries always were.
impl Serialize for Captures {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        for pair in self.iter() {
            seq.serialize_element(&pair)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Captures {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Captures, D::Error> {
        struct Pairs;
        impl<'de> Visitor<'de> for Pairs {
            type Value = Captures;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of [name, value] pairs")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Captures, A::Error> {
                let mut captures = Captures::default();
                while let Some((name, value)) = seq.next_element::<(String, String)>()? {
                    if name.is_empty() || name.contains(['=', '\n']) {
                        return Err(serde::de::Error::custom(format!(
                            "not a group name: {name:?}"
                        )));
                    }
                    captures.push(&name, &value);
                }
                Ok(captures)
            }
        }
        deserializer.deserialize_seq(Pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_come_back_in_order_and_by_name() {
        let captures: Captures = [("run_id", "7f3a"), ("table", "users"), ("empty", "")]
            .into_iter()
            .collect();
        assert_eq!(
            captures.iter().collect::<Vec<_>>(),
            [("run_id", "7f3a"), ("table", "users"), ("empty", "")]
        );
        assert_eq!(captures.get("table"), Some("users"));
        assert_eq!(captures.get("empty"), Some(""));
        assert_eq!(captures.get("missing"), None);
        assert_eq!(Captures::default().iter().count(), 0);
    }

    #[test]
    fn values_may_hold_the_separators_of_pairs() {
        let captures: Captures = [("query", "a=b=c"), ("next", "x\ny")].into_iter().collect();
        assert_eq!(captures.get("query"), Some("a=b=c"));
        assert_eq!(captures.get("next"), Some("x y"));
    }

    #[test]
    fn serialized_as_pairs_and_read_back() {
        let captures: Captures = [("run_id", "7f3a"), ("sql", "x = 1")].into_iter().collect();
        let json = serde_json::to_string(&captures).expect("serializes");
        assert_eq!(json, r#"[["run_id","7f3a"],["sql","x = 1"]]"#);
        let back: Captures = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back, captures);
        assert!(serde_json::from_str::<Captures>(r#"[["a=b","1"]]"#).is_err());
    }
}
