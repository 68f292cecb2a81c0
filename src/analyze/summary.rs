//! The summary: what a scan keeps of its matches, bounded whatever the input
//! size, and mergeable. Scanning folds matches into a summary
//! ([`Summary::fold`]); summaries of consecutive pieces of input (parallel
//! chunks of one file, the files of a scan, the increments of a live
//! session) combine with [`Summary::merge`], which is associative:
//! `merge(fold(A), fold(B)) == fold(A ++ B)` for every split point, inside a
//! traceback or a sequence run included. The report is rendered from the
//! summary alone.
//!
//! What is kept:
//! - per rule: the count, the first and last [`SAMPLES`] matches (in
//!   timeline order), where it was seen per stream origin, and up to
//!   [`MAX_VALUES`] distinct values per capture;
//! - per sequence: the runs that may still change (per correlation key: the
//!   run that opened before this piece, and the latest run; for a key first
//!   seen near the piece's beginning, also its runs before its first
//!   [`RUN_WINDOW`] gap, which only the merge with the piece before can
//!   close), a sample of the finished ones, and counters for all of them;
//! - for each run that may be shown, the lines after its last milestone,
//!   read while the input is still at hand (never by reopening it).
//!
//! Caps are counted when they bite (`overflow`), never silently.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use rustc_hash::FxBuildHasher;

use serde::{Deserialize, Serialize};

use super::templates::Templates;
use crate::input::meta::{Origin, StampText};
use crate::rules::{RulePack, Sequence};
use crate::scan::{Captures, LineMatch, Matches, Surroundings, Target};

/// Matches kept at each end of a rule's timeline.
pub(crate) const SAMPLES: usize = 3;
/// Distinct values kept per capture name of a rule.
pub(crate) const MAX_VALUES: usize = 16;
/// Stream origins tracked per rule (for causal links); more are counted.
const MAX_ORIGINS: usize = 256;
/// Finished runs sampled per sequence and outcome (completed / not).
pub(crate) const RUN_SAMPLES: usize = 25;
/// A run of a correlated sequence (one key per run id, so no bound on how
/// many) is closed once a milestone of its sequence is read more than this
/// many reading positions after its key's latest milestone (one reached
/// again included) in the same input, or more than this many positions into
/// a later input: it is counted, sampled, and no longer tracked. Both ends
/// are milestones' positions, so whether a run closed never depends on how
/// the inputs were split or grouped; runs keyed by stream are never closed
/// this way.
pub(crate) const RUN_WINDOW: u64 = 50_000;
/// Keys held before stale ones are looked for (again at every power of two).
const SWEEP_FROM: usize = 4096;
/// Lines kept after a run's last milestone.
pub(crate) const CONTEXT_LINES: usize = 8;

/// Where an event sits on the timeline: its own or inherited timestamp
/// (none sorts first), then input order, then reading position in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub(crate) struct Order {
    pub nanos: Option<i128>,
    pub input: u32,
    pub pos: u64,
}

/// One matched line as kept in a summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Mark {
    pub order: Order,
    /// 1-based line where the event starts.
    pub line: u64,
    pub text: String,
    /// The line's own timestamp as written for reports.
    pub stamp: Option<StampText>,
    pub origin: Origin,
    pub captures: Captures,
    pub traceback: Vec<String>,
    /// For an outcome rule: the lines of its stream before it.
    pub before: Vec<String>,
    /// The context lines around a rule match (`None`: not a rule match).
    pub around: Option<Box<Around>>,
}

/// The lines around a rule match, read while its input is at hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Around {
    /// Lines before it: `None` until read (at the first read of its input,
    /// which still holds them), then as many as asked for.
    pub before: Option<Vec<String>>,
    /// Lines after it.
    pub after: Context,
    /// Where the match's line starts.
    offset: u64,
}

impl Around {
    /// Context still to be read for a match of input `input`; one that ends
    /// a traceback or carries its stream's lines (an outcome) already shows
    /// what came before it.
    fn pending(input: u32, m: &LineMatch) -> Around {
        let shows_before = !m.traceback.is_empty() || !m.before.is_empty();
        Around {
            before: shows_before.then(Vec::new),
            after: Context::Pending {
                input,
                from: m.end,
                got: Vec::new(),
            },
            offset: m.offset,
        }
    }
}

/// How many context lines evidence shows before and after a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ContextLines {
    pub before: usize,
    pub after: usize,
}

/// How far [`Summary::renumber`] moves inputs and lines on.
#[derive(Debug, Clone, Copy)]
struct Renumbering {
    inputs: u32,
    lines: u64,
}

impl Renumbering {
    fn order(self, order: &mut Order) {
        order.input += self.inputs;
        order.pos += self.lines;
    }

    fn mark(self, mark: &mut Mark) {
        self.order(&mut mark.order);
        mark.line += self.lines;
    }

    fn at(self, at: &mut (u32, u64)) {
        at.0 += self.inputs;
        at.1 += self.lines;
    }
}

impl Mark {
    /// Reading position across inputs: what "later in the log" means for runs.
    fn at(&self) -> (u32, u64) {
        (self.order.input, self.order.pos)
    }

    fn new(input: u32, m: LineMatch) -> Mark {
        Mark {
            order: Order {
                nanos: m.nanos,
                input,
                pos: m.seq,
            },
            line: m.line,
            text: m.text,
            stamp: m.stamp,
            origin: m.origin,
            captures: m.captures,
            traceback: m.traceback,
            before: m.before,
            around: None,
        }
    }
}

/// First and last sighting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Span {
    pub first: Order,
    pub last: Order,
}

impl Span {
    fn widen(&mut self, other: Span) {
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
    }
}

/// Everything kept about one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RuleSummary {
    pub count: u64,
    /// The earliest matches, in timeline order.
    pub first: Vec<Mark>,
    /// The latest matches, in timeline order.
    pub last: Vec<Mark>,
    /// Where it was seen, per stream origin (empty origin: a log that names none).
    #[serde(with = "pairs")]
    pub origins: BTreeMap<Origin, Span>,
    /// Matches whose origin was not tracked (past [`MAX_ORIGINS`]).
    pub origins_overflow: u64,
    /// Distinct captured values per capture name.
    pub values: BTreeMap<String, BTreeSet<String>>,
}

impl RuleSummary {
    fn new(mark: Mark) -> RuleSummary {
        let span = Span {
            first: mark.order,
            last: mark.order,
        };
        let mut values: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (name, value) in mark.captures.iter() {
            values
                .entry(name.to_string())
                .or_default()
                .insert(value.to_string());
        }
        RuleSummary {
            count: 1,
            origins: BTreeMap::from([(mark.origin.clone(), span)]),
            origins_overflow: 0,
            values,
            first: vec![mark.clone()],
            last: vec![mark],
        }
    }

