//! The report stage: renderers of [`crate::analyze::Report`]. Renderers only
//! render; every decision was made by analyze. What a report quotes came from
//! logs, file names and rule files: the text, Markdown and HTML renderers see it
//! only as [`untrusted::Untrusted`] (through [`view`]), the JSON renderers
//! through serde and [`sanitize::json`], so nothing reaches a terminal raw.

pub mod html;
pub mod live;
pub mod markdown;
pub mod matches;
pub mod redact;
pub mod sanitize;
mod screen;
pub mod text;
pub mod untrusted;
pub mod view;

use serde::Serialize;

use crate::analyze::Report;

/// Pretty JSON, the stable machine contract.
pub fn json(report: &Report) -> String {
    let text =
        serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    sanitize::json(text)
}

/// One compact JSON object and its newline, for JSON-lines outputs.
pub fn json_line(value: &impl Serialize) -> String {
    let text = serde_json::to_string(value).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    sanitize::json(text) + "\n"
}
