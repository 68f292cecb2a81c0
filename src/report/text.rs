//! The terminal report: root cause first, its symptoms beneath, the
//! sequences as timelines, then other findings and stats. It renders a
//! [`ReportView`], whose strings can only come out escaped.

use std::fmt::Write as _;

use crate::analyze::{Report, RunStatus};
use crate::rules::Severity;

use super::screen::{self, DEFAULT_COLUMNS};
use super::untrusted::join_terminal;
use super::view::{CauseView, EvidenceView, ReportView, SequenceView};

/// How the text is drawn: ANSI colour (off unless writing to a terminal
/// that wants it) and the width the first screen is fitted to.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    /// The terminal's width in columns, or [`DEFAULT_COLUMNS`] when the
    /// output is not a terminal.
    pub columns: usize,
}

impl Style {
    /// Colour as asked, fitted to a screen `columns` wide (`None`: the
    /// output is not a terminal, so [`DEFAULT_COLUMNS`]).
    pub fn new(color: bool, columns: Option<usize>) -> Style {
        Style {
            color,
            columns: columns.unwrap_or(DEFAULT_COLUMNS),
        }
    }

    /// No colour, the default width: for text written anywhere but a report's terminal.
    pub fn plain() -> Style {
        Style::new(false, None)
    }

    pub(super) fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    pub(super) fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }
    fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }
    pub fn severity(self, severity: Severity) -> String {
        let code = match severity {
            Severity::Critical => "1;31",
            Severity::Error => "31",
            Severity::Warning => "33",
            Severity::Info => "36",
        };
        self.paint(code, severity.as_str())
    }
    fn mark(self, ok: bool) -> String {
        if ok {
            self.paint("32", "✔")
        } else {
            self.paint("31", "✘")
        }
    }
}

/// `path:line [origin] (timestamp)`, each part escaped for the terminal.
fn location(e: &EvidenceView) -> String {
    let mut at = format!("{}:{}", e.path.terminal(), e.line);
    if let Some(origin) = &e.origin {
        at.push_str(&format!(" [{}]", origin.terminal()));
    }
    if let Some(ts) = &e.timestamp {
        at.push_str(&format!(" ({})", ts.terminal()));
    }
    at
}

/// Context lines carry a gutter mark, as grep's `-` separates them from matches.
const GUTTER: &str = "┆ ";

/// One piece of evidence; `context`: with the lines around it.
fn write_evidence(out: &mut String, style: Style, e: &EvidenceView, indent: &str, context: bool) {
    let none = Vec::new();
    let (before, after) = if context {
        (&e.before, &e.after)
    } else {
        (&none, &none)
    };
    for line in before {
        let _ = writeln!(
            out,
            "{indent}{}",
            style.dim(&format!("{GUTTER}{}", line.terminal()))
        );
    }
    let _ = writeln!(
        out,
        "{indent}{}  {}",
        style.dim(&location(e)),
        e.text.terminal()
    );
    for line in &e.traceback {
        let _ = writeln!(out, "{indent}    {}", style.dim(&line.terminal()));
    }
    for line in after {
        let _ = writeln!(
            out,
            "{indent}{}",
            style.dim(&format!("{GUTTER}{}", line.terminal()))
        );
    }
}

/// Causes shown in full (evidence, fix, references); later ones get their
/// heading, where and the explanation, so that an incident with many causes
/// still reads on a screen. The other formats keep every cause in full.
const FULL_CAUSES: usize = 3;

/// Other findings listed below the causes; the rest are counted.
const OTHER_FINDINGS: usize = 10;

/// Input problems listed at the end; the rest are counted (stderr and the
/// JSON report list every one).
const PROBLEMS: usize = 10;

/// Renders the full report: the first screen ([`screen`]), then the details.
pub fn render(report: &Report, style: Style) -> String {
    render_view(&ReportView::of(report), style)
}

