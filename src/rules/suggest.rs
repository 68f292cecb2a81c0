//! `rules suggest`: a draft signature from an unrecognised error's
//! template, for a rule author to finish (class, explanation, remediation).
//! The pattern keeps the words every such line shares and lets the varying
//! ones (`<*>`) be any run of non-spaces.

use crate::analyze::model::Unrecognised;
use crate::analyze::templates::WILDCARD;

/// YAML single-quoted scalar.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The regex of a template: literal words escaped, wildcards as `\S+`,
/// leading wildcards (timestamps, ids) dropped since patterns are not anchored.
pub(crate) fn pattern(template: &str) -> String {
    template
        .split_whitespace()
        .skip_while(|token| *token == WILDCARD)
        .map(|token| match token.split_once('=') {
            Some((key, WILDCARD)) => format!("{}=\\S+", regex::escape(key)),
            _ if token == WILDCARD => "\\S+".to_string(),
            _ => regex::escape(token),
        })
        .collect::<Vec<_>>()
        .join("\\s+")
}

/// A rule id from the template's first literal words.
fn id(template: &str) -> String {
    let words: Vec<String> = template
        .split_whitespace()
        .filter(|t| !t.contains(WILDCARD))
        .map(|t| {
            t.chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase()
        })
        .filter(|w| !w.is_empty() && !matches!(w.as_str(), "error" | "fatal" | "critical"))
        .take(4)
        .collect();
    if words.is_empty() {
        "custom.unrecognised".to_string()
    } else {
        format!("custom.{}", words.join("-"))
    }
}

/// A draft signature (one list item of a rule file) for an unrecognised error.
pub(crate) fn draft(found: &Unrecognised) -> String {
    format!(
        "  - id: {id}\n    title: {title}\n    class: unknown\n    severity: error\n    description: >\n      Drafted by `faultline rules suggest` from {count} line(s) no signature matched\n      (first at {path}:{line}). Say what this failure means, and pick a class.\n    patterns: [{pattern}]\n    remediation: >\n      Say what to do when this happens.\n    references: []\n    examples:\n      match: [{example}]\n      no_match: []\n",
        id = id(&found.template),
        title = quoted(&found.template),
        count = found.count,
        path = found.first.path,
        line = found.first.line,
        pattern = quoted(&pattern(&found.template)),
        example = quoted(&found.example.text),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pattern_keeps_shared_words_and_matches_every_member() {
        let template = "<*> ERROR reconcile batch <*> aborted: checksum=<*> (see docs)";
        let re = regex::Regex::new(&pattern(template)).expect("valid regex");
        for line in [
            "2026-03-02T10:00:02Z ERROR reconcile batch 8812 aborted: checksum=ab12 (see docs)",
            "ERROR reconcile batch 1 aborted:  checksum=0 (see docs)",
        ] {
            assert!(re.is_match(line), "{line}");
        }
        assert!(!re.is_match("ERROR reconcile batch 8812 finished: checksum=ab12 (see docs)"));
        assert_eq!(id(template), "custom.reconcile-batch-aborted-see");
    }
}
