//! `rules list` and `rules explain`: the pack as a table for people or JSON
//! for tools, filtered by class and severity; its sequences; one rule or
//! sequence in full. Rule files are input too: the text renderings here are
//! escaped for the terminal by the caller.

use std::fmt::Write as _;

use serde::Serialize;

use super::model::{Examples, Rule, Sequence};
use super::{RulePack, Severity};

#[derive(Serialize)]
struct ListedRule<'a> {
    id: &'a str,
    title: &'a str,
    class: &'a str,
    severity: Severity,
    patterns: Vec<&'a str>,
    causes: &'a [String],
}

#[derive(Serialize)]
struct ListedMilestone<'a> {
    id: &'a str,
    title: &'a str,
    patterns: Vec<&'a str>,
}

#[derive(Serialize)]
struct ListedSequence<'a> {
    id: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    correlate: Option<&'a str>,
    restart: bool,
    milestones: Vec<ListedMilestone<'a>>,
}

/// Which rules `rules list` shows.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Filter<'a> {
    pub class: Option<&'a str>,
    pub severity: Option<Severity>,
}

impl Filter<'_> {
    fn keeps(&self, rule: &Rule) -> bool {
        self.class.is_none_or(|c| rule.class == c)
            && self.severity.is_none_or(|s| rule.severity == s)
    }
}

/// The rules `filter` keeps: JSON (the `rules list --format json` contract:
/// id, title, class, severity, patterns as written, causes) or aligned text.
pub(crate) fn list(pack: &RulePack, filter: Filter, json: bool) -> String {
    let rules: Vec<&Rule> = pack.rules.iter().filter(|r| filter.keeps(r)).collect();
    if json {
        let rules: Vec<ListedRule> = rules
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
        return serde_json::to_string_pretty(&rules).unwrap_or_default() + "\n";
    }
    let width = rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
    let mut out = String::new();
    for r in &rules {
        let _ = writeln!(
            out,
            "{:<width$}  {:<8}  {:<26}  {}",
            r.id,
            r.severity.as_str(),
            r.class,
            r.title
        );
    }
    let _ = writeln!(
        out,
        "{} of {} rules, {} sequences (rules list --sequences)",
        rules.len(),
        pack.rules.len(),
        pack.sequences.len()
    );
    out
}

/// Every sequence with its milestones, as JSON or text.
pub(crate) fn list_sequences(pack: &RulePack, json: bool) -> String {
    if json {
        let sequences: Vec<ListedSequence> = pack
            .sequences
            .iter()
            .map(|s| ListedSequence {
                id: &s.id,
                title: &s.title,
                correlate: s.correlate.as_deref(),
                restart: s.restart,
                milestones: s
                    .milestones
                    .iter()
                    .map(|m| ListedMilestone {
                        id: &m.id,
                        title: &m.title,
                        patterns: m.patterns.iter().map(|p| p.source.as_str()).collect(),
                    })
                    .collect(),
            })
            .collect();
        return serde_json::to_string_pretty(&sequences).unwrap_or_default() + "\n";
    }
    let width = pack.sequences.iter().map(|s| s.id.len()).max().unwrap_or(0);
    let mut out = String::new();
    for s in &pack.sequences {
        let steps: Vec<&str> = s.milestones.iter().map(|m| m.id.as_str()).collect();
        let _ = writeln!(
            out,
            "{:<width$}  {} ({} milestones: {})",
            s.id,
            s.title,
            steps.len(),
            steps.join(" → ")
        );
    }
    let _ = writeln!(out, "{} sequences", pack.sequences.len());
    out
}

fn write_examples(out: &mut String, examples: &Examples, indent: &str) {
    let _ = writeln!(out, "{indent}examples (match):");
    for e in &examples.must_match {
        let _ = writeln!(out, "{indent}  ✔ {}", e.line);
    }
    let _ = writeln!(out, "{indent}examples (no match):");
    for e in &examples.no_match {
        let _ = writeln!(out, "{indent}  ✘ {}", e.line);
    }
}

/// One rule in full: class, severity, where it is defined, its patterns,
/// explanation, remediation, references, causes and examples.
pub(crate) fn explain_rule(rule: &Rule) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} — {}", rule.id, rule.title);
    let _ = writeln!(
        out,
        "class: {}   severity: {}   defined at {}:{}",
        rule.class, rule.severity, rule.origin.file, rule.origin.line
    );
    if !rule.description.is_empty() {
        let _ = writeln!(out, "\n{}", rule.description);
    }
    let _ = writeln!(out, "\npatterns:");
    for p in &rule.patterns {
        let _ = writeln!(out, "  {}", p.source);
    }
    for (label, list) in [("all of", &rule.all), ("not", &rule.not)] {
        if !list.is_empty() {
            let _ = writeln!(out, "{label}:");
            for re in list {
                let _ = writeln!(out, "  {}", re.as_str());
            }
        }
    }
    if let Some(explain) = &rule.explain {
        let _ = writeln!(out, "\nexplanation: {explain}");
    }
    if !rule.remediation.is_empty() {
        let _ = writeln!(
            out,
            "\nremediation:\n  {}",
            rule.remediation.replace('\n', "\n  ")
        );
    }
    if !rule.references.is_empty() {
        let _ = writeln!(out, "\nreferences:");
        for r in &rule.references {
            let _ = writeln!(out, "  - {r}");
        }
    }
    if !rule.causes.is_empty() {
        let _ = writeln!(out, "\ncauses: {}", rule.causes.join(", "));
    }
    out.push('\n');
    write_examples(&mut out, &rule.examples, "");
    out
}

/// One sequence in full: how runs are told apart and restarted, then each
/// milestone with its patterns and examples.
pub(crate) fn explain_sequence(sequence: &Sequence) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} — {} (sequence)", sequence.id, sequence.title);
    let runs = match &sequence.correlate {
        Some(key) => format!("one run per `{key}` value"),
        None => "one run per stream (file, or pod/container/service)".to_string(),
    };
    let restart = if sequence.restart {
        "its first milestone starts a new run"
    } else {
        "a run never restarts"
    };
    let _ = writeln!(out, "runs: {runs}; {restart}");
    for (i, m) in sequence.milestones.iter().enumerate() {
        let _ = writeln!(out, "\n{}. {} ({})", i + 1, m.title, m.id);
        for p in &m.patterns {
            let _ = writeln!(out, "     {}", p.source);
        }
        write_examples(&mut out, &m.examples, "   ");
    }
    out
}
