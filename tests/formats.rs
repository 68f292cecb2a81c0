//! What each `fixtures/formats/` file yields, against `fixtures/README.md`
//! §13 and the file itself: every event's message (wrappers peeled) and
//! origin, the number of events, the timestamps of the evidence, the rule
//! matches, and the lines a traceback groups.
//!
//! Events are listed with a catch-all rule (`--no-default-rules`, one match
//! per non-empty message: per line of text, per record of a document, per
//! line of a JSON record's message and traceback). The expected messages and
//! origins are computed here from the raw file with this test's own
//! wrapper patterns, not the engine's.

mod common;

use std::collections::BTreeSet;

use common::faultline;
use regex::Regex;
use serde_json::{Value, json};

const DIR: &str = "fixtures/formats";

const CATCH_ALL: &str = r#"
rules:
  - id: t.any
    title: Any event
    class: unknown
    severity: info
    patterns: ['\S']
"#;

fn read(file: &str) -> String {
    std::fs::read_to_string(format!("{DIR}/{file}")).expect("fixture")
}

fn jsonl(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// (line, message, origin) of every event, sorted.
fn events(file: &str) -> Vec<(u64, String, Value)> {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("any.yaml");
    std::fs::write(&rules, CATCH_ALL).expect("write");
    let output = faultline()
        .args([
            "scan",
            "--matches",
            "--format",
            "jsonl",
            "--no-default-rules",
        ])
        .arg("--rules")
        .arg(&rules)
        .arg(format!("{DIR}/{file}"))
        .output()
        .expect("run");
    let mut events: Vec<(u64, String, Value)> = jsonl(&output.stdout)
        .into_iter()
        .map(|m| {
            (
                m["line"].as_u64().expect("line"),
                m["text"].as_str().expect("text").to_string(),
                m.get("origin").cloned().unwrap_or(json!({})),
            )
        })
        .collect();
    events.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    events
}

/// Every non-empty line of a text file, its wrapper (`wrapper`, a regex
/// anchored at the start, optional per line) removed, with `origin(line)`.
fn text_events(
    file: &str,
    wrapper: &str,
    origin: impl Fn(&str) -> Value,
) -> Vec<(u64, String, Value)> {
    let wrapper = Regex::new(wrapper).expect("regex");
    let mut out: Vec<(u64, String, Value)> = read(file)
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let message = wrapper.replace(line, "").to_string();
            (!message.trim().is_empty()).then(|| (i as u64 + 1, message, origin(line)))
        })
        .collect();
    out.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    out
}

/// The events of JSON lines: each record's message field, then its
/// traceback field, one event per non-empty line.
fn json_line_events(
    file: &str,
    message: &str,
    traceback: &str,
    origin: impl Fn(&Value) -> Value,
) -> Vec<(u64, String, Value)> {
    let mut out = Vec::new();
    for (i, line) in read(file).lines().enumerate() {
        let record: Value = serde_json::from_str(line).expect("a JSON line");
        let text = match record[traceback].as_str() {
            Some(tb) => format!("{}\n{tb}", record[message].as_str().expect("message")),
            None => record[message].as_str().expect("message").to_string(),
        };
        for part in text.lines().filter(|l| !l.trim().is_empty()) {
            out.push((i as u64 + 1, part.to_string(), origin(&record)));
        }
    }
    out.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    out
}