    fn merge(&mut self, other: RuleSummary) {
        self.count += other.count;
        self.first = keep_earliest(std::mem::take(&mut self.first), other.first);
        self.last = keep_latest(std::mem::take(&mut self.last), other.last);
        self.origins_overflow += other.origins_overflow;
        for (origin, span) in other.origins {
            let room = self.origins.len() < MAX_ORIGINS;
            match self.origins.get_mut(&origin) {
                Some(known) => known.widen(span),
                None if room => {
                    self.origins.insert(origin, span);
                }
                None => self.origins_overflow += 1,
            }
        }
        for (name, values) in other.values {
            let kept = self.values.entry(name).or_default();
            for value in values {
                if kept.len() >= MAX_VALUES {
                    break;
                }
                kept.insert(value);
            }
        }
    }

    /// The first match: what a finding is told by.
    pub fn earliest(&self) -> &Mark {
        &self.first[0]
    }

    /// The last match.
    pub fn latest(&self) -> &Mark {
        &self.last[self.last.len() - 1]
    }
}

/// The `SAMPLES` earliest of two timeline-ordered lists; on equal orders the
/// left (earlier in the input) comes first, as a fold would keep it.
fn keep_earliest(left: Vec<Mark>, right: Vec<Mark>) -> Vec<Mark> {
    let mut merged = merge_sorted(left, right, |m| m.order);
    merged.truncate(SAMPLES);
    merged
}

/// The `SAMPLES` latest of two timeline-ordered lists.
fn keep_latest(left: Vec<Mark>, right: Vec<Mark>) -> Vec<Mark> {
    let mut merged = merge_sorted(left, right, |m| m.order);
    let drop = merged.len().saturating_sub(SAMPLES);
    merged.drain(..drop);
    merged
}

/// A stable merge of two sorted lists (left wins ties).
fn merge_sorted<T, K: Ord>(left: Vec<T>, right: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
    let mut out = Vec::with_capacity(left.len() + right.len());
    let mut right = right.into_iter().peekable();
    for item in left {
        while let Some(next) = right.next_if(|r| key(r) < key(&item)) {
            out.push(next);
        }
        out.push(item);
    }
    out.extend(right);
    out
}

/// What follows a milestone, for showing where a run stalled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Context {
    /// Still to be read from input `input`, from byte `from` on (`got`: the
    /// lines read so far, when the input ended a block early).
    Pending {
        input: u32,
        from: u64,
        got: Vec<String>,
    },
    /// Read.
    Lines(Vec<String>),
    /// Not kept: the milestone can no longer be a run's last.
    Dropped,
}

/// One run of a sequence: per milestone, the match that first reached it
/// and what followed that match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Run {
    /// Boxed: most runs reach few of their steps, and an empty slot then
    /// costs a pointer, not a mark.
    pub steps: Vec<Option<Box<(Mark, Context)>>>,
    /// Closed by a restart before completing.
    pub restarted: bool,
}

impl Run {
    fn start(steps: usize, step: usize, mark: Mark, context: Context) -> Run {
        let mut run = Run {
            steps: vec![None; steps],
            restarted: false,
        };
        run.steps[step] = Some(Box::new((mark, context)));
        run
    }

    fn marks(&self) -> impl Iterator<Item = (usize, &Mark)> {
        self.steps
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_deref().map(|(m, _)| (i, m)))
    }

    /// The mark that reached `step`, if it was reached.
    pub fn mark(&self, step: usize) -> Option<&Mark> {
        self.steps[step].as_deref().map(|(m, _)| m)
    }

    /// The first step reached (where the log picked the run up).
    pub fn entry(&self) -> usize {
        self.steps.iter().position(Option::is_some).unwrap_or(0)
    }

    /// The first step after the entry not reached.
    pub fn first_missing(&self) -> Option<usize> {
        let entry = self.entry();
        self.steps[entry..]
            .iter()
            .position(Option::is_none)
            .map(|i| entry + i)
    }

    /// Every step reached. A run the log picked up after its first step is
    /// never complete: the log does not show its earlier steps happened.
    pub fn complete(&self) -> bool {
        self.steps.iter().all(Option::is_some)
    }

    /// When the run started (its earliest milestone on the timeline).
    pub fn first(&self) -> Order {
        self.marks().map(|(_, m)| m.order).min().unwrap_or(Order {
            nanos: None,
            input: 0,
            pos: 0,
        })
    }

    /// The step reached last in reading order: where a stall is.
    pub fn latest(&self) -> usize {
        self.marks()
            .max_by_key(|(_, m)| m.at())
            .map_or(0, |(i, _)| i)
    }

    /// The milestone reached last.
    pub fn last_mark(&self) -> &Mark {
        self.mark(self.latest())
            .unwrap_or_else(|| unreachable!("a run has a milestone"))
    }

    /// The lines after the last milestone, as far as they were read.
    pub fn context(&self) -> &[String] {
        match self.steps[self.latest()].as_deref().map(|(_, c)| c) {
            Some(Context::Lines(lines)) => lines,
            Some(Context::Pending { got, .. }) => got,
            _ => &[],
        }
    }

    /// Records a milestone of this run (a step reached again keeps its first match).
    fn reach(&mut self, step: usize, mark: Mark, context: Context) {
        if self.steps[step].is_none() {
            self.steps[step] = Some(Box::new((mark, context)));
        }
    }

    /// Takes in the later milestones of the same run.
    fn absorb(&mut self, later: Run) {
        for (slot, reached) in self.steps.iter_mut().zip(later.steps) {
            if slot.is_none() {
                *slot = reached;
            }
        }
    }

    /// Forgets the contexts that can no longer be shown: only the last
    /// milestone's matters once nothing earlier can be merged in front.
    fn drop_stale_contexts(&mut self) {
        let latest = self.latest();
        for (step, reached) in self.steps.iter_mut().enumerate() {
            if let Some(reached) = reached
                && step != latest
            {
                reached.1 = Context::Dropped;
            }
        }
    }

    /// Steps reached while a later one had already been reached.
    pub fn out_of_order(&self) -> Vec<usize> {
        let mut out: Vec<((u32, u64), usize)> = self
            .marks()
            .filter(|(step, mark)| {
                self.steps[step + 1..]
                    .iter()
                    .flatten()
                    .any(|later| later.0.at() < mark.at())
            })
            .map(|(step, mark)| (mark.at(), step))
            .collect();
        out.sort();
        out.into_iter().map(|(_, step)| step).collect()
    }
}

/// A run of a key that may still change, or one that finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Tracked {
    Open(Run),
    /// Completed: every step reached, so later milestones of the run change
    /// nothing; it was offered to the sample when it completed.
    Done {
        steps: usize,
    },
}

