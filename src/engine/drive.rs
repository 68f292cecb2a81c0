//! Scanning one input end to end: open, sniff, pick the format, then drive
//! the scan core over it (memory map, stream or document) into a [`Sink`].

use std::collections::HashMap;
use std::io::Read;

use rayon::prelude::*;

use crate::distributed::ByteRange;
use crate::input::document::{self, Record};
use crate::input::format::{LogFormat, detect};
use crate::input::source::{GZIP_MAGIC, Input, Opened, io_message, open, peek};
use crate::scan::{
    Block, Held, Matcher, Matches, Region, ScanOptions, Surroundings, Totals, scan_region,
};
use crate::scan::{each_of, scan_reader, scan_records};

use super::MmapChoice;

/// Why a byte range of an input cannot be scanned on its own.
const RANGE_NEEDS_TEXT: &str = "--range needs an uncompressed, line-oriented log file (not a stream, archive, UTF-16 text or JSON/CSV document, which are read as a whole)";

/// How many leading bytes decide the format and binary-ness.
const SNIFF_BYTES: usize = 8 << 10;

/// Turns one piece of an input's matches (in reading order) into a part;
/// runs on worker threads.
pub(crate) trait Fold: Sync {
    type Part: Send;
    /// Runs `matches`, the scan of the piece, taking each match it finds.
    fn fold(&self, input: u32, path: &str, matches: &mut Matches<'_>) -> Self::Part;
    /// Moves the line numbers of a part folded from a chunk of a buffer
    /// (numbered from the chunk's start) `lines` on.
    fn shift_lines(&self, part: &mut Self::Part, lines: u64);
}

/// Where the matches of an input go: its [`Fold`] runs on worker threads,
/// one piece of input at a time; `consume` receives the parts in input order.
pub(crate) trait Sink {
    type Folder: Fold;
    /// The folder for this sink's parts (shares nothing mutable with it).
    fn folder(&self) -> Self::Folder;
    /// Takes the next part, in input order.
    fn consume(&mut self, part: <Self::Folder as Fold>::Part);
    /// The input is still at hand: read the lines pending around matches
    /// and after milestones from what `held` holds of it.
    fn context(&mut self, input: u32, held: &dyn Surroundings, eof: bool);
    /// This many more bytes were read, for progress.
    fn progress(&self, _bytes: u64) {}
}

/// Settings for scanning inputs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DriveOptions {
    pub format: LogFormat,
    pub scan: ScanOptions,
    /// Scan files that look binary instead of skipping them.
    pub binary: bool,
    pub mmap: MmapChoice,
    /// Scan only the lines that start in this byte range (of a regular,
    /// uncompressed, line-oriented file).
    pub range: Option<ByteRange>,
}

/// What happened to one input.
#[derive(Debug, Clone, Default)]
pub(crate) struct Outcome {
    pub totals: Totals,
    /// Why the input could not be (fully) read; what was read was still scanned.
    pub error: Option<String>,
    /// Why the input was deliberately not scanned (e.g. binary).
    pub skipped: Option<String>,
}

impl Outcome {
    /// Whether anything of the input was read and scanned.
    pub(crate) fn read(&self) -> bool {
        self.skipped.is_none() && (self.error.is_none() || self.totals.bytes > 0)
    }
}

fn looks_binary(head: &[u8]) -> bool {
    memchr::memchr(0, head).is_some()
}

fn utf16_bom(head: &[u8]) -> Option<bool> {
    match head {
        [0xFF, 0xFE, ..] => Some(true),
        [0xFE, 0xFF, ..] => Some(false),
        _ => None,
    }
}

