//! Grep-like listing of matched lines (`scan --matches`): `path:line:
//! [rule, rule] text` lines for people, one JSON object per line for
//! machines; each line once, with every rule that matched it.

use crate::analyze::model::MatchLine;

use super::redact::redact;
use super::text::Style;
use super::untrusted::join_terminal;
use super::view::MatchView;

/// Renders matches, in the order given; `json`: one object per line.
pub fn render(lines: &[MatchLine], json: bool, style: Style, redact_secrets: bool) -> String {
    let mut out = String::new();
    for m in lines {
        if json {
            let mut shown = m.clone();
            if redact_secrets {
                shown.text = redact(&m.text).into_owned();
            }
            out.push_str(&super::json_line(&shown));
        } else {
            out.push_str(&line(&MatchView::of(m, redact_secrets), style));
        }
    }
    out
}

fn line(m: &MatchView, style: Style) -> String {
    let tag = format!("[{}]", join_terminal(&m.rules, ", "));
    format!(
        "{} {} {}\n",
        location(m, style),
        style.bold(&tag),
        m.text.terminal()
    )
}

/// `path:line: [origin]` of a matched line, as grep places it (magenta in colour);
/// shared by `--matches` and `tail`'s findings.
pub(super) fn location(m: &MatchView, style: Style) -> String {
    let origin = m
        .origin
        .as_ref()
        .map(|label| format!(" [{}]", label.terminal()))
        .unwrap_or_default();
    style.paint("35", &format!("{}:{}:{origin}", m.path.terminal(), m.line))
}
