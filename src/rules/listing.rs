//! `rules list`: the pack as a table for people or JSON for tools.

use serde::Serialize;

use super::RulePack;

#[derive(Serialize)]
struct ListedRule<'a> {
    id: &'a str,
    title: &'a str,
    class: &'a str,
    severity: super::Severity,
    patterns: Vec<&'a str>,
    causes: &'a [String],
}

/// Every rule: JSON (the `rules list --format json` contract: id, title,
/// class, severity, patterns as written, causes) or aligned text.
pub(crate) fn list(pack: &RulePack, json: bool) -> String {
    if json {
        let rules: Vec<ListedRule> = pack
            .rules
            .iter()
            .map(|r| ListedRule {
                id: &r.id,
                title: &r.title,
                class: &r.class,
                severity: r.severity,
                patterns: r.patterns.iter().map(|p| p.source.as_str()).collect(),
                causes: &r.causes,
            })
            .collect();
        serde_json::to_string_pretty(&rules).unwrap_or_default() + "\n"
    } else {
        let width = pack.rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
        let mut out = String::new();
        for r in &pack.rules {
            out.push_str(&format!(
                "{:<width$}  {:<8}  {:<26}  {}\n",
                r.id,
                r.severity.as_str(),
                r.class,
                r.title
            ));
        }
        out.push_str(&format!(
            "{} rules, {} sequences\n",
            pack.rules.len(),
            pack.sequences.len()
        ));
        out
    }
}
