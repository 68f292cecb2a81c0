//! The scan stage: raw bytes (or document records) in, rule and milestone
//! matches out. Large buffers are split at line boundaries into chunks that
//! are searched in parallel; results are identical for any chunk size and
//! thread count because each chunk reports chunk-local line numbers that are
//! rebased afterwards, and look-back (tracebacks) reads the shared buffer.

pub mod file;
pub mod matcher;

use std::collections::VecDeque;
use std::io::Read;

use rayon::prelude::*;

use crate::input::clip;
use crate::input::document::Record;
use crate::input::format::LogFormat;
use crate::input::meta::{Meta, Origin, find_level, find_timestamp};
use crate::input::traceback::{MAX_TRACEBACK_LINES, is_exception_line, traceback_start};
use crate::input::{json, peel};
pub use matcher::{CandidateCache, Hit, Matcher, Target};

/// One matched message line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineMatch {
    /// 1-based line in the file (for multi-line events: where the event starts).
    pub line: u64,
    /// Byte offset of that line.
    pub offset: u64,
    pub target: Target,
    pub captures: Vec<(String, String)>,
    /// The message line that matched, wrappers removed.
    pub text: String,
    pub meta: Meta,
    /// The traceback this line ends, oldest line first (empty if none).
    pub traceback: Vec<String>,
}

/// Everything one input produced.
#[derive(Debug, Default, Clone)]
pub struct ScanOutput {
    pub matches: Vec<LineMatch>,
    pub lines: u64,
    pub bytes: u64,
}

/// Tunables that must never change results, only speed.
#[derive(Debug, Clone, Copy)]
pub struct ScanOptions {
    pub chunk_size: usize,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            chunk_size: 4 << 20,
        }
    }
}

/// Scans a whole in-memory buffer (usually a memory map) in parallel chunks.
pub fn scan_buffer(
    matcher: &Matcher,
    buf: &[u8],
    format: LogFormat,
    options: ScanOptions,
) -> ScanOutput {
    let chunks = chunk_bounds(buf, options.chunk_size.max(1));
    let results: Vec<(Vec<LineMatch>, u64)> = chunks
        .par_iter()
        .map(|range| scan_range(matcher, buf, range.clone(), buf.len(), format))
        .collect();
    let mut output = ScanOutput {
        bytes: buf.len() as u64,
        ..ScanOutput::default()
    };
    for (mut matches, newlines) in results {
        for m in &mut matches {
            m.line += output.lines;
        }
        output.matches.extend(matches);
        output.lines += newlines;
    }
    if buf.last().is_some_and(|&b| b != b'\n') {
        output.lines += 1;
    }
    output
}

/// Splits `buf` into ranges of about `size` bytes, each ending after a newline.
pub fn chunk_bounds(buf: &[u8], size: usize) -> Vec<std::ops::Range<usize>> {
    let mut bounds = Vec::new();
    let mut start = 0;
    while start < buf.len() {
        let target = start.saturating_add(size).min(buf.len());
        let end = if target >= buf.len() {
            buf.len()
        } else {
            memchr::memchr(b'\n', &buf[target..]).map_or(buf.len(), |i| target + i + 1)
        };
        bounds.push(start..end);
        start = end;
    }
    bounds
}

/// Streams a reader in blocks, keeping a tail of earlier lines for look-back;
/// memory stays bounded by the block size plus the tail.
pub fn scan_reader(
    matcher: &Matcher,
    reader: &mut dyn Read,
    format: LogFormat,
    options: ScanOptions,
) -> std::io::Result<ScanOutput> {
    const TAIL_MAX_BYTES: usize = 1 << 20;
    let block = options.chunk_size.max(64 << 10);
    let mut buf: Vec<u8> = Vec::with_capacity(block * 2);
    let mut output = ScanOutput::default();
    let mut context_len = 0; // bytes at the front of `buf` already scanned (look-back only)
    let mut offset_base = 0u64; // file offset of buf[0]
    let mut eof = false;
    let mut error = None;
    while !eof {
        let filled = buf.len();
        buf.resize(filled + block, 0);
        let mut read_total = 0;
        while read_total < block {
            match reader.read(&mut buf[filled + read_total..]) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => read_total += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    error = Some(e);
                    eof = true;
                    break;
                }
            }
        }
        buf.truncate(filled + read_total);
        output.bytes += read_total as u64;
        let mut end = if eof {
            buf.len()
        } else {
            memchr::memrchr(b'\n', &buf[context_len..]).map_or(context_len, |i| context_len + i + 1)
        };
        if !eof {
            // Hold back trailing CRI partial lines until the line completing them arrives.
            while let Some(start) = previous_line_start(&buf, end).filter(|&s| s >= context_len) {
                if cri_tag(trim_cr(&buf[start..end - 1])) != Some(b'P') {
                    break;
                }
                end = start;
            }
        }
        if end > context_len {
            let (mut matches, newlines) = scan_range(matcher, &buf, context_len..end, end, format);
            for m in &mut matches {
                m.line += output.lines;
                m.offset += offset_base;
            }
            output.matches.extend(matches);
            output.lines += newlines;
        }
        // Keep up to MAX_TRACEBACK_LINES scanned lines as look-back context.
        let mut keep_from = end;
        let mut kept = 0;
        while keep_from > 0 && kept <= MAX_TRACEBACK_LINES && end - keep_from < TAIL_MAX_BYTES {
            keep_from = memchr::memrchr(b'\n', &buf[..keep_from - 1]).map_or(0, |i| i + 1);
            kept += 1;
            if keep_from == 0 {
                break;
            }
        }
        buf.drain(..keep_from);
        offset_base += keep_from as u64;
        context_len = end - keep_from;
    }
    if !buf.is_empty() && buf.last().is_some_and(|&b| b != b'\n') {
        output.lines += 1;
    }
    match error {
        Some(e) if output.bytes == 0 => Err(e),
        Some(e) => Err(std::io::Error::new(
            e.kind(),
            PartialScan {
                output,
                source: e.to_string(),
            },
        )),
        None => Ok(output),
    }
}

