//! The command line people already know: stdin by default, named pipes,
//! quiet broken pipes, `-q`, `-o`, `--since/--until`, grep's `-A/-B/-C`,
//! `--top`, `--no-sequences`, `--matches` one line per matched line,
//! `--help` with exit codes, completions and a man page; and the report's
//! verdict, collapsed sequences and Markdown for tickets.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};

use common::faultline;
use predicates::prelude::*;
use serde_json::Value;

const DEGRADED: &str = "fixtures/degraded-import/render-dashboard.log";
const HEALTHY: &str = "fixtures/healthy-startup";
const SUPABASE: &str = "fixtures/supabase-timeout/kubectl-logs.log";

fn json_of(stdout: &[u8]) -> Value {
    serde_json::from_slice(stdout)
        .unwrap_or_else(|e| panic!("invalid JSON ({e}): {}", String::from_utf8_lossy(stdout)))
}

fn scan(args: &[&str]) -> (Option<i32>, String, String) {
    let output = faultline().arg("scan").args(args).output().expect("run");
    (
        output.status.code(),
        String::from_utf8(output.stdout).expect("UTF-8"),
        String::from_utf8(output.stderr).expect("UTF-8"),
    )
}

#[test]
fn the_report_opens_with_a_one_line_verdict_in_every_format() {
    let (code, text, _) = scan(&[SUPABASE]);
    assert_eq!(code, Some(1));
    let first = text.lines().next().expect("a first line");
    assert_eq!(
        first,
        "VERDICT Supabase unavailable to the reputation engine (worker.supabase-unavailable) in \
         fixtures/supabase-timeout/kubectl-logs.log:11 at 2025-10-23T15:58:02.437047684Z; 1 more cause; \
         errors from 2025-10-23T15:58:02.42680921Z to 2025-10-23T15:59:17.053206746Z"
    );
    let (_, json, _) = scan(&["--format", "json", SUPABASE]);
    let verdict = &json_of(json.as_bytes())["verdict"];
    assert_eq!(verdict["root_cause"], "worker.supabase-unavailable");
    assert_eq!(verdict["at"], "2025-10-23T15:58:02.437047684Z");
    assert_eq!(verdict["first_error"], "2025-10-23T15:58:02.42680921Z");
    assert_eq!(verdict["last_error"], "2025-10-23T15:59:17.053206746Z");
    assert_eq!(verdict["text"], &first["VERDICT ".len()..]);
    let (_, md, _) = scan(&["--format", "markdown", SUPABASE]);
    assert!(
        md.starts_with("# faultline report\n\n**Verdict:** Supabase unavailable"),
        "{md}"
    );
}

#[test]
fn a_verdict_names_the_stream_and_says_when_inputs_were_missing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("pods.log");
    std::fs::write(
        &log,
        "2026-01-14T08:59:13.402Z [pod/api-7/web] ModuleNotFoundError: No module named 'orchestrator.persistence'\n",
    )
    .expect("write");
    let (code, json, _) = scan(&[
        "--format",
        "json",
        log.to_str().expect("UTF-8"),
        "missing.log",
    ]);
    assert_eq!(code, Some(2));
    let verdict = &json_of(json.as_bytes())["verdict"];
    let location = verdict["location"].as_str().expect("location");
    assert!(location.starts_with("api-7/web ("), "{location}");
    let text = verdict["text"].as_str().expect("text");
    assert!(
        text.ends_with("; 1 input problem: not everything was read"),
        "{text}"
    );
}

