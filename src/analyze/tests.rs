//! Unit tests of the analysis on small synthetic logs: each test scans a
//! few lines with a small rule pack written for it, folds the matches into
//! a [`Summary`] as a scan does, and checks the report built from it.

use std::collections::HashMap;
use std::sync::Arc;

use super::*;
use crate::analyze::summary::ContextLines;
use crate::input::format::LogFormat;
use crate::rules::diagnostic::SourceText;
use crate::rules::{RuleSources, load};
use crate::scan::{Held, Matcher, ScanOptions, scan_buffer};

/// Rules and a sequence whose lines are plain words, so that each test
/// says exactly what matches.
const PACK: &str = r#"
rules:
  - id: t.db-down
    title: Database down
    class: db-unavailable
    severity: error
    patterns: ['DATABASE DOWN']
    causes: [t.job-failed]
  - id: t.job-failed
    title: Job failed
    class: queue-stalled
    severity: error
    patterns: ['JOB FAILED']
  - id: t.config
    title: Configuration broken
    class: config-error
    severity: error
    patterns: ['CONFIG BROKEN']
  - id: t.timeout
    title: Call timed out
    class: timeout
    severity: error
    patterns: ['TIMED OUT']
  - id: t.exit
    title: Process exited
    class: crashloop
    severity: critical
    outcome: true
    patterns: ['PROCESS EXITED']
  - id: t.disk-warning
    title: Disk filling up
    class: disk-full
    severity: warning
    patterns: ['DISK WARNING']
    causes: [t.disk-full]
  - id: t.disk-full
    title: Disk full
    class: disk-full
    severity: error
    patterns: ['DISK FULL']
  - id: t.slow-dns
    title: Slow DNS
    class: timeout
    severity: warning
    patterns: ['SLOW DNS']
    causes: [t.disk-full]
  - id: t.wrapper
    title: Unrecoverable error
    class: unknown
    severity: critical
    patterns: ['UNRECOVERABLE']
  - id: t.refused
    title: Connection refused
    class: connection-failed
    severity: error
    patterns: ['REFUSED']
  - id: t.lost
    title: Connection lost
    class: unknown
    severity: warning
    patterns: ['CONNECTION LOST']
sequences:
  - id: t.boot
    title: Boot
    milestones:
      - {id: one, title: One, patterns: ['STEP ONE']}
      - {id: two, title: Two, patterns: ['STEP TWO']}
      - {id: three, title: Three, patterns: ['STEP THREE']}
"#;

fn pack() -> Arc<RulePack> {
    let sources = RuleSources {
        layers: vec![vec![Arc::new(SourceText {
            name: "test.yaml".to_string(),
            text: PACK.to_string(),
            embedded: false,
        })]],
    };
    match load(&sources) {
        Ok(loaded) => Arc::new(loaded.pack),
        Err(errors) => panic!("test pack: {errors:?}"),
    }
}

/// The report for inputs scanned as a scan does: each input folded into a
/// summary (with the lines after milestones read), the summaries merged.
fn report_of(inputs: &[(&str, &str)]) -> Report {
    let pack = pack();
    let matcher = Matcher::new(Arc::clone(&pack));
    let mut summary = Summary::default();
    for (i, (path, text)) in inputs.iter().enumerate() {
        let input = u32::try_from(i).expect("few inputs");
        let buf = text.as_bytes();
        let mut piece = Summary::default();
        let totals = scan_buffer(
            &matcher,
            buf,
            LogFormat::Text,
            ScanOptions::default(),
            &|m| Summary::fold(&pack, input, path, m),
            &mut |mut part, _, lines_before| {
                part.shift_lines(lines_before);
                piece.merge(part);
            },
        );
        let held = Held {
            buf,
            base: 0,
            eof: true,
        };
        let lines = ContextLines {
            before: 2,
            after: 3,
        };
        piece.read_context(input, &held, lines, true);
        piece.finish_input(input, path, totals.lines, totals.bytes);
        summary.merge(piece);
    }
    analyze(&pack, &summary, Vec::new())
}

