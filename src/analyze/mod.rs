//! The analyze stage: a [`Summary`] becomes the report. Rule summaries
//! become findings, tracked runs become sequence reports, `causes:` links
//! separate root causes from symptoms (within a stream origin), and findings
//! are placed against the expected sequence.

pub mod model;
pub(crate) mod summary;
pub(crate) mod templates;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::rules::{RulePack, Severity};
pub use model::*;
use summary::{Mark, Order, RuleSummary, Run as Tracing, Summary, Tracked, correlation_value};

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
            if let Some(front) = &runs.front {
                // A restart after it closed it.
                let closed = runs.last.is_some() && !front.complete();
                views.push(view(key, front, closed));
            }
            if let Some(Tracked::Open(run)) = &runs.last {
                views.push(view(key, run, false));
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
        timestamp: mark.stamp.clone(),
        origin: mark.origin.clone(),
        traceback: mark.traceback.clone(),
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
pub(crate) fn analyze(pack: &RulePack, summary: &Summary, problems: Vec<InputProblem>) -> Report {
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
            first_seen: first.stamp.clone(),
            explanation: rule.explanation(&first.captures),
            captures: first.captures.iter().cloned().collect(),
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
    // Break mutual explanations (A explains B and B explains A): the earlier stays the cause.
    let resolved: HashMap<String, String> = explained_by
        .iter()
        .filter(|(symptom, cause)| {
            explained_by
                .get(*cause)
                .is_none_or(|back| back != *symptom || first_order(cause) < first_order(symptom))
        })
        .map(|(s, c)| (s.clone(), c.clone()))
        .collect();
    for finding in &mut findings {
        finding.explained_by = resolved.get(&finding.rule).cloned();
    }

    let sequence_reports = sequence_reports(pack, summary, &views, &stall_rules);

    // Root causes: unexplained findings that are, or explain, something of
    // severity error or worse; ranked stall window first, then severity, then
    // how much they explain, then earliest. A candidate matching the same line as a better-ranked one is
    // the same event seen by a second rule: it joins that cause's symptoms.
    let stall_set: BTreeSet<&String> = stall_rules.values().flatten().collect();
    let effective = |f: &Finding| {
        symptoms_of(&f.rule, &resolved, &findings)
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
        .filter(|(_, f)| f.explained_by.is_none())
        .map(|(i, f)| (i, effective(f)))
        .filter(|(_, s)| *s >= Severity::Error)
        .collect();
    candidates.sort_by_key(|&(i, severity)| {
        let f = &findings[i];
        (
            !stall_set.contains(&f.rule),
            std::cmp::Reverse(severity),
            std::cmp::Reverse(symptoms_of(&f.rule, &resolved, &findings).len()),
            first_order(&f.rule),
        )
    });
    let mut kept: Vec<(usize, Severity)> = Vec::new();
    let mut same_event: Vec<(usize, String)> = Vec::new();
    for (i, severity) in candidates {
        match kept
            .iter()
            .find(|(k, _)| findings[*k].first == findings[i].first)
        {
            Some((k, _)) => same_event.push((i, findings[*k].rule.clone())),
            None => kept.push((i, severity)),
        }
    }
    let mut resolved = resolved;
    for (i, cause) in same_event {
        resolved.insert(findings[i].rule.clone(), cause.clone());
        findings[i].explained_by = Some(cause);
    }
    let root_causes = kept
        .iter()
        .filter_map(|&(i, severity)| {
            let f = &findings[i];
            let rule = pack.rule(&f.rule)?;
            Some(RootCause {
                rule: f.rule.clone(),
                title: f.title.clone(),
                class: f.class.clone(),
                severity,
                explanation: f.explanation.clone(),
                evidence: f.evidence.clone(),
                chain: chain(&f.rule, &resolved, &findings, &sequence_reports),
                symptoms: symptoms_of(&f.rule, &resolved, &findings),
                in_stall_window: stall_set.contains(&f.rule),
                remediation: rule.remediation.clone(),
                references: rule.references.clone(),
            })
        })
        .collect::<Vec<_>>();

    let unrecognised = unrecognised_errors(summary);
    let mut root_causes = root_causes;
    if root_causes.is_empty()
        && let Some(cause) = unrecognised_cause(summary, &views, &sequence_reports)
    {
        root_causes.push(cause);
    }
    let stalled = sequence_reports
        .iter()
        .flat_map(|s| &s.runs)
        .any(|r| r.status == RunStatus::Stalled);
    let verdict_note = if root_causes.iter().any(|c| c.class == "unknown") {
        Some("no signature explains what happened; the root cause shown is the first unrecognised error where things went wrong".to_string())
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
    Report {
        root_causes,
        findings,
        sequences: sequence_reports,
        verdict_note,
        unrecognised,
        problems,
        stats,
    }
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

fn chain(
    cause: &str,
    resolved: &HashMap<String, String>,
    findings: &[Finding],
    sequences: &[SequenceReport],
) -> Vec<String> {
    let mut chain = vec![cause.to_string()];
    let mut current = cause.to_string();
    while let Some(next) = findings
        .iter()
        .find(|f| resolved.get(&f.rule) == Some(&current) && !chain.contains(&f.rule))
    {
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
        for runs in seq.keys.values() {
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
    let explained = stall_findings
        .iter()
        .any(|id| pack.rule(id).is_some_and(|r| r.severity >= Severity::Error));
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
        remediation: "No signature in the pack explains this error. Read the lines around it; \
            if it is the cause, add a signature for it (see rules/README.md) so that the next \
            report names it."
            .to_string(),
        references: Vec::new(),
    })
}
