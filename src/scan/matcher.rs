//! The matcher: one many-literal search over the required literals of every
//! rule and milestone pattern, then the patterns' regexes on candidates only.

use std::sync::{Arc, Mutex, OnceLock};

use super::Captures;
use super::anchored::{Cache as PrefixCache, PrefixCaptures, Slots};
use super::literals::Literals;

use crate::input::clip;
use crate::input::meta::Meta;
use crate::rules::lazy_regex::REGEX_SIZE_LIMIT;
use crate::rules::{Pattern, RulePack};

/// What a pattern belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    Rule(usize),
    Milestone {
        sequence: usize,
        step: usize,
    },
    /// An error-shaped line no rule matched (mined into templates).
    Unrecognised,
}

/// One rule or milestone that matched a message line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub target: Target,
    pub captures: Captures,
    /// Where the pattern matched in the message, for clipping lines longer
    /// than [`clip::MAX_EVIDENCE_BYTES`]; the whole message for shorter ones.
    pub span: std::ops::Range<usize>,
}

struct PatternRef {
    target: Target,
    index: usize,
    /// Whether the pattern names a capture (else `find` confirms it without
    /// capture slots), worked out once here rather than on every candidate line.
    named_groups: bool,
    /// For a pattern with groups: its anchored search from its literal
    /// prefix, built at its first candidate line (`None` inside: it has
    /// no prefix, and the pattern's own regex finds its captures).
    prefixed: OnceLock<Option<PrefixCaptures>>,
}

/// Literals that make a raw line a candidate without belonging to a rule:
/// CRI partial-line tags, whose line must be joined with the next first.
pub const CRI_PARTIAL_TAGS: [&str; 2] = [" stdout P ", " stderr P "];

/// Words of error-shaped lines, so that errors no rule knows are looked at
/// too: level words, exceptions, panics. Each is searched for as written
/// here, capitalised and in capitals (`error`, `Error`, `ERROR`), which is
/// how loggers and runtimes print them; keeping them in the one automaton
/// with the rules' literals costs no extra pass over the input.
const ERROR_SHAPES: [&str; 5] = ["error", "fatal", "critical", "exception", "panic"];

/// The spellings of [`ERROR_SHAPES`] that are searched for.
fn error_shape_spellings() -> impl Iterator<Item = String> {
    ERROR_SHAPES.iter().flat_map(|word| {
        let mut capitalised = word.to_string();
        capitalised[..1].make_ascii_uppercase();
        [word.to_string(), capitalised, word.to_ascii_uppercase()]
    })
}

/// What one message line matched: the rules and milestones, and whether it
/// holds an error-shaped word (so it may be an error no rule knows).
#[derive(Debug, Default)]
pub(crate) struct LineHits {
    pub hits: Vec<Hit>,
    pub error_word: bool,
}

/// Adds an [`Target::Unrecognised`] hit when no rule matched an
/// error-shaped message (`meta` is asked for only when the message may be one).
pub(crate) fn add_unrecognised(message: &str, line: &mut LineHits, meta: &mut dyn FnMut() -> Meta) {
    if !line.error_word
        || line
            .hits
            .iter()
            .any(|h| matches!(h.target, Target::Rule(_)))
    {
        return;
    }
    if error_shaped(message, meta().level) {
        line.hits.push(Hit {
            target: Target::Unrecognised,
            captures: Captures::default(),
            span: 0..message.len().min(clip::MAX_EVIDENCE_BYTES),
        });
    }
}

/// Whether a message no rule matched is an error worth mining: its level is
/// error or worse, or it has an error's shape (an exception line, a panic,
/// `Error:`, `FATAL`).
fn error_shaped(message: &str, level: Option<crate::input::meta::Level>) -> bool {
    use crate::input::meta::Level;
    level.is_some_and(|l| l >= Level::Error)
        || crate::input::traceback::is_exception_line(message)
        || message.contains("FATAL")
        || message.contains("panic:")
        || message.contains("Exception:")
        || message.contains("Error:")
}

/// What a needle stands for. A needle with neither only makes a raw line a
/// candidate (the CRI partial-line tags).
#[derive(Debug, Clone, Default)]
struct NeedleUse {
    /// The patterns that require it.
    patterns: Vec<usize>,
    /// Whether it is an error-shaped word (see [`ERROR_SHAPES`]).
    error_word: bool,
}

