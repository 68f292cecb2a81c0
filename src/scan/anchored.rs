//! Captures found by an anchored search from a pattern's literal prefix.
//!
//! Most patterns with named groups start with text every match starts
//! with (`\[run_id=(?P<run_id>[\w-]+)\] Execution started` starts with
//! `[run_id=`). An unanchored captures search runs three automata over the
//! line: a forward DFA finds where the match ends, a reverse one where it
//! starts, and a one-pass DFA (or a backtracker) the groups. Anchored at a
//! known start, only the last one runs. On a milestone line that took
//! about 0.2 µs instead of 0.4–0.6 µs.
//!
//! The result is the same: every match starts with the prefix, so the
//! leftmost match starts at the first occurrence of the prefix where an
//! anchored match exists, and an anchored leftmost-first search there finds
//! the match (and groups) the unanchored search prefers.
//!
//! The commonest such pattern has one more thing in common: after the
//! prefix comes its one group, a run of a class (`[\w-]+`), and then text
//! that starts with a byte the class does not hold (`] Execution`). The
//! group can then only end at the first byte past the prefix that is not
//! in the class, so no automaton is needed to place it ([`Split`]): the
//! run is read byte by byte, and only what follows it is searched (a
//! comparison when it is plain text). That took a third of the time of
//! the one-pass search on a milestone line.

use memchr::memmem::Finder;
use regex_automata::util::primitives::NonMaxUsize;
use regex_automata::{Anchored, Input, PatternID, meta};
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{Class, Hir, HirKind, Literal};

/// Shorter prefixes occur too often in a line to pay for the attempts.
const MIN_PREFIX_BYTES: usize = 3;

/// A pattern's regex, searched anchored at each occurrence of its prefix.
#[derive(Debug)]
pub(crate) struct PrefixCaptures {
    prefix: Finder<'static>,
    regex: meta::Regex,
    /// The group placed without an automaton, for patterns of that shape.
    split: Option<Split>,
}

/// A pattern that is its prefix, one group of a run of one class, and
/// text starting with a byte outside the class (or nothing).
#[derive(Debug)]
struct Split {
    prefix_len: usize,
    /// The ASCII bytes the class holds. A byte from 128 up ends the quick
    /// reading: the pattern's regex decides that line.
    class: [bool; 128],
    /// Fewest bytes of the class the group takes (its repetition's minimum).
    min: usize,
    after: After,
}

/// What follows the group.
#[derive(Debug)]
enum After {
    /// Plain text (empty when nothing follows).
    Text(Box<[u8]>),
    /// Anything else, searched anchored where the group ends.
    Regex(meta::Regex),
}

/// Search state of one [`PrefixCaptures`] (one per scanning thread).
#[derive(Debug)]
pub(crate) struct Cache {
    whole: meta::Cache,
    after: Option<meta::Cache>,
}

/// Where a pattern's groups matched: a start and end per group, in slots.
pub(crate) type Slots = Vec<Option<NonMaxUsize>>;

impl PrefixCaptures {
    /// The anchored search for `source`, or `None` when its matches share
    /// no literal prefix of [`MIN_PREFIX_BYTES`] or more (or it does not
    /// build within `size_limit`: the caller's regex then does the work).
    pub(crate) fn new(source: &str, size_limit: usize) -> Option<PrefixCaptures> {
        let hir = regex_syntax::parse(source).ok()?;
        let prefix = common_prefix(&hir)?;
        let config = meta::Config::new().nfa_size_limit(Some(size_limit));
        let regex = meta::Builder::new()
            .configure(config.clone())
            .build(source)
            .ok()?;
        Some(PrefixCaptures {
            split: Split::new(&hir, &prefix, config),
            prefix: Finder::new(&prefix).into_owned(),
            regex,
        })
    }

    /// Fresh search state for this search (one per scanning thread).
    pub(crate) fn cache(&self) -> Cache {
        Cache {
            whole: self.regex.create_cache(),
            after: self.split.as_ref().and_then(|split| match &split.after {
                After::Regex(regex) => Some(regex.create_cache()),
                After::Text(_) => None,
            }),
        }
    }

    /// Slots sized for this regex's groups.
    pub(crate) fn slots(&self) -> Slots {
        vec![None; self.regex.group_info().slot_len()]
    }

