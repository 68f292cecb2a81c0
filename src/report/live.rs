//! Renderers of live-session events (`faultline tail`): one line per
//! finding, milestone and stall, as text for people or JSON lines for
//! machines. Notes and problems go to stderr in text mode.

use std::time::Duration;

use crate::analyze::Report;
use crate::analyze::model::MatchLine;

use super::redact::redact;
use super::sanitize::terminal;
use super::text::Style;

/// A milestone as events name it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StepName {
    pub id: String,
    pub title: String,
}

/// Something worth saying while following.
#[derive(Debug, Clone)]
pub enum LiveEvent {
    /// A rule matched a line.
    Finding {
        found: MatchLine,
        timestamp: Option<String>,
    },
    /// A run reached a milestone.
    Progress {
        path: String,
        line: u64,
        sequence: StepName,
        key: Option<String>,
        milestone: StepName,
        reached: usize,
        total: usize,
        waiting_for: Option<StepName>,
    },
    /// A run has not progressed for the `--stall-after` time.
    Stall {
        sequence: StepName,
        key: Option<String>,
        reached: usize,
        total: usize,
        last: Option<StepName>,
        waiting_for: Option<StepName>,
        idle: Duration,
        findings: Vec<String>,
    },
    /// About an input: rotated, truncated, waiting for it, replay skipped lines.
    Note { path: String, message: String },
    /// An input could not be read.
    Problem { path: String, message: String },
}

/// How events are written.
#[derive(Debug, Clone, Copy)]
pub struct LiveStyle {
    /// JSON lines instead of text.
    pub json: bool,
    pub style: Style,
    /// Mask secrets in quoted log text.
    pub redact: bool,
}

/// What to print: to stdout and to stderr.
#[derive(Debug, Default)]
pub struct Rendered {
    pub out: String,
    pub err: String,
}

fn key_text(key: &Option<String>) -> String {
    key.as_deref()
        .map(|k| format!(" {}", terminal(k)))
        .unwrap_or_default()
}

fn id(step: &Option<StepName>) -> Option<&str> {
    step.as_ref().map(|s| s.id.as_str())
}

/// Renders events in order.
pub fn render(events: &[LiveEvent], how: LiveStyle) -> Rendered {
    let mut rendered = Rendered::default();
    for event in events {
        render_one(event, how, &mut rendered);
    }
    rendered
}

fn render_one(event: &LiveEvent, how: LiveStyle, to: &mut Rendered) {
    let style = how.style;
    match event {
        LiveEvent::Finding { found, timestamp } => {
            let text = if how.redact {
                redact(&found.text)
            } else {
                std::borrow::Cow::Borrowed(found.text.as_str())
            };
            if how.json {
                let object = serde_json::json!({
                    "event": "finding", "path": found.path, "line": found.line, "rule": found.rule,
                    "class": found.class, "severity": found.severity, "text": text,
                    "timestamp": timestamp, "origin": found.origin,
                });
                to.out.push_str(&super::json_line(&object));
                return;
            }
            let origin = found
                .origin
                .label()
                .map(|label| format!(" [{}]", terminal(&label)))
                .unwrap_or_default();
            let location = format!("{}:{}:{origin}", terminal(&found.path), found.line);
            let location = if style.color {
                format!("\x1b[35m{location}\x1b[0m")
            } else {
                location
            };
            to.out.push_str(&format!(
                "{location} [{}] {}: {}\n",
                style.severity(found.severity),
                found.rule,
                terminal(&text)
            ));
        }
        LiveEvent::Progress {
            path,
            line,
            sequence,
            key,
            milestone,
            reached,
            total,
            waiting_for,
        } => {
            if how.json {
                let object = serde_json::json!({
                    "event": "progress", "path": path, "line": line, "sequence": sequence.id, "key": key,
                    "milestone": milestone.id, "reached": reached, "total": total,
                    "waiting_for": id(waiting_for),
                });
                to.out.push_str(&super::json_line(&object));
                return;
            }
            let state = match waiting_for {
                Some(w) => format!("waiting for {}", w.title),
                None => "completed".to_string(),
            };
            to.out.push_str(&format!(
                "{}:{line}: {}{} {reached}/{total}: {} reached; {state}\n",
                terminal(path),
                sequence.title,
                key_text(key),
                milestone.title
            ));
        }
        LiveEvent::Stall {
            sequence,
            key,
            reached,
            total,
            last,
            waiting_for,
            idle,
            findings,
        } => {
            let idle = idle.as_secs_f64();
            if how.json {
                let object = serde_json::json!({
                    "event": "stall", "sequence": sequence.id, "key": key, "reached": reached,
                    "total": total, "last": id(last), "waiting_for": id(waiting_for),
                    "idle_seconds": idle.round(), "findings": findings,
                });
                to.out.push_str(&super::json_line(&object));
                return;
            }
            let findings = if findings.is_empty() {
                String::new()
            } else {
                format!(
                    "; findings since {}: {}",
                    last.as_ref().map_or("the start", |l| l.title.as_str()),
                    findings.join(", ")
                )
            };
            to.out.push_str(&format!(
                "stall: {}{} {reached}/{total}: no progress for {idle:.0}s, waiting for {}{findings}\n",
                sequence.title,
                key_text(key),
                waiting_for.as_ref().map_or("?", |w| w.title.as_str())
            ));
        }
        LiveEvent::Note { path, message } => {
            if how.json {
                let object = serde_json::json!({"event": "note", "path": path, "message": message});
                to.out.push_str(&super::json_line(&object));
            } else {
                to.err.push_str(&format!(
                    "faultline: {}: {}\n",
                    terminal(path),
                    terminal(message)
                ));
            }
        }
        LiveEvent::Problem { path, message } => {
            to.err.push_str(&format!(
                "faultline: {}: {}\n",
                terminal(path),
                terminal(message)
            ));
        }
    }
}

/// The final report, after the events.
pub fn render_report(report: &Report, how: LiveStyle) -> String {
    if how.json {
        super::json_line(&serde_json::json!({"event": "report", "report": report}))
    } else {
        format!("\n{}", super::text::render(report, how.style))
    }
}
