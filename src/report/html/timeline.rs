//! The timeline of the HTML report: one lane per stream, marks placed over
//! the incident window. It is built from the report alone (its runs,
//! findings' evidence and unrecognised examples), so it is as bounded as the
//! report is, whatever the input's size.
//!
//! Marks, and how many there are (the browser test recounts them from the
//! JSON report by these rules):
//! - a milestone mark per milestone a listed run reached;
//! - a first-missing mark per listed run with a first missing milestone,
//!   where the run ended (the start of the next run of the same sequence,
//!   stream and correlation value, or the window's end);
//! - a stall band per stalled run, from its last milestone to that end;
//! - a restart mark per run whose stream already had an earlier listed run
//!   of the same sequence and correlation value (a run's stream: that of its
//!   first milestone; runs of different values, say run ids, are side by
//!   side, not restarts);
//! - a finding mark per evidence line of each finding, coloured by severity;
//! - an unrecognised mark per unrecognised-error shape, at its example.
//!
//! The axis is time when any placed line has a full timestamp: a line
//! without one takes the time of the stamped line before it in its input,
//! and lines of inputs with none are spread over the window in log order
//! (their lanes say so). With no timestamps at all the axis is log order.

use crate::rules::Severity;

use super::super::untrusted::Untrusted;
use super::super::view::{EvidenceView, ReportView};

/// What a mark shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Milestone,
    Missing,
    Stall,
    Restart,
    Finding(Severity),
    Unrecognised,
}

impl Kind {
    /// The filter name (`data-kind`) and CSS class suffix.
    pub(super) const fn name(self) -> &'static str {
        match self {
            Kind::Milestone => "milestone",
            Kind::Missing => "missing",
            Kind::Stall => "stall",
            Kind::Restart => "restart",
            Kind::Finding(_) => "finding",
            Kind::Unrecognised => "unrecognised",
        }
    }

    /// The kinds the marks filter offers (findings are filtered by severity).
    pub(super) const FILTERS: [&'static str; 5] = [
        Kind::Milestone.name(),
        Kind::Missing.name(),
        Kind::Stall.name(),
        Kind::Restart.name(),
        Kind::Unrecognised.name(),
    ];
}

/// Where an event sits before the axis is known.
type Key<'v, 'a> = (Option<i128>, &'v Untrusted<'a>, u64);

fn key<'v, 'a>(e: &'v EvidenceView<'a>) -> Key<'v, 'a> {
    (e.nanos, &e.path, e.line)
}

/// The stream a line belongs to: its origin, else its input.
fn stream<'v, 'a>(e: &'v EvidenceView<'a>) -> &'v Untrusted<'a> {
    e.origin.as_ref().unwrap_or(&e.path)
}

/// One mark, placed: `x` (and `until`, for a band) in 0..=1 of the window.
pub(super) struct Mark<'v, 'a> {
    pub kind: Kind,
    pub lane: usize,
    pub x: f64,
    pub until: Option<f64>,
    /// What it is (`Milestone reached: Worker ready`), untrusted parts escaped.
    pub label: String,
    /// The line it stands for, when it stands for one.
    pub line: Option<&'v EvidenceView<'a>>,
    /// The id of the element in the page that shows its evidence.
    pub target: String,
}

/// The axis the marks were placed on.
#[derive(Clone, Copy)]
pub(super) enum Axis {
    /// Nanoseconds since the epoch at the window's start and end.
    Time { start: i128, end: i128 },
    /// Log order: no timestamps to place by.
    Order,
}

/// The whole timeline.
pub(super) struct Timeline<'v, 'a> {
    pub lanes: Vec<&'v Untrusted<'a>>,
    /// Per lane: placed in log order on a time axis (its input has no timestamps).
    pub untimed_lanes: Vec<bool>,
    pub marks: Vec<Mark<'v, 'a>>,
    pub axis: Axis,
}

/// A mark before placing: at a line, or at a run's end (`None`: the window's end).
struct Pending<'v, 'a> {
    kind: Kind,
    lane: &'v Untrusted<'a>,
    at: Option<Key<'v, 'a>>,
    until: Option<Option<Key<'v, 'a>>>,
    label: String,
    line: Option<&'v EvidenceView<'a>>,
    target: String,
}

/// A listed run with the keys of its first and last milestones.
struct RunSpan<'v, 'a> {
    seq: usize,
    run: usize,
    lane: &'v Untrusted<'a>,
    /// The run's correlation value: runs of different values are separate
    /// runs side by side, not restarts of one another.
    key: Option<&'v Untrusted<'a>>,
    start: Key<'v, 'a>,
    last: Key<'v, 'a>,
}

