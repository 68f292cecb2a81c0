//! The reduce step: partials in, one scan out, exactly the scan of all
//! their inputs at once. Pieces are put in the order a single scan numbers
//! its inputs (sorted paths, byte ranges in file order) and merged in that
//! order, so the report is byte-identical to a single scan's whatever the
//! split; what the partials failed to cover, or covered twice, becomes an
//! error in the report.

use std::collections::BTreeMap;
use std::path::Path;

use super::partial::{Partial, PartialError, Piece};
use super::share::Share;
use crate::analyze::{InputProblem, ProblemKind};
use crate::engine::{Engine, Scan, finish};

impl Engine {
    /// Merges partials made with this engine's rule pack into the scan of
    /// all their inputs. Gaps and overlaps in what they cover (a shard
    /// missing, bytes of a file no range covered, an input scanned twice)
    /// are error problems of the scan; an input scanned twice is counted
    /// once. A partial made with another rule pack is refused.
    pub fn merge(&self, partials: Vec<Partial>) -> Result<Scan, PartialError> {
        let expected = self.pack().fingerprint();
        if let Some(other) = partials.iter().find(|p| p.pack() != expected) {
            return Err(PartialError::Pack {
                path: other.source.clone(),
                found: other.pack().to_string(),
                expected,
            });
        }
        Ok(merge(partials))
    }
}

/// A piece and the partial it came from.
struct Sourced {
    piece: Piece,
    source: String,
}

impl Sourced {
    /// Where a single scan puts it: stdin first, then paths in order, then
    /// ranges in file order.
    fn key(&self) -> (bool, &Path, u64, u64) {
        let range = self.piece.range.map_or((0, 0), |r| (r.start, r.end));
        (
            !self.piece.stdin,
            Path::new(&self.piece.path),
            range.0,
            range.1,
        )
    }
}

fn merge(partials: Vec<Partial>) -> Scan {
    let mut problems = shard_problems(&partials);
    let mut errors = Vec::new();
    let mut pieces = Vec::new();
    for partial in partials {
        errors.extend(partial.errors);
        pieces.extend(partial.pieces.into_iter().map(|piece| Sourced {
            piece,
            source: partial.source.clone(),
        }));
    }
    errors.sort_by(|a, b| (&a.path, &a.message).cmp(&(&b.path, &b.message)));
    errors.dedup();
    pieces.sort_by(|a, b| a.key().cmp(&b.key()));
    let pieces = drop_repeats(pieces, &mut problems);

    let mut scanned = Scan::default();
    let (mut read, mut number) = (0, 0u32);
    let mut previous: Option<(bool, String)> = None;
    for Sourced { mut piece, .. } in pieces {
        let input = (piece.stdin, piece.path.clone());
        if previous.as_ref().is_some_and(|p| *p != input) {
            number += 1;
        }
        previous = Some(input);
        read += usize::from(piece.read);
        piece.summary.shift_inputs(number);
        scanned.merge(Scan {
            summary: piece.summary,
            problems: piece.problems,
        });
    }
    let mut scan = finish(errors, scanned, read);
    scan.problems.extend(problems);
    scan
}

fn error(path: impl Into<String>, message: String) -> InputProblem {
    InputProblem {
        path: path.into(),
        message,
        kind: ProblemKind::Error,
    }
}

/// Drops pieces already covered (an input scanned whole twice, a range
/// given twice, ranges of an input also scanned whole), reporting each;
/// reports the gaps and overlaps of each file's ranges.
fn drop_repeats(pieces: Vec<Sourced>, problems: &mut Vec<InputProblem>) -> Vec<Sourced> {
    let mut by_input: Vec<Vec<Sourced>> = Vec::new();
    for sourced in pieces {
        match by_input.last_mut() {
            Some(group)
                if group[0].piece.path == sourced.piece.path
                    && group[0].piece.stdin == sourced.piece.stdin =>
            {
                group.push(sourced)
            }
            _ => by_input.push(vec![sourced]),
        }
    }
    let mut kept = Vec::new();
    for group in by_input {
        let path = group[0].piece.path.clone();
        let (whole, ranges): (Vec<Sourced>, Vec<Sourced>) =
            group.into_iter().partition(|s| s.piece.range.is_none());
        if let Some(first) = whole.first() {
            let others: Vec<&str> = whole[1..]
                .iter()
                .chain(&ranges)
                .map(|s| s.source.as_str())
                .collect();
            if !others.is_empty() {
                problems.push(error(
                    &path,
                    format!(
                        "covered more than once: whole by {} and again by {}; counted once",
                        first.source,
                        others.join(", ")
                    ),
                ));
            }
            kept.extend(whole.into_iter().take(1));
            continue;
        }
        kept.extend(check_ranges(&path, ranges, problems));
    }
    kept
}

