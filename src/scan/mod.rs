//! The scan stage: raw bytes (or document records) in, rule and milestone
//! matches out. Large buffers are split at line boundaries into chunks that
//! are searched in parallel; results are identical for any chunk size and
//! thread count because each chunk reports chunk-local line numbers that are
//! rebased afterwards, and look-back (tracebacks) reads the shared buffer.

mod anchored;
pub mod around;
mod captures;
mod in_order;
mod literals;
pub mod matcher;

use std::collections::VecDeque;
use std::io::Read;

use rayon::prelude::*;

use crate::input::clip;
use crate::input::document::Record;
use crate::input::format::LogFormat;
use crate::input::meta::{Meta, Origin, StampText, find_level, find_timestamp, leading_timestamp};
use crate::input::traceback::{MAX_TRACEBACK_LINES, is_exception_line, traceback_start};
use crate::input::{json, peel};
pub(crate) use around::{Held, Surroundings};
pub use captures::Captures;
use matcher::Scratch;
use matcher::add_unrecognised;
pub use matcher::{Matcher, Target};

/// One matched message line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineMatch {
    /// 1-based line in the file (for multi-line events: where the event starts).
    pub line: u64,
    /// Byte offset of that line.
    pub offset: u64,
    pub target: Target,
    pub captures: Captures,
    /// The message line that matched, wrappers removed.
    pub text: String,
    /// The line's timestamp as reports show it, if it has one.
    pub stamp: Option<StampText>,
    /// The stream the line's wrapper names (pod, container, host, service).
    pub origin: Origin,
    /// The traceback this line ends, oldest line first (empty if none).
    pub traceback: Vec<String>,
    /// For a rule that says how a process ended (`outcome: true`): the last
    /// lines of the same stream before it, oldest first (empty otherwise).
    pub before: Vec<String>,
    /// When the line was written: its own stamp, or else the nearest earlier
    /// line's (a traceback's exception line has none of its own). Looked up
    /// in the input, never in other matches, so chunking cannot change it.
    pub nanos: Option<i128>,
    /// Reading position in the input: the line for text logs; for documents
    /// (read in time order, not line order) the record's index, times
    /// [`SUBLINES`], plus the line within the record.
    pub seq: u64,
    /// Byte offset just past the line (and any CRI continuation joined to
    /// it): where the lines shown after a stall start.
    pub end: u64,
}

/// A scan of one piece of input, run by whoever takes its matches: it
/// hands each match, in reading order, to the function it is given. The
/// matches are taken as they are found, not gathered first: a chunk of a
/// large log has thousands of milestone lines, and a vector of them was
/// grown, moved through and dropped for nothing.
pub(crate) type Matches<'a> = dyn FnMut(&mut dyn FnMut(LineMatch)) + 'a;

/// The matches of `matches`, as a [`Matches`] scan (for pieces scanned
/// before they are taken: stream blocks, documents).
pub(crate) fn each_of(matches: Vec<LineMatch>) -> impl FnMut(&mut dyn FnMut(LineMatch)) {
    let mut matches = Some(matches);
    move |take| matches.take().into_iter().flatten().for_each(take)
}

/// Reading positions reserved per document record (its lines).
const SUBLINES: u64 = 16;

/// Tunables that must never change results, only speed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ScanOptions {
    pub chunk_size: usize,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            chunk_size: 4 << 20,
        }
    }
}

/// Line and byte totals of one scanned input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    pub lines: u64,
    pub bytes: u64,
}

