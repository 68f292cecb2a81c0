//! The distributed scan from the command line: `scan --partial` with
//! `--shard` and `--range`, then `merge`, against one plain `scan`.

mod common;

use std::path::{Path, PathBuf};

use common::faultline;
use predicates::prelude::*;

const FIXTURES: &str = "fixtures";
const BIG: &str = "fixtures/degraded-import/render-dashboard.log";

fn single_json(paths: &[&str]) -> Vec<u8> {
    let output = faultline()
        .args(["scan", "--format", "json"])
        .args(paths)
        .output()
        .expect("run");
    assert!(output.status.code().is_some_and(|c| c <= 1), "{output:?}");
    output.stdout
}

fn partial(out: &Path, extra: &[&str], paths: &[&str]) {
    faultline()
        .args(["scan", "--partial"])
        .arg(out)
        .args(extra)
        .args(paths)
        .assert()
        .code(0);
}

fn merge(partials: &[&Path], extra: &[&str]) -> std::process::Output {
    faultline()
        .arg("merge")
        .args(extra)
        .args(partials)
        .output()
        .expect("run")
}

/// Partials of `log` cut into byte ranges at `cuts` (ascending), written
/// to `dir` in range order.
fn range_partials(dir: &Path, log: &str, cuts: &[u64]) -> Vec<PathBuf> {
    let bounds: Vec<u64> = [0].into_iter().chain(cuts.iter().copied()).collect();
    let outs: Vec<PathBuf> = (0..bounds.len())
        .map(|i| dir.join(format!("range-{i}.json")))
        .collect();
    for (i, out) in outs.iter().enumerate() {
        let range = match bounds.get(i + 1) {
            Some(end) => format!("{}-{end}", bounds[i]),
            None => format!("{}-", bounds[i]),
        };
        partial(out, &["--range", &range], &[log]);
    }
    outs
}

#[test]
fn shards_merge_into_the_byte_identical_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let outs: Vec<_> = (0..4)
        .map(|i| dir.path().join(format!("shard-{i}.partial.gz")))
        .collect();
    for (i, out) in outs.iter().enumerate() {
        partial(out, &["--shard", &format!("{i}/4")], &[FIXTURES]);
    }
    let refs: Vec<&Path> = outs.iter().map(|p| p.as_path()).collect();
    let merged = merge(&refs, &["--format", "json"]);
    assert_eq!(merged.status.code(), Some(1), "findings at error, as scan");
    assert_eq!(
        String::from_utf8_lossy(&merged.stdout),
        String::from_utf8_lossy(&single_json(&[FIXTURES]))
    );
}

#[test]
fn byte_ranges_of_one_file_merge_into_the_byte_identical_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let size = std::fs::metadata(BIG).expect("fixture").len();
    let outs = range_partials(dir.path(), BIG, &[size / 3 + 7, 2 * size / 3 + 1]);
    let refs: Vec<&Path> = outs.iter().rev().map(|p| p.as_path()).collect();
    let merged = merge(&refs, &["--format", "json"]);
    assert_eq!(
        String::from_utf8_lossy(&merged.stdout),
        String::from_utf8_lossy(&single_json(&[BIG]))
    );
}

/// A log where agent runs (correlated by `run_id`) go quiet for about the
/// 50,000 lines after which a run is closed, on either side of it: runs that
/// start near the beginning, cross it or resume after the window, with a
/// restart inside the window for one of them.
fn runs_across_the_window() -> String {
    const STEPS: [&str; 4] = [
        "Agent pack loaded",
        "Execution started with input: {}",
        "Step 1/1 completed: work",
        "Execution completed successfully in 1.0s",
    ];
    // (run, step, line): gaps of 49,990 and 50,010 lines straddle the window.
    let mut events: Vec<(usize, usize, usize)> = Vec::new();
    for run in 0..8usize {
        let mut line = 3 + run * 7_919;
        for step in 0..4 {
            events.push((run, step, line));
            line += [120, 49_990, 50_010, 25_000][(run + step) % 4];
        }
    }
    events.push((3, 0, 170_000)); // restarts run 3 within its window
    events.sort_by_key(|&(_, _, line)| line);
    let mut text = String::new();
    let mut next = events.iter().peekable();
    for line in 1..=240_000usize {
        match next.next_if(|&&(_, _, at)| at == line) {
            Some(&(run, step, _)) => {
                text.push_str(&format!("INFO [run_id=run-{run}] {}\n", STEPS[step]));
            }
            None => text.push_str("tick\n"),
        }
    }
    text
}

