//! What log lines carry never reaches a terminal, ticket or chat raw:
//! control characters and ANSI escapes are shown escaped, JSON stays valid,
//! and secrets are masked in every output format (unless `--no-redact`),
//! without changing which rules match.
//!
//! The hostile corpus puts control characters, an ANSI CSI, an OSC title
//! sequence, a one-byte C1 CSI and a bidirectional override into every field
//! a report quotes (the pod, container, service and host, the file path,
//! captures, traceback frames, run keys, evidence text) and follows each one
//! through every output: the text, Markdown and JSON reports, JSON lines,
//! `--matches` text and JSON lines, and `tail` text and JSON lines.

mod common;

use std::path::{Path, PathBuf};

use common::faultline;
use serde_json::Value;

const PASSWORD: &str = "AbC123sekret";
const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl";
const API_KEY: &str = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz012345";

/// A failing line that carries escapes, a terminal-title injection, a bell,
/// and three kinds of secret; plus a line of every control byte.
fn hostile_log() -> Vec<u8> {
    let mut log = format!(
        "2025-10-23T08:57:55Z ERROR \x1b[31mredis.exceptions.ConnectionError: Error 104 \
         connecting to rediss://default:{PASSWORD}@caring-owl-41.upstash.io:6379. \
         Connection reset by peer.\x1b]0;pwned\x07 token={JWT} ANTHROPIC_API_KEY={API_KEY}\n"
    )
    .into_bytes();
    log.extend_from_slice(b"ModuleNotFoundError: No module named 'yaml' ");
    log.extend((1u8..32).filter(|b| *b != b'\n'));
    log.extend_from_slice(b"\x7f\x9b\xc2\x9b\n");
    log
}

fn run(args: &[&str], log: &std::path::Path) -> String {
    let output = faultline()
        .args(args)
        .arg(log)
        .output()
        .expect("run faultline");
    assert!(
        matches!(output.status.code(), Some(1)),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("output is UTF-8")
}

fn assert_safe(name: &str, output: &str) {
    let raw = output
        .chars()
        .find(|c| (c.is_control() && *c != '\n') || *c == '\u{9b}');
    assert!(raw.is_none(), "{name}: raw control {raw:?} in:\n{output}");
    for secret in [PASSWORD, JWT, API_KEY] {
        assert!(
            !output.contains(secret),
            "{name}: {secret} leaked:\n{output}"
        );
    }
    assert!(output.contains("upstash"), "{name}: the finding is shown");
}

#[test]
fn every_scan_output_is_escaped_and_redacted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("hostile.log");
    std::fs::write(&log, hostile_log()).expect("write");
    let own_colors = regex::Regex::new(r"\x1b\[[0-9;]*m").expect("regex");
    let colored = run(&["scan", "--color", "always"], &log);
    assert_safe("colored text", &own_colors.replace_all(&colored, ""));
    for format in ["text", "json", "jsonl", "markdown"] {
        let output = run(&["scan", "--format", format], &log);
        assert_safe(format, &output);
        if format.starts_with("json") {
            for line in output.lines().filter(|l| format == "jsonl" || l.is_empty()) {
                serde_json::from_str::<serde_json::Value>(line).expect("valid JSON line");
            }
            if format == "json" {
                serde_json::from_str::<serde_json::Value>(&output).expect("valid JSON");
            }
        }
    }
    for format in ["text", "jsonl"] {
        let output = run(&["scan", "--matches", "--format", format], &log);
        assert_safe(&format!("matches {format}"), &output);
    }
}

#[test]
fn tail_output_is_escaped_and_redacted() {
    for format in ["text", "jsonl"] {
        let output = faultline()
            .args(["tail", "--format", format, "-"])
            .write_stdin(hostile_log())
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .expect("run faultline");
        let stdout = String::from_utf8(output.stdout).expect("UTF-8");
        assert_safe(&format!("tail {format}"), &stdout);
    }
}

#[test]
fn redaction_never_changes_what_matches_and_can_be_turned_off() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("hostile.log");
    std::fs::write(&log, hostile_log()).expect("write");
    let rules = |output: &str| -> Vec<(String, u64)> {
        let report: serde_json::Value = serde_json::from_str(output).expect("JSON");
        report["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap_or("").to_string(),
                    f["count"].as_u64().unwrap_or(0),
                )
            })
            .collect()
    };
    let masked = run(&["scan", "--format", "json"], &log);
    let plain = run(&["scan", "--format", "json", "--no-redact"], &log);
    assert_eq!(rules(&masked), rules(&plain));
    assert!(rules(&masked).iter().any(|(r, _)| r == "redis.upstash-tls"));
    for secret in [PASSWORD, JWT, API_KEY] {
        assert!(plain.contains(secret), "--no-redact shows {secret}");
    }
}

