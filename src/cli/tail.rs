//! `faultline tail`: follow growing, rotating log files (or stdin) and print
//! findings as their lines arrive, sequence progress as milestones are
//! reached, stalls, and on Ctrl-C or end of input the full report.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};

use super::scan::{FailOn, exit_code};
use super::{ColorChoice, RuleArgs, exit};
use crate::analyze::{InputProblem, Report, analyze};
use crate::input::follow::{Event, Follower, LineSplitter, StartReason};
use crate::input::format::{LogFormat, detect};
use crate::input::json;
use crate::input::meta::find_timestamp;
use crate::input::traceback::{MAX_TRACEBACK_LINES, is_exception_line};
use crate::report;
use crate::report::sanitize::terminal;
use crate::report::text::Style;
use crate::rules::{RulePack, Severity};
use crate::scan::file::FileResult;
use crate::scan::{LineMatch, Matcher, ScanOptions, ScanOutput, Target, scan_buffer};

/// Output formats of `tail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TailFormat {
    /// One line per finding, progress and stall; the text report at the end.
    Text,
    /// One JSON object per event (`"event"`: finding, progress, stall, report).
    Jsonl,
}

#[derive(Debug, Args)]
pub struct TailArgs {
    /// Files, globs (quoted, re-expanded while following), directories, or `-` for stdin.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = TailFormat::Text)]
    pub format: TailFormat,
    /// Log format of the inputs (detected per file by default; text or jsonl).
    #[arg(long, value_enum, default_value_t = LogFormat::Auto, value_name = "FORMAT")]
    pub input_format: LogFormat,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Read what the files already hold first (default: start at their end).
    #[arg(long)]
    pub from_start: bool,
    /// Replay what the files already hold from this point on, then follow:
    /// a duration back from now (`90s`, `15m`, `2h`, `1d`) or a time
    /// (`2026-11-23T10:00:00Z`; `2026-11-23 10:00:00` is UTC). Lines stamped
    /// earlier are skipped; a line without a timestamp goes with the line before.
    #[arg(long, value_parser = parse_since, value_name = "WHEN", conflicts_with = "from_start")]
    pub since: Option<Since>,
    /// Poll for changes instead of using file-system notifications.
    #[arg(long)]
    pub poll: bool,
    /// How often files are checked even without notifications, in milliseconds.
    #[arg(long, default_value_t = 100, value_name = "MS", hide = true)]
    pub poll_interval: u64,
    /// Exit 1 at the first finding at or above this severity.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub exit_on: Option<FailOn>,
    /// Exit code of the final report: 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Report a sequence run that has not progressed for this long (e.g. `30s`, `2m`, `500ms`).
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub stall_after: Option<Duration>,
    /// When to use colour.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Show secrets (tokens, keys, passwords in URLs) instead of masking them.
    #[arg(long)]
    pub no_redact: bool,
}

/// Parses `500ms`, `30s`, `2m`, `1h` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("invalid duration `{text}` (examples: 500ms, 30s, 2m, 1h)"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => {
            return Err(format!(
                "invalid duration unit `{unit}` (use ms, s, m or h)"
            ));
        }
    };
    Ok(Duration::from_secs_f64(seconds))
}

/// Where `--since` starts the replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// This long before now.
    Ago(jiff::SignedDuration),
    /// This instant.
    At(jiff::Timestamp),
}

impl Since {
    /// The cutoff as an instant, `Ago` counted back from `now`.
    pub fn cutoff(self, now: jiff::Timestamp) -> jiff::Timestamp {
        match self {
            Since::Ago(ago) => now.checked_sub(ago).unwrap_or(jiff::Timestamp::MIN),
            Since::At(at) => at,
        }
    }
}

