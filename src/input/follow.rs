//! Following growing log files (`faultline tail`): per file, an open handle,
//! its identity (device and inode), the read offset and a partial-line
//! buffer. Files are read with positioned reads, never memory-mapped (a
//! mapped file that shrinks faults). Handles what log files do:
//!
//! - append: new bytes past the offset are read;
//! - rotation by rename (logrotate `create`) and deletion then re-creation:
//!   the path names another inode; the old handle is read to its end, then
//!   the new file is read from its start; when the renamed file turns up in
//!   a followed directory (`app.log.1`), it is the same file (device and
//!   inode) and is read on from where its old name left off, not again;
//! - `copytruncate`: the file is shorter than the offset; reading restarts at 0;
//! - new files matching a glob or inside a directory: found by [`Follower::discover`];
//! - partial lines: a line is handed on only when its newline arrives (or
//!   when the file ends for good, see [`Follower::flush`]).
//!
//! Nothing here knows about rules: complete lines go to a sink as [`Event`]s.
//! Memory is bounded: a partial line longer than [`MAX_PARTIAL`] is handed on
//! as a line of its own, and each file is read in blocks.

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

use super::source::{Input, expand, io_message};

/// A partial line longer than this is handed on as a line (memory bound).
pub const MAX_PARTIAL: usize = 16 << 20;
/// Bytes read per `read_at` call.
const READ_BLOCK: usize = 1 << 20;
/// Bytes read from one file per poll, so that one busy file cannot starve the others.
const MAX_READ_PER_POLL: u64 = 64 << 20;
/// How far back from the end of an existing file to look for the last newline
/// when starting at its end.
const START_SCAN_BACK: u64 = 64 << 10;

/// Splits a byte stream into complete lines, holding back the partial last line.
#[derive(Debug, Default)]
pub struct LineSplitter {
    partial: Vec<u8>,
}

impl LineSplitter {
    /// Adds bytes; returns the complete lines now available (each ending in
    /// `\n`; empty if none). A partial line over [`MAX_PARTIAL`] bytes is
    /// returned as a line of its own.
    pub fn push(&mut self, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        match memchr::memrchr(b'\n', data) {
            Some(i) => {
                out = std::mem::take(&mut self.partial);
                out.extend_from_slice(&data[..=i]);
                self.partial.extend_from_slice(&data[i + 1..]);
            }
            None => self.partial.extend_from_slice(data),
        }
        if self.partial.len() > MAX_PARTIAL {
            out.append(&mut self.partial);
            out.push(b'\n');
        }
        out
    }

    /// The held partial line as a complete line (newline added), if any.
    pub fn flush(&mut self) -> Option<Vec<u8>> {
        if self.partial.is_empty() {
            return None;
        }
        let mut line = std::mem::take(&mut self.partial);
        line.push(b'\n');
        Some(line)
    }
}

/// Why a file's reading (re)starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartReason {
    /// A file that existed when following began.
    Initial,
    /// A file that appeared later (created, or newly matching a glob).
    Discovered,
    /// The path now names another file (rotation by rename, or deletion and re-creation).
    Replaced,
    /// The file shrank below the read offset (`copytruncate`).
    Truncated,
}

/// What following produces, in order per file.
#[derive(Debug)]
pub enum Event<'a> {
    /// A file generation starts at `offset`, after `lines_before` lines;
    /// the file then held `len` bytes (what it held before following began,
    /// for a generation started by [`Follower::start`]).
    /// Lines of the previous generation of the same `id` (if any) are done.
    Start {
        id: usize,
        path: &'a str,
        offset: u64,
        lines_before: u64,
        len: u64,
        reason: StartReason,
    },
    /// Complete lines of the current generation, each ending in `\n`.
    Lines { id: usize, data: &'a [u8] },
    /// A file could not be read (reported once until it reads again).
    Problem { path: &'a str, message: String },
}

#[derive(Debug, Clone)]
enum Spec {
    Path(PathBuf),
    Pattern(String),
}

struct Tail {
    path: PathBuf,
    display: String,
    file: Option<File>,
    ident: (u64, u64),
    offset: u64,
    splitter: LineSplitter,
    /// Whether a generation was ever started (a later one is `Replaced`).
    started: bool,
    /// A problem was reported and not cleared since.
    troubled: bool,
}

impl Tail {
    /// Reports a problem reading this file, once until it reads again.
    fn problem(&mut self, message: String, sink: &mut dyn FnMut(Event<'_>)) {
        if !self.troubled {
            self.troubled = true;
            sink(Event::Problem {
                path: &self.display,
                message,
            });
        }
    }
}

/// Where reading starts in the files that exist when following begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    /// At their start (`--from-start`, `--since`).
    Start,
    /// At their end: only what is appended.
    End,
    /// This many lines before their end (`tail -n N`).
    LastLines(u64),
}

/// Where one generation of a file starts being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Begin {
    At(StartAt),
    /// At this offset: a file already read this far under another name.
    Offset(u64),
}