fn analyze_text(text: &str) -> Report {
    report_of(&[("x.log", text)])
}

fn cause_ids(report: &Report) -> Vec<&str> {
    report.root_causes.iter().map(|c| c.rule.as_str()).collect()
}

fn finding<'a>(report: &'a Report, rule: &str) -> &'a Finding {
    report
        .findings
        .iter()
        .find(|f| f.rule == rule)
        .unwrap_or_else(|| panic!("no finding {rule}"))
}

fn explained_by<'a>(report: &'a Report, rule: &str) -> Option<&'a str> {
    finding(report, rule).explained_by.as_deref()
}

fn runs(report: &Report) -> &[Run] {
    &report
        .sequences
        .iter()
        .find(|s| s.id == "t.boot")
        .expect("t.boot runs")
        .runs
}

// ---- ranking ----

#[test]
fn a_cause_ranks_by_the_worst_it_explains_but_shows_its_own_severity() {
    let report = analyze_text("TIMED OUT calling api\nCONFIG BROKEN: PORT\nPROCESS EXITED 1\n");
    assert_eq!(cause_ids(&report), ["t.config", "t.timeout"]);
    // It explains a critical outcome: ranked above the earlier error...
    assert_eq!(report.root_causes[0].symptoms, ["t.exit"]);
    // ...but shown with its own severity.
    assert_eq!(report.root_causes[0].severity, Severity::Error);
}

#[test]
fn more_symptoms_rank_first_then_the_earliest() {
    let report =
        analyze_text("TIMED OUT calling api\nCONFIG BROKEN: PORT\nDATABASE DOWN\nJOB FAILED 7\n");
    assert_eq!(cause_ids(&report), ["t.db-down", "t.timeout", "t.config"]);
}

#[test]
fn the_stall_window_breaks_a_tie() {
    let report = analyze_text(
        "TIMED OUT calling api\nSTEP ONE\nCONFIG BROKEN: PORT\nnoise 1\nnoise 2\nnoise 3\nnoise 4\n",
    );
    assert_eq!(cause_ids(&report), ["t.config", "t.timeout"]);
    assert!(report.root_causes[0].in_stall_window);
    assert!(!report.root_causes[1].in_stall_window);
}

#[test]
fn an_outcome_nothing_explains_ranks_last_and_carries_the_lines_before_it() {
    let report =
        analyze_text("starting up\nreading config\nPROCESS EXITED 2\nTIMED OUT calling api\n");
    assert_eq!(cause_ids(&report), ["t.timeout", "t.exit"]);
    let exit = &report.root_causes[1];
    assert!(exit.unexplained_outcome);
    assert!(exit.explanation.contains("no recorded cause"));
    assert_eq!(exit.evidence[0].before, ["starting up", "reading config"]);
    assert!(!report.root_causes[0].unexplained_outcome);
    assert!(report.verdict_note.is_none());
    let report = analyze_text("starting up\nPROCESS EXITED 2\n");
    assert!(
        report
            .verdict_note
            .as_deref()
            .unwrap_or("")
            .contains("no signature explains why")
    );
}

// ---- outcomes ----

#[test]
fn an_outcome_is_a_symptom_of_the_nearest_error_before_it() {
    let report = analyze_text("TIMED OUT calling api\nCONFIG BROKEN: PORT\nPROCESS EXITED 1\n");
    assert_eq!(explained_by(&report, "t.exit"), Some("t.config"));
    assert_eq!(report.root_causes[0].chain, ["t.config", "t.exit"]);
}

#[test]
fn an_outcome_takes_a_cause_on_its_own_line() {
    let report = analyze_text("PROCESS EXITED: CONFIG BROKEN\n");
    assert_eq!(cause_ids(&report), ["t.config"]);
    assert_eq!(explained_by(&report, "t.exit"), Some("t.config"));
}