/// Ids the page gives a run, a run's milestone, and a finding's evidence line.
pub(super) fn run_id(seq: usize, run: usize) -> String {
    format!("s{seq}-r{run}")
}
pub(super) fn step_id(seq: usize, run: usize, step: usize) -> String {
    format!("s{seq}-r{run}-m{step}")
}
pub(super) fn evidence_id(finding: usize, line: usize) -> String {
    format!("f{finding}-e{line}")
}
pub(super) fn unrecognised_id(index: usize) -> String {
    format!("u{index}")
}

impl<'v, 'a> Timeline<'v, 'a> {
    /// Builds the timeline of `report`.
    pub(super) fn of(report: &'v ReportView<'a>) -> Self {
        let mut pending = Vec::new();
        let mut spans = Vec::new();
        for (s, sequence) in report.sequences.iter().enumerate() {
            for (r, run) in sequence.runs.iter().enumerate() {
                let reached: Vec<_> = run
                    .steps
                    .iter()
                    .enumerate()
                    .filter_map(|(i, step)| step.at.as_ref().map(|e| (i, step, e)))
                    .collect();
                for (i, step, e) in &reached {
                    pending.push(Pending {
                        kind: Kind::Milestone,
                        lane: stream(e),
                        at: Some(key(e)),
                        until: None,
                        label: format!("Milestone reached: {}", step.title.html()),
                        line: Some(e),
                        target: step_id(s, r, *i),
                    });
                }
                let first = reached.iter().map(|(_, _, e)| *e).min_by_key(|e| key(e));
                let last = reached.iter().map(|(_, _, e)| *e).max_by_key(|e| key(e));
                if let (Some(first), Some(last)) = (first, last) {
                    spans.push(RunSpan {
                        seq: s,
                        run: r,
                        lane: stream(first),
                        key: run.key.as_ref(),
                        start: key(first),
                        last: key(last),
                    });
                }
            }
        }
        spans.sort_by(|a, b| (a.lane, a.seq, a.key, a.start).cmp(&(b.lane, b.seq, b.key, b.start)));
        let same = |a: &RunSpan, b: &RunSpan| (a.lane, a.seq, a.key) == (b.lane, b.seq, b.key);
        for (n, span) in spans.iter().enumerate() {
            let run = &report.sequences[span.seq].runs[span.run];
            let title = &report.sequences[span.seq].title;
            let next = spans.get(n + 1).filter(|next| same(next, span));
            let end = next.map(|next| next.start);
            let target = run_id(span.seq, span.run);
            if n > 0 && same(&spans[n - 1], span) {
                pending.push(Pending {
                    kind: Kind::Restart,
                    lane: span.lane,
                    at: Some(span.start),
                    until: None,
                    label: format!("Restart: a new run of {}", title.html()),
                    line: None,
                    target: target.clone(),
                });
            }
            if run.status == crate::analyze::RunStatus::Stalled {
                pending.push(Pending {
                    kind: Kind::Stall,
                    lane: span.lane,
                    at: Some(span.last),
                    until: Some(end),
                    label: format!("Stalled: {} stopped after its last milestone", title.html()),
                    line: None,
                    target: target.clone(),
                });
            }
            if let Some(missing) = &run.first_missing {
                let step = run.steps.iter().find(|s| &s.id == missing);
                let name = step.map_or(missing, |s| &s.title);
                pending.push(Pending {
                    kind: Kind::Missing,
                    lane: span.lane,
                    at: end,
                    until: None,
                    label: format!("First missing milestone: {}", name.html()),
                    line: None,
                    target,
                });
            }
        }
        for (f, finding) in report.findings.iter().enumerate() {
            for (i, e) in finding.evidence.iter().enumerate() {
                pending.push(Pending {
                    kind: Kind::Finding(finding.severity),
                    lane: stream(e),
                    at: Some(key(e)),
                    until: None,
                    label: format!(
                        "{} ({}): {}",
                        finding.severity,
                        finding.rule.html(),
                        finding.title.html()
                    ),
                    line: Some(e),
                    target: evidence_id(f, i),
                });
            }
        }
        for (u, shape) in report.unrecognised.iter().enumerate() {
            let e = &shape.example;
            pending.push(Pending {
                kind: Kind::Unrecognised,
                lane: stream(e),
                at: Some(key(e)),
                until: None,
                label: format!(
                    "Unrecognised error ×{}: {}",
                    shape.count,
                    shape.template.html()
                ),
                line: Some(e),
                target: unrecognised_id(u),
            });
        }
        place(pending)
    }
}