fn decode_utf16(bytes: &[u8], little_endian: bool) -> Vec<u8> {
    let units = bytes[2..].chunks_exact(2).map(|c| {
        if little_endian {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect::<String>()
        .into_bytes()
}

/// The first bytes of a stream, decompressing it first when it is gzip
/// (stdin and pipes carry no file name to tell by).
fn peek_through_gzip(
    stream: Box<dyn Read + Send>,
) -> std::io::Result<(Vec<u8>, Box<dyn Read + Send>)> {
    let (head, stream) = peek(stream, SNIFF_BYTES)?;
    if !head.starts_with(&GZIP_MAGIC) {
        return Ok((head, stream));
    }
    let decoder = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(stream));
    peek(Box::new(decoder), SNIFF_BYTES)
}

/// Scans one input into `sink`; never fails, problems are in the outcome.
pub(crate) fn drive_input<S: Sink>(
    matcher: &Matcher,
    index: u32,
    input: &Input,
    options: DriveOptions,
    sink: &mut S,
) -> Outcome {
    match open(input, options.mmap == MmapChoice::Guarded) {
        Ok(opened) => drive_opened(matcher, index, &input.display(), opened, options, sink),
        Err(message) => Outcome {
            error: Some(message),
            ..Outcome::default()
        },
    }
}

/// Scans an input that is already open.
pub(crate) fn drive_opened<S: Sink>(
    matcher: &Matcher,
    index: u32,
    path: &str,
    opened: Opened,
    options: DriveOptions,
    sink: &mut S,
) -> Outcome {
    let mut outcome = Outcome::default();
    let (head, opened) = match opened {
        Opened::Stream(stream) => match peek_through_gzip(stream) {
            Ok((head, stream)) => (head, Opened::Stream(stream)),
            Err(e) => {
                outcome.error = Some(io_message(&e));
                return outcome;
            }
        },
        Opened::Mapped(map) => {
            let head = map[..map.len().min(SNIFF_BYTES)].to_vec();
            if let Some(shrank) = map.cut_short_error() {
                outcome.error = Some(shrank);
                return outcome;
            }
            (head, Opened::Mapped(map))
        }
        Opened::Bytes(bytes) => (
            bytes[..bytes.len().min(SNIFF_BYTES)].to_vec(),
            Opened::Bytes(bytes),
        ),
    };
    let opened = match utf16_bom(&head) {
        Some(_) if options.range.is_some() => {
            outcome.error = Some(RANGE_NEEDS_TEXT.into());
            return outcome;
        }
        Some(little_endian) => {
            let (bytes, error) = opened.into_bytes();
            outcome.error = error;
            Opened::Bytes(decode_utf16(&bytes, little_endian))
        }
        None if looks_binary(&head) && !options.binary => {
            outcome.skipped =
                Some("binary file (NUL bytes in its first 8 KiB); use --binary to scan it".into());
            return outcome;
        }
        None => opened,
    };
    let head_for_detect = match &opened {
        Opened::Bytes(bytes) => &bytes[..bytes.len().min(SNIFF_BYTES)],
        _ => &head[..],
    };
    let format = if options.format == LogFormat::Auto {
        detect(head_for_detect)
    } else {
        options.format
    };
    if options.range.is_some() && !(format.is_line_oriented() && opened.is_in_memory()) {
        outcome.error = Some(RANGE_NEEDS_TEXT.into());
        return outcome;
    }
    if format.is_line_oriented() {
        match opened {
            Opened::Mapped(map) => {
                outcome.totals = drive_buffer(matcher, index, path, &map, format, options, sink);
                outcome.error = map.cut_short_error();
            }
            Opened::Bytes(bytes) => {
                outcome.totals = drive_buffer(matcher, index, path, &bytes, format, options, sink)
            }
            Opened::Stream(mut stream) => {
                let (totals, error) =
                    drive_stream(matcher, index, path, &mut stream, format, options, sink);
                outcome.totals = totals;
                outcome.error = error.map(|e| io_message(&e));
            }
        }
        return outcome;
    }
    let (bytes, read_error) = opened.into_bytes();
    let parsed = if format == LogFormat::Csv {
        document::parse_csv(&bytes)
    } else {
        document::parse_json(&bytes)
    };
    let matches = scan_records(matcher, &parsed.records);
    let part = sink.folder().fold(index, path, &mut each_of(matches));
    sink.consume(part);
    let by_offset: HashMap<u64, usize> = parsed
        .records
        .iter()
        .enumerate()
        .map(|(i, r)| (r.offset, i))
        .collect();
    let records = Records {
        records: &parsed.records,
        by_offset,
    };
    sink.context(index, &records, true);
    outcome.totals = Totals {
        lines: bytecount::count(&bytes, b'\n') as u64
            + u64::from(bytes.last().is_some_and(|&b| b != b'\n')),
        bytes: bytes.len() as u64,
    };
    sink.progress(outcome.totals.bytes);
    outcome.error = read_error.or(outcome.error).or(parsed.error);
    outcome
}

fn drive_buffer<S: Sink>(
    matcher: &Matcher,
    index: u32,
    path: &str,
    buf: &[u8],
    format: LogFormat,
    options: DriveOptions,
    sink: &mut S,
) -> Totals {
    let folder = sink.folder();
    let fold = |matches: &mut Matches<'_>| folder.fold(index, path, matches);
    let region = match options.range {
        Some(range) => range.region(buf),
        None => Region {
            bytes: 0..buf.len(),
            lines_before: 0,
        },
    };
    let totals = scan_region(
        matcher,
        buf,
        region,
        format,
        options.scan,
        &fold,
        &mut |mut part, bytes, lines_before| {
            folder.shift_lines(&mut part, lines_before);
            sink.consume(part);
            sink.progress(bytes);
        },
    );
    // The whole buffer, not just the region: what follows a milestone near
    // the region's end is read as a whole-file scan would read it.
    let held = Held {
        buf,
        base: 0,
        eof: true,
    };
    sink.context(index, &held, true);
    totals
}

fn drive_stream<S: Sink>(
    matcher: &Matcher,
    index: u32,
    path: &str,
    reader: &mut dyn Read,
    format: LogFormat,
    options: DriveOptions,
    sink: &mut S,
) -> (Totals, Option<std::io::Error>) {
    let folder = sink.folder();
    let mut reported = 0;
    scan_reader(
        matcher,
        reader,
        format,
        options.scan,
        &mut |block: Block<'_>| {
            let parts: Vec<_> = block
                .pieces
                .into_par_iter()
                .map(|matches| folder.fold(index, path, &mut each_of(matches)))
                .collect();
            for part in parts {
                sink.consume(part);
            }
            let held = Held {
                buf: block.held,
                base: block.base,
                eof: block.eof,
            };
            sink.context(index, &held, block.eof);
            let read = held.base + held.buf.len() as u64;
            sink.progress(read - reported);
            reported = read;
        },
    )
}

/// A parsed document's records, in time order: the lines around a match
/// are the records around its own (a match's `end` is the offset of the
/// record after it).
struct Records<'a> {
    records: &'a [Record],
    by_offset: HashMap<u64, usize>,
}

