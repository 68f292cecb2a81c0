//! Scanning one input end to end: open, sniff, pick the format, scan.

use crate::input::document;
use crate::input::format::{LogFormat, detect};
use crate::input::source::{Input, Opened, io_message, open, peek};

use super::{
    Matcher, PartialScan, ScanOptions, ScanOutput, scan_buffer, scan_reader, scan_records,
};

/// How many leading bytes decide the format and binary-ness.
const SNIFF_BYTES: usize = 8 << 10;

/// What scanning one input produced.
#[derive(Debug, Clone)]
pub struct FileResult {
    pub path: String,
    /// The format used (detected or forced); `None` if never opened.
    pub format: Option<LogFormat>,
    pub output: ScanOutput,
    /// Why the input could not be (fully) read; what was read is still in `output`.
    pub error: Option<String>,
    /// Why the input was deliberately not scanned (e.g. binary).
    pub skipped: Option<String>,
}

/// Settings for scanning inputs.
#[derive(Debug, Clone, Copy)]
pub struct FileOptions {
    pub format: LogFormat,
    pub scan: ScanOptions,
    /// Scan files that look binary instead of skipping them.
    pub binary: bool,
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

/// Scans one input; never fails, errors are recorded in the result.
pub fn scan_input(matcher: &Matcher, input: &Input, options: FileOptions) -> FileResult {
    match open(input) {
        Ok(opened) => scan_opened(matcher, input.display(), opened, options),
        Err(message) => FileResult {
            error: Some(message),
            ..FileResult::empty(input.display())
        },
    }
}

impl FileResult {
    fn empty(path: String) -> FileResult {
        FileResult {
            path,
            format: None,
            output: ScanOutput::default(),
            error: None,
            skipped: None,
        }
    }
}

/// Scans an input that is already open (named `path` in the result).
pub fn scan_opened(
    matcher: &Matcher,
    path: String,
    opened: Opened,
    options: FileOptions,
) -> FileResult {
    let mut result = FileResult::empty(path);
    let (head, opened) = match opened {
        Opened::Stream(stream) => match peek(stream, SNIFF_BYTES) {
            Ok((head, stream)) => (head, Opened::Stream(stream)),
            Err(e) => {
                result.error = Some(io_message(&e));
                return result;
            }
        },
        Opened::Mapped(map) => {
            let head = map[..map.len().min(SNIFF_BYTES)].to_vec();
            if let Some(shrank) = map.cut_short_error() {
                result.error = Some(shrank);
                return result;
            }
            (head, Opened::Mapped(map))
        }
        Opened::Bytes(bytes) => (
            bytes[..bytes.len().min(SNIFF_BYTES)].to_vec(),
            Opened::Bytes(bytes),
        ),
    };
    let opened = match utf16_bom(&head) {
        Some(little_endian) => {
            let (bytes, error) = opened.into_bytes();
            result.error = error;
            Opened::Bytes(decode_utf16(&bytes, little_endian))
        }
        None if looks_binary(&head) && !options.binary => {
            result.skipped =
                Some("binary file (NUL bytes in its first 8 KiB); use --binary to scan it".into());
            return result;
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
    result.format = Some(format);
    if format.is_line_oriented() {
        match opened {
            Opened::Mapped(map) => {
                result.output = scan_buffer(matcher, &map, format, options.scan);
                result.error = map.cut_short_error();
            }
            Opened::Bytes(bytes) => {
                result.output = scan_buffer(matcher, &bytes, format, options.scan)
            }
            Opened::Stream(mut stream) => {
                match scan_reader(matcher, &mut stream, format, options.scan) {
                    Ok(output) => result.output = output,
                    Err(e) => {
                        let message = io_message(&e);
                        if let Some(partial) = e
                            .into_inner()
                            .and_then(|inner| inner.downcast::<PartialScan>().ok())
                        {
                            result.output = partial.output;
                        }
                        result.error = Some(message);
                    }
                }
            }
        }
        return result;
    }
    let (bytes, read_error) = opened.into_bytes();
    let parsed = if format == LogFormat::Csv {
        document::parse_csv(&bytes)
    } else {
        document::parse_json(&bytes)
    };
    result.output = ScanOutput {
        matches: scan_records(matcher, &parsed.records),
        lines: bytecount::count(&bytes, b'\n') as u64
            + u64::from(bytes.last().is_some_and(|&b| b != b'\n')),
        bytes: bytes.len() as u64,
    };
    result.error = read_error.or(result.error).or(parsed.error);
    result
}
