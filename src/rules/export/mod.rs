//! `rules export`: the signatures compiled into a log store's own query
//! language, as Sigma backends do for SIEMs, so the pack runs where the logs
//! already are (Loki, DuckDB, Elasticsearch, Datadog).
//!
//! A signature is more than one regex: `all:` and `not:` regexes, `levels`,
//! `services`, the traceback conditions `raised_in` / `not_raised_in`, and
//! wrappers that faultline peels before matching. Each target gets what it
//! can say exactly; the rest makes the rule *approximate* (exported, with
//! the reasons next to it) or *not exported* (with the reason). No query is
//! ever silently different from the rule.

mod datadog;
mod duckdb;
mod elasticsearch;
mod logql;
mod translate;

use std::fmt;

use super::RulePack;
use super::model::Rule;
use translate::{Dialect, translate};

/// A query language the pack can be exported to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// Grafana Loki: LogQL line filters (`|~`, `!~`, RE2).
    Logql,
    /// DuckDB: one SQL query over `read_text` (or JSON lines) with `regexp_matches` (RE2).
    Duckdb,
    /// Elasticsearch / OpenSearch: a query DSL `bool` of Lucene `regexp` queries per rule.
    Elasticsearch,
    /// Datadog log search: the prefilter literals of each rule (no regex there).
    Datadog,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Logql => "logql",
            Target::Duckdb => "duckdb",
            Target::Elasticsearch => "elasticsearch",
            Target::Datadog => "datadog",
        }
    }
}

/// Target-specific choices from the command line.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// LogQL stream selector (`{app="api"}`).
    pub selector: Option<String>,
    /// The field holding the message (Elasticsearch; DuckDB: read JSON lines).
    pub field: Option<String>,
}

/// A choice that does not fit the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError(String);

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SettingsError {}

/// The LogQL selector used when none is given: every stream with a `job`
/// label, to be narrowed by the reader.
const DEFAULT_SELECTOR: &str = r#"{job=~".+"}"#;

impl Settings {
    fn check(&self, target: Target) -> Result<(), SettingsError> {
        if self.selector.is_some() && target != Target::Logql {
            return Err(SettingsError(format!(
                "--selector applies to --to logql only, not --to {}",
                target.name()
            )));
        }
        if self.field.is_some() && matches!(target, Target::Logql | Target::Datadog) {
            return Err(SettingsError(format!(
                "--field applies to --to duckdb and --to elasticsearch, not --to {}",
                target.name()
            )));
        }
        if let Some(selector) = &self.selector {
            let inner = selector
                .trim()
                .strip_prefix('{')
                .and_then(|s| s.strip_suffix('}'));
            if inner.is_none_or(|s| !s.contains(['=', '~'])) {
                return Err(SettingsError(format!(
                    "--selector `{selector}` is not a LogQL stream selector such as {{app=\"api\"}}"
                )));
            }
        }
        if let Some(field) = &self.field
            && (field.is_empty() || field.contains(['"', '\'', '\n']))
        {
            return Err(SettingsError(format!(
                "--field `{field}` is not a field name"
            )));
        }
        Ok(())
    }
}

/// How one rule came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fidelity {
    /// The query matches exactly the lines the rule matches.
    Exact,
    /// Exported, but the query may match other lines; the reasons.
    Approximate(Vec<String>),
    /// Not exported; the reason.
    Skipped(String),
}

/// One rule's outcome, for the summary on stderr.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub id: String,
    pub fidelity: Fidelity,
}

/// The exported document and what happened to each rule.
#[derive(Debug, Clone)]
pub struct Export {
    /// The document for stdout.
    pub text: String,
    pub verdicts: Vec<Verdict>,
}

impl Export {
    /// Rules exported exactly, approximately, and not at all.
    pub fn counts(&self) -> (usize, usize, usize) {
        counts(&self.verdicts)
    }

    /// One line: how many rules came out exact, approximate, not at all.
    pub fn summary(&self, target: Target) -> String {
        summary(target, &self.verdicts)
    }
}

