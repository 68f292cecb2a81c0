//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod incident;

use assert_cmd::Command;
use serde_json::Value;

/// The faultline binary built by cargo for these tests.
pub fn faultline() -> Command {
    let mut cmd = Command::cargo_bin("faultline").expect("binary built");
    cmd.env("NO_COLOR", "1").env_remove("CI");
    cmd
}

/// Runs `faultline scan --format json ARGS` and returns (exit code, report).
pub fn scan_json(args: &[&str]) -> (i32, Value) {
    let output = faultline()
        .arg("scan")
        .arg("--format")
        .arg("json")
        .args(args)
        .output()
        .expect("run faultline");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "invalid JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    (output.status.code().unwrap_or(-1), report)
}

/// Runs `faultline scan --format html ARGS` (exit 0 or 1) and returns the page.
pub fn scan_html(args: &[&str]) -> String {
    let output = faultline()
        .args(["scan", "--format", "html"])
        .args(args)
        .output()
        .expect("run faultline");
    assert!(output.status.code().is_some_and(|c| c < 2), "{output:?}");
    String::from_utf8(output.stdout).expect("UTF-8 page")
}

/// The rule ids of the report's root causes, in rank order.
pub fn root_cause_rules(report: &Value) -> Vec<String> {
    report["root_causes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["rule"].as_str().map(str::to_string))
        .collect()
}

pub fn root_cause_classes(report: &Value) -> Vec<String> {
    report["root_causes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["class"].as_str().map(str::to_string))
        .collect()
}

/// A compact view of a report for golden snapshots: what a reader acts on.
pub fn digest(report: &Value) -> Value {
    let root_causes: Vec<Value> = report["root_causes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            serde_json::json!({
                "rule": c["rule"], "class": c["class"], "severity": c["severity"],
                "explanation": c["explanation"], "symptoms": c["symptoms"], "chain": c["chain"],
                "evidence": c["evidence"].as_array().into_iter().flatten().map(|e| format!("{}:{}", e["path"].as_str().unwrap_or(""), e["line"])).collect::<Vec<_>>(),
                "in_stall_window": c["in_stall_window"],
            })
        })
        .collect();
    let findings: Vec<String> = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            format!(
                "{} {} x{} {}:{}{}",
                f["severity"].as_str().unwrap_or(""),
                f["rule"].as_str().unwrap_or(""),
                f["count"],
                f["first"]["path"].as_str().unwrap_or(""),
                f["first"]["line"],
                f["explained_by"]
                    .as_str()
                    .map(|c| format!(" (symptom of {c})"))
                    .unwrap_or_default()
            )
        })
        .collect();
    let sequences: Vec<Value> = report["sequences"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            serde_json::json!({
                "id": s["id"],
                "runs": s["runs"].as_array().into_iter().flatten().map(|r| serde_json::json!({
                    "key": r["key"], "status": r["status"], "reached": r["reached"], "first_missing": r["first_missing"],
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    serde_json::json!({ "root_causes": root_causes, "findings": findings, "sequences": sequences, "verdict_note": report["verdict_note"] })
}