/// Follows files named by paths, globs and directories.
pub struct Follower {
    specs: Vec<Spec>,
    tails: Vec<Tail>,
    start_at: StartAt,
    /// Files (device, inode) whose generation under a followed name ended,
    /// with the offset read to: met again under another name (renamed into
    /// a followed directory), they are read on from there.
    finished: HashMap<(u64, u64), u64>,
}

fn has_glob(arg: &str) -> bool {
    arg.contains(['*', '?', '[', '{'])
}

impl Follower {
    /// Follows `args` (paths, globs, directories; not `-`). Files that exist
    /// now are read from `start_at`; files that appear later are read from
    /// their start. Nothing is opened until [`Follower::start`].
    pub fn new(args: &[String], start_at: StartAt) -> Follower {
        let specs = args
            .iter()
            .map(|arg| {
                let path = Path::new(arg);
                let exists = path.symlink_metadata().is_ok();
                if (!exists && has_glob(arg)) || path.is_dir() {
                    Spec::Pattern(arg.clone())
                } else {
                    Spec::Path(path.to_path_buf())
                }
            })
            .collect();
        Follower {
            specs,
            tails: Vec::new(),
            start_at,
            finished: HashMap::new(),
        }
    }

    /// Directories worth watching for change notifications, with whether to
    /// watch them recursively.
    pub fn watch_dirs(&self) -> Vec<(PathBuf, bool)> {
        let mut dirs: Vec<(PathBuf, bool)> = Vec::new();
        for spec in &self.specs {
            let (dir, recursive) = match spec {
                Spec::Path(p) => (
                    p.parent()
                        .filter(|d| !d.as_os_str().is_empty())
                        .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
                    false,
                ),
                Spec::Pattern(arg) if Path::new(arg).is_dir() => (PathBuf::from(arg), true),
                Spec::Pattern(arg) => {
                    let literal: PathBuf = Path::new(arg)
                        .components()
                        .take_while(|c| !has_glob(&c.as_os_str().to_string_lossy()))
                        .collect();
                    (
                        if literal.as_os_str().is_empty() {
                            PathBuf::from(".")
                        } else {
                            literal
                        },
                        true,
                    )
                }
            };
            if !dirs.iter().any(|(d, _)| *d == dir) {
                dirs.push((dir, recursive));
            }
        }
        dirs
    }

