//! Required-literal extraction: for each pattern, a small set of literals such
//! that every match contains at least one of them. The scanner feeds these to
//! one Aho-Corasick automaton and confirms candidates with the full regex.

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

fn score(cover: &[Needle]) -> (usize, std::cmp::Reverse<usize>) {
    let shortest = cover.iter().map(|n| n.text.len()).min().unwrap_or(0);
    (shortest.min(8), std::cmp::Reverse(cover.len()))
}

fn better(a: Option<Vec<Needle>>, b: Option<Vec<Needle>>) -> Option<Vec<Needle>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if score(&b) > score(&a) { b } else { a }),
        (a, b) => a.or(b),
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
            let mut run = String::new();
            let mut run_folded = false;
            let flush = |run: &mut String, folded: &mut bool, best: &mut Option<Vec<Needle>>| {
                if !run.is_empty() {
                    let needle = Needle {
                        text: std::mem::take(run),
                        case_insensitive: *folded,
                    };
                    *best = better(best.take(), Some(vec![needle]));
                }
                *folded = false;
            };
            for sub in subs {
                match piece(sub) {
                    Piece::Text(text, folded) => {
                        run.push_str(&text);
                        run_folded |= folded;
                    }
                    Piece::Neutral => {}
                    Piece::Break => {
                        flush(&mut run, &mut run_folded, &mut best);
                        best = better(best, cover(sub));
                    }
                }
            }
            flush(&mut run, &mut run_folded, &mut best);
            best
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