/// Parses a `--since` value with jiff: a duration in its friendly format
/// (`90s`, `15m`, `2h`, `1d`, `1h30m`) or a time: RFC 3339, or a civil date
/// and time (read as UTC).
pub fn parse_since(text: &str) -> Result<Since, String> {
    let text = text.trim();
    let looks_like_time = text.len() >= 10
        && text.as_bytes()[..4].iter().all(u8::is_ascii_digit)
        && text.as_bytes()[4] == b'-';
    if looks_like_time {
        let parsed = text
            .parse::<jiff::Timestamp>()
            .or_else(|_| text.parse::<jiff::ZonedDateTime>().map(|z| z.timestamp()))
            .or_else(|_| {
                text.parse::<jiff::civil::DateTime>()
                    .and_then(|dt| jiff::tz::TimeZone::UTC.to_timestamp(dt))
            });
        return parsed.map(Since::At).map_err(|e| {
            format!(
                "invalid time `{text}`: {e} (examples: 2026-11-23T10:00:00Z, 2026-11-23T10:00:00+02:00, 2026-11-23 10:00:00 for UTC)"
            )
        });
    }
    let invalid = |why: String| {
        format!(
            "invalid duration `{text}`: {why} (examples: 90s, 15m, 2h, 1d, or a time such as 2026-11-23T10:00:00Z)"
        )
    };
    let span: jiff::Span = text
        .parse()
        .map_err(|e: jiff::Error| invalid(e.to_string()))?;
    let ago = span
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .map_err(|_| invalid("use units up to days or weeks, not months or years".into()))?;
    if ago.is_negative() {
        return Err(invalid(
            "a duration back from now cannot be negative".into(),
        ));
    }
    Ok(Since::Ago(ago))
}

/// When `line` was written, in nanoseconds since the epoch, if it says so
/// with a full date: year-less stamps (Render dashboard `Oct 7 03:14:09 PM`,
/// read as 1970) count as none.
fn line_instant(line: &[u8], format: LogFormat) -> Option<i128> {
    /// Stamps before 1971 are year-less ones that `find_timestamp` put in 1970.
    const YEARLESS_BEFORE: i128 = 365 * 86_400 * 1_000_000_000;
    let text = String::from_utf8_lossy(line);
    let stamp = match format {
        LogFormat::Jsonl => match json::line_message(&text) {
            Some((_, meta)) => meta.timestamp,
            None => find_timestamp(&text),
        },
        _ => find_timestamp(&text),
    }?;
    (stamp.nanos >= YEARLESS_BEFORE).then_some(stamp.nanos)
}

/// Lines kept per stream for traceback look-back.
const CONTEXT_LINES: u64 = MAX_TRACEBACK_LINES as u64;
const CONTEXT_MAX_BYTES: usize = 1 << 20;
/// Matches kept for the final report; later ones are counted only.
const MAX_KEPT_MATCHES: usize = 100_000;
/// Sequence runs tracked live (oldest dropped first).
const MAX_LIVE_RUNS: usize = 1_000;
/// Rule ids remembered per run since its last milestone.
const MAX_FINDINGS_SINCE: usize = 16;
/// Stream id of stdin.
const STDIN: usize = usize::MAX;

/// One generation of one input: a file from a start offset until it is
/// rotated or truncated, or stdin.
struct Stream {
    result: usize,
    format: LogFormat,
    /// Lines handed to scan so far (the last one's 1-based number).
    lines: u64,
    /// File offset of the next byte.
    offset: u64,
    /// Recent complete lines, for traceback look-back.
    context: Vec<u8>,
    context_lines: u64,
    /// Trailing CRI partial lines waiting for the line completing them.
    held: Vec<u8>,
    /// `--since`: lines are still skipped up to the cutoff.
    replay: Option<Replay>,
}

/// The `--since` replay of one stream: its lines are skipped until one is
/// stamped at or after the cutoff, or until what the file held at the start
/// has been read (later lines arrived live).
struct Replay {
    /// The cutoff, in nanoseconds since the epoch.
    cutoff: i128,
    /// File offset where live content starts (`None` for stdin).
    until: Option<u64>,
    /// The timestamp of the last stamped line, which unstamped lines inherit.
    last: Option<i128>,
    skipped: u64,
}

struct LiveRun {
    sequence: usize,
    key: Option<String>,
    reached: Vec<bool>,
    last_step: Option<usize>,
    last_progress: Instant,
    stall_reported: bool,
    findings_since: Vec<String>,
}

impl LiveRun {
    fn complete(&self) -> bool {
        self.reached.iter().all(|r| *r)
    }
    fn first_missing(&self) -> Option<usize> {
        self.reached.iter().position(|r| !r)
    }
    /// The correlation key for text output: ` KEY`, or nothing.
    fn key_text(&self) -> String {
        self.key
            .as_deref()
            .map(|k| format!(" {k}"))
            .unwrap_or_default()
    }
}

