//! The compiled rule pack: what scan and analyze consume.

use std::fmt;
use std::str::FromStr;

use super::LazyRegex;
use serde::Serialize;

use super::literal::Needle;

/// How bad a finding is. Ordered: `Info < Warning < Error < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; never a failure by itself.
    Info,
    /// Not a failure by itself, but often on the way to one.
    Warning,
    /// A failure.
    Error,
    /// A failure that stops the service.
    Critical,
}

impl Severity {
    /// The names of the severities, lowest first.
    pub const NAMES: [&'static str; 4] = ["info", "warning", "error", "critical"];

    /// The severity's name (`error`, ...).
    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "info" => Ok(Severity::Info),
            "warning" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            "critical" => Ok(Severity::Critical),
            other => Err(format!(
                "unknown severity `{other}` (expected one of: {})",
                Self::NAMES.join(", ")
            )),
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The failure classes (listed with their meaning in `docs/failure-classes.md`);
/// every rule carries one so reports can be compared across rule packs.
pub const CLASSES: &[&str] = &[
    "module-not-found",
    "missing-dependency",
    "degraded-mode",
    "db-constraint-violation",
    "db-schema-mismatch",
    "db-unavailable",
    "oom-killed",
    "timeout",
    "connection-failed",
    "redis-tls",
    "auth-failure",
    "config-error",
    "build-failure",
    "port-not-bound",
    "dependency-incompatibility",
    "crashloop",
    "disk-full",
    "broker-misconfigured",
    "queue-stalled",
    "retries-exhausted",
    "entrypoint-not-run",
    "gpu-error",
    "probe-failure",
    "image-pull",
    "unknown",
];

/// Where a rule or milestone was defined, for messages that send authors back
/// to their YAML.
#[derive(Debug, Clone, Serialize)]
pub struct Origin {
    pub file: String,
    pub line: u64,
}

/// A regex as written plus its compiled form.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub source: String,
    pub regex: LazyRegex,
    /// `None`: no literal to prefilter on, so every line must be checked.
    pub needles: Option<Vec<Needle>>,
}

/// An example line from the rule file and the captures it must produce.
#[derive(Debug, Clone)]
pub struct Example {
    pub line: String,
    pub captures: Option<Vec<(String, String)>>,
    pub origin: Origin,
}

/// Inline tests of a rule or milestone.
#[derive(Debug, Clone, Default)]
pub struct Examples {
    pub must_match: Vec<Example>,
    pub no_match: Vec<Example>,
}

/// A compiled failure signature.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub class: String,
    pub severity: Severity,
    pub description: String,
    pub patterns: Vec<Pattern>,
    pub all: Vec<LazyRegex>,
    pub not: Vec<LazyRegex>,
    /// Levels (lower case) a line must have, if it has one.
    pub levels: Vec<String>,
    /// Glob patterns for the origin service, if the line has one.
    pub services: Option<globset::GlobSet>,
    /// The service globs as written (a compiled set cannot be read back).
    pub service_globs: Vec<String>,
    pub explain: Option<String>,
    pub remediation: String,
    pub references: Vec<String>,
    pub causes: Vec<String>,
    /// Says how a process ended, not why (`outcome: true`).
    pub outcome: bool,
    /// Conditions on the innermost traceback frame's file (`raised_in`,
    /// `not_raised_in`).
    pub raised_in: Vec<LazyRegex>,
    pub not_raised_in: Vec<LazyRegex>,
    pub examples: Examples,
    pub origin: Origin,
}

/// One step of an expected sequence.
#[derive(Debug, Clone)]
pub struct Milestone {
    pub id: String,
    pub title: String,
    pub patterns: Vec<Pattern>,
    pub examples: Examples,
}

/// An expected startup or lifecycle sequence.
#[derive(Debug, Clone)]
pub struct Sequence {
    pub id: String,
    pub title: String,
    pub correlate: Option<String>,
    pub restart: bool,
    pub milestones: Vec<Milestone>,
}

/// Everything the engine matches: rules and sequence milestones.
#[derive(Debug, Clone, Default)]
pub struct RulePack {
    pub(crate) rules: Vec<Rule>,
    pub(crate) sequences: Vec<Sequence>,
}

impl RulePack {
    /// The pack built into the binary (`rules/` of the repository), plus
    /// rule files or directories in `extra` (a rule with the same id
    /// overrides); with `embedded` false, only `extra`.
    pub fn load(
        extra: &[std::path::PathBuf],
        embedded: bool,
    ) -> Result<RulePack, Vec<super::Diagnostic>> {
        let sources = super::RuleSources::new(extra, !embedded)?;
        super::load(&sources).map(|loaded| loaded.pack)
    }

    /// How many signatures the pack holds (sequences not counted).
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether the pack holds no signature.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub(crate) fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

impl Rule {
    /// Whether the rule has conditions on the traceback a line ends.
    pub fn needs_traceback(&self) -> bool {
        !self.raised_in.is_empty() || !self.not_raised_in.is_empty()
    }

    /// Whether a line ending `traceback` (oldest line first; empty when the
    /// line ends none) satisfies the rule's `raised_in` / `not_raised_in`.
    pub fn traceback_allows(&self, traceback: &[String]) -> bool {
        if !self.needs_traceback() {
            return true;
        }
        let file = innermost_frame_file(traceback);
        let required = self.raised_in.is_empty()
            || file.is_some_and(|f| self.raised_in.iter().any(|re| re.is_match(f)));
        let vetoed = file.is_some_and(|f| self.not_raised_in.iter().any(|re| re.is_match(f)));
        required && !vetoed
    }

    /// Fills `{name}` placeholders of the explanation with captured values.
    pub fn explanation<'a>(
        &self,
        captures: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> String {
        let Some(template) = &self.explain else {
            return self.title.clone();
        };
        let mut out = template.clone();
        for (name, value) in captures {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }
}

/// The file of the innermost frame (`File "PATH", line N, in f`) of a
/// traceback, oldest line first.
pub fn innermost_frame_file(traceback: &[String]) -> Option<&str> {
    traceback.iter().rev().find_map(|line| {
        let rest = line.trim_start().strip_prefix("File \"")?;
        let end = rest.find('"')?;
        rest[end..].starts_with("\", line ").then(|| &rest[..end])
    })
}

#[cfg(test)]
mod tests {
    use super::CLASSES;

    #[test]
    fn every_class_is_documented_with_its_meaning() {
        let doc = include_str!("../../docs/failure-classes.md");
        for class in CLASSES {
            assert!(
                doc.contains(&format!("\n| `{class}` | ")),
                "docs/failure-classes.md does not describe `{class}`"
            );
        }
        let rows = doc.lines().filter(|l| l.starts_with("| `")).count();
        assert_eq!(
            rows,
            CLASSES.len(),
            "a documented class that does not exist"
        );
    }
}
