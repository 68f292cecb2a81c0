//! The live session (`faultline tail`): followed files and stdin arrive in
//! pieces, each stream is scanned incrementally by the scan core (with its
//! look-back for tracebacks and CRI hold-back) and folded into the same
//! [`Summary`] a batch scan builds, so the final report is the one `scan`
//! would give for the same lines. What happens on the way comes out as
//! [`LiveEvent`]s for the renderers: findings, milestones reached, stalls,
//! notes and, at the end, the report.

mod follow;
pub(crate) mod since;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::analyze::summary::{Summary, correlation_value, stream_key};
use crate::analyze::{InputProblem, ProblemKind, Report};
use crate::engine::{Engine, Scan, match_line};
use crate::input::format::{LogFormat, detect};
use crate::report::live::{LiveEvent, StepName};
use crate::rules::Severity;
use crate::scan::{Block, Held, Incremental, LineMatch, Target};
pub(crate) use follow::{FollowConfig, follow};
use since::Replay;

/// Rule ids remembered per run since its last milestone.
const MAX_FINDINGS_SINCE: usize = 16;

/// One generation of one input: a file from a start offset until it is
/// rotated or truncated, or stdin.
struct Stream {
    input: u32,
    path: String,
    format: LogFormat,
    scan: Incremental,
    /// `--since`: lines are still skipped up to the cutoff.
    replay: Option<Replay>,
}

/// When a run last progressed, for stall notices.
struct Clock {
    since: Instant,
    reported: bool,
    findings: Vec<String>,
}

/// Everything seen so far.
pub(crate) struct Session<'e> {
    engine: &'e Engine,
    input_format: LogFormat,
    streams: HashMap<usize, Stream>,
    next_input: u32,
    scan: Scan,
    clocks: HashMap<(usize, String), Clock>,
    since: Option<jiff::Timestamp>,
    exit_on: Option<Severity>,
    /// A finding at or above `exit_on` was seen.
    pub exit_hit: bool,
    events: Vec<LiveEvent>,
}

/// How a generation of an input starts.
pub(crate) enum Start {
    /// Content that existed when following began: replayed from `--since`.
    Existing { len: u64 },
    /// Content that arrives live (new files, rotations, stdin).
    Live,
}