/// Everything hostile at once: a CSI colour, an OSC window title ended by
/// BEL, a one-byte C1 CSI (U+009B), and a right-to-left override.
const H: &str = "\u{1b}[31m\u{1b}]0;pwned\u{7}\u{9b}2J\u{202e}";

/// `H` as a terminal output shows it.
const H_SHOWN: &str = "\\u{1b}[31m\\u{1b}]0;pwned\\u{7}\\u{9b}2J\\u{202e}";

/// Hostile without digits: what an error shape (template) keeps of a word
/// its lines share (words with digits become `<*>`).
const H2: &str = "\u{1b}[m\u{7}\u{9b}K\u{202e}";

/// `H2` as a terminal output shows it.
const H2_SHOWN: &str = "\\u{1b}[m\\u{7}\\u{9b}K\\u{202e}";

/// `text` as Markdown running text shows it (after terminal escaping).
fn markdown_shown(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if matches!(c, '\\' | '[' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A file name that carries `H` where the platform allows it.
fn hostile_name(stem: &str, extension: &str) -> String {
    if cfg!(unix) {
        format!("{stem}-{H}.{extension}")
    } else {
        format!("{stem}.{extension}")
    }
}

/// The name as text outputs show it.
fn shown_name(stem: &str, extension: &str) -> String {
    hostile_name(stem, extension).replace(H, H_SHOWN)
}

/// The ops-agent-worker startup of the supabase-timeout fixture (kubectl
/// `--timestamps` lines): (timestamp, message).
fn startup() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/supabase-timeout/kubectl-logs.log"
    ))
    .expect("fixture");
    text.lines()
        .take(18)
        .map(|l| {
            let (ts, message) = l.split_once(' ').expect("stamped");
            (ts.to_string(), message.to_string())
        })
        .collect()
}

struct Corpus {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    /// kubectl `--prefix --timestamps` text with hostile prefixes and frames.
    text: String,
    /// Datadog / python-json-logger JSON lines with hostile origins.
    jsonl: String,
    /// A path that does not exist.
    missing: String,
    /// The two files' contents.
    contents: [String; 2],
}

fn corpus() -> Corpus {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::new();
    for (ts, message) in startup() {
        text.push_str(&format!("[pod/api-1/web] {ts} {message}\n"));
    }
    // Prefixes whose pod, container or service holds escapes (lines 22 to
    // 24) are no wrappers: nothing becomes an origin, the line stays the
    // message. Lines 26 and 27 are an error no signature matches: their
    // shape (template) keeps the hostile word they share.
    text.push_str(&format!(
        "2025-10-23T15:58:03Z Traceback (most recent call last):\n\
         2025-10-23T15:58:03Z   File \"/app/{H}frame.py\", line 3, in <module>\n\
         2025-10-23T15:58:03Z ModuleNotFoundError: No module named 'orchestrator.persistence'\n\
         [pod/api-{H}x/web] 2025-10-23T15:58:04Z ModuleNotFoundError: No module named 'podmod'\n\
         [pod/api/web{H}x] 2025-10-23T15:58:04Z ModuleNotFoundError: No module named 'ctrmod'\n\
         api{H}-1  | 2025-10-23T15:58:04Z ModuleNotFoundError: No module named 'composemod'\n\
         2025-10-23T15:58:05Z panic: failed {H} here\n\
         2025-10-23T15:58:06Z ERROR reconcile{H2}batch 8812 aborted: checksum=ab (see docs)\n\
         2025-10-23T15:58:07Z ERROR reconcile{H2}batch 8813 aborted: checksum=cd (see docs)\n"
    ));
    let mut jsonl = String::new();
    let full = serde_json::json!({
        "service": format!("svc{H}"), "host": format!("host{H}"),
        "attributes": {"pod_name": format!("pod{H}"), "container_name": format!("ctr{H}")},
    });
    let service_only = serde_json::json!({"service": format!("svc{H}")});
    let record = |origin: &Value, ts: &str, message: &str, extra: Value| {
        let mut object = origin.clone();
        object["timestamp"] = ts.into();
        object["message"] = message.into();
        for (k, v) in extra.as_object().expect("object") {
            object[k] = v.clone();
        }
        object.to_string() + "\n"
    };
    for (ts, message) in startup() {
        jsonl.push_str(&record(&full, &ts, &message, serde_json::json!({})));
    }
    for (ts, message) in startup().into_iter().take(9) {
        jsonl.push_str(&record(&service_only, &ts, &message, serde_json::json!({})));
    }
    jsonl.push_str(&record(
        &full,
        "2025-10-23T15:58:07Z",
        &format!("panic: json {H} capture"),
        serde_json::json!({}),
    ));
    jsonl.push_str(&record(
        &service_only,
        "2025-10-23T15:58:06Z",
        "query failed",
        serde_json::json!({"exc_info": format!(
            "Traceback (most recent call last):\n  File \"/app/{H}j.py\", line 1, in <module>\n\
             asyncpg.exceptions.UndefinedTableError: relation \"agent_tasks\" does not exist"
        )}),
    ));
    let text_name = hostile_name("k8s", "log");
    let jsonl_name = hostile_name("dd", "jsonl");
    std::fs::write(dir.path().join(&text_name), &text).expect("write");
    std::fs::write(dir.path().join(&jsonl_name), &jsonl).expect("write");
    Corpus {
        dir: dir.path().to_path_buf(),
        _dir: dir,
        text: text_name,
        jsonl: jsonl_name,
        missing: hostile_name("missing", "log"),
        contents: [text, jsonl],
    }
}