#[test]
fn context_lines_around_evidence_follow_grep_flags() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("pg.log");
    std::fs::write(
        &log,
        "one\ntwo\nthree\npsycopg2.errors.UndefinedTable: relation \"agent_tasks\" does not exist\nLINE 1: SELECT * FROM agent_tasks\nDETAIL: the table was dropped\nfour\nfive\n",
    )
    .expect("write");
    let path = log.to_str().expect("UTF-8");
    let evidence = |args: &[&str]| -> Value {
        let mut all = vec!["--format", "json"];
        all.extend(args);
        all.push(path);
        let (_, json, _) = scan(&all);
        json_of(json.as_bytes())["root_causes"][0]["evidence"][0].clone()
    };
    let default = evidence(&[]);
    assert_eq!(default["line"], 4);
    assert_eq!(default["before"], serde_json::json!(["two", "three"]));
    assert_eq!(
        default["after"],
        serde_json::json!([
            "LINE 1: SELECT * FROM agent_tasks",
            "DETAIL: the table was dropped",
            "four"
        ])
    );
    let wide = evidence(&["-C", "1"]);
    assert_eq!(wide["before"], serde_json::json!(["three"]));
    assert_eq!(wide["after"].as_array().map(Vec::len), Some(1));
    let after_only = evidence(&["-B", "0", "-A", "4"]);
    assert!(after_only.get("before").is_none(), "{after_only}");
    assert_eq!(after_only["after"].as_array().map(Vec::len), Some(4));
    // The text report shows them around the root cause's line.
    let (_, text, _) = scan(&[path]);
    assert!(
        text.contains("    ┆ three\n    ")
            && text.contains("    ┆ DETAIL: the table was dropped\n"),
        "{text}"
    );
}

#[test]
fn completed_runs_collapse_to_one_line_and_the_report_can_be_cut_short() {
    let (code, text, _) = scan(&[HEALTHY]);
    assert_eq!(code, Some(0));
    assert!(
        text.contains("SEQUENCE ops-agent-worker startup: 3 of 3 runs completed (8/8)\n"),
        "{text}"
    );
    assert!(
        !text.contains('✔'),
        "no step-by-step for completed runs:\n{text}"
    );
    // A stalled run is still shown step by step.
    let (_, text, _) = scan(&[DEGRADED]);
    assert!(text.contains("  ✘ Governance registration\n"), "{text}");
    let (_, text, _) = scan(&["--no-sequences", DEGRADED]);
    assert!(!text.contains("SEQUENCE"), "{text}");
    let (_, json, _) = scan(&["--format", "json", "--top", "1", SUPABASE]);
    let report = json_of(json.as_bytes());
    assert_eq!(report["root_causes"].as_array().map(Vec::len), Some(1));
    let (_, json, _) = scan(&["--format", "json", "--no-sequences", SUPABASE]);
    assert_eq!(json_of(json.as_bytes())["sequences"], serde_json::json!([]));
}

#[test]
fn only_the_first_unfinished_runs_are_shown_step_by_step() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("runs.log");
    let runs: String = (1..=6)
        .map(|n| {
            format!(
                "2026-01-01T00:00:0{n}Z INFO [run_id=r{n}] Agent pack loaded\n\
                 2026-01-01T00:00:0{n}Z INFO [run_id=r{n}] Execution started with input: {{}}\n"
            )
        })
        .collect();
    std::fs::write(&log, runs).expect("write");
    let path = log.to_str().expect("UTF-8");
    let (_, text, _) = scan(&[path]);
    assert_eq!(
        text.matches("SEQUENCE Agent run execution run").count(),
        3,
        "{text}"
    );
    assert!(
        text.contains(
            "  … 6 runs did not complete; the first 3 are shown (--format json lists up to 25)\n"
        ),
        "{text}"
    );
    let (_, json, _) = scan(&["--format", "json", path]);
    let report = json_of(json.as_bytes());
    assert_eq!(
        report["sequences"][0]["runs"].as_array().map(Vec::len),
        Some(6)
    );
}