#[test]
fn an_outcome_is_not_explained_from_another_stream_or_outside_the_window() {
    let report =
        analyze_text("[pod/api-1/web] CONFIG BROKEN: PORT\n[pod/api-2/web] PROCESS EXITED 1\n");
    assert_eq!(explained_by(&report, "t.exit"), None);
    assert!(report.root_causes.iter().any(|c| c.unexplained_outcome));
    let late = analyze_text(
        "2026-03-02T10:00:00Z CONFIG BROKEN: PORT\n2026-03-02T10:06:00Z PROCESS EXITED 1\n",
    );
    assert_eq!(explained_by(&late, "t.exit"), None, "six minutes later");
    let soon = analyze_text(
        "2026-03-02T10:00:00Z CONFIG BROKEN: PORT\n2026-03-02T10:04:00Z PROCESS EXITED 1\n",
    );
    assert_eq!(explained_by(&soon, "t.exit"), Some("t.config"));
    // Without timestamps the window is counted in lines.
    let far = format!(
        "CONFIG BROKEN: PORT\n{}PROCESS EXITED 1\n",
        "noise\n".repeat(2_100)
    );
    assert_eq!(explained_by(&analyze_text(&far), "t.exit"), None);
}

#[test]
fn an_outcome_is_not_explained_by_a_warning_or_another_outcome() {
    let report = analyze_text("DISK WARNING 91%\nPROCESS EXITED 1\nPROCESS EXITED 1\n");
    assert_eq!(explained_by(&report, "t.exit"), None);
}

// ---- precursors ----

#[test]
fn a_warning_announcing_a_failure_of_its_class_is_listed_with_it() {
    let report = analyze_text("DISK WARNING 91%\nDISK FULL\n");
    assert_eq!(cause_ids(&report), ["t.disk-full"]);
    assert_eq!(explained_by(&report, "t.disk-warning"), Some("t.disk-full"));
    assert_eq!(report.root_causes[0].symptoms, ["t.disk-warning"]);
    assert_eq!(report.root_causes[0].chain, ["t.disk-full"]);
}

#[test]
fn a_warning_naming_another_problem_stays_the_cause_with_its_severity() {
    let report = analyze_text("SLOW DNS 9s\nDISK FULL\n");
    assert_eq!(cause_ids(&report), ["t.slow-dns"]);
    assert_eq!(report.root_causes[0].severity, Severity::Warning);
    assert_eq!(report.root_causes[0].chain, ["t.slow-dns", "t.disk-full"]);
}

// ---- same events ----

#[test]
fn two_rules_on_one_line_are_one_cause() {
    let report = analyze_text("DATABASE DOWN: TIMED OUT\n");
    assert_eq!(cause_ids(&report), ["t.db-down"]);
    assert_eq!(explained_by(&report, "t.timeout"), Some("t.db-down"));
    assert_eq!(
        report.root_causes[0].chain,
        ["t.db-down"],
        "no causal link drawn"
    );
}

#[test]
fn a_wrapper_gives_the_lead_to_the_failure_it_names_on_its_line() {
    let report = analyze_text("TIMED OUT earlier\nUNRECOVERABLE error: REFUSED\n");
    // The wrapper is critical: the failure it names ranks with it, above
    // the earlier error, and is shown with its own severity.
    assert_eq!(cause_ids(&report), ["t.refused", "t.timeout"]);
    assert_eq!(explained_by(&report, "t.wrapper"), Some("t.refused"));
    assert_eq!(report.root_causes[0].severity, Severity::Error);
}

