//! Grep-like listing of rule matches (`scan --matches`): `path:line: [rule]
//! text` lines for people, one JSON object per match for machines.

use crate::analyze::model::MatchLine;

use super::redact::redact;
use super::sanitize::terminal;
use super::text::Style;

/// Renders matches, in the order given; `json`: one object per line.
pub fn render(lines: &[MatchLine], json: bool, style: Style, redact_secrets: bool) -> String {
    let mut out = String::new();
    for m in lines {
        let text = if redact_secrets {
            redact(&m.text)
        } else {
            std::borrow::Cow::Borrowed(m.text.as_str())
        };
        if json {
            let mut shown = m.clone();
            shown.text = text.into_owned();
            out.push_str(&super::json_line(&shown));
            continue;
        }
        let origin = m
            .origin
            .label()
            .map(|label| format!(" [{}]", terminal(&label)))
            .unwrap_or_default();
        let location = format!("{}:{}:{origin}", terminal(&m.path), m.line);
        let tag = format!("[{}]", m.rule);
        let (location, tag) = if style.color {
            (
                format!("\x1b[35m{location}\x1b[0m"),
                format!("\x1b[1m{tag}\x1b[0m"),
            )
        } else {
            (location, tag)
        };
        out.push_str(&format!("{location} {tag} {}\n", terminal(&text)));
    }
    out
}
