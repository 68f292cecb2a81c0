//! Required-literal extraction: for each pattern, a small set of literals such
//! that every match contains at least one of them. The scanner searches for
//! all of them at once (`scan::literals`) and confirms candidates with the
//! full regex.

use regex_syntax::hir::{Class, Hir, HirKind, Literal};

/// A literal the prefilter searches for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Needle {
    pub text: String,
    /// Matched ASCII-case-insensitively (from `(?i)` in the pattern).
    pub case_insensitive: bool,
}

/// The shortest literal worth prefiltering on; shorter covers mean the rule
/// is checked on every line.
pub const MIN_NEEDLE_LEN: usize = 3;

/// A cover: any match of the pattern contains one of these needles.
pub fn required_needles(hir: &Hir) -> Option<Vec<Needle>> {
    let cover = cover(hir)?;
    if cover.iter().all(|n| n.text.len() >= MIN_NEEDLE_LEN) {
        let mut cover = cover;
        cover.sort();
        cover.dedup();
        Some(cover)
    } else {
        None
    }
}

/// One piece of a concatenation run: text, possibly case-folded.
enum Piece {
    Text(String, bool),
    /// Zero-width or empty: does not break a literal run.
    Neutral,
    Break,
}

fn piece(hir: &Hir) -> Piece {
    match hir.kind() {
        HirKind::Literal(Literal(bytes)) => match std::str::from_utf8(bytes) {
            Ok(s) => Piece::Text(s.to_string(), false),
            Err(_) => Piece::Break,
        },
        HirKind::Class(class) => {
            folded_char(class).map_or(Piece::Break, |c| Piece::Text(c.to_string(), true))
        }
        HirKind::Look(_) | HirKind::Empty => Piece::Neutral,
        _ => Piece::Break,
    }
}

/// A class that is just one ASCII letter in both cases (plus the Unicode
/// folds `(?i)` adds, such as the Kelvin sign for `k`).
fn folded_char(class: &Class) -> Option<char> {
    let chars: Vec<char> = match class {
        Class::Unicode(u) => u.iter().flat_map(|r| r.start()..=r.end()).take(5).collect(),
        Class::Bytes(b) => b
            .iter()
            .flat_map(|r| r.start()..=r.end())
            .take(5)
            .map(char::from)
            .collect(),
    };
    let ascii: Vec<char> = chars.iter().copied().filter(char::is_ascii).collect();
    match ascii.as_slice() {
        [a, b] if a.is_ascii_alphabetic() && a.eq_ignore_ascii_case(b) && a != b => {
            Some(a.to_ascii_lowercase())
        }
        _ => None,
    }
}

/// Longer needles are rarer, up to this length; beyond it, fewer needles win.
const SCORE_LEN_CAP: usize = 12;
/// Most alternatives a concatenation's literal runs may multiply into: small
/// alternations (`HTTP (401|403)` → `HTTP 401`, `HTTP 403`) make needles far
/// more selective than the shared part alone. 32 lets a two-way choice, a
/// five-way one and the three ways a number may start multiply
/// (`[Mm]emory usage( at| is| above|:)? (8\d|9\d|100)%`).
const MAX_RUNS: usize = 32;

fn score(cover: &[Needle]) -> (usize, std::cmp::Reverse<usize>) {
    let shortest = cover.iter().map(|n| n.text.len()).min().unwrap_or(0);
    (shortest.min(SCORE_LEN_CAP), std::cmp::Reverse(cover.len()))
}

/// The better of two covers; on a tie the later one (`b`), because the
/// distinctive words of a log pattern usually follow its context keys
/// (`run_id=… PENDING`).
fn better(a: Option<Vec<Needle>>, b: Option<Vec<Needle>>) -> Option<Vec<Needle>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if score(&b) >= score(&a) { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// Every string `hir` can match, if that is a small finite set of plain
/// (case-sensitive) strings: literals, small ASCII classes, alternations,
/// `?` and concatenations of those.
fn exact_strings(hir: &Hir) -> Option<Vec<String>> {
    let set = match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => vec![String::new()],
        HirKind::Literal(Literal(bytes)) => vec![std::str::from_utf8(bytes).ok()?.to_string()],
        HirKind::Class(class) => small_class(class)?,
        HirKind::Capture(capture) => exact_strings(&capture.sub)?,
        HirKind::Repetition(rep) if rep.min == 0 && rep.max == Some(1) => {
            let mut set = exact_strings(&rep.sub)?;
            set.push(String::new());
            set
        }
        HirKind::Alternation(branches) => union(branches, exact_strings)?,
        HirKind::Concat(subs) => {
            let mut set = vec![String::new()];
            for sub in subs {
                set = cross(&set, &exact_strings(sub)?)?;
            }
            set
        }
        _ => return None,
    };
    (set.len() <= MAX_RUNS).then_some(set)
}

