//! The analyze stage: a [`Summary`] becomes the report. Rule summaries
//! become findings, tracked runs become sequence reports, `causes:` links
//! separate root causes from symptoms (within a stream origin), and findings
//! are placed against the expected sequence.

pub mod model;
pub(crate) mod summary;
pub(crate) mod templates;
#[cfg(test)]
mod tests;
pub(crate) mod verdict;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::input::meta::Origin;
use crate::input::traceback::is_exception_line;
use crate::rules::{RulePack, Severity};
pub use model::*;
use summary::{
    Around, Context, KeyRuns, Mark, Order, RuleSummary, Run as Tracing, Summary, Tracked,
    correlation_value,
};

/// A run as the report sees it.
struct RunView<'a> {
    sequence: usize,
    key: &'a str,
    run: &'a Tracing,
    /// Closed by a restart before completing.
    restarted: bool,
}

impl RunView<'_> {
    fn last(&self) -> Order {
        self.run.last_mark().order
    }

    /// The last step reached before `at` on the timeline.
    fn last_reached_before(&self, at: Order) -> Option<usize> {
        (0..self.run.steps.len())
            .rev()
            .find(|&s| self.run.mark(s).is_some_and(|m| m.order < at))
    }

    /// The first step not yet reached at `at`.
    fn first_missing_at(&self, at: Order) -> Option<usize> {
        let entry = self.run.entry();
        (entry..self.run.steps.len()).find(|&s| self.run.mark(s).is_none_or(|m| m.order > at))
    }

    /// Whether something at `at` falls after the run's last milestone (where a stall lives).
    fn stalled_at(&self, at: Order) -> bool {
        at > self.last()
            || self.last_reached_before(at).is_some_and(|s| {
                (s + 1..self.run.steps.len())
                    .all(|later| self.run.mark(later).is_none_or(|m| m.order > at))
            })
    }
}

/// Every run the summary still holds, in start order per sequence.
fn run_views<'a>(summary: &'a Summary) -> Vec<RunView<'a>> {
    let mut views = Vec::new();
    for (&sequence, seq) in &summary.sequences {
        let view = |key: &'a str, run: &'a Tracing, restarted: bool| RunView {
            sequence,
            key,
            run,
            restarted,
        };
        for (key, runs) in &seq.keys {
            for segment in runs.segments() {
                if let Some(front) = &segment.front {
                    // A restart after it closed it.
                    let closed = segment.last.is_some() && !front.complete();
                    views.push(view(key, front, closed));
                }
                if let Some(Tracked::Open(run)) = &segment.last {
                    views.push(view(key, run, false));
                }
            }
        }
        for (_, key, run) in seq.sample_incomplete.iter().chain(&seq.sample_complete) {
            views.push(view(key, run, run.restarted));
        }
    }
    views.sort_by(|a, b| {
        (a.sequence, a.run.first(), a.key).cmp(&(b.sequence, b.run.first(), b.key))
    });
    views
}

/// Lines shown after the last milestone of a stall nothing explains.
fn evidence(summary: &Summary, mark: &Mark) -> Evidence {
    Evidence {
        path: path_of(summary, mark.order.input),
        line: mark.line,
        text: mark.text.clone(),
        timestamp: mark.stamp.as_ref().map(ToString::to_string),
        origin: mark.origin.clone(),
        traceback: mark.traceback.clone(),
        before: match mark.around.as_deref() {
            Some(Around {
                before: Some(lines),
                ..
            }) if mark.before.is_empty() => lines.clone(),
            _ => mark.before.clone(),
        },
        after: match mark.around.as_deref().map(|a| &a.after) {
            Some(Context::Lines(lines) | Context::Pending { got: lines, .. }) => lines.clone(),
            _ => Vec::new(),
        },
    }
}

fn path_of(summary: &Summary, input: u32) -> String {
    summary
        .inputs
        .get(&input)
        .map_or_else(String::new, |i| i.path.clone())
}

fn location(summary: &Summary, mark: &Mark) -> Location {
    Location {
        path: path_of(summary, mark.order.input),
        line: mark.line,
    }
}

/// Whether a rule match belongs to a run: the same correlation key when the
/// sequence has one, otherwise the same stream (the same named origin; for
/// logs that name none, the same file, or two files with timestamps), and
/// no earlier than the run's first milestone.
fn in_scope(pack: &RulePack, view: &RunView, mark: &Mark) -> bool {
    if mark.order < view.run.first() {
        return false;
    }
    let spec = &pack.sequences[view.sequence];
    if let Some(name) = &spec.correlate {
        return correlation_value(name, &mark.captures, &mark.text) == Some(view.key);
    }
    let first = view
        .run
        .mark(view.run.entry())
        .unwrap_or_else(|| view.run.last_mark());
    if !first.origin.is_empty() && !mark.origin.is_empty() {
        return first.origin == mark.origin;
    }
    first.order.input == mark.order.input
        || first.order.nanos.is_some() && mark.order.nanos.is_some()
}