/// The ranges of one file (sorted by start) less exact repeats, with a
/// problem for every gap, overlap and change of size.
fn check_ranges(
    path: &str,
    ranges: Vec<Sourced>,
    problems: &mut Vec<InputProblem>,
) -> Vec<Sourced> {
    let mut kept: Vec<Sourced> = Vec::new();
    let mut covered_to = 0;
    let size = ranges
        .iter()
        .filter_map(|s| s.piece.range)
        .map(|r| r.size)
        .max()
        .unwrap_or(0);
    for sourced in ranges {
        let Some(range) = sourced.piece.range else {
            continue;
        };
        if range.size != size {
            problems.push(error(
                path,
                format!(
                    "changed between scans: {} saw {} bytes, another partial {size}",
                    sourced.source, range.size
                ),
            ));
        }
        if let Some(same) = kept.last().filter(|k| {
            k.piece
                .range
                .is_some_and(|r| (r.start, r.end) == (range.start, range.end))
        }) {
            problems.push(error(
                path,
                format!(
                    "bytes {}-{} covered twice ({} and {}); counted once",
                    range.start, range.end, same.source, sourced.source
                ),
            ));
            continue;
        }
        if range.start > covered_to {
            problems.push(gap(path, covered_to, range.start, size));
        } else if range.start < covered_to && range.end > range.start {
            problems.push(error(
                path,
                format!(
                    "bytes {}-{} covered twice (by {} and an earlier range): the lines there are counted twice",
                    range.start,
                    covered_to.min(range.end),
                    sourced.source
                ),
            ));
        }
        covered_to = covered_to.max(range.end);
        kept.push(sourced);
    }
    if covered_to < size {
        problems.push(gap(path, covered_to, size, size));
    }
    kept
}

fn gap(path: &str, from: u64, to: u64, size: u64) -> InputProblem {
    error(
        path,
        format!(
            "bytes {from}-{to} (of {size}) are not covered by any partial: scan them with `faultline scan --partial OUT --range {from}-{to} {path}`"
        ),
    )
}

/// Shards missing, given twice, or of different splits; partials of one
/// split made from different paths.
fn shard_problems(partials: &[Partial]) -> Vec<InputProblem> {
    let mut problems = Vec::new();
    let mut splits: BTreeMap<u32, BTreeMap<u32, Vec<&str>>> = BTreeMap::new();
    let mut input_sets: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for partial in partials {
        if let Share::Shard(shard) = partial.share {
            splits
                .entry(shard.count)
                .or_default()
                .entry(shard.index)
                .or_default()
                .push(&partial.source);
            input_sets
                .entry(&partial.inputs.hash)
                .or_default()
                .push(&partial.source);
        }
    }
    if splits.len() > 1 {
        let counts: Vec<String> = splits.keys().map(u32::to_string).collect();
        problems.push(error(
            "shards",
            format!(
                "partials split the inputs into different numbers of shards ({}): merge the shards of one split",
                counts.join(", ")
            ),
        ));
    }
    if input_sets.len() > 1 {
        let sets: Vec<String> = input_sets.values().map(|s| s.join(", ")).collect();
        problems.push(error(
            "shards",
            format!(
                "shards were made from different paths ({}): give every shard the same PATH arguments",
                sets.join(" | ")
            ),
        ));
    }
    for (count, seen) in &splits {
        for index in 0..*count {
            let name = format!("shard {index}/{count}");
            match seen.get(&index).map(Vec::as_slice) {
                None => problems.push(error(
                    &name,
                    format!(
                        "missing: no partial covers it, so its inputs were not read; scan it with `faultline scan --partial OUT --shard {index}/{count} PATH...`"
                    ),
                )),
                Some([_]) => {}
                Some(sources) => problems.push(error(
                    &name,
                    format!("given more than once ({})", sources.join(", ")),
                )),
            }
        }
    }
    problems
}