impl<'e> Session<'e> {
    pub(crate) fn new(
        engine: &'e Engine,
        input_format: LogFormat,
        since: Option<jiff::Timestamp>,
        exit_on: Option<Severity>,
    ) -> Session<'e> {
        Session {
            engine,
            input_format,
            streams: HashMap::new(),
            next_input: 0,
            scan: Scan::default(),
            clocks: HashMap::new(),
            since,
            exit_on,
            exit_hit: false,
            events: Vec::new(),
        }
    }

    /// The events since the last call.
    pub(crate) fn take_events(&mut self) -> Vec<LiveEvent> {
        std::mem::take(&mut self.events)
    }

    pub(crate) fn note(&mut self, path: &str, message: impl Into<String>) {
        self.events.push(LiveEvent::Note {
            path: path.to_string(),
            message: message.into(),
        });
    }

    /// An input could not be read: said now, and kept for the report.
    pub(crate) fn problem(&mut self, path: &str, message: String) {
        self.events.push(LiveEvent::Problem {
            path: path.to_string(),
            message: message.clone(),
        });
        self.scan.problems.push(InputProblem {
            path: path.to_string(),
            message,
            kind: ProblemKind::Error,
        });
    }

    /// Starts (or, after a rotation, restarts) stream `id` at file offset
    /// `offset`, after `lines` lines.
    pub(crate) fn start(&mut self, id: usize, path: &str, offset: u64, lines: u64, start: Start) {
        if let Some(old) = self.streams.remove(&id) {
            self.finish_stream(old);
        }
        let replay = match (self.since, start) {
            (Some(cutoff), Start::Existing { len }) => Some(Replay::new(cutoff, Some(len))),
            (Some(cutoff), Start::Live) if id == STDIN => Some(Replay::new(cutoff, None)),
            _ => None,
        };
        let stream = Stream {
            input: self.next_input,
            path: path.to_string(),
            format: self.input_format,
            scan: Incremental::new(offset, lines, self.engine.scan_options()),
            replay,
        };
        self.next_input += 1;
        self.streams.insert(id, stream);
    }

    /// Handles the next bytes of stream `id`; `eof` when no more will come.
    pub(crate) fn push(&mut self, id: usize, data: &[u8], eof: bool) {
        let Some(mut stream) = self.streams.remove(&id) else {
            return;
        };
        if stream.format == LogFormat::Auto && !data.is_empty() {
            // Documents cannot be followed: their lines are matched as text.
            stream.format = match detect(&data[..data.len().min(8 << 10)]) {
                LogFormat::Jsonl => LogFormat::Jsonl,
                _ => LogFormat::Text,
            };
        }
        let mut data = data;
        if let Some(replay) = &mut stream.replay {
            let offset = stream.scan.totals().bytes;
            let (skip, over) = replay.skip(data, offset, stream.format);
            // Skipped lines stay look-back context, for a traceback that
            // straddles the cutoff.
            stream.scan.skip(&data[..skip]);
            data = &data[skip..];
            if over {
                self.end_replay(&mut stream);
            }
        }
        if !data.is_empty() || eof {
            self.scan_piece(&mut stream, data, eof);
        }
        self.streams.insert(id, stream);
    }

    fn scan_piece(&mut self, stream: &mut Stream, data: &[u8], eof: bool) {
        let engine = self.engine;
        let (input, format) = (stream.input, stream.format);
        let path = stream.path.clone();
        let mut summary = std::mem::take(&mut self.scan.summary);
        stream
            .scan
            .push(engine.matcher(), format, data, eof, &mut |block: Block<
                '_,
            >| {
                let held = Held {
                    buf: block.held,
                    base: block.base,
                    eof: block.eof,
                };
                // Matches are folded first, so their own context is read now too.
                for m in block.pieces.into_iter().flatten() {
                    self.handle_match(&mut summary, input, &path, m);
                }
                summary.read_context(input, &held, engine.context_lines(), held.eof);
            });
        self.scan.summary = summary;
    }

    fn handle_match(&mut self, summary: &mut Summary, input: u32, path: &str, m: LineMatch) {
        let pack = self.engine.pack();
        match m.target {
            Target::Rule(r) => {
                let rule = &pack.rules[r];
                if self.exit_on.is_some_and(|t| rule.severity >= t) {
                    self.exit_hit = true;
                }
                let stream = stream_key(path, &m.origin);
                for ((sequence, key), clock) in &mut self.clocks {
                    let in_scope = match &pack.sequences[*sequence].correlate {
                        Some(name) => correlation_value(name, &m.captures, &m.text) == Some(key),
                        None => *key == stream,
                    };
                    if in_scope
                        && !clock.findings.contains(&rule.id)
                        && clock.findings.len() < MAX_FINDINGS_SINCE
                    {
                        clock.findings.push(rule.id.clone());
                    }
                }
                if let Some(found) = match_line(pack, path, &m) {
                    self.events.push(LiveEvent::Finding {
                        found,
                        timestamp: m.stamp.as_ref().map(ToString::to_string),
                    });
                }
                summary.add(pack, input, path, m);
            }
            Target::Unrecognised => summary.add(pack, input, path, m),
            Target::Milestone { sequence, step } => {
                let spec = &pack.sequences[sequence];
                let key = summary.run_key(pack, sequence, path, &m);
                let before = summary.progress(sequence, &key);
                let line = m.line;
                let shown_key = match &spec.correlate {
                    Some(_) => Some(key.clone()),
                    None => m.origin.label(),
                };
                summary.add(pack, input, path, m);
                let Some(after) = summary.progress(sequence, &key) else {
                    return;
                };
                if before.as_ref() == Some(&after) {
                    return; // a milestone the run had reached already
                }
                let name = |s: usize| StepName {
                    id: spec.milestones[s].id.clone(),
                    title: spec.milestones[s].title.clone(),
                };
                let waiting = after.iter().position(|r| !r);
                if waiting.is_some() {
                    self.clocks.insert(
                        (sequence, key),
                        Clock {
                            since: Instant::now(),
                            reported: false,
                            findings: Vec::new(),
                        },
                    );
                } else {
                    self.clocks.remove(&(sequence, key));
                }
                self.events.push(LiveEvent::Progress {
                    path: path.to_string(),
                    line,
                    sequence: StepName {
                        id: spec.id.clone(),
                        title: spec.title.clone(),
                    },
                    key: shown_key,
                    milestone: name(step),
                    reached: after.iter().filter(|r| **r).count(),
                    total: after.len(),
                    waiting_for: waiting.map(name),
                });
            }
        }
    }

    /// Reports runs that stopped progressing for `after`.
    pub(crate) fn check_stalls(&mut self, after: Duration) {
        let pack = self.engine.pack();
        for ((sequence, key), clock) in &mut self.clocks {
            if clock.reported || clock.since.elapsed() < after {
                continue;
            }
            let Some(reached) = self.scan.summary.progress(*sequence, key) else {
                continue;
            };
            clock.reported = true;
            let spec = &pack.sequences[*sequence];
            let name = |s: usize| StepName {
                id: spec.milestones[s].id.clone(),
                title: spec.milestones[s].title.clone(),
            };
            let last = self.scan.summary.last_step(*sequence, key);
            self.events.push(LiveEvent::Stall {
                sequence: StepName {
                    id: spec.id.clone(),
                    title: spec.title.clone(),
                },
                key: spec.correlate.as_ref().map(|_| key.clone()),
                reached: reached.iter().filter(|r| **r).count(),
                total: reached.len(),
                last: last.map(name),
                waiting_for: reached.iter().position(|r| !r).map(name),
                idle: clock.since.elapsed(),
                findings: clock.findings.clone(),
            });
        }
    }

    fn finish_stream(&mut self, mut stream: Stream) {
        self.scan_piece(&mut stream, &[], true);
        self.end_replay(&mut stream);
        let totals = stream.scan.totals();
        self.scan
            .summary
            .finish_input(stream.input, &stream.path, totals.lines, totals.bytes);
    }

    /// Ends the `--since` replay of `stream`, saying how much it skipped.
    fn end_replay(&mut self, stream: &mut Stream) {
        if let Some(message) = stream.replay.take().and_then(|r| r.summary()) {
            self.note(&stream.path, message);
        }
    }

    /// Finishes every stream (their last partial lines included) and
    /// returns the report of everything seen.
    pub(crate) fn report(mut self) -> (Report, Vec<LiveEvent>) {
        let mut ids: Vec<usize> = self.streams.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            if let Some(stream) = self.streams.remove(&id) {
                self.finish_stream(stream);
            }
        }
        let report = self.engine.report(&self.scan);
        (report, self.events)
    }
}

/// Stream id of stdin.
pub(crate) const STDIN: usize = usize::MAX;
