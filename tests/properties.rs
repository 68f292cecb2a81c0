//! Invariants of the scanner: results never depend on chunk size, thread
//! count, or whether input is memory-mapped or streamed.

use std::sync::{Arc, LazyLock};

use faultline::input::format::LogFormat;
use faultline::rules::{RuleSources, load};
use faultline::scan::{Matcher, ScanOptions, scan_buffer, scan_reader};
use proptest::prelude::*;

static MATCHER: LazyLock<Matcher> = LazyLock::new(|| {
    let loaded = load(&RuleSources::new(&[], false).expect("sources"))
        .unwrap_or_else(|_| panic!("embedded pack loads"));
    Matcher::new(Arc::new(loaded.pack))
});

/// Line shapes from the runbooks and formats: healthy, failing, tracebacks,
/// CRI partial lines, CRLF, blank and non-UTF-8 lines.
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
];

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

fn whole(buf: &[u8]) -> faultline::scan::ScanOutput {
    scan_buffer(
        &MATCHER,
        buf,
        LogFormat::Text,
        ScanOptions {
            chunk_size: usize::MAX,
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn chunk_size_never_changes_results(indices in prop::collection::vec(0usize..64, 0..300), chunk in 1usize..4096, trailing in any::<bool>()) {
        let buf = corpus(&indices, trailing);
        let reference = whole(&buf);
        let chunked = scan_buffer(&MATCHER, &buf, LogFormat::Text, ScanOptions { chunk_size: chunk });
        prop_assert_eq!(&reference.matches, &chunked.matches);
        prop_assert_eq!(reference.lines, chunked.lines);
    }

    #[test]
    fn streaming_equals_mapping(indices in prop::collection::vec(0usize..64, 0..300), block in 1usize..2048, trailing in any::<bool>()) {
        let buf = corpus(&indices, trailing);
        let reference = whole(&buf);
        let mut reader = std::io::Cursor::new(buf.clone());
        let streamed = scan_reader(&MATCHER, &mut reader, LogFormat::Text, ScanOptions { chunk_size: block }).expect("in-memory read");
        prop_assert_eq!(&reference.matches, &streamed.matches);
        prop_assert_eq!(reference.lines, streamed.lines);
        prop_assert_eq!(reference.bytes, streamed.bytes);
    }

    #[test]
    fn matches_are_in_line_order_and_within_the_input(indices in prop::collection::vec(0usize..64, 1..200)) {
        let buf = corpus(&indices, true);
        let output = whole(&buf);
        prop_assert!(output.matches.windows(2).all(|w| w[0].line <= w[1].line));
        prop_assert!(output.matches.iter().all(|m| m.line >= 1 && m.line <= output.lines));
        prop_assert_eq!(output.lines, indices.len() as u64);
    }
}

#[test]
fn thread_count_never_changes_results() {
    let indices: Vec<usize> = (0..5000).map(|i| (i * 7919) % LINES.len()).collect();
    let buf = corpus(&indices, true);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        pool.install(|| {
            scan_buffer(
                &MATCHER,
                &buf,
                LogFormat::Text,
                ScanOptions { chunk_size: 1024 },
            )
        })
    };
    let one = run(1);
    assert!(!one.matches.is_empty());
    assert_eq!(one.matches, run(2).matches);
    assert_eq!(one.matches, run(4).matches);
}
