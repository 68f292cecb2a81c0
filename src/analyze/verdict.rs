//! The verdict: the one line a report opens with, so that whoever reads
//! only that knows what failed, in which stream, when, and how long the
//! incident lasted (first to last error). It is built from the report and
//! the summary's error span, and is part of the model so that every format
//! renders the same sentence.

use serde::Serialize;

use super::model::{InputProblem, ProblemKind, RootCause};
use super::summary::{Mark, Summary};
use crate::input::when::YEARLESS_BEFORE;
use crate::rules::{RulePack, Severity};

/// The report's first line, and the facts it is made of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// The sentence: root cause, stream, time, incident range, and what
    /// could not be read.
    pub text: String,
    /// The root cause's rule id (`None`: no root cause found).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_cause: Option<String>,
    /// Where its first evidence is: the stream's origin label when the log
    /// names one, else `path:line`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// When its first evidence was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// When the first line matched by a rule of severity error or above
    /// was written (RFC 3339 when the log gives a full date).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
    /// When the last such line was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// When a mark was written: RFC 3339 from its own or inherited full date,
/// else its own stamp as written (year-less dashboard times).
fn when(mark: &Mark) -> Option<String> {
    match mark.order.nanos.filter(|&n| n >= YEARLESS_BEFORE) {
        Some(nanos) => jiff::Timestamp::from_nanosecond(nanos)
            .ok()
            .map(|t| t.to_string()),
        None => mark.stamp.as_ref().map(ToString::to_string),
    }
}

/// The first and last lines matched by rules of severity error or above.
fn error_span<'a>(pack: &RulePack, summary: &'a Summary) -> Option<(&'a Mark, &'a Mark)> {
    let errors = summary
        .rules
        .iter()
        .filter(|(r, _)| pack.rules[**r].severity >= Severity::Error)
        .map(|(_, s)| s);
    let first = errors
        .clone()
        .map(|s| s.earliest())
        .min_by_key(|m| m.order)?;
    let last = errors.map(|s| s.latest()).max_by_key(|m| m.order)?;
    Some((first, last))
}

/// The verdict of a report with these root causes and problems.
pub(crate) fn verdict(
    pack: &RulePack,
    summary: &Summary,
    causes: &[RootCause],
    note: Option<&str>,
    problems: &[InputProblem],
) -> Verdict {
    let span = error_span(pack, summary);
    let (first_error, last_error) = match span {
        Some((first, last)) => (when(first), when(last)),
        None => (None, None),
    };
    let cause = causes.first();
    let evidence = cause.and_then(|c| c.evidence.first());
    let location = evidence.map(|e| match e.origin.label() {
        Some(label) => format!("{label} ({}:{})", e.path, e.line),
        None => format!("{}:{}", e.path, e.line),
    });
    let at = evidence.and_then(|e| e.timestamp.clone());
    let mut text = match cause {
        Some(cause) => {
            let mut text = format!("{} ({})", cause.title, cause.rule);
            if let Some(location) = &location {
                text.push_str(&format!(" in {location}"));
            }
            if let Some(at) = &at {
                text.push_str(&format!(" at {at}"));
            }
            let also = causes.len() - 1;
            if also > 0 {
                let s = if also == 1 { "" } else { "s" };
                text.push_str(&format!("; {also} more cause{s}"));
            }
            text
        }
        None => match note {
            Some(note) => format!("no root cause found: {note}"),
            None => "no root cause found".to_string(),
        },
    };
    match (&first_error, &last_error) {
        (Some(first), Some(last)) if first != last => {
            text.push_str(&format!("; errors from {first} to {last}"));
        }
        (Some(first), _) => text.push_str(&format!("; errors at {first}")),
        _ => {}
    }
    let unread = problems
        .iter()
        .filter(|p| p.kind == ProblemKind::Error)
        .count();
    let skipped = problems.len() - unread;
    if unread > 0 {
        let s = if unread == 1 { "" } else { "s" };
        text.push_str(&format!(
            "; {unread} input problem{s}: not everything was read"
        ));
    }
    if skipped > 0 {
        text.push_str(&format!("; {skipped} skipped"));
    }
    Verdict {
        text,
        root_cause: cause.map(|c| c.rule.clone()),
        location,
        at,
        first_error,
        last_error,
    }
}