/// The runs of one key between two of its gaps of [`RUN_WINDOW`] positions.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) struct Segment {
    /// Where its first milestone is.
    pub first: (u32, u64),
    /// Where its latest milestone is (one reached again included): the
    /// window runs from there.
    pub latest: (u32, u64),
    /// Milestones before the segment's first restart: they continue whatever
    /// run was open before it (or, at the start of the input, form a run the
    /// log picked up midway).
    pub front: Option<Run>,
    /// The latest run the segment opened.
    pub last: Option<Tracked>,
}

impl Segment {
    fn is_empty(&self) -> bool {
        self.front.is_none() && self.last.is_none()
    }
}

/// The runs of one correlation key (or stream) that may still change.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) struct KeyRuns {
    /// The key's runs up to its first gap in the piece, when the key started
    /// too close to the piece's beginning to tell whether they continue the
    /// piece before: closed once merged with it, or when nothing precedes.
    pub head: Option<Box<Segment>>,
    /// The runs since the last gap (all of them, without one).
    pub current: Segment,
}

impl KeyRuns {
    /// Where the first milestone held is: how far the gap to the key's
    /// milestones in the piece before is.
    fn first(&self) -> (u32, u64) {
        self.head
            .as_ref()
            .map_or(self.current.first, |head| head.first)
    }

    /// The segments still held, the earliest first.
    pub(crate) fn segments(&self) -> impl Iterator<Item = &Segment> {
        self.head.as_deref().into_iter().chain([&self.current])
    }

    /// Whether nothing of the key is held any more.
    fn is_empty(&self) -> bool {
        self.head.is_none() && self.current.is_empty()
    }

    /// [`KeyRuns::segments`], to change them.
    fn segments_mut(&mut self) -> impl Iterator<Item = &mut Segment> {
        self.head
            .as_deref_mut()
            .into_iter()
            .chain([&mut self.current])
    }
}

/// Whether a run last seen at `last` is closed by the time `now` is read:
/// [`RUN_WINDOW`] positions passed after it in its input, or from the start
/// of a later one.
fn stale(last: (u32, u64), now: (u32, u64)) -> bool {
    match last.0.cmp(&now.0) {
        Ordering::Equal => last.1.saturating_add(RUN_WINDOW) < now.1,
        Ordering::Less => RUN_WINDOW < now.1,
        Ordering::Greater => false,
    }
}

/// The runs held per key ([`SequenceSummary::keys`]). Nothing read from it
/// depends on its order: the report sorts runs by where they start, and
/// finished runs are sampled by start and key.
pub(crate) type KeyMap = HashMap<String, KeyRuns, FxBuildHasher>;

/// A finished run kept as an example, ordered by start, then key.
pub(crate) type Sampled = (Order, String, Run);

/// Everything kept about one sequence.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) struct SequenceSummary {
    /// The runs of every key that may still change, looked up once per
    /// milestone: hashed, as a tree of string keys spent more time comparing
    /// keys than advancing runs. Written out in key order.
    #[serde(serialize_with = "in_key_order")]
    pub keys: KeyMap,
    /// Finished runs: completed, and closed by a restart before completing.
    pub completed: u64,
    pub restarted: u64,
    /// Runs closed by a restart, by the first step they missed.
    pub restarted_at: BTreeMap<usize, u64>,
    /// Incomplete runs no longer tracked: [`RUN_WINDOW`] positions passed
    /// without a milestone of theirs.
    pub untracked: u64,
    /// Whether runs are keyed by a correlation value (and so can be closed
    /// by [`RUN_WINDOW`]).
    pub correlated: bool,
    /// Per input, where the first and the last milestone read are. Keys
    /// first seen in it within [`RUN_WINDOW`] of the first may continue runs
    /// of a summary before (none do once nothing can precede); runs of the
    /// input whose latest milestone is further than that from the last are
    /// closed. Kept per input, as runs continue across inputs.
    pub read: BTreeMap<u32, (u64, u64)>,
    /// The earliest completed and incomplete finished runs.
    pub sample_complete: Vec<Sampled>,
    pub sample_incomplete: Vec<Sampled>,
}

/// Keeps `run` of `key`, starting at `order`, if it is among the
/// [`RUN_SAMPLES`] earliest (the key is copied only then: most finished
/// runs are not kept).
fn offer(sample: &mut Vec<Sampled>, order: Order, key: &str, run: Run) {
    let at =
        sample.partition_point(|(kept, kept_key, _)| (kept, kept_key.as_str()) <= (&order, key));
    if at < RUN_SAMPLES {
        sample.insert(at, (order, key.to_string(), run));
        sample.truncate(RUN_SAMPLES);
    }
}

impl SequenceSummary {
    /// Closes the run a restart (or the end of tracking) ends.
    fn close(&mut self, key: &str, tracked: Tracked, restarted: bool) {
        match tracked {
            Tracked::Done { .. } => self.completed += 1,
            Tracked::Open(mut run) => {
                run.drop_stale_contexts();
                if restarted {
                    run.restarted = true;
                    self.restarted += 1;
                    let missing = run.steps.iter().position(Option::is_none).unwrap_or(0);
                    *self.restarted_at.entry(missing).or_default() += 1;
                } else {
                    self.untracked += 1;
                }
                offer(&mut self.sample_incomplete, run.first(), key, run);
            }
        }
    }

    /// A run that now has every step: sampled, then kept as a marker only.
    fn settle(&mut self, key: &str, tracked: Tracked) -> Tracked {
        match tracked {
            Tracked::Open(mut run) if run.complete() => {
                run.drop_stale_contexts();
                let steps = run.steps.len();
                offer(&mut self.sample_complete, run.first(), key, run);
                Tracked::Done { steps }
            }
            Tracked::Open(mut run) => {
                run.drop_stale_contexts();
                Tracked::Open(run)
            }
            done => done,
        }
    }

    /// Takes in the first and last milestone read of `input`.
    fn widen(&mut self, input: u32, (first, last): (u64, u64)) {
        let span = self.read.entry(input).or_insert((first, last));
        *span = (span.0.min(first), span.1.max(last));
    }

    /// Whether a key first seen at `first` may continue runs of the summary
    /// before this one: only one seen within [`RUN_WINDOW`] positions of the
    /// beginning of its input here can (a milestone before that in the same
    /// input is further from any later one; runs are not closed across
    /// inputs), so the keys held for that are bounded too.
    fn may_continue(&self, first: (u32, u64)) -> bool {
        self.read
            .get(&first.0)
            .is_some_and(|&(begin, _)| first.1 <= begin.saturating_add(RUN_WINDOW))
    }

    /// Ends a key's current segment at a gap of [`RUN_WINDOW`] positions: its
    /// runs are closed, unless they are the key's first here and may continue
    /// a run of the summary before (then they are held, for the merge with
    /// it to close).
    fn cut(&mut self, key: &str, runs: &mut KeyRuns) {
        let held = runs.head.is_none() && self.may_continue(runs.first());
        let segment = std::mem::take(&mut runs.current);
        if held {
            runs.head = Some(Box::new(segment));
        } else {
            self.retire(key, segment);
        }
    }