/// `scan --format json` with the embedded pack, and the rule matches as
/// (line, class, text): the fixture spec names classes, rule ids are the
/// pack's business.
fn scan(file: &str, exit: i32) -> (Value, Vec<(u64, String, String)>) {
    let output = faultline()
        .args(["scan", "--format", "json"])
        .arg(format!("{DIR}/{file}"))
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(exit), "{file}");
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    let output = faultline()
        .args(["scan", "--matches", "--format", "jsonl"])
        .arg(format!("{DIR}/{file}"))
        .output()
        .expect("run");
    // One object per matched line, with every rule that matched it.
    let mut matches: Vec<(u64, String, String)> = jsonl(&output.stdout)
        .into_iter()
        .flat_map(|m| {
            let line = m["line"].as_u64().expect("line");
            let text = m["text"].as_str().expect("text").to_string();
            m["rules"]
                .as_array()
                .expect("rules")
                .iter()
                .map(|r| {
                    (
                        line,
                        r["class"].as_str().expect("class").to_string(),
                        text.clone(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    matches.sort();
    (report, matches)
}

/// (line, class) of the matches.
fn lines_and_classes(matches: &[(u64, String, String)]) -> Vec<(u64, &str)> {
    matches.iter().map(|(l, r, _)| (*l, r.as_str())).collect()
}

/// The finding of class `class` with evidence at `line`.
fn finding_at<'r>(report: &'r Value, class: &str, line: u64) -> &'r Value {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["class"] == class)
        .find(|f| {
            f["evidence"]
                .as_array()
                .expect("evidence")
                .iter()
                .any(|e| e["line"] == line)
        })
        .unwrap_or_else(|| panic!("no {class} finding with evidence at line {line}"))
}

/// The evidence of class `class` at `line`.
fn evidence<'r>(report: &'r Value, class: &str, line: u64) -> &'r Value {
    finding_at(report, class, line)["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .find(|e| e["line"] == line)
        .expect("evidence at the line")
}

fn stamp(report: &Value, class: &str, line: u64) -> Option<String> {
    evidence(report, class, line)["timestamp"]
        .as_str()
        .map(str::to_string)
}

/// Lines matched in class `class`, over all its findings.
fn class_count(report: &Value, class: &str) -> u64 {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["class"] == class)
        .map(|f| f["count"].as_u64().expect("count"))
        .sum()
}

/// The traceback grouped with the `class` event at `line`.
fn traceback(report: &Value, class: &str, line: u64) -> Vec<String> {
    evidence(report, class, line)["traceback"]
        .as_array()
        .unwrap_or_else(|| panic!("{class} at {line} has no traceback"))
        .iter()
        .map(|l| l.as_str().expect("string").to_string())
        .collect()
}

/// The messages of physical lines `from..=to` (1-based), wrapper removed.
fn messages(file: &str, wrapper: &str, from: usize, to: usize) -> Vec<String> {
    let wrapper = Regex::new(wrapper).expect("regex");
    read(file)
        .lines()
        .skip(from - 1)
        .take(to - from + 1)
        .map(|l| wrapper.replace(l, "").to_string())
        .collect()
}

/// The stamp of a sequence step reached at `line`.
fn step_stamp(report: &Value, line: u64) -> Option<String> {
    report["sequences"]
        .as_array()
        .expect("sequences")
        .iter()
        .flat_map(|s| s["runs"].as_array().expect("runs"))
        .flat_map(|r| r["steps"].as_array().expect("steps"))
        .filter_map(|s| s.get("at"))
        .find(|at| at["line"] == line)
        .unwrap_or_else(|| panic!("no step reached at line {line}"))["timestamp"]
        .as_str()
        .map(str::to_string)
}

/// The timestamp of the first event matching `pattern` (a one-rule pack).
fn first_stamp(file: &str, pattern: &str) -> Option<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("one.yaml");
    std::fs::write(&rules, CATCH_ALL.replace(r"\S", pattern)).expect("write");
    let output = faultline()
        .args(["scan", "--format", "json", "--no-default-rules", "--rules"])
        .arg(&rules)
        .arg(format!("{DIR}/{file}"))
        .output()
        .expect("run");
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    report["findings"][0]["evidence"][0]["timestamp"]
        .as_str()
        .map(str::to_string)
}

fn no_origin(_: &str) -> Value {
    json!({})
}