struct Output {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs faultline in the corpus directory (paths stay relative, as typed).
fn run_in(dir: &Path, args: &[&str]) -> Output {
    let output = faultline()
        .current_dir(dir)
        .args(args)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("run faultline");
    Output {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// No raw control character (but newline), C1 control or bidirectional
/// override: nothing that could drive or reorder a terminal.
fn assert_inert(name: &str, output: &str) {
    let raw = output.chars().find(|c| {
        (c.is_control() && *c != '\n')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    });
    assert!(raw.is_none(), "{name}: raw {raw:?} in:\n{output}");
}

fn assert_shows(name: &str, output: &str, expected: &[String]) {
    for e in expected {
        assert!(
            output.contains(e.as_str()),
            "{name}: {e:?} missing in:\n{output}"
        );
    }
}

/// Every string in a JSON value, with where it is.
fn strings<'v>(value: &'v Value, at: String, out: &mut Vec<(String, &'v str)>) {
    match value {
        Value::String(s) => out.push((at, s)),
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                strings(v, format!("{at}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                strings(v, format!("{at}.{k}"), out);
            }
        }
        _ => {}
    }
}

/// JSON outputs escape what they quote (nothing raw on the wire) but keep
/// it exactly: each of `expected` is a string value somewhere in `values`,
/// and no origin of the text file holds an escape.
fn assert_json_keeps(name: &str, raw: &str, values: &[Value], expected: &[String]) {
    assert_inert(name, raw);
    let mut all = Vec::new();
    for v in values {
        strings(v, String::new(), &mut all);
    }
    for e in expected {
        assert!(
            all.iter().any(|(_, s)| s.contains(e.as_str())),
            "{name}: no value holds {e:?}"
        );
    }
    for (at, s) in &all {
        // The text file's hostile prefixes name `api…` and `web…`.
        if at.contains("origin") && (s.contains("api") || s.contains("web")) {
            assert!(
                !s.contains(|c: char| c.is_control()),
                "{name}: a hostile prefix became an origin at {at}: {s:?}"
            );
        }
    }
}

#[test]
fn hostile_text_in_every_field_is_escaped_in_every_scan_output() {
    let c = corpus();
    let inputs = [c.text.as_str(), c.jsonl.as_str(), c.missing.as_str()];
    let scan = |extra: &[&str]| {
        let args: Vec<&str> = ["scan"]
            .iter()
            .chain(extra)
            .chain(&inputs)
            .copied()
            .collect();
        let out = run_in(&c.dir, &args);
        assert_eq!(
            out.code,
            Some(2),
            "{extra:?}: a missing input is exit 2:\n{}",
            out.stderr
        );
        assert_inert(&format!("{extra:?} stderr"), &out.stderr);
        assert_shows(
            &format!("{extra:?} stderr"),
            &out.stderr,
            &[shown_name("missing", "log")],
        );
        out
    };
    let path = shown_name("k8s", "log");
    let jsonl_path = shown_name("dd", "jsonl");

    // The text report: paths, run keys (pod, container, host; service),
    // captures in explanations, traceback frames, problems.
    let text = scan(&["--format", "text"]).stdout;
    assert_inert("text", &text);
    assert_shows(
        "text",
        &text,
        &[
            format!("{path}:"),
            format!(" pod{H_SHOWN}/ctr{H_SHOWN}@host{H_SHOWN} {jsonl_path}: "),
            format!(" svc{H_SHOWN} {jsonl_path}: "),
            format!("Go program panicked: failed {H_SHOWN} here"),
            format!("File \"/app/{H_SHOWN}frame.py\", line 3"),
            format!("error: {}: ", shown_name("missing", "log")),
            format!("×2 ERROR reconcile{H2_SHOWN}batch <*> aborted: <*> (see docs)  {path}:26"),
        ],
    );
    // Colour: only faultline's own SGR sequences, around escaped text.
    let colored = scan(&["--color", "always"]).stdout;
    let own = regex::Regex::new(r"\x1b\[[0-9;]*m").expect("regex");
    let uncolored = own.replace_all(&colored, "");
    assert_inert("colored text", &uncolored);
    assert_eq!(uncolored, text, "colour changes nothing else");

    // Markdown: running text escaped for Markdown too, code as code.
    let markdown = scan(&["--format", "markdown"]).stdout;
    assert_inert("markdown", &markdown);
    assert_shows(
        "markdown",
        &markdown,
        &[
            format!("`{path}:"),
            format!("| `{jsonl_path}:"),
            format!("### Run `pod{H_SHOWN}/ctr{H_SHOWN}@host{H_SHOWN} {jsonl_path}`: "),
            format!(
                "` ({}) at ",
                markdown_shown(&format!("pod{H_SHOWN}/ctr{H_SHOWN}@host{H_SHOWN}"))
            ),
            markdown_shown(&format!("Go program panicked: failed {H_SHOWN} here")),
            format!("    File \"/app/{H_SHOWN}frame.py\", line 3"),
            format!(
                "| 2 | `ERROR reconcile{H2_SHOWN}batch <*> aborted: <*> (see docs)` | `{path}:26` at "
            ),
        ],
    );

    // JSON and JSON lines keep every value, escaped on the wire.
    let kept = [
        format!("pod{H}"),
        format!("ctr{H}"),
        format!("svc{H}"),
        format!("host{H}"),
        format!("pod{H}/ctr{H}@host{H} {}", c.jsonl),
        format!("svc{H} {}", c.jsonl),
        c.text.clone(),
        format!("failed {H} here"),
        format!("File \"/app/{H}frame.py\""),
        format!("File \"/app/{H}j.py\""),
        c.missing.clone(),
        format!("ERROR reconcile{H2}batch <*> aborted"),
    ];
    let json = scan(&["--format", "json"]).stdout;
    let report: Value = serde_json::from_str(&json).expect("valid JSON");
    assert_json_keeps("json", &json, std::slice::from_ref(&report), &kept);
    let captured = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == "go.panic")
        .expect("go.panic");
    assert_eq!(captured["captures"]["message"], format!("failed {H} here"));
    let jsonl = scan(&["--format", "jsonl"]).stdout;
    let lines: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).expect("valid JSON line"))
        .collect();
    assert_json_keeps("jsonl", &jsonl, &lines, &kept[..4]);