impl Records<'_> {
    /// A record as reports quote it: its first line, clipped.
    fn quoted(record: &Record) -> String {
        crate::input::clip::evidence(record.text.lines().next().unwrap_or(""), 0..0)
    }
}

impl Surroundings for Records<'_> {
    fn after(&self, from: u64, count: usize) -> (Vec<String>, u64) {
        let Some(&start) = self.by_offset.get(&from) else {
            return (Vec::new(), from);
        };
        let lines = self.records[start..]
            .iter()
            .take(count)
            .map(Records::quoted)
            .collect();
        (lines, from)
    }

    fn before(&self, at: u64, count: usize) -> Vec<String> {
        let Some(&index) = self.by_offset.get(&at) else {
            return Vec::new();
        };
        self.records[index.saturating_sub(count)..index]
            .iter()
            .map(Records::quoted)
            .collect()
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::engine::Options;
    use crate::engine::sink::{Keep, SummarySink};
    use crate::rules::load::embedded_pack;

    /// Maps a log with a failure on its first line, truncates it to `keep`
    /// bytes, then scans the stale map.
    fn scan_after_shrinking_to(keep: u64) -> (Outcome, u64) {
        let pack = Arc::new(embedded_pack());
        let matcher = Matcher::new(Arc::clone(&pack));
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("rotating.log");
        let mut text = String::from("ModuleNotFoundError: No module named 'yaml'\n");
        for i in 0..100_000 {
            text.push_str(&format!(
                "INFO:__main__:Processing task {i} for agent ops_agent\n"
            ));
        }
        std::fs::write(&path, &text).expect("write");
        let opened = open(&Input::Path(path.clone()), true).expect("open");
        assert!(
            matches!(opened, Opened::Mapped(_)),
            "regular files are mapped"
        );
        // copytruncate after the map was made: the pages past `keep` are gone.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_len(keep))
            .expect("truncate");
        let options = DriveOptions {
            format: LogFormat::Auto,
            scan: ScanOptions {
                chunk_size: 1 << 16,
            },
            binary: false,
            mmap: MmapChoice::Guarded,
            range: None,
        };
        let mut sink = SummarySink::new(&pack, Keep::of(&Options::default()), &|_| {});
        let outcome = drive_opened(&matcher, 0, "rotating.log", opened, options, &mut sink);
        let scan = sink.finish(0, "rotating.log", outcome.clone());
        let found = scan.summary.rules.values().map(|r| r.count).sum();
        (outcome, found)
    }

    #[test]
    fn a_file_that_shrinks_while_mapped_is_survived_and_reported() {
        let (outcome, found) = scan_after_shrinking_to(64 << 10);
        let error = outcome.error.expect("the shrink is reported");
        assert!(error.contains("shrank"), "{error}");
        assert_eq!(found, 1, "what was there is kept");
        let (emptied, _) = scan_after_shrinking_to(0);
        assert!(emptied.error.is_some_and(|e| e.contains("shrank")));
        assert!(
            emptied.skipped.is_none(),
            "zero pages are not called binary"
        );
    }
}