#[test]
fn render_cli_json_objects_back_to_back() {
    let file = "render-cli-json.json";
    // Nine objects; each event sits on its `"message"` line, JSON escapes
    // (ANSI as \u001b) decoded, origin from the resource/instance labels.
    let text = read(file);
    let mut expected = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(field) = line.trim().strip_prefix("\"message\": ") {
            let message: String =
                serde_json::from_str(field.trim_end_matches(',')).expect("a JSON string");
            expected.push((i as u64 + 1, message));
        }
    }
    let got = events(file);
    assert_eq!(got.len(), 9, "nine objects");
    assert_eq!(
        got.iter()
            .map(|(l, m, _)| (*l, m.clone()))
            .collect::<Vec<_>>(),
        expected
    );
    // The build objects come first (messages on lines 21 to 65).
    for (line, _, origin) in &got {
        let instance = if *line <= 65 {
            "srv-d0k7q2bipnbc73e1g4mg-build"
        } else {
            "srv-d0k7q2bipnbc73e1g4mg-5v8kx"
        };
        assert_eq!(
            origin,
            &json!({"service": "srv-d0k7q2bipnbc73e1g4mg", "host": instance}),
            "line {line}"
        );
    }
    assert!(got[0].1.starts_with("\u{1b}[1m==> Running build command"));

    let (report, matches) = scan(file, 1);
    assert_eq!(report["stats"]["lines"], 199);
    assert_eq!(
        lines_and_classes(&matches),
        [
            (109, "unknown"),
            (175, "missing-dependency"),
            (197, "crashloop"),
        ]
    );
    assert_eq!(
        matches[1].2,
        "ModuleNotFoundError: No module named 'supabase'"
    );
    assert_eq!(
        stamp(&report, "missing-dependency", 175).as_deref(),
        Some("2025-10-23T16:02:14.776004859Z")
    );
    assert_eq!(
        stamp(&report, "unknown", 109).as_deref(),
        Some("2025-10-23T16:02:14.77480464Z"),
        "…774804640Z, trailing zero dropped"
    );
    // One object per traceback line: grouped into one event.
    assert_eq!(
        traceback(&report, "missing-dependency", 175),
        [
            "Traceback (most recent call last):",
            "  File \"/opt/render/project/src/app/main.py\", line 7, in <module>",
            "    from supabase import create_client",
            "ModuleNotFoundError: No module named 'supabase'",
        ]
    );
}

const SYSLOG_WRAPPER: &str = r"^<\d+>1 \S+ \S+ \S+ \S+ \S+ - ";

#[test]
fn render_syslog_drain_rfc5424() {
    let file = "render-syslog-drain.log";
    // HOSTNAME is the host, APP-NAME the service (RFC 5424 field order).
    let expected = text_events(
        file,
        SYSLOG_WRAPPER,
        |_| json!({"service": "srv-cs8k2lbtq21c73ft0gq0-7c9xk", "host": "ops-agent-worker"}),
    );
    assert_eq!(expected.len(), 10);
    assert_eq!(events(file), expected);
    let (report, matches) = scan(file, 1);
    assert_eq!(
        lines_and_classes(&matches),
        [(4, "unknown"), (9, "auth-failure"), (10, "crashloop"),]
    );
    assert_eq!(
        matches[1].2,
        "redis.exceptions.AuthenticationError: invalid username-password pair or user is disabled."
    );
    // -07:00 offsets, in UTC.
    assert_eq!(
        stamp(&report, "auth-failure", 9).as_deref(),
        Some("2025-10-23T15:57:51.561775Z")
    );
    assert_eq!(
        step_stamp(&report, 1).as_deref(),
        Some("2025-10-23T15:57:50.310775Z")
    );
    assert_eq!(
        traceback(&report, "auth-failure", 9),
        messages(file, SYSLOG_WRAPPER, 4, 9)
    );
}

const RENDER_CLI_WRAPPER: &str = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d  ";

#[test]
fn render_build_failed_with_raw_ansi() {
    let file = "render-build-failed-ansi.log";
    // Line 11 holds only its wrapper: no event.
    let expected = text_events(file, RENDER_CLI_WRAPPER, no_origin);
    assert_eq!(expected.len(), 14);
    assert_eq!(events(file), expected);
    let (report, matches) = scan(file, 1);
    assert_eq!(
        lines_and_classes(&matches),
        [
            (9, "build-failure"),
            (10, "build-failure"),
            (14, "build-failure"),
        ]
    );
    assert!(
        matches[1]
            .2
            .contains("ERROR: No matching distribution found for supabase==2.60.0")
    );
    assert!(matches[2].2.contains("==> Build failed 😞"));
    // Zone-less stamps are read as UTC.
    assert_eq!(
        stamp(&report, "build-failure", 10).as_deref(),
        Some("2025-10-23T09:14:12Z")
    );
    assert_eq!(
        stamp(&report, "build-failure", 14).as_deref(),
        Some("2025-10-23T09:14:18Z")
    );
}

