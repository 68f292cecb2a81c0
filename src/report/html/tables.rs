//! The HTML report's sections after the cards: the timeline with its
//! controls, sequence progress per run, the findings and the unrecognised
//! errors, all plain HTML tables the page's script can sort and filter.

use std::fmt::Write as _;

use crate::analyze::RunStatus;
use crate::rules::Severity;

use super::super::untrusted::Untrusted;
use super::super::view::{ReportView, RunView, SequenceView};
use super::evidence;
use super::timeline::{self, Kind, Timeline};

const SEVERITIES: [Severity; 4] = [
    Severity::Critical,
    Severity::Error,
    Severity::Warning,
    Severity::Info,
];

/// The timeline, its filters (shown once the script runs) and its legend.
pub(super) fn timeline_section(out: &mut String, t: &Timeline) {
    out.push_str("<section id=\"timeline-section\">\n<h2>Timeline</h2>\n");
    if t.marks.is_empty() {
        out.push_str("<p>Nothing to place on a timeline.</p>\n</section>\n");
        return;
    }
    out.push_str("<form id=\"controls\" hidden>\n<fieldset><legend>Severity</legend>");
    for s in SEVERITIES {
        let _ = write!(
            out,
            "<label><input type=\"checkbox\" name=\"sev\" value=\"{0}\" checked> {0}</label>",
            s.as_str()
        );
    }
    out.push_str("</fieldset>\n<fieldset><legend>Marks</legend>");
    for kind in Kind::FILTERS {
        let _ = write!(
            out,
            "<label><input type=\"checkbox\" name=\"kind\" value=\"{kind}\" checked> {kind}</label>"
        );
    }
    out.push_str("</fieldset>\n<fieldset><legend>Streams</legend>");
    for (i, lane) in t.lanes.iter().enumerate() {
        let _ = write!(
            out,
            "<label><input type=\"checkbox\" name=\"lane\" value=\"{i}\" checked> {}</label>",
            lane.html()
        );
    }
    out.push_str(
        "</fieldset>\n<p><button type=\"button\" id=\"unzoom\">Show the whole window</button> \
         <span class=\"hint\">Drag across the timeline to zoom in; click a mark to see its line.</span></p>\n</form>\n",
    );
    super::svg::svg(out, t);
    out.push_str(
        "<div id=\"tip\" hidden></div>\n<p class=\"legend\">\
         <span class=\"key milestone\"></span> milestone reached \
         <span class=\"key missing\"></span> first missing milestone \
         <span class=\"key stall\"></span> stalled \
         <span class=\"key restart\"></span> restart \
         <span class=\"key sev-critical\"></span> critical \
         <span class=\"key sev-error\"></span> error \
         <span class=\"key sev-warning\"></span> warning \
         <span class=\"key sev-info\"></span> info \
         <span class=\"key unrecognised\"></span> unrecognised error</p>\n</section>\n",
    );
}

/// Each sequence: its incomplete runs milestone by milestone, its completed
/// runs collapsed into a count.
pub(super) fn sequences(out: &mut String, report: &ReportView) {
    if report.sequences.is_empty() {
        return;
    }
    out.push_str("<section id=\"sequences\">\n<h2>Sequence progress</h2>\n");
    for (s, sequence) in report.sequences.iter().enumerate() {
        let _ = writeln!(
            out,
            "<h3>{}</h3>\n<p>{} runs, {} completed.</p>",
            sequence.title.html(),
            sequence.total_runs,
            sequence.completed_runs
        );
        let (done, open): (Vec<_>, Vec<_>) = sequence
            .runs
            .iter()
            .enumerate()
            .partition(|(_, run)| run.status == RunStatus::Completed);
        for (r, run) in &open {
            run_table(out, sequence, s, *r, run);
        }
        if !done.is_empty() {
            let _ = writeln!(
                out,
                "<details class=\"done\"><summary>{} completed runs shown of {}</summary>",
                done.len(),
                sequence.completed_runs
            );
            for (r, run) in &done {
                run_table(out, sequence, s, *r, run);
            }
            out.push_str("</details>\n");
        }
    }
    out.push_str("</section>\n");
}