/// Everything seen so far and what is printed about it.
struct Live<'a> {
    pack: &'a RulePack,
    matcher: &'a Matcher,
    input_format: LogFormat,
    format: TailFormat,
    style: Style,
    exit_on: Option<Severity>,
    /// Mask secrets in evidence (off with `--no-redact`).
    redact: bool,
    streams: HashMap<usize, Stream>,
    results: Vec<FileResult>,
    problems: Vec<InputProblem>,
    kept: usize,
    overflow: BTreeMap<usize, usize>,
    runs: Vec<LiveRun>,
    out: String,
    exit_hit: bool,
    /// `--since` cutoff: existing content stamped earlier is skipped.
    since: Option<jiff::Timestamp>,
}

impl<'a> Live<'a> {
    fn on_event(&mut self, event: Event<'_>) {
        match event {
            Event::Start {
                id,
                path,
                offset,
                lines_before,
                len,
                reason,
            } => {
                if let Some(old) = self.streams.remove(&id) {
                    self.finish_stream(old);
                }
                if matches!(reason, StartReason::Replaced | StartReason::Truncated) {
                    let what = if reason == StartReason::Replaced {
                        "replaced (rotated or re-created)"
                    } else {
                        "truncated"
                    };
                    self.note(path, &format!("{what}; reading from the start"));
                }
                // Only what a file held when following began is replayed.
                let until = (reason == StartReason::Initial).then_some(Some(len));
                self.start_stream(id, path, offset, lines_before, until);
            }
            Event::Lines { id, data } => self.lines(id, data, false),
            Event::Problem { path, message } => {
                eprintln!("faultline: {}: {}", path, terminal(&message));
                self.problems.push(InputProblem {
                    path: path.to_string(),
                    message,
                    kind: "error",
                });
            }
        }
    }

    fn note(&mut self, path: &str, message: &str) {
        match self.format {
            TailFormat::Text => eprintln!("faultline: {}: {message}", terminal(path)),
            TailFormat::Jsonl => {
                let object = serde_json::json!({"event": "note", "path": path, "message": message});
                push_json(&mut self.out, object);
            }
        }
    }

    /// Starts stream `id`; `replay_until` is `Some` when `--since` applies to
    /// it, with where its live content starts (`None`: only timestamps end the replay).
    fn start_stream(
        &mut self,
        id: usize,
        path: &str,
        offset: u64,
        lines_before: u64,
        replay_until: Option<Option<u64>>,
    ) {
        self.results.push(FileResult {
            path: path.to_string(),
            format: None,
            output: ScanOutput::default(),
            error: None,
            skipped: None,
        });
        let stream = Stream {
            result: self.results.len() - 1,
            format: self.input_format,
            lines: lines_before,
            offset,
            context: Vec::new(),
            context_lines: 0,
            held: Vec::new(),
            replay: self.since.zip(replay_until).map(|(cutoff, until)| Replay {
                cutoff: cutoff.as_nanosecond(),
                until,
                last: None,
                skipped: 0,
            }),
        };
        self.streams.insert(id, stream);
    }

    fn finish_stream(&mut self, mut stream: Stream) {
        if !stream.held.is_empty() {
            let held = std::mem::take(&mut stream.held);
            self.handle(&mut stream, &held);
        }
        self.end_replay(&mut stream);
    }

    /// Handles complete lines of stream `id`; `last` when no more will come.
    fn lines(&mut self, id: usize, data: &[u8], last: bool) {
        let Some(mut stream) = self.streams.remove(&id) else {
            return;
        };
        let mut chunk = std::mem::take(&mut stream.held);
        chunk.extend_from_slice(data);
        if stream.format == LogFormat::Auto && !chunk.is_empty() {
            stream.format = match detect(&chunk[..chunk.len().min(8 << 10)]) {
                LogFormat::Jsonl => LogFormat::Jsonl,
                _ => LogFormat::Text,
            };
            self.results[stream.result].format = Some(stream.format);
        }
        let end = if last {
            chunk.len()
        } else {
            held_back_from(&chunk)
        };
        stream.held = chunk.split_off(end);
        if !chunk.is_empty() {
            self.handle(&mut stream, &chunk);
        }
        self.streams.insert(id, stream);
    }

