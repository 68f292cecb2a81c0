//! Errors no signature knows still surface: grouped by shape, listed, and
//! named as the root-cause candidate (class `unknown`) when nothing else
//! explains what happened.

mod common;

use common::scan_json;

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path.display().to_string()
}

#[test]
fn an_unknown_error_becomes_the_labelled_candidate_and_groups_by_shape() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = write(
        dir.path(),
        "billing.log",
        "2026-03-02T10:00:00Z INFO starting billing-sync v2.3.1\n\
         2026-03-02T10:00:01Z INFO connected to ledger\n\
         2026-03-02T10:00:02Z ERROR reconcile batch 8812 aborted: ledger checksum mismatch at offset 91823\n\
         2026-03-02T10:00:03Z ERROR reconcile batch 8813 aborted: ledger checksum mismatch at offset 77120\n\
         2026-03-02T10:00:03Z WARN retrying reconcile in 5s\n\
         2026-03-02T10:00:09Z ERROR reconcile batch 9001 aborted: ledger checksum mismatch at offset 12\n",
    );
    let (code, report) = scan_json(&[&log]);
    assert_eq!(code, 1, "an unknown error is not an all-clear: {report:#}");
    let cause = &report["root_causes"][0];
    assert_eq!(cause["class"], "unknown");
    assert!(
        cause["rule"]
            .as_str()
            .is_some_and(|r| r.starts_with("unrecognised."))
    );
    assert_eq!(cause["evidence"][0]["line"], 3);
    let groups = report["unrecognised"]
        .as_array()
        .expect("unrecognised list");
    assert_eq!(groups.len(), 1, "{groups:#?}");
    assert_eq!(groups[0]["count"], 3);
    assert_eq!(
        groups[0]["template"],
        "ERROR reconcile batch <*> aborted: ledger checksum mismatch at offset <*>"
    );
    assert_eq!(groups[0]["last"]["line"], 6);
}

#[test]
fn a_known_cause_outranks_unrecognised_errors_and_ids_are_stable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = write(
        dir.path(),
        "api.log",
        "2026-03-02T10:00:00Z ERROR cache shard 7 rebalance aborted (epoch 41)\n\
         Traceback (most recent call last):\n\
         \x20 File \"/app/settings.py\", line 3, in <module>\n\
         \x20   import yaml\n\
         ModuleNotFoundError: No module named 'yaml'\n",
    );
    let (_, first) = scan_json(&[&log]);
    assert_eq!(first["root_causes"][0]["class"], "missing-dependency");
    assert!(
        first["root_causes"]
            .as_array()
            .expect("causes")
            .iter()
            .all(|c| c["class"] != "unknown"),
        "a signature explains it: {first:#}"
    );
    let id = first["unrecognised"][0]["id"].clone();
    assert_eq!(id.as_str().map(str::len), Some(16));
    let (_, again) = scan_json(&["-j1", &log]);
    assert_eq!(again["unrecognised"][0]["id"], id);
}

#[test]
fn suggested_drafts_load_pass_their_examples_and_then_match() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = write(
        dir.path(),
        "ledger.log",
        "2026-03-02T10:00:02Z ERROR reconcile batch 8812 aborted: ledger checksum mismatch at offset 91823\n\
         2026-03-02T10:00:03Z ERROR reconcile batch 8813 aborted: ledger checksum mismatch at offset 77120\n",
    );
    let output = common::faultline()
        .args(["rules", "suggest", &log])
        .output()
        .expect("run suggest");
    assert_eq!(output.status.code(), Some(0));
    let draft = write(
        dir.path(),
        "draft.yaml",
        &String::from_utf8_lossy(&output.stdout),
    );
    let tested = common::faultline()
        .args(["rules", "test", &draft])
        .output()
        .expect("run rules test");
    assert_eq!(
        tested.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&tested.stderr)
    );
    let (_, report) = scan_json(&["--rules", &draft, &log]);
    let cause = &report["root_causes"][0];
    assert!(
        cause["rule"]
            .as_str()
            .is_some_and(|r| r.starts_with("custom.")),
        "{report:#}"
    );
    assert!(report["unrecognised"].is_null(), "{report:#}");
}
