//! The analyze stage: matches become findings, milestone matches become
//! sequence runs, `causes:` links separate root causes from symptoms, and
//! findings are placed against the expected sequence.

pub mod model;
pub mod sequences;
pub mod timeline;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::input::source::lines_after;
use crate::rules::{RulePack, Severity};
use crate::scan::file::FileResult;
use crate::scan::{LineMatch, Target};
pub use model::*;
use sequences::RunTrace;
use timeline::Event;

/// Lines shown after the last milestone of a stall nothing explains.
const STALL_CONTEXT_LINES: usize = 8;
/// Evidence lines kept per finding.
const EVIDENCE_PER_FINDING: usize = 3;

fn evidence(event: &Event) -> Evidence {
    Evidence {
        path: event.path.to_string(),
        line: event.m.line,
        text: event.m.text.clone(),
        timestamp: event.m.meta.timestamp.as_ref().map(|t| t.text.clone()),
        traceback: event.m.traceback.clone(),
    }
}

/// Per-rule aggregation in timeline order.
struct Aggregate<'a> {
    rule: usize,
    events: Vec<(usize, &'a LineMatch)>,
}

/// Builds the report from scanned files.
pub fn analyze(pack: &RulePack, files: &[FileResult], mut problems: Vec<InputProblem>) -> Report {
    let events = timeline::build(files);
    let runs = sequences::trace(pack, &events);

    let mut aggregates: Vec<Aggregate> = Vec::new();
    let mut by_rule: HashMap<usize, usize> = HashMap::new();
    for (index, event) in events.iter().enumerate() {
        if let Target::Rule(rule) = event.m.target {
            let slot = *by_rule.entry(rule).or_insert_with(|| {
                aggregates.push(Aggregate {
                    rule,
                    events: Vec::new(),
                });
                aggregates.len() - 1
            });
            aggregates[slot].events.push((index, event.m));
        }
    }

    let placements_of = |event_index: usize, m: &LineMatch| -> Vec<(usize, Placement)> {
        // Per sequence and key, only the latest run started before the event.
        let mut chosen: HashMap<(usize, Option<&str>), usize> = HashMap::new();
        for (r, run) in runs.iter().enumerate() {
            if in_scope(pack, run, &events, event_index, m) {
                chosen.insert((run.sequence, run.key.as_deref()), r);
            }
        }
        let mut chosen: Vec<usize> = chosen.into_values().collect();
        chosen.sort_unstable();
        chosen
            .into_iter()
            .map(|r| {
                let run = &runs[r];
                let spec = &pack.sequences[run.sequence];
                let name = |step: Option<usize>| step.map(|s| spec.milestones[s].id.clone());
                (
                    r,
                    Placement {
                        sequence: spec.id.clone(),
                        run: run_number(&runs, r),
                        after: name(run.last_reached_before(event_index)),
                        before: name(run.first_missing_at(event_index)),
                    },
                )
            })
            .collect()
    };

    // Findings, first seen first.
    let mut findings: Vec<Finding> = Vec::new();
    let mut stall_rules: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for aggregate in &aggregates {
        let rule = &pack.rules[aggregate.rule];
        let (first_index, first) = aggregate.events[0];
        let (last_index, last) = aggregate.events[aggregate.events.len() - 1];
        let mut placements = Vec::new();
        for (r, placement) in placements_of(first_index, first) {
            if !runs[r].complete()
                && placement.after.is_some()
                && runs[r].first_missing().is_some()
                && stalled_at(&runs[r], first_index)
            {
                stall_rules.entry(r).or_default().insert(rule.id.clone());
            }
            placements.push(placement);
        }
        findings.push(Finding {
            rule: rule.id.clone(),
            title: rule.title.clone(),
            class: rule.class.clone(),
            severity: rule.severity,
            count: aggregate.events.len(),
            first: Location {
                path: events[first_index].path.to_string(),
                line: first.line,
            },
            last: Location {
                path: events[last_index].path.to_string(),
                line: last.line,
            },
            first_seen: first.meta.timestamp.as_ref().map(|t| t.text.clone()),
            explanation: rule.explanation(&first.captures),
            captures: first.captures.iter().cloned().collect(),
            evidence: aggregate
                .events
                .iter()
                .take(EVIDENCE_PER_FINDING)
                .map(|(i, _)| evidence(&events[*i]))
                .collect(),
            explained_by: None,
            placements,
        });
    }

    // Symptoms: a finding explained, through `causes:` links, by a finding seen no later.
    let first_index: HashMap<&str, usize> = aggregates
        .iter()
        .map(|a| (pack.rules[a.rule].id.as_str(), a.events[0].0))
        .collect();
    let mut explained_by: HashMap<String, String> = HashMap::new();
    for finding in &findings {
        let candidates = findings.iter().filter(|cause| {
            cause.rule != finding.rule
                && first_index[cause.rule.as_str()]
                    <= last_event_of(&aggregates, pack, &finding.rule)
                && reaches(pack, &cause.rule, &finding.rule)
        });
        if let Some(cause) = candidates.min_by_key(|c| {
            (
                std::cmp::Reverse(direct(pack, &c.rule, &finding.rule)),
                first_index[c.rule.as_str()],
            )
        }) {
            explained_by.insert(finding.rule.clone(), cause.rule.clone());
        }
    }
    // Break mutual explanations (A explains B and B explains A): the earlier stays the cause.
    let resolved: HashMap<String, String> = explained_by
        .iter()
        .filter(|(symptom, cause)| {
            explained_by.get(*cause).is_none_or(|back| {
                back != *symptom || first_index[cause.as_str()] < first_index[symptom.as_str()]
            })
        })
        .map(|(s, c)| (s.clone(), c.clone()))
        .collect();
    for finding in &mut findings {
        finding.explained_by = resolved.get(&finding.rule).cloned();
    }

    let sequence_reports = sequence_reports(pack, &runs, &events, &stall_rules, files);

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
            first_index[f.rule.as_str()],
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
    let severity_of: HashMap<String, Severity> = kept
        .iter()
        .map(|(i, s)| (findings[*i].rule.clone(), *s))
        .collect();
    let candidates: Vec<&Finding> = kept.iter().map(|(i, _)| &findings[*i]).collect();
    let root_causes = candidates
        .into_iter()
        .map(|f| {
            let rule = pack.rule(&f.rule).expect("finding of a loaded rule");
            let severity = severity_of
                .get(f.rule.as_str())
                .copied()
                .unwrap_or(f.severity);
            let symptoms = symptoms_of(&f.rule, &resolved, &findings);
            RootCause {
                rule: f.rule.clone(),
                title: f.title.clone(),
                class: f.class.clone(),
                severity,
                explanation: f.explanation.clone(),
                evidence: f.evidence.clone(),
                chain: chain(&f.rule, &resolved, &findings, &sequence_reports),
                symptoms,
                in_stall_window: stall_set.contains(&f.rule),
                remediation: rule.remediation.clone(),
                references: rule.references.clone(),
            }
        })
        .collect::<Vec<_>>();

    let stalled = sequence_reports
        .iter()
        .flat_map(|s| &s.runs)
        .any(|r| r.status == RunStatus::Stalled);
    let verdict_note = if root_causes.is_empty() && stalled {
        Some("a sequence stalled and no signature of severity error or above explains it; see the lines after its last milestone".to_string())
    } else if root_causes.is_empty() && !findings.is_empty() {
        Some("only findings below severity error: nothing here is presented as the root cause of an outage".to_string())
    } else {
        None
    };

    let stats = Stats {
        files: files.len(),
        bytes: files.iter().map(|f| f.output.bytes).sum(),
        lines: files.iter().map(|f| f.output.lines).sum(),
        matches: files.iter().map(|f| f.output.matches.len()).sum(),
        rules: pack.rules.len(),
        elapsed_ms: None,
    };
    for file in files {
        if let Some(message) = &file.error {
            problems.push(InputProblem {
                path: file.path.clone(),
                message: message.clone(),
                kind: "error",
            });
        }
        if let Some(message) = &file.skipped {
            problems.push(InputProblem {
                path: file.path.clone(),
                message: message.clone(),
                kind: "skipped",
            });
        }
    }
    Report {
        root_causes,
        findings,
        sequences: sequence_reports,
        verdict_note,
        problems,
        stats,
    }
}