/// Whether `cause` can explain `symptom`: in every stream origin the
/// symptom was seen in (a log that names no origin is one origin), the
/// cause was seen there too, no later. A symptom seen where its cause never
/// was stays unexplained: findings of other services are never linked.
fn linked_in_time(cause: &RuleSummary, symptom: &RuleSummary) -> bool {
    if cause.origins_overflow > 0 || symptom.origins_overflow > 0 {
        return cause.earliest().order <= symptom.latest().order;
    }
    symptom.origins.iter().all(|(origin, seen)| {
        cause
            .origins
            .get(origin)
            .is_some_and(|span| span.first <= seen.last)
    })
}

/// Builds the report from a summary. `problems` are the inputs that could
/// not be (fully) read or were skipped.
pub(crate) fn analyze(
    pack: &RulePack,
    summary: &Summary,
    mut problems: Vec<InputProblem>,
) -> Report {
    if summary.unplaced > 0 {
        let s = if summary.unplaced == 1 { "" } else { "es" };
        problems.push(InputProblem {
            path: "<window>".to_string(),
            message: format!(
                "{} match{s} left out of the --since/--until window: no full date on the line or before it in its stream",
                summary.unplaced
            ),
            kind: ProblemKind::Skipped,
        });
    }
    // Runs held for a merge with an earlier piece are closed: this is all.
    let summary = &summary.finished();
    let views = run_views(summary);
    let run_number = |r: usize| {
        views[..r]
            .iter()
            .filter(|v| v.sequence == views[r].sequence)
            .count()
            + 1
    };

    // Rules in timeline order of their first match.
    let mut rules: Vec<(usize, &RuleSummary)> =
        summary.rules.iter().map(|(&r, s)| (r, s)).collect();
    rules.sort_by_key(|(r, s)| (s.earliest().order, *r));

    let placements_of = |mark: &Mark| -> Vec<(usize, Placement)> {
        // Per sequence and key, only the latest run started before the match.
        let mut chosen: BTreeMap<(usize, &str), usize> = BTreeMap::new();
        for (r, view) in views.iter().enumerate() {
            if in_scope(pack, view, mark) {
                chosen.insert((view.sequence, view.key), r);
            }
        }
        let mut chosen: Vec<usize> = chosen.into_values().collect();
        chosen.sort_unstable();
        chosen
            .into_iter()
            .map(|r| {
                let view = &views[r];
                let spec = &pack.sequences[view.sequence];
                let name = |step: Option<usize>| step.map(|s| spec.milestones[s].id.clone());
                (
                    r,
                    Placement {
                        sequence: spec.id.clone(),
                        run: run_number(r),
                        after: name(view.last_reached_before(mark.order)),
                        before: name(view.first_missing_at(mark.order)),
                    },
                )
            })
            .collect()
    };

    // Findings, first seen first.
    let mut findings: Vec<Finding> = Vec::new();
    let mut stall_rules: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for &(r, seen) in &rules {
        let rule = &pack.rules[r];
        let first = seen.earliest();
        let mut placements = Vec::new();
        for (v, placement) in placements_of(first) {
            let view = &views[v];
            if !view.run.complete() && placement.after.is_some() && view.stalled_at(first.order) {
                stall_rules.entry(v).or_default().insert(rule.id.clone());
            }
            placements.push(placement);
        }
        findings.push(Finding {
            rule: rule.id.clone(),
            title: rule.title.clone(),
            class: rule.class.clone(),
            severity: rule.severity,
            count: seen.count,
            first: location(summary, first),
            last: location(summary, seen.latest()),
            first_seen: first.stamp.as_ref().map(ToString::to_string),
            last_seen: seen.latest().stamp.as_ref().map(ToString::to_string),
            explanation: rule.explanation(first.captures.iter()),
            captures: first
                .captures
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect(),
            values: seen
                .values
                .iter()
                .filter(|(_, values)| values.len() > 1)
                .map(|(name, values)| (name.clone(), values.iter().cloned().collect()))
                .collect(),
            evidence: seen.first.iter().map(|m| evidence(summary, m)).collect(),
            explained_by: None,
            placements,
        });
    }
    let seen_of: HashMap<&str, &RuleSummary> = rules
        .iter()
        .map(|&(r, s)| (pack.rules[r].id.as_str(), s))
        .collect();
    let first_order = |id: &str| seen_of[id].earliest().order;
    let rule_of = |id: &str| pack.rule(id);
    let is_outcome = |id: &str| rule_of(id).is_some_and(|r| r.outcome);
    let severity_of = |id: &str| rule_of(id).map_or(Severity::Info, |r| r.severity);

    // Symptoms: a finding explained, through `causes:` links, by a finding
    // seen no later in the same stream origin.
    let mut explained_by: HashMap<String, String> = HashMap::new();
    for finding in &findings {
        let candidates = findings.iter().filter(|cause| {
            cause.rule != finding.rule
                && linked_in_time(seen_of[cause.rule.as_str()], seen_of[finding.rule.as_str()])
                && reaches(pack, &cause.rule, &finding.rule)
        });
        if let Some(cause) = candidates.min_by_key(|c| {
            (
                std::cmp::Reverse(direct(pack, &c.rule, &finding.rule)),
                first_order(&c.rule),
            )
        }) {
            explained_by.insert(finding.rule.clone(), cause.rule.clone());
        }
    }
    // Outcomes (how a process ended) no link explains: a symptom of the
    // nearest error-or-worse finding before them in their stream.
    for &(r, seen) in &rules {
        let rule = &pack.rules[r];
        if rule.outcome
            && !explained_by.contains_key(&rule.id)
            && let Some(cause) = outcome_cause(pack, summary, seen)
        {
            explained_by.insert(rule.id.clone(), pack.rules[cause].id.clone());
        }
    }
    let mut resolved = break_cycles(&explained_by, &first_order);
    // Links the causal chain does not follow: a warning that announced the
    // failure it is linked to (a precursor), and the findings of one
    // traceback event (its record, its header, a chain's first exception).
    let mut hidden: BTreeSet<String> = BTreeSet::new();
    for (warning, failure) in precursors(&findings, &resolved, &is_outcome) {
        resolved.remove(&failure);
        resolved.insert(warning.clone(), failure);
        hidden.insert(warning);
    }
    for (companion, with) in companions(&findings, &seen_of, &resolved, &severity_of, &is_outcome) {
        resolved.insert(companion.clone(), with);
        hidden.insert(companion);
    }
    // The rewrites above keep the links acyclic; this guarantees it.
    let mut resolved = break_cycles(&resolved, &first_order);
    for finding in &mut findings {
        finding.explained_by = resolved.get(&finding.rule).cloned();
    }

    let sequence_reports = sequence_reports(pack, summary, &views, &stall_rules);

    // Root causes: unexplained findings that are, or explain, something of
    // severity error or worse. Ranked: outcomes nothing explains last; then
    // the worst severity among the cause and what it explains, then how much
    // it explains, then whether it sits where a run stalled, then earliest.
    // The severity shown is the rule's own. A candidate matching the same
    // line as a better-ranked one is the same event seen by a second rule:
    // it joins that cause's symptoms.
    let stall_set: BTreeSet<&String> = stall_rules.values().flatten().collect();
    let candidates = rank_candidates(&findings, &resolved, &stall_set, &is_outcome, &first_order);
    let mut kept: Vec<usize> = Vec::new();
    let mut same_event: Vec<(usize, String)> = Vec::new();
    for i in candidates {
        match kept
            .iter()
            .position(|&k| findings[k].first == findings[i].first)
        {
            // A wrapper (class `unknown`) gives the lead to the rule that
            // names the failure on the same line, at the wrapper's rank.
            Some(at) if is_unknown(&findings[kept[at]]) && !is_unknown(&findings[i]) => {
                let wrapper = std::mem::replace(&mut kept[at], i);
                for (_, leader) in &mut same_event {
                    if *leader == findings[wrapper].rule {
                        leader.clone_from(&findings[i].rule);
                    }
                }
                same_event.push((wrapper, findings[i].rule.clone()));
            }
            Some(at) => same_event.push((i, findings[kept[at]].rule.clone())),
            None => kept.push(i),
        }
    }
    for (i, cause) in same_event {
        resolved.insert(findings[i].rule.clone(), cause.clone());
        hidden.insert(findings[i].rule.clone());
        findings[i].explained_by = Some(cause);
    }
    let root_causes = kept
        .iter()
        .filter_map(|&i| {
            let f = &findings[i];
            let rule = pack.rule(&f.rule)?;
            let unexplained_outcome = rule.outcome;
            let explanation = if unexplained_outcome {
                format!(
                    "{} (an outcome with no recorded cause: read the lines before it)",
                    f.explanation
                )
            } else {
                f.explanation.clone()
            };
            Some(RootCause {
                rule: f.rule.clone(),
                title: f.title.clone(),
                class: f.class.clone(),
                severity: f.severity,
                explanation,
                evidence: f.evidence.clone(),
                chain: chain(&f.rule, &resolved, &hidden, &findings, &sequence_reports),
                symptoms: symptoms_of(&f.rule, &resolved, &findings),
                in_stall_window: stall_set.contains(&f.rule),
                unexplained_outcome,
                remediation: rule.remediation.clone(),
                references: rule.references.clone(),
            })
        })
        .collect::<Vec<_>>();

    // Nothing a signature explains (no cause, or only process ends nothing
    // explains): the unrecognised error where things went wrong leads.
    let unrecognised = unrecognised_errors(summary);
    let mut root_causes = root_causes;
    if root_causes.iter().all(|c| c.unexplained_outcome)
        && let Some(cause) = unrecognised_cause(summary, &views, &sequence_reports)
    {
        root_causes.insert(0, cause);
    }
    let stalled = sequence_reports
        .iter()
        .flat_map(|s| &s.runs)
        .any(|r| r.status == RunStatus::Stalled);
    let verdict_note = if root_causes
        .first()
        .is_some_and(|c| c.rule.starts_with("unrecognised."))
    {
        Some("no signature explains what happened; the root cause shown is the first unrecognised error where things went wrong".to_string())
    } else if !root_causes.is_empty() && root_causes.iter().all(|c| c.unexplained_outcome) {
        Some("a process ended (exit, crash, back-off) and no signature explains why: see the lines before it".to_string())
    } else if root_causes.is_empty() && stalled {
        Some("a sequence stalled and no signature of severity error or above explains it; see the lines after its last milestone".to_string())
    } else if root_causes.is_empty() && !findings.is_empty() {
        Some("only findings below severity error: nothing here is presented as the root cause of an outage".to_string())
    } else {
        None
    };

    let stats = Stats {
        files: summary.inputs.len(),
        bytes: summary.inputs.values().map(|i| i.bytes).sum(),
        lines: summary.inputs.values().map(|i| i.lines).sum(),
        matches: summary.matches,
        rules: pack.rules.len(),
        elapsed_ms: None,
    };
    let verdict = verdict::verdict(
        pack,
        summary,
        &root_causes,
        verdict_note.as_deref(),
        &problems,
    );
    Report {
        verdict,
        root_causes,
        findings,
        sequences: sequence_reports,
        verdict_note,
        unrecognised,
        problems,
        stats,
    }
}

