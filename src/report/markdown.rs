//! The report as Markdown, for an incident ticket: the verdict first, what
//! could not be read, the primary cause and the others ("also a cause")
//! with when and where, log text in code blocks and spans, the sequences
//! that did not complete, and the remaining findings. It renders a
//! [`ReportView`], whose strings can only come out escaped.

use std::fmt::Write as _;

use crate::analyze::{Report, RunStatus};

use super::untrusted::{Untrusted, fenced_block};
use super::view::{CauseView, EvidenceView, ReportView, SequenceView};

/// Renders the full report as Markdown.
pub fn render(report: &Report) -> String {
    render_view(&ReportView::of(report))
}

fn render_view(report: &ReportView) -> String {
    let mut out = String::from("# faultline report\n\n");
    let _ = writeln!(out, "**Verdict:** {}\n", report.verdict.markdown());
    if !report.problems.is_empty() {
        out.push_str("## Problems\n\nWhat follows does not cover these inputs (in full).\n\n");
        for problem in &report.problems {
            let _ = writeln!(
                out,
                "- **{}** {}: {}",
                problem.kind.as_str(),
                problem.path.code_span(),
                problem.message.markdown()
            );
        }
        out.push('\n');
    }
    if report.root_causes.is_empty()
        && let Some(note) = &report.verdict_note
    {
        let _ = writeln!(out, "**No root cause found.** {}\n", note.markdown());
    }
    for (i, cause) in report.root_causes.iter().enumerate() {
        write_cause(&mut out, cause, i == 0);
    }
    for sequence in &report.sequences {
        write_sequence(&mut out, sequence);
    }
    if !report.unrecognised.is_empty() {
        out.push_str("## Unrecognised errors\n\nNo signature matches these lines.\n\n| Count | Shape | First |\n|---|---|---|\n");
        for u in &report.unrecognised {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                u.count,
                u.template.table_code_span(),
                place(&u.example).replace('|', "\\|")
            );
        }
        out.push('\n');
    }
    if !report.others.is_empty() {
        out.push_str(
            "## Other findings\n\n| Severity | Rule | Class | Count | First | Line |\n|---|---|---|---|---|---|\n",
        );
        for f in &report.others {
            let first = f
                .evidence
                .first()
                .map_or_else(String::new, |e| place(e).replace('|', "\\|"));
            let text = f
                .evidence
                .first()
                .map_or_else(String::new, |e| e.text.table_code_span());
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {first} | {text} |",
                f.severity,
                f.rule.table_code_span(),
                f.class.markdown(),
                f.count,
            );
        }
        out.push('\n');
    }
    let s = &report.stats;
    let _ = writeln!(
        out,
        "_{} files, {} lines, {} bytes, {} matches._",
        s.files, s.lines, s.bytes, s.matches
    );
    out
}

/// Where and when a line is: `` `path:line` `` (origin), timestamp.
fn place(e: &EvidenceView) -> String {
    let mut at = e.path.map(|p| format!("{p}:{}", e.line).into()).code_span();
    if let Some(origin) = &e.origin {
        let _ = write!(at, " ({})", origin.markdown());
    }
    if let Some(ts) = &e.timestamp {
        let _ = write!(at, " at {}", ts.markdown());
    }
    at
}

fn write_cause(out: &mut String, cause: &CauseView, primary: bool) {
    let heading = if primary {
        "Root cause"
    } else {
        "Also a cause"
    };
    let _ = writeln!(
        out,
        "## {heading}: {} ({}, {}, {})\n",
        cause.title.markdown(),
        cause.rule.code_span(),
        cause.class.markdown(),
        cause.severity
    );
    let _ = writeln!(out, "{}\n", cause.explanation.markdown());
    if cause.chain.len() > 1 {
        let chain: Vec<String> = cause.chain.iter().map(Untrusted::code_span).collect();
        let _ = writeln!(out, "**Chain:** {}\n", chain.join(" → "));
    }
    out.push_str("**Evidence:**\n\n");
    for (i, e) in cause.evidence.iter().enumerate() {
        let _ = writeln!(out, "- {}\n", place(e));
        // The first piece of evidence with its context; the others alone.
        let mut lines: Vec<&Untrusted> = Vec::new();
        if i == 0 {
            lines.extend(&e.before);
        }
        if e.traceback.is_empty() {
            lines.push(&e.text);
        } else {
            lines.extend(&e.traceback);
        }
        if i == 0 {
            lines.extend(&e.after);
        }
        out.push_str(&fenced_block(lines, "  "));
        out.push('\n');
    }
    if !cause.remediation.is_empty() {
        let _ = writeln!(out, "**Fix:** {}\n", cause.remediation.markdown_with_code());
    }
    if !cause.references.is_empty() {
        out.push_str("**References:**\n\n");
        for reference in &cause.references {
            let _ = writeln!(out, "- {}", reference.markdown_link());
        }
        out.push('\n');
    }
    if !cause.symptoms.is_empty() {
        let symptoms: Vec<String> = cause.symptoms.iter().map(Untrusted::code_span).collect();
        let _ = writeln!(out, "**Symptoms:** {}\n", symptoms.join(", "));
    }
}

fn write_sequence(out: &mut String, sequence: &SequenceView) {
    let unfinished: Vec<_> = sequence
        .runs
        .iter()
        .filter(|r| r.status != RunStatus::Completed)
        .collect();
    let _ = writeln!(
        out,
        "## Sequence: {}\n\n{} of {} runs completed.\n",
        sequence.title.markdown(),
        sequence.completed_runs,
        sequence.total_runs
    );
    for run in unfinished {
        let status = run.status.as_str();
        let key = run
            .key
            .as_ref()
            .map(|k| format!(" {}", k.code_span()))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "### Run{key}: {status} ({}/{})\n",
            run.reached,
            run.steps.len()
        );
        out.push_str("| | Milestone | Where |\n|---|---|---|\n");
        for step in &run.steps {
            let (mark, at) = match &step.at {
                Some(e) => ("✔", place(e).replace('|', "\\|")),
                None => ("✘", String::new()),
            };
            let _ = writeln!(out, "| {mark} | {} | {at} |", step.title.markdown());
        }
        out.push('\n');
        if !run.stall_findings.is_empty() {
            let found: Vec<String> = run
                .stall_findings
                .iter()
                .map(Untrusted::code_span)
                .collect();
            let _ = writeln!(out, "Stalled after: {}\n", found.join(", "));
        }
    }
}
