//! Hostile and broken input: every case must give a clear message, lose
//! nothing that could be read, never hang, and follow the exit-code contract
//! (2 when an input could not be fully read, the rest still reported).

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{faultline, scan_json};
use serde_json::Value;

const FAILURE: &str = "ModuleNotFoundError: No module named 'yaml'";
const RULE: &str = "python.missing-dependency";

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write fixture");
    path
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 temp path")
}

/// How many times `rule` was found in a JSON report.
fn count(report: &Value, rule: &str) -> u64 {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["rule"] == rule)
        .filter_map(|f| f["count"].as_u64())
        .sum()
}

/// The evidence texts of `rule` in a JSON report.
fn evidence(report: &Value, rule: &str) -> Vec<String> {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["rule"] == rule)
        .flat_map(|f| f["evidence"].as_array().cloned().unwrap_or_default())
        .filter_map(|e| e["text"].as_str().map(str::to_string))
        .collect()
}

/// The report's problems as (path suffix match, kind, message).
fn problems(report: &Value) -> Vec<(String, String, String)> {
    report["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["path"].as_str().unwrap_or("").to_string(),
                p["kind"].as_str().unwrap_or("").to_string(),
                p["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("compress");
    encoder.finish().expect("compress")
}

/// A plain log with the failure near its start and healthy lines after it.
fn log_with_failure_first(healthy_lines: usize) -> String {
    let mut text = format!("2025-10-23T08:57:55Z {FAILURE}\n");
    for i in 0..healthy_lines {
        text.push_str(&format!(
            "2025-10-23T08:57:56Z INFO:__main__:Processing task {i} for agent ops_agent\n"
        ));
    }
    text
}

#[test]
fn binary_files_found_in_a_directory_are_skipped_but_named_ones_are_scanned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut bytes = vec![0u8, 1, 2, 3, 0xff, 0];
    bytes.extend_from_slice(format!("\n{FAILURE}\n").as_bytes());
    let blob = write(dir.path(), "core.bin", &bytes);
    write(dir.path(), "app.log", b"INFO ok\n");
    let (code, report) = scan_json(&[path_str(dir.path())]);
    assert_eq!(code, 0, "a skipped file is not an error: {report:#}");
    assert_eq!(count(&report, RULE), 0);
    let notes = problems(&report);
    assert!(
        notes
            .iter()
            .any(|(_, kind, message)| kind == "skipped" && message.contains("binary")),
        "{notes:?}"
    );
    let (code, report) = scan_json(&["--binary", path_str(dir.path())]);
    assert_eq!(code, 1);
    assert_eq!(count(&report, RULE), 1);
    // Named on the command line, it is scanned, as grep and ripgrep do:
    // crashed nodes leave runs of NUL bytes in their logs.
    let (code, report) = scan_json(&[path_str(&blob)]);
    assert_eq!(code, 1);
    assert_eq!(count(&report, RULE), 1);
}

#[test]
fn nothing_read_is_never_an_all_clear() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let (code, report) = scan_json(&[path_str(&empty)]);
    assert_eq!(code, 2, "{report:#}");
    assert!(
        problems(&report)
            .iter()
            .any(|(_, kind, message)| kind == "error" && message.contains("no input could be read")),
        "{report:#}"
    );
    // Every input skipped is nothing read either.
    let binary = dir.path().join("only-binary");
    std::fs::create_dir(&binary).expect("mkdir");
    write(&binary, "core.bin", &[0u8, 1, 2, 0, 0]);
    let (code, _) = scan_json(&[path_str(&binary)]);
    assert_eq!(code, 2);
    // An empty file was read: it is clean.
    let (code, _) = scan_json(&[path_str(&write(dir.path(), "empty.log", b""))]);
    assert_eq!(code, 0);
}

#[test]
fn gzip_on_stdin_is_recognised_by_its_bytes() {
    let output = faultline()
        .args(["scan", "--format", "json", "-"])
        .write_stdin(gzip(format!("INFO start\n{FAILURE}\n").as_bytes()))
        .output()
        .expect("run");
    let report: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    assert_eq!(count(&report, RULE), 1);
    assert_eq!(report["stats"]["lines"], 2);
}