#[test]
fn markdown_for_tickets_has_causes_times_references_and_code() {
    let (_, md, _) = scan(&["--format", "markdown", SUPABASE]);
    assert!(md.contains("\n## Root cause: Supabase unavailable to the reputation engine (`worker.supabase-unavailable`, db-unavailable, error)\n"), "{md}");
    assert!(
        md.contains("\n## Also a cause: Network operation timed out (`network.timeout`"),
        "{md}"
    );
    assert!(
        md.contains("- `fixtures/supabase-timeout/kubectl-logs.log:11` at 2025-10-23T15:58:02.437047684Z\n\n  ```text\n"),
        "evidence with where and when, then its lines in a code block:\n{md}"
    );
    assert!(
        md.contains("\n- <https://supabase.com/docs/reference/python/initializing>\n"),
        "{md}"
    );
    assert!(md.contains("\n- Worker Deployment Troubleshooting Guide, \"Issue 5: Environment Variables Not Set\"\n"), "{md}");
    // Code in a fix stays code; the rest is escaped.
    let (_, md, _) = scan(&["--format", "markdown", DEGRADED]);
    assert!(
        md.contains("(e.g. in reputation\\_engine.py: `from orchestrator.persistence.db_client import get_client`, falling back"),
        "{md}"
    );
}

#[test]
fn stdin_is_read_when_no_path_is_given() {
    let log = std::fs::read(DEGRADED).expect("fixture");
    let output = faultline()
        .args(["scan", "--format", "json"])
        .write_stdin(log)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let report = json_of(&output.stdout);
    assert_eq!(report["root_causes"][0]["rule"], "python.module-not-found");
    assert_eq!(report["root_causes"][0]["evidence"][0]["path"], "<stdin>");
}

#[cfg(unix)]
#[test]
fn a_closed_pipe_ends_the_scan_quietly_with_exit_zero() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("big.log");
    let line = "2026-01-01T00:00:00Z ERROR [run_id=ab12] Execution timeout exceeded (60s)\n";
    std::fs::write(&log, line.repeat(20_000)).expect("write");
    let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["scan", "--matches"])
        .arg(&log)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 64];
    stdout.read_exact(&mut first).expect("some output");
    drop(stdout); // `| head -c 64`
    let output = child.wait_with_output().expect("wait");
    assert_eq!(output.status.code(), Some(0), "as ripgrep does");
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn quiet_prints_nothing_and_output_writes_any_format_to_a_file() {
    let (code, out, _) = scan(&["-q", DEGRADED]);
    assert_eq!((code, out.as_str()), (Some(1), ""));
    let (code, out, _) = scan(&["--quiet", HEALTHY]);
    assert_eq!((code, out.as_str()), (Some(0), ""));
    let dir = tempfile::tempdir().expect("tempdir");
    for format in ["text", "json", "markdown", "jsonl"] {
        let file = dir.path().join(format!("report.{format}"));
        let (code, out, _) = scan(&[
            "--format",
            format,
            "-o",
            file.to_str().expect("UTF-8"),
            DEGRADED,
        ]);
        assert_eq!((code, out.as_str()), (Some(1), ""), "{format}");
        let (_, expected, _) = scan(&["--format", format, DEGRADED]);
        assert_eq!(
            std::fs::read_to_string(&file).expect("written"),
            expected,
            "{format}"
        );
    }
    let (code, _, err) = scan(&["-o", "/nonexistent-dir/report.txt", DEGRADED]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("cannot write /nonexistent-dir/report.txt"),
        "{err}"
    );
}

#[test]
fn no_progress_is_accepted_and_changes_nothing_else() {
    let (code, with, _) = scan(&["--no-progress", DEGRADED]);
    let (_, without, _) = scan(&[DEGRADED]);
    assert_eq!(code, Some(1));
    assert_eq!(with, without);
}

