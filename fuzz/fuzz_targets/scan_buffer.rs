//! End to end over arbitrary input bytes with the embedded default rule pack:
//! sniffing (UTF-16, binary, format detection), the line scanner (in-memory
//! chunks and the streaming reader) or the document parsers, then analysis,
//! redaction and the text / JSON / Markdown reports.
//!
//! Invariant checked: the scan result does not depend on the chunk size, nor
//! on whether the input is scanned in memory or streamed (as documented in
//! `src/scan/mod.rs`).
#![no_main]

use std::sync::{Arc, LazyLock};

use faultline::analyze::analyze;
use faultline::input::format::LogFormat;
use faultline::input::source::Opened;
use faultline::report;
use faultline::rules::RulePack;
use faultline::rules::load::{RuleSources, load};
use faultline::scan::file::{FileOptions, scan_opened};
use faultline::scan::{Matcher, ScanOptions, scan_buffer, scan_reader};
use libfuzzer_sys::fuzz_target;

struct Setup {
    pack: Arc<RulePack>,
    matcher: Matcher,
}

static SETUP: LazyLock<Setup> = LazyLock::new(|| {
    // One worker thread: the fuzzer must stay on a single core.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global();
    let sources = RuleSources::new(&[], false).expect("embedded sources");
    let loaded = load(&sources).unwrap_or_else(|_| panic!("embedded pack loads"));
    let pack = Arc::new(loaded.pack);
    let matcher = Matcher::new(Arc::clone(&pack));
    Setup { pack, matcher }
});

/// Bytes that make `scan_reader` (64 KiB blocks at least) read several blocks.
const STREAM_MIN: usize = 160 << 10;

const FORMATS: [LogFormat; 5] = [
    LogFormat::Auto,
    LogFormat::Text,
    LogFormat::Jsonl,
    LogFormat::Json,
    LogFormat::Csv,
];

fuzz_target!(|data: &[u8]| {
    let setup = &*SETUP;
    // The first byte picks the forced format (mostly auto) and the chunk size.
    let (control, body) = match data.split_first() {
        Some((&c, rest)) => (c, rest),
        None => (0, data),
    };
    let format = if control & 0x80 == 0 {
        LogFormat::Auto
    } else {
        FORMATS[(control as usize) % FORMATS.len()]
    };
    let chunk_size = 1 + (control as usize & 0x3f);

    // Line scanners directly: chunk size and streaming must not change results.
    let line_format = if format.is_line_oriented() {
        format
    } else {
        LogFormat::Text
    };
    let whole = scan_buffer(&setup.matcher, body, line_format, ScanOptions::default());
    let chunked = scan_buffer(
        &setup.matcher,
        body,
        line_format,
        ScanOptions { chunk_size },
    );
    assert_eq!(
        whole.lines, chunked.lines,
        "line count independent of chunking"
    );
    assert_eq!(
        whole.matches, chunked.matches,
        "matches independent of chunking"
    );
    let mut reader = body;
    let streamed = scan_reader(
        &setup.matcher,
        &mut reader,
        line_format,
        ScanOptions::default(),
    )
    .expect("reading a slice cannot fail");
    assert_eq!(whole.lines, streamed.lines, "line count same when streamed");
    assert_eq!(
        whole.matches, streamed.matches,
        "matches same when streamed"
    );

    // Past one 64 KiB streaming block: the body repeated, so lines straddle
    // block boundaries and look-back crosses the kept tail.
    if control & 0x20 != 0 && !body.is_empty() && body.len() < STREAM_MIN {
        let repeated = body.repeat(STREAM_MIN / body.len() + 1);
        let whole = scan_buffer(
            &setup.matcher,
            &repeated,
            line_format,
            ScanOptions::default(),
        );
        let mut reader = &repeated[..];
        let streamed = scan_reader(
            &setup.matcher,
            &mut reader,
            line_format,
            ScanOptions { chunk_size: 1 },
        )
        .expect("reading a slice cannot fail");
        assert_eq!(
            whole.lines, streamed.lines,
            "line count same when streamed in blocks"
        );
        assert_eq!(
            whole.matches, streamed.matches,
            "matches same when streamed in blocks"
        );
    }

    // One input end to end, as `faultline scan` does it.
    let options = FileOptions {
        format,
        scan: ScanOptions::default(),
        binary: control & 0x40 != 0,
    };
    let result = scan_opened(
        &setup.matcher,
        "fuzz.log".to_string(),
        Opened::Bytes(body.to_vec()),
        options,
    );
    let files = [result];
    let mut report = analyze(&setup.pack, &files, Vec::new());
    let _ = report::text::render(&report, report::text::Style { color: true });
    let _ = report::markdown::render(&report);
    report::redact::redact_report(&mut report);
    let _ = report::text::render(&report, report::text::Style { color: false });
    let json = report::json(&report);
    assert!(!json.starts_with("{\"error\""), "report serialises: {json}");
    let _ = report::markdown::render(&report);
});