/// How far before an outcome its cause may be: on the timeline when both
/// lines have a timestamp, else in reading positions of the same input.
const OUTCOME_WINDOW_NANOS: i128 = 5 * 60 * 1_000_000_000;
const OUTCOME_WINDOW_POSITIONS: u64 = 2_000;

/// Whether `cause` (seen in `origin`) can explain an outcome at `at`: the
/// same stream (a log that names no origin: the same input, or two inputs
/// with timestamps), before it (or on its line: `RunContainerError: secret
/// "x" not found`) and within the window.
fn before_within_window(origin: &Origin, cause: Order, at: Order) -> bool {
    if cause > at {
        return false;
    }
    let same_input = cause.input == at.input;
    if origin.is_empty() && !same_input && (cause.nanos.is_none() || at.nanos.is_none()) {
        return false;
    }
    match (cause.nanos, at.nanos) {
        (Some(c), Some(a)) => a - c <= OUTCOME_WINDOW_NANOS,
        // No stamp sorts first, so the cause may sit later in the input.
        _ => {
            same_input
                && at
                    .pos
                    .checked_sub(cause.pos)
                    .is_some_and(|d| d <= OUTCOME_WINDOW_POSITIONS)
        }
    }
}

/// The nearest match of an error-or-worse rule that is not itself an
/// outcome, before `at` in stream `origin` and within the window: the
/// latest such sighting the summary knows of (the first and last per
/// origin, and the sampled matches), with its rule.
fn nearest_cause(
    pack: &RulePack,
    summary: &Summary,
    origin: &Origin,
    at: Order,
) -> Option<(Order, usize)> {
    summary
        .rules
        .iter()
        .filter(|&(&r, _)| !pack.rules[r].outcome && pack.rules[r].severity >= Severity::Error)
        .filter_map(|(&r, seen)| {
            let spans = seen
                .origins
                .get(origin)
                .into_iter()
                .flat_map(|span| [span.first, span.last]);
            let sampled = seen
                .first
                .iter()
                .chain(&seen.last)
                .filter(|m| &m.origin == origin)
                .map(|m| m.order);
            spans
                .chain(sampled)
                .filter(|&order| before_within_window(origin, order, at))
                .max()
                .map(|order| (order, r))
        })
        // The latest sighting; on a tie (one line, two rules) the rule
        // listed first in the pack.
        .max_by_key(|&(order, r)| (order, std::cmp::Reverse(r)))
}