#[test]
fn since_and_until_keep_the_incident_window() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("app.log");
    std::fs::write(
        &log,
        "2026-11-23T09:00:00Z KeyError: 'DATABASE_URL'\n\
         2026-11-23T10:00:00Z ModuleNotFoundError: No module named 'orchestrator.persistence'\n\
         Traceback (most recent call last):\n\
         2026-11-23T11:00:00Z ModuleNotFoundError: No module named 'yaml'\n",
    )
    .expect("write");
    let path = log.to_str().expect("UTF-8");
    let rules = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["--format", "json"];
        all.extend(args);
        all.push(path);
        let (_, json, _) = scan(&all);
        let report = json_of(json.as_bytes());
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["rule"].as_str().expect("rule").to_string())
            .collect()
    };
    assert_eq!(rules(&[]).len(), 4);
    // The unstamped traceback line goes with the 10:00 line before it.
    assert_eq!(
        rules(&[
            "--since",
            "2026-11-23T09:30:00Z",
            "--until",
            "2026-11-23 10:30:00"
        ]),
        ["python.module-not-found", "python.unhandled-exception"]
    );
    assert_eq!(
        rules(&["--since", "2026-11-23T10:30:00Z"]),
        ["python.missing-dependency"]
    );
    let (code, _, err) = scan(&[
        "--since",
        "2026-11-24T00:00:00Z",
        "--until",
        "2026-11-23T00:00:00Z",
        path,
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--since is after --until"), "{err}");
    let (code, _, err) = scan(&["--since", "yesterday", path]);
    assert_eq!(code, Some(2));
    assert!(err.contains("invalid"), "{err}");
}

#[test]
fn lines_without_a_date_are_left_out_of_a_window_and_the_report_says_so() {
    let (code, json, _) = scan(&["--format", "json", "--since", "1d", DEGRADED]);
    assert_eq!(code, Some(0), "nothing inside the window");
    let report = json_of(json.as_bytes());
    let problem = &report["problems"][0];
    assert_eq!(problem["kind"], "skipped");
    assert!(
        problem["message"]
            .as_str()
            .is_some_and(|m| m.contains("left out of the --since/--until window")),
        "{problem}"
    );
}

#[test]
fn matches_list_each_line_once_with_every_rule_in_file_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A Datadog Logs API export, newest first.
    let doc = dir.path().join("export.json");
    std::fs::write(
        &doc,
        r#"{"data": [
  {"id": "3", "attributes": {"timestamp": "2025-10-23T08:57:58Z", "message": "ModuleNotFoundError: No module named 'yaml'"}},
  {"id": "2", "attributes": {"timestamp": "2025-10-23T08:57:57Z", "message": "ok"}},
  {"id": "1", "attributes": {"timestamp": "2025-10-23T08:57:56Z", "message": "KeyError: 'DATABASE_URL'"}}
]}
"#,
    )
    .expect("write");
    let output = faultline()
        .args(["scan", "--matches", "--format", "jsonl"])
        .arg(&doc)
        .output()
        .expect("run");
    let lines: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let numbers: Vec<u64> = lines.iter().filter_map(|l| l["line"].as_u64()).collect();
    assert!(
        numbers.windows(2).all(|w| w[0] < w[1]),
        "file order: {numbers:?}"
    );
    assert_eq!(lines[0]["timestamp"], "2025-10-23T08:57:58Z");
    // A line several rules match: once, with all of them, worst first.
    let rules = dir.path().join("two.yaml");
    std::fs::write(
        &rules,
        "rules:\n  - id: t.low\n    title: Low\n    class: unknown\n    severity: warning\n    patterns: ['XYZZY failure']\n  - id: t.high\n    title: High\n    class: unknown\n    severity: critical\n    patterns: ['XYZZY']\n",
    )
    .expect("write");
    let log = dir.path().join("app.log");
    std::fs::write(&log, "ok\n2025-10-23T08:57:55Z XYZZY failure\n").expect("write");
    let run = |format: &str| {
        let output = faultline()
            .args([
                "scan",
                "--matches",
                "--no-default-rules",
                "--format",
                format,
            ])
            .arg("--rules")
            .arg(&rules)
            .arg(&log)
            .output()
            .expect("run");
        String::from_utf8(output.stdout).expect("UTF-8")
    };
    let jsonl = run("jsonl");
    let lines: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 1, "{jsonl}");
    assert_eq!(lines[0]["rule"], "t.high");
    assert_eq!(lines[0]["severity"], "critical");
    let listed: Vec<&str> = lines[0]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter_map(|r| r["rule"].as_str())
        .collect();
    assert_eq!(listed, ["t.high", "t.low"]);
    assert_eq!(lines[0]["timestamp"], "2025-10-23T08:57:55Z");
    let text = run("text");
    assert_eq!(
        text,
        format!("{}:2: [t.high, t.low] XYZZY failure\n", log.display())
    );
}

