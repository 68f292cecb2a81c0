//! End to end over arbitrary input bytes through the public library API
//! only: `Engine`s over the embedded default rule pack scan the input in
//! memory (`Engine::scan_bytes`) and as a stream (`Engine::scan_reader`):
//! sniffing (UTF-16 BOM; binary-looking input is scanned, not skipped;
//! format detection or a forced format), then the line scanner or the
//! document parsers; then `Engine::report` (analysis and redaction), which
//! is serialised to JSON. The renderers are internal and not exercised here.
//!
//! Invariant checked: the `Scan` (summary and input problems) does not depend
//! on the chunk size, nor on whether the input is scanned in memory or
//! streamed, also across several 64 KiB streaming blocks (as documented in
//! `src/scan/mod.rs` and on `Options::chunk_size`), whatever the format.
//! Except for input that starts with the gzip magic: `scan_reader`
//! decompresses such a stream, `scan_bytes` does not, so those are only
//! scanned both ways, not compared.
#![no_main]

use std::io::Cursor;
use std::sync::{LazyLock, OnceLock};

use faultline::{Engine, LogFormat, Options, RulePack};
use libfuzzer_sys::fuzz_target;

/// Bytes that make `scan_reader` (64 KiB blocks at least) read several blocks.
const STREAM_MIN: usize = 160 << 10;

const FORMATS: [LogFormat; 5] = [
    LogFormat::Auto,
    LogFormat::Text,
    LogFormat::Jsonl,
    LogFormat::Json,
    LogFormat::Csv,
];

/// Small chunk sizes the control byte picks from (1 to this many bytes).
const SMALL_CHUNKS: usize = 64;

/// How a gzip stream starts.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The input's name in every scan (it is part of the summary).
const NAME: &str = "fuzz.log";

/// The embedded default rule pack, loaded once.
static PACK: LazyLock<RulePack> = LazyLock::new(|| {
    // One worker thread: the fuzzer must stay on a single core.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global();
    RulePack::load(&[], true).unwrap_or_else(|_| panic!("the embedded pack loads"))
});

/// One engine per format and chunk size (index 0: the default chunk size,
/// `n`: `n` bytes), each built the first time it is needed. They share the
/// pack's compiled regexes (a clone), so each costs a few MB and a few ms,
/// where loading the pack again would cost some 40 MB and 0.3 s; at most
/// 5 × 65 are ever built.
static ENGINES: LazyLock<Vec<OnceLock<Engine>>> = LazyLock::new(|| {
    (0..FORMATS.len() * (SMALL_CHUNKS + 1))
        .map(|_| OnceLock::new())
        .collect()
});

/// What `Engine::with_default_rules(Options { chunk_size, binary: true,
/// input_format, ..Options::default() })` builds, from the shared pack.
fn engine(format: usize, chunk_size: Option<usize>) -> &'static Engine {
    let index = format * (SMALL_CHUNKS + 1) + chunk_size.unwrap_or(0);
    ENGINES[index].get_or_init(|| {
        let defaults = Options::default();
        let options = Options {
            input_format: FORMATS[format],
            chunk_size: chunk_size.unwrap_or(defaults.chunk_size),
            binary: true,
            ..defaults
        };
        Engine::new(PACK.clone(), options)
    })
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks the forced format (mostly auto), the small chunk
    // size and whether to compare across streaming blocks.
    let (control, body) = match data.split_first() {
        Some((&c, rest)) => (c, rest),
        None => (0, data),
    };
    let format = if control & 0x80 == 0 {
        0
    } else {
        control as usize % FORMATS.len()
    };
    let chunk_size = 1 + (control as usize & 0x3f);
    let whole_engine = engine(format, None);

    // Chunk size and streaming must not change the scan.
    let whole = whole_engine.scan_bytes(NAME, body);
    let chunked = engine(format, Some(chunk_size)).scan_bytes(NAME, body);
    assert_eq!(whole, chunked, "scan independent of chunking");
    let streamed = whole_engine.scan_reader(NAME, Cursor::new(body.to_vec()));
    // A stream that starts like gzip is decompressed (stdin and pipes carry
    // no name to tell by); bytes in memory are taken as they are.
    let gzip = body.starts_with(&GZIP_MAGIC);
    if !gzip {
        assert_eq!(whole, streamed, "scan the same when streamed");
    }

    // Past one 64 KiB streaming block: the body repeated, so lines straddle
    // block boundaries and look-back crosses the kept tail.
    if control & 0x20 != 0 && !gzip && !body.is_empty() && body.len() < STREAM_MIN {
        let repeated = body.repeat(STREAM_MIN / body.len() + 1);
        let in_memory = whole_engine.scan_bytes(NAME, &repeated);
        let streamed = engine(format, Some(1)).scan_reader(NAME, Cursor::new(repeated));
        assert_eq!(in_memory, streamed, "scan the same when streamed in blocks");
    }

    // The report, as `faultline scan` makes it (redacted), serialises.
    let report = whole_engine.report(&whole);
    let json = serde_json::to_string(&report);
    assert!(json.is_ok(), "report serialises: {json:?}");
});