#[test]
fn markdown_lists_the_problems() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fine = write(dir.path(), "fine.log", format!("{FAILURE}\n").as_bytes());
    let missing = dir.path().join("missing.log");
    let output = faultline()
        .args(["scan", "--format", "markdown"])
        .arg(&fine)
        .arg(&missing)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("## Problems"), "{text}");
    assert!(text.contains("missing.log"), "{text}");
}

#[test]
fn nul_bytes_inside_a_text_log_do_not_hide_failures_or_break_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The NUL comes after the 8 KiB sniffed for binary-ness, as in a log
    // whose writer crashed mid-line and was restarted.
    let mut text = log_with_failure_first(200).into_bytes();
    text.extend_from_slice(b"half-written\0\0\0 line ");
    text.extend_from_slice(format!("{FAILURE}\n").as_bytes());
    let log = write(dir.path(), "app.log", &text);
    let (code, report) = scan_json(&[path_str(&log)]);
    assert_eq!(code, 1);
    assert_eq!(count(&report, RULE), 2);
    let output = faultline()
        .args(["scan", "--matches", path_str(&log)])
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains('\0'), "NUL reached the terminal");
    assert!(stdout.contains("\\0") || stdout.contains("\\u{0}") || stdout.contains("\\x00"));
}

#[test]
fn invalid_utf8_is_matched_as_bytes_and_shown_lossily() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut bytes = b"worker \xff\xfe\xc3 crashed: ".to_vec();
    bytes.extend_from_slice(format!("{FAILURE}\n").as_bytes());
    let log = write(dir.path(), "latin1.log", &bytes);
    let (code, report) = scan_json(&[path_str(&log)]);
    assert_eq!(code, 1);
    let shown = evidence(&report, RULE);
    assert_eq!(shown.len(), 1);
    assert!(shown[0].contains('\u{FFFD}'), "{shown:?}");
}

#[test]
fn utf16_logs_with_a_bom_are_decoded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = log_with_failure_first(3);
    let mut little = vec![0xFF, 0xFE];
    let mut big = vec![0xFE, 0xFF];
    for unit in text.encode_utf16() {
        little.extend_from_slice(&unit.to_le_bytes());
        big.extend_from_slice(&unit.to_be_bytes());
    }
    let le = write(dir.path(), "windows-le.log", &little);
    let be = write(dir.path(), "windows-be.log", &big);
    let (code, report) = scan_json(&[path_str(&le), path_str(&be)]);
    assert_eq!(code, 1);
    assert_eq!(count(&report, RULE), 2);
    assert_eq!(evidence(&report, RULE)[0], FAILURE);
}

#[test]
fn crlf_line_endings_are_not_part_of_the_evidence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = log_with_failure_first(2).replace('\n', "\r\n");
    let log = write(dir.path(), "crlf.log", text.as_bytes());
    let (code, report) = scan_json(&[path_str(&log)]);
    assert_eq!(code, 1);
    assert_eq!(evidence(&report, RULE), vec![FAILURE.to_string()]);
    assert_eq!(report["stats"]["lines"], 3);
}

#[test]
fn a_100_mb_single_line_is_scanned_and_its_evidence_is_clipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut line = vec![b'x'; 100 << 20];
    line.extend_from_slice(format!(" {FAILURE}\n").as_bytes());
    let log = write(dir.path(), "minified.log", &line);
    let (code, report) = scan_json(&[path_str(&log)]);
    assert_eq!(code, 1);
    let shown = evidence(&report, RULE);
    assert_eq!(shown.len(), 1);
    assert!(shown[0].ends_with(FAILURE), "the match itself is kept");
    assert!(shown[0].starts_with("[… "), "the cut is said");
    assert!(
        shown[0].len() < 8192,
        "evidence is bounded: {}",
        shown[0].len()
    );
}

#[test]
fn an_empty_file_is_clean() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = write(dir.path(), "empty.log", b"");
    let (code, report) = scan_json(&[path_str(&log)]);
    assert_eq!(code, 0);
    assert_eq!(report["stats"]["files"], 1);
    assert_eq!(report["stats"]["lines"], 0);
    assert!(problems(&report).is_empty());
}

