//! `rules test`: every rule's and milestone's `match` examples must match
//! (with the captures they list) and `no_match` examples must not. Examples go
//! through the same wrapper peeling and matcher as scanned logs, so a rule
//! proven here behaves the same in a scan.

use std::sync::Arc;

use crate::input::meta::Meta;
use crate::input::traceback::is_exception_line;
use crate::input::{json, peel};
use crate::scan::{Matcher, Target, collect_traceback};

use super::model::{Example, RulePack};

/// One failed example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub id: String,
    pub file: String,
    pub line: u64,
    pub message: String,
}

/// Outcome of running every example.
#[derive(Debug, Default)]
pub struct Outcome {
    pub passed: usize,
    pub failures: Vec<Failure>,
}

/// The message a scan would match for an example line.
fn message_of(line: &str) -> String {
    match json::line_message(line) {
        Some((message, _)) => message,
        None => peel::message(line).to_string(),
    }
}

/// Runs every example of every rule and milestone in the pack.
pub fn run(pack: &Arc<RulePack>) -> Outcome {
    let matcher = Matcher::new(Arc::clone(pack));
    let mut scratch = matcher.scratch();
    let mut outcome = Outcome::default();
    let mut check = |id: &str, target: Target, example: &Example, must_match: bool| {
        // A multi-line example is a traceback (or other lines) ending in the
        // line to match: `raised_in` rules are tested on whole tracebacks.
        let (message, traceback) = match example.line.trim_end().rsplit_once('\n') {
            Some((context, last)) => {
                let message = message_of(last);
                let previous: Vec<String> = context.lines().map(message_of).collect();
                let traceback = if is_exception_line(&message) {
                    collect_traceback(&previous, &message)
                } else {
                    Vec::new()
                };
                (message, traceback)
            }
            None => (message_of(&example.line), Vec::new()),
        };
        let mut hits = matcher
            .match_message(&message, None, &mut Meta::default, &mut scratch)
            .hits;
        matcher.keep_allowed(&mut hits, &traceback);
        let hit = hits.iter().find(|h| h.target == target);
        let problem = match (must_match, hit) {
            (true, None) => Some(format!("expected a match: {}", example.line)),
            (false, Some(_)) => Some(format!("expected no match: {}", example.line)),
            (true, Some(hit)) => example.captures.as_ref().and_then(|expected| {
                let wrong: Vec<String> = expected
                    .iter()
                    .filter(|(name, value)| {
                        !hit.captures.iter().any(|(n, v)| n == name && v == value)
                    })
                    .map(|(name, value)| {
                        let got = hit
                            .captures
                            .iter()
                            .find(|(n, _)| n == name)
                            .map_or("nothing".to_string(), |(_, v)| format!("`{v}`"));
                        format!("capture `{name}`: expected `{value}`, got {got}")
                    })
                    .collect();
                (!wrong.is_empty()).then(|| format!("{} in: {}", wrong.join("; "), example.line))
            }),
            (false, None) => None,
        };
        match problem {
            Some(message) => outcome.failures.push(Failure {
                id: id.to_string(),
                file: example.origin.file.clone(),
                line: example.origin.line,
                message,
            }),
            None => outcome.passed += 1,
        }
    };
    for (r, rule) in pack.rules.iter().enumerate() {
        for example in &rule.examples.must_match {
            check(&rule.id, Target::Rule(r), example, true);
        }
        for example in &rule.examples.no_match {
            check(&rule.id, Target::Rule(r), example, false);
        }
    }
    for (s, sequence) in pack.sequences.iter().enumerate() {
        for (step, milestone) in sequence.milestones.iter().enumerate() {
            let id = format!("{}/{}", sequence.id, milestone.id);
            let target = Target::Milestone { sequence: s, step };
            for example in &milestone.examples.must_match {
                check(&id, target, example, true);
            }
            for example in &milestone.examples.no_match {
                check(&id, target, example, false);
            }
        }
    }
    outcome
}