/// What explains an outcome finding: the error-or-worse finding nearest
/// before its first sighting, in that sighting's stream and within the
/// window. Findings are told by their first match, and so is this link;
/// later sightings in other streams (a Heroku router's `H10 App crashed`
/// for the dyno that crashed) go with it.
fn outcome_cause(pack: &RulePack, summary: &Summary, seen: &RuleSummary) -> Option<usize> {
    let earliest = seen.earliest();
    nearest_cause(pack, summary, &earliest.origin, earliest.order).map(|(_, rule)| rule)
}

/// Breaks explanation cycles (A explains B and B explains A, or longer
/// loops, which would leave every member explained and none a cause): in
/// each cycle the member seen first stays the cause (its own link is
/// dropped).
fn break_cycles(
    explained_by: &HashMap<String, String>,
    first_order: &dyn Fn(&str) -> Order,
) -> HashMap<String, String> {
    let mut resolved = explained_by.clone();
    let mut symptoms: Vec<&String> = explained_by.keys().collect();
    symptoms.sort();
    for start in symptoms {
        let mut path: Vec<String> = vec![start.clone()];
        while let Some(next) = resolved.get(path.last().expect("non-empty")) {
            if let Some(at) = path.iter().position(|p| p == next) {
                let first = path[at..]
                    .iter()
                    .min_by_key(|id| (first_order(id), id.as_str()))
                    .expect("a cycle has members")
                    .clone();
                resolved.remove(&first);
                break;
            }
            path.push(next.clone());
        }
    }
    resolved
}