    fn add(&mut self, spec: &Sequence, key: &str, step: usize, mark: Mark, context: Context) {
        let at = mark.at();
        self.correlated = spec.correlate.is_some();
        self.widen(at.0, (at.1, at.1));
        // The map is set aside while the key's runs advance in place (the
        // methods doing it need the rest of the summary, not the map): one
        // lookup for a key seen before, where taking its runs out and
        // putting them back took two.
        let mut keys = std::mem::take(&mut self.keys);
        match keys.get_mut(key) {
            Some(runs) => self.advance(spec, key, runs, step, mark, context),
            None => {
                let mut runs = KeyRuns::default();
                self.advance(spec, key, &mut runs, step, mark, context);
                keys.insert(key.to_string(), runs);
            }
        }
        self.keys = keys;
        if self.keys.len() >= SWEEP_FROM && self.keys.len().is_power_of_two() {
            self.sweep();
        }
    }

    /// Advances `key`'s runs by a milestone of step `step`.
    fn advance(
        &mut self,
        spec: &Sequence,
        key: &str,
        runs: &mut KeyRuns,
        step: usize,
        mark: Mark,
        context: Context,
    ) {
        let steps = spec.milestones.len();
        let at = mark.at();
        if self.ends(&runs.current, at) {
            self.cut(key, runs);
        }
        let current = &mut runs.current;
        if current.is_empty() {
            current.first = at;
        }
        current.latest = current.latest.max(at);
        if step == 0 && spec.restart {
            if let Some(previous) = current.last.take() {
                self.close(key, previous, true);
            }
            let run = Tracked::Open(Run::start(steps, step, mark, context));
            current.last = Some(self.settle(key, run));
        } else {
            match current.last.take() {
                Some(Tracked::Open(mut run)) => {
                    run.reach(step, mark, context);
                    current.last = Some(self.settle(key, Tracked::Open(run)));
                }
                Some(done @ Tracked::Done { .. }) => current.last = Some(done),
                None => match &mut current.front {
                    Some(front) => front.reach(step, mark, context),
                    None => current.front = Some(Run::start(steps, step, mark, context)),
                },
            }
        }
    }

    /// Closes a segment's runs for good: they will not be extended.
    fn retire(&mut self, key: &str, segment: Segment) {
        if let Some(mut front) = segment.front {
            let closed_by_restart = segment.last.is_some();
            if front.complete() {
                let done = self.settle(key, Tracked::Open(front));
                self.close(key, done, false);
            } else {
                front.drop_stale_contexts();
                self.close(key, Tracked::Open(front), closed_by_restart);
            }
        }
        if let Some(last) = segment.last {
            self.close(key, last, false);
        }
    }

    /// Ends the current runs of every key after whose latest milestone more
    /// than [`RUN_WINDOW`] positions of the same input were read
    /// ([`SequenceSummary::cut`]).
    fn sweep(&mut self) {
        let last_long = self.last_long();
        let stale_keys: Vec<String> = self
            .keys
            .iter()
            .filter(|(_, runs)| self.is_stale(&runs.current, last_long))
            .map(|(key, _)| key.clone())
            .collect();
        for key in stale_keys {
            if let Some(mut runs) = self.keys.remove(&key) {
                self.cut(&key, &mut runs);
                if runs.head.is_some() {
                    self.keys.insert(key, runs);
                }
            }
        }
    }

    /// The last input read past [`RUN_WINDOW`]: it closes every run of the
    /// inputs before it.
    fn last_long(&self) -> Option<u32> {
        self.read
            .iter()
            .rev()
            .find(|(_, (_, last))| *last > RUN_WINDOW)
            .map(|(&input, _)| input)
    }

    /// Whether a milestone read closed the segment's runs (`last_long`:
    /// [`SequenceSummary::last_long`], found once for all keys).
    fn is_stale(&self, segment: &Segment, last_long: Option<u32>) -> bool {
        let (input, latest) = segment.latest;
        self.correlated
            && !segment.is_empty()
            && (last_long.is_some_and(|long| long > input)
                || self
                    .read
                    .get(&input)
                    .is_some_and(|&(_, last)| stale((input, latest), (input, last))))
    }

    /// Whether a milestone at `at` comes after the segment's runs closed:
    /// [`RUN_WINDOW`] positions past its latest milestone, in its input or
    /// in one read between.
    fn ends(&self, segment: &Segment, at: (u32, u64)) -> bool {
        self.correlated
            && !segment.is_empty()
            && (stale(segment.latest, at) || self.closed_before(segment.latest, at.0))
    }

    /// Whether a milestone read in an input before `input` closed a run
    /// last seen at `latest` (only runs keyed by a correlation value close).
    fn closed_before(&self, latest: (u32, u64), input: u32) -> bool {
        self.correlated
            && self
                .read
                .range(latest.0..input)
                .any(|(&read, &(_, last))| stale(latest, (read, last)))
    }

    /// Joins a segment to the current runs of `runs`: its front continues
    /// the run open there, its runs follow.
    fn join(&mut self, key: &str, runs: &mut KeyRuns, later: Segment) {
        let current = &mut runs.current;
        if current.is_empty() {
            current.first = later.first;
        }
        current.latest = current.latest.max(later.latest);
        if let Some(front) = later.front {
            match current.last.take() {
                Some(Tracked::Open(mut run)) => {
                    run.absorb(front);
                    current.last = Some(self.settle(key, Tracked::Open(run)));
                }
                Some(done @ Tracked::Done { .. }) => current.last = Some(done),
                None => match &mut current.front {
                    Some(earlier) => earlier.absorb(front),
                    None => current.front = Some(front),
                },
            }
        }
        if let Some(last) = later.last {
            let previous = current.last.replace(last);
            if let Some(previous) = previous {
                self.close(key, previous, true);
            }
        }
    }

    /// Combines with the summary of the piece that follows: the keys it
    /// held are joined to this one's runs (or closed by the real gap).
    fn merge(&mut self, other: SequenceSummary) {
        self.completed += other.completed;
        self.restarted += other.restarted;
        self.untracked += other.untracked;
        for (step, count) in other.restarted_at {
            *self.restarted_at.entry(step).or_default() += count;
        }
        for (order, key, run) in other.sample_complete {
            offer(&mut self.sample_complete, order, &key, run);
        }
        for (order, key, run) in other.sample_incomplete {
            offer(&mut self.sample_incomplete, order, &key, run);
        }
        self.correlated |= other.correlated;
        for (input, span) in other.read {
            self.widen(input, span);
        }
        for (key, later) in other.keys {
            let Some(mut runs) = self.keys.remove(&key) else {
                self.adopt(key, later);
                continue;
            };
            let first = later.first();
            let (joining, rest) = match later.head {
                Some(head) => (*head, Some(later.current)),
                None => (later.current, None),
            };
            if self.ends(&runs.current, first) {
                self.cut(&key, &mut runs);
            }
            self.join(&key, &mut runs, joining);
            if let Some(rest) = rest {
                self.cut(&key, &mut runs);
                runs.current = rest;
            }
            if !runs.is_empty() {
                self.keys.insert(key, runs);
            }
        }
        self.sweep();
    }