#[test]
fn a_traceback_is_one_event_with_the_record_that_printed_it() {
    let text = "2026-03-02 10:00:00,001 WARNING consumer: CONNECTION LOST, retrying\n\
                Traceback (most recent call last):\n\
                \x20 File \"/app/consumer.py\", line 40, in loop\n\
                \x20   conn.read()\n\
                ConnectionError: REFUSED by 10.0.0.7\n";
    let report = analyze_text(text);
    // The record names no failure (class unknown): the exception leads.
    assert_eq!(cause_ids(&report), ["t.refused"]);
    assert_eq!(explained_by(&report, "t.lost"), Some("t.refused"));
    assert_eq!(report.root_causes[0].evidence[0].traceback.len(), 4);
    // A line before the record is no part of it.
    let text = "2026-03-02 10:00:00,000 WARNING CONNECTION LOST\nsomething else\n\
                Traceback (most recent call last):\n\
                \x20 File \"/app/consumer.py\", line 40, in loop\n\
                ConnectionError: REFUSED by 10.0.0.7\n";
    assert_eq!(explained_by(&analyze_text(text), "t.lost"), None);
}

#[test]
fn a_source_line_in_a_traceback_is_part_of_the_exception() {
    let text = "Traceback (most recent call last):\n\
                \x20 File \"/app/client.py\", line 12, in <module>\n\
                \x20   raise Retry(\"TIMED OUT\")\n\
                ConnectionError: REFUSED by 10.0.0.7\n";
    let report = analyze_text(text);
    assert_eq!(cause_ids(&report), ["t.refused"]);
    assert_eq!(explained_by(&report, "t.timeout"), Some("t.refused"));
}

#[test]
fn in_a_chained_traceback_the_first_exception_leads() {
    let text = "Traceback (most recent call last):\n\
                \x20 File \"/app/client.py\", line 12, in call\n\
                TimeoutError: TIMED OUT after 30s\n\
                \n\
                During handling of the above exception, another exception occurred:\n\
                \n\
                Traceback (most recent call last):\n\
                \x20 File \"/app/main.py\", line 4, in <module>\n\
                ConnectionError: REFUSED by 10.0.0.7\n";
    let report = analyze_text(text);
    assert_eq!(cause_ids(&report), ["t.timeout"]);
    assert_eq!(explained_by(&report, "t.refused"), Some("t.timeout"));
}

#[test]
fn explanation_cycles_are_broken_at_the_member_seen_first() {
    let order = |pos: u64| Order {
        nanos: None,
        input: 0,
        pos,
    };
    let first: HashMap<&str, Order> = [("a", order(1)), ("b", order(2)), ("c", order(3))]
        .into_iter()
        .collect();
    let first_order = |id: &str| first[id];
    let links = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(s, c)| (s.to_string(), c.to_string()))
            .collect()
    };
    // A explains B and B explains A: A, seen first, stays the cause.
    let mutual = break_cycles(&links(&[("a", "b"), ("b", "a")]), &first_order);
    assert_eq!(mutual, links(&[("b", "a")]));
    // A three-way loop breaks the same way; links outside it stay.
    let three = break_cycles(
        &links(&[("a", "c"), ("c", "b"), ("b", "a"), ("d", "c")]),
        &first_order,
    );
    assert_eq!(three, links(&[("c", "b"), ("b", "a"), ("d", "c")]));
    let acyclic = links(&[("b", "a"), ("c", "b")]);
    assert_eq!(break_cycles(&acyclic, &first_order), acyclic);
}

// ---- sequences: stalls, order, placements ----

#[test]
fn a_run_with_an_error_after_its_last_milestone_stalled_there() {
    let report = analyze_text("STEP ONE\nSTEP TWO\nCONFIG BROKEN: PORT\n");
    let run = &runs(&report)[0];
    assert_eq!(run.status, RunStatus::Stalled);
    assert_eq!(run.first_missing.as_deref(), Some("three"));
    assert_eq!(run.stall_findings, ["t.config"]);
    assert!(run.unexplained_stall.is_empty(), "the error explains it");
    assert_eq!(
        report.root_causes[0].chain,
        ["t.config", "t.boot: Three missing"]
    );
}

