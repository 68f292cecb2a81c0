//! What log lines carry never reaches a terminal, ticket or chat raw:
//! control characters and ANSI escapes are shown escaped, JSON stays valid,
//! and secrets are masked in every output format (unless `--no-redact`),
//! without changing which rules match.

mod common;

use common::faultline;

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