/// An I/O error after part of the input was scanned: carries what was found.
#[derive(Debug)]
pub struct PartialScan {
    pub output: ScanOutput,
    pub source: String,
}

impl std::fmt::Display for PartialScan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (after {} bytes)", self.source, self.output.bytes)
    }
}

impl std::error::Error for PartialScan {}

/// Scans document records (already in chronological order).
pub fn scan_records(matcher: &Matcher, records: &[Record]) -> Vec<LineMatch> {
    let mut matches = Vec::new();
    let mut history: VecDeque<String> = VecDeque::new();
    for record in records {
        let sublines: Vec<&str> = record.text.split('\n').collect();
        for (i, subline) in sublines.iter().enumerate() {
            let hits = matcher.match_message(subline, &mut || record.meta.clone());
            if !hits.is_empty() {
                let traceback = if is_exception_line(subline) {
                    let mut previous: Vec<String> = history.iter().cloned().collect();
                    previous.extend(sublines[..i].iter().map(|s| s.to_string()));
                    collect_traceback(&previous, subline)
                } else {
                    Vec::new()
                };
                for hit in hits {
                    matches.push(LineMatch {
                        line: record.line,
                        offset: record.offset,
                        target: hit.target,
                        captures: hit.captures,
                        text: clip::evidence(subline, hit.span),
                        meta: record.meta.clone(),
                        traceback: traceback.clone(),
                    });
                }
            }
        }
        for subline in sublines {
            history.push_back(subline.to_string());
            if history.len() > MAX_TRACEBACK_LINES {
                history.pop_front();
            }
        }
    }
    matches
}

fn collect_traceback(previous: &[String], exception: &str) -> Vec<String> {
    match traceback_start(previous.len(), |i| previous.get(i).cloned()) {
        Some(start) => {
            let mut lines: Vec<String> = previous[start..]
                .iter()
                .map(|line| clip::evidence(line, 0..0))
                .collect();
            lines.push(clip::evidence(exception, 0..0));
            lines
        }
        None => Vec::new(),
    }
}

/// The CRI tag (`P` partial or `F` full) of a node log line, if it is one.
fn cri_tag(raw: &[u8]) -> Option<u8> {
    let space = memchr::memchr(b' ', raw)?;
    let rest = &raw[space + 1..];
    let rest = rest
        .strip_prefix(b"stdout ")
        .or_else(|| rest.strip_prefix(b"stderr "))?;
    match rest {
        [tag @ (b'P' | b'F'), b' ', ..] | [tag @ (b'P' | b'F')] => Some(*tag),
        _ => None,
    }
}

