//! The report stage: renderers of [`crate::analyze::Report`]. Renderers only
//! render; every decision was made by analyze.

pub mod markdown;
pub mod redact;
pub mod sanitize;
pub mod text;

use crate::analyze::Report;

/// Pretty JSON, the stable machine contract.
pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}