const HEROKU_WRAPPER: &str = r"^\S+ (?:app|heroku)\[[^\]]+\]: ";

#[test]
fn heroku_out_of_timestamp_order() {
    let file = "heroku.log";
    let dyno = Regex::new(r"^\S+ (?:app|heroku)\[([^\]]+)\]: ").expect("regex");
    let expected = text_events(
        file,
        HEROKU_WRAPPER,
        |line| json!({"service": &dyno.captures(line).expect("a Heroku line")[1]}),
    );
    assert_eq!(expected.len(), 30);
    assert_eq!(events(file), expected);
    let (report, matches) = scan(file, 1);
    assert_eq!(
        lines_and_classes(&matches),
        [
            (8, "crashloop"),
            (9, "crashloop"),
            (10, "unknown"),
            (11, "unknown"),
            (25, "config-error"),
            (27, "crashloop"),
            (29, "crashloop"),
            (30, "crashloop"),
        ]
    );
    assert_eq!(
        stamp(&report, "config-error", 25).as_deref(),
        Some("2025-10-23T08:57:55.403043Z")
    );
    assert_eq!(
        stamp(&report, "crashloop", 8).as_deref(),
        Some("2025-10-23T08:57:55.612934Z")
    );
    assert_eq!(
        evidence(&report, "crashloop", 30)["origin"],
        json!({"service": "router"})
    );
    // The timeline, not the file order: the traceback stamped .403 comes
    // before the exit printed above it at .612.
    assert_eq!(
        report["findings"][0]["evidence"][0]["line"], 10,
        "findings are listed first seen first: line 10 (.403024), not line 8"
    );
    assert_eq!(
        traceback(&report, "config-error", 25),
        messages(file, HEROKU_WRAPPER, 11, 25)
    );
}

const JOURNALD_WRAPPER: &str = r"^\w{3} \d\d \d\d:\d\d:\d\d \S+ [\w.@/-]+?(?:\[\d+\])?: ";

#[test]
fn journald_two_process_runs() {
    let file = "journald.log";
    let unit =
        Regex::new(r"^\w{3} \d\d \d\d:\d\d:\d\d (\S+) ([\w.@/-]+?)(?:\[\d+\])?: ").expect("regex");
    let expected = text_events(file, JOURNALD_WRAPPER, |line| {
        let c = unit.captures(line).expect("a journald line");
        json!({"host": &c[1], "service": &c[2]})
    });
    assert_eq!(expected.len(), 20);
    assert_eq!(events(file), expected);
    let (report, matches) = scan(file, 1);
    assert_eq!(
        lines_and_classes(&matches),
        [
            (7, "unknown"),
            (12, "auth-failure"),
            (13, "crashloop"),
            (18, "auth-failure"),
            (19, "crashloop"),
        ]
    );
    // systemd's own lines name systemd as their service.
    assert_eq!(
        evidence(&report, "crashloop", 13)["origin"],
        json!({"service": "systemd", "host": "ip-10-0-3-17"})
    );
    assert_eq!(class_count(&report, "auth-failure"), 2);
    // Year-less stamps are shown as written.
    assert_eq!(
        stamp(&report, "auth-failure", 12).as_deref(),
        Some("Oct 23 08:57:43")
    );
    assert_eq!(
        stamp(&report, "auth-failure", 18).as_deref(),
        Some("Oct 23 08:57:49")
    );
    assert_eq!(
        evidence(&report, "auth-failure", 18)["origin"],
        json!({"service": "ops-agent-worker", "host": "ip-10-0-3-17"})
    );
    assert_eq!(
        traceback(&report, "auth-failure", 12),
        messages(file, JOURNALD_WRAPPER, 7, 12)
    );
    assert!(
        evidence(&report, "auth-failure", 18)
            .get("traceback")
            .is_none(),
        "the second run's error has no traceback"
    );
}

