//! Renderers of live-session events (`faultline tail`): one line per
//! finding, milestone and stall, as text for people or JSON lines for
//! machines. Notes and problems go to stderr in text mode.

use std::time::Duration;

use crate::analyze::Report;
use crate::analyze::model::MatchLine;

use super::redact::redact;
use super::text::Style;
use super::untrusted::{Untrusted, join_terminal};
use super::view::MatchView;

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

fn id(step: &Option<StepName>) -> Option<&str> {
    step.as_ref().map(|s| s.id.as_str())
}

/// Renders events in order.
pub fn render(events: &[LiveEvent], how: LiveStyle) -> Rendered {
    let mut rendered = Rendered::default();
    for event in events {
        if how.json {
            json_event(event, how.redact, &mut rendered);
        } else {
            text_event(&EventView::of(event, how.redact), how.style, &mut rendered);
        }
    }
    rendered
}

/// One event as a JSON line (serde escapes what the event quotes).
fn json_event(event: &LiveEvent, redact_secrets: bool, to: &mut Rendered) {
    let object = match event {
        LiveEvent::Finding { found, timestamp } => {
            let text = if redact_secrets {
                redact(&found.text)
            } else {
                std::borrow::Cow::Borrowed(found.text.as_str())
            };
            serde_json::json!({
                "event": "finding", "path": found.path, "line": found.line, "rule": found.rule,
                "class": found.class, "severity": found.severity, "text": text,
                "timestamp": timestamp, "origin": found.origin,
            })
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
        } => serde_json::json!({
            "event": "progress", "path": path, "line": line, "sequence": sequence.id, "key": key,
            "milestone": milestone.id, "reached": reached, "total": total,
            "waiting_for": id(waiting_for),
        }),
        LiveEvent::Stall {
            sequence,
            key,
            reached,
            total,
            last,
            waiting_for,
            idle,
            findings,
        } => serde_json::json!({
            "event": "stall", "sequence": sequence.id, "key": key, "reached": reached,
            "total": total, "last": id(last), "waiting_for": id(waiting_for),
            "idle_seconds": idle.as_secs_f64().round(), "findings": findings,
        }),
        LiveEvent::Note { path, message } => {
            serde_json::json!({"event": "note", "path": path, "message": message})
        }
        LiveEvent::Problem { path, message } => {
            // Problems go to stderr as text, as in text mode.
            text_event(
                &EventView::Problem {
                    path: path.into(),
                    message: message.into(),
                },
                Style::plain(),
                to,
            );
            return;
        }
    };
    to.out.push_str(&super::json_line(&object));
}

/// What the text renderer sees of an event: every string [`Untrusted`].
enum EventView<'a> {
    Finding(MatchView<'a>),
    Progress {
        path: Untrusted<'a>,
        line: u64,
        sequence: Untrusted<'a>,
        key: Option<Untrusted<'a>>,
        milestone: Untrusted<'a>,
        reached: usize,
        total: usize,
        waiting_for: Option<Untrusted<'a>>,
    },
    Stall {
        sequence: Untrusted<'a>,
        key: Option<Untrusted<'a>>,
        reached: usize,
        total: usize,
        last: Option<Untrusted<'a>>,
        waiting_for: Option<Untrusted<'a>>,
        idle: Duration,
        findings: Vec<Untrusted<'a>>,
    },
    Note {
        path: Untrusted<'a>,
        message: Untrusted<'a>,
    },
    Problem {
        path: Untrusted<'a>,
        message: Untrusted<'a>,
    },
}

impl<'a> EventView<'a> {
    fn of(event: &'a LiveEvent, redact_secrets: bool) -> Self {
        let title = |step: &'a Option<StepName>| step.as_ref().map(|s| (&s.title).into());
        match event {
            LiveEvent::Finding { found, .. } => {
                EventView::Finding(MatchView::of(found, redact_secrets))
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
            } => EventView::Progress {
                path: path.into(),
                line: *line,
                sequence: (&sequence.title).into(),
                key: key.as_ref().map(Untrusted::from),
                milestone: (&milestone.title).into(),
                reached: *reached,
                total: *total,
                waiting_for: title(waiting_for),
            },
            LiveEvent::Stall {
                sequence,
                key,
                reached,
                total,
                last,
                waiting_for,
                idle,
                findings,
            } => EventView::Stall {
                sequence: (&sequence.title).into(),
                key: key.as_ref().map(Untrusted::from),
                reached: *reached,
                total: *total,
                last: title(last),
                waiting_for: title(waiting_for),
                idle: *idle,
                findings: findings.iter().map(Untrusted::from).collect(),
            },
            LiveEvent::Note { path, message } => EventView::Note {
                path: path.into(),
                message: message.into(),
            },
            LiveEvent::Problem { path, message } => EventView::Problem {
                path: path.into(),
                message: message.into(),
            },
        }
    }
}

fn key_text(key: &Option<Untrusted>) -> String {
    key.as_ref()
        .map(|k| format!(" {}", k.terminal()))
        .unwrap_or_default()
}

fn text_event(event: &EventView, style: Style, to: &mut Rendered) {
    match event {
        EventView::Finding(found) => {
            let location = super::matches::location(found, style);
            to.out.push_str(&format!(
                "{location} [{}] {}: {}\n",
                style.severity(found.severity),
                found.rule.terminal(),
                found.text.terminal()
            ));
        }
        EventView::Progress {
            path,
            line,
            sequence,
            key,
            milestone,
            reached,
            total,
            waiting_for,
        } => {
            let state = match waiting_for {
                Some(w) => format!("waiting for {}", w.terminal()),
                None => "completed".to_string(),
            };
            to.out.push_str(&format!(
                "{}:{line}: {}{} {reached}/{total}: {} reached; {state}\n",
                path.terminal(),
                sequence.terminal(),
                key_text(key),
                milestone.terminal()
            ));
        }
        EventView::Stall {
            sequence,
            key,
            reached,
            total,
            last,
            waiting_for,
            idle,
            findings,
        } => {
            let findings = if findings.is_empty() {
                String::new()
            } else {
                format!(
                    "; findings since {}: {}",
                    last.as_ref()
                        .map_or_else(|| "the start".to_string(), Untrusted::terminal),
                    join_terminal(findings, ", ")
                )
            };
            to.out.push_str(&format!(
                "stall: {}{} {reached}/{total}: no progress for {:.0}s, waiting for {}{findings}\n",
                sequence.terminal(),
                key_text(key),
                idle.as_secs_f64(),
                waiting_for
                    .as_ref()
                    .map_or_else(|| "?".to_string(), Untrusted::terminal)
            ));
        }
        EventView::Note { path, message } | EventView::Problem { path, message } => {
            to.err.push_str(&format!(
                "faultline: {}: {}\n",
                path.terminal(),
                message.terminal()
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
