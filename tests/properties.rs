//! Invariants of the engine, through its public API: results never depend
//! on chunk size, thread count, or whether input is in memory or streamed.

use std::sync::LazyLock;

use faultline::{Engine, Options, Scan};
use proptest::prelude::*;

/// Line shapes from the runbooks and formats: healthy, failing, tracebacks,
/// sequence milestones (worker start-up, agent runs), CRI partial lines,
/// kubectl `--prefix` pods, CRLF, blank and non-UTF-8 lines.
const LINES: &[&str] = &[
    "INFO:__main__:Processing task 4411 for agent ops_agent",
    "2025-10-23T08:57:55.403024419Z INFO:__main__:✅ Governance modules initialized",
    "Traceback (most recent call last):",
    "  File \"/opt/render/project/src/orchestrator/governance/reputation_engine.py\", line 41, in _get_client",
    "    from orchestrator.persistence.db_client import get_client",
    "ModuleNotFoundError: No module named 'orchestrator.persistence'",
    "INFO:__main__:⚠️ Could not register with Governance (degraded mode)",
    "ERROR [run_id=7f3a9c21] Execution timeout exceeded (60s)",
    "2025-10-23T08:57:55.403Z stderr P redis.exceptions.ConnectionError: Error while reading from caring-owl-41.upst",
    "2025-10-23T08:57:55.404Z stderr F ash.io:6379 : (104, 'Connection reset by peer')",
    "[ReputationEngine] Supabase unavailable: Connection timeout\r",
    "",
    "\u{0}binary\u{ff}",
    "INFO [run_id=abc123] Step 1/3 completed: data_collection",
    "OSError: [Errno 28] No space left on device: '/tmp/x.json'",
    "INFO:__main__:Ops Agent Worker - Orchestrator Integration",
    "INFO:__main__:Initialized Ops Agent Worker (Redis: redis://redis:6379)",
    "INFO:__main__:✅ Connected to Orchestrator Redis queue",
    "INFO:__main__:✅ Supabase client initialized",
    "INFO [run_id=7f3a9c21] Execution started with input: {}",
    "INFO [run_id=7f3a9c21] Execution completed successfully in 2.1s",
    "[pod/api-1/web] Traceback (most recent call last):",
    "[pod/api-2/web] Traceback (most recent call last):",
    "[pod/api-1/web]   File \"/app/a.py\", line 3, in <module>",
    "[pod/api-2/web] ModuleNotFoundError: No module named 'yaml'",
    "[pod/api-1/web] KeyError: 'DATABASE_URL'",
];

static ENGINE: LazyLock<Engine> = LazyLock::new(|| engine(usize::MAX / 2));

/// The embedded pack, loaded and compiled once: engines for other chunk
/// sizes share it (building the prefilter is cheap next to compiling rules).
static PACK: LazyLock<faultline::RulePack> = LazyLock::new(|| {
    faultline::RulePack::load(&[], true).unwrap_or_else(|_| panic!("embedded pack loads"))
});

fn engine(chunk_size: usize) -> Engine {
    Engine::new(
        PACK.clone(),
        Options {
            chunk_size,
            // The corpus has a line with a NUL byte: scan it, do not skip it.
            binary: true,
            ..Options::default()
        },
    )
}

fn corpus(indices: &[usize], trailing_newline: bool) -> Vec<u8> {
    let mut text = indices
        .iter()
        .map(|&i| LINES[i % LINES.len()])
        .collect::<Vec<_>>()
        .join("\n");
    if trailing_newline {
        text.push('\n');
    }
    text.into_bytes()
}

fn json(engine: &Engine, scan: &Scan) -> String {
    serde_json::to_string(&engine.report(scan)).expect("report serialises")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn chunk_size_never_changes_results(indices in prop::collection::vec(0usize..64, 0..300), chunk in 1usize..4096, trailing in any::<bool>()) {
        let buf = corpus(&indices, trailing);
        let reference = ENGINE.scan_bytes("x.log", &buf);
        let chunked = engine(chunk).scan_bytes("x.log", &buf);
        prop_assert_eq!(&reference, &chunked);
    }

    #[test]
    fn streaming_equals_memory(indices in prop::collection::vec(0usize..64, 0..300), block in 1usize..2048, trailing in any::<bool>()) {
        let buf = corpus(&indices, trailing);
        let reference = ENGINE.scan_bytes("x.log", &buf);
        let streamed = engine(block).scan_reader("x.log", std::io::Cursor::new(buf.clone()));
        prop_assert_eq!(json(&ENGINE, &reference), json(&ENGINE, &streamed));
        prop_assert_eq!(&reference, &streamed);
    }

    #[test]
    fn evidence_lies_within_the_input(indices in prop::collection::vec(0usize..64, 1..200)) {
        let buf = corpus(&indices, true);
        let report = ENGINE.report(&ENGINE.scan_bytes("x.log", &buf));
        prop_assert_eq!(report.stats.lines, indices.len() as u64);
        for finding in &report.findings {
            prop_assert!(finding.first.line >= 1 && finding.last.line <= report.stats.lines);
            prop_assert!(finding.count >= finding.evidence.len() as u64);
            prop_assert!(finding.evidence.iter().all(|e| e.line >= 1 && e.line <= report.stats.lines));
        }
    }
}

#[test]
fn thread_count_never_changes_results() {
    let indices: Vec<usize> = (0..5000).map(|i| (i * 7919) % LINES.len()).collect();
    let buf = corpus(&indices, true);
    let small_chunks = engine(1024);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        pool.install(|| small_chunks.scan_bytes("x.log", &buf))
    };
    let one = run(1);
    assert!(!small_chunks.report(&one).findings.is_empty());
    assert_eq!(one, run(2));
    assert_eq!(one, run(4));
}

#[test]
fn appending_scans_of_each_input_equals_one_scan_of_all() {
    let engine = engine(1 << 16);
    let mut stories: Vec<String> = std::fs::read_dir("fixtures")
        .expect("fixtures")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .map(|p| p.display().to_string())
        .collect();
    stories.sort();
    let whole = engine.scan_paths(&stories);
    let mut appended = Scan::default();
    for story in &stories {
        appended.append(engine.scan_paths(&[story]));
    }
    assert_eq!(json(&engine, &appended), json(&engine, &whole));
    assert!(engine.report(&whole).stats.files > stories.len());
}
