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
    /// The lines before it (context, or for a process end nothing
    /// explains, the lines of its stream).
    pub before: Vec<Untrusted<'a>>,
    /// The context lines after it.
    pub after: Vec<Untrusted<'a>>,
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
            after: all(&e.after),
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

/// The lines (path, first, last) a piece of evidence quotes as part of its
/// event: its own and its traceback's (context lines are only context: a
/// finding among them is still listed).
fn shown_lines(e: &Evidence) -> (&str, u64, u64) {
    let back = e.traceback.len().saturating_sub(1) as u64;
    (&e.path, e.line.saturating_sub(back), e.line)
}

/// Whether a finding adds nothing below the causes: it is one, or one's
/// symptom, or every line it quotes is part of an event a cause quotes (a
/// traceback's first line, say), so repeating it would only lengthen the
/// report.
fn shown_under_causes(report: &Report, f: &Finding) -> bool {
    let named = report
        .root_causes
        .iter()
        .any(|c| c.rule == f.rule || c.symptoms.contains(&f.rule));
    let spans: Vec<(&str, u64, u64)> = report
        .root_causes
        .iter()
        .flat_map(|c| &c.evidence)
        .map(shown_lines)
        .collect();
    let quoted = !f.evidence.is_empty()
        && f.evidence.iter().all(|e| {
            spans
                .iter()
                .any(|&(path, first, last)| path == e.path && (first..=last).contains(&e.line))
        });
    named || quoted
}

/// The whole report.
pub struct ReportView<'a> {
    /// The report's first line.
    pub verdict: Untrusted<'a>,
    pub root_causes: Vec<CauseView<'a>>,
    pub findings: Vec<FindingView<'a>>,
    /// The findings not shown under a cause (neither one, nor a symptom,
    /// nor quoted in a cause's evidence).
    pub others: Vec<FindingView<'a>>,
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
            verdict: (&report.verdict.text).into(),
            root_causes: report.root_causes.iter().map(CauseView::of).collect(),
            findings: report.findings.iter().map(FindingView::of).collect(),
            others: report
                .findings
                .iter()
                .filter(|f| !shown_under_causes(report, f))
                .map(FindingView::of)
                .collect(),
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
    /// Every rule that matched the line, most severe first.
    pub rules: Vec<Untrusted<'a>>,
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
            rules: m.rules.iter().map(|r| Untrusted::from(&r.rule)).collect(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Engine, Options};

    const LOG: &[u8] = b"INFO start\nTraceback (most recent call last):\n  File \"/app/main.py\", line 3, in <module>\n    run()\nKeyError: 'DATABASE_URL'\nINFO after\n";

    fn report() -> Report {
        let engine = Engine::with_default_rules(Options::default())
            .unwrap_or_else(|_| panic!("the embedded pack loads"));
        engine.report(&engine.scan_bytes("app.log", LOG))
    }

    fn others(report: &Report) -> Vec<String> {
        report
            .findings
            .iter()
            .filter(|f| !shown_under_causes(report, f))
            .map(|f| f.rule.clone())
            .collect()
    }

    #[test]
    fn a_finding_inside_a_cause_s_traceback_is_not_repeated() {
        let mut report = report();
        assert_eq!(report.root_causes[0].rule, "python.env-var-keyerror");
        // Not linked as a symptom, its line (the traceback's first) is
        // still shown under the cause.
        report.root_causes[0].symptoms.clear();
        assert!(
            report
                .findings
                .iter()
                .any(|f| f.rule == "python.unhandled-exception")
        );
        assert!(others(&report).is_empty(), "{:?}", others(&report));
        // Moved past the cause's event, it is listed.
        let finding = report
            .findings
            .iter_mut()
            .find(|f| f.rule == "python.unhandled-exception")
            .unwrap_or_else(|| unreachable!());
        finding.evidence[0].line = 6;
        assert_eq!(others(&report), ["python.unhandled-exception"]);
    }
}