#[test]
fn byte_ranges_merge_exactly_where_runs_cross_the_window() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("agent.log");
    std::fs::write(&log, runs_across_the_window()).expect("write");
    let log = log.to_str().expect("utf-8 path");
    let single = single_json(&[log]);
    let report: serde_json::Value = serde_json::from_slice(&single).expect("json");
    let agent = report["sequences"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["id"] == "agent-run.execution"))
        .expect("agent runs reported");
    assert!(
        agent["total_runs"].as_u64().is_some_and(|n| n > 8),
        "the window closes some of the eight runs, so they count more: {agent}"
    );
    let size = std::fs::metadata(log).expect("written").len();
    for cuts in [
        vec![size / 2],
        vec![
            size / 9,
            size / 5,
            size / 5 + 1_000,
            size / 2 + 17,
            4 * size / 5,
        ],
    ] {
        let outs = range_partials(dir.path(), log, &cuts);
        let refs: Vec<&Path> = outs.iter().map(|p| p.as_path()).collect();
        let merged = merge(&refs, &["--format", "json"]);
        assert_eq!(
            String::from_utf8_lossy(&merged.stdout),
            String::from_utf8_lossy(&single),
            "cut at {cuts:?}"
        );
    }
}

#[test]
fn a_missing_shard_exits_two_and_every_format_names_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, c) = (dir.path().join("0.json"), dir.path().join("2.json"));
    partial(&a, &["--shard", "0/3"], &[FIXTURES]);
    partial(&c, &["--shard", "2/3"], &[FIXTURES]);
    for format in ["text", "json", "markdown"] {
        let merged = merge(&[&a, &c], &["--format", format]);
        assert_eq!(merged.status.code(), Some(2), "{format}");
        let stdout = String::from_utf8_lossy(&merged.stdout);
        assert!(stdout.contains("shard 1/3"), "{format}: {stdout}");
        assert!(
            stdout.contains("--shard 1/3"),
            "{format} says how to fill it"
        );
    }
    merge(&[&a, &c], &[])
        .stderr
        .windows(9)
        .any(|w| w == b"shard 1/3")
        .then_some(())
        .expect("stderr names the shard too");
}

#[test]
fn partials_of_another_pack_or_release_or_no_partial_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("p.json");
    partial(&out, &[], &[BIG]);
    let extra = dir.path().join("extra.yaml");
    let rule = "rules:\n  - id: t.extra\n    title: Extra\n    class: unknown\n    severity: error\n    patterns: ['EXTRA-EVENT']\n";
    std::fs::write(&extra, rule).expect("write");
    faultline()
        .args(["merge", "--rules"])
        .arg(&extra)
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("made with another rule pack"));

    let text = std::fs::read_to_string(&out).expect("written");
    let version = format!("\"faultline\":\"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(text.contains(&version), "the header names the release");
    let older = dir.path().join("older.json");
    std::fs::write(&older, text.replace(&version, "\"faultline\":\"0.0.1\"")).expect("write");
    faultline()
        .arg("merge")
        .arg(&older)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("written by faultline 0.0.1"));

    let report = dir.path().join("report.json");
    std::fs::write(&report, single_json(&[BIG])).expect("write");
    faultline()
        .arg("merge")
        .arg(&report)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a faultline partial"));
}

#[test]
fn splits_that_cannot_work_are_usage_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("p.json");
    faultline()
        .args(["scan", "--partial"])
        .arg(&out)
        .args(["--range", "0-100", FIXTURES])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--range splits one file"));
    faultline()
        .args(["scan", "--shard", "1/2", BIG])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--partial"));
    faultline()
        .args(["scan", "--partial"])
        .arg(&out)
        .args(["--shard", "2/2", BIG])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a shard"));
    let gz = dir.path().join("a.log.gz");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut encoder, b"KeyError: 'X'\n").expect("compress");
    std::fs::write(&gz, encoder.finish().expect("compress")).expect("write");
    faultline()
        .args(["scan", "--partial"])
        .arg(&out)
        .args(["--range", "0-"])
        .arg(&gz)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--range needs an uncompressed"));
}

#[test]
fn an_empty_shard_is_written_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let outs: Vec<_> = (0..8)
        .map(|i| dir.path().join(format!("{i}.json")))
        .collect();
    let mut empty = 0;
    for (i, out) in outs.iter().enumerate() {
        let output = faultline()
            .args(["scan", "--partial"])
            .arg(out)
            .args(["--shard", &format!("{i}/8"), BIG])
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(0));
        empty += usize::from(String::from_utf8_lossy(&output.stderr).contains("no input hashes"));
    }
    assert_eq!(empty, 7, "one file: seven of eight shards are empty");
    let refs: Vec<&Path> = outs.iter().map(|p| p.as_path()).collect();
    let merged = merge(&refs, &["--format", "json"]);
    assert_eq!(merged.stdout, single_json(&[BIG]));
}