    /// The names of the groups, in order (`None` for unnamed ones).
    pub(crate) fn names(&self) -> impl Iterator<Item = Option<&str>> {
        self.regex.group_info().pattern_names(PatternID::ZERO)
    }

    /// Finds the leftmost match in `hay`, filling `slots` (group `i` at
    /// `2i` and `2i + 1`); whether there is one.
    pub(crate) fn captures(&self, cache: &mut Cache, hay: &str, slots: &mut Slots) -> bool {
        let mut from = 0;
        while let Some(found) = self.prefix.find(&hay.as_bytes()[from..]) {
            let at = from + found;
            let quick = self
                .split
                .as_ref()
                .and_then(|split| split.match_at(hay, at, cache.after.as_mut()));
            let matched = match quick {
                Some(Some((group, end))) => {
                    fill(slots, at..end, group);
                    true
                }
                Some(None) => false,
                None => {
                    let input = Input::new(hay).span(at..hay.len()).anchored(Anchored::Yes);
                    self.regex
                        .search_slots_with(&mut cache.whole, &input, slots)
                        .is_some()
                }
            };
            if matched {
                return true;
            }
            // Occurrences may overlap (`aa` in `aaa`): look again one byte on.
            from = at + 1;
        }
        false
    }
}

/// Writes a match of a [`Split`] pattern into `slots`: the whole match
/// (group 0) and its one group.
fn fill(slots: &mut Slots, whole: std::ops::Range<usize>, group: std::ops::Range<usize>) {
    for (slot, at) in slots
        .iter_mut()
        .zip([whole.start, whole.end, group.start, group.end])
    {
        *slot = NonMaxUsize::new(at);
    }
}

impl Split {
    /// The split of `hir` after `prefix`, if the pattern has that shape: a
    /// concatenation of the prefix as text, one group of a greedy
    /// repetition of a class, and then nothing, or something starting with
    /// text whose first byte the class does not hold and with no group.
    fn new(hir: &Hir, prefix: &[u8], config: meta::Config) -> Option<Split> {
        let HirKind::Concat(parts) = hir.kind() else {
            return None;
        };
        let [first, group, rest @ ..] = parts.as_slice() else {
            return None;
        };
        if !matches!(first.kind(), HirKind::Literal(Literal(text)) if **text == *prefix) {
            return None;
        }
        let HirKind::Capture(capture) = group.kind() else {
            return None;
        };
        let HirKind::Repetition(repeat) = capture.sub.kind() else {
            return None;
        };
        let HirKind::Class(class) = repeat.sub.kind() else {
            return None;
        };
        if repeat.max.is_some() || !repeat.greedy || capture.name.is_none() {
            return None;
        }
        let class = ascii_members(class);
        let after = match rest {
            [] => After::Text(Box::default()),
            [next, more @ ..] => {
                // The group must stop where the class does: what follows
                // starts with text whose first byte the class does not hold.
                let HirKind::Literal(Literal(text)) = next.kind() else {
                    return None;
                };
                let &first = text.first()?;
                if !first.is_ascii() || class[usize::from(first)] {
                    return None;
                }
                if more.is_empty() {
                    After::Text(text.clone())
                } else {
                    After::Regex(anchored_regex(rest, config)?)
                }
            }
        };
        Some(Split {
            prefix_len: prefix.len(),
            class,
            min: usize::try_from(repeat.min).ok()?,
            after,
        })
    }

    /// The match starting at `at` (where the prefix is): `Some(Some((group,
    /// end)))` for one, `Some(None)` for none, `None` when the run of the
    /// class meets a byte from 128 up (the caller's regex decides).
    fn match_at(
        &self,
        hay: &str,
        at: usize,
        cache: Option<&mut meta::Cache>,
    ) -> Option<Option<(std::ops::Range<usize>, usize)>> {
        let bytes = hay.as_bytes();
        let start = at + self.prefix_len;
        let mut end = start;
        while let Some(&byte) = bytes.get(end) {
            if !byte.is_ascii() {
                return None;
            }
            if !self.class[usize::from(byte)] {
                break;
            }
            end += 1;
        }
        if end - start < self.min {
            return Some(None);
        }
        let matched_to = match &self.after {
            After::Text(text) => bytes[end..].starts_with(text).then(|| end + text.len()),
            After::Regex(regex) => {
                let input = Input::new(hay).span(end..hay.len()).anchored(Anchored::Yes);
                regex
                    .search_half_with(cache?, &input)
                    .map(|half| half.offset())
            }
        };
        Some(matched_to.map(|to| (start..end, to)))
    }
}