#[test]
fn a_last_line_without_newline_is_scanned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = format!("INFO starting\n{FAILURE}");
    let log = write(dir.path(), "cut.log", text.as_bytes());
    let (code, report) = scan_json(&[path_str(&log)]);
    assert_eq!(code, 1);
    assert_eq!(count(&report, RULE), 1);
    assert_eq!(report["stats"]["lines"], 2);
}

#[test]
fn truncated_gzip_keeps_what_decompressed_then_reports_the_damage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let compressed = gzip(log_with_failure_first(50_000).as_bytes());
    let cut = write(
        dir.path(),
        "app.log.gz",
        &compressed[..compressed.len() / 2],
    );
    let healthy = write(dir.path(), "other.log", FAILURE.as_bytes());
    let (code, report) = scan_json(&[path_str(&cut), path_str(&healthy)]);
    assert_eq!(code, 2, "an input could not be fully read");
    assert_eq!(count(&report, RULE), 2, "both failures are still found");
    let errors = problems(&report);
    assert!(
        errors
            .iter()
            .any(|(path, kind, _)| path.ends_with("app.log.gz") && kind == "error"),
        "{errors:?}"
    );
}

#[test]
fn corrupt_gzip_is_an_error_for_that_file_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut compressed = gzip(log_with_failure_first(5_000).as_bytes());
    let middle = compressed.len() / 2;
    for byte in &mut compressed[middle..middle + 64] {
        *byte ^= 0x5A;
    }
    let corrupt = write(dir.path(), "corrupt.gz", &compressed);
    let fine = write(dir.path(), "fine.log", FAILURE.as_bytes());
    let (code, report) = scan_json(&[path_str(&corrupt), path_str(&fine)]);
    assert_eq!(code, 2);
    assert!(
        count(&report, RULE) >= 1,
        "the intact file is still scanned"
    );
    assert!(
        problems(&report)
            .iter()
            .any(|(path, kind, _)| path.ends_with("corrupt.gz") && kind == "error")
    );
}

#[test]
fn a_datadog_export_cut_off_mid_document_keeps_the_complete_events() {
    let dir = tempfile::tempdir().expect("tempdir");
    let event = |id: u32, message: &str| {
        serde_json::json!({
            "id": format!("AQAAAY{id}"),
            "type": "log",
            "attributes": {
                "timestamp": format!("2025-10-23T08:57:{:02}.000Z", id),
                "service": "agent-worker",
                "status": "error",
                "message": message,
            }
        })
    };
    let whole = serde_json::json!({
        "data": [event(1, FAILURE), event(2, "INFO ok"), event(3, FAILURE)],
        "meta": {"page": {"after": "x"}},
    })
    .to_string();
    let cut_at = whole.rfind(FAILURE).expect("second failure") - 5;
    let log = write(dir.path(), "datadog.json", &whole.as_bytes()[..cut_at]);
    let (code, report) = scan_json(&[path_str(&log)]);
    assert_eq!(code, 2, "the document is incomplete");
    assert_eq!(count(&report, RULE), 1, "the complete event is kept");
    assert!(
        problems(&report)
            .iter()
            .any(|(_, kind, message)| kind == "error" && !message.is_empty())
    );
}

#[test]
fn csv_with_quoted_newlines_and_a_missing_column_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = format!(
        "Date,Host,Service,Status,Message\n\
         2025-10-23T08:57:55Z,web-1,agent-worker,error,\"Traceback (most recent call last):\n  File \"\"x.py\"\", line 1, in <module>\n{FAILURE}\"\n\
         2025-10-23T08:57:56Z,web-1,agent-worker,info\n\
         2025-10-23T08:57:57Z,web-1,agent-worker,error,{FAILURE}\n"
    );
    let log = write(dir.path(), "extract.csv", csv.as_bytes());
    let (_, report) = scan_json(&[path_str(&log)]);
    assert_eq!(count(&report, RULE), 2, "{report:#}");
    let first = &report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == RULE)
        .expect("finding")["first"];
    assert_eq!(
        first["line"], 2,
        "a quoted multi-line cell keeps its row's line"
    );
}

