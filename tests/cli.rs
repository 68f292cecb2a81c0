//! End-to-end behaviour of the command line: inputs, output modes, exit codes.

mod common;

use std::io::Write;

use common::{faultline, scan_json};
use predicates::prelude::*;

const DEGRADED: &str = "fixtures/degraded-import/render-dashboard.log";
const HEALTHY: &str = "fixtures/healthy-startup/kubectl-logs.log";

#[test]
fn healthy_startup_exits_zero_and_failure_exits_one() {
    faultline().args(["scan", HEALTHY]).assert().code(0);
    faultline().args(["scan", DEGRADED]).assert().code(1);
    faultline()
        .args(["scan", "--fail-on", "never", DEGRADED])
        .assert()
        .code(0);
    faultline()
        .args(["scan", "--fail-on", "critical", DEGRADED])
        .assert()
        .code(0);
}

#[test]
fn unreadable_input_exits_two_but_still_reports_the_rest() {
    let (code, report) = scan_json(&["does/not/exist.log", DEGRADED]);
    assert_eq!(code, 2);
    assert!(
        !report["root_causes"].as_array().expect("array").is_empty(),
        "the readable file is still analysed"
    );
    let problems = report["problems"].as_array().expect("problems");
    assert!(problems.iter().any(|p| p["path"] == "does/not/exist.log"));
}

#[test]
fn matches_jsonl_has_the_contract_fields() {
    let output = faultline()
        .args(["scan", "--matches", "--format", "jsonl", DEGRADED])
        .output()
        .expect("run");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert!(!lines.is_empty());
    for line in &lines {
        for field in ["path", "line", "rule", "class", "text"] {
            assert!(!line[field].is_null(), "missing {field} in {line}");
        }
    }
    assert!(
        lines
            .iter()
            .any(|l| l["class"] == "module-not-found" && l["line"] == 22)
    );
}

#[test]
fn matches_text_is_grep_like() {
    faultline()
        .args(["scan", "--matches", DEGRADED])
        .assert()
        .stdout(predicate::str::contains(format!("{DEGRADED}:22: [")).and(
            predicate::str::contains("No module named 'orchestrator.persistence'"),
        ));
}

#[test]
fn stdin_and_gzip_and_directories_are_inputs() {
    let text = std::fs::read(DEGRADED).expect("fixture");
    let (code, from_stdin) = {
        let output = faultline()
            .args(["scan", "--format", "json", "-"])
            .write_stdin(text.clone())
            .output()
            .expect("run");
        (
            output.status.code(),
            serde_json::from_slice::<serde_json::Value>(&output.stdout).expect("json"),
        )
    };
    assert_eq!(code, Some(1));
    let (_, from_file) = scan_json(&[DEGRADED]);
    assert_eq!(
        common::root_cause_rules(&from_stdin),
        common::root_cause_rules(&from_file)
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let gz_path = dir.path().join("render.log.gz");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz_path).expect("create"),
        flate2::Compression::default(),
    );
    encoder.write_all(&text).expect("write");
    encoder.finish().expect("finish");
    let (_, from_gz) = scan_json(&[gz_path.to_str().expect("utf8 path")]);
    assert_eq!(
        common::root_cause_rules(&from_gz),
        common::root_cause_rules(&from_file)
    );
    assert_eq!(from_gz["stats"]["lines"], from_file["stats"]["lines"]);

    let (_, from_dir) = scan_json(&[dir.path().to_str().expect("utf8 path")]);
    assert_eq!(from_dir["stats"]["files"], 1);
}

#[test]
fn a_gz_name_on_plain_text_is_an_error_for_that_file_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fake = dir.path().join("fake.log.gz");
    std::fs::write(&fake, "not gzip\n").expect("write");
    let (code, report) = scan_json(&[fake.to_str().expect("path"), DEGRADED]);
    assert_eq!(code, 2);
    assert!(
        report["problems"][0]["message"]
            .as_str()
            .expect("message")
            .contains("not gzip")
    );
}

#[test]
fn globs_expand() {
    let (_, report) = scan_json(&["fixtures/oom-crashloop/*.txt"]);
    assert_eq!(report["stats"]["files"], 2);
}

#[test]
fn rules_list_json_has_complete_patterns_usable_by_other_tools() {
    let output = faultline()
        .args(["rules", "list", "--format", "json"])
        .output()
        .expect("run");
    let rules: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).expect("json");
    assert!(rules.len() >= 50, "pack has {} rules", rules.len());
    for rule in &rules {
        let patterns = rule["patterns"].as_array().expect("patterns");
        assert!(!patterns.is_empty());
        for p in patterns {
            regex::Regex::new(p.as_str().expect("string"))
                .expect("each pattern is a complete regex");
        }
        assert!(faultline::CLASSES.contains(&rule["class"].as_str().expect("class")));
    }
}

#[test]
fn markdown_report_escapes_and_renders() {
    faultline()
        .args(["scan", "--format", "markdown", DEGRADED])
        .assert()
        .stdout(
            predicate::str::starts_with("# faultline report")
                .and(predicate::str::contains("## Root cause")),
        );
}
