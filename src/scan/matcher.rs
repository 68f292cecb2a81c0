//! The matcher: one Aho-Corasick prefilter over the required literals of every
//! rule and milestone pattern, then the patterns' regexes on candidates only.

use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind, Span, packed};

use crate::input::clip;
use crate::input::meta::Meta;
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
    pub captures: Vec<(String, String)>,
    /// Where the pattern matched in the message (for clipping long lines).
    pub span: std::ops::Range<usize>,
}

struct PatternRef {
    target: Target,
    index: usize,
}

/// Literals that make a raw line a candidate without belonging to a rule:
/// CRI partial-line tags, whose line must be joined with the next first.
pub const CRI_PARTIAL_TAGS: [&str; 2] = [" stdout P ", " stderr P "];

/// Literals (any case) of error-shaped lines, so that errors no rule knows
/// are looked at too: level words, exceptions, panics.
const ERROR_SHAPES: [&str; 5] = ["error", "fatal", "critical", "exception", "panic"];

/// Adds an [`Target::Unrecognised`] hit when no rule matched an
/// error-shaped message (`meta` is asked for only when the message may be one).
pub(crate) fn add_unrecognised(message: &str, hits: &mut Vec<Hit>, meta: &mut dyn FnMut() -> Meta) {
    if hits.iter().any(|h| matches!(h.target, Target::Rule(_))) {
        return;
    }
    let lower = message.as_bytes();
    let may_be = ERROR_SHAPES.iter().any(|shape| {
        lower
            .windows(shape.len())
            .any(|w| w.eq_ignore_ascii_case(shape.as_bytes()))
    });
    if may_be && error_shaped(message, meta().level) {
        hits.push(Hit {
            target: Target::Unrecognised,
            captures: Vec::new(),
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

/// An automaton over needles plus, per needle, the patterns needing it.
struct Prefilter {
    automaton: AhoCorasick,
    needles: Vec<String>,
    case_insensitive: bool,
    patterns_of: Vec<Vec<usize>>,
}

impl Prefilter {
    fn build(needles: Vec<(String, Vec<usize>)>, case_insensitive: bool) -> Option<Prefilter> {
        if needles.is_empty() {
            return None;
        }
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .ascii_case_insensitive(case_insensitive)
            .build(needles.iter().map(|(n, _)| n.as_bytes()))
            .ok()?;
        let (needles, patterns_of) = needles.into_iter().unzip();
        Some(Prefilter {
            automaton,
            needles,
            case_insensitive,
            patterns_of,
        })
    }
}

/// Most needles one SIMD (Teddy) searcher is given; past about this many its
/// fingerprints stop filtering and it degrades.
const PACKED_GROUP: usize = 64;

/// A searcher for the start of the next needle in a buffer, where the bulk
/// of scan time goes. Groups of at most [`PACKED_GROUP`] needles each get a
/// SIMD searcher where the CPU has one (about twice the speed of one big
/// automaton over hundreds of needles); otherwise the automaton is used.
enum Finder {
    Packed(packed::Searcher),
    Automaton(AhoCorasick),
}

impl Finder {
    /// The finders for a prefilter's needles.
    fn for_prefilter(prefilter: &Prefilter) -> Vec<Finder> {
        if !prefilter.case_insensitive {
            let groups: Option<Vec<Finder>> = prefilter
                .needles
                .chunks(PACKED_GROUP)
                .map(|group| packed::Searcher::new(group.iter()).map(Finder::Packed))
                .collect();
            if let Some(groups) = groups {
                return groups;
            }
        }
        vec![Finder::Automaton(prefilter.automaton.clone())]
    }

    fn find(&self, hay: &[u8], from: usize) -> Option<usize> {
        match self {
            Finder::Packed(searcher) => searcher.find_in(hay, Span::from(from..hay.len())),
            Finder::Automaton(automaton) => automaton.find(Input::new(hay).range(from..)),
        }
        .map(|m| m.start())
    }
}

/// Compiled matching state for a rule pack; cheap to share across threads.
pub struct Matcher {
    pub pack: Arc<RulePack>,
    patterns: Vec<PatternRef>,
    exact: Option<Prefilter>,
    folded: Option<Prefilter>,
    /// What finds candidate lines in a buffer (over the same needles).
    finders: Vec<Finder>,
    /// Patterns with no needle: checked on every line.
    always: Vec<usize>,
}

impl Matcher {
    pub fn new(pack: Arc<RulePack>) -> Matcher {
        let mut patterns = Vec::new();
        let mut exact: Vec<(String, Vec<usize>)> = CRI_PARTIAL_TAGS
            .iter()
            .map(|t| (t.to_string(), Vec::new()))
            .collect();
        let mut folded: Vec<(String, Vec<usize>)> = Vec::new();
        let mut always = Vec::new();
        let mut add = |target: Target, list: &[Pattern]| {
            for (index, pattern) in list.iter().enumerate() {
                let id = patterns.len();
                patterns.push(PatternRef { target, index });
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
                        Some((_, ids)) => ids.push(id),
                        None => table.push((text, vec![id])),
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
        for shape in ERROR_SHAPES {
            folded.push((shape.to_string(), Vec::new()));
        }
        let exact = Prefilter::build(exact, false);
        let folded = Prefilter::build(folded, true);
        let finders = [&exact, &folded]
            .into_iter()
            .flatten()
            .flat_map(Finder::for_prefilter)
            .collect();
        Matcher {
            exact,
            folded,
            finders,
            patterns,
            always,
            pack,
        }
    }

    /// Whether some pattern has no literal, so every line must be checked.
    pub fn checks_every_line(&self) -> bool {
        !self.always.is_empty()
    }

    /// Number of distinct literals in the prefilter (for `rules lint`).
    pub fn needle_counts(&self) -> (usize, usize) {
        let count = |p: &Option<Prefilter>| p.as_ref().map_or(0, |p| p.patterns_of.len());
        (count(&self.exact), count(&self.folded))
    }

    /// Start of the next candidate literal at or after `from`, given the
    /// positions already found (`cache`), so each automaton runs once per
    /// candidate rather than once per line.
    pub fn next_candidate(
        &self,
        hay: &[u8],
        from: usize,
        cache: &mut CandidateCache,
    ) -> Option<usize> {
        let mut next = None;
        cache.found.resize(self.finders.len(), None);
        for (slot, finder) in cache.found.iter_mut().zip(&self.finders) {
            let stale = match *slot {
                Some(Some(pos)) => pos < from,
                Some(None) => false,
                None => true,
            };
            if stale {
                *slot = Some(finder.find(hay, from));
            }
            if let Some(Some(pos)) = *slot {
                next = Some(next.map_or(pos, |n: usize| n.min(pos)));
            }
        }
        next
    }

    /// Every rule and milestone matching one message line. `meta` is asked
    /// for only when a candidate rule filters on level or service.
    pub fn match_message(&self, message: &str, meta: &mut dyn FnMut() -> Meta) -> Vec<Hit> {
        let mut candidates: Vec<usize> = self.always.clone();
        for prefilter in [&self.exact, &self.folded] {
            let Some(prefilter) = prefilter else { continue };
            for m in prefilter
                .automaton
                .find_overlapping_iter(message.as_bytes())
            {
                candidates.extend_from_slice(&prefilter.patterns_of[m.pattern().as_usize()]);
            }
        }
        if candidates.is_empty() {
            return Vec::new();
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut cached_meta: Option<Meta> = None;
        let mut hits: Vec<Hit> = Vec::new();
        for id in candidates {
            let PatternRef { target, index } = self.patterns[id];
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
            // Most candidates fail: `is_match` rejects them without
            // allocating the capture slots `captures` needs.
            if !pattern.regex.is_match(message) {
                continue;
            }
            let Some(caps) = pattern.regex.captures(message) else {
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
            let captures = pattern
                .regex
                .capture_names()
                .enumerate()
                .filter_map(|(i, name)| {
                    Some((name?.to_string(), clip::capture(caps.get(i)?.as_str())))
                })
                .collect();
            let span = caps.get(0).map_or(0..0, |m| m.range());
            hits.push(Hit {
                target,
                captures,
                span,
            });
        }
        hits.sort_by_key(|h| h.target);
        hits
    }
}

/// Positions found by each finder, reused while scanning one buffer:
/// `None` not searched yet, `Some(None)` no needle left.
#[derive(Default)]
pub struct CandidateCache {
    found: Vec<Option<Option<usize>>>,
}
