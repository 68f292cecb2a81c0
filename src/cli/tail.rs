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

fn severity_of(choice: FailOn) -> Option<Severity> {
    match choice {
        FailOn::Info => Some(Severity::Info),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Error => Some(Severity::Error),
        FailOn::Critical => Some(Severity::Critical),
        FailOn::Never => None,
    }
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
}

/// Everything seen so far and what is printed about it.
struct Live<'a> {
    pack: &'a RulePack,
    matcher: &'a Matcher,
    input_format: LogFormat,
    format: TailFormat,
    style: Style,
    exit_on: Option<Severity>,
    streams: HashMap<usize, Stream>,
    results: Vec<FileResult>,
    problems: Vec<InputProblem>,
    kept: usize,
    overflow: BTreeMap<usize, usize>,
    runs: Vec<LiveRun>,
    out: String,
    exit_hit: bool,
}

impl<'a> Live<'a> {
    fn on_event(&mut self, event: Event<'_>) {
        match event {
            Event::Start {
                id,
                path,
                offset,
                lines_before,
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
                self.start_stream(id, path, offset, lines_before);
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
                self.out.push_str(&object.to_string());
                self.out.push('\n');
            }
        }
    }

    fn start_stream(&mut self, id: usize, path: &str, offset: u64, lines_before: u64) {
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
        };
        self.streams.insert(id, stream);
    }

    fn finish_stream(&mut self, mut stream: Stream) {
        if !stream.held.is_empty() {
            let held = std::mem::take(&mut stream.held);
            self.process(&mut stream, &held);
        }
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
            self.process(&mut stream, &chunk);
        }
        self.streams.insert(id, stream);
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
        // Keep a bounded tail of lines as look-back context.
        stream.context.extend_from_slice(new);
        stream.context_lines += newlines;
        if stream.context_lines > 2 * CONTEXT_LINES || stream.context.len() > 2 * CONTEXT_MAX_BYTES
        {
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

    fn handle_match(&mut self, result: usize, m: LineMatch) {
        let path = self.results[result].path.clone();
        match m.target {
            Target::Rule(r) => {
                let rule = &self.pack.rules[r];
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
                            terminal(&m.text)
                        ));
                    }
                    TailFormat::Jsonl => {
                        let object = serde_json::json!({
                            "event": "finding", "path": path, "line": m.line, "rule": rule.id, "class": rule.class,
                            "severity": rule.severity, "text": m.text, "timestamp": m.meta.timestamp.as_ref().map(|t| t.text.clone()),
                        });
                        self.out.push_str(&object.to_string());
                        self.out.push('\n');
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
        let key_text = run
            .key
            .as_deref()
            .map(|k| format!(" {k}"))
            .unwrap_or_default();
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
                self.out.push_str(&object.to_string());
                self.out.push('\n');
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
                    let key_text = run
                        .key
                        .as_deref()
                        .map(|k| format!(" {k}"))
                        .unwrap_or_default();
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
                    self.out.push_str(&object.to_string());
                    self.out.push('\n');
                }
            }
        }
    }

    /// Flushes the streams and builds the report of everything seen.
    fn report(mut self) -> Report {
        let ids: Vec<usize> = self.streams.keys().copied().collect();
        for id in ids {
            self.lines(id, &[], true);
        }
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
        exit_on: args.exit_on.and_then(severity_of),
        streams: HashMap::new(),
        results: Vec::new(),
        problems: Vec::new(),
        kept: 0,
        overflow: BTreeMap::new(),
        runs: Vec::new(),
        out: String::new(),
        exit_hit: false,
    };
    let mut follower = Follower::new(&files, args.from_start);
    let _watcher = if args.poll || files.is_empty() {
        None
    } else {
        watch(&follower, tx.clone())
    };
    follower.start(&mut |e| live.on_event(e));
    let mut stdin_splitter = LineSplitter::default();
    let mut stdin_open = use_stdin;
    if use_stdin {
        live.start_stream(STDIN, "<stdin>", 0, 0);
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
    let exit_hit = live.exit_hit;
    let fail_on = args.fail_on;
    let format = args.format;
    let mut text = std::mem::take(&mut live.out);
    let report = live.report();
    match format {
        TailFormat::Text => {
            text.push('\n');
            text.push_str(&report::text::render(&report, style));
        }
        TailFormat::Jsonl => {
            let object = serde_json::json!({"event": "report", "report": report});
            text.push_str(&object.to_string());
            text.push('\n');
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
    fn holds_back_trailing_cri_partial_lines() {
        let chunk = b"2025-10-23T08:57:55Z stdout F done\n2025-10-23T08:57:55Z stdout P part\n";
        assert_eq!(held_back_from(chunk), 35);
        assert_eq!(held_back_from(b"plain\n"), 6);
    }
}
