//! The merge is exact: whatever way the inputs are split into partials
//! (files to workers, one file into byte ranges), the merged report's JSON
//! is byte-identical to a single scan's.

use std::path::PathBuf;
use std::sync::LazyLock;

use proptest::prelude::*;

use super::{ByteRange, Partial, Shard, Share};
use crate::engine::{Engine, MmapChoice, Options};
use crate::report;

static ENGINE: LazyLock<Engine> = LazyLock::new(|| {
    Engine::with_default_rules(Options {
        mmap: MmapChoice::Guarded,
        chunk_size: 256,
        ..Options::default()
    })
    .unwrap_or_else(|_| panic!("the embedded pack loads"))
});

/// Lines whose meaning depends on what came before them (tracebacks,
/// inherited timestamps, restarting and correlated sequences, outcomes
/// that show the lines before them) and on other inputs (runs correlated
/// across files, causes linked across streams).
const LINES: &[&str] = &[
    "2026-01-14T08:31:02Z INFO:__main__:Ops Agent Worker - Orchestrator Integration",
    "2026-01-14T08:31:03Z INFO:__main__:Initialized Ops Agent Worker (Redis: redis://redis:6379)",
    "INFO:__main__:✅ Connected to Orchestrator Redis queue",
    "INFO:__main__:Initialized Ops Agent OODA Loop",
    "INFO:__main__:✅ Supabase client initialized",
    "INFO:__main__:✅ Registered with Governance (agent_id: 7df3)",
    "INFO:__main__:✅ Ops Agent Worker started successfully",
    "INFO [run_id=a1] Execution started with input: {}",
    "INFO [run_id=a1] Step 1/3 completed: data_collection",
    "INFO [run_id=a1] Execution completed successfully in 2.1s",
    "ERROR [run_id=a1] Execution timeout exceeded (60s)",
    "Traceback (most recent call last):",
    "  File \"/app/worker.py\", line 3, in <module>",
    "ModuleNotFoundError: No module named 'orchestrator.persistence'",
    "2025-10-23T08:57:55.403Z ERROR redis.exceptions.ConnectionError: Connection reset by peer",
    "ERROR payment gateway returned 503 for order 8812",
    "Killed",
    "INFO:__main__:Processing task 17 for agent ops_agent",
    "KeyError: 'DATABASE_URL'",
];

fn text(indices: &[usize]) -> String {
    indices
        .iter()
        .map(|&i| format!("{}\n", LINES[i % LINES.len()]))
        .collect()
}

fn json(partials: Vec<Partial>) -> String {
    let scan = ENGINE.merge(partials).expect("same pack");
    report::json(&ENGINE.report(&scan))
}

/// Writes the files, returning their paths as arguments.
fn write_files(dir: &std::path::Path, files: &[Vec<usize>]) -> Vec<String> {
    files
        .iter()
        .enumerate()
        .map(|(i, lines)| {
            let path: PathBuf = dir.join(format!("svc-{i}.log"));
            std::fs::write(&path, text(lines)).expect("write");
            path.display().to_string()
        })
        .collect()
}

/// Round-trips through the file format, as workers and the merge would.
fn through_json(partial: Partial) -> Partial {
    let bytes = serde_json::to_vec(&partial).expect("serialize");
    Partial::parse("partial", &bytes).expect("parse")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Files dealt to workers at random (some workers get none, some files
    /// are given twice by different paths' orders) merge into the single scan.
    #[test]
    fn any_split_of_files_merges_into_the_single_scan(
        files in prop::collection::vec(prop::collection::vec(0usize..40, 0..60), 1..6),
        workers in prop::collection::vec(0usize..4, 6),
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = write_files(dir.path(), &files);
        let single = report::json(&ENGINE.report(&ENGINE.scan_paths(&paths)));
        let mut partials = Vec::new();
        for worker in 0..4 {
            let mine: Vec<&String> = paths
                .iter()
                .enumerate()
                .filter(|(i, _)| workers[*i] == worker)
                .map(|(_, p)| p)
                .rev() // the order paths are named in never matters
                .collect();
            if !mine.is_empty() {
                partials.push(through_json(ENGINE.scan_partial(&mine, Share::All).expect("scan")));
            }
        }
        partials.reverse(); // nor the order partials are given in
        prop_assert_eq!(json(partials), single);
    }

    /// One file cut into byte ranges at arbitrary points (inside lines,
    /// tracebacks and runs) merges into the single scan.
    #[test]
    fn any_byte_ranges_of_a_file_merge_into_the_single_scan(
        lines in prop::collection::vec(0usize..40, 1..150),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..5),
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = write_files(dir.path(), &[lines]);
        let size = std::fs::metadata(&paths[0]).expect("written").len();
        let single = report::json(&ENGINE.report(&ENGINE.scan_paths(&paths)));
        let mut bounds: Vec<u64> = cuts.iter().map(|c| c.index(size as usize + 1) as u64).collect();
        bounds.sort_unstable();
        bounds.dedup();
        let mut starts = vec![0];
        starts.extend(bounds.iter().filter(|&&b| b > 0));
        let partials = starts
            .iter()
            .enumerate()
            .map(|(i, &start)| {
                let range = ByteRange { start, end: starts.get(i + 1).copied() };
                through_json(ENGINE.scan_partial(&paths, Share::Range(range)).expect("scan"))
            })
            .collect();
        prop_assert_eq!(json(partials), single);
    }
}

