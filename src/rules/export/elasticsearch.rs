//! Elasticsearch / OpenSearch: per rule a query DSL `bool` of `regexp`
//! queries on the message field. Lucene regexps match the whole value, so
//! the patterns arrive wrapped in `.*` where Rust would search; they need a
//! `keyword` or `wildcard` field (on an analysed `text` field a regexp
//! matches single terms, never the line).

use serde_json::{Value, json};

use super::{CAVEATS, Entry, Export, Fidelity, Target, Translated, summary};

/// The field queried when none is given: the `keyword` sub-field that
/// Elasticsearch's default dynamic mapping adds to `message`.
pub(super) const DEFAULT_FIELD: &str = "message.keyword";

/// Elasticsearch's default `index.max_regex_length`.
const MAX_REGEX_LENGTH: usize = 1000;

/// The JSON document: summary, caveats, one entry per exported rule, and
/// the rules left out with why.
pub(super) fn render(translated: &Translated, field: &str) -> Export {
    let verdicts = translated.verdicts();
    let regexp = |value: &str| json!({ "regexp": { field: { "value": value, "flags": "NONE" } } });
    let mut rules = Vec::new();
    let mut skipped = Vec::new();
    let mut too_long = 0;
    for entry in &translated.entries {
        let query = match entry {
            Entry::Skipped(rule, reason) => {
                skipped.push(json!({ "id": rule.id, "reason": reason }));
                continue;
            }
            Entry::Query(query) => query,
        };
        if query
            .any
            .iter()
            .chain(&query.all)
            .chain(&query.none)
            .any(|p| p.chars().count() > MAX_REGEX_LENGTH)
        {
            too_long += 1;
        }
        let mut filter = vec![json!({ "bool": {
            "should": query.any.iter().map(|p| regexp(p)).collect::<Vec<_>>(),
            "minimum_should_match": 1,
        }})];
        filter.extend(query.all.iter().map(|p| regexp(p)));
        let mut bool_query = json!({ "filter": filter });
        if !query.none.is_empty() {
            bool_query["must_not"] =
                Value::from(query.none.iter().map(|p| regexp(p)).collect::<Vec<_>>());
        }
        let (fidelity, reasons) = match query.fidelity() {
            Fidelity::Approximate(reasons) => ("approximate", reasons),
            Fidelity::Exact | Fidelity::Skipped(_) => ("exact", Vec::new()),
        };
        let mut rule = json!({
            "id": query.rule.id,
            "title": query.rule.title,
            "severity": query.rule.severity,
            "class": query.rule.class,
            "fidelity": fidelity,
            "query": { "bool": bool_query },
        });
        if !reasons.is_empty() {
            rule["approximate_because"] = Value::from(reasons);
        }
        rules.push(rule);
    }
    let mut caveats = vec![format!(
        "Queries the field `{field}` (--field), which must be a keyword or wildcard field: on an analysed text field a regexp matches single terms. A keyword field skips values longer than its ignore_above (256 in the default dynamic mapping); a wildcard field has no such limit."
    )];
    if too_long > 0 {
        caveats.push(format!(
            "{too_long} rules have a regexp longer than {MAX_REGEX_LENGTH} characters, the default index.max_regex_length; raise that index setting to run them."
        ));
    }
    caveats.extend(CAVEATS.iter().map(|c| c.to_string()));
    let document = json!({
        "generator": format!("faultline {}", env!("CARGO_PKG_VERSION")),
        "target": "elasticsearch",
        "field": field,
        "summary": summary(Target::Elasticsearch, &verdicts),
        "caveats": caveats,
        "rules": rules,
        "not_exported": skipped,
    });
    let text = serde_json::to_string_pretty(&document).unwrap_or_default() + "\n";
    Export { text, verdicts }
}
