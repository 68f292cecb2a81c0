//! The YAML schema of rule and sequence files, exactly as authors write it.
//!
//! Every field that a later check may need to point at is `Spanned`, so that
//! diagnostics can name `file:line:column` even after deserialisation
//! succeeded. Unknown fields are rejected (`deny_unknown_fields`): a typo such
//! as `pattern:` for `patterns:` must be an error, never silently ignored.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_saphyr::Spanned;

/// One rule file: any number of rules and sequences.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
    #[serde(default)]
    pub sequences: Vec<SequenceSpec>,
}

/// A failure signature as written in YAML.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: Spanned<String>,
    pub title: String,
    pub class: Spanned<String>,
    pub severity: Spanned<String>,
    #[serde(default)]
    pub description: String,
    pub patterns: Vec<Spanned<String>>,
    #[serde(default)]
    pub all: Vec<Spanned<String>>,
    #[serde(default)]
    pub not: Vec<Spanned<String>>,
    #[serde(default)]
    pub levels: Vec<Spanned<String>>,
    #[serde(default)]
    pub services: Vec<Spanned<String>>,
    #[serde(default)]
    pub explain: Option<Spanned<String>>,
    #[serde(default)]
    pub remediation: String,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub causes: Vec<Spanned<String>>,
    /// The line says how a process ended (an exit, a crashed state, a
    /// back-off), not why: analysis makes it a symptom of the error before it.
    #[serde(default)]
    pub outcome: bool,
    /// Regexes for the file of the innermost frame of the traceback the line
    /// ends: one must match (a line ending no traceback never matches).
    #[serde(default)]
    pub raised_in: Vec<Spanned<String>>,
    /// Regexes for that file that veto the match.
    #[serde(default)]
    pub not_raised_in: Vec<Spanned<String>>,
    #[serde(default)]
    pub examples: ExamplesSpec,
}

/// Lines that must (`match`) and must not (`no_match`) be matched.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExamplesSpec {
    #[serde(default, rename = "match")]
    pub must_match: Vec<Spanned<ExampleSpec>>,
    #[serde(default)]
    pub no_match: Vec<Spanned<String>>,
}

/// A `match` example: a bare line, or a line with the captures it must yield.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum ExampleSpec {
    Line(String),
    WithCaptures {
        line: String,
        #[serde(default)]
        captures: BTreeMap<String, String>,
    },
}

impl ExampleSpec {
    pub fn line(&self) -> &str {
        match self {
            ExampleSpec::Line(line) | ExampleSpec::WithCaptures { line, .. } => line,
        }
    }

    pub fn captures(&self) -> Option<&BTreeMap<String, String>> {
        match self {
            ExampleSpec::Line(_) => None,
            ExampleSpec::WithCaptures { captures, .. } => Some(captures),
        }
    }
}

/// An expected startup or lifecycle sequence as written in YAML.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SequenceSpec {
    pub id: Spanned<String>,
    pub title: String,
    /// For whoever reads the file; accepted, not used by the engine.
    #[serde(default, rename = "description")]
    pub _description: String,
    /// Capture name whose value separates interleaved instances (e.g. `run_id`).
    #[serde(default)]
    pub correlate: Option<Spanned<String>>,
    /// Whether seeing the first milestone again opens a new run (default: yes).
    #[serde(default = "default_true")]
    pub restart: bool,
    pub milestones: Vec<MilestoneSpec>,
}

fn default_true() -> bool {
    true
}

/// One step of a sequence.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MilestoneSpec {
    pub id: Spanned<String>,
    pub title: String,
    pub patterns: Vec<Spanned<String>>,
    #[serde(default)]
    pub examples: ExamplesSpec,
}