#[test]
fn gunicorn_error_and_access_log() {
    let file = "gunicorn.log";
    let expected = text_events(file, "^$", no_origin);
    assert_eq!(expected.len(), 13);
    assert_eq!(events(file), expected);
    let (report, matches) = scan(file, 1);
    assert_eq!(
        lines_and_classes(&matches),
        [(9, "timeout"), (11, "oom-killed"),]
    );
    assert_eq!(
        stamp(&report, "timeout", 9).as_deref(),
        Some("2025-10-23T08:57:55Z")
    );
    assert_eq!(
        stamp(&report, "oom-killed", 11).as_deref(),
        Some("2025-10-23T08:57:56Z")
    );
}

#[test]
fn uvicorn_two_server_runs() {
    let file = "uvicorn.log";
    let expected = text_events(file, "^$", no_origin);
    assert_eq!(expected.len(), 25, "line 25 is empty");
    assert_eq!(events(file), expected);
    let (report, matches) = scan(file, 1);
    assert_eq!(
        lines_and_classes(&matches),
        [
            (14, "unknown"),
            (24, "connection-failed"),
            (26, "crashloop"),
        ]
    );
    assert_eq!(
        stamp(&report, "connection-failed", 24),
        None,
        "uvicorn lines carry no time"
    );
    // The first run's "Invalid HTTP request" warning is no finding.
    assert!(!matches.iter().any(|(l, _, _)| *l == 6));
    assert_eq!(
        traceback(&report, "connection-failed", 24),
        messages(file, "^$", 14, 24)
    );
}

#[test]
fn structlog_exc_info_traceback() {
    let file = "structlog.jsonl";
    let expected = json_line_events(file, "event", "exc_info", |_| json!({}));
    assert_eq!(
        expected.len(),
        14,
        "6 records, line 4 with 8 traceback lines"
    );
    assert_eq!(events(file), expected);
    let (report, matches) = scan(file, 1);
    assert_eq!(
        lines_and_classes(&matches),
        [(4, "db-schema-mismatch"), (4, "unknown"),]
    );
    assert_eq!(
        stamp(&report, "db-schema-mismatch", 4).as_deref(),
        Some("2025-10-23T15:57:57.45401Z")
    );
    let record: Value =
        serde_json::from_str(read(file).lines().nth(3).expect("line 4")).expect("JSON");
    assert_eq!(
        traceback(&report, "db-schema-mismatch", 4),
        record["exc_info"]
            .as_str()
            .expect("exc_info")
            .lines()
            .collect::<Vec<_>>()
    );
}

#[test]
fn python_json_logger_exc_info_traceback() {
    let file = "python-json-logger.jsonl";
    let expected = json_line_events(file, "message", "exc_info", |_| json!({}));
    assert_eq!(
        expected.len(),
        9,
        "3 records, line 2 with 6 traceback lines"
    );
    assert_eq!(events(file), expected);
    let (report, matches) = scan(file, 1);
    assert_eq!(
        lines_and_classes(&matches),
        [(2, "auth-failure"), (2, "unknown")]
    );
    assert_eq!(
        matches[0].2,
        "stripe._error.AuthenticationError: Invalid API Key provided: sk_live_****************7Qz"
    );
    // `asctime` with a comma before the milliseconds.
    assert_eq!(
        stamp(&report, "auth-failure", 2).as_deref(),
        Some("2025-10-23T15:58:00.29Z")
    );
    let record: Value =
        serde_json::from_str(read(file).lines().nth(1).expect("line 2")).expect("JSON");
    assert_eq!(
        traceback(&report, "auth-failure", 2),
        record["exc_info"]
            .as_str()
            .expect("exc_info")
            .lines()
            .collect::<Vec<_>>()
    );
}

