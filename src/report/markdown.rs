//! The report as Markdown, for an incident ticket. It renders a
//! [`ReportView`], whose strings can only come out escaped.

use std::fmt::Write as _;

use crate::analyze::{Report, RunStatus};

use super::untrusted::fenced_block;
use super::view::ReportView;

/// Renders the full report as Markdown.
pub fn render(report: &Report) -> String {
    render_view(&ReportView::of(report))
}

fn render_view(report: &ReportView) -> String {
    let mut out = String::from("# faultline report\n\n");
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
    if report.root_causes.is_empty() {
        let _ = writeln!(
            out,
            "**No root cause found.** {}\n",
            report
                .verdict_note
                .as_ref()
                .map(|n| n.markdown())
                .unwrap_or_default()
        );
    }
    for cause in &report.root_causes {
        let _ = writeln!(
            out,
            "## Root cause: {} ({}, {}, {})\n",
            cause.title.markdown(),
            cause.rule.code_span(),
            cause.class.markdown(),
            cause.severity
        );
        let _ = writeln!(out, "{}\n", cause.explanation.markdown());
        if cause.chain.len() > 1 {
            let _ = writeln!(
                out,
                "Chain: {}\n",
                cause
                    .chain
                    .iter()
                    .map(|c| c.markdown())
                    .collect::<Vec<_>>()
                    .join(" → ")
            );
        }
        let _ = writeln!(out, "Evidence:\n");
        for e in &cause.evidence {
            let origin = e
                .origin
                .as_ref()
                .map(|label| format!(" ({})", label.markdown()))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "- {}{origin} {}",
                e.path.map(|p| format!("{p}:{}", e.line).into()).code_span(),
                e.text.markdown()
            );
            if !e.traceback.is_empty() {
                out.push('\n');
                out.push_str(&fenced_block(&e.traceback, "  "));
            }
        }
        if !cause.remediation.is_empty() {
            let _ = writeln!(out, "\n**Fix:** {}\n", cause.remediation.markdown());
        }
        if !cause.symptoms.is_empty() {
            let _ = writeln!(
                out,
                "Symptoms: {}\n",
                cause
                    .symptoms
                    .iter()
                    .map(|s| s.code_span())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    for sequence in &report.sequences {
        for (n, run) in sequence.runs.iter().enumerate() {
            let status = match run.status {
                RunStatus::Completed => "completed",
                RunStatus::Stalled => "stalled",
                RunStatus::Running => "running",
            };
            let key = run
                .key
                .as_ref()
                .map(|k| format!(" {}", k.markdown()))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "## Sequence: {} — run {}{key} ({status})\n",
                sequence.title.markdown(),
                n + 1
            );
            out.push_str("| | Milestone | Where |\n|---|---|---|\n");
            for step in &run.steps {
                let (mark, at) = match &step.at {
                    Some(e) => ("✔", format!("{}:{}", e.path.markdown(), e.line)),
                    None => ("✘", String::new()),
                };
                let _ = writeln!(out, "| {mark} | {} | {at} |", step.title.markdown());
            }
            out.push('\n');
        }
    }
    if !report.unrecognised.is_empty() {
        out.push_str("## Unrecognised errors\n\nNo signature matches these lines.\n\n| Count | Shape | First |\n|---|---|---|\n");
        for u in &report.unrecognised {
            let _ = writeln!(
                out,
                "| {} | {} | {}:{} |",
                u.count,
                u.template.markdown(),
                u.first.path.markdown(),
                u.first.line
            );
        }
        out.push('\n');
    }
    if !report.findings.is_empty() {
        out.push_str(
            "## Findings\n\n| Severity | Rule | Class | Count | First |\n|---|---|---|---|---|\n",
        );
        for f in &report.findings {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {}:{} |",
                f.severity,
                f.rule.table_code_span(),
                f.class.markdown(),
                f.count,
                f.first.path.markdown(),
                f.first.line
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
