//! `rules lint --corpus`: patterns that match too much of a sample of
//! healthy traffic are signatures of the traffic, not of a failure.

use std::path::Path;

use super::diagnostic::{Diagnostic, Level};
use super::{RulePack, RuleSources};
use crate::input::source::{Input, open};
use crate::input::{json, peel};

/// Share of a corpus's lines a pattern may match before lint calls it too broad.
const BREADTH_LIMIT: f64 = 0.5;

/// Patterns that match more than BREADTH_LIMIT of a sample corpus's lines.
pub(crate) fn broad_patterns(
    pack: &RulePack,
    sources: &RuleSources,
    corpus: &Path,
) -> Result<Vec<Diagnostic>, String> {
    let (text, error) = open(&Input::Path(corpus.to_path_buf()), false)?.into_bytes();
    if let Some(error) = error {
        return Err(error);
    }
    let text = String::from_utf8_lossy(&text);
    let messages: Vec<String> = text
        .lines()
        .take(100_000)
        .map(|l| json::line_message(l).map_or_else(|| peel::message(l).to_string(), |(m, _)| m))
        .collect();
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for rule in &pack.rules {
        for pattern in &rule.patterns {
            let hits = messages
                .iter()
                .filter(|m| pattern.regex.get().is_match(m))
                .count();
            let share = hits as f64 / messages.len() as f64;
            if share > BREADTH_LIMIT
                && let Some(source) = sources.files().find(|s| s.name == rule.origin.file)
            {
                out.push(
                    Diagnostic::at_line(Level::Warning, "broad-pattern", source, rule.origin.line, format!("pattern `{}` of rule `{}` matches {:.0}% of the corpus lines", pattern.source, rule.id, share * 100.0))
                        .with_hint("a signature should match the failure, not ordinary traffic; anchor it on the distinctive text"),
                );
            }
        }
    }
    Ok(out)
}
