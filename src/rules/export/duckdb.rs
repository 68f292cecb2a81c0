//! DuckDB: one SQL script. It splits the files named by the variable
//! `faultline_input` into numbered lines (`read_text`), or reads one field
//! of JSON lines, and tests every rule with `regexp_matches` (RE2) in a
//! single pass, giving one row per matched line and rule. Each rule first
//! checks its required literals with `contains`, as faultline's prefilter
//! does, so most lines never reach a regex.

use super::super::model::Rule;
use super::{Entry, Export, Fidelity, Target, Translated, comment_block, header, one_line};

/// The SQL script.
pub(super) fn render(translated: &Translated, field: Option<&str>) -> Export {
    let verdicts = translated.verdicts();
    let mut notes = vec![
        "Run: duckdb -cmd \"SET VARIABLE faultline_input = 'logs/*.log'\" < faultline.sql".to_string(),
        "Result: file, line_number, rule_id, severity, class, exact (false: see the rule's comment), line.".into(),
    ];
    if let Some(field) = field {
        notes.push(format!(
            "Reads the field `{field}` of each JSON line (--field) as one value. faultline takes the first of message, msg, log, event, content and also reads exc_info, exception, stack_trace, stack and traceback, one line at a time."
        ));
    }
    let mut text = header("--", Target::Duckdb, &verdicts, &notes);
    text.push_str(&lines_view(field));
    text.push_str(&rules_table(translated));
    text.push_str(
        "\nCREATE OR REPLACE TEMP VIEW faultline_matches AS\n\
         SELECT m.file, m.line_number, r.rule_id, r.severity, r.class, r.exact, m.line\n\
         FROM (\n  SELECT file, line_number, line, unnest([\n",
    );
    let mut first = true;
    for entry in &translated.entries {
        text.push_str(&indent(&comment_block(
            "--",
            entry.rule(),
            &entry.fidelity(),
        )));
        let Entry::Query(query) = entry else { continue };
        let mut conditions: Vec<String> = prefilter(query.rule).into_iter().collect();
        conditions.push(format!(
            "({})",
            query
                .any
                .iter()
                .map(|p| format!("regexp_matches(line, {})", literal(p)))
                .collect::<Vec<_>>()
                .join(" OR ")
        ));
        conditions.extend(
            query
                .all
                .iter()
                .map(|p| format!("regexp_matches(line, {})", literal(p))),
        );
        conditions.extend(
            query
                .none
                .iter()
                .map(|p| format!("NOT regexp_matches(line, {})", literal(p))),
        );
        text.push_str(&format!(
            "    {}CASE WHEN {} THEN {} END\n",
            if first { "" } else { ", " },
            conditions.join(" AND "),
            literal(&query.rule.id)
        ));
        first = false;
    }
    text.push_str(
        "  ]) AS rule_id\n  FROM faultline_lines\n) m\nJOIN faultline_rules r USING (rule_id);\n\n\
         SELECT * FROM faultline_matches ORDER BY file, line_number, rule_id;\n",
    );
    Export { text, verdicts }
}

/// The literals every match of the rule contains (faultline's own
/// prefilter), tested with `contains` before any regex: most lines fail
/// there, which halves the script's time. `None` when some
/// pattern requires no literal.
fn prefilter(rule: &Rule) -> Option<String> {
    let mut tests = Vec::new();
    for pattern in &rule.patterns {
        for needle in pattern.needles.as_ref()? {
            tests.push(if needle.case_insensitive {
                // ASCII case-insensitive in faultline; `lower` folds at
                // least those letters, so no match is lost.
                format!(
                    "contains(lower(line), {})",
                    literal(&needle.text.to_lowercase())
                )
            } else {
                format!("contains(line, {})", literal(&needle.text))
            });
        }
    }
    tests.sort();
    tests.dedup();
    Some(format!("({})", tests.join(" OR ")))
}

/// The view of input lines: plain text split on newlines, or a field of
/// JSON lines (malformed lines and missing fields give no line).
fn lines_view(field: Option<&str>) -> String {
    let line = match field {
        None => "raw".to_string(),
        Some(field) => {
            let path = literal(&format!("$.\"{field}\""));
            format!("CASE WHEN json_valid(raw) THEN json_extract_string(raw, {path}) END")
        }
    };
    format!(
        "\nCREATE OR REPLACE TEMP VIEW faultline_lines AS\n\
         SELECT file, line_number, {line} AS line\n\
         FROM (\n  SELECT filename AS file, generate_subscripts(lines, 1) AS line_number, rtrim(unnest(lines), chr(13)) AS raw\n  \
         FROM (SELECT filename, string_split(content, chr(10)) AS lines FROM read_text(getvariable('faultline_input')))\n);\n"
    )
}

/// The exported rules as a table: what a match row is joined with.
fn rules_table(translated: &Translated) -> String {
    let rows: Vec<String> = translated
        .queries()
        .map(|q| {
            let note = match q.fidelity() {
                Fidelity::Approximate(reasons) => literal(&one_line(&reasons.join("; "))),
                Fidelity::Exact | Fidelity::Skipped(_) => "NULL".into(),
            };
            format!(
                "  ({}, {}, {}, {}, {}, {})",
                literal(&q.rule.id),
                literal(q.rule.severity.as_str()),
                literal(&q.rule.class),
                q.approximations.is_empty(),
                literal(&one_line(&q.rule.title)),
                note
            )
        })
        .collect();
    let mut out = "\nCREATE OR REPLACE TEMP TABLE faultline_rules (rule_id VARCHAR PRIMARY KEY, severity VARCHAR, class VARCHAR, exact BOOLEAN, title VARCHAR, approximate_because VARCHAR);\n".to_string();
    if !rows.is_empty() {
        out.push_str(&format!(
            "INSERT INTO faultline_rules VALUES\n{};\n",
            rows.join(",\n")
        ));
    }
    out
}

fn indent(block: &str) -> String {
    block.lines().map(|l| format!("    {l}\n")).collect()
}

/// A SQL string literal (standard: only `'` is special).
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_doubled_and_backslashes_kept() {
        assert_eq!(literal(r"can't \d"), r"'can''t \d'");
    }

    #[test]
    fn json_lines_read_the_named_field() {
        let view = lines_view(Some("msg"));
        assert!(
            view.contains(r#"json_extract_string(raw, '$."msg"')"#),
            "{view}"
        );
        assert!(lines_view(None).contains("raw AS line"));
    }
}