fn last_event_of(aggregates: &[Aggregate], pack: &RulePack, rule: &str) -> usize {
    aggregates
        .iter()
        .find(|a| pack.rules[a.rule].id == rule)
        .and_then(|a| a.events.last())
        .map_or(0, |(i, _)| *i)
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

/// Whether a rule match belongs to a run: the same correlation key when the
/// sequence has one, otherwise the same pod (or file, for logs without
/// timestamps) and no earlier than the run's first milestone.
fn in_scope(
    pack: &RulePack,
    run: &RunTrace,
    events: &[Event],
    index: usize,
    m: &LineMatch,
) -> bool {
    let spec = &pack.sequences[run.sequence];
    if let Some(name) = &spec.correlate {
        let value = m
            .captures
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .or_else(|| key_in_text(&m.text, name));
        return index >= run.first_event
            && value.is_some_and(|value| run.key.as_deref() == Some(value));
    }
    let first = &events[run.first_event];
    let same_source = match (&first.m.meta.origin.pod, &m.meta.origin.pod) {
        (Some(pod), Some(other)) => pod == other,
        _ => {
            first.path == events[index].path
                || first.nanos.is_some() && events[index].nanos.is_some()
        }
    };
    same_source && index >= run.first_event
}

/// The value of `name=VALUE` in a message (`[run_id=7f3a9c21]`), for rules
/// that do not capture the correlation key themselves.
fn key_in_text<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let start = text
        .match_indices(name)
        .map(|(i, _)| i + name.len())
        .find(|&end| text[end..].starts_with('='))?
        + 1;
    let value = &text[start..];
    let end = value
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .unwrap_or(value.len());
    (end > 0).then(|| &value[..end])
}