#[test]
fn chained_traceback_keeps_the_first_exception_with_its_frames() {
    let file = "chained-traceback.log";
    let expected = text_events(file, "^$", no_origin);
    assert_eq!(expected.len(), 23);
    assert_eq!(events(file), expected);
    let (report, matches) = scan(file, 1);
    assert_eq!(
        lines_and_classes(&matches),
        [
            (3, "unknown"),
            (7, "auth-failure"),
            (12, "unknown"),
            (22, "unknown"),
        ]
    );
    assert_eq!(class_count(&report, "unknown"), 3);
    assert_eq!(
        traceback(&report, "auth-failure", 7),
        messages(file, "^$", 3, 7)
    );
    // Its own line has no stamp; the logging line before it has one.
    assert_eq!(stamp(&report, "auth-failure", 7), None);
}

const RQ_WRAPPER: &str = r"^\d\d:\d\d:\d\d ";

#[test]
fn rq_worker_time_of_day_only() {
    let file = "rq-worker.log";
    let expected = text_events(file, RQ_WRAPPER, no_origin);
    assert_eq!(expected.len(), 16);
    assert_eq!(events(file), expected);
    let (report, matches) = scan(file, 1);
    assert_eq!(
        lines_and_classes(&matches),
        [(7, "unknown"), (14, "timeout"),]
    );
    assert_eq!(matches[0].2, "Traceback (most recent call last):");
    // A time of day alone is shown as written.
    assert_eq!(stamp(&report, "unknown", 7).as_deref(), Some("08:58:25"));
    assert_eq!(
        traceback(&report, "timeout", 14),
        messages(file, RQ_WRAPPER, 7, 14)
    );
}

const CF_WRAPPER: &str = r"^\S+ \[[^\]]+\] (?:OUT|ERR) ";

#[test]
fn cloud_foundry_sources() {
    let file = "cloudfoundry.log";
    let source = Regex::new(r"^\S+ \[([^\]]+)\] ").expect("regex");
    let expected = text_events(
        file,
        CF_WRAPPER,
        |line| json!({"service": &source.captures(line).expect("a CF line")[1]}),
    );
    assert_eq!(expected.len(), 9);
    assert_eq!(events(file), expected);
    let (report, matches) = scan(file, 1);
    assert_eq!(
        lines_and_classes(&matches),
        [(3, "unknown"), (6, "missing-dependency"),]
    );
    assert_eq!(
        stamp(&report, "missing-dependency", 6).as_deref(),
        Some("2025-10-23T08:57:44.63Z"),
        "+0000 offset without a colon"
    );
    assert_eq!(
        evidence(&report, "missing-dependency", 6)["origin"],
        json!({"service": "APP/PROC/WEB/0"})
    );
    assert_eq!(
        traceback(&report, "missing-dependency", 6),
        messages(file, CF_WRAPPER, 3, 6)
    );
}

#[test]
fn kubectl_timestamps_of_every_precision_and_offset() {
    let file = "kubectl-found-pods-mixed-timestamps.log";
    let expected = text_events(file, r"^\d{4}-\d\d-\d\dT\S+ ", no_origin);
    assert_eq!(expected.len(), 10);
    assert_eq!(events(file), expected);
    let (report, matches) = scan(file, 1);
    assert_eq!(
        lines_and_classes(&matches),
        [
            (9, "auth-failure"),
            (9, "db-unavailable"),
            (10, "degraded-mode"),
        ]
    );
    // 1, 2, 4 and 9 fraction digits, and +02:00: all in UTC.
    assert_eq!(
        stamp(&report, "db-unavailable", 9).as_deref(),
        Some("2025-10-23T15:57:41.9Z")
    );
    assert_eq!(
        stamp(&report, "degraded-mode", 10).as_deref(),
        Some("2025-10-23T15:57:41.910331772Z")
    );
    assert_eq!(
        step_stamp(&report, 2).as_deref(),
        Some("2025-10-23T15:57:41.5203Z")
    );
    assert_eq!(
        step_stamp(&report, 5).as_deref(),
        Some("2025-10-23T15:57:41.804817019Z"),
        "17:57:41.804817019+02:00"
    );
    assert_eq!(
        first_stamp(file, "Governance modules initialized").as_deref(),
        Some("2025-10-23T15:57:41.78Z")
    );
}