/// Scans a whole in-memory buffer (usually a memory map) in parallel chunks.
///
/// `fold` runs the scan of one chunk on a worker thread, turning its
/// matches (in line order) into a value; their line numbers and reading
/// positions count from the chunk's start, as the lines before it may not
/// be counted yet.
/// `consume` receives those values in input order, with the chunk's size in
/// bytes and the number of lines before it, to add to the numbers. Memory
/// is bounded by the chunks in flight, not by the buffer.
#[cfg(test)]
pub(crate) fn scan_buffer<T: Send>(
    matcher: &Matcher,
    buf: &[u8],
    format: LogFormat,
    options: ScanOptions,
    fold: &(dyn Fn(&mut Matches<'_>) -> T + Sync),
    consume: &mut dyn FnMut(T, u64, u64),
) -> Totals {
    let whole = Region {
        bytes: 0..buf.len(),
        lines_before: 0,
    };
    scan_region(matcher, buf, whole, format, options, fold, consume)
}

/// A line-aligned part of a buffer to scan: its bytes, and how many lines
/// come before them (so that line numbers are the whole buffer's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Region {
    pub bytes: std::ops::Range<usize>,
    pub lines_before: u64,
}

/// [`scan_buffer`] over one region of the buffer only. Look-back
/// (tracebacks, inherited timestamps, the lines before an outcome) still
/// reads before the region and continuation joins read past it, so every
/// line of the region matches exactly as in a scan of the whole buffer.
/// The totals are the region's own.
pub(crate) fn scan_region<T: Send>(
    matcher: &Matcher,
    buf: &[u8],
    region: Region,
    format: LogFormat,
    options: ScanOptions,
    fold: &(dyn Fn(&mut Matches<'_>) -> T + Sync),
    consume: &mut dyn FnMut(T, u64, u64),
) -> Totals {
    let chunks = Chunks::new(region.bytes.clone(), options.chunk_size);
    let mut lines = region.lines_before;
    in_order::run_in_order(
        chunks.count(),
        window(MAPPED_CHUNKS_PER_THREAD),
        &|i| {
            let bytes = chunks.get(buf, i);
            let mut newlines = 0;
            let value = fold(&mut |take| {
                newlines = scan_range(matcher, buf, bytes.clone(), buf.len(), format, take);
            });
            (value, newlines, bytes.len())
        },
        &mut |_, (value, newlines, len)| {
            consume(value, len as u64, lines);
            lines += newlines;
        },
    );
    let (start, end) = (region.bytes.start, region.bytes.end);
    if end == buf.len() && end > start && buf[end - 1] != b'\n' {
        lines += 1;
    }
    Totals {
        lines: lines - region.lines_before,
        bytes: (end - start) as u64,
    }
}

/// Chunks of a memory-mapped buffer scanned and not yet consumed, per
/// thread. The map is not copied, so memory is these chunks' parts only.
const MAPPED_CHUNKS_PER_THREAD: usize = 4;

/// Chunks read from a stream at once, per thread: each is a copy in memory.
const STREAMED_CHUNKS_PER_THREAD: usize = 2;

/// Chunks searched at once: `per_thread` for each thread.
fn window(per_thread: usize) -> usize {
    rayon::current_num_threads().max(1) * per_thread
}

/// `buf[range]` split into line-aligned chunks of about `size` bytes.
/// Chunk `i` ends after the first newline at or after `range.start + (i +
/// 1) * size` (chunk 0 starts at the range's start), so each chunk's bounds
/// are found by the thread that scans it. Finding them all first read a
/// page per chunk on one thread before the search began: for a log partly
/// out of the page cache, one read from disk after another. A line longer
/// than `size` leaves the chunks it covers empty.
#[derive(Debug, Clone)]
struct Chunks {
    range: std::ops::Range<usize>,
    size: usize,
}

impl Chunks {
    fn new(range: std::ops::Range<usize>, size: usize) -> Chunks {
        Chunks {
            range,
            size: size.max(1),
        }
    }

    fn count(&self) -> usize {
        self.range.len().div_ceil(self.size)
    }

    /// The bytes of chunk `i` (below [`Chunks::count`]).
    fn get(&self, buf: &[u8], i: usize) -> std::ops::Range<usize> {
        self.start_of(buf, i)..self.start_of(buf, i + 1)
    }

    /// Where chunk `i` starts (the range's end for `i` past the last).
    fn start_of(&self, buf: &[u8], i: usize) -> usize {
        let end = self.range.end;
        let target = self.range.start.saturating_add(i.saturating_mul(self.size));
        if i == 0 || target >= end {
            return target.min(end);
        }
        memchr::memchr(b'\n', &buf[target..end]).map_or(end, |at| target + at + 1)
    }
}

/// What a reader driver hands its consumer after each block: the block's
/// matches, and the bytes still held (the block plus look-back context,
/// starting at file offset `base`) so lines after a match can be read
/// before they are dropped.
pub(crate) struct Block<'a> {
    /// The matches, one list per chunk searched (in order), so that they
    /// can be folded in parallel.
    pub pieces: Vec<Vec<LineMatch>>,
    pub held: &'a [u8],
    pub base: u64,
    pub eof: bool,
}

/// Longest look-back context kept between increments.
const TAIL_MAX_BYTES: usize = 1 << 20;

/// The scan core's incremental driver: bytes arrive in pieces (blocks of a
/// stream, lines of a followed file), every complete line is scanned once,
/// and a bounded tail of earlier lines stays for look-back (tracebacks,
/// inherited timestamps). Trailing CRI partial lines wait for the line that
/// completes them.
pub(crate) struct Incremental {
    /// Look-back context (already scanned), then bytes not scanned yet.
    buf: Vec<u8>,
    context_len: usize,
    /// File offset of `buf[0]`.
    base: u64,
    totals: Totals,
    /// Bytes per chunk searched in parallel within one piece.
    chunk_size: usize,
}

impl Incremental {
    /// Starts at file offset `offset`, after `lines` lines.
    pub(crate) fn new(offset: u64, lines: u64, options: ScanOptions) -> Incremental {
        Incremental {
            buf: Vec::new(),
            context_len: 0,
            base: offset,
            totals: Totals { lines, bytes: 0 },
            chunk_size: options.chunk_size,
        }
    }

    /// Lines and bytes handed in so far (a last line without a newline
    /// counts once the input has ended).
    pub(crate) fn totals(&self) -> Totals {
        self.totals
    }

    /// Adds `data` and scans every complete line (every line at all when
    /// `eof`), handing the matches and the bytes still held to `consume`.
    pub(crate) fn push(
        &mut self,
        matcher: &Matcher,
        format: LogFormat,
        data: &[u8],
        eof: bool,
        consume: &mut dyn FnMut(Block<'_>),
    ) {
        self.buf.extend_from_slice(data);
        self.totals.bytes += data.len() as u64;
        self.scan_pending(matcher, format, eof, consume);
    }

    /// Reads up to `max` bytes from `reader` straight into the buffer (no
    /// copy) and scans them. Returns whether the input ended, and the read
    /// error that ended it, if any.
    pub(crate) fn read_from(
        &mut self,
        matcher: &Matcher,
        format: LogFormat,
        reader: &mut dyn Read,
        max: usize,
        consume: &mut dyn FnMut(Block<'_>),
    ) -> (bool, Option<std::io::Error>) {
        let start = self.buf.len();
        self.buf.resize(start + max, 0);
        let mut filled = 0;
        let (mut eof, mut error) = (false, None);
        while filled < max {
            match reader.read(&mut self.buf[start + filled..]) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    (eof, error) = (true, Some(e));
                    break;
                }
            }
        }
        self.buf.truncate(start + filled);
        self.totals.bytes += filled as u64;
        self.scan_pending(matcher, format, eof, consume);
        (eof, error)
    }

    /// Scans the complete lines not scanned yet.
    fn scan_pending(
        &mut self,
        matcher: &Matcher,
        format: LogFormat,
        eof: bool,
        consume: &mut dyn FnMut(Block<'_>),
    ) {
        let context_len = self.context_len;
        let mut end = if eof {
            self.buf.len()
        } else {
            memchr::memrchr(b'\n', &self.buf[context_len..])
                .map_or(context_len, |i| context_len + i + 1)
        };
        if !eof {
            // Hold back trailing CRI partial lines until the line completing them arrives.
            while let Some(start) =
                previous_line_start(&self.buf, end).filter(|&s| s >= context_len)
            {
                if cri_tag(trim_cr(&self.buf[start..end - 1])) != Some(b'P') {
                    break;
                }
                end = start;
            }
        }
        let buf = &self.buf;
        let chunks = Chunks::new(context_len..end, self.chunk_size);
        let scanned: Vec<(Vec<LineMatch>, u64)> = (0..chunks.count())
            .into_par_iter()
            .map(|i| {
                let range = chunks.get(buf, i);
                let mut matches = Vec::new();
                let newlines =
                    scan_range(matcher, buf, range, end, format, &mut |m| matches.push(m));
                (matches, newlines)
            })
            .collect();
        let mut pieces = Vec::with_capacity(scanned.len());
        for (mut matches, newlines) in scanned {
            for m in &mut matches {
                m.line += self.totals.lines;
                m.seq += self.totals.lines;
                m.offset += self.base;
                m.end += self.base;
            }
            self.totals.lines += newlines;
            pieces.push(matches);
        }
        if eof && end > context_len && self.buf[..end].last().is_some_and(|&b| b != b'\n') {
            self.totals.lines += 1;
        }
        consume(Block {
            pieces,
            held: &self.buf,
            base: self.base,
            eof,
        });
        self.keep_context(end);
    }

    /// Adds complete lines as look-back context only: they are counted but
    /// not scanned (a `--since` replay skipping old lines).
    pub(crate) fn skip(&mut self, data: &[u8]) {
        debug_assert_eq!(self.context_len, self.buf.len(), "nothing pending");
        self.buf.extend_from_slice(data);
        self.totals.bytes += data.len() as u64;
        self.totals.lines += bytecount::count(data, b'\n') as u64;
        self.keep_context(self.buf.len());
    }

    /// Drops all but up to MAX_TRACEBACK_LINES scanned lines before `end`.
    fn keep_context(&mut self, end: usize) {
        let mut keep_from = end;
        let mut kept = 0;
        while keep_from > 0 && kept <= MAX_TRACEBACK_LINES && end - keep_from < TAIL_MAX_BYTES {
            keep_from = memchr::memrchr(b'\n', &self.buf[..keep_from - 1]).map_or(0, |i| i + 1);
            kept += 1;
            if keep_from == 0 {
                break;
            }
        }
        self.buf.drain(..keep_from);
        self.base += keep_from as u64;
        self.context_len = end - keep_from;
    }
}

/// Streams a reader in blocks through an [`Incremental`] scan; memory stays
/// bounded by the block size plus the look-back tail. On a read error, what
/// was read before it has been handed to `consume` and the error is
/// returned with the totals so far.
pub(crate) fn scan_reader(
    matcher: &Matcher,
    reader: &mut dyn Read,
    format: LogFormat,
    options: ScanOptions,
    consume: &mut dyn FnMut(Block<'_>),
) -> (Totals, Option<std::io::Error>) {
    // A window of chunks per read, so that they are searched in parallel.
    let block_size = options
        .chunk_size
        .saturating_mul(window(STREAMED_CHUNKS_PER_THREAD))
        .clamp(64 << 10, 256 << 20);
    let mut scan = Incremental::new(0, 0, options);
    loop {
        let (eof, error) = scan.read_from(matcher, format, reader, block_size, consume);
        if eof {
            return (scan.totals(), error);
        }
    }
}

/// Scans document records (already in chronological order). A match's
/// `end` is the offset of the record after it, where stall context starts.
pub(crate) fn scan_records(matcher: &Matcher, records: &[Record]) -> Vec<LineMatch> {
    let mut matches = Vec::new();
    let mut history: VecDeque<String> = VecDeque::new();
    let mut inherited = None;
    let mut scratch = matcher.scratch();
    for (index, record) in records.iter().enumerate() {
        if let Some(stamp) = &record.meta.timestamp {
            inherited = Some(stamp.nanos);
        }
        let next = records.get(index + 1).map_or(u64::MAX, |r| r.offset);
        let sublines: Vec<&str> = record.text.split('\n').collect();
        for (i, subline) in sublines.iter().enumerate() {
            let mut line_hits =
                matcher.match_message(subline, None, &mut || record.meta.clone(), &mut scratch);
            // A record's level speaks for its first line, not for the
            // traceback frames under it.
            add_unrecognised(subline, &mut line_hits, &mut || Meta {
                level: record.meta.level.filter(|_| i == 0),
                ..Meta::default()
            });
            let mut hits = line_hits.hits;
            if !hits.is_empty() {
                let previous = || {
                    let mut previous: Vec<String> = history.iter().cloned().collect();
                    previous.extend(sublines[..i].iter().map(|s| s.to_string()));
                    previous
                };
                let traceback = if is_exception_line(subline) {
                    collect_traceback(&previous(), subline)
                } else {
                    Vec::new()
                };
                matcher.keep_allowed(&mut hits, &traceback);
                let before = if matcher.any_outcome(&hits) {
                    lines_before(&previous())
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
                        stamp: record.meta.timestamp.as_ref().map(|t| t.text.clone()),
                        origin: record.meta.origin.clone(),
                        traceback: traceback.clone(),
                        before: before.clone(),
                        nanos: inherited,
                        seq: (index as u64) * SUBLINES + (i as u64).min(SUBLINES - 1),
                        end: next,
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
    matcher.give_back(scratch);
    matches
}

/// Lines shown before an outcome (a process exit, a crash) that nothing explains.
pub(crate) const BEFORE_LINES: usize = 8;

/// The last [`BEFORE_LINES`] non-blank lines of `previous` (oldest first), clipped.
fn lines_before(previous: &[String]) -> Vec<String> {
    let mut lines: Vec<String> = previous
        .iter()
        .rev()
        .filter(|line| !line.trim().is_empty())
        .take(BEFORE_LINES)
        .map(|line| clip::evidence(line, 0..0))
        .collect();
    lines.reverse();
    lines
}

pub(crate) fn collect_traceback(previous: &[String], exception: &str) -> Vec<String> {
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

pub(crate) fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Scans the lines of `buf[range]`; look-back may read before `range.start`.
/// Hands `take` each match, with line numbers relative to the range;
/// returns the number of newlines in the range.
fn scan_range(
    matcher: &Matcher,
    buf: &[u8],
    range: std::ops::Range<usize>,
    join_limit: usize,
    format: LogFormat,
    take: &mut dyn FnMut(LineMatch),
) -> u64 {
    let (start, end) = (range.start, range.end);
    let mut newlines_before = 0u64; // newlines between `start` and `counted_to`
    let mut counted_to = start;
    let mut pos = start;
    let mut scratch = matcher.scratch();
    matcher.index(&buf[..end], start, &mut scratch);
    let every_line = matcher.checks_every_line();
    while pos < end {
        let candidate = if every_line {
            Some(pos)
        } else {
            matcher.next_candidate(pos, &mut scratch)
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
            take,
            &mut scratch,
        );
        pos = consumed_to + 1;
    }
    matcher.give_back(scratch);
    newlines_before + bytecount::count(&buf[counted_to..end], b'\n') as u64
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
    take: &mut dyn FnMut(LineMatch),
    scratch: &mut Scratch,
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
        _ => crate::input::text_of(raw),
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
    let mut next_subline = 0;
    for (i, subline) in message.split('\n').enumerate() {
        let subline_start = next_subline;
        next_subline += subline.len() + 1;
        let mut meta_cache: Option<Meta> = None;
        // Where the subline starts in `buf`, when it is a slice of it (not
        // a joined or decoded message).
        let at = (subline.as_ptr() as usize)
            .checked_sub(buf.as_ptr() as usize)
            .filter(|&at| at + subline.len() <= buf.len());
        let mut line_hits = matcher.match_message(
            subline,
            at,
            &mut || meta_cache.get_or_insert_with(line_meta).clone(),
            scratch,
        );
        add_unrecognised(subline, &mut line_hits, &mut || {
            let meta = meta_cache.get_or_insert_with(line_meta);
            Meta {
                level: meta.level.filter(|_| i == 0),
                ..Meta::default()
            }
        });
        let mut hits = line_hits.hits;
        if hits.is_empty() {
            continue;
        }
        // The level was only wanted for matching: a matched line keeps its
        // stamp and origin, and a text line's level is not looked for here.
        let (timestamp, mut line_origin) = match meta_cache.take() {
            Some(meta) => (meta.timestamp, meta.origin),
            None => match json_meta {
                Some(meta) => (meta.timestamp.clone(), meta.origin.clone()),
                None => (find_timestamp(&text), origin.clone()),
            },
        };
        let previous = || -> Vec<String> {
            if i > 0 {
                message[..subline_start - 1]
                    .split('\n')
                    .map(str::to_string)
                    .collect()
            } else {
                previous_messages(buf, line_start, format, &line_origin)
            }
        };
        let mut traceback = if is_exception_line(subline) {
            collect_traceback(&previous(), subline)
        } else {
            Vec::new()
        };
        matcher.keep_allowed(&mut hits, &traceback);
        if hits.is_empty() {
            continue;
        }
        let mut before = if matcher.any_outcome(&hits) {
            lines_before(&previous())
        } else {
            Vec::new()
        };
        let nanos = match &timestamp {
            Some(stamp) => Some(stamp.nanos),
            None => inherited_nanos(buf, line_start, format, &line_origin),
        };
        let mut stamp = timestamp.map(|t| t.text);
        let count = hits.len();
        for (n, hit) in hits.into_iter().enumerate() {
            // The last hit (usually the only one) takes the line's values.
            let last = n + 1 == count;
            take(LineMatch {
                line: line_index + 1,
                offset: line_start as u64,
                target: hit.target,
                captures: hit.captures,
                text: clip::evidence(subline, hit.span),
                stamp: copy_or_take(&mut stamp, last),
                origin: copy_or_take(&mut line_origin, last),
                traceback: copy_or_take(&mut traceback, last),
                before: copy_or_take(&mut before, last),
                nanos,
                seq: line_index + 1,
                end: (consumed + 1).min(buf.len()) as u64,
            });
        }
    }
    consumed
}

/// A copy of `value`, or `value` itself when it is wanted no more.
fn copy_or_take<T: Clone + Default>(value: &mut T, last: bool) -> T {
    if last {
        std::mem::take(value)
    } else {
        value.clone()
    }
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

/// The lines before `line_start` that belong to the same stream (the same
/// wrapper origin: interleaved pods keep their own tracebacks), newest
/// first, as (raw line, peeled message); at most MAX_TRACEBACK_LINES
/// physical lines are looked at, so results never depend on chunking.
fn previous_in_stream<'b>(
    buf: &'b [u8],
    line_start: usize,
    format: LogFormat,
    origin: &'b Origin,
) -> impl Iterator<Item = (std::borrow::Cow<'b, str>, String)> + 'b {
    let mut cursor = line_start;
    (0..MAX_TRACEBACK_LINES)
        .map_while(move |_| {
            let line = previous_line(buf, cursor)?;
            cursor = previous_line_start(buf, cursor).unwrap_or(0);
            Some(line)
        })
        .filter_map(move |line| {
            let text = crate::input::text_of(line);
            let (message, line_origin) = match format {
                LogFormat::Jsonl => match json::line_message(&text) {
                    Some((message, meta)) => (message, meta.origin),
                    None => (text.to_string(), Origin::default()),
                },
                _ => {
                    let (message, line_origin) = peel::message_and_origin(&text);
                    (message.to_string(), line_origin)
                }
            };
            (&line_origin == origin).then_some((text, message))
        })
}

/// Up to MAX_TRACEBACK_LINES messages of the same stream before
/// `line_start`, oldest first.
fn previous_messages(
    buf: &[u8],
    line_start: usize,
    format: LogFormat,
    origin: &Origin,
) -> Vec<String> {
    let mut lines: Vec<String> = previous_in_stream(buf, line_start, format, origin)
        .map(|(_, message)| message)
        .collect();
    lines.reverse();
    lines
}

/// The stamp of the nearest earlier line of the same stream that starts
/// with one (in its wrapper or its message).
fn inherited_nanos(
    buf: &[u8],
    line_start: usize,
    format: LogFormat,
    origin: &Origin,
) -> Option<i128> {
    previous_in_stream(buf, line_start, format, origin).find_map(|(raw, message)| {
        match format {
            LogFormat::Jsonl => json::line_message(&raw).and_then(|(_, meta)| meta.timestamp),
            _ => leading_timestamp(&raw).or_else(|| leading_timestamp(&message)),
        }
        .map(|stamp| stamp.nanos)
    })
}