#[test]
fn unreadable_and_missing_paths_do_not_stop_the_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fine = write(dir.path(), "fine.log", FAILURE.as_bytes());
    let missing = dir.path().join("missing.log");
    let (code, report) = scan_json(&[path_str(&missing), path_str(&fine)]);
    assert_eq!(code, 2);
    assert_eq!(count(&report, RULE), 1);
    let errors = problems(&report);
    assert!(
        errors
            .iter()
            .any(|(path, _, message)| path.ends_with("missing.log")
                && message.contains("No such file")),
        "{errors:?}"
    );
}

#[test]
fn a_directory_named_like_a_file_is_walked_not_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let looks_like_file = dir.path().join("app.log");
    std::fs::create_dir(&looks_like_file).expect("mkdir");
    write(&looks_like_file, "part-1.log", FAILURE.as_bytes());
    let (code, report) = scan_json(&[path_str(&looks_like_file)]);
    assert_eq!(code, 1);
    assert_eq!(count(&report, RULE), 1);
}

#[cfg(unix)]
#[test]
fn symlink_loops_terminate_with_a_note() {
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).expect("mkdir");
    write(&logs, "app.log", FAILURE.as_bytes());
    std::os::unix::fs::symlink(&logs, logs.join("again")).expect("symlink");
    std::os::unix::fs::symlink(logs.join("self"), logs.join("self")).expect("symlink");
    let output = faultline()
        .args(["scan", "--format", "json", path_str(&logs)])
        .timeout(Duration::from_secs(60))
        .output()
        .expect("run");
    let report: Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    assert_eq!(count(&report, RULE), 1, "the file is scanned once");
    assert!(
        problems(&report)
            .iter()
            .any(|(_, _, message)| message.contains("symlink loop")),
        "{report:#}"
    );
}

#[cfg(unix)]
#[test]
fn a_named_fifo_is_read_as_a_stream_and_devices_never() {
    let dir = tempfile::tempdir().expect("tempdir");
    let walked = dir.path().join("walked");
    std::fs::create_dir(&walked).expect("mkdir");
    let mkfifo = |path: &Path| {
        let status = std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .expect("mkfifo");
        assert!(status.success());
    };
    // Named on the command line (as `<(kubectl logs x)` is): read. Inside a
    // walked directory: skipped without blocking, as ripgrep does.
    let fifo = dir.path().join("pipe.log");
    mkfifo(&fifo);
    mkfifo(&walked.join("inner.log"));
    write(&walked, "app.log", FAILURE.as_bytes());
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, FAILURE).expect("write into the FIFO"))
    };
    let output = faultline()
        .args(["scan", "--format", "json"])
        .args([path_str(&fifo), "/dev/zero", path_str(&walked)])
        .timeout(Duration::from_secs(60))
        .output()
        .expect("run");
    writer.join().expect("writer");
    assert_eq!(output.status.code(), Some(2), "/dev/zero is an error");
    let report: Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    assert_eq!(count(&report, RULE), 2, "the FIFO and app.log: {report:#}");
    let errors = problems(&report);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].0.ends_with("/dev/zero") && errors[0].2.contains("not a regular file"),
        "{errors:?}"
    );
}

// A file truncated while it is scanned (logrotate `copytruncate`): covered
// deterministically by `a_file_that_shrinks_while_mapped_is_survived_and_reported`
// in src/engine/drive.rs (map, truncate, then scan the stale map) and by
// `a_file_truncated_while_mapped_reads_as_zeros_and_is_flagged` in
// src/input/mapped.rs. An end-to-end race against the binary could miss the
// window and pass without testing anything, so there is none.

/// Found by the fuzzer: a cause with no timestamp sorts first on the
/// timeline but sits later in the input than a stamped outcome; measuring
/// the distance between them must not underflow (a debug build panicked).
#[test]
fn an_unstamped_cause_after_a_stamped_outcome_does_not_crash() {
    let (code, report) = scan_json(&[
        "--input-format",
        "jsonl",
        "tests/data/fuzz-outcome-before-unstamped-cause.log",
    ]);
    assert!(code == 0 || code == 1, "exit {code}: {report:#}");
    assert!(report["stats"]["lines"].as_u64().is_some_and(|l| l > 0));
}