    /// Handles complete lines, skipping those a `--since` replay leaves out.
    fn handle(&mut self, stream: &mut Stream, chunk: &[u8]) {
        let skip = self.replay(stream, chunk);
        if skip > 0 {
            // Skipped lines stay look-back context, for a traceback that
            // straddles the cutoff.
            let (skipped, _) = chunk.split_at(skip);
            stream.lines += bytecount::count(skipped, b'\n') as u64;
            stream.offset += skip as u64;
            remember(stream, skipped);
        }
        if skip < chunk.len() {
            self.process(stream, &chunk[skip..]);
        }
    }

    /// How many leading bytes of `chunk` a `--since` replay skips; ends the
    /// replay when a line at or after the cutoff, or live content, is reached.
    fn replay(&mut self, stream: &mut Stream, chunk: &[u8]) -> usize {
        let Some(replay) = stream.replay.as_mut() else {
            return 0;
        };
        let mut pos = 0;
        let mut done = false;
        while pos < chunk.len() {
            if replay
                .until
                .is_some_and(|until| stream.offset + pos as u64 >= until)
            {
                done = true;
                break;
            }
            let end = memchr::memchr(b'\n', &chunk[pos..]).map_or(chunk.len(), |i| pos + i + 1);
            if let Some(at) = line_instant(&chunk[pos..end], stream.format) {
                replay.last = Some(at);
            }
            if replay.last.is_some_and(|at| at >= replay.cutoff) {
                done = true;
                break;
            }
            replay.skipped += 1;
            pos = end;
        }
        if done
            || replay
                .until
                .is_some_and(|until| stream.offset + pos as u64 >= until)
        {
            self.end_replay(stream);
        }
        pos
    }

    /// Ends the `--since` replay of `stream`, saying how much it skipped.
    fn end_replay(&mut self, stream: &mut Stream) {
        let Some(replay) = stream.replay.take() else {
            return;
        };
        if replay.skipped > 0 {
            let path = self.results[stream.result].path.clone();
            let cutoff = jiff::Timestamp::from_nanosecond(replay.cutoff)
                .map_or_else(|_| replay.cutoff.to_string(), |t| t.to_string());
            let lines = if replay.skipped == 1 { "line" } else { "lines" };
            self.note(
                &path,
                &format!(
                    "--since: skipped {} {lines} from before {cutoff}",
                    replay.skipped
                ),
            );
        }
    }

    /// Scans complete lines, reporting matches in them only (earlier lines
    /// are look-back context for tracebacks).
    fn process(&mut self, stream: &mut Stream, new: &[u8]) {
        let options = ScanOptions {
            chunk_size: usize::MAX / 2,
        };
        let mut output = scan_buffer(self.matcher, new, stream.format, options);
        let mut base_line = stream.lines;
        let mut skip_before = 0u64;
        if !stream.context.is_empty() && output.matches.iter().any(|m| is_exception_line(&m.text)) {
            // An exception line: rescan with the context so its traceback is found.
            let mut buf = std::mem::take(&mut stream.context);
            skip_before = buf.len() as u64;
            buf.extend_from_slice(new);
            output = scan_buffer(self.matcher, &buf, stream.format, options);
            base_line -= stream.context_lines;
            buf.truncate(skip_before as usize);
            stream.context = buf;
        }
        let newlines = bytecount::count(new, b'\n') as u64;
        for mut m in output.matches {
            if m.offset < skip_before {
                continue;
            }
            m.line += base_line;
            m.offset = m.offset - skip_before + stream.offset;
            self.handle_match(stream.result, m);
        }
        stream.lines += newlines;
        stream.offset += new.len() as u64;
        let result = &mut self.results[stream.result].output;
        result.lines += newlines;
        result.bytes += new.len() as u64;
        remember(stream, new);
    }