    // --matches: path, origin label, text.
    let matches = scan(&["--matches"]).stdout;
    assert_inert("matches", &matches);
    assert_shows(
        "matches",
        &matches,
        &[
            format!("{path}:25: [go.panic] panic: failed {H_SHOWN} here"),
            format!(
                "{jsonl_path}:28: [pod{H_SHOWN}/ctr{H_SHOWN}@host{H_SHOWN}] [go.panic] panic: json {H_SHOWN} capture"
            ),
            format!("{path}:22: [python.module-not-found] [pod/api-{H_SHOWN}x/web] 2025"),
            format!("{path}:23: [python.module-not-found] [pod/api/web{H_SHOWN}x] 2025"),
            format!("{path}:24: [python.module-not-found] api{H_SHOWN}-1  | 2025"),
        ],
    );
    let matches_jsonl = scan(&["--matches", "--format", "jsonl"]).stdout;
    let lines: Vec<Value> = matches_jsonl
        .lines()
        .map(|l| serde_json::from_str(l).expect("valid JSON line"))
        .collect();
    assert_json_keeps("matches jsonl", &matches_jsonl, &lines, &kept[..4]);
    let hostile_prefix = lines
        .iter()
        .find(|m| m["text"].as_str().is_some_and(|t| t.contains("podmod")))
        .expect("the hostile pod line matched");
    assert!(hostile_prefix.get("origin").is_none(), "{hostile_prefix}");