/// Warnings that announce a failure rather than cause a different one: an
/// unexplained warning (not an outcome) that explains a failure of severity
/// error or worse of its own class. The failure then leads and the warning
/// is listed with it (memory at 85% before the OOM kill, a `redis://` URL
/// to a TLS-only host before the reset). Returns (warning, failure) pairs.
fn precursors(
    findings: &[Finding],
    resolved: &HashMap<String, String>,
    is_outcome: &dyn Fn(&str) -> bool,
) -> Vec<(String, String)> {
    findings
        .iter()
        .filter(|w| {
            w.severity < Severity::Error && !is_outcome(&w.rule) && !resolved.contains_key(&w.rule)
        })
        .filter_map(|w| {
            findings
                .iter()
                .find(|e| {
                    resolved.get(&e.rule) == Some(&w.rule)
                        && e.severity >= Severity::Error
                        && e.class == w.class
                        && !is_outcome(&e.rule)
                })
                .map(|e| (w.rule.clone(), e.rule.clone()))
        })
        .collect()
}

/// How a line belongs to the event a traceback's exception line ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InEvent {
    /// The log record that printed the traceback, or an earlier exception
    /// of a chain: a line of its own that can lead the event.
    Peer,
    /// Any other line of the traceback (its header, a frame, a source
    /// line): never more than part of the exception's event.
    Part,
}

/// Whether `line` belongs to the event that `tail` (the exception line of
/// a traceback) ends: the same stream and input, and one of the lines the
/// traceback spans, or the log record right before them that printed it
/// (`logger.warning(..., exc_info=True)`: the traceback's lines inherit
/// its timestamp).
fn in_event_of(line: &Mark, tail: &Mark) -> Option<InEvent> {
    let span = tail.traceback.len() as u64;
    if span == 0 || line.origin != tail.origin || line.order.input != tail.order.input {
        return None;
    }
    let inside = if is_exception_line(&line.text) {
        InEvent::Peer
    } else {
        InEvent::Part
    };
    // One JSON event holding a whole traceback: one record, one position.
    if line.order.pos == tail.order.pos && line.line == tail.line {
        return Some(inside);
    }
    if line.order.pos >= tail.order.pos {
        return None;
    }
    let back = tail.order.pos - line.order.pos;
    // The record is the line right before the traceback's header. Its
    // traceback lines inherit its timestamp, or, when a wrapper stamps every
    // line (kubectl --timestamps, Heroku), carry one within a second of it.
    let same_time = match (tail.stamp.is_some(), line.order.nanos, tail.order.nanos) {
        (false, a, b) => a == b,
        (true, Some(a), Some(b)) => (b - a).abs() <= 1_000_000_000,
        (true, _, _) => false,
    };
    let record = back == span && line.stamp.is_some() && same_time;
    if back < span {
        Some(inside)
    } else if record {
        Some(InEvent::Peer)
    } else {
        None
    }
}

/// Whether a finding's class says nothing about the failure (a wrapper such
/// as `Unrecoverable error:` or a bare traceback header).
fn is_unknown(f: &Finding) -> bool {
    f.class == "unknown"
}