fn run_table(out: &mut String, sequence: &SequenceView, s: usize, r: usize, run: &RunView) {
    let status = run.status.as_str();
    let key = run
        .key
        .as_ref()
        .map(|k| format!(" <code>{}</code>", k.html()))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "<table class=\"run {status}\" id=\"{}\">\n<caption>Run {}{key}: <span class=\"status\">{status}</span>, \
         {} of {} milestones</caption>\n<thead><tr><th></th><th>Milestone</th><th>Where</th></tr></thead>\n<tbody>",
        timeline::run_id(s, r),
        r + 1,
        run.reached,
        run.steps.len()
    );
    let missing = run.first_missing.as_ref();
    for (i, step) in run.steps.iter().enumerate() {
        let (class, mark) = match (&step.at, missing == Some(&step.id)) {
            (Some(_), _) => ("reached", "✔"),
            (None, true) => ("missing first", "✘"),
            (None, false) => ("missing", "✘"),
        };
        let _ = write!(
            out,
            "<tr class=\"{class}\" id=\"{}\"><td>{mark}</td><td>{}</td><td>",
            timeline::step_id(s, r, i),
            step.title.html()
        );
        if let Some(e) = &step.at {
            evidence(out, e, None);
        }
        out.push_str("</td></tr>\n");
    }
    out.push_str("</tbody></table>\n");
    if !run.unexplained_stall.is_empty() {
        let _ = writeln!(
            out,
            "<p>After the last milestone of <em>{}</em>, nothing explains the stall; the lines that followed:</p>",
            sequence.title.html()
        );
        for e in &run.unexplained_stall {
            evidence(out, e, None);
        }
    }
}

/// A time a finding was seen, on its own line above its place.
fn seen(stamp: Option<&Untrusted>) -> String {
    stamp
        .map(|t| format!("<time>{}</time><br>", t.html()))
        .unwrap_or_default()
}

/// The findings, sortable by any column (`data-sort` holds the sort key).
pub(super) fn findings(out: &mut String, report: &ReportView) {
    if report.findings.is_empty() {
        return;
    }
    out.push_str(
        "<section id=\"findings\">\n<h2>Findings</h2>\n<table class=\"sortable\">\n<thead><tr>\
         <th data-type=\"num\">Severity</th><th>Rule</th><th>Class</th><th data-type=\"num\">Count</th>\
         <th>First seen</th><th>Last seen</th><th>Evidence</th></tr></thead>\n<tbody>\n",
    );
    for (f, finding) in report.findings.iter().enumerate() {
        let sev = finding.severity.as_str();
        let _ = write!(
            out,
            "<tr class=\"sev-{sev}\"><td data-sort=\"{}\"><span class=\"badge sev-{sev}\">{sev}</span></td>\
             <td><code>{}</code><br>{}</td><td>{}</td><td data-sort=\"{}\">{}</td>\
             <td>{}<code>{}:{}</code></td><td>{}<code>{}:{}</code></td><td>",
            finding.severity as u8,
            finding.rule.html(),
            finding.title.html(),
            finding.class.html(),
            finding.count,
            finding.count,
            seen(finding.first_seen.as_ref()),
            finding.first.path.html(),
            finding.first.line,
            seen(finding.last_seen.as_ref()),
            finding.last.path.html(),
            finding.last.line,
        );
        for (i, e) in finding.evidence.iter().enumerate() {
            evidence(out, e, Some(&timeline::evidence_id(f, i)));
        }
        out.push_str("</td></tr>\n");
    }
    out.push_str("</tbody></table>\n</section>\n");
}

/// Error lines no signature matched, by shape.
pub(super) fn unrecognised(out: &mut String, report: &ReportView) {
    if report.unrecognised.is_empty() {
        return;
    }
    out.push_str(
        "<section id=\"unrecognised\">\n<h2>Unrecognised errors</h2>\n<p>No signature matches these lines.</p>\n\
         <table class=\"sortable\">\n<thead><tr><th data-type=\"num\">Count</th><th>Shape</th><th>First</th>\
         <th>Example</th></tr></thead>\n<tbody>\n",
    );
    for (u, shape) in report.unrecognised.iter().enumerate() {
        let _ = write!(
            out,
            "<tr id=\"{}\"><td data-sort=\"{}\">{}</td><td><code>{}</code></td><td><code>{}:{}</code></td><td>",
            timeline::unrecognised_id(u),
            shape.count,
            shape.count,
            shape.template.html(),
            shape.first.path.html(),
            shape.first.line,
        );
        evidence(out, &shape.example, None);
        out.push_str("</td></tr>\n");
    }
    out.push_str("</tbody></table>\n</section>\n");
}