    /// Takes in the runs of a key this summary has none of: the runs it held
    /// for a merge stay held only if they may still continue a run before
    /// this summary; otherwise the gap after them closes them.
    fn adopt(&mut self, key: String, mut runs: KeyRuns) {
        if !self.may_continue(runs.first())
            && let Some(head) = runs.head.take()
        {
            self.retire(&key, *head);
        }
        if !runs.is_empty() {
            self.keys.insert(key, runs);
        }
    }

    /// Closes what was held for a merge with a summary before this one, when
    /// there is none: the whole log has been read.
    fn finish(&mut self) {
        let last_long = self.last_long();
        let keys: Vec<String> = self.keys.keys().cloned().collect();
        for key in keys {
            let Some(mut runs) = self.keys.remove(&key) else {
                continue;
            };
            if let Some(head) = runs.head.take() {
                self.retire(&key, *head);
            }
            if self.is_stale(&runs.current, last_long) {
                self.retire(&key, std::mem::take(&mut runs.current));
            }
            if !runs.current.is_empty() {
                self.keys.insert(key, runs);
            }
        }
    }
}

/// What is known about one input as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) struct InputSummary {
    pub path: String,
    pub lines: u64,
    pub bytes: u64,
}

/// The bounded, mergeable result of scanning: see the module docs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Summary {
    pub(crate) inputs: BTreeMap<u32, InputSummary>,
    pub(crate) rules: BTreeMap<usize, RuleSummary>,
    pub(crate) sequences: BTreeMap<usize, SequenceSummary>,
    /// Error lines no signature matched, as templates.
    pub(crate) unrecognised: Templates,
    pub(crate) matches: u64,
    /// Matches left out of an incident window for want of a full date.
    pub(crate) unplaced: u64,
}

/// A map whose keys are not strings, serialized as a list of pairs (JSON
/// object keys must be strings).
mod pairs {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(super) fn serialize<K: Serialize, V: Serialize, S: Serializer>(
        map: &BTreeMap<K, V>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(map)
    }

    pub(super) fn deserialize<'de, K, V, D>(deserializer: D) -> Result<BTreeMap<K, V>, D::Error>
    where
        K: Deserialize<'de> + Ord,
        V: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        Vec::<(K, V)>::deserialize(deserializer).map(|pairs| pairs.into_iter().collect())
    }
}

/// Writes a hash map as a map in key order, so that the same input gives
/// the same partial file (it is read back as any map).
fn in_key_order<K, V, H, S>(map: &HashMap<K, V, H>, serializer: S) -> Result<S::Ok, S::Error>
where
    K: Serialize + Ord,
    V: Serialize,
    S: serde::Serializer,
{
    serializer.collect_map(map.iter().collect::<BTreeMap<_, _>>())
}

/// The stream a line belongs to when no correlation key says otherwise: its
/// input and the origin its wrapper names.
pub(crate) fn stream_key(path: &str, origin: &Origin) -> String {
    let mut key = String::new();
    write_stream_key(&mut key, path, origin);
    key
}

/// Writes [`stream_key`] into `out`.
fn write_stream_key(out: &mut String, path: &str, origin: &Origin) {
    if let Some(label) = origin.label() {
        out.push_str(&label);
        out.push(' ');
    }
    out.push_str(path);
}

/// Writes [`Summary::run_key`] into `out`.
fn write_run_key(out: &mut String, pack: &RulePack, sequence: usize, path: &str, m: &LineMatch) {
    let correlated = pack.sequences[sequence]
        .correlate
        .as_ref()
        .and_then(|name| correlation_value(name, &m.captures, &m.text));
    match correlated {
        Some(value) => out.push_str(value),
        None => write_stream_key(out, path, &m.origin),
    }
}

/// The value of `name=VALUE` in a message (`[run_id=7f3a9c21]`), for rules
/// that do not capture the correlation key themselves.
pub(crate) fn key_in_text<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let start = text
        .match_indices(name)
        .map(|(i, _)| i + name.len())
        .find(|&end| text[end..].starts_with('='))?
        + 1;
    let value = &text[start..];
    let end = value
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .unwrap_or(value.len());
    (end > 0).then(|| &value[..end])
}

/// The correlation value of a match for a sequence that has one.
pub(crate) fn correlation_value<'a>(
    name: &str,
    captures: &'a Captures,
    text: &'a str,
) -> Option<&'a str> {
    captures.get(name).or_else(|| key_in_text(text, name))
}

impl Summary {
    /// Folds the matches of one piece of input `input` (named `path`), in
    /// reading order, into a summary, taking each as `matches` finds it.
    pub(crate) fn fold(
        pack: &RulePack,
        input: u32,
        path: &str,
        matches: &mut Matches<'_>,
    ) -> Summary {
        let mut summary = Summary::default();
        let mut key = String::new();
        matches(&mut |m| summary.add_reusing(pack, input, path, m, &mut key));
        for sequence in summary.sequences.values_mut() {
            sequence.sweep();
        }
        summary
    }

    /// Adds one match.
    pub(crate) fn add(&mut self, pack: &RulePack, input: u32, path: &str, m: LineMatch) {
        self.add_reusing(pack, input, path, m, &mut String::new());
    }

    /// [`Summary::add`], writing a milestone's run key into `key`: a fold
    /// reuses one buffer for all its matches, and the key is copied only
    /// when it is new (most milestones continue a run of a key seen before).
    fn add_reusing(
        &mut self,
        pack: &RulePack,
        input: u32,
        path: &str,
        m: LineMatch,
        key: &mut String,
    ) {
        if m.target != Target::Unrecognised {
            self.matches += 1;
        }
        match m.target {
            Target::Rule(rule) => {
                let around = Around::pending(input, &m);
                let mut mark = Mark::new(input, m);
                mark.around = Some(Box::new(around));
                match self.rules.get_mut(&rule) {
                    Some(known) => known.merge(RuleSummary::new(mark)),
                    None => {
                        self.rules.insert(rule, RuleSummary::new(mark));
                    }
                }
            }
            Target::Unrecognised => self.unrecognised.add(Mark::new(input, m)),
            Target::Milestone { sequence, step } => {
                let spec = &pack.sequences[sequence];
                key.clear();
                write_run_key(key, pack, sequence, path, &m);
                let context = Context::Pending {
                    input,
                    from: m.end,
                    got: Vec::new(),
                };
                let mark = Mark::new(input, m);
                self.sequences
                    .entry(sequence)
                    .or_default()
                    .add(spec, key, step, mark, context);
            }
        }
    }

