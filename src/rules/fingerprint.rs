//! The pack's fingerprint: a stable hash of everything in a compiled pack
//! that can change what a scan finds or how its report reads, so that
//! summaries made by different packs (whose rule numbers mean different
//! rules) are never merged. Examples and where rules were defined are left
//! out: they change no result.

use super::model::{Milestone, Pattern, Rule, RulePack};
use crate::hash::Fnv1a;

impl RulePack {
    /// `fnv1a64:` and 16 hex digits: the same for the same compiled pack on
    /// every machine, different when any rule or sequence changes.
    pub fn fingerprint(&self) -> String {
        let mut hash = Fnv1a::default();
        hash.write_field(&format!("rules {}", self.rules.len()));
        for rule in &self.rules {
            feed_rule(&mut hash, rule);
        }
        hash.write_field(&format!("sequences {}", self.sequences.len()));
        for sequence in &self.sequences {
            hash.write_field(&sequence.id);
            hash.write_field(&sequence.title);
            hash.write_field(sequence.correlate.as_deref().unwrap_or("\u{1}"));
            hash.write_field(if sequence.restart { "restart" } else { "" });
            hash.write_field(&format!("milestones {}", sequence.milestones.len()));
            for Milestone {
                id,
                title,
                patterns,
                ..
            } in &sequence.milestones
            {
                hash.write_field(id);
                hash.write_field(title);
                feed_patterns(&mut hash, patterns);
            }
        }
        format!("fnv1a64:{:016x}", hash.finish())
    }
}

fn feed_rule(hash: &mut Fnv1a, rule: &Rule) {
    let lists: [(&str, Vec<&str>); 9] = [
        ("all", rule.all.iter().map(|r| r.as_str()).collect()),
        ("not", rule.not.iter().map(|r| r.as_str()).collect()),
        ("levels", rule.levels.iter().map(String::as_str).collect()),
        (
            "services",
            rule.service_globs.iter().map(String::as_str).collect(),
        ),
        (
            "references",
            rule.references.iter().map(String::as_str).collect(),
        ),
        ("causes", rule.causes.iter().map(String::as_str).collect()),
        (
            "raised_in",
            rule.raised_in.iter().map(|r| r.as_str()).collect(),
        ),
        (
            "not_raised_in",
            rule.not_raised_in.iter().map(|r| r.as_str()).collect(),
        ),
        (
            "scalars",
            vec![
                &rule.id,
                &rule.title,
                &rule.class,
                rule.severity.as_str(),
                &rule.description,
                rule.explain.as_deref().unwrap_or("\u{1}"),
                &rule.remediation,
                if rule.outcome { "outcome" } else { "" },
            ],
        ),
    ];
    feed_patterns(hash, &rule.patterns);
    for (name, values) in lists {
        hash.write_field(&format!("{name} {}", values.len()));
        values.iter().for_each(|v| hash.write_field(v));
    }
}

fn feed_patterns(hash: &mut Fnv1a, patterns: &[Pattern]) {
    hash.write_field(&format!("patterns {}", patterns.len()));
    for pattern in patterns {
        hash.write_field(&pattern.source);
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::load::embedded_pack as embedded;

    #[test]
    fn is_stable_for_one_pack_and_changes_with_any_rule() {
        let pack = embedded();
        let print = pack.fingerprint();
        assert!(
            print.starts_with("fnv1a64:") && print.len() == 24,
            "{print}"
        );
        assert_eq!(print, embedded().fingerprint());
        let mut edited = pack.clone();
        edited.rules[0].severity = match edited.rules[0].severity {
            crate::Severity::Critical => crate::Severity::Info,
            _ => crate::Severity::Critical,
        };
        assert_ne!(edited.fingerprint(), print);
        let mut fewer = pack.clone();
        fewer.sequences.pop();
        assert_ne!(fewer.fingerprint(), print);
    }
}
