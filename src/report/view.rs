//! What the text, Markdown and HTML renderers see of a report (and of a matched
//! line): the same structure, with every string [`Untrusted`]. Building a
//! view is the only place that touches the report's raw strings, and it
//! only wraps them; a view holds no `String`, so a renderer has nothing it
//! could print unescaped. The JSON outputs serialize the report itself
//! (the contract) through serde's escaping instead. A field the renderers
//! come to need is added here, as `Untrusted`.

use crate::analyze::model::MatchLine;
use crate::analyze::model::Unrecognised;
use crate::analyze::{
    Evidence, Finding, InputProblem, Location, ProblemKind, Report, RootCause, Run, RunStatus,
    SequenceReport, Step,
};
use crate::input::meta::Origin;
use crate::rules::Severity;

use super::untrusted::Untrusted;

/// How reports name a stream (`pod/container`, `service@host`), untrusted.
fn origin_label(origin: &Origin) -> Option<Untrusted<'static>> {
    origin.label().map(Untrusted::new)
}

fn all<'a>(items: &'a [String]) -> Vec<Untrusted<'a>> {
    items.iter().map(Untrusted::from).collect()
}

/// A place in the input.
pub struct LocationView<'a> {
    pub path: Untrusted<'a>,
    pub line: u64,
}

impl<'a> LocationView<'a> {
    fn of(l: &'a Location) -> Self {
        LocationView {
            path: (&l.path).into(),
            line: l.line,
        }
    }
}

/// A quoted line.
pub struct EvidenceView<'a> {
    pub path: Untrusted<'a>,
    pub line: u64,
    pub text: Untrusted<'a>,
    pub timestamp: Option<Untrusted<'a>>,
    /// The timestamp as nanoseconds since the epoch, when it is a full
    /// RFC 3339 time (year-less stamps are not): where a timeline puts it.
    pub nanos: Option<i128>,
    /// How reports name the stream (`pod/container`, `service@host`).
    pub origin: Option<Untrusted<'static>>,
    pub traceback: Vec<Untrusted<'a>>,
    /// For a process end nothing explains: the lines of its stream before it.
    pub before: Vec<Untrusted<'a>>,
}

impl<'a> EvidenceView<'a> {
    fn of(e: &'a Evidence) -> Self {
        EvidenceView {
            path: (&e.path).into(),
            line: e.line,
            text: (&e.text).into(),
            timestamp: e.timestamp.as_ref().map(Untrusted::from),
            nanos: e
                .timestamp
                .as_deref()
                .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                .map(|t| t.as_nanosecond()),
            origin: origin_label(&e.origin),
            traceback: all(&e.traceback),
            before: all(&e.before),
        }
    }

    fn all(evidence: &'a [Evidence]) -> Vec<Self> {
        evidence.iter().map(EvidenceView::of).collect()
    }
}

/// A rule's matches.
pub struct FindingView<'a> {
    pub rule: Untrusted<'a>,
    pub title: Untrusted<'a>,
    pub class: Untrusted<'a>,
    pub severity: Severity,
    pub count: u64,
    pub first: LocationView<'a>,
    pub last: LocationView<'a>,
    pub first_seen: Option<Untrusted<'a>>,
    pub last_seen: Option<Untrusted<'a>>,
    pub evidence: Vec<EvidenceView<'a>>,
}

impl<'a> FindingView<'a> {
    fn of(f: &'a Finding) -> Self {
        FindingView {
            rule: (&f.rule).into(),
            title: (&f.title).into(),
            class: (&f.class).into(),
            severity: f.severity,
            count: f.count,
            first: LocationView::of(&f.first),
            last: LocationView::of(&f.last),
            first_seen: f.first_seen.as_ref().map(Untrusted::from),
            last_seen: f.last_seen.as_ref().map(Untrusted::from),
            evidence: EvidenceView::all(&f.evidence),
        }
    }
}

/// A root cause.
pub struct CauseView<'a> {
    pub rule: Untrusted<'a>,
    pub title: Untrusted<'a>,
    pub class: Untrusted<'a>,
    pub severity: Severity,
    pub explanation: Untrusted<'a>,
    pub evidence: Vec<EvidenceView<'a>>,
    pub symptoms: Vec<Untrusted<'a>>,
    pub chain: Vec<Untrusted<'a>>,
    pub remediation: Untrusted<'a>,
    pub references: Vec<Untrusted<'a>>,
}

impl<'a> CauseView<'a> {
    fn of(c: &'a RootCause) -> Self {
        CauseView {
            rule: (&c.rule).into(),
            title: (&c.title).into(),
            class: (&c.class).into(),
            severity: c.severity,
            explanation: (&c.explanation).into(),
            evidence: EvidenceView::all(&c.evidence),
            symptoms: all(&c.symptoms),
            chain: all(&c.chain),
            remediation: (&c.remediation).into(),
            references: all(&c.references),
        }
    }
}

/// A milestone of a run.
pub struct StepView<'a> {
    pub id: Untrusted<'a>,
    pub title: Untrusted<'a>,
    pub at: Option<EvidenceView<'a>>,
}