    /// What keeps the runs of a sequence apart: the correlation value when
    /// the sequence has one (and the line names it), else the stream.
    pub(crate) fn run_key(
        &self,
        pack: &RulePack,
        sequence: usize,
        path: &str,
        m: &LineMatch,
    ) -> String {
        let mut key = String::new();
        write_run_key(&mut key, pack, sequence, path, m);
        key
    }

    /// The run of `key` that milestones now go to: which of its steps are
    /// reached (`None`: no run).
    pub(crate) fn progress(&self, sequence: usize, key: &str) -> Option<Vec<bool>> {
        let runs = &self.sequences.get(&sequence)?.keys.get(key)?.current;
        match &runs.last {
            Some(Tracked::Open(run)) => Some(run.steps.iter().map(Option::is_some).collect()),
            Some(Tracked::Done { steps }) => Some(vec![true; *steps]),
            None => runs
                .front
                .as_ref()
                .map(|run| run.steps.iter().map(Option::is_some).collect()),
        }
    }

    /// The milestone the current run of `key` reached last.
    pub(crate) fn last_step(&self, sequence: usize, key: &str) -> Option<usize> {
        let runs = &self.sequences.get(&sequence)?.keys.get(key)?.current;
        match &runs.last {
            Some(Tracked::Open(run)) => Some(run.latest()),
            Some(Tracked::Done { .. }) => None,
            None => runs.front.as_ref().map(Run::latest),
        }
    }

    /// Renumbers the inputs `by` places on, so that the summary can follow
    /// another one scanned on its own (whose inputs were numbered from 0 too).
    pub(crate) fn shift_inputs(&mut self, by: u32) {
        self.renumber(Renumbering {
            inputs: by,
            lines: 0,
        });
    }

    /// Moves every line and reading position `by` lines on: the summary of
    /// a piece folded with its lines counted from the piece's start (before
    /// the lines ahead of it were counted) then holds the input's numbers.
    /// Folding never depends on where the count starts within one input
    /// (runs close on distances between positions), so shifting after the
    /// fold equals folding with the final numbers.
    pub(crate) fn shift_lines(&mut self, by: u64) {
        if by > 0 {
            self.renumber(Renumbering {
                inputs: 0,
                lines: by,
            });
        }
    }

    fn renumber(&mut self, by: Renumbering) {
        fn run(run: &mut Run, by: Renumbering) {
            for reached in run.steps.iter_mut().flatten() {
                by.mark(&mut reached.0);
                if let Context::Pending { input, .. } = &mut reached.1 {
                    *input += by.inputs;
                }
            }
        }
        if by.inputs > 0 {
            self.inputs = std::mem::take(&mut self.inputs)
                .into_iter()
                .map(|(input, summary)| (input + by.inputs, summary))
                .collect();
        }
        for group in self.unrecognised.groups.values_mut() {
            by.mark(&mut group.first);
            by.order(&mut group.last);
            group.last_line += by.lines;
        }
        for rule in self.rules.values_mut() {
            for mark in rule.first.iter_mut().chain(&mut rule.last) {
                by.mark(mark);
                if let Some(Context::Pending { input, .. }) =
                    mark.around.as_deref_mut().map(|a| &mut a.after)
                {
                    *input += by.inputs;
                }
            }
            for span in rule.origins.values_mut() {
                by.order(&mut span.first);
                by.order(&mut span.last);
            }
        }
        for sequence in self.sequences.values_mut() {
            sequence.read = std::mem::take(&mut sequence.read)
                .into_iter()
                .map(|(input, (first, last))| {
                    (input + by.inputs, (first + by.lines, last + by.lines))
                })
                .collect();
            for runs in sequence.keys.values_mut() {
                // An empty segment holds no position (a cut leaves the
                // default), and a fold leaves it so whatever the numbers.
                for segment in runs.segments_mut().filter(|s| !s.is_empty()) {
                    by.at(&mut segment.first);
                    by.at(&mut segment.latest);
                    if let Some(front) = &mut segment.front {
                        run(front, by);
                    }
                    if let Some(Tracked::Open(last)) = &mut segment.last {
                        run(last, by);
                    }
                }
            }
            for (order, _, sampled) in sequence
                .sample_complete
                .iter_mut()
                .chain(&mut sequence.sample_incomplete)
            {
                by.order(order);
                run(sampled, by);
            }
        }
    }

    /// The number after the highest input number held (0 when none).
    pub(crate) fn next_input(&self) -> u32 {
        self.inputs.keys().next_back().map_or(0, |last| last + 1)
    }

    /// Combines with the summary of the input that follows this one.
    pub(crate) fn merge(&mut self, later: Summary) {
        self.matches += later.matches;
        self.unplaced += later.unplaced;
        for (input, summary) in later.inputs {
            let known = self.inputs.entry(input).or_default();
            if known.path.is_empty() {
                known.path = summary.path;
            }
            known.lines += summary.lines;
            known.bytes += summary.bytes;
        }
        for (rule, summary) in later.rules {
            match self.rules.get_mut(&rule) {
                Some(known) => known.merge(summary),
                None => {
                    self.rules.insert(rule, summary);
                }
            }
        }
        for (sequence, summary) in later.sequences {
            self.sequences.entry(sequence).or_default().merge(summary);
        }
        self.unrecognised.merge(later.unrecognised);
    }

    /// The summary of the whole log, when this is all of it: what was held
    /// for a merge with a summary before is closed, as nothing precedes.
    pub(crate) fn finished(&self) -> Summary {
        let mut whole = self.clone();
        for sequence in whole.sequences.values_mut() {
            sequence.finish();
        }
        whole
    }

    /// Records an input's totals once it has been read.
    pub(crate) fn finish_input(&mut self, input: u32, path: &str, lines: u64, bytes: u64) {
        self.merge(Summary {
            inputs: BTreeMap::from([(
                input,
                InputSummary {
                    path: path.to_string(),
                    lines,
                    bytes,
                },
            )]),
            ..Summary::default()
        });
    }