fn counts(verdicts: &[Verdict]) -> (usize, usize, usize) {
    let mut counts = (0, 0, 0);
    for verdict in verdicts {
        match verdict.fidelity {
            Fidelity::Exact => counts.0 += 1,
            Fidelity::Approximate(_) => counts.1 += 1,
            Fidelity::Skipped(_) => counts.2 += 1,
        }
    }
    counts
}

/// Exports `pack` to `target`.
pub fn export(
    pack: &RulePack,
    target: Target,
    settings: &Settings,
) -> Result<Export, SettingsError> {
    settings.check(target)?;
    Ok(match target {
        Target::Logql => logql::render(
            &Translated::of(pack, Dialect::Re2),
            settings.selector.as_deref().unwrap_or(DEFAULT_SELECTOR),
        ),
        Target::Duckdb => duckdb::render(
            &Translated::of(pack, Dialect::Re2),
            settings.field.as_deref(),
        ),
        Target::Elasticsearch => elasticsearch::render(
            &Translated::of(pack, Dialect::Lucene),
            settings
                .field
                .as_deref()
                .unwrap_or(elasticsearch::DEFAULT_FIELD),
        ),
        Target::Datadog => datadog::render(pack),
    })
}

/// A rule whose regexes all have a form in the target dialect.
struct Query<'a> {
    rule: &'a Rule,
    /// One of these must match.
    any: Vec<String>,
    /// Each of these must match too.
    all: Vec<String>,
    /// None of these may match.
    none: Vec<String>,
    /// Empty: exact.
    approximations: Vec<String>,
}

impl Query<'_> {
    fn fidelity(&self) -> Fidelity {
        if self.approximations.is_empty() {
            Fidelity::Exact
        } else {
            Fidelity::Approximate(self.approximations.clone())
        }
    }
}

/// A rule in one dialect: its query, or why it has none.
enum Entry<'a> {
    Query(Query<'a>),
    Skipped(&'a Rule, String),
}

impl Entry<'_> {
    fn rule(&self) -> &Rule {
        match self {
            Entry::Query(q) => q.rule,
            Entry::Skipped(rule, _) => rule,
        }
    }

    fn fidelity(&self) -> Fidelity {
        match self {
            Entry::Query(q) => q.fidelity(),
            Entry::Skipped(_, why) => Fidelity::Skipped(why.clone()),
        }
    }
}

/// The pack in one dialect, in pack order.
struct Translated<'a> {
    entries: Vec<Entry<'a>>,
}

impl<'a> Translated<'a> {
    fn of(pack: &'a RulePack, dialect: Dialect) -> Translated<'a> {
        let entries = pack
            .rules
            .iter()
            .map(|rule| match Query::of(rule, dialect) {
                Ok(query) => Entry::Query(query),
                Err(reason) => Entry::Skipped(rule, reason),
            })
            .collect();
        Translated { entries }
    }

    /// Every rule's verdict, in pack order.
    fn verdicts(&self) -> Vec<Verdict> {
        self.entries
            .iter()
            .map(|e| Verdict {
                id: e.rule().id.clone(),
                fidelity: e.fidelity(),
            })
            .collect()
    }

    fn queries(&self) -> impl Iterator<Item = &Query<'a>> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Query(q) => Some(q),
            Entry::Skipped(..) => None,
        })
    }
}

