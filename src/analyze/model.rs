//! The report model: the one serde structure every renderer renders, and
//! the JSON contract (`root_causes`, `findings`, `sequences`, `problems`,
//! `stats`; documented in the README). Field names are stable.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use super::verdict::Verdict;
use crate::input::meta::Origin;
use crate::rules::Severity;

/// A place in the input.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    /// The input as named on the command line (`<stdin>` for stdin).
    pub path: String,
    /// 1-based line.
    pub line: u64,
}

/// A matched line shown as evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The input as named on the command line.
    pub path: String,
    /// 1-based line where the event starts.
    pub line: u64,
    /// The message, wrappers removed (long lines clipped around the match).
    pub text: String,
    /// The line's own timestamp (RFC 3339; year-less stamps as written).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// The stream the line came from (pod, container, service, host), as
    /// its wrapper names it.
    #[serde(skip_serializing_if = "Origin::is_empty")]
    pub origin: Origin,
    /// The traceback this line ends, oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub traceback: Vec<String>,
    /// The lines before it, oldest first: for a line that says how a
    /// process ended (an outcome rule), the last lines of its stream;
    /// otherwise the context lines asked for (`-B`), unless a traceback
    /// already shows what led to it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub before: Vec<String>,
    /// The context lines after it (`-A`), oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<String>,
}

/// Where a finding sits against a sequence run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placement {
    /// The sequence's id.
    pub sequence: String,
    /// Which run of it (1-based, in start order).
    pub run: usize,
    /// The last milestone reached before the finding (None: before the first).
    pub after: Option<String>,
    /// The first milestone not yet reached at the finding (None: run complete).
    pub before: Option<String>,
}

/// All matches of one rule.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The rule's id.
    pub rule: String,
    /// The rule's title.
    pub title: String,
    /// The rule's failure class.
    pub class: String,
    /// The rule's severity.
    pub severity: Severity,
    /// How many lines matched.
    pub count: u64,
    /// The first match on the timeline.
    pub first: Location,
    /// The last match on the timeline.
    pub last: Location,
    /// When the first match was written, if its line says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
    /// When the last match was written, if its line says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
    /// The rule's explanation with the first match's captures filled in.
    pub explanation: String,
    /// What the first match captured (named groups of the rule's pattern).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub captures: BTreeMap<String, String>,
    /// Captures that took more than one value, with up to 16 distinct
    /// values each (which pods, which tables, which hosts).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, Vec<String>>,
    /// Up to three matched lines, the first one first.
    pub evidence: Vec<Evidence>,
    /// The finding this one is a symptom of, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explained_by: Option<String>,
    /// Where the first match sits against each sequence run it belongs to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub placements: Vec<Placement>,
}

/// A finding no other finding explains, ranked as a cause of the incident.
#[derive(Debug, Clone, Serialize)]
pub struct RootCause {
    /// The rule's id.
    pub rule: String,
    /// The rule's title.
    pub title: String,
    /// The rule's failure class.
    pub class: String,
    /// The rule's own severity (what the cause explains may rank it higher,
    /// but never changes the severity shown).
    pub severity: Severity,
    /// The rule's explanation, captures filled in.
    pub explanation: String,
    /// The first matches.
    pub evidence: Vec<Evidence>,
    /// Rule ids of the findings this cause explains.
    pub symptoms: Vec<String>,
    /// The causal chain, e.g. `python.module-not-found → worker.degraded-mode →
    /// ops-agent-worker.startup: registration missing`.
    pub chain: Vec<String>,
    /// Whether it sits where a sequence stalled (after the last milestone
    /// reached, before the first missing).
    pub in_stall_window: bool,
    /// Set when the cause is an outcome (a line saying how a process ended:
    /// an exit, a crashed state, a back-off) that no error before it in its
    /// stream explains; its evidence then carries the lines before it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unexplained_outcome: bool,
    /// What to do about it.
    pub remediation: String,
    /// Documentation to read (URLs, or a runbook's title and section).
    pub references: Vec<String>,
}

/// A milestone of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// The milestone's id.
    pub id: String,
    /// The milestone's title.
    pub title: String,
    /// Where it was reached; None if not reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<Evidence>,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Every milestone reached (a run the log picked up after its first
    /// milestone never is: the log does not show its earlier steps).
    Completed,
    /// Stopped short: restarted, failed, or went quiet while the log went on.
    Stalled,
    /// Not complete, but nothing says it stopped (the log may just end, or
    /// picked the run up after its first milestone and it reached every
    /// milestone since).
    Running,
}

impl RunStatus {
    /// The status as the JSON report spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Completed => "completed",
            RunStatus::Stalled => "stalled",
            RunStatus::Running => "running",
        }
    }
}

