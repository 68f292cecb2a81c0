//! The report as one self-contained HTML page: the verdict, root-cause
//! cards, a timeline of the streams, sequence progress, the findings and
//! the Markdown report to copy. Everything is inline (CSS, script, SVG) and
//! a Content-Security-Policy forbids fetching anything, so the page works
//! offline and leaks nothing when opened. Without script it still reads as
//! plain HTML (the timeline included); the script adds zoom, filters,
//! tooltips, sorting and the copy button.
//!
//! Like the other renderers it sees the report only through [`ReportView`],
//! so every quoted string comes out escaped ([`Untrusted::html`]); the page
//! is a function of the report alone, so its size is bounded by the
//! report's, and the same report gives the same bytes.

mod svg;
mod tables;
mod timeline;

use std::fmt::Write as _;

use crate::analyze::Report;
use crate::rules::Severity;

use super::untrusted::Untrusted;
use super::view::{CauseView, EvidenceView, ReportView};
use timeline::Timeline;

const CSS: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");
/// Runs before anything else, so the page records its own script errors
/// (on the root element, where a test or a curious reader finds them).
const ERROR_CAPTURE: &str = "window.addEventListener('error',function(e){var r=document.documentElement;\
r.setAttribute('data-errors',(r.getAttribute('data-errors')||'')+(e.message||'error')+'\\n');});";
/// No fetches of any kind: only the page's own inline style and script run.
const POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

/// Renders the full report as an HTML page.
pub fn render(report: &Report) -> String {
    let markdown = super::markdown::render(report);
    render_view(&ReportView::of(report), &markdown)
}

fn render_view(report: &ReportView, markdown: &str) -> String {
    let verdict = verdict(report);
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{POLICY}\">\n\
         <title>faultline: {}</title>\n<style>\n{CSS}</style>\n<script>{ERROR_CAPTURE}</script>\n\
         </head>\n<body>\n<header>\n<h1>faultline report</h1>\n",
        verdict.title
    );
    let _ = writeln!(
        out,
        "<p id=\"verdict\" class=\"verdict sev-{}\">{}</p>",
        verdict.severity.map_or("none", Severity::as_str),
        verdict.text
    );
    let s = &report.stats;
    let _ = writeln!(
        out,
        "<p class=\"stats\">{} files, {} lines, {} bytes, {} matches, {} rules.</p>\n</header>",
        s.files, s.lines, s.bytes, s.matches, s.rules
    );
    problems(&mut out, report);
    let timeline = Timeline::of(report);
    tables::timeline_section(&mut out, &timeline);
    causes(&mut out, &report.root_causes);
    tables::sequences(&mut out, report);
    tables::findings(&mut out, report);
    tables::unrecognised(&mut out, report);
    markdown_section(&mut out, markdown);
    let _ = write!(out, "<script>\n{SCRIPT}</script>\n</body>\n</html>\n");
    out
}

/// The one-line answer at the top of the page.
struct Verdict {
    /// For `<title>` (no markup).
    title: String,
    /// For the page (may hold markup; untrusted parts escaped).
    text: String,
    severity: Option<Severity>,
}

fn verdict(report: &ReportView) -> Verdict {
    match report.root_causes.first() {
        Some(cause) => {
            let more = match report.root_causes.len() {
                1 => String::new(),
                n => format!(" (and {} more)", n - 1),
            };
            Verdict {
                title: format!("{}{more}", cause.title.html()),
                text: format!(
                    "<strong>Root cause:</strong> {} <code>{}</code>{more}: {}",
                    cause.title.html(),
                    cause.rule.html(),
                    cause.explanation.html()
                ),
                severity: Some(cause.severity),
            }
        }
        None => {
            let note = report.verdict_note.as_ref().map(Untrusted::html);
            Verdict {
                title: "no root cause found".into(),
                text: format!(
                    "<strong>No root cause found.</strong> {}",
                    note.unwrap_or_default()
                ),
                severity: None,
            }
        }
    }
}

fn problems(out: &mut String, report: &ReportView) {
    if report.problems.is_empty() {
        return;
    }
    out.push_str(
        "<section id=\"problems\">\n<h2>Problems</h2>\n\
         <p>What follows does not cover these inputs (in full).</p>\n<ul>\n",
    );
    for p in &report.problems {
        let _ = writeln!(
            out,
            "<li><strong>{}</strong> <code>{}</code>: {}</li>",
            p.kind.as_str(),
            p.path.html(),
            p.message.html()
        );
    }
    out.push_str("</ul>\n</section>\n");
}