/// A few non-empty strings, one of which every match of `hir` starts with
/// (plain, case-sensitive text): the exact strings of its leading pieces,
/// then the first letters of the next piece when those are few
/// (`(?:8\d|9\d|100)` → `8`, `9`, `100`).
fn prefixes(hir: &Hir) -> Option<Vec<String>> {
    let set = match hir.kind() {
        HirKind::Capture(capture) => prefixes(&capture.sub)?,
        HirKind::Repetition(rep) if rep.min >= 1 => prefixes(&rep.sub)?,
        HirKind::Alternation(branches) => union(branches, prefixes)?,
        HirKind::Concat(subs) => {
            let mut set = vec![String::new()];
            for sub in subs {
                match exact_strings(sub) {
                    Some(exact) => set = cross(&set, &exact)?,
                    None => {
                        if let Some(next) = prefixes(sub) {
                            set = cross(&set, &next)?;
                        }
                        break;
                    }
                }
            }
            set
        }
        _ => exact_strings(hir)?,
    };
    (set.len() <= MAX_RUNS && set.iter().all(|s| !s.is_empty())).then_some(set)
}

/// The strings `of` gives for every branch, together (`None` if it gives
/// none for one of them).
fn union(branches: &[Hir], of: fn(&Hir) -> Option<Vec<String>>) -> Option<Vec<String>> {
    let mut set = Vec::new();
    for branch in branches {
        set.extend(of(branch)?);
    }
    Some(set)
}

/// The characters of a class of at most a few ASCII characters.
fn small_class(class: &Class) -> Option<Vec<String>> {
    let chars: Vec<char> = match class {
        Class::Unicode(u) => u
            .iter()
            .flat_map(|r| r.start()..=r.end())
            .take(MAX_RUNS + 1)
            .collect(),
        Class::Bytes(b) => b
            .iter()
            .flat_map(|r| r.start()..=r.end())
            .take(MAX_RUNS + 1)
            .map(char::from)
            .collect(),
    };
    (chars.len() <= 4 && chars.iter().all(char::is_ascii))
        .then(|| chars.iter().map(char::to_string).collect())
}

/// Every `a` followed by every `b`, unless that makes too many.
fn cross(a: &[String], b: &[String]) -> Option<Vec<String>> {
    if a.len() * b.len() > MAX_RUNS {
        return None;
    }
    let mut out: Vec<String> = a
        .iter()
        .flat_map(|x| b.iter().map(move |y| format!("{x}{y}")))
        .collect();
    out.sort();
    out.dedup();
    Some(out)
}

/// The literal runs of a concatenation being built: alternatives, any one of
/// which every match contains.
struct Runs {
    texts: Vec<String>,
    folded: bool,
}

impl Runs {
    fn new() -> Runs {
        Runs {
            texts: vec![String::new()],
            folded: false,
        }
    }

    /// Ends the runs: they are a cover if none is empty.
    fn flush(&mut self, best: &mut Option<Vec<Needle>>) {
        let texts = std::mem::replace(&mut self.texts, vec![String::new()]);
        if texts.iter().all(|t| !t.is_empty()) {
            let cover = texts
                .into_iter()
                .map(|text| Needle {
                    text,
                    case_insensitive: self.folded,
                })
                .collect::<Vec<_>>();
            *best = better(best.take(), Some(cover));
        }
        self.folded = false;
    }
}