#[test]
fn matches_in_a_report_format_is_an_error() {
    for format in ["json", "markdown"] {
        faultline()
            .args(["scan", "--matches", "--format", format, DEGRADED])
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains("--matches prints matched lines"));
    }
}

#[test]
fn help_lists_exit_codes_and_input_format_aliases() {
    let help = faultline().args(["scan", "--help"]).output().expect("run");
    let help = String::from_utf8(help.stdout).expect("UTF-8");
    for expected in [
        "Exit codes:",
        "  2  an error",
        "Aliases: kubectl, render, cri, syslog, plain",
        "datadog-archive",
        "Alias: datadog-csv",
        "-A, --after-context <NUM>",
        "-o, --output <FILE>",
        "-q, --quiet",
    ] {
        assert!(help.contains(expected), "{expected:?} missing:\n{help}");
    }
    assert!(!help.contains("-f, --format"), "-f is tail's --follow");
    let help = faultline().args(["tail", "--help"]).output().expect("run");
    let help = String::from_utf8(help.stdout).expect("UTF-8");
    assert!(
        help.contains("-f, --follow") && help.contains("-n, --lines <NUM>"),
        "{help}"
    );
}

#[test]
fn completions_and_a_man_page_are_generated() {
    for (shell, expected) in [
        ("bash", "_faultline()"),
        ("zsh", "#compdef faultline"),
        ("fish", "complete -c faultline"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        faultline()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains(expected).and(predicate::str::contains("--since")));
    }
    faultline().arg("man").assert().success().stdout(
        predicate::str::starts_with(".ie \\n(.g .ds Aq \\(aq")
            .or(predicate::str::contains(".TH faultline"))
            .and(predicate::str::contains(".SH \"FAULTLINE SCAN\""))
            .and(predicate::str::contains("\\-\\-no\\-sequences")),
    );
}

#[test]
fn input_errors_with_findings_say_so_on_stderr_too() {
    let (code, _, err) = scan(&["--format", "json", DEGRADED, "missing.log"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("faultline: exit 2 (input errors) although findings are at or above error: [error] python.module-not-found ×1"),
        "{err}"
    );
    let (code, _, err) = scan(&["--fail-on", "critical", DEGRADED, "missing.log"]);
    assert_eq!(code, Some(2));
    assert!(
        !err.contains("although findings"),
        "nothing critical: {err}"
    );
}

/// Six unrelated failures: the text report shows the first three causes in
/// full and the rest in brief (heading, where, explanation), while JSON
/// keeps every one.
#[test]
fn causes_after_the_first_three_are_brief_in_text() {
    const MANY: &str = "fixtures/rank/many-causes.log";
    let (_, json, _) = scan(&["--format", "json", MANY]);
    let causes = json_of(json.as_bytes())["root_causes"]
        .as_array()
        .expect("root_causes")
        .len();
    assert!(causes > 3, "the fixture has {causes} causes");
    let (code, text, _) = scan(&[MANY]);
    assert_eq!(code, Some(1));
    let headings: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("ROOT CAUSE") || l.starts_with("ALSO A CAUSE"))
        .collect();
    assert_eq!(headings.len(), causes, "{text}");
    assert_eq!(text.matches("\n  evidence:").count(), 3, "{text}");
    assert!(
        headings[3].contains("fixtures/rank/many-causes.log:"),
        "{text}"
    );
    assert!(text.contains("in full"), "{text}");
}
