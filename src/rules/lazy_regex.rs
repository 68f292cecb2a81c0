//! A pattern's regex, built the first time a line needs it.
//!
//! Building every regex of the shipped pack (about 1,500) was three
//! quarters of start-up: 0.25 s of CPU on every run, even for a ten-line
//! log. A scan confirms only the patterns whose literals occur in the
//! input, usually a few dozen, so the rest are never built.
//!
//! Nothing is lost by waiting. Syntax is checked when the rule loads
//! (parsing is cheap); the build can then fail only on the size limit, and
//! a pattern that could reach it (counted repetitions, or many large
//! Unicode classes) is built at load time, where its error is reported as
//! before. The embedded pack is the exception: a test builds every one of
//! its patterns within the limit, so loading it builds none (those few
//! patterns were a quarter of start-up).

use std::sync::OnceLock;

use regex::{Regex, RegexBuilder};
use regex_syntax::hir::{Class, Hir, HirKind};

/// A compiled pattern's limit on the size of its automaton.
pub(crate) const REGEX_SIZE_LIMIT: usize = 4 << 20;

/// A regex whose source parsed, compiled on first use.
#[derive(Debug, Clone)]
pub struct LazyRegex {
    source: String,
    /// The pattern's named captures, in order, from its syntax tree.
    names: Vec<String>,
    built: OnceLock<Regex>,
}

impl LazyRegex {
    /// A regex for `source`, whose syntax tree is `hir`: built now when
    /// `check_size` is set and it might exceed the size limit (the error is
    /// returned), else later.
    pub(crate) fn new(
        source: &str,
        hir: &Hir,
        check_size: bool,
    ) -> Result<LazyRegex, regex::Error> {
        let built = OnceLock::new();
        if check_size && might_be_large(hir) {
            let _ = built.set(build(source, REGEX_SIZE_LIMIT)?);
        }
        Ok(LazyRegex {
            source: source.to_string(),
            names: capture_names(hir),
            built,
        })
    }

    /// The compiled regex.
    pub fn get(&self) -> &Regex {
        self.built.get_or_init(|| {
            // Patterns that could hit the limit were built at load time; should
            // the estimate be wrong, the pattern is built without the limit
            // rather than dropped. The source parsed, so only the limit can fail.
            build(&self.source, REGEX_SIZE_LIMIT)
                .or_else(|_| build(&self.source, usize::MAX))
                .unwrap_or_else(|_| never_matches())
        })
    }