    /// Reads the context still pending for input `input` from what `held`
    /// holds of it: the lines after milestones ([`CONTEXT_LINES`]) and
    /// around rule matches (`lines`). `eof`: nothing more will come, so
    /// what was read is all there is.
    pub(crate) fn read_context(
        &mut self,
        input: u32,
        held: &dyn Surroundings,
        lines: ContextLines,
        eof: bool,
    ) {
        let fill = |context: &mut Context, want: usize| {
            let Context::Pending {
                input: pending_input,
                from,
                got,
            } = context
            else {
                return;
            };
            if *pending_input != input {
                return;
            }
            let (lines, next) = held.after(*from, want.saturating_sub(got.len()));
            got.extend(lines);
            *from = next;
            if eof || got.len() >= want {
                *context = Context::Lines(std::mem::take(got));
            }
        };
        let fill_run = |run: &mut Run| {
            for reached in run.steps.iter_mut().flatten() {
                fill(&mut reached.1, CONTEXT_LINES);
            }
        };
        for sequence in self.sequences.values_mut() {
            for runs in sequence.keys.values_mut() {
                for segment in runs.segments_mut() {
                    if let Some(front) = &mut segment.front {
                        fill_run(front);
                    }
                    if let Some(Tracked::Open(run)) = &mut segment.last {
                        fill_run(run);
                    }
                }
            }
            for (_, _, run) in &mut sequence.sample_incomplete {
                fill_run(run);
            }
        }
        for rule in self.rules.values_mut() {
            for mark in rule.first.iter_mut().chain(&mut rule.last) {
                let Some(around) = mark.around.as_deref_mut() else {
                    continue;
                };
                if mark.order.input != input {
                    continue;
                }
                if around.before.is_none() {
                    around.before = Some(held.before(around.offset, lines.before));
                }
                fill(&mut around.after, lines.after);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, LazyLock};

    use proptest::prelude::*;

    use super::*;
    use crate::input::format::LogFormat;
    use crate::rules::load::embedded_pack;
    use crate::scan::{Matcher, ScanOptions, each_of, scan_buffer};

    static MATCHER: LazyLock<Matcher> = LazyLock::new(|| Matcher::new(Arc::new(embedded_pack())));

    /// Milestones of every kind of sequence (restarting start-ups, correlated
    /// agent runs, per-pod streams), failures and tracebacks.
    const LINES: &[&str] = &[
        "INFO:__main__:Ops Agent Worker - Orchestrator Integration",
        "INFO:__main__:Initialized Ops Agent Worker (Redis: redis://redis:6379)",
        "INFO:__main__:✅ Connected to Orchestrator Redis queue",
        "INFO:__main__:Initialized Ops Agent OODA Loop",
        "INFO:__main__:✅ Supabase client initialized",
        "INFO:__main__:✅ Registered with Governance (agent_id: 7df3)",
        "INFO:__main__:✅ Subscribed to Orchestrator events",
        "INFO:__main__:✅ Ops Agent Worker started successfully",
        "INFO [run_id=a1] Agent pack loaded",
        "INFO [run_id=a1] Execution started with input: {}",
        "INFO [run_id=b2] Execution started with input: {}",
        "INFO [run_id=a1] Step 1/3 completed: data_collection",
        "INFO [run_id=b2] Execution completed successfully in 2.1s",
        "INFO [run_id=a1] Execution completed successfully in 2.1s",
        "ERROR [run_id=b2] Execution timeout exceeded (60s)",
        "[pod/api-1/web] Worker __init__ started at 2026-01-14T08:31:02",
        "[pod/api-2/web] Worker __init__ started at 2026-01-14T08:31:03",
        "[pod/api-1/web] Worker started at 2026-01-14T08:31:04",
        "[pod/api-2/web] Main loop entered",
        "Traceback (most recent call last):",
        "  File \"/app/a.py\", line 3, in <module>",
        "ModuleNotFoundError: No module named 'orchestrator.persistence'",
        "INFO:__main__:⚠️ Could not register with Governance (degraded mode)",
        "2025-10-23T08:57:55.403Z ERROR redis.exceptions.ConnectionError: Connection reset by peer",
    ];

    fn matches_of(indices: &[usize]) -> Vec<LineMatch> {
        let lines: Vec<(usize, u64)> = indices.iter().map(|&i| (i, 1)).collect();
        spread_matches_of(&lines)
    }

    /// The matches of `LINES[i]` for each `(i, gap)`, each line read `gap`
    /// positions after the one before: gaps long enough to reach
    /// [`RUN_WINDOW`] without generating that many lines.
    fn spread_matches_of(lines: &[(usize, u64)]) -> Vec<LineMatch> {
        let positions: Vec<u64> = lines
            .iter()
            .scan(0, |at, &(_, gap)| {
                *at += gap.max(1);
                Some(*at)
            })
            .collect();
        let text: String = lines
            .iter()
            .map(|&(i, _)| format!("{}\n", LINES[i % LINES.len()]))
            .collect();
        let mut matches = Vec::new();
        let options = ScanOptions {
            chunk_size: usize::MAX / 2,
        };
        scan_buffer(
            &MATCHER,
            text.as_bytes(),
            LogFormat::Text,
            options,
            &|scan| {
                let mut found = Vec::new();
                scan(&mut |m| found.push(m));
                found
            },
            &mut |found, _, _| matches.extend(found),
        );
        for m in &mut matches {
            let line = usize::try_from(m.seq).expect("a test line number fits");
            m.seq = positions[line - 1];
        }
        matches
    }

    fn fold(matches: &[LineMatch]) -> Summary {
        Summary::fold(&MATCHER.pack, 0, "x.log", &mut each_of(matches.to_vec()))
    }

    /// `matches` cut in three at `a` and `b`, merged as (1 + 2) + 3 and as
    /// 1 + (2 + 3).
    fn grouped_both_ways(
        matches: &[LineMatch],
        a: prop::sample::Index,
        b: prop::sample::Index,
    ) -> (Summary, Summary) {
        let (p, q) = (a.index(matches.len() + 1), b.index(matches.len() + 1));
        let (x, y) = (p.min(q), p.max(q));
        let (first, second, third) = (
            fold(&matches[..x]),
            fold(&matches[x..y]),
            fold(&matches[y..]),
        );
        let mut left = first.clone();
        left.merge(second.clone());
        left.merge(third.clone());
        let mut right_tail = second;
        right_tail.merge(third);
        let mut right = first;
        right.merge(right_tail);
        (left, right)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// `merge(fold(A), fold(B)) == fold(A ++ B)` at every split point,
        /// inside runs and between a restart and what follows it included.
        #[test]
        fn merging_folds_equals_folding_the_whole(indices in prop::collection::vec(0usize..64, 0..200), cut in any::<prop::sample::Index>()) {
            let matches = matches_of(&indices);
            let at = cut.index(matches.len() + 1);
            let mut merged = fold(&matches[..at]);
            merged.merge(fold(&matches[at..]));
            prop_assert_eq!(merged, fold(&matches));
        }

        /// Merging is associative: three pieces merge the same either way.
        #[test]
        fn merging_is_associative(indices in prop::collection::vec(0usize..64, 0..150), a in any::<prop::sample::Index>(), b in any::<prop::sample::Index>()) {
            let matches = matches_of(&indices);
            let (left, right) = grouped_both_ways(&matches, a, b);
            prop_assert_eq!(left, right);
        }
    }

    /// Lines up to 30,000 positions apart: a key's milestones a few lines
    /// apart can be [`RUN_WINDOW`] apart, so runs close by the window, on
    /// either side of a split and across it.
    fn spread() -> impl Strategy<Value = Vec<(usize, u64)>> {
        prop::collection::vec((0usize..64, 0u64..30_000), 0..200)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// The split property where runs close by the window: pieces merge
        /// to the whole whatever runs the window closed in each.
        #[test]
        fn merging_folds_equals_folding_the_whole_across_the_window(lines in spread(), cuts in prop::collection::vec(any::<prop::sample::Index>(), 1..4)) {
            let matches = spread_matches_of(&lines);
            let mut at: Vec<usize> = cuts.iter().map(|c| c.index(matches.len() + 1)).collect();
            at.sort_unstable();
            let mut merged = Summary::default();
            let mut from = 0;
            for to in at.into_iter().chain([matches.len()]) {
                merged.merge(fold(&matches[from..to]));
                from = to;
            }
            prop_assert_eq!(merged, fold(&matches));
        }

        /// Pieces folded with their lines counted from their own start (as
        /// parallel chunks are), then shifted by the lines before them,
        /// merge to the whole as pieces folded with the final numbers do.
        #[test]
        fn pieces_numbered_from_their_start_then_shifted_merge_to_the_whole(lines in spread(), cuts in prop::collection::vec(any::<prop::sample::Index>(), 1..4)) {
            // Line numbers are reading positions in a text log.
            let mut matches = spread_matches_of(&lines);
            for m in &mut matches {
                m.line = m.seq;
            }
            let mut at: Vec<usize> = cuts.iter().map(|c| c.index(matches.len() + 1)).collect();
            at.sort_unstable();
            let mut merged = Summary::default();
            let mut from: usize = 0;
            for to in at.into_iter().chain([matches.len()]) {
                // The piece starts after the line of the match before it.
                let before = from.checked_sub(1).map_or(0, |last| matches[last].seq);
                let mut piece = matches[from..to].to_vec();
                for m in &mut piece {
                    m.seq -= before;
                    m.line -= before;
                }
                let mut part = fold(&piece);
                part.shift_lines(before);
                merged.merge(part);
                from = to;
            }
            prop_assert_eq!(merged, fold(&matches));
        }

        /// Pieces of several inputs (a run continues into the next input
        /// until the window passes there) report the same in any grouping:
        /// files are scanned in parallel and merged in a tree, partials one
        /// after the other.
        #[test]
        fn merging_inputs_is_associative_across_the_window(lines in spread(), cuts in prop::collection::vec(any::<prop::sample::Index>(), 3)) {
            let matches = spread_matches_of(&lines);
            let mut at: Vec<usize> = cuts.iter().map(|c| c.index(matches.len() + 1)).collect();
            at.sort_unstable();
            // Input 0, input 1 in two chunks, input 2.
            let bounds = [0, at[0], at[1], at[2], matches.len()];
            let piece = |i: usize, input: u32| {
                Summary::fold(&MATCHER.pack, input, "x.log", &mut each_of(matches[bounds[i]..bounds[i + 1]].to_vec()))
            };
            let pieces = [piece(0, 0), piece(1, 1), piece(2, 1), piece(3, 2)];
            let merged = |a: &Summary, b: &Summary| {
                let mut a = a.clone();
                a.merge(b.clone());
                a
            };
            let [p0, p1, p2, p3] = &pieces;
            let left = merged(&merged(&merged(p0, p1), p2), p3);
            let right = merged(p0, &merged(p1, &merged(p2, p3)));
            let tree = merged(&merged(p0, p1), &merged(p2, p3));
            let (left, right, tree) = (left.finished(), right.finished(), tree.finished());
            prop_assert_eq!(&left, &right);
            prop_assert_eq!(&left, &tree);
        }

        /// Three pieces merge the same either way across the window too.
        #[test]
        fn merging_is_associative_across_the_window(lines in spread(), a in any::<prop::sample::Index>(), b in any::<prop::sample::Index>()) {
            let matches = spread_matches_of(&lines);
            let (left, right) = grouped_both_ways(&matches, a, b);
            prop_assert_eq!(left, right);
        }
    }

    /// The summary of the sequence whose runs `key` names.
    fn runs_of<'a>(summary: &'a Summary, key: &str) -> &'a SequenceSummary {
        summary
            .sequences
            .values()
            .find(|s| s.keys.contains_key(key) || s.sample_incomplete.iter().any(|e| e.1 == key))
            .unwrap_or_else(|| panic!("no runs of {key}"))
    }