/// The needles of one case mode plus, per needle, what it stands for.
///
/// One search covers every needle, however many (the pack has well over a
/// thousand): see [`Literals`] for how, and why not an Aho-Corasick DFA.
struct Prefilter {
    literals: Literals,
    uses: Vec<NeedleUse>,
}

impl Prefilter {
    fn build(needles: Vec<(String, NeedleUse)>, case_insensitive: bool) -> Option<Prefilter> {
        let texts: Vec<&[u8]> = needles.iter().map(|(n, _)| n.as_bytes()).collect();
        Some(Prefilter {
            literals: Literals::new(&texts, case_insensitive)?,
            uses: needles.into_iter().map(|(_, used)| used).collect(),
        })
    }

    /// Adds the patterns whose needles occur in `text` to `candidates`;
    /// returns whether an error-shaped word occurs.
    fn candidates_in(&self, text: &str, candidates: &mut Vec<usize>) -> bool {
        let mut error_word = false;
        self.literals.for_each_in(text.as_bytes(), |_, id| {
            error_word |= self.add_uses(id, candidates);
        });
        error_word
    }

    /// Adds the patterns needle `id` stands for to `candidates`; returns
    /// whether it is an error-shaped word.
    fn add_uses(&self, id: usize, candidates: &mut Vec<usize>) -> bool {
        let used = &self.uses[id];
        candidates.extend_from_slice(&used.patterns);
        used.error_word
    }
}

/// A needle found by [`Matcher::index`]: where it starts in the buffer, and
/// which one it is (its finder: 0 as written, 1 any case).
#[derive(Debug, Clone, Copy)]
struct Occurrence {
    start: usize,
    needle: u32,
    finder: u8,
}

/// How many of `found` (in order of start) start before `at`. Counted one
/// by one: the scan asks for a position at most a line past the previous
/// one, so only a few are passed, where a binary search over the rest of
/// a chunk's needles took about 16 dependent, cache-missing steps per line.
fn skip_before(found: &[Occurrence], at: usize) -> usize {
    found
        .iter()
        .position(|o| o.start >= at)
        .unwrap_or(found.len())
}

/// Compiled matching state for a rule pack; cheap to share across threads.
pub struct Matcher {
    pub pack: Arc<RulePack>,
    patterns: Vec<PatternRef>,
    /// Needles as written, and needles of any case (empty in the shipped pack).
    exact: Option<Prefilter>,
    folded: Option<Prefilter>,
    /// Patterns with no needle: checked on every line.
    always: Vec<usize>,
    /// Scratch states given back after a scan, for the next one: their
    /// search caches cost more to build than a chunk's lines to match.
    spare: Mutex<Vec<Scratch>>,
}

impl Matcher {
    pub fn new(pack: Arc<RulePack>) -> Matcher {
        let mut patterns = Vec::new();
        let mut exact: Vec<(String, NeedleUse)> = CRI_PARTIAL_TAGS
            .iter()
            .map(|t| (t.to_string(), NeedleUse::default()))
            .collect();
        let mut folded: Vec<(String, NeedleUse)> = Vec::new();
        let mut always = Vec::new();
        let mut add = |target: Target, list: &[Pattern]| {
            for (index, pattern) in list.iter().enumerate() {
                let id = patterns.len();
                patterns.push(PatternRef {
                    target,
                    index,
                    named_groups: !pattern.regex.capture_names().is_empty(),
                    prefixed: OnceLock::new(),
                });
                let Some(needles) = &pattern.needles else {
                    always.push(id);
                    continue;
                };
                for needle in needles {
                    let (table, text) = if needle.case_insensitive {
                        (&mut folded, needle.text.to_ascii_lowercase())
                    } else {
                        (&mut exact, needle.text.clone())
                    };
                    match table.iter_mut().find(|(t, _)| *t == text) {
                        Some((_, used)) => used.patterns.push(id),
                        None => table.push((
                            text,
                            NeedleUse {
                                patterns: vec![id],
                                error_word: false,
                            },
                        )),
                    }
                }
            }
        };
        for (i, rule) in pack.rules.iter().enumerate() {
            add(Target::Rule(i), &rule.patterns);
        }
        for (s, sequence) in pack.sequences.iter().enumerate() {
            for (step, milestone) in sequence.milestones.iter().enumerate() {
                add(Target::Milestone { sequence: s, step }, &milestone.patterns);
            }
        }
        for spelling in error_shape_spellings() {
            match exact.iter_mut().find(|(t, _)| *t == spelling) {
                Some((_, used)) => used.error_word = true,
                None => exact.push((
                    spelling,
                    NeedleUse {
                        patterns: Vec::new(),
                        error_word: true,
                    },
                )),
            }
        }
        Matcher {
            exact: Prefilter::build(exact, false),
            folded: Prefilter::build(folded, true),
            patterns,
            always,
            pack,
            spare: Mutex::new(Vec::new()),
        }
    }

