//! Loki: one LogQL query per rule, `SELECTOR |~ "…" !~ "…"`. Loki's line
//! filters use Go's RE2 syntax and search the line, as faultline does.

use super::{Entry, Export, Target, Translated, comment_block, header};

/// The LogQL document: a header, then per rule its comment and query.
pub(super) fn render(translated: &Translated, selector: &str) -> Export {
    let verdicts = translated.verdicts();
    let mut text = header(
        "#",
        Target::Logql,
        &verdicts,
        &[format!(
            "Replace the stream selector {selector} with the streams to search (--selector). One query per rule; the patterns of a rule are one alternation, all: and not: become further line filters."
        )],
    );
    for entry in &translated.entries {
        text.push('\n');
        text.push_str(&comment_block("#", entry.rule(), &entry.fidelity()));
        if let Entry::Query(query) = entry {
            let any = if query.any.len() == 1 {
                query.any[0].clone()
            } else {
                query.any.join("|")
            };
            text.push_str(selector);
            text.push_str(&format!(" |~ {}", quote(&any)));
            for all in &query.all {
                text.push_str(&format!(" |~ {}", quote(all)));
            }
            for none in &query.none {
                text.push_str(&format!(" !~ {}", quote(none)));
            }
            text.push('\n');
        }
    }
    Export { text, verdicts }
}

/// A LogQL (Go) double-quoted string.
fn quote(regex: &str) -> String {
    let mut out = String::with_capacity(regex.len() + 2);
    out.push('"');
    for c in regex.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn backslashes_and_quotes_are_escaped_for_go_strings() {
        assert_eq!(quote(r#"a\.b"c"#), r#""a\\.b\"c""#);
    }
}