    fn handle_match(&mut self, result: usize, m: LineMatch) {
        let path = self.results[result].path.clone();
        match m.target {
            Target::Rule(r) => {
                let rule = &self.pack.rules[r];
                let text = if self.redact {
                    report::redact::redact(&m.text)
                } else {
                    std::borrow::Cow::Borrowed(m.text.as_str())
                };
                match self.format {
                    TailFormat::Text => {
                        let location = format!("{path}:{}:", m.line);
                        let location = if self.style.color {
                            format!("\x1b[35m{location}\x1b[0m")
                        } else {
                            location
                        };
                        self.out.push_str(&format!(
                            "{location} [{}] {}: {}\n",
                            self.style.severity(rule.severity),
                            rule.id,
                            terminal(&text)
                        ));
                    }
                    TailFormat::Jsonl => {
                        let object = serde_json::json!({
                            "event": "finding", "path": path, "line": m.line, "rule": rule.id, "class": rule.class,
                            "severity": rule.severity, "text": text, "timestamp": m.meta.timestamp.as_ref().map(|t| t.text.clone()),
                        });
                        push_json(&mut self.out, object);
                    }
                }
                if self.exit_on.is_some_and(|t| rule.severity >= t) {
                    self.exit_hit = true;
                }
                for run in self.runs.iter_mut().filter(|run| !run.complete()) {
                    let spec = &self.pack.sequences[run.sequence];
                    let in_scope = match &spec.correlate {
                        Some(name) => m
                            .captures
                            .iter()
                            .any(|(n, v)| n == name && run.key.as_deref() == Some(v.as_str())),
                        None => match (&run.key, &m.meta.origin.pod) {
                            (Some(a), Some(b)) => a == b,
                            _ => true,
                        },
                    };
                    if in_scope
                        && !run.findings_since.contains(&rule.id)
                        && run.findings_since.len() < MAX_FINDINGS_SINCE
                    {
                        run.findings_since.push(rule.id.clone());
                    }
                }
            }
            Target::Milestone { sequence, step } => self.milestone(&path, &m, sequence, step),
        }
        self.keep(result, m);
    }

    /// Keeps a match for the final report, within the memory bound.
    fn keep(&mut self, result: usize, m: LineMatch) {
        if self.kept < MAX_KEPT_MATCHES {
            self.kept += 1;
            self.results[result].output.matches.push(m);
        } else if let Target::Rule(r) = m.target {
            *self.overflow.entry(r).or_default() += 1;
        }
    }

    fn milestone(&mut self, path: &str, m: &LineMatch, sequence: usize, step: usize) {
        let spec = &self.pack.sequences[sequence];
        let key = match &spec.correlate {
            Some(name) => m
                .captures
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone()),
            None => m.meta.origin.pod.clone(),
        };
        let open = match (&key, &spec.correlate) {
            (None, Some(_)) => self.runs.iter().rposition(|r| r.sequence == sequence),
            _ => self
                .runs
                .iter()
                .rposition(|r| r.sequence == sequence && r.key == key),
        };
        let restart = step == 0 && spec.restart && open.is_some_and(|r| self.runs[r].reached[0]);
        let r = match open {
            Some(r) if !restart => r,
            _ => {
                if let Some(r) = open {
                    self.runs.remove(r);
                }
                if self.runs.len() >= MAX_LIVE_RUNS {
                    self.runs.remove(0);
                }
                self.runs.push(LiveRun {
                    sequence,
                    key,
                    reached: vec![false; spec.milestones.len()],
                    last_step: None,
                    last_progress: Instant::now(),
                    stall_reported: false,
                    findings_since: Vec::new(),
                });
                self.runs.len() - 1
            }
        };
        let run = &mut self.runs[r];
        if run.reached[step] {
            return;
        }
        run.reached[step] = true;
        run.last_step = Some(step);
        run.last_progress = Instant::now();
        run.stall_reported = false;
        run.findings_since.clear();
        let reached = run.reached.iter().filter(|r| **r).count();
        let total = run.reached.len();
        let waiting = run.first_missing().map(|s| &spec.milestones[s]);
        let key_text = run.key_text();
        match self.format {
            TailFormat::Text => {
                let state = match waiting {
                    Some(w) => format!("waiting for {}", w.title),
                    None => "completed".to_string(),
                };
                self.out.push_str(&format!(
                    "{path}:{}: {}{key_text} {reached}/{total}: {} reached; {state}\n",
                    m.line, spec.title, spec.milestones[step].title
                ));
            }
            TailFormat::Jsonl => {
                let object = serde_json::json!({
                    "event": "progress", "path": path, "line": m.line, "sequence": spec.id, "key": run.key,
                    "milestone": spec.milestones[step].id, "reached": reached, "total": total,
                    "waiting_for": waiting.map(|w| w.id.clone()),
                });
                push_json(&mut self.out, object);
            }
        }
        if run.complete() {
            self.runs.remove(r);
        }
    }

    /// Reports runs that stopped progressing for `after`.
    fn check_stalls(&mut self, after: Duration) {
        for run in &mut self.runs {
            if run.complete() || run.stall_reported || run.last_progress.elapsed() < after {
                continue;
            }
            run.stall_reported = true;
            let spec = &self.pack.sequences[run.sequence];
            let reached = run.reached.iter().filter(|r| **r).count();
            let waiting = run.first_missing().map(|s| &spec.milestones[s]);
            let last = run.last_step.map(|s| &spec.milestones[s]);
            let idle = run.last_progress.elapsed().as_secs_f64();
            match self.format {
                TailFormat::Text => {
                    let key_text = run.key_text();
                    let findings = if run.findings_since.is_empty() {
                        String::new()
                    } else {
                        format!(
                            "; findings since {}: {}",
                            last.map_or("the start", |l| l.title.as_str()),
                            run.findings_since.join(", ")
                        )
                    };
                    self.out.push_str(&format!(
                        "stall: {}{key_text} {reached}/{}: no progress for {idle:.0}s, waiting for {}{findings}\n",
                        spec.title,
                        run.reached.len(),
                        waiting.map_or("?", |w| w.title.as_str())
                    ));
                }
                TailFormat::Jsonl => {
                    let object = serde_json::json!({
                        "event": "stall", "sequence": spec.id, "key": run.key, "reached": reached, "total": run.reached.len(),
                        "last": last.map(|l| l.id.clone()), "waiting_for": waiting.map(|w| w.id.clone()),
                        "idle_seconds": idle.round(), "findings": run.findings_since,
                    });
                    push_json(&mut self.out, object);
                }
            }
        }
    }

    /// Handles what the streams still hold back (at the end).
    fn flush_streams(&mut self) {
        let ids: Vec<usize> = self.streams.keys().copied().collect();
        for id in ids {
            self.lines(id, &[], true);
            if let Some(mut stream) = self.streams.remove(&id) {
                self.end_replay(&mut stream);
                self.streams.insert(id, stream);
            }
        }
    }

    /// Builds the report of everything seen (after [`Live::flush_streams`]).
    fn report(mut self) -> Report {
        let mut report = analyze(self.pack, &self.results, std::mem::take(&mut self.problems));
        let mut dropped = 0;
        for (rule, count) in &self.overflow {
            dropped += count;
            if let Some(finding) = report
                .findings
                .iter_mut()
                .find(|f| f.rule == self.pack.rules[*rule].id)
            {
                finding.count += count;
            }
        }
        if dropped > 0 {
            report.stats.matches += dropped;
            report.problems.push(InputProblem {
                path: "<tail>".into(),
                message: format!(
                    "{dropped} matches after the first {MAX_KEPT_MATCHES} were counted but not kept"
                ),
                kind: "skipped",
            });
        }
        report
    }
}

