//! The report as Markdown, for an incident ticket.

use std::fmt::Write as _;

use crate::analyze::{Report, RunStatus};

use super::sanitize::markdown as md;

/// Renders the full report as Markdown.
pub fn render(report: &Report) -> String {
    let mut out = String::from("# faultline report\n\n");
    if !report.problems.is_empty() {
        out.push_str("## Problems\n\nWhat follows does not cover these inputs (in full).\n\n");
        for problem in &report.problems {
            let _ = writeln!(
                out,
                "- **{}** `{}`: {}",
                problem.kind.as_str(),
                md(&problem.path),
                md(&problem.message)
            );
        }
        out.push('\n');
    }
    if report.root_causes.is_empty() {
        let _ = writeln!(
            out,
            "**No root cause found.** {}\n",
            report.verdict_note.as_deref().map(md).unwrap_or_default()
        );
    }
    for cause in &report.root_causes {
        let _ = writeln!(
            out,
            "## Root cause: {} (`{}`, {}, {})\n",
            md(&cause.title),
            cause.rule,
            cause.class,
            cause.severity
        );
        let _ = writeln!(out, "{}\n", md(&cause.explanation));
        if cause.chain.len() > 1 {
            let _ = writeln!(
                out,
                "Chain: {}\n",
                cause
                    .chain
                    .iter()
                    .map(|c| md(c))
                    .collect::<Vec<_>>()
                    .join(" → ")
            );
        }
        let _ = writeln!(out, "Evidence:\n");
        for e in &cause.evidence {
            let origin = e
                .origin
                .label()
                .map(|label| format!(" ({})", md(&label)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "- `{}:{}`{origin} {}",
                md(&e.path),
                e.line,
                md(&e.text)
            );
            if !e.traceback.is_empty() {
                out.push_str("\n  ```text\n");
                for line in &e.traceback {
                    let _ = writeln!(out, "  {}", line.replace("```", "'''"));
                }
                out.push_str("  ```\n");
            }
        }
        if !cause.remediation.is_empty() {
            let _ = writeln!(out, "\n**Fix:** {}\n", md(&cause.remediation));
        }
        if !cause.symptoms.is_empty() {
            let _ = writeln!(
                out,
                "Symptoms: {}\n",
                cause
                    .symptoms
                    .iter()
                    .map(|s| format!("`{s}`"))
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
            let _ = writeln!(
                out,
                "## Sequence: {} — run {} ({status})\n",
                md(&sequence.title),
                n + 1
            );
            out.push_str("| | Milestone | Where |\n|---|---|---|\n");
            for step in &run.steps {
                let (mark, at) = match &step.at {
                    Some(e) => ("✔", format!("{}:{}", md(&e.path), e.line)),
                    None => ("✘", String::new()),
                };
                let _ = writeln!(out, "| {mark} | {} | {at} |", md(&step.title));
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
                md(&u.template),
                md(&u.first.path),
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
                "| {} | `{}` | {} | {} | {}:{} |",
                f.severity,
                f.rule,
                f.class,
                f.count,
                md(&f.first.path),
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