fn line_at(buf: &[u8], start: usize, limit: usize) -> usize {
    memchr::memchr(b'\n', &buf[start..limit]).map_or(limit, |i| start + i)
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Scans the lines of `buf[range]`; look-back may read before `range.start`.
/// Returns matches with line numbers relative to the range, and the number of
/// newlines in the range.
fn scan_range(
    matcher: &Matcher,
    buf: &[u8],
    range: std::ops::Range<usize>,
    join_limit: usize,
    format: LogFormat,
) -> (Vec<LineMatch>, u64) {
    let (start, end) = (range.start, range.end);
    let mut matches = Vec::new();
    let mut newlines_before = 0u64; // newlines between `start` and `counted_to`
    let mut counted_to = start;
    let mut pos = start;
    let mut cache = CandidateCache::default();
    let every_line = matcher.checks_every_line();
    while pos < end {
        let candidate = if every_line {
            Some(pos)
        } else {
            matcher.next_candidate(&buf[..end], pos, &mut cache)
        };
        let Some(candidate) = candidate else { break };
        let line_start =
            memchr::memrchr(b'\n', &buf[start..candidate]).map_or(start, |i| start + i + 1);
        let line_end = line_at(buf, candidate, end);
        newlines_before += bytecount::count(&buf[counted_to..line_start], b'\n') as u64;
        counted_to = line_start;
        let consumed_to = scan_line(
            matcher,
            buf,
            line_start,
            line_end,
            join_limit.max(end),
            format,
            newlines_before,
            &mut matches,
        );
        pos = consumed_to + 1;
    }
    let newlines = newlines_before + bytecount::count(&buf[counted_to..end], b'\n') as u64;
    (matches, newlines)
}

/// Matches one physical line (joining CRI partial lines that follow it);
/// returns the end of the last physical line consumed.
#[allow(clippy::too_many_arguments)]
fn scan_line(
    matcher: &Matcher,
    buf: &[u8],
    line_start: usize,
    line_end: usize,
    limit: usize,
    format: LogFormat,
    line_index: u64,
    out: &mut Vec<LineMatch>,
) -> usize {
    let raw = trim_cr(&buf[line_start..line_end]);
    let mut consumed = line_end;
    let joined: String;
    let text: std::borrow::Cow<str> = match cri_tag(raw) {
        Some(b'P') => {
            // Skip when a previous P line already joined this one.
            if previous_line(buf, line_start).is_some_and(|p| cri_tag(p) == Some(b'P')) {
                return line_end;
            }
            let mut parts = String::from(peel::message(&String::from_utf8_lossy(raw)));
            while consumed < limit {
                let next_start = consumed + 1;
                let next_end = line_at(buf, next_start, limit);
                let next = trim_cr(&buf[next_start..next_end]);
                if cri_tag(next).is_none() {
                    break; // not a continuation: it is scanned as its own line
                }
                parts.push_str(peel::message(&String::from_utf8_lossy(next)));
                consumed = next_end;
                if cri_tag(next) != Some(b'P') {
                    break;
                }
            }
            joined = parts;
            std::borrow::Cow::Borrowed(joined.as_str())
        }
        Some(_) if previous_line(buf, line_start).is_some_and(|p| cri_tag(p) == Some(b'P')) => {
            return line_end;
        }
        _ => String::from_utf8_lossy(raw),
    };
    let decoded = if format == LogFormat::Jsonl {
        json::line_message(&text)
    } else {
        None
    };
    // Peeling records the origin as it goes: wrappers that name one are
    // few, and a second peel for matched lines would cost more.
    let (message, json_meta, origin) = match &decoded {
        Some((message, meta)) => (message.as_str(), Some(meta), Origin::default()),
        None => {
            let (message, origin) = peel::message_and_origin(&text);
            (message, None, origin)
        }
    };
    let line_meta = || match json_meta {
        Some(meta) => meta.clone(),
        None => text_meta(&text, message, &origin),
    };
    let sublines: Vec<&str> = message.split('\n').collect();
    for (i, subline) in sublines.iter().enumerate() {
        let mut meta_cache: Option<Meta> = None;
        let hits = matcher.match_message(subline, &mut || {
            meta_cache.get_or_insert_with(line_meta).clone()
        });
        if hits.is_empty() {
            continue;
        }
        let meta = meta_cache.take().unwrap_or_else(line_meta);
        let traceback = if is_exception_line(subline) {
            let previous: Vec<String> = if i > 0 {
                sublines[..i].iter().map(|s| s.to_string()).collect()
            } else {
                previous_messages(buf, line_start, format)
            };
            collect_traceback(&previous, subline)
        } else {
            Vec::new()
        };
        for hit in hits {
            out.push(LineMatch {
                line: line_index + 1,
                offset: line_start as u64,
                target: hit.target,
                captures: hit.captures,
                text: clip::evidence(subline, hit.span),
                meta: meta.clone(),
                traceback: traceback.clone(),
            });
        }
    }
    consumed
}

/// Metadata of a text line: wrapper fields first, then the message's own.
fn text_meta(raw: &str, message: &str, origin: &Origin) -> Meta {
    Meta {
        timestamp: find_timestamp(raw),
        level: find_level(message).or_else(|| find_level(raw)),
        origin: origin.clone(),
    }
}

/// The start of the line before the one starting at `line_start`.
fn previous_line_start(buf: &[u8], line_start: usize) -> Option<usize> {
    let end = line_start.checked_sub(1)?;
    Some(memchr::memrchr(b'\n', &buf[..end]).map_or(0, |i| i + 1))
}

fn previous_line(buf: &[u8], line_start: usize) -> Option<&[u8]> {
    let start = previous_line_start(buf, line_start)?;
    Some(trim_cr(&buf[start..line_start - 1]))
}

/// Up to MAX_TRACEBACK_LINES messages before `line_start`, oldest first.
fn previous_messages(buf: &[u8], line_start: usize, format: LogFormat) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cursor = line_start;
    while lines.len() < MAX_TRACEBACK_LINES {
        let Some(line) = previous_line(buf, cursor) else {
            break;
        };
        cursor = previous_line_start(buf, cursor).unwrap_or(0);
        let text = String::from_utf8_lossy(line);
        let message = match format {
            LogFormat::Jsonl => json::line_message(&text).map(|(m, _)| m),
            _ => None,
        };
        lines.push(message.unwrap_or_else(|| peel::message(&text).to_string()));
    }
    lines.reverse();
    lines
}