impl<'a> Query<'a> {
    fn of(rule: &'a Rule, dialect: Dialect) -> Result<Query<'a>, String> {
        let mut approximations = rule_approximations(rule);
        let mut anchored = false;
        let mut convert = |list: Vec<&str>, role: &str| -> Result<Vec<String>, String> {
            list.into_iter()
                .map(|source| {
                    let t = translate(source, dialect)
                        .map_err(|e| format!("{role} `{source}`: {}", e.0))?;
                    approximations.extend(t.approximations);
                    anchored |= t.anchored;
                    Ok(t.text)
                })
                .collect()
        };
        let any = convert(
            rule.patterns.iter().map(|p| p.source.as_str()).collect(),
            "pattern",
        )?;
        let all = convert(rule.all.iter().map(|r| r.as_str()).collect(), "all:")?;
        let none = convert(rule.not.iter().map(|r| r.as_str()).collect(), "not:")?;
        if anchored {
            approximations.push(ANCHORED.into());
        }
        approximations.sort();
        approximations.dedup();
        Ok(Query {
            rule,
            any,
            all,
            none,
            approximations,
        })
    }
}

/// Why an anchored pattern may differ in a store.
const ANCHORED: &str = "anchored with ^ or $: faultline anchors at the message after removing wrappers (kubectl timestamps, [pod/...] prefixes, CRI stream tags, syslog headers); a line stored with such a prefix is missed";

/// The parts of a rule no single-line query in any target can check.
fn rule_approximations(rule: &Rule) -> Vec<String> {
    let mut out = Vec::new();
    if !rule.levels.is_empty() {
        out.push(format!(
            "levels [{}] are not checked: faultline reads the level from the line itself",
            rule.levels.join(", ")
        ));
    }
    if rule.services.is_some() {
        out.push("services are not checked: faultline takes the service from the line's wrapper (pod, container, Heroku dyno)".into());
    }
    if !rule.raised_in.is_empty() {
        out.push("raised_in is not checked: it needs the traceback printed before the line, which a one-line query cannot see, so lines raised elsewhere match too".into());
    }
    if !rule.not_raised_in.is_empty() {
        out.push("not_raised_in is not checked: it needs the traceback printed before the line, so lines it vetoes match too".into());
    }
    out
}

/// Caveats that hold for every target, printed in every document's header.
const CAVEATS: [&str; 3] = [
    "Queries match lines as the store holds them. faultline first removes wrappers (kubectl timestamps, [pod/...] prefixes, CRI tags, syslog and Heroku headers) and decodes JSON events to their message; unanchored patterns are not affected, anchored ones are marked approximate.",
    "faultline also joins CRI partial lines and reads the traceback a line ends; rules that depend on that are marked approximate.",
    "Expected sequences (start-up milestones) and the report's analysis (root cause, causes, outcomes) are not exported: these queries find the lines each signature matches.",
];

/// The one-line summary of an export, for headers and stderr.
fn summary(target: Target, verdicts: &[Verdict]) -> String {
    let (exact, approximate, skipped) = counts(verdicts);
    format!(
        "{} rules for {}: {exact} exact, {approximate} approximate, {skipped} not exported",
        verdicts.len(),
        target.name()
    )
}

/// Comment lines (with `prefix`) about one rule: its title and, for an
/// approximate rule, why.
fn comment_block(prefix: &str, rule: &Rule, fidelity: &Fidelity) -> String {
    let mut out = format!(
        "{prefix} {} ({}, {}): {}\n",
        rule.id,
        rule.severity,
        rule.class,
        one_line(&rule.title)
    );
    match fidelity {
        Fidelity::Exact => {}
        Fidelity::Approximate(reasons) => {
            for reason in reasons {
                out.push_str(&format!("{prefix}   approximate: {}\n", one_line(reason)));
            }
        }
        Fidelity::Skipped(reason) => {
            out.push_str(&format!("{prefix}   not exported: {}\n", one_line(reason)));
        }
    }
    out
}

/// Text on one line, for comments (a newline would end the comment).
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The document header: generator, summary, caveats, each line prefixed.
fn header(prefix: &str, target: Target, verdicts: &[Verdict], extra: &[String]) -> String {
    let mut out = format!(
        "{prefix} faultline {} rule pack export: {}\n",
        env!("CARGO_PKG_VERSION"),
        summary(target, verdicts)
    );
    for line in extra.iter().map(String::as_str).chain(CAVEATS) {
        out.push_str(&format!("{prefix} {line}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_that_do_not_fit_the_target_are_refused() {
        let selector = Settings {
            selector: Some("{app=\"api\"}".into()),
            field: None,
        };
        assert!(selector.check(Target::Logql).is_ok());
        assert!(selector.check(Target::Duckdb).is_err());
        let bad = Settings {
            selector: Some("app=api".into()),
            field: None,
        };
        assert!(bad.check(Target::Logql).is_err());
        let field = Settings {
            selector: None,
            field: Some("msg".into()),
        };
        assert!(field.check(Target::Elasticsearch).is_ok());
        assert!(field.check(Target::Datadog).is_err());
    }
}