/// One instance of a sequence.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// The correlation value (e.g. the run id), if the sequence has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The milestones reached, in sequence order.
    pub reached: Vec<String>,
    /// The first milestone after the run's entry that was not reached.
    pub first_missing: Option<String>,
    /// Milestones reached while an earlier one was still missing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub out_of_order: Vec<String>,
    /// How the run ended.
    pub status: RunStatus,
    /// Every milestone, reached or not.
    pub steps: Vec<Step>,
    /// Rule ids of findings after the last milestone reached and before the
    /// first missing one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stall_findings: Vec<String>,
    /// When a run stalled and nothing explains it: the lines after its last milestone.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unexplained_stall: Vec<Evidence>,
}

/// A sequence and its runs.
#[derive(Debug, Clone, Serialize)]
pub struct SequenceReport {
    /// The sequence's id.
    pub id: String,
    /// The sequence's title.
    pub title: String,
    /// Runs seen in all.
    pub total_runs: u64,
    /// How many of them completed.
    pub completed_runs: u64,
    /// The runs, at most 25: incomplete runs first, in order.
    pub runs: Vec<Run>,
}

/// Runs listed per sequence; a busy log has thousands of agent runs.
pub const MAX_RUNS_SHOWN: usize = 25;

/// An input that could not be read (fully) or was skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputProblem {
    /// The input as named.
    pub path: String,
    /// What went wrong.
    pub message: String,
    /// An error (exit 2) or a skipped input.
    pub kind: ProblemKind,
}

/// How bad an input problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProblemKind {
    /// Not (fully) read: exit code 2, whatever was read is still reported.
    Error,
    /// Deliberately not scanned (a binary file met while walking a directory).
    Skipped,
}

impl ProblemKind {
    /// The name reports use (`error`, `skipped`).
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::Error => "error",
            ProblemKind::Skipped => "skipped",
        }
    }
}

/// Totals.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    /// Inputs scanned.
    pub files: usize,
    /// Bytes read.
    pub bytes: u64,
    /// Lines read.
    pub lines: u64,
    /// Rule and milestone matches.
    pub matches: u64,
    /// Rules in the pack.
    pub rules: usize,
    /// Wall time, when asked for (`--timing`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elapsed_ms: Option<u64>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The one line a report opens with: root cause, stream, time, and the
    /// incident's first and last error.
    pub verdict: Verdict,
    /// The causes, best first.
    pub root_causes: Vec<RootCause>,
    /// Every rule that matched, first seen first.
    pub findings: Vec<Finding>,
    /// The expected sequences and their runs.
    pub sequences: Vec<SequenceReport>,
    /// Set when sequences stalled or errors occurred and no signature of
    /// severity error or above explains them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict_note: Option<String>,
    /// Error lines no signature matched, grouped by shape, most frequent
    /// first (at most ten).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unrecognised: Vec<Unrecognised>,
    /// Inputs that could not be (fully) read, or were skipped.
    pub problems: Vec<InputProblem>,
    /// Totals.
    pub stats: Stats,
}

impl Report {
    /// The worst severity among findings.
    pub fn max_severity(&self) -> Option<Severity> {
        let causes = self.root_causes.iter().map(|c| c.severity);
        self.findings.iter().map(|f| f.severity).chain(causes).max()
    }
}

/// Error lines that no signature matched and that share one shape.
#[derive(Debug, Clone, Serialize)]
pub struct Unrecognised {
    /// Stable id of the shape (16 hex digits): the same across runs,
    /// thread counts and machines.
    pub id: String,
    /// The shape: the words every such line shares, `<*>` where they differ.
    pub template: String,
    /// How many lines had it.
    pub count: u64,
    /// The first such line on the timeline.
    pub first: Location,
    /// The last such line.
    pub last: Location,
    /// Where such lines came from (up to eight origins; empty: none named).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub origins: Vec<Origin>,
    /// The first such line.
    pub example: Evidence,
}

/// One matched line, for grep-like listings (`scan --matches`, `tail`).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct MatchLine {
    pub path: String,
    pub line: u64,
    /// The line's own timestamp, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// The most severe rule that matched the line.
    pub rule: String,
    pub class: String,
    pub severity: Severity,
    /// Every rule that matched the line, most severe first.
    pub rules: Vec<MatchedRule>,
    pub text: String,
    #[serde(skip_serializing_if = "Origin::is_empty")]
    pub origin: Origin,
}

/// One of the rules that matched a listed line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct MatchedRule {
    pub rule: String,
    pub class: String,
    pub severity: Severity,
}