    #[test]
    fn a_run_that_may_continue_the_piece_before_is_held_until_nothing_can() {
        // a1's pack loaded on the first line, its execution started past the window.
        let piece = fold(&spread_matches_of(&[(8, 1), (9, RUN_WINDOW + 1)]));
        let held = runs_of(&piece, "a1");
        assert!(held.keys["a1"].head.is_some(), "held for the merge");
        assert_eq!(held.untracked, 0, "not closed by the piece alone");
        // Nothing precedes: the window closed it.
        let whole = piece.finished();
        let closed = runs_of(&whole, "a1");
        assert_eq!(closed.untracked, 1);
        assert!(closed.keys["a1"].head.is_none());
        assert_eq!(
            closed.sample_incomplete[0].2.entry(),
            0,
            "the run from pack loaded"
        );
        assert_eq!(
            closed.keys["a1"].current.front.as_ref().map(Run::entry),
            Some(1)
        );
        // First seen past the window of the piece's first milestone (b2's):
        // no run before can reach it, so the piece closes it alone.
        let lines = [(10, 1), (8, RUN_WINDOW + 10), (9, RUN_WINDOW + 1)];
        let alone = fold(&spread_matches_of(&lines));
        let alone = runs_of(&alone, "a1");
        assert!(
            alone.keys["a1"].head.is_none(),
            "not held: the summary stays bounded"
        );
        assert_eq!(alone.untracked, 1);
    }

    #[test]
    fn an_empty_summary_is_the_identity() {
        let matches = matches_of(&(0..LINES.len()).collect::<Vec<_>>());
        let whole = fold(&matches);
        let mut left = Summary::default();
        left.merge(whole.clone());
        let mut right = whole.clone();
        right.merge(Summary::default());
        assert_eq!(left, whole);
        assert_eq!(right, whole);
        assert!(
            whole.sequences.len() >= 3,
            "the corpus exercises several sequences"
        );
    }

    #[test]
    fn run_keys_are_written_in_key_order_and_read_back() {
        let mut sequence = SequenceSummary::default();
        // Enough keys that a hash map's order is unlikely to be sorted.
        let keys: Vec<String> = (0..40)
            .map(|i| format!("run-{:02}", (i * 17) % 40))
            .collect();
        for key in &keys {
            sequence.keys.insert(key.clone(), KeyRuns::default());
        }
        let json = serde_json::to_string(&sequence).expect("serializes");
        let written: Vec<usize> = (0..40)
            .map(|i| {
                json.find(&format!("\"run-{i:02}\""))
                    .expect("every key is written")
            })
            .collect();
        assert!(written.is_sorted(), "keys in order: {json}");
        let back: SequenceSummary = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back, sequence);
    }
}