fn render_view(report: &ReportView, style: Style) -> String {
    let first = screen::first_screen(report, style);
    let mut out = first.text;
    let causes = &report.root_causes[..first.causes];
    for (i, cause) in causes.iter().enumerate() {
        let heading = if i == 0 { "ROOT CAUSE" } else { "ALSO A CAUSE" };
        if i < FULL_CAUSES {
            write_cause(&mut out, style, report, cause, heading);
        } else {
            write_brief_cause(&mut out, style, cause, heading);
        }
    }
    if causes.len() > FULL_CAUSES {
        out.push_str("  (causes after the first three in brief: --format json, markdown or html has them in full)\n");
    }
    if let Some(line) = screen::left_out(causes.len(), report.root_causes.len()) {
        let _ = writeln!(out, "{line}");
    }
    if causes.len() > FULL_CAUSES || causes.len() < report.root_causes.len() {
        out.push('\n');
    }
    for sequence in &report.sequences {
        write_sequence(&mut out, style, sequence);
    }
    if !report.others.is_empty() {
        let _ = writeln!(out, "{}", style.bold("OTHER FINDINGS"));
        for f in report.others.iter().take(OTHER_FINDINGS) {
            let _ = writeln!(
                out,
                "  [{}] {} ×{} ({})  {}:{}",
                style.severity(f.severity),
                f.title.terminal(),
                f.count,
                f.rule.terminal(),
                f.first.path.terminal(),
                f.first.line
            );
            if let Some(e) = f.evidence.first() {
                let _ = writeln!(out, "      {}", e.text.terminal());
            }
        }
        if let Some(more) = screen::more(report.others.len(), OTHER_FINDINGS, "finding") {
            let _ = writeln!(out, "  {more}: --format json lists every finding");
        }
        out.push('\n');
    }
    if !report.unrecognised.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            style.bold("UNRECOGNISED ERRORS (no signature matches them)")
        );
        for u in &report.unrecognised {
            let _ = writeln!(
                out,
                "  ×{} {}  {}",
                u.count,
                u.template.terminal(),
                style.dim(&location(&u.example))
            );
        }
        out.push('\n');
    }
    for problem in report.problems.iter().take(PROBLEMS) {
        let _ = writeln!(
            out,
            "{}: {}: {}",
            problem.kind.as_str(),
            problem.path.terminal(),
            problem.message.terminal()
        );
    }
    if let Some(more) = screen::more(report.problems.len(), PROBLEMS, "input problem") {
        let _ = writeln!(out, "{more}: stderr and --format json list every one");
    }
    let s = &report.stats;
    let _ = writeln!(
        out,
        "{}",
        style.dim(&format!(
            "{} files, {} lines, {} bytes, {} matches, {} rules",
            s.files, s.lines, s.bytes, s.matches, s.rules
        ))
    );
    out
}

/// A cause in full: explanation, chain, evidence (the first piece with
/// its context), fix, references and the symptoms it explains.
fn write_cause(
    out: &mut String,
    style: Style,
    report: &ReportView,
    cause: &CauseView,
    heading: &str,
) {
    let _ = writeln!(
        out,
        "{} [{}] {} ({}, {})",
        style.bold(heading),
        style.severity(cause.severity),
        style.bold(&cause.title.terminal()),
        cause.rule.terminal(),
        cause.class.terminal()
    );
    let _ = writeln!(out, "  {}", cause.explanation.terminal());
    if cause.chain.len() > 1 {
        let _ = writeln!(out, "  chain: {}", join_terminal(&cause.chain, " → "));
    }
    let _ = writeln!(out, "  evidence:");
    for (i, e) in cause.evidence.iter().enumerate() {
        write_evidence(out, style, e, "    ", i == 0);
    }
    if !cause.remediation.is_empty() {
        let _ = writeln!(
            out,
            "  fix: {}",
            cause.remediation.terminal_lines().join("\n       ")
        );
    }
    if !cause.references.is_empty() {
        let _ = writeln!(out, "  see: {}", join_terminal(&cause.references, "; "));
    }
    for symptom in &cause.symptoms {
        if let Some(f) = report.findings.iter().find(|f| &f.rule == symptom) {
            let _ = writeln!(
                out,
                "  symptom: [{}] {} ×{}  {}:{}",
                style.severity(f.severity),
                f.title.terminal(),
                f.count,
                f.first.path.terminal(),
                f.first.line
            );
        }
    }
    out.push('\n');
}

