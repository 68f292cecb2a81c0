//! What rule authors use: `rules list` filtered and for sequences,
//! `rules explain` for rules and sequences, "did you mean" for a misspelt
//! class or severity, and `--rules` on `rules test` and `rules lint`.

mod common;

use common::faultline;
use predicates::prelude::*;
use serde_json::Value;

const TYPO: &str = "rules:\n  - id: x.typo\n    title: Typo\n    class: module-not-fund\n    severity: eror\n    patterns: ['No module named']\n";

const GOOD: &str = "rules:\n  - id: x.good\n    title: Good\n    class: timeout\n    severity: error\n    patterns: ['XYZZY timed out']\n    examples:\n      match: ['XYZZY timed out']\n      no_match: ['XYZZY ok']\n";

#[test]
fn rules_list_filters_by_class_and_severity() {
    let output = faultline()
        .args([
            "rules",
            "list",
            "--format",
            "json",
            "--class",
            "timeout",
            "--severity",
            "error",
        ])
        .output()
        .expect("run");
    let rules: Vec<Value> = serde_json::from_slice(&output.stdout).expect("JSON");
    assert!(rules.len() >= 3, "{rules:?}");
    assert!(
        rules
            .iter()
            .all(|r| r["class"] == "timeout" && r["severity"] == "error")
    );
    faultline()
        .args(["rules", "list", "--class", "timout"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `timeout`?"));
}

#[test]
fn rules_list_shows_sequences_and_explain_shows_one() {
    let output = faultline()
        .args(["rules", "list", "--sequences", "--format", "json"])
        .output()
        .expect("run");
    let sequences: Vec<Value> = serde_json::from_slice(&output.stdout).expect("JSON");
    let startup = sequences
        .iter()
        .find(|s| s["id"] == "ops-agent-worker.startup")
        .expect("the startup sequence");
    assert_eq!(startup["milestones"][0]["id"], "banner");
    faultline()
        .args(["rules", "list", "--sequences"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "ops-agent-worker.startup  ops-agent-worker startup (8 milestones: banner → worker-setup",
        ));
    faultline()
        .args(["rules", "explain", "ops-agent-worker.startup"])
        .assert()
        .success()
        .stdout(
            predicate::str::starts_with(
                "ops-agent-worker.startup — ops-agent-worker startup (sequence)\n",
            )
            .and(predicate::str::contains(
                "\n1. Initialisation banner (banner)\n",
            ))
            .and(predicate::str::contains(
                "✔ INFO:__main__:Ops Agent Worker - Orchestrator Integration",
            )),
        );
    faultline()
        .args(["rules", "explain", "ops-agent-worker.startp"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "did you mean `ops-agent-worker.startup`?",
        ));
}

#[test]
fn lint_suggests_the_class_or_severity_meant() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("typo.yaml");
    std::fs::write(&file, TYPO).expect("write");
    faultline()
        .args(["rules", "lint"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("hint: did you mean `error`?").and(
            predicate::str::contains("hint: did you mean `module-not-found`?"),
        ));
}

#[test]
fn rules_test_and_lint_take_rules_like_the_other_commands() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("good.yaml");
    std::fs::write(&file, GOOD).expect("write");
    let path = file.to_str().expect("UTF-8");
    for args in [
        vec!["rules", "test", "--no-default-rules", "--rules", path],
        vec!["rules", "test", "--no-default-rules", path],
    ] {
        faultline()
            .args(&args)
            .assert()
            .success()
            .stdout(predicate::str::contains(
                "2 examples passed, 0 failed (1 rules, 0 sequences)",
            ));
    }
    faultline()
        .args(["rules", "lint", "--no-default-rules", "--rules", path])
        .assert()
        .success()
        .stderr(predicate::str::contains("1 rules, 0 sequences: 0 errors"));
}