    /// Opens the files that exist now and starts following them.
    pub fn start(&mut self, sink: &mut dyn FnMut(Event<'_>)) {
        for spec in self.specs.clone() {
            match spec {
                Spec::Path(path) => self.add(path),
                Spec::Pattern(arg) => {
                    for path in expand_pattern(&arg) {
                        self.add(path);
                    }
                }
            }
        }
        for id in 0..self.tails.len() {
            if self.tails[id].path.exists() {
                self.open(id, Begin::At(self.start_at), StartReason::Initial, sink);
            }
        }
    }

    /// Adds files that now match a glob or sit in a followed directory; they
    /// are read from their start, unless they are a file already read under
    /// another name (rotation by rename): then from where that left off.
    pub fn discover(&mut self, sink: &mut dyn FnMut(Event<'_>)) {
        for spec in self.specs.clone() {
            let Spec::Pattern(arg) = spec else { continue };
            for path in expand_pattern(&arg) {
                if self.tails.iter().any(|t| t.path == path) {
                    continue;
                }
                let ident = std::fs::metadata(&path).map(|m| (m.dev(), m.ino()));
                let from = match ident {
                    // Still read under its old name, which will read it to its end.
                    Ok(ident)
                        if self
                            .tails
                            .iter()
                            .any(|t| t.file.is_some() && t.ident == ident) =>
                    {
                        continue;
                    }
                    Ok(ident) => self
                        .finished
                        .get(&ident)
                        .map_or(Begin::At(StartAt::Start), |&offset| Begin::Offset(offset)),
                    Err(_) => Begin::At(StartAt::Start),
                };
                self.add(path);
                let id = self.tails.len() - 1;
                self.open(id, from, StartReason::Discovered, sink);
            }
        }
    }

    fn add(&mut self, path: PathBuf) {
        if self.tails.iter().any(|t| t.path == path) {
            return;
        }
        self.tails.push(Tail {
            display: path.display().to_string(),
            path,
            file: None,
            ident: (0, 0),
            offset: 0,
            splitter: LineSplitter::default(),
            started: false,
            troubled: false,
        });
    }

    /// Opens tail `id` at its path, reading from `from` (the end: the end
    /// of the last complete line). Returns whether it opened.
    fn open(
        &mut self,
        id: usize,
        from: Begin,
        reason: StartReason,
        sink: &mut dyn FnMut(Event<'_>),
    ) -> bool {
        let tail = &mut self.tails[id];
        let opened = File::open(&tail.path).and_then(|file| {
            let meta = file.metadata()?;
            Ok((file, meta))
        });
        let (file, meta) = match opened {
            Ok((file, meta)) if meta.is_file() => (file, meta),
            Ok(_) => {
                tail.problem("not a regular file; not followed".into(), sink);
                return false;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return false,
            Err(e) => {
                tail.problem(io_message(&e), sink);
                return false;
            }
        };
        tail.troubled = false;
        let (offset, lines_before) = match from {
            Begin::At(StartAt::Start) => (0, 0),
            Begin::At(StartAt::End) => end_of_last_line(&file, meta.len()),
            Begin::At(StartAt::LastLines(n)) => {
                let (end, _) = end_of_last_line(&file, meta.len());
                let offset = last_lines_start(&file, end, n);
                (offset, count_lines(&file, offset))
            }
            Begin::Offset(offset) => {
                let offset = offset.min(meta.len());
                (offset, count_lines(&file, offset))
            }
        };
        let reason = if tail.started && reason != StartReason::Truncated {
            StartReason::Replaced
        } else {
            reason
        };
        tail.ident = (meta.dev(), meta.ino());
        tail.offset = offset;
        tail.file = Some(file);
        tail.started = true;
        sink(Event::Start {
            id,
            path: &tail.display,
            offset,
            lines_before,
            len: meta.len(),
            reason,
        });
        true
    }

    /// Reads whatever is new in every followed file, noticing truncation,
    /// rotation, deletion and re-creation. Returns the bytes read.
    pub fn poll(&mut self, sink: &mut dyn FnMut(Event<'_>)) -> u64 {
        let mut total = 0;
        for id in 0..self.tails.len() {
            total += self.poll_one(id, sink);
        }
        total
    }

    fn poll_one(&mut self, id: usize, sink: &mut dyn FnMut(Event<'_>)) -> u64 {
        let from_start = Begin::At(StartAt::Start);
        if self.tails[id].file.is_none()
            && !self.open(id, from_start, StartReason::Discovered, sink)
        {
            return 0;
        }
        let mut total = 0;
        // At most a few generations per poll (rotation while reading).
        for _ in 0..4 {
            let tail = &mut self.tails[id];
            let Some(file) = &tail.file else { break };
            match file.metadata() {
                Ok(meta) if meta.len() < tail.offset => {
                    flush_tail(id, tail, sink);
                    tail.offset = 0;
                    sink(Event::Start {
                        id,
                        path: &tail.display,
                        offset: 0,
                        lines_before: 0,
                        len: meta.len(),
                        reason: StartReason::Truncated,
                    });
                }
                _ => {}
            }
            let (read, complete) = read_available(id, tail, MAX_READ_PER_POLL, sink);
            total += read;
            if !complete {
                break; // budget used up: the rest next poll
            }
            let replaced = match std::fs::metadata(&tail.path) {
                Ok(meta) => (meta.dev(), meta.ino()) != tail.ident,
                Err(_) => false, // gone for now: keep the handle, a writer may still append
            };
            if !replaced {
                break;
            }
            // The old file is finished: read what was appended since, flush its partial line.
            let (read, _) = read_available(id, tail, u64::MAX, sink);
            total += read;
            flush_tail(id, tail, sink);
            tail.file = None;
            self.finished.insert(tail.ident, tail.offset);
            if !self.open(id, from_start, StartReason::Replaced, sink) {
                break;
            }
        }
        total
    }

    /// Hands on every held partial line as a complete line (at exit).
    pub fn flush(&mut self, sink: &mut dyn FnMut(Event<'_>)) {
        for (id, tail) in self.tails.iter_mut().enumerate() {
            flush_tail(id, tail, sink);
        }
    }
}

fn flush_tail(id: usize, tail: &mut Tail, sink: &mut dyn FnMut(Event<'_>)) {
    if let Some(line) = tail.splitter.flush() {
        sink(Event::Lines { id, data: &line });
    }
}

/// Reads from the offset up to `budget` bytes or the end; returns the bytes
/// read and whether the end was reached.
fn read_available(
    id: usize,
    tail: &mut Tail,
    budget: u64,
    sink: &mut dyn FnMut(Event<'_>),
) -> (u64, bool) {
    let Some(file) = &tail.file else {
        return (0, true);
    };
    let mut buf = vec![0u8; READ_BLOCK];
    let mut total = 0u64;
    while total < budget {
        match file.read_at(&mut buf, tail.offset) {
            Ok(0) => return (total, true),
            Ok(n) => {
                tail.offset += n as u64;
                total += n as u64;
                let lines = tail.splitter.push(&buf[..n]);
                if !lines.is_empty() {
                    sink(Event::Lines { id, data: &lines });
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                tail.problem(io_message(&e), sink);
                return (total, true);
            }
        }
    }
    (total, false)
}

/// Where to start reading an existing file at its end: after its last
/// newline (a partial last line is read once it completes), with the number
/// of lines before that point.
fn end_of_last_line(file: &File, len: u64) -> (u64, u64) {
    let from = len.saturating_sub(START_SCAN_BACK);
    let mut tail = vec![0u8; (len - from) as usize];
    let offset = match file.read_exact_at(&mut tail, from) {
        Ok(()) => memchr::memrchr(b'\n', &tail)
            .map_or(if from == 0 { 0 } else { len }, |i| from + i as u64 + 1),
        Err(_) => len,
    };
    (offset, count_lines(file, offset))
}

/// Where the last `n` lines before offset `end` (a line start) begin.
fn last_lines_start(file: &File, end: u64, n: u64) -> u64 {
    if n == 0 {
        return end;
    }
    let mut buf = vec![0u8; READ_BLOCK];
    let mut pos = end;
    // The newline ending the line before `end` does not start a line of ours.
    let mut newlines = 0u64;
    while pos > 0 {
        let from = pos.saturating_sub(buf.len() as u64);
        let block = &mut buf[..(pos - from) as usize];
        if file.read_exact_at(block, from).is_err() {
            return pos;
        }
        for (i, &b) in block.iter().enumerate().rev() {
            if b == b'\n' && from + i as u64 + 1 != end {
                newlines += 1;
                if newlines == n {
                    return from + i as u64 + 1;
                }
            }
        }
        pos = from;
    }
    0
}

/// Newlines in the first `end` bytes of a file.
fn count_lines(file: &File, end: u64) -> u64 {
    let mut buf = vec![0u8; READ_BLOCK];
    let mut pos = 0u64;
    let mut lines = 0u64;
    while pos < end {
        let want = ((end - pos) as usize).min(buf.len());
        match file.read_at(&mut buf[..want], pos) {
            Ok(0) => break,
            Ok(n) => {
                lines += bytecount::count(&buf[..n], b'\n') as u64;
                pos += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    lines
}

/// The regular files a glob or directory names now (none is not an error:
/// they may appear later).
fn expand_pattern(arg: &str) -> Vec<PathBuf> {
    let (inputs, _) = expand(std::slice::from_ref(&arg.to_string()));
    inputs
        .into_iter()
        .filter_map(|i| match i {
            Input::Path(p) if p.extension().is_none_or(|e| e != "gz") => Some(p),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitter_holds_partial_lines() {
        let mut s = LineSplitter::default();
        assert_eq!(s.push(b"ab"), b"");
        assert_eq!(s.push(b"c\nde"), b"abc\n");
        assert_eq!(s.push(b"\n"), b"de\n");
        assert_eq!(s.flush(), None);
        s.push(b"tail");
        assert_eq!(s.flush().as_deref(), Some(&b"tail\n"[..]));
    }

    fn collect(follower: &mut Follower, poll: bool) -> Vec<String> {
        let mut out = Vec::new();
        let mut sink = |e: Event<'_>| match e {
            Event::Start {
                reason,
                offset,
                lines_before,
                ..
            } => out.push(format!("start {reason:?} {offset} {lines_before}")),
            Event::Lines { data, .. } => out.push(String::from_utf8_lossy(data).into_owned()),
            Event::Problem { message, .. } => out.push(format!("problem {message}")),
        };
        if poll {
            follower.poll(&mut sink);
        } else {
            follower.start(&mut sink);
        }
        out
    }

    #[test]
    fn follows_append_truncate_and_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        std::fs::write(&path, "old 1\nold 2\npart").unwrap();
        let mut f = Follower::new(&[path.display().to_string()], StartAt::End);
        assert_eq!(collect(&mut f, false), ["start Initial 12 2"]);
        use std::io::Write;
        let mut w = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        w.write_all(b"ial\nnew").unwrap();
        assert_eq!(collect(&mut f, true), ["partial\n"]);
        w.write_all(b" line\n").unwrap();
        assert_eq!(collect(&mut f, true), ["new line\n"]);
        // copytruncate
        w.set_len(0).unwrap();
        w.write_all(b"x\n").unwrap();
        assert_eq!(collect(&mut f, true), ["start Truncated 0 0", "x\n"]);
        // rename rotation: rest of the old file first, then the new one
        w.write_all(b"last of old\n").unwrap();
        std::fs::rename(&path, dir.path().join("app.log.1")).unwrap();
        w.write_all(b"after rename\n").unwrap();
        std::fs::write(&path, "first of new\n").unwrap();
        assert_eq!(
            collect(&mut f, true),
            [
                "last of old\nafter rename\n",
                "start Replaced 0 0",
                "first of new\n"
            ]
        );
    }
}
