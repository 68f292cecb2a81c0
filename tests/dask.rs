//! The Dask driver (deploy/dask) over a real local cluster of two worker
//! processes: shards of a generated corpus, and byte ranges of one file,
//! merge into exactly the single-node report.
//!
//! Needs Python 3 with `dask[distributed]` (`.ci/run` installs it). When it
//! is missing the test fails, unless FAULTLINE_SKIP_DASK=1 says to skip it.

mod common;

use std::path::Path;
use std::process::Command;

use common::faultline;

fn python() -> Option<&'static str> {
    let ready = |python: &str| {
        Command::new(python)
            .args(["-c", "import dask.distributed"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    ["python3", "python"].into_iter().find(|p| ready(p))
}

fn generate(out: &Path, seed: u32, format: &str) {
    let status = Command::new(python().unwrap_or("python3"))
        .args([
            "benches/gen_corpus.py",
            "--size",
            "300K",
            "--format",
            format,
        ])
        .args(["--seed", &seed.to_string(), "--out"])
        .arg(out)
        .output()
        .expect("run gen_corpus.py");
    assert!(status.status.success(), "{status:?}");
}

/// Runs the driver; returns its exit code, stdout and the worker pids its
/// tasks ran on.
fn driver(args: &[&str]) -> (Option<i32>, Vec<u8>, Vec<String>) {
    let bin = assert_cmd::cargo::cargo_bin("faultline");
    let output = Command::new(python().unwrap_or("python3"))
        .arg("deploy/dask/faultline_dask.py")
        .arg("--faultline")
        .arg(&bin)
        .args(["--workers", "2", "--threads", "1", "--format", "json"])
        .args(args)
        .output()
        .expect("run the driver");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut pids: Vec<String> = stderr
        .lines()
        .filter_map(|l| l.split(" on pid ").nth(1))
        .filter_map(|rest| rest.split_whitespace().next().map(str::to_string))
        .collect();
    pids.sort();
    pids.dedup();
    assert!(!pids.is_empty(), "the driver reports its tasks: {stderr}");
    (output.status.code(), output.stdout, pids)
}

#[test]
fn dask_shards_and_ranges_merge_into_the_single_node_report() {
    if python().is_none() {
        if std::env::var_os("FAULTLINE_SKIP_DASK").is_some_and(|v| v == "1") {
            eprintln!("skipped: dask[distributed] is not installed (FAULTLINE_SKIP_DASK=1)");
            return;
        }
        panic!(
            "Python 3 with Dask distributed is needed: pip install \"dask[distributed]\" \
             (or set FAULTLINE_SKIP_DASK=1 to skip this test)"
        );
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let corpus = dir.path().join("corpus");
    std::fs::create_dir(&corpus).expect("mkdir");
    for (seed, format) in [
        (1, "kubectl-prefix"),
        (2, "plain"),
        (3, "kubectl"),
        (4, "datadog-jsonl"),
    ] {
        generate(&corpus.join(format!("{format}-{seed}.log")), seed, format);
    }
    let corpus = corpus.display().to_string();
    let single = faultline()
        .args(["scan", "--format", "json", &corpus])
        .output()
        .expect("scan");

    let (code, merged, pids) = driver(&["--shards", "4", &corpus]);
    assert_eq!(code, single.status.code(), "merge exits as scan does");
    assert_eq!(
        String::from_utf8_lossy(&merged),
        String::from_utf8_lossy(&single.stdout)
    );
    assert!(
        pids.len() >= 2,
        "tasks ran on both worker processes: {pids:?}"
    );

    let big = format!("{corpus}/kubectl-prefix-1.log");
    let single = faultline()
        .args(["scan", "--format", "json", &big])
        .output()
        .expect("scan");
    let (code, merged, _) = driver(&["--ranges", "3", &big]);
    assert_eq!(code, single.status.code());
    assert_eq!(
        String::from_utf8_lossy(&merged),
        String::from_utf8_lossy(&single.stdout)
    );
}