/// Appends one JSON-lines event to `out`.
fn push_json(out: &mut String, object: serde_json::Value) {
    out.push_str(&report::json_line(&object));
}

/// Keeps a bounded tail of the lines of `stream` as look-back context.
fn remember(stream: &mut Stream, new: &[u8]) {
    stream.context.extend_from_slice(new);
    stream.context_lines += bytecount::count(new, b'\n') as u64;
    if stream.context_lines > 2 * CONTEXT_LINES || stream.context.len() > 2 * CONTEXT_MAX_BYTES {
        let mut keep_from = stream.context.len();
        let mut kept = 0;
        while kept < CONTEXT_LINES
            && keep_from > 0
            && stream.context.len() - keep_from < CONTEXT_MAX_BYTES
        {
            keep_from =
                memchr::memrchr(b'\n', &stream.context[..keep_from - 1]).map_or(0, |i| i + 1);
            kept += 1;
        }
        stream.context.drain(..keep_from);
        stream.context_lines = kept;
    }
}

/// Where trailing CRI partial lines (`stdout P`) start in complete lines
/// (the end if there are none): they are joined with the line that follows.
fn held_back_from(chunk: &[u8]) -> usize {
    let mut end = chunk.len();
    while end > 0 {
        let start = memchr::memrchr(b'\n', &chunk[..end - 1]).map_or(0, |i| i + 1);
        let line = &chunk[start..end - 1];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let partial = memchr::memchr(b' ', line).is_some_and(|s| {
            let rest = &line[s + 1..];
            let rest = rest
                .strip_prefix(b"stdout ")
                .or_else(|| rest.strip_prefix(b"stderr "));
            rest.is_some_and(|r| r == b"P" || r.starts_with(b"P "))
        });
        if !partial {
            break;
        }
        end = start;
    }
    end
}