    /// Whether some pattern has no literal, so every line must be checked.
    pub fn checks_every_line(&self) -> bool {
        !self.always.is_empty()
    }

    /// Number of distinct literals of the rules and milestones, as written
    /// and of any case (for `rules lint`).
    pub fn needle_counts(&self) -> (usize, usize) {
        let count = |p: &Option<Prefilter>| {
            p.as_ref().map_or(0, |p| {
                p.uses.iter().filter(|u| !u.patterns.is_empty()).count()
            })
        };
        (count(&self.exact), count(&self.folded))
    }

    /// Finds every needle in `hay[from..]`, one pass per finder, for a scan
    /// of that range: [`Matcher::next_candidate`] and
    /// [`Matcher::match_message`] then read them rather than search again.
    /// Searching line by line instead meant starting the search again after
    /// every line with a needle, and a second pass over each such line for
    /// all of its needles.
    pub(crate) fn index(&self, hay: &[u8], from: usize, scratch: &mut Scratch) {
        let found = &mut scratch.occurrences;
        found.clear();
        let finders = [&self.exact, &self.folded];
        for (finder, prefilter) in (0u8..).zip(finders) {
            let Some(prefilter) = prefilter else { continue };
            prefilter.literals.for_each_in(&hay[from..], |at, id| {
                found.push(Occurrence {
                    start: from + at,
                    needle: id as u32,
                    finder,
                });
            });
        }
        if self.exact.is_some() && self.folded.is_some() {
            // Stable: at one position, the order of each finder stays.
            found.sort_by_key(|o| o.start);
        }
        scratch.indexed = from..hay.len();
        scratch.next = 0;
    }

    /// Start of the next needle at or after `from` in the range
    /// [`Matcher::index`] indexed last (`from` never goes back).
    pub(crate) fn next_candidate(&self, from: usize, scratch: &mut Scratch) -> Option<usize> {
        let found = &scratch.occurrences;
        scratch.next += skip_before(&found[scratch.next..], from);
        found.get(scratch.next).map(|o| o.start)
    }