/// Findings that are one event with another: a traceback's exception line,
/// the record it was printed with and the lines inside it (its header, its
/// frames and source lines, the first exception of a chain). A frame or
/// source line joins the exception. Otherwise, when one of the two is
/// explained, the other joins it; else a known class leads over a wrapper
/// of class `unknown`, then the more severe, then the record, or the first
/// exception of a chain (the cause). Returns (joining, joined) pairs.
fn companions(
    findings: &[Finding],
    seen_of: &HashMap<&str, &RuleSummary>,
    resolved: &HashMap<String, String>,
    severity_of: &dyn Fn(&str) -> Severity,
    is_outcome: &dyn Fn(&str) -> bool,
) -> Vec<(String, String)> {
    // Whether `from` is explained, link by link, by `to`.
    let explained_through = |from: &str, to: &str| {
        let mut at = from;
        for _ in 0..=resolved.len() {
            match resolved.get(at) {
                Some(next) if next == to => return true,
                Some(next) => at = next,
                None => return false,
            }
        }
        false
    };
    let mut pairs: Vec<(String, String)> = Vec::new();
    // The last exception of a chained traceback first: it spans the others.
    let mut tails: Vec<&Finding> = findings.iter().collect();
    tails.sort_by_key(|f| std::cmp::Reverse(seen_of[f.rule.as_str()].earliest().order));
    for tail in tails {
        let tail_mark = seen_of[tail.rule.as_str()].earliest();
        for line in findings {
            // Outcomes have their own links; a line saying how a process
            // ended neither prints a traceback nor belongs to one.
            if line.rule == tail.rule || is_outcome(&line.rule) || is_outcome(&tail.rule) {
                continue;
            }
            let Some(relation) = in_event_of(seen_of[line.rule.as_str()].earliest(), tail_mark)
            else {
                continue;
            };
            // Each finding joins one other at most, and never one that
            // (through others) joined it.
            let target = |id: &str| pairs.iter().find(|(a, _)| a == id).map(|(_, b)| b.as_str());
            let reaches = |from: &str, to: &str| {
                let mut at = from;
                for _ in 0..=pairs.len() {
                    match target(at) {
                        Some(next) if next == to => return true,
                        Some(next) => at = next,
                        None => return false,
                    }
                }
                false
            };
            if target(&line.rule).is_some() && target(&tail.rule).is_some() {
                continue;
            }
            let tail_leads = if relation == InEvent::Part {
                // A frame or source line is part of the exception's event.
                if resolved.contains_key(&line.rule) || target(&line.rule).is_some() {
                    continue;
                }
                true
            } else {
                let tail_leads = match (
                    resolved.contains_key(&line.rule),
                    resolved.contains_key(&tail.rule),
                ) {
                    (true, true) => continue,
                    (true, false) => false,
                    (false, true) => true,
                    (false, false) => match (is_unknown(line), is_unknown(tail)) {
                        (true, false) => true,
                        (false, true) => false,
                        _ => severity_of(&tail.rule) > severity_of(&line.rule),
                    },
                };
                // The one that already joined something cannot lead a
                // second time round; the other joins it.
                match (target(&line.rule), target(&tail.rule)) {
                    (Some(_), None) => false,
                    (None, Some(_)) => true,
                    _ => tail_leads,
                }
            };
            let (joining, joined) = if tail_leads {
                (&line.rule, &tail.rule)
            } else {
                (&tail.rule, &line.rule)
            };
            if target(joining).is_some()
                || reaches(joined, joining)
                || explained_through(joined, joining)
            {
                continue;
            }
            pairs.push((joining.clone(), joined.clone()));
        }
    }
    pairs
}

/// Root-cause candidates, best first: unexplained findings that are, or
/// explain, something of severity error or worse.
fn rank_candidates(
    findings: &[Finding],
    resolved: &HashMap<String, String>,
    stall_set: &BTreeSet<&String>,
    is_outcome: &dyn Fn(&str) -> bool,
    first_order: &dyn Fn(&str) -> Order,
) -> Vec<usize> {
    let effective = |f: &Finding| {
        symptoms_of(&f.rule, resolved, findings)
            .iter()
            .filter_map(|s| findings.iter().find(|g| &g.rule == s))
            .map(|g| g.severity)
            .chain([f.severity])
            .max()
            .unwrap_or(f.severity)
    };
    let mut candidates: Vec<(usize, Severity)> = findings
        .iter()
        .enumerate()
        .filter(|(_, f)| !resolved.contains_key(&f.rule))
        .map(|(i, f)| (i, effective(f)))
        .filter(|(_, s)| *s >= Severity::Error)
        .collect();
    candidates.sort_by_key(|&(i, severity)| {
        let f = &findings[i];
        (
            is_outcome(&f.rule),
            std::cmp::Reverse(severity),
            std::cmp::Reverse(symptoms_of(&f.rule, resolved, findings).len()),
            !stall_set.contains(&f.rule),
            first_order(&f.rule),
        )
    });
    candidates.into_iter().map(|(i, _)| i).collect()
}

fn direct(pack: &RulePack, cause: &str, symptom: &str) -> bool {
    pack.rule(cause)
        .is_some_and(|r| r.causes.iter().any(|c| c == symptom))
}

/// Whether `cause` reaches `symptom` through `causes:` links (also through
/// rules that did not match).
fn reaches(pack: &RulePack, cause: &str, symptom: &str) -> bool {
    let mut stack = vec![cause.to_string()];
    let mut seen = BTreeSet::new();
    while let Some(id) = stack.pop() {
        if !seen.insert(id.clone()) {
            continue;
        }
        let Some(rule) = pack.rule(&id) else { continue };
        for next in &rule.causes {
            if next == symptom {
                return true;
            }
            stack.push(next.clone());
        }
    }
    false
}