/// Which ASCII bytes `class` holds.
fn ascii_members(class: &Class) -> [bool; 128] {
    let mut members = [false; 128];
    let mut add = |from: u32, to: u32| {
        for byte in from..=to.min(127) {
            members[byte as usize] = true;
        }
    };
    match class {
        Class::Unicode(unicode) => {
            for range in unicode.iter() {
                add(u32::from(range.start()), u32::from(range.end()));
            }
        }
        Class::Bytes(bytes) => {
            for range in bytes.iter() {
                add(u32::from(range.start()), u32::from(range.end()));
            }
        }
    }
    members
}

/// The regex of `parts` in a row, for a search anchored where they start;
/// `None` when they hold a group (the split fills only its own).
fn anchored_regex(parts: &[Hir], config: meta::Config) -> Option<meta::Regex> {
    let hir = Hir::concat(parts.to_vec());
    if hir.properties().explicit_captures_len() > 0 {
        return None;
    }
    meta::Builder::new()
        .configure(config)
        .build_from_hir(&hir)
        .ok()
}

/// The longest text every match of `hir` starts with, if long enough.
fn common_prefix(hir: &regex_syntax::hir::Hir) -> Option<Vec<u8>> {
    let seq = Extractor::new().kind(ExtractKind::Prefix).extract(hir);
    let mut literals = seq.literals()?.iter().map(|literal| literal.as_bytes());
    let first = literals.next()?;
    let shared = literals.fold(first.len(), |shared, literal| {
        first[..shared]
            .iter()
            .zip(literal)
            .take_while(|(a, b)| a == b)
            .count()
    });
    (shared >= MIN_PREFIX_BYTES).then(|| first[..shared].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The groups the regex crate reports for `pattern` in `hay`.
    fn expected(pattern: &str, hay: &str) -> Option<Vec<Option<(usize, usize)>>> {
        let regex = regex::Regex::new(pattern).expect("valid");
        let mut locations = regex.capture_locations();
        regex.captures_read(&mut locations, hay)?;
        Some((0..locations.len()).map(|i| locations.get(i)).collect())
    }

    fn anchored(pattern: &str, hay: &str) -> Option<Vec<Option<(usize, usize)>>> {
        let search = PrefixCaptures::new(pattern, usize::MAX).expect("a prefix");
        let (mut cache, mut slots) = (search.cache(), search.slots());
        if !search.captures(&mut cache, hay, &mut slots) {
            return None;
        }
        let group = |pair: &[Option<NonMaxUsize>]| Some((pair[0]?.get(), pair[1]?.get()));
        Some(slots.chunks(2).map(group).collect())
    }

    #[test]
    fn prefixes_are_what_every_match_starts_with() {
        let prefix = |pattern: &str| {
            common_prefix(&regex_syntax::parse(pattern).expect("valid"))
                .map(|p| String::from_utf8(p).expect("text"))
        };
        assert_eq!(
            prefix(r"\[run_id=(?P<run_id>[\w-]+)\] Execution started").as_deref(),
            Some("[run_id=")
        );
        assert_eq!(
            prefix(r"Worker (?:started|ready) at").as_deref(),
            Some("Worker ")
        );
        assert_eq!(
            prefix(r"Worker (?:started|stopped) at").as_deref(),
            Some("Worker st")
        );
        assert_eq!(prefix(r"(?:Memory usage|memory usage) (?P<p>\d+)%"), None);
        assert_eq!(prefix(r"(?i)timeout after (?P<s>\d+)s"), None);
        assert_eq!(prefix(r"x?abc(?P<n>\d)"), None, "a match may start at `a`");
        assert_eq!(prefix(r"ab(?P<n>\d)"), None, "too short to pay");
    }

    #[test]
    fn finds_what_the_unanchored_search_finds() {
        let cases = [
            (
                r"\[run_id=(?P<run_id>[\w-]+)\] Step \d+/\d+ completed",
                "INFO [run_id=x] Step 1/3 failed; [run_id=ab-1] Step 2/3 completed: y",
            ),
            (
                r"run_id=(?P<run_id>[\w-]+)\]? .*\bRUNNING\b",
                "state run_id=a run_id=b] moved to RUNNING now",
            ),
            (r"aab(?P<rest>a*)", "aaab aabaa"),
            (r"aab(?P<rest>a*)", "aaaaa"),
            (
                r"Exit code: (?P<code>\d+)|Exit code (?P<other>\w+)",
                "Exit code: x Exit code 137",
            ),
        ];
        for (pattern, hay) in cases {
            assert_eq!(
                anchored(pattern, hay),
                expected(pattern, hay),
                "{pattern} on {hay}"
            );
        }
    }

    /// Whether `pattern` is searched by its [`Split`].
    fn splits(pattern: &str) -> bool {
        PrefixCaptures::new(pattern, usize::MAX)
            .expect("a prefix")
            .split
            .is_some()
    }

    #[test]
    fn the_group_is_placed_without_an_automaton_only_where_it_must_end_at_the_class() {
        assert!(splits(r"\[run_id=(?P<run_id>[\w-]+)\] Execution started"));
        assert!(splits(
            r"\[run_id=(?P<run_id>[\w-]+)\] Step \d+/\d+ completed"
        ));
        assert!(splits(r"user_id=(?P<user>\d+)"), "nothing after the group");
        assert!(
            splits(r"code=(?P<code>[0-9]*) at"),
            "an empty run is allowed"
        );
        // The class holds what follows (`b` is a word character): the
        // group may end anywhere in the run.
        assert!(!splits(r"key=(?P<k>\w+)b"));
        // What follows may start with a class byte, or has a group of its own.
        assert!(!splits(r"run_id=(?P<run_id>[\w-]+)\]? .*\bRUNNING\b"));
        assert!(!splits(r"id=(?P<id>\d+) in (?P<where>\w+)"));
        // Not a run of one class, or a lazy or bounded one.
        assert!(!splits(r"id=(?P<id>\d+-\d+) x"));
        assert!(!splits(r"id=(?P<id>\d+?) x"));
        assert!(!splits(r"id=(?P<id>\d{1,4}) x"));
    }

    #[test]
    fn a_run_meeting_a_byte_past_ascii_is_left_to_the_regex() {
        let pattern = r"\[run_id=(?P<run_id>[\w-]+)\] Agent";
        for hay in [
            "x [run_id=dé-1] Agent",
            "[run_id=é] Agent",
            "[run_id=a→] Agent",
        ] {
            assert_eq!(anchored(pattern, hay), expected(pattern, hay), "{hay}");
        }
    }

    /// Lines made of the pieces of the split patterns below (their
    /// prefixes, class bytes, what follows the groups, a byte past ASCII),
    /// so that most hold near-matches and many hold matches.
    fn split_lines() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        const PIECES: [&str; 16] = [
            "ab=", "[ab", "x=a", "a=[", "]", "] ", " ", "x", "a", "b", "1", "27", "/", "-", "é",
            "] 3/4 x",
        ];
        proptest::collection::vec(proptest::sample::select(&PIECES[..]), 0..14)
            .prop_map(|pieces| pieces.concat())
    }

    proptest::proptest! {
        #[test]
        fn split_patterns_agree_with_the_unanchored_search(hay in split_lines()) {
            for pattern in [
                r"ab=(?P<n>[0-9]+)\] x",
                r"\[ab(?P<id>[\w-]+)\] [0-9]+/[0-9]+ x?",
                r"ab=(?P<v>\w*)",
                r"x=a(?P<v>[a-b]+)/",
                r"a=\[(?P<v>[^\]]+)\]",
            ] {
                proptest::prop_assert!(splits(pattern), "{}", pattern);
                proptest::prop_assert_eq!(anchored(pattern, &hay), expected(pattern, &hay));
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_the_unanchored_search_on_any_line(hay in "[ab=\\[\\] 0-9x]{0,40}") {
            for pattern in [r"ab=(?P<n>[0-9]+)\]?", r"\[ab(?P<tail>a*b?)\] ?(?P<num>[0-9])?", r"aba(?P<x>.*)b"] {
                proptest::prop_assert_eq!(anchored(pattern, &hay), expected(pattern, &hay));
            }
        }
    }
}