#[test]
fn kubectl_tables() {
    for (file, rows, expected) in [
        (
            "kubectl-get-pods-failing.txt",
            8,
            &[
                (2, "crashloop"),
                (3, "oom-killed"),
                (6, "image-pull"),
                (7, "unknown"),
            ][..],
        ),
        (
            "kubectl-get-events-old-format.txt",
            4,
            &[(2, "crashloop"), (4, "image-pull")][..],
        ),
        (
            "kubectl-get-events-all-namespaces.txt",
            4,
            &[(2, "config-error"), (3, "probe-failure")][..],
        ),
    ] {
        let events_expected = text_events(file, "^$", no_origin);
        assert_eq!(events_expected.len(), rows, "{file}");
        assert_eq!(events(file), events_expected, "{file}");
        let (report, matches) = scan(file, 1);
        assert_eq!(lines_and_classes(&matches), expected, "{file}");
        for (line, rule) in expected {
            assert_eq!(
                stamp(&report, rule, *line),
                None,
                "{file}: tables carry ages"
            );
        }
    }
}

#[test]
fn datadog_logs_api_newest_first() {
    let file = "datadog-logs-api-v2.ndjson";
    let mut expected = Vec::new();
    for (i, line) in read(file).lines().enumerate() {
        let record: Value = serde_json::from_str(line).expect("JSON");
        let a = &record["attributes"];
        expected.push((
            i as u64 + 1,
            a["message"].as_str().expect("message").to_string(),
            json!({"service": a["service"], "host": a["host"]}),
        ));
    }
    assert_eq!(expected.len(), 6);
    assert_eq!(events(file), expected);
    let (report, matches) = scan(file, 1);
    assert_eq!(
        lines_and_classes(&matches),
        [
            (1, "retries-exhausted"),
            (2, "retries-exhausted"),
            (3, "retries-exhausted"),
            (4, "retries-exhausted"),
            (5, "connection-failed"),
        ]
    );
    assert_eq!(
        stamp(&report, "connection-failed", 5).as_deref(),
        Some("2024-12-28T10:05:04.8Z")
    );
    // Newest first in the file: the first retry on the timeline is line 4.
    let retries = finding_at(&report, "retries-exhausted", 4);
    assert_eq!(retries["count"], 3);
    assert_eq!(retries["first"]["line"], 4);
    assert_eq!(retries["last"]["line"], 2);
    assert_eq!(retries["first_seen"], "2024-12-28T10:05:05Z");
    assert_eq!(
        retries["last_seen"].as_str(),
        stamp(&report, "retries-exhausted", 2).as_deref()
    );
}

#[test]
fn datadog_explorer_csv_newest_first() {
    let file = "datadog-explorer-status-tags.csv";
    let mut expected = Vec::new();
    for (i, line) in read(file).lines().enumerate().skip(1) {
        let fields: Vec<&str> = line.splitn(5, ',').collect();
        let (message, _tags) = fields[4].rsplit_once(",\"").expect("quoted tags");
        expected.push((
            i as u64 + 1,
            message.to_string(),
            json!({"service": fields[2], "host": fields[1]}),
        ));
    }
    assert_eq!(expected.len(), 4, "the header is no event");
    assert_eq!(events(file), expected);
    let (report, matches) = scan(file, 1);
    assert_eq!(lines_and_classes(&matches), [(2, "db-unavailable")]);
    assert_eq!(
        stamp(&report, "db-unavailable", 2).as_deref(),
        Some("2025-10-23T15:58:02.484Z")
    );
    assert_eq!(
        step_stamp(&report, 3).as_deref(),
        Some("2025-10-23T15:57:52.196Z")
    );
}

/// Every file in the directory has its test above.
#[test]
fn every_format_fixture_is_asserted() {
    let source = std::fs::read_to_string(file!()).expect("this file");
    let files: BTreeSet<String> = std::fs::read_dir(DIR)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.len(), 18);
    for file in files {
        assert!(
            source.contains(&format!("\"{file}\"")),
            "{file} has no assertions"
        );
    }
}
