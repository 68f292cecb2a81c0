//! Redaction of secrets in evidence: reports are pasted into tickets and
//! chat. Applied to the finished report, after matching, so it never changes
//! which rules match.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use crate::analyze::{Evidence, Report};

const MASK: &str = "****";

static SECRETS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        // Passwords in URLs: scheme://user:pass@host, scheme://:pass@host
        (r"(?P<keep>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)[^@\s/]+@", "${keep}****@"),
        // JWTs (Supabase service keys start with eyJ)
        (r"eyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]+){0,2}", MASK),
        // Anthropic / OpenAI style keys
        (r"\bsk-(?:ant-)?[A-Za-z0-9_-]{8,}", MASK),
        // AWS access key ids
        (r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", MASK),
        // Bearer tokens
        (r"(?i)(?P<keep>\bbearer\s+)[A-Za-z0-9._~+/=-]{8,}", "${keep}****"),
        // NAME_KEY=value, API_TOKEN: value, DB_PASSWORD="value"
        (r#"(?P<keep>\b[A-Za-z0-9_]*(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD)\b["']?\s*[=:]\s*["']?)[^\s"',;]+"#, "${keep}****"),
    ]
    .into_iter()
    .map(|(pattern, replacement)| (Regex::new(pattern).expect("valid redaction regex"), replacement))
    .collect()
});

/// `text` with secrets masked.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    for (regex, replacement) in SECRETS.iter() {
        if regex.is_match(&out) {
            out = Cow::Owned(regex.replace_all(&out, *replacement).into_owned());
        }
    }
    out
}

fn redact_evidence(evidence: &mut Evidence) {
    evidence.text = redact(&evidence.text).into_owned();
    let quoted = evidence
        .traceback
        .iter_mut()
        .chain(&mut evidence.before)
        .chain(&mut evidence.after);
    for line in quoted {
        *line = redact(line).into_owned();
    }
}

/// Masks secrets everywhere the report quotes log text.
pub fn redact_report(report: &mut Report) {
    report.verdict.text = redact(&report.verdict.text).into_owned();
    for cause in &mut report.root_causes {
        cause.evidence.iter_mut().for_each(redact_evidence);
        cause.explanation = redact(&cause.explanation).into_owned();
    }
    for finding in &mut report.findings {
        finding.evidence.iter_mut().for_each(redact_evidence);
        finding.explanation = redact(&finding.explanation).into_owned();
        for value in finding.captures.values_mut() {
            *value = redact(value).into_owned();
        }
        for value in finding.values.values_mut().flatten() {
            *value = redact(value).into_owned();
        }
    }
    for unrecognised in &mut report.unrecognised {
        unrecognised.template = redact(&unrecognised.template).into_owned();
        redact_evidence(&mut unrecognised.example);
    }
    for sequence in &mut report.sequences {
        for run in &mut sequence.runs {
            run.unexplained_stall.iter_mut().for_each(redact_evidence);
            run.steps
                .iter_mut()
                .filter_map(|s| s.at.as_mut())
                .for_each(redact_evidence);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_every_kind_of_secret() {
        let cases = [
            (
                "redis://:hunter2@redis:6379/0",
                "redis://:****@redis:6379/0",
            ),
            (
                "postgres://app:s3cr3t@db:5432/x",
                "postgres://app:****@db:5432/x",
            ),
            (
                "rediss://default:AbC123@caring-owl-41.upstash.io:6379",
                "rediss://default:****@caring-owl-41.upstash.io:6379",
            ),
            (
                "key eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZSJ9.abc123",
                "key ****",
            ),
            (
                "ANTHROPIC_API_KEY=sk-ant-api03-abcdefghijkl",
                "ANTHROPIC_API_KEY=****",
            ),
            ("using sk-ant-api03-abcdefghijkl now", "using **** now"),
            ("aws AKIAIOSFODNN7EXAMPLE", "aws ****"),
            (
                "Authorization: Bearer abcdef123456",
                "Authorization: Bearer ****",
            ),
            (
                "SUPABASE_SERVICE_ROLE_KEY: 'xyz987'",
                "SUPABASE_SERVICE_ROLE_KEY: '****'",
            ),
            ("DB_PASSWORD=pw1234", "DB_PASSWORD=****"),
        ];
        for (input, expected) in cases {
            assert_eq!(redact(input), expected, "{input}");
        }
    }

    #[test]
    fn masks_the_traceback_and_the_lines_around_evidence() {
        let mut evidence = Evidence {
            path: "app.log".into(),
            line: 3,
            text: "exited with code 1".into(),
            timestamp: None,
            origin: Default::default(),
            traceback: vec!["url=redis://:hunter2@redis:6379".into()],
            before: vec!["DB_PASSWORD=pw1234".into()],
            after: vec!["API_TOKEN=abcd1234efgh".into()],
        };
        redact_evidence(&mut evidence);
        assert_eq!(evidence.traceback, ["url=redis://:****@redis:6379"]);
        assert_eq!(evidence.before, ["DB_PASSWORD=****"]);
        assert_eq!(evidence.after, ["API_TOKEN=****"]);
    }

    #[test]
    fn leaves_ordinary_lines_alone() {
        assert_eq!(
            redact("Cannot connect to redis://:**@redis:6379/0"),
            "Cannot connect to redis://:****@redis:6379/0"
        );
        for line in [
            "Connected to redis://redis:6379/0",
            "ModuleNotFoundError: No module named 'yaml'",
            "Task tasks.process_event[1] succeeded",
        ] {
            assert_eq!(redact(line), line);
        }
    }
}