fn symptoms_of(
    cause: &str,
    resolved: &HashMap<String, String>,
    findings: &[Finding],
) -> Vec<String> {
    let mut out = Vec::new();
    let mut frontier = vec![cause.to_string()];
    while let Some(current) = frontier.pop() {
        for finding in findings {
            if resolved.get(&finding.rule) == Some(&current) && !out.contains(&finding.rule) {
                out.push(finding.rule.clone());
                frontier.push(finding.rule.clone());
            }
        }
    }
    out
}

/// The causal chain from a root cause: each step the first finding it
/// explains, not following `hidden` links (precursors, same events).
fn chain(
    cause: &str,
    resolved: &HashMap<String, String>,
    hidden: &BTreeSet<String>,
    findings: &[Finding],
    sequences: &[SequenceReport],
) -> Vec<String> {
    let mut chain = vec![cause.to_string()];
    let mut current = cause.to_string();
    while let Some(next) = findings.iter().find(|f| {
        resolved.get(&f.rule) == Some(&current)
            && !chain.contains(&f.rule)
            && !hidden.contains(&f.rule)
    }) {
        chain.push(next.rule.clone());
        current = next.rule.clone();
    }
    for sequence in sequences {
        for run in &sequence.runs {
            if run.status == RunStatus::Stalled
                && chain.iter().any(|id| run.stall_findings.contains(id))
            {
                if let Some(missing) = &run.first_missing {
                    let step = run
                        .steps
                        .iter()
                        .find(|s| &s.id == missing)
                        .map_or(missing.as_str(), |s| s.title.as_str());
                    chain.push(format!("{}: {} missing", sequence.id, step));
                }
                return chain;
            }
        }
    }
    chain
}

fn sequence_reports(
    pack: &RulePack,
    summary: &Summary,
    views: &[RunView],
    stall_rules: &BTreeMap<usize, BTreeSet<String>>,
) -> Vec<SequenceReport> {
    // Some rule of severity error or worse matched at or after a point.
    let error_at_or_after = |at: Order| {
        summary
            .rules
            .iter()
            .any(|(&r, s)| pack.rules[r].severity >= Severity::Error && s.latest().order >= at)
    };
    // The input went on for as long again after the run's last milestone.
    let early_in_input = |view: &RunView| {
        let last = view.last();
        summary
            .inputs
            .get(&last.input)
            .is_some_and(|i| view.run.last_mark().line.saturating_mul(2) < i.lines)
    };
    let mut reports: Vec<(Option<Order>, SequenceReport)> = Vec::new();
    for (&sequence, seq) in &summary.sequences {
        let spec = &pack.sequences[sequence];
        let mut total = seq.completed + seq.restarted + seq.untracked;
        let mut completed = seq.completed;
        for runs in seq.keys.values().flat_map(KeyRuns::segments) {
            if let Some(front) = &runs.front {
                total += 1;
                completed += u64::from(front.complete());
            }
            match &runs.last {
                Some(Tracked::Done { .. }) => {
                    total += 1;
                    completed += 1;
                }
                Some(Tracked::Open(_)) => total += 1,
                None => {}
            }
        }
        // Runs sampled when they completed are counted where their key is.
        let mut candidates: Vec<(usize, RunStatus)> = views
            .iter()
            .enumerate()
            .filter(|(_, v)| v.sequence == sequence)
            .map(|(r, view)| {
                let status = if view.run.complete() {
                    RunStatus::Completed
                } else if view.run.first_missing().is_none() {
                    // Picked up after its first step and every step since
                    // reached: nothing says it stopped short, nor that it
                    // completed.
                    RunStatus::Running
                } else if view.restarted
                    || stall_rules.get(&r).is_some_and(|s| !s.is_empty())
                    || error_at_or_after(view.last())
                    || early_in_input(view)
                {
                    RunStatus::Stalled
                } else {
                    RunStatus::Running
                };
                (r, status)
            })
            .collect();
        // Stable: incomplete runs first, each group in start order.
        candidates.sort_by_key(|(_, status)| *status == RunStatus::Completed);
        candidates.truncate(MAX_RUNS_SHOWN);
        candidates.sort_by_key(|(r, _)| *r);
        let started = candidates.first().map(|&(r, _)| views[r].run.first());
        reports.push((
            started,
            SequenceReport {
                id: spec.id.clone(),
                title: spec.title.clone(),
                total_runs: total,
                completed_runs: completed,
                runs: candidates
                    .into_iter()
                    .map(|(r, status)| {
                        run_report(pack, summary, &views[r], status, stall_rules.get(&r))
                    })
                    .collect(),
            },
        ));
    }
    // Sequences in the order their first run started.
    reports.sort_by_key(|(started, _)| *started);
    reports.into_iter().map(|(_, report)| report).collect()
}