/// Whether an event at `index` falls after the run's last milestone (where a stall lives).
fn stalled_at(run: &RunTrace, index: usize) -> bool {
    index > run.last_event
        || run.last_reached_before(index).is_some_and(|s| {
            run.reached[s + 1..]
                .iter()
                .all(|r| r.is_none_or(|e| e > index))
        })
}

fn run_number(runs: &[RunTrace], r: usize) -> usize {
    runs[..r]
        .iter()
        .filter(|other| other.sequence == runs[r].sequence)
        .count()
        + 1
}

fn sequence_reports(
    pack: &RulePack,
    runs: &[RunTrace],
    events: &[Event],
    stall_rules: &BTreeMap<usize, BTreeSet<String>>,
    files: &[FileResult],
) -> Vec<SequenceReport> {
    let total = events.len();
    // error_at_or_after[i]: some rule of severity error or worse matches at timeline index >= i.
    let mut error_at_or_after = vec![false; total + 1];
    for i in (0..total).rev() {
        error_at_or_after[i] = error_at_or_after[i + 1]
            || matches!(events[i].m.target, Target::Rule(r) if pack.rules[r].severity >= Severity::Error);
    }
    // Count every run, but build reports only for the runs shown: a busy
    // log has hundreds of thousands of agent runs.
    let mut reports: Vec<(SequenceReport, Vec<(usize, RunStatus)>)> = Vec::new();
    for (r, run) in runs.iter().enumerate() {
        let spec = &pack.sequences[run.sequence];
        let status = if run.complete() {
            RunStatus::Completed
        } else if run.restarted
            || stall_rules.get(&r).is_some_and(|s| !s.is_empty())
            || error_at_or_after[run.last_event]
            || run.last_event + 1 < total / 2
        {
            RunStatus::Stalled
        } else {
            RunStatus::Running
        };
        let index = match reports.iter().position(|(s, _)| s.id == spec.id) {
            Some(index) => index,
            None => {
                let report = SequenceReport {
                    id: spec.id.clone(),
                    title: spec.title.clone(),
                    total_runs: 0,
                    completed_runs: 0,
                    runs: Vec::new(),
                };
                reports.push((report, Vec::new()));
                reports.len() - 1
            }
        };
        let (report, candidates) = &mut reports[index];
        report.total_runs += 1;
        report.completed_runs += usize::from(status == RunStatus::Completed);
        candidates.push((r, status));
    }
    reports
        .into_iter()
        .map(|(mut report, mut candidates)| {
            if candidates.len() > MAX_RUNS_SHOWN {
                // Stable: incomplete runs first, each group in timeline order.
                candidates.sort_by_key(|(_, status)| *status == RunStatus::Completed);
                candidates.truncate(MAX_RUNS_SHOWN);
            }
            report.runs = candidates
                .into_iter()
                .map(|(r, status)| {
                    run_report(pack, &runs[r], status, events, stall_rules.get(&r), files)
                })
                .collect();
            report
        })
        .collect()
}

/// The report of one run, with the lines that followed its stall when no
/// finding explains it.
fn run_report(
    pack: &RulePack,
    run: &RunTrace,
    status: RunStatus,
    events: &[Event],
    stall_rules: Option<&BTreeSet<String>>,
    files: &[FileResult],
) -> Run {
    let spec = &pack.sequences[run.sequence];
    let stall_findings: Vec<String> = stall_rules
        .map(|s| s.iter().cloned().collect())
        .unwrap_or_default();
    let explained = stall_findings
        .iter()
        .any(|id| pack.rule(id).is_some_and(|r| r.severity >= Severity::Error));
    let unexplained_stall = if status == RunStatus::Stalled && !explained {
        let last = &events[run.last_event];
        let path = &files[last.file].path;
        lines_after(path, last.m.offset, last.m.line, STALL_CONTEXT_LINES)
            .into_iter()
            .map(|(line, text)| Evidence {
                path: path.clone(),
                line,
                text,
                timestamp: None,
                traceback: Vec::new(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let id = |step: usize| spec.milestones[step].id.clone();
    Run {
        key: run.key.clone(),
        reached: (0..spec.milestones.len())
            .filter(|&s| run.reached[s].is_some())
            .map(id)
            .collect(),
        first_missing: run.first_missing().map(id),
        out_of_order: run.out_of_order.iter().copied().map(id).collect(),
        status,
        steps: spec
            .milestones
            .iter()
            .zip(&run.reached)
            .map(|(m, reached)| Step {
                id: m.id.clone(),
                title: m.title.clone(),
                at: reached.map(|i| evidence(&events[i])),
            })
            .collect(),
        stall_findings,
        unexplained_stall,
    }
}