/// Gives a line without a timestamp of its own the time of the nearest
/// stamped line before it in the same input (after it, when none is before),
/// as the scan orders such lines.
fn inherit<'v, 'a>(k: Key<'v, 'a>, stamped: &[Key<'v, 'a>]) -> Key<'v, 'a> {
    if k.0.is_some() {
        return k;
    }
    let same = || stamped.iter().filter(|s| s.1 == k.1);
    let nanos = same()
        .filter(|s| s.2 <= k.2)
        .max_by_key(|s| s.2)
        .or_else(|| same().filter(|s| s.2 > k.2).min_by_key(|s| s.2))
        .and_then(|s| s.0);
    (nanos, k.1, k.2)
}

/// Chooses the axis and turns keys into positions: time when any line has a
/// timestamp (lines of inputs with none then spread over the window in log
/// order, their lanes saying so), else log order.
fn place<'v, 'a>(pending: Vec<Pending<'v, 'a>>) -> Timeline<'v, 'a> {
    let raw: Vec<Key> = pending
        .iter()
        .flat_map(|p| p.at.into_iter().chain(p.until.flatten()))
        .collect();
    let stamped: Vec<Key> = raw.iter().filter(|k| k.0.is_some()).copied().collect();
    let resolve = |k: Key<'v, 'a>| inherit(k, &stamped);
    let mut untimed: Vec<Key> = raw
        .iter()
        .map(|k| resolve(*k))
        .filter(|k| k.0.is_none())
        .collect();
    untimed.sort();
    untimed.dedup();
    let times = stamped.iter().filter_map(|k| k.0);
    let axis = match (times.clone().min(), times.max()) {
        (Some(start), Some(end)) => Axis::Time { start, end },
        _ => Axis::Order,
    };
    let x = |at: Option<Key<'v, 'a>>| -> f64 {
        let Some(at) = at.map(resolve) else {
            return 1.0;
        };
        match (axis, at.0) {
            (Axis::Time { start, end }, Some(t)) if end > start => {
                ((t - start) as f64 / (end - start) as f64).clamp(0.0, 1.0)
            }
            (Axis::Time { .. }, Some(_)) => 0.5,
            _ => {
                let rank = untimed.binary_search(&at).unwrap_or_else(|i| i) as f64;
                let n = untimed.len() as f64;
                match axis {
                    Axis::Order if n > 1.0 => rank / (n - 1.0),
                    Axis::Order => 0.5,
                    Axis::Time { .. } => (rank + 1.0) / (n + 1.0),
                }
            }
        }
    };
    let in_log_order = |lane: &Untrusted| {
        matches!(axis, Axis::Time { .. })
            && pending
                .iter()
                .filter(|p| p.lane == lane)
                .filter_map(|p| p.at)
                .any(|k| resolve(k).0.is_none())
    };
    let mut lanes: Vec<&Untrusted> = Vec::new();
    let mut first_seen: Vec<(Option<Key>, usize)> = Vec::new();
    for p in &pending {
        if !lanes.contains(&p.lane) {
            lanes.push(p.lane);
        }
    }
    for (i, lane) in lanes.iter().enumerate() {
        let earliest = pending
            .iter()
            .filter(|p| p.lane == *lane)
            .filter_map(|p| p.at.map(resolve))
            .min();
        first_seen.push((earliest, i));
    }
    // Lanes top to bottom in the order their streams first show up.
    first_seen.sort();
    let order: Vec<&Untrusted> = first_seen.iter().map(|(_, i)| lanes[*i]).collect();
    let untimed_lanes = order.iter().map(|l| in_log_order(l)).collect();
    let marks = pending
        .into_iter()
        .map(|p| Mark {
            kind: p.kind,
            lane: order.iter().position(|l| *l == p.lane).unwrap_or(0),
            x: x(p.at),
            until: p.until.map(x),
            label: p.label,
            line: p.line,
            target: p.target,
        })
        .collect();
    Timeline {
        lanes: order,
        untimed_lanes,
        marks,
        axis,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unstamped_line_takes_the_time_of_the_stamped_line_before_it_in_its_input() {
        let (a, b) = (Untrusted::new("a.log"), Untrusted::new("b.log"));
        let stamped = [(Some(10), &a, 2), (Some(20), &a, 5), (Some(99), &b, 1)];
        assert_eq!(inherit((None, &a, 6), &stamped), (Some(20), &a, 6));
        assert_eq!(inherit((None, &a, 3), &stamped), (Some(10), &a, 3));
        // Before the first stamped line: the one after it.
        assert_eq!(inherit((None, &a, 1), &stamped), (Some(10), &a, 1));
        // Its own stamp wins; an input with none stays unstamped.
        assert_eq!(inherit((Some(5), &a, 6), &stamped), (Some(5), &a, 6));
        let c = Untrusted::new("c.log");
        assert_eq!(inherit((None, &c, 1), &stamped), (None, &c, 1));
    }
}