    // `rules suggest` drafts signatures from the unrecognised lines.
    let suggest = run_in(&c.dir, &["rules", "suggest", &c.text, &c.missing]);
    assert_eq!(suggest.code, Some(0), "{}", suggest.stderr);
    assert_inert("rules suggest", &suggest.stdout);
    assert_inert("rules suggest stderr", &suggest.stderr);
    assert_shows(
        "rules suggest",
        &suggest.stdout,
        &[
            format!("title: 'ERROR reconcile{H2_SHOWN}batch <*> aborted"),
            format!("(first at {path}:26)"),
        ],
    );
    assert_shows(
        "rules suggest stderr",
        &suggest.stderr,
        &[shown_name("missing", "log")],
    );
}

/// `tail` prints findings (path, origin, text), progress (run key), notes
/// and problems, then the report, for files it follows and for stdin.
#[test]
fn hostile_text_in_every_field_is_escaped_in_tail_output() {
    let c = corpus();
    let path = shown_name("k8s", "log");
    let jsonl_path = shown_name("dd", "jsonl");
    // `--exit-on info` ends the session after the first read of the files.
    let tail = |format: &str| {
        let out = run_in(
            &c.dir,
            &[
                "tail",
                "--format",
                format,
                "--from-start",
                "--exit-on",
                "info",
                &c.text,
                &c.jsonl,
            ],
        );
        assert_eq!(out.code, Some(1), "{format}:\n{}", out.stderr);
        assert_inert(&format!("tail {format} stderr"), &out.stderr);
        out.stdout
    };
    let text = tail("text");
    assert_inert("tail text", &text);
    assert_shows(
        "tail text",
        &text,
        &[
            format!("{path}:25: [error] go.panic: panic: failed {H_SHOWN} here"),
            format!(
                "{jsonl_path}:28: [pod{H_SHOWN}/ctr{H_SHOWN}@host{H_SHOWN}] [error] go.panic: panic: json {H_SHOWN} capture"
            ),
            format!(
                "{jsonl_path}:2: ops-agent-worker startup pod{H_SHOWN}/ctr{H_SHOWN}@host{H_SHOWN} 1/8: "
            ),
            format!("{jsonl_path}:20: ops-agent-worker startup svc{H_SHOWN} 1/8: "),
            format!("File \"/app/{H_SHOWN}frame.py\", line 3"),
        ],
    );
    let jsonl = tail("jsonl");
    let events: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).expect("valid JSON line"))
        .collect();
    assert_json_keeps(
        "tail jsonl",
        &jsonl,
        &events,
        &[
            format!("pod{H}"),
            format!("ctr{H}"),
            format!("svc{H}"),
            format!("host{H}"),
            format!("pod{H}/ctr{H}@host{H}"),
            c.text.clone(),
            format!("failed {H} here"),
            format!("File \"/app/{H}frame.py\""),
        ],
    );

    // stdin: the run key is the origin alone.
    for (format, content) in [("text", 0), ("jsonl", 1)]
        .iter()
        .flat_map(|(f, _)| [(*f, 0usize), (*f, 1)])
    {
        let output = faultline()
            .current_dir(&c.dir)
            .args(["tail", "--format", format, "-"])
            .write_stdin(c.contents[content].clone())
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .expect("run faultline");
        assert_eq!(output.status.code(), Some(1));
        let stdout = String::from_utf8(output.stdout).expect("UTF-8");
        let stderr = String::from_utf8(output.stderr).expect("UTF-8");
        let name = format!("tail {format} stdin {content}");
        assert_inert(&name, &stdout);
        assert_inert(&name, &stderr);
        if format == "text" && content == 1 {
            assert_shows(
                &name,
                &stdout,
                &[format!(
                    "<stdin>:2: ops-agent-worker startup pod{H_SHOWN}/ctr{H_SHOWN}@host{H_SHOWN} 1/8: "
                )],
            );
        }
    }
}