#[test]
fn a_run_the_log_ends_in_is_running() {
    let report = analyze_text("STEP ONE\nSTEP TWO\n");
    assert_eq!(runs(&report)[0].status, RunStatus::Running);
    assert!(report.root_causes.is_empty());
}

#[test]
fn a_run_the_log_went_on_past_stalled_and_shows_what_followed() {
    let report =
        analyze_text("STEP ONE\nwaiting for redis\nwaiting for redis\nwaiting for redis\n");
    let run = &runs(&report)[0];
    assert_eq!(run.status, RunStatus::Stalled);
    let lines: Vec<(u64, &str)> = run
        .unexplained_stall
        .iter()
        .map(|e| (e.line, e.text.as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            (2, "waiting for redis"),
            (3, "waiting for redis"),
            (4, "waiting for redis")
        ]
    );
    assert!(
        report
            .verdict_note
            .as_deref()
            .unwrap_or("")
            .contains("stalled")
    );
}

#[test]
fn an_exit_after_the_last_milestone_stalls_the_run_but_does_not_explain_it() {
    let report = analyze_text("STEP ONE\nbye\nPROCESS EXITED 0x3\n");
    let run = &runs(&report)[0];
    assert_eq!(run.status, RunStatus::Stalled);
    assert_eq!(run.stall_findings, ["t.exit"]);
    assert_eq!(run.unexplained_stall.len(), 2);
}

#[test]
fn a_restart_closes_the_run_before_it() {
    let report = analyze_text("STEP ONE\nSTEP ONE\nSTEP TWO\nSTEP THREE\n");
    let sequence = &report.sequences[0];
    assert_eq!((sequence.total_runs, sequence.completed_runs), (2, 1));
    let all = runs(&report);
    assert_eq!(all[0].status, RunStatus::Stalled);
    assert_eq!(all[0].first_missing.as_deref(), Some("two"));
    assert_eq!(all[1].status, RunStatus::Completed);
}

#[test]
fn a_run_picked_up_midway_is_not_completed() {
    let report = analyze_text("STEP TWO\nSTEP THREE\n");
    let sequence = &report.sequences[0];
    assert_eq!((sequence.total_runs, sequence.completed_runs), (1, 0));
    let run = &runs(&report)[0];
    assert_eq!(run.status, RunStatus::Running);
    assert_eq!(run.reached, ["two", "three"]);
    assert_eq!(run.first_missing, None, "nothing missing after its entry");
}

#[test]
fn steps_reached_after_a_later_one_are_out_of_order() {
    let report = analyze_text("STEP ONE\nSTEP THREE\nSTEP TWO\n");
    let run = &runs(&report)[0];
    assert_eq!(run.out_of_order, ["two"]);
    assert_eq!(run.status, RunStatus::Completed);
}

#[test]
fn findings_are_placed_between_the_milestones_around_them() {
    let report = analyze_text("TIMED OUT before\nSTEP ONE\nCONFIG BROKEN\nSTEP TWO\nSTEP THREE\n");
    let placed = &finding(&report, "t.config").placements;
    assert_eq!(
        placed,
        &[Placement {
            sequence: "t.boot".to_string(),
            run: 1,
            after: Some("one".to_string()),
            before: Some("two".to_string()),
        }]
    );
    // Before the run started: not placed in it.
    assert!(finding(&report, "t.timeout").placements.is_empty());
    // The complete run has no stall finding.
    assert!(runs(&report)[0].stall_findings.is_empty());
}

#[test]
fn findings_are_placed_in_the_latest_run_of_their_stream() {
    let report = report_of(&[
        ("a.log", "STEP ONE\nSTEP ONE\nCONFIG BROKEN\n"),
        ("b.log", "STEP ONE\nSTEP TWO\n"),
    ]);
    let placed = &finding(&report, "t.config").placements;
    assert_eq!(placed.len(), 1, "only a.log's runs: {placed:?}");
    assert_eq!(placed[0].run, 2);
    assert_eq!(placed[0].after.as_deref(), Some("one"));
}