    /// Whether the pattern matches somewhere in `text` (building it first,
    /// the first time).
    pub fn is_match(&self, text: &str) -> bool {
        self.get().is_match(text)
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The names of the pattern's named captures, in order.
    pub fn capture_names(&self) -> &[String] {
        &self.names
    }
}

fn build(source: &str, limit: usize) -> Result<Regex, regex::Error> {
    RegexBuilder::new(source).size_limit(limit).build()
}

/// A regex that matches nothing: the last resort of [`LazyRegex::get`],
/// which a pattern that parsed never reaches.
fn never_matches() -> Regex {
    static NEVER: OnceLock<Regex> = OnceLock::new();
    NEVER
        .get_or_init(|| Regex::new(r"[^\s\S]").unwrap_or_else(|_| unreachable!("a valid regex")))
        .clone()
}

/// Counted repetitions above this bound make a pattern's size hard to
/// foresee.
const COUNTED_REPETITION_LIMIT: u32 = 16;
/// Unicode classes with more ranges than this compile to large automata.
const LARGE_CLASS_RANGES: usize = 64;
/// More large classes than this may add up to the size limit.
const LARGE_CLASSES_LIMIT: usize = 8;

/// Whether the compiled pattern could come near the size limit.
fn might_be_large(hir: &Hir) -> bool {
    let mut large_classes = 0;
    for node in nodes(hir) {
        match node.kind() {
            HirKind::Class(Class::Unicode(class)) if class.ranges().len() > LARGE_CLASS_RANGES => {
                large_classes += 1;
            }
            HirKind::Repetition(repetition)
                if repetition.min > COUNTED_REPETITION_LIMIT
                    || repetition
                        .max
                        .is_some_and(|max| max > COUNTED_REPETITION_LIMIT) =>
            {
                return true;
            }
            _ => {}
        }
    }
    large_classes > LARGE_CLASSES_LIMIT
}

/// The named captures of `hir`, in the order of their opening parentheses.
fn capture_names(hir: &Hir) -> Vec<String> {
    let mut named: Vec<(u32, String)> = nodes(hir)
        .filter_map(|node| match node.kind() {
            HirKind::Capture(capture) => capture
                .name
                .as_ref()
                .map(|name| (capture.index, name.to_string())),
            _ => None,
        })
        .collect();
    named.sort();
    named.into_iter().map(|(_, name)| name).collect()
}

/// Every node of `hir` (depth first; the order is not the pattern's).
fn nodes(hir: &Hir) -> impl Iterator<Item = &Hir> {
    let mut stack = vec![hir];
    std::iter::from_fn(move || {
        let node = stack.pop()?;
        match node.kind() {
            HirKind::Capture(capture) => stack.push(&capture.sub),
            HirKind::Repetition(repetition) => stack.push(&repetition.sub),
            HirKind::Concat(parts) | HirKind::Alternation(parts) => stack.extend(parts),
            HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => {}
        }
        Some(node)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lazy(source: &str) -> Result<LazyRegex, regex::Error> {
        let hir = regex_syntax::parse(source).expect("valid syntax");
        LazyRegex::new(source, &hir, true)
    }

    #[test]
    fn names_come_from_the_syntax_tree_in_the_regex_crates_order() {
        for source in [
            r"(?P<module>[\w.]+) failed: (?P<reason>.*)",
            r"(?:(?P<a>x)|(?P<b>y))(z)(?P<c>\d+)",
            r"no captures here",
        ] {
            let pattern = lazy(source).expect("builds");
            let from_crate: Vec<String> = Regex::new(source)
                .expect("valid")
                .capture_names()
                .flatten()
                .map(str::to_string)
                .collect();
            assert_eq!(pattern.capture_names(), from_crate.as_slice(), "{source}");
        }
    }

    #[test]
    fn small_patterns_wait_and_then_match_like_the_regex() {
        let pattern = lazy(r"Killed process (?P<pid>\d+)").expect("builds");
        assert!(pattern.built.get().is_none(), "not built before use");
        let caps = pattern
            .get()
            .captures("Out of memory: Killed process 4242 (java)");
        assert_eq!(
            caps.and_then(|c| c.name("pid")).map(|m| m.as_str()),
            Some("4242")
        );
        assert!(pattern.built.get().is_some());
    }

    #[test]
    fn a_pattern_past_the_size_limit_is_refused_at_load() {
        assert!(lazy(r"\w{1000}\w{1000}\w{1000}").is_err());
        let counted = lazy(r"x{20}").expect("small enough");
        assert!(
            counted.built.get().is_some(),
            "counted repetitions are built at load"
        );
        let hir = regex_syntax::parse(r"x{20}").expect("valid syntax");
        let unchecked = LazyRegex::new(r"x{20}", &hir, false).expect("not built");
        assert!(unchecked.built.get().is_none(), "no size check asked for");
    }

    /// Loading the embedded pack checks no size (see the module docs): this
    /// is the check, for every one of its regexes.
    #[test]
    fn every_regex_of_the_embedded_pack_builds_within_the_limit() {
        let pack = crate::rules::load::embedded_pack();
        let milestones = pack
            .sequences
            .iter()
            .flat_map(|s| &s.milestones)
            .flat_map(|m| m.patterns.iter().map(|p| &p.regex));
        let rules = pack.rules.iter().flat_map(|rule| {
            rule.patterns
                .iter()
                .map(|p| &p.regex)
                .chain(&rule.all)
                .chain(&rule.not)
                .chain(&rule.raised_in)
                .chain(&rule.not_raised_in)
        });
        let mut count = 0;
        for regex in rules.chain(milestones) {
            assert!(
                build(&regex.source, REGEX_SIZE_LIMIT).is_ok(),
                "{} is past the size limit",
                regex.source
            );
            count += 1;
        }
        assert!(count > 1000, "only {count} regexes");
    }
}