#[test]
fn shards_of_a_directory_merge_into_the_single_scan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files: Vec<Vec<usize>> = (0..12)
        .map(|i| (0..30).map(|j| (i * 7 + j * 3) % 40).collect())
        .collect();
    write_files(dir.path(), &files);
    let root = [dir.path().display().to_string()];
    let single = report::json(&ENGINE.report(&ENGINE.scan_paths(&root)));
    for count in [1, 2, 5] {
        let partials: Vec<Partial> = (0..count)
            .map(|index| {
                let share = Share::Shard(Shard { index, count });
                ENGINE.scan_partial(&root, share).expect("scan")
            })
            .collect();
        let covered: usize = partials.iter().map(|p| p.pieces.len()).sum();
        assert_eq!(covered, 12, "every file in exactly one of {count} shards");
        assert_eq!(json(partials), single, "{count} shards");
    }
}

#[test]
fn a_missing_shard_and_an_uncovered_range_are_errors_that_name_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = write_files(dir.path(), &[(0..40).collect(), (5..30).collect()]);
    let shard = |index| Share::Shard(Shard { index, count: 3 });
    let partials = vec![
        ENGINE.scan_partial(&paths, shard(0)).expect("scan"),
        ENGINE.scan_partial(&paths, shard(2)).expect("scan"),
    ];
    let scan = ENGINE.merge(partials).expect("same pack");
    let missing: Vec<_> = scan
        .problems
        .iter()
        .filter(|p| p.path == "shard 1/3")
        .collect();
    assert_eq!(missing.len(), 1, "{:?}", scan.problems);
    assert!(missing[0].message.starts_with("missing"));

    let file = &paths[..1];
    let range = |start, end| Share::Range(ByteRange { start, end });
    let partials = vec![
        ENGINE
            .scan_partial(file, range(0, Some(100)))
            .expect("scan"),
        ENGINE.scan_partial(file, range(250, None)).expect("scan"),
        ENGINE.scan_partial(file, range(250, None)).expect("scan"),
    ];
    let scan = ENGINE.merge(partials).expect("same pack");
    let messages: Vec<&str> = scan.problems.iter().map(|p| p.message.as_str()).collect();
    assert!(
        messages.iter().any(|m| m.starts_with("bytes 100-250 (of")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("covered twice") && m.contains("counted once")),
        "{messages:?}"
    );
}

#[test]
fn a_partial_of_another_release_or_pack_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = write_files(dir.path(), &[(0..10).collect()]);
    let partial = ENGINE.scan_partial(&paths, Share::All).expect("scan");
    let mut value = serde_json::to_value(&partial).expect("serialize");
    value["faultline"] = "0.0.1".into();
    let older = serde_json::to_vec(&value).expect("serialize");
    let refused = Partial::parse("old.partial", &older).expect_err("another release");
    assert!(refused.to_string().contains("written by faultline 0.0.1"));

    let mut other = partial.clone();
    other.header.pack = "fnv1a64:0000000000000000".into();
    other.source = "other.partial".into();
    let refused = ENGINE.merge(vec![other]).expect_err("another pack");
    assert!(
        refused
            .to_string()
            .starts_with("other.partial: made with another rule pack")
    );

    let not_one = Partial::parse("x.json", b"{\"root_causes\": []}").expect_err("a report");
    assert!(not_one.to_string().contains("not a faultline partial"));
}