/// A cause in brief: its heading, where, and the explanation.
fn write_brief_cause(out: &mut String, style: Style, cause: &CauseView, heading: &str) {
    let at = cause.evidence.first().map(location).unwrap_or_default();
    let _ = writeln!(
        out,
        "{} [{}] {} ({}, {})  {}",
        style.bold(heading),
        style.severity(cause.severity),
        cause.title.terminal(),
        cause.rule.terminal(),
        cause.class.terminal(),
        style.dim(&at)
    );
    let _ = writeln!(out, "  {}", cause.explanation.terminal());
}

/// Runs that did not complete shown step by step per sequence: enough to
/// see where they stop, few enough for the report to fit a screen.
const RUNS_STEP_BY_STEP: usize = 3;

fn write_sequence(out: &mut String, style: Style, sequence: &SequenceView) {
    // Completed runs say nothing new: one line of counts for all of them.
    if sequence.completed_runs > 0 {
        let steps = sequence.runs.first().map_or(0, |r| r.steps.len());
        let _ = writeln!(
            out,
            "{} {}: {} of {} runs {} ({steps}/{steps})",
            style.bold("SEQUENCE"),
            sequence.title.terminal(),
            sequence.completed_runs,
            sequence.total_runs,
            style.paint("32", "completed"),
        );
    }
    let unfinished = sequence
        .runs
        .iter()
        .enumerate()
        .filter(|(_, r)| r.status != RunStatus::Completed)
        .take(RUNS_STEP_BY_STEP);
    for (n, run) in unfinished {
        let key = run
            .key
            .as_ref()
            .map(|k| format!(" {}", k.terminal()))
            .unwrap_or_default();
        let status = match run.status {
            RunStatus::Completed => style.paint("32", "completed"),
            RunStatus::Stalled => style.paint("31", "stalled"),
            RunStatus::Running => style.paint("33", "running"),
        };
        let _ = writeln!(
            out,
            "{} {} run {}{key}: {status} ({}/{})",
            style.bold("SEQUENCE"),
            sequence.title.terminal(),
            n + 1,
            run.reached,
            run.steps.len()
        );
        for step in &run.steps {
            match &step.at {
                Some(at) => {
                    let _ = writeln!(
                        out,
                        "  {} {}  {}",
                        style.mark(true),
                        step.title.terminal(),
                        style.dim(&location(at))
                    );
                }
                None => {
                    let _ = writeln!(out, "  {} {}", style.mark(false), step.title.terminal());
                }
            }
            if run.first_missing.as_ref() == Some(&step.id) && !run.stall_findings.is_empty() {
                let _ = writeln!(
                    out,
                    "      ↳ stalled here after: {}",
                    join_terminal(&run.stall_findings, ", ")
                );
            }
        }
        if !run.out_of_order.is_empty() {
            let _ = writeln!(
                out,
                "  out of order: {}",
                join_terminal(&run.out_of_order, ", ")
            );
        }
        if !run.unexplained_stall.is_empty() {
            let _ = writeln!(
                out,
                "  no signature explains this stall; the lines after the last milestone:"
            );
            for e in &run.unexplained_stall {
                write_evidence(out, style, e, "    ", false);
            }
        }
    }
    let unfinished = sequence.total_runs.saturating_sub(sequence.completed_runs);
    let shown = sequence
        .runs
        .iter()
        .filter(|r| r.status != RunStatus::Completed)
        .take(RUNS_STEP_BY_STEP)
        .count() as u64;
    if unfinished > shown {
        let _ = writeln!(
            out,
            "  … {unfinished} runs did not complete; the first {shown} are shown (--format json lists up to 25)"
        );
    }
    out.push('\n');
}