/// The report of one run, with the lines that followed its stall when no
/// finding explains it.
fn run_report(
    pack: &RulePack,
    summary: &Summary,
    view: &RunView,
    status: RunStatus,
    stall_rules: Option<&BTreeSet<String>>,
) -> Run {
    let spec = &pack.sequences[view.sequence];
    let run = view.run;
    let stall_findings: Vec<String> = stall_rules
        .map(|s| s.iter().cloned().collect())
        .unwrap_or_default();
    // An exit or crash after the last milestone says the run stopped, not why.
    let explained = stall_findings.iter().any(|id| {
        pack.rule(id)
            .is_some_and(|r| r.severity >= Severity::Error && !r.outcome)
    });
    let unexplained_stall = if status == RunStatus::Stalled && !explained {
        let last = run.last_mark();
        let path = path_of(summary, last.order.input);
        run.context()
            .iter()
            .zip(last.line + 1..)
            .map(|(text, line)| Evidence {
                path: path.clone(),
                line,
                text: text.clone(),
                timestamp: None,
                origin: last.origin.clone(),
                traceback: Vec::new(),
                before: Vec::new(),
                after: Vec::new(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let id = |step: usize| spec.milestones[step].id.clone();
    Run {
        key: Some(view.key.to_string()),
        reached: (0..spec.milestones.len())
            .filter(|&s| run.mark(s).is_some())
            .map(id)
            .collect(),
        first_missing: run.first_missing().map(id),
        out_of_order: run.out_of_order().into_iter().map(id).collect(),
        status,
        steps: spec
            .milestones
            .iter()
            .enumerate()
            .map(|(s, m)| Step {
                id: m.id.clone(),
                title: m.title.clone(),
                at: run.mark(s).map(|mark| evidence(summary, mark)),
            })
            .collect(),
        stall_findings,
        unexplained_stall,
    }
}

/// Unrecognised errors shown in a report.
const UNRECOGNISED_SHOWN: usize = 10;

fn unrecognised_of(summary: &Summary, id: u64, group: &templates::Group) -> Unrecognised {
    Unrecognised {
        id: format!("{id:016x}"),
        template: group.text(),
        count: group.count,
        first: location(summary, &group.first),
        last: Location {
            path: path_of(summary, group.last.input),
            line: group.last_line,
        },
        origins: group
            .origins
            .iter()
            .filter(|o| !o.is_empty())
            .cloned()
            .collect(),
        example: evidence(summary, &group.first),
    }
}

/// The most frequent unrecognised error shapes.
fn unrecognised_errors(summary: &Summary) -> Vec<Unrecognised> {
    summary
        .unrecognised
        .ranked()
        .into_iter()
        .take(UNRECOGNISED_SHOWN)
        .map(|(id, group)| unrecognised_of(summary, id, group))
        .collect()
}

/// When no signature explains anything: the unrecognised error where
/// things went wrong. After a stalled run's last milestone, the first
/// unrecognised error there; otherwise the first unrecognised error of all.
fn unrecognised_cause(
    summary: &Summary,
    views: &[RunView],
    sequences: &[SequenceReport],
) -> Option<RootCause> {
    let groups = summary.unrecognised.ranked();
    let stalled_after: Option<Order> = sequences
        .iter()
        .flat_map(|s| &s.runs)
        .filter(|r| r.status == RunStatus::Stalled)
        .filter_map(|r| {
            views
                .iter()
                .find(|v| v.key == r.key.as_deref().unwrap_or_default() && !v.run.complete())
                .map(RunView::last)
        })
        .min();
    let in_window = stalled_after.and_then(|after| {
        groups
            .iter()
            .filter(|(_, g)| g.first.order > after)
            .min_by_key(|(_, g)| g.first.order)
    });
    let (id, group) = in_window.or_else(|| groups.iter().min_by_key(|(_, g)| g.first.order))?;
    let found = unrecognised_of(summary, *id, group);
    let rule = format!("unrecognised.{}", found.id);
    Some(RootCause {
        rule: rule.clone(),
        title: "Unrecognised error (no signature matches it)".to_string(),
        class: "unknown".to_string(),
        severity: Severity::Error,
        explanation: format!("{} (×{})", found.template, found.count),
        evidence: vec![found.example],
        symptoms: Vec::new(),
        chain: vec![rule],
        in_stall_window: in_window.is_some(),
        unexplained_outcome: false,
        remediation: "No signature in the pack explains this error. Read the lines around it; \
            if it is the cause, add a signature for it (see rules/README.md) so that the next \
            report names it."
            .to_string(),
        references: Vec::new(),
    })
}