enum Wake {
    Changed,
    Stdin(Vec<u8>),
    StdinEnd(Option<String>),
}

fn read_stdin(tx: Sender<Wake>) {
    let mut stdin = std::io::stdin();
    let mut buf = vec![0u8; 64 << 10];
    loop {
        match stdin.read(&mut buf) {
            Ok(0) => {
                let _ = tx.send(Wake::StdinEnd(None));
                return;
            }
            Ok(n) => {
                if tx.send(Wake::Stdin(buf[..n].to_vec())).is_err() {
                    return;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                let _ = tx.send(Wake::StdinEnd(Some(crate::input::source::io_message(&e))));
                return;
            }
        }
    }
}

fn watch(follower: &Follower, tx: Sender<Wake>) -> Option<notify::RecommendedWatcher> {
    use notify::Watcher;
    let mut watcher = notify::recommended_watcher(move |_event: notify::Result<notify::Event>| {
        let _ = tx.send(Wake::Changed);
    })
    .map_err(|e| eprintln!("faultline: file notifications unavailable ({e}); polling"))
    .ok()?;
    for (dir, recursive) in follower.watch_dirs() {
        let mode = if recursive {
            notify::RecursiveMode::Recursive
        } else {
            notify::RecursiveMode::NonRecursive
        };
        // A directory that does not exist yet is covered by polling.
        let _ = watcher.watch(&dir, mode);
    }
    Some(watcher)
}

pub fn run(args: &TailArgs) -> ExitCode {
    let loaded = match args.rules.load() {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let pack = Arc::new(loaded.pack);
    let matcher = Matcher::new(Arc::clone(&pack));
    let style = Style {
        color: args.color.enabled(),
    };
    let use_stdin = args.paths.iter().any(|p| p == "-");
    let files: Vec<String> = args.paths.iter().filter(|p| *p != "-").cloned().collect();

    let (tx, rx): (Sender<Wake>, Receiver<Wake>) = mpsc::channel();
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let interrupted = Arc::clone(&interrupted);
        let tx = tx.clone();
        let _ = ctrlc::set_handler(move || {
            if interrupted.swap(true, Ordering::SeqCst) {
                std::process::exit(130); // a second Ctrl-C: stop now
            }
            let _ = tx.send(Wake::Changed);
        });
    }

    let mut live = Live {
        pack: &pack,
        matcher: &matcher,
        input_format: args.input_format,
        format: args.format,
        style,
        exit_on: args.exit_on.and_then(FailOn::threshold),
        redact: !args.no_redact,
        streams: HashMap::new(),
        results: Vec::new(),
        problems: Vec::new(),
        kept: 0,
        overflow: BTreeMap::new(),
        runs: Vec::new(),
        out: String::new(),
        exit_hit: false,
        since: args.since.map(|s| s.cutoff(jiff::Timestamp::now())),
    };
    let mut follower = Follower::new(&files, args.from_start || args.since.is_some());
    let _watcher = if args.poll || files.is_empty() {
        None
    } else {
        watch(&follower, tx.clone())
    };
    follower.start(&mut |e| live.on_event(e));
    let mut stdin_splitter = LineSplitter::default();
    let mut stdin_open = use_stdin;
    if use_stdin {
        live.start_stream(STDIN, "<stdin>", 0, 0, Some(None));
        let tx = tx.clone();
        std::thread::spawn(move || read_stdin(tx));
    }
    drop(tx);

    let interval = Duration::from_millis(args.poll_interval.max(1));
    let rediscover_every = Duration::from_millis(500);
    let mut last_discover = Instant::now();
    let mut stdout = std::io::stdout();
    let mut broken_pipe = false;
    loop {
        let mut wakes = Vec::new();
        match rx.recv_timeout(interval) {
            Ok(w) => wakes.push(w),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => std::thread::sleep(interval),
        }
        wakes.extend(rx.try_iter());
        for wake in wakes {
            match wake {
                Wake::Changed => {}
                Wake::Stdin(data) => {
                    let lines = stdin_splitter.push(&data);
                    if !lines.is_empty() {
                        live.lines(STDIN, &lines, false);
                    }
                }
                Wake::StdinEnd(error) => {
                    if let Some(line) = stdin_splitter.flush() {
                        live.lines(STDIN, &line, false);
                    }
                    if let Some(message) = error {
                        eprintln!("faultline: <stdin>: {}", terminal(&message));
                        live.problems.push(InputProblem {
                            path: "<stdin>".into(),
                            message,
                            kind: "error",
                        });
                    }
                    stdin_open = false;
                }
            }
            if live.exit_hit {
                break;
            }
        }
        if !live.exit_hit {
            if last_discover.elapsed() >= rediscover_every {
                last_discover = Instant::now();
                follower.discover(&mut |e| live.on_event(e));
            }
            follower.poll(&mut |e| live.on_event(e));
        }
        if let Some(after) = args.stall_after {
            live.check_stalls(after);
        }
        if !live.out.is_empty() {
            let text = std::mem::take(&mut live.out);
            if stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush())
                .is_err()
            {
                broken_pipe = true;
                break;
            }
        }
        let stdin_done = use_stdin && !stdin_open && files.is_empty();
        if live.exit_hit || interrupted.load(Ordering::SeqCst) || stdin_done {
            break;
        }
    }
    if broken_pipe {
        return ExitCode::from(exit::ERROR);
    }
    // Final partial lines are handled, then the report of everything seen.
    if !live.exit_hit {
        follower.flush(&mut |e| live.on_event(e));
        if let Some(line) = stdin_splitter.flush() {
            live.lines(STDIN, &line, false);
        }
    }
    live.flush_streams();
    let exit_hit = live.exit_hit;
    let fail_on = args.fail_on;
    let format = args.format;
    let mut text = std::mem::take(&mut live.out);
    let mut report = live.report();
    if !args.no_redact {
        report::redact::redact_report(&mut report);
    }
    match format {
        TailFormat::Text => {
            text.push('\n');
            text.push_str(&report::text::render(&report, style));
        }
        TailFormat::Jsonl => {
            push_json(
                &mut text,
                serde_json::json!({"event": "report", "report": report}),
            );
        }
    }
    if stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
        .is_err()
    {
        return ExitCode::from(exit::ERROR);
    }
    if exit_hit {
        return ExitCode::from(exit::FINDINGS);
    }
    exit_code(&report, fail_on)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert!(parse_duration("5 parsecs").is_err());
    }

    #[test]
    fn parses_since_durations_and_times() {
        let ago = |secs| Ok(Since::Ago(jiff::SignedDuration::from_secs(secs)));
        assert_eq!(parse_since("90s"), ago(90));
        assert_eq!(parse_since("15m"), ago(900));
        assert_eq!(parse_since("2h"), ago(7200));
        assert_eq!(parse_since("1d"), ago(86_400));
        let at = |text: &str| Ok(Since::At(text.parse::<jiff::Timestamp>().unwrap()));
        assert_eq!(
            parse_since("2026-11-23T10:00:00Z"),
            at("2026-11-23T10:00:00Z")
        );
        assert_eq!(
            parse_since("2026-11-23T12:00:00+02:00"),
            at("2026-11-23T10:00:00Z")
        );
        assert_eq!(
            parse_since("2026-11-23 10:00:00"),
            at("2026-11-23T10:00:00Z")
        );
        for bad in ["10x", "10", "1y", "-10m", "2026-13-01", "yesterday", ""] {
            assert!(parse_since(bad).is_err(), "{bad}");
        }
        let now = jiff::Timestamp::from_second(1_000_000).unwrap();
        assert_eq!(
            Since::Ago(jiff::SignedDuration::from_secs(60)).cutoff(now),
            jiff::Timestamp::from_second(999_940).unwrap()
        );
    }

    #[test]
    fn year_less_stamps_are_no_instant() {
        assert!(line_instant(b"2026-11-23T10:00:00Z x\n", LogFormat::Text).is_some());
        assert_eq!(
            line_instant(b"Oct 7 03:14:09 PM  x\n", LogFormat::Text),
            None
        );
        assert_eq!(
            line_instant(b"  File \"w.py\", line 3\n", LogFormat::Text),
            None
        );
        let docker = br#"{"log":"boom\n","stream":"stderr","time":"2026-11-23T10:00:00.5Z"}"#;
        assert!(line_instant(docker, LogFormat::Jsonl).is_some());
    }

    #[test]
    fn holds_back_trailing_cri_partial_lines() {
        let chunk = b"2025-10-23T08:57:55Z stdout F done\n2025-10-23T08:57:55Z stdout P part\n";
        assert_eq!(held_back_from(chunk), 35);
        assert_eq!(held_back_from(b"plain\n"), 6);
    }
}