    /// Every rule and milestone matching one message line. `meta` is asked
    /// for only when a candidate rule filters on level or service. `at` is
    /// where the message starts in the buffer [`Matcher::index`] indexed,
    /// when it is a slice of it: its needles are then read from the index
    /// rather than searched for.
    pub(crate) fn match_message(
        &self,
        message: &str,
        at: Option<usize>,
        meta: &mut dyn FnMut() -> Meta,
        scratch: &mut Scratch,
    ) -> LineHits {
        let candidates = &mut scratch.candidates;
        candidates.clear();
        candidates.extend_from_slice(&self.always);
        let finders = [&self.exact, &self.folded];
        let mut error_word = false;
        let indexed = at
            .filter(|&at| scratch.indexed.start <= at && at + message.len() <= scratch.indexed.end);
        match indexed {
            Some(at) => {
                // The needles lying wholly inside the message: what a search
                // of the message alone would find.
                let end = at + message.len();
                let line = &scratch.occurrences[scratch.next..];
                for found in &line[skip_before(line, at)..] {
                    if found.start >= end {
                        break;
                    }
                    let Some(prefilter) = finders[usize::from(found.finder)] else {
                        continue;
                    };
                    let needle = found.needle as usize;
                    if found.start + prefilter.literals.len_of(needle) <= end {
                        error_word |= prefilter.add_uses(needle, candidates);
                    }
                }
            }
            None => {
                for prefilter in finders.into_iter().flatten() {
                    error_word |= prefilter.candidates_in(message, candidates);
                }
            }
        }
        if candidates.is_empty() {
            return LineHits {
                hits: Vec::new(),
                error_word,
            };
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut cached_meta: Option<Meta> = None;
        let mut hits: Vec<Hit> = Vec::new();
        for &id in candidates.iter() {
            let PatternRef {
                target,
                index,
                named_groups,
                ref prefixed,
            } = self.patterns[id];
            if hits.iter().any(|h| h.target == target) {
                continue;
            }
            let pattern = match target {
                Target::Unrecognised => continue, // no pattern is for unrecognised lines
                Target::Rule(r) => &self.pack.rules[r].patterns[index],
                Target::Milestone { sequence, step } => {
                    &self.pack.sequences[sequence].milestones[step].patterns[index]
                }
            };
            // Built at first use, and not at all for a pattern whose
            // anchored search does the work.
            let regex = || pattern.regex.get();
            // One search each. A pattern with groups needs them found (and
            // the span first): anchored from its literal prefix when it has
            // one, else by its regex, into locations kept for the next line.
            // Without groups only the span is wanted, and only to place the
            // evidence window in a line too long to show whole: `is_match`
            // stops at the first match and skips the reverse search that
            // finds where a match starts.
            let found = if named_groups {
                let prefixed =
                    prefixed.get_or_init(|| PrefixCaptures::new(&pattern.source, REGEX_SIZE_LIMIT));
                match prefixed {
                    Some(search) => {
                        let (cache, slots) = scratch.prefixed[id]
                            .get_or_insert_with(|| (search.cache(), search.slots()));
                        search
                            .captures(cache, message, slots)
                            .then_some(Groups::Slots(slots, search))
                    }
                    None => {
                        let regex = regex();
                        let locations =
                            scratch.locations[id].get_or_insert_with(|| regex.capture_locations());
                        regex
                            .captures_read(locations, message)
                            .is_some()
                            .then_some(Groups::Locations(locations, regex))
                    }
                }
                .map(|groups| (groups.get(0).map_or(0..0, |(s, e)| s..e), Some(groups)))
            } else if message.len() <= clip::MAX_EVIDENCE_BYTES {
                regex()
                    .is_match(message)
                    .then_some((0..message.len(), None))
            } else {
                regex().find(message).map(|m| (m.range(), None))
            };
            let Some((span, caps)) = found else {
                continue;
            };
            if let Target::Rule(r) = target {
                let rule = &self.pack.rules[r];
                if rule.all.iter().any(|re| !re.is_match(message))
                    || rule.not.iter().any(|re| re.is_match(message))
                {
                    continue;
                }
                if !rule.levels.is_empty() || rule.services.is_some() {
                    let meta = cached_meta.get_or_insert_with(&mut *meta);
                    if let Some(level) = meta.level
                        && !rule.levels.is_empty()
                        && !rule.levels.iter().any(|l| l == level.as_str())
                    {
                        continue;
                    }
                    if let (Some(globs), Some(service)) = (&rule.services, &meta.origin.service)
                        && !globs.is_match(service)
                    {
                        continue;
                    }
                }
            }
            // Captured text is copied only for a hit the rule's filters kept.
            let captures = caps.map(|groups| groups.named(message)).unwrap_or_default();
            hits.push(Hit {
                target,
                captures,
                span,
            });
        }
        hits.sort_by_key(|h| h.target);
        LineHits { hits, error_word }
    }
}

impl Matcher {
    /// Drops the hits of rules whose `raised_in` / `not_raised_in` the
    /// traceback the line ends (empty: none) does not satisfy.
    pub fn keep_allowed(&self, hits: &mut Vec<Hit>, traceback: &[String]) {
        hits.retain(|hit| match hit.target {
            Target::Rule(r) => self.pack.rules[r].traceback_allows(traceback),
            Target::Milestone { .. } | Target::Unrecognised => true,
        });
    }

    /// Whether a hit is of a rule that says how a process ended.
    pub fn any_outcome(&self, hits: &[Hit]) -> bool {
        hits.iter().any(|hit| match hit.target {
            Target::Rule(r) => self.pack.rules[r].outcome,
            Target::Milestone { .. } | Target::Unrecognised => false,
        })
    }
}

/// What one thread keeps while it scans a buffer, so that lines cost no
/// allocation of their own: the needles of the range it scans, and the
/// buffers the matching of one line fills.
pub(crate) struct Scratch {
    /// Every needle in the range [`Matcher::index`] indexed last, in order
    /// of position, and the first one the scan has not passed.
    occurrences: Vec<Occurrence>,
    indexed: std::ops::Range<usize>,
    next: usize,
    /// The candidate patterns of the current line.
    candidates: Vec<usize>,
    /// Per pattern with groups: where its groups matched last, by its
    /// regex or by its anchored search (with that search's state).
    locations: Vec<Option<regex::CaptureLocations>>,
    prefixed: Vec<Option<(PrefixCache, Slots)>>,
}

/// Where a pattern's groups matched, as either search reports them, with
/// the search that knows their names.
enum Groups<'a> {
    Locations(&'a regex::CaptureLocations, &'a regex::Regex),
    Slots(&'a Slots, &'a PrefixCaptures),
}