impl<'a> StepView<'a> {
    fn of(s: &'a Step) -> Self {
        StepView {
            id: (&s.id).into(),
            title: (&s.title).into(),
            at: s.at.as_ref().map(EvidenceView::of),
        }
    }
}

/// A run of a sequence.
pub struct RunView<'a> {
    pub key: Option<Untrusted<'a>>,
    pub reached: usize,
    pub first_missing: Option<Untrusted<'a>>,
    pub out_of_order: Vec<Untrusted<'a>>,
    pub status: RunStatus,
    pub steps: Vec<StepView<'a>>,
    pub stall_findings: Vec<Untrusted<'a>>,
    pub unexplained_stall: Vec<EvidenceView<'a>>,
}

impl<'a> RunView<'a> {
    fn of(r: &'a Run) -> Self {
        RunView {
            key: r.key.as_ref().map(Untrusted::from),
            reached: r.reached.len(),
            first_missing: r.first_missing.as_ref().map(Untrusted::from),
            out_of_order: all(&r.out_of_order),
            status: r.status,
            steps: r.steps.iter().map(StepView::of).collect(),
            stall_findings: all(&r.stall_findings),
            unexplained_stall: EvidenceView::all(&r.unexplained_stall),
        }
    }
}

/// A sequence and its runs.
pub struct SequenceView<'a> {
    pub title: Untrusted<'a>,
    pub total_runs: u64,
    pub completed_runs: u64,
    pub runs: Vec<RunView<'a>>,
}

impl<'a> SequenceView<'a> {
    fn of(s: &'a SequenceReport) -> Self {
        SequenceView {
            title: (&s.title).into(),
            total_runs: s.total_runs,
            completed_runs: s.completed_runs,
            runs: s.runs.iter().map(RunView::of).collect(),
        }
    }
}

/// Error lines no signature matched, of one shape.
pub struct UnrecognisedView<'a> {
    pub template: Untrusted<'a>,
    pub count: u64,
    pub first: LocationView<'a>,
    pub example: EvidenceView<'a>,
}

impl<'a> UnrecognisedView<'a> {
    fn of(u: &'a Unrecognised) -> Self {
        UnrecognisedView {
            template: (&u.template).into(),
            count: u.count,
            first: LocationView::of(&u.first),
            example: EvidenceView::of(&u.example),
        }
    }
}

/// An input problem.
pub struct ProblemView<'a> {
    pub path: Untrusted<'a>,
    pub message: Untrusted<'a>,
    pub kind: ProblemKind,
}

impl<'a> ProblemView<'a> {
    /// The view of one problem (the scan command prints them to stderr).
    pub fn of(p: &'a InputProblem) -> Self {
        ProblemView {
            path: (&p.path).into(),
            message: (&p.message).into(),
            kind: p.kind,
        }
    }
}

/// Totals (numbers only).
pub struct StatsView {
    pub files: usize,
    pub bytes: u64,
    pub lines: u64,
    pub matches: u64,
    pub rules: usize,
}

/// The whole report.
pub struct ReportView<'a> {
    pub root_causes: Vec<CauseView<'a>>,
    pub findings: Vec<FindingView<'a>>,
    pub sequences: Vec<SequenceView<'a>>,
    pub verdict_note: Option<Untrusted<'a>>,
    pub unrecognised: Vec<UnrecognisedView<'a>>,
    pub problems: Vec<ProblemView<'a>>,
    pub stats: StatsView,
}

impl<'a> ReportView<'a> {
    /// Wraps every string of `report`.
    pub fn of(report: &'a Report) -> Self {
        let s = &report.stats;
        ReportView {
            root_causes: report.root_causes.iter().map(CauseView::of).collect(),
            findings: report.findings.iter().map(FindingView::of).collect(),
            sequences: report.sequences.iter().map(SequenceView::of).collect(),
            verdict_note: report.verdict_note.as_ref().map(Untrusted::from),
            unrecognised: report
                .unrecognised
                .iter()
                .map(UnrecognisedView::of)
                .collect(),
            problems: report.problems.iter().map(ProblemView::of).collect(),
            stats: StatsView {
                files: s.files,
                bytes: s.bytes,
                lines: s.lines,
                matches: s.matches,
                rules: s.rules,
            },
        }
    }
}

/// A matched line (`scan --matches`, `tail` findings).
pub struct MatchView<'a> {
    pub path: Untrusted<'a>,
    pub line: u64,
    pub rule: Untrusted<'a>,
    pub severity: Severity,
    pub text: Untrusted<'a>,
    pub origin: Option<Untrusted<'static>>,
}

impl<'a> MatchView<'a> {
    /// Wraps a matched line; `redact` masks secrets in its text.
    pub fn of(m: &'a MatchLine, redact: bool) -> Self {
        let text = Untrusted::from(&m.text);
        MatchView {
            path: (&m.path).into(),
            line: m.line,
            rule: (&m.rule).into(),
            severity: m.severity,
            text: if redact {
                text.map(super::redact::redact)
            } else {
                text
            },
            origin: origin_label(&m.origin),
        }
    }
}
