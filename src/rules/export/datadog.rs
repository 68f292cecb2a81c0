//! Datadog log search has no regular expressions. What a rule can give it
//! is the prefilter: the literals that every match of a pattern contains
//! (the scanner's own Aho-Corasick needles). A line holding them is only a
//! candidate, so every Datadog query is approximate, and a rule with a
//! pattern that requires no literal cannot be exported.

use regex_syntax::hir::Hir;

use super::super::RulePack;
use super::super::literal::{Needle, required_needles};
use super::super::model::Rule;
use super::{Export, Fidelity, Target, Verdict, comment_block, header, rule_approximations};

/// Why every Datadog query is approximate.
const PREFILTER_ONLY: &str = "Datadog search has no regex: the query finds the literals the rule's patterns require (faultline's prefilter), a superset of the lines the patterns match";

/// The search document: a header, then per rule its comment and query.
pub(super) fn render(pack: &RulePack) -> Export {
    let mut verdicts = Vec::new();
    let mut body = String::new();
    for rule in &pack.rules {
        let (fidelity, query) = match query(rule) {
            Ok((query, reasons)) => (Fidelity::Approximate(reasons), Some(query)),
            Err(reason) => (Fidelity::Skipped(reason), None),
        };
        body.push('\n');
        body.push_str(&comment_block("#", rule, &fidelity));
        if let Some(query) = query {
            body.push_str(&query);
            body.push('\n');
        }
        verdicts.push(Verdict {
            id: rule.id.clone(),
            fidelity,
        });
    }
    let mut text = header(
        "#",
        Target::Datadog,
        &verdicts,
        &["One search query per rule (the lines after its comment); paste it into the Log Explorer or a log monitor. Full-text search there ignores case.".into()],
    );
    text.push_str(&body);
    Export { text, verdicts }
}

/// A rule's search query and why it is approximate.
fn query(rule: &Rule) -> Result<(String, Vec<String>), String> {
    let mut any = Vec::new();
    for pattern in &rule.patterns {
        let needles = pattern.needles.as_ref().ok_or_else(|| {
            format!(
                "pattern `{}` requires no literal of 3+ characters to search for",
                pattern.source
            )
        })?;
        any.extend(needles.iter().map(phrase));
    }
    any.sort();
    any.dedup();
    let mut parts = vec![group(&any)];
    for all in &rule.all {
        // A literal each `all:` match contains narrows the candidates; one
        // without any is simply not searched for.
        if let Some(needles) = regex_syntax::parse(all.as_str())
            .ok()
            .as_ref()
            .and_then(|hir: &Hir| required_needles(hir))
        {
            parts.push(group(&needles.iter().map(phrase).collect::<Vec<_>>()));
        }
    }
    let mut reasons = vec![PREFILTER_ONLY.to_string()];
    if !rule.not.is_empty() {
        reasons.push(
            "not: vetoes are not applied (a literal's absence does not mean the regex fails)"
                .into(),
        );
    }
    reasons.extend(rule_approximations(rule));
    Ok((parts.join(" "), reasons))
}

/// `(a OR b)`, or just `a`.
fn group(phrases: &[String]) -> String {
    if phrases.len() == 1 {
        phrases[0].clone()
    } else {
        format!("({})", phrases.join(" OR "))
    }
}

/// A quoted Datadog search phrase.
fn phrase(needle: &Needle) -> String {
    format!(
        "\"{}\"",
        needle.text.replace('\\', "\\\\").replace('"', "\\\"")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_escape_quotes_and_backslashes() {
        let needle = Needle {
            text: r#"say "hi" \o/"#.into(),
            case_insensitive: false,
        };
        assert_eq!(phrase(&needle), r#""say \"hi\" \\o/""#);
    }
}