fn causes(out: &mut String, causes: &[CauseView]) {
    if causes.is_empty() {
        return;
    }
    out.push_str("<section id=\"causes\">\n<h2>Root causes</h2>\n");
    for (i, cause) in causes.iter().enumerate() {
        let sev = cause.severity.as_str();
        let _ = writeln!(
            out,
            "<article class=\"card sev-{sev}\" id=\"cause-{i}\">\n\
             <h3><span class=\"badge sev-{sev}\">{sev}</span> {}</h3>\n\
             <p class=\"meta\"><code>{}</code> · {}</p>\n<p>{}</p>",
            cause.title.html(),
            cause.rule.html(),
            cause.class.html(),
            cause.explanation.html()
        );
        if cause.chain.len() > 1 {
            let _ = writeln!(
                out,
                "<p class=\"chain\"><strong>Chain:</strong> {}</p>",
                code_list(&cause.chain, " → ")
            );
        }
        out.push_str("<h4>Evidence</h4>\n");
        for (j, e) in cause.evidence.iter().enumerate() {
            evidence(out, e, Some(&format!("cause-{i}-e{j}")));
        }
        if !cause.remediation.is_empty() {
            let _ = writeln!(
                out,
                "<p class=\"fix\"><strong>Fix:</strong> {}</p>",
                cause.remediation.html()
            );
        }
        if !cause.symptoms.is_empty() {
            let _ = writeln!(
                out,
                "<p><strong>Symptoms:</strong> {}</p>",
                code_list(&cause.symptoms, ", ")
            );
        }
        if !cause.references.is_empty() {
            out.push_str("<p><strong>See:</strong></p>\n<ul class=\"refs\">\n");
            for reference in &cause.references {
                match reference.html_href() {
                    Some(href) => {
                        let _ = writeln!(
                            out,
                            "<li><a href=\"{href}\" rel=\"noreferrer noopener\">{href}</a></li>"
                        );
                    }
                    None => {
                        let _ = writeln!(out, "<li>{}</li>", reference.html());
                    }
                }
            }
            out.push_str("</ul>\n");
        }
        out.push_str("</article>\n");
    }
    out.push_str("</section>\n");
}

/// One quoted line: where it is, the lines before it (for an outcome), the
/// line, and its traceback.
fn evidence(out: &mut String, e: &EvidenceView, id: Option<&str>) {
    let id = id.map(|id| format!(" id=\"{id}\"")).unwrap_or_default();
    let _ = write!(
        out,
        "<div class=\"ev\"{id}><div class=\"where\"><code>{}:{}</code>",
        e.path.html(),
        e.line
    );
    if let Some(origin) = &e.origin {
        let _ = write!(out, " <span class=\"origin\">{}</span>", origin.html());
    }
    if let Some(ts) = &e.timestamp {
        let _ = write!(out, " <time>{}</time>", ts.html());
    }
    out.push_str("</div>");
    if !e.before.is_empty() {
        let _ = write!(
            out,
            "<pre class=\"context\" title=\"the lines before it\">{}</pre>",
            lines(&e.before)
        );
    }
    let _ = write!(out, "<pre class=\"line\">{}</pre>", e.text.html());
    if !e.traceback.is_empty() {
        let _ = write!(out, "<pre class=\"context\">{}</pre>", lines(&e.traceback));
    }
    out.push_str("</div>\n");
}

fn lines(lines: &[Untrusted]) -> String {
    lines
        .iter()
        .map(Untrusted::html)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Each item escaped as `<code>`, joined with `separator`.
fn code_list(items: &[Untrusted], separator: &str) -> String {
    items
        .iter()
        .map(|item| format!("<code>{}</code>", item.html()))
        .collect::<Vec<_>>()
        .join(separator)
}

/// The Markdown report in a text area (escaped: no text inside can end it),
/// with a button to copy it.
fn markdown_section(out: &mut String, markdown: &str) {
    let text: Vec<String> = markdown
        .lines()
        .map(|line| Untrusted::new(line).html())
        .collect();
    let _ = writeln!(
        out,
        "<section id=\"markdown\">\n<h2>Markdown</h2>\n\
         <p><button id=\"copy\" type=\"button\" hidden>Copy as Markdown</button> \
         <span id=\"copied\" role=\"status\"></span></p>\n\
         <details><summary>The report as Markdown, for a ticket</summary>\n\
         <textarea id=\"md\" readonly rows=\"24\" spellcheck=\"false\">\n{}\n</textarea></details>\n</section>",
        text.join("\n")
    );
}