fn cover(hir: &Hir) -> Option<Vec<Needle>> {
    match hir.kind() {
        HirKind::Literal(Literal(bytes)) => {
            let text = String::from_utf8_lossy(bytes).into_owned();
            Some(vec![Needle {
                text,
                case_insensitive: false,
            }])
        }
        HirKind::Class(class) => folded_char(class).map(|c| {
            vec![Needle {
                text: c.to_string(),
                case_insensitive: true,
            }]
        }),
        HirKind::Capture(capture) => cover(&capture.sub),
        HirKind::Repetition(rep) if rep.min >= 1 => cover(&rep.sub),
        HirKind::Alternation(branches) => {
            let mut all = Vec::new();
            for branch in branches {
                all.extend(cover(branch)?);
            }
            Some(all)
        }
        HirKind::Concat(subs) => {
            let mut best = None;
            let mut runs = Runs::new();
            for sub in subs {
                match piece(sub) {
                    Piece::Text(text, folded) => {
                        runs.texts.iter_mut().for_each(|t| t.push_str(&text));
                        runs.folded |= folded;
                    }
                    Piece::Neutral => {}
                    Piece::Break => {
                        // A small finite piece multiplies the runs (plain text only).
                        let product = if runs.folded {
                            None
                        } else {
                            exact_strings(sub).and_then(|set| cross(&runs.texts, &set))
                        };
                        match product {
                            Some(texts) => runs.texts = texts,
                            None => {
                                // The run ends here, but every match of the
                                // piece starts with one of a few strings: the
                                // run may end with them (`at (8\d|9\d)` →
                                // `at 8`, `at 9`), far more selective.
                                if !runs.folded
                                    && let Some(texts) =
                                        prefixes(sub).and_then(|set| cross(&runs.texts, &set))
                                {
                                    runs.texts = texts;
                                }
                                runs.flush(&mut best);
                                best = better(best, cover(sub));
                            }
                        }
                    }
                }
            }
            runs.flush(&mut best);
            best
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_authors_guide_states_the_threshold_lint_uses() {
        let guide = include_str!("../../rules/README.md");
        let stated = format!("a required literal of at least {MIN_NEEDLE_LEN} characters");
        assert!(
            guide.contains(&stated),
            "rules/README.md must say: {stated}"
        );
    }

    fn needles(pattern: &str) -> Option<Vec<String>> {
        let hir = regex_syntax::parse(pattern).ok()?;
        required_needles(&hir).map(|v| {
            v.into_iter()
                .map(|n| format!("{}{}", n.text, if n.case_insensitive { "/i" } else { "" }))
                .collect()
        })
    }

    #[test]
    fn picks_the_longest_run_of_a_concatenation() {
        assert_eq!(
            needles(r"No module named '(?P<m>[\w.]+)'"),
            Some(vec!["No module named '".into()])
        );
    }

    #[test]
    fn alternation_needs_a_needle_per_branch() {
        assert_eq!(
            needles(r"(OOMKilled|Killed by OOM)"),
            Some(vec!["Killed by OOM".into(), "OOMKilled".into()])
        );
        assert_eq!(needles(r"(OOMKilled|\d+)"), None);
    }

    #[test]
    fn case_insensitive_runs_are_marked() {
        assert_eq!(
            needles(r"(?i)connection refused"),
            Some(vec!["connection refused/i".into()])
        );
    }

    #[test]
    fn optional_parts_are_not_required() {
        assert_eq!(needles(r"(?:timeout)?\d+"), None);
        assert_eq!(needles(r"ab"), None, "too short to prefilter");
    }

    #[test]
    fn small_alternations_multiply_into_more_selective_needles() {
        assert_eq!(
            needles(r"HTTP (?P<status>401|403)\b"),
            Some(vec!["HTTP 401".into(), "HTTP 403".into()])
        );
        assert_eq!(
            needles(r"status[_ ]code"),
            Some(vec!["status code".into(), "status_code".into()])
        );
    }

    #[test]
    fn an_optional_piece_keeps_the_shorter_run_too() {
        assert_eq!(
            needles(r"pool(?:ed)? exhausted"),
            Some(vec!["pool exhausted".into(), "pooled exhausted".into()])
        );
    }

    #[test]
    fn products_stay_bounded() {
        // 6 × 6 alternatives is more than MAX_RUNS: the longest plain run wins.
        let found = needles(r"(a1|a2|a3|a4|a5|a6)(b1|b2|b3|b4|b5|b6) then Connection refused")
            .expect("a cover");
        assert_eq!(found, vec![" then Connection refused".to_string()]);
    }

    #[test]
    fn a_run_ends_with_the_few_ways_the_next_piece_can_start() {
        assert_eq!(
            needles(r"Memory usage at (?P<percent>8\d|9\d|100)%"),
            Some(vec![
                "Memory usage at 100".into(),
                "Memory usage at 8".into(),
                "Memory usage at 9".into(),
            ])
        );
        assert_eq!(
            needles(r"(?:Heap|heap) (?:at|is) (?:9\d|100)\.\d+%"),
            Some(vec![
                "Heap at 100".into(),
                "Heap at 9".into(),
                "Heap is 100".into(),
                "Heap is 9".into(),
                "heap at 100".into(),
                "heap at 9".into(),
                "heap is 100".into(),
                "heap is 9".into(),
            ])
        );
        // No prefix to add: a piece that may start with anything, or match
        // nothing at all.
        assert_eq!(
            needles(r"Memory usage at \d+%"),
            Some(vec!["Memory usage at ".into()])
        );
        assert_eq!(
            needles(r"Memory usage at (?:9\d)?%"),
            Some(vec!["Memory usage at ".into()])
        );
    }

    #[test]
    fn unicode_classes_are_not_expanded() {
        assert_eq!(
            needles(r"exit code \d+ after restart"),
            Some(vec![" after restart".into()])
        );
    }
}