impl Groups<'_> {
    /// The start and end of group `i`, if it took part in the match.
    fn get(&self, i: usize) -> Option<(usize, usize)> {
        match self {
            Groups::Locations(locations, _) => locations.get(i),
            Groups::Slots(slots, _) => {
                let start = slots.get(2 * i).copied().flatten()?;
                let end = slots.get(2 * i + 1).copied().flatten()?;
                Some((start.get(), end.get()))
            }
        }
    }

    /// The named groups that took part in the match, with their text in
    /// `message` (clipped).
    fn named(&self, message: &str) -> Captures {
        match self {
            Groups::Locations(_, regex) => self.named_in(regex.capture_names(), message),
            Groups::Slots(_, search) => self.named_in(search.names(), message),
        }
    }

    fn named_in<'n>(
        &self,
        names: impl Iterator<Item = Option<&'n str>>,
        message: &str,
    ) -> Captures {
        let mut captures = Captures::default();
        for (i, name) in names.enumerate() {
            if let (Some(name), Some((start, end))) = (name, self.get(i)) {
                captures.push(name, &clip::capture(&message[start..end]));
            }
        }
        captures
    }
}

impl Matcher {
    /// Scratch state for a scan of a new buffer with this matcher: one
    /// given back by an earlier scan when there is one (its search caches
    /// kept, its positions forgotten), else a fresh one.
    pub(crate) fn scratch(&self) -> Scratch {
        let spare = self.spare.lock().ok().and_then(|mut spare| spare.pop());
        match spare {
            Some(mut scratch) => {
                scratch.occurrences.clear();
                scratch.indexed = 0..0;
                scratch.next = 0;
                scratch
            }
            None => Scratch {
                occurrences: Vec::new(),
                indexed: 0..0,
                next: 0,
                candidates: Vec::new(),
                locations: vec![None; self.patterns.len()],
                prefixed: (0..self.patterns.len()).map(|_| None).collect(),
            },
        }
    }

    /// Keeps `scratch` for the next scan.
    pub(crate) fn give_back(&self, scratch: Scratch) {
        if let Ok(mut spare) = self.spare.lock() {
            spare.push(scratch);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::load::embedded_pack;

    fn embedded() -> Matcher {
        Matcher::new(Arc::new(embedded_pack()))
    }

    /// What matched (hits with their captures and spans, and whether an
    /// error-shaped word occurs), comparably.
    fn outcome(line: LineHits) -> String {
        format!("{:?} {}", line.hits, line.error_word)
    }

    #[test]
    fn needles_read_from_the_index_are_those_a_search_of_the_message_finds() {
        let lines = [
            "2025-10-23T08:57:55Z ERROR:app:No module named 'torch'",
            "2025-10-23T08:57:55Z INFO [run_id=ab12] Execution started",
            "worker-1 | Memory usage at 93% (rss=9000MB)",
            "plain line without anything of note",
            "Connection refused; then OOMKilled and an Error: boom",
            "xxNo module named 'numpy' (the needle straddles a cut)",
        ];
        let buf = lines.join("\n");
        let matcher = embedded();
        let mut scratch = matcher.scratch();
        matcher.index(buf.as_bytes(), 0, &mut scratch);
        let mut start = 0;
        for line in lines {
            // The whole line, and cuts of it that split needles: the index
            // must give only the needles wholly inside the slice.
            for (from, to) in [(0, line.len()), (3, line.len()), (0, 12), (5, 30), (0, 44)] {
                let to = to.min(line.len());
                let Some(message) = line.get(from..to) else {
                    continue;
                };
                let indexed = matcher.match_message(
                    message,
                    Some(start + from),
                    &mut Meta::default,
                    &mut scratch,
                );
                let searched =
                    matcher.match_message(message, None, &mut Meta::default, &mut scratch);
                assert_eq!(outcome(indexed), outcome(searched), "{message:?}");
            }
            start += line.len() + 1;
        }
        assert!(
            !matcher
                .match_message(lines[0], Some(0), &mut Meta::default, &mut scratch)
                .hits
                .is_empty(),
            "the index finds the module-not-found needle"
        );
    }
}
