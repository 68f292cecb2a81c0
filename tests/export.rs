//! `faultline rules export`: every target checked against the engine it
//! targets where one installs here, and against `faultline scan --matches`.
//!
//! RE2 is DuckDB's (the Python package `duckdb`, which `.ci/run` installs).
//! Without it these tests fail, unless FAULTLINE_SKIP_DUCKDB=1 says to skip
//! them. The corpus is every one-line, non-JSON example of the shipped
//! rules (match and no_match), each on its own line: faultline's verdict on
//! it is the reference every exact export must reproduce.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::faultline;
use serde_json::Value;

const ENGINES: &str = "tests/export/engines.py";
const SKIP_ENV: &str = "FAULTLINE_SKIP_DUCKDB";

/// Runs `engines.py MODE ARGS` with `stdin`; `None` when DuckDB is missing
/// and the skip variable is set (a missing DuckDB otherwise fails the test).
fn engines(mode: &str, args: &[&str], stdin: &str) -> Option<String> {
    let mut child = Command::new("python3")
        .arg(ENGINES)
        .arg(mode)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("python3 finishes");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(3) {
        if std::env::var_os(SKIP_ENV).is_some_and(|v| v == "1") {
            eprintln!("skipped: {stderr}");
            return None;
        }
        panic!("{stderr}(or set {SKIP_ENV}=1 to skip the DuckDB checks)");
    }
    assert!(out.status.success(), "engines.py {mode} failed: {stderr}");
    Some(String::from_utf8(out.stdout).expect("UTF-8"))
}

/// One exported document: stdout, and the rules stderr names inexact.
struct Exported {
    text: String,
    inexact: BTreeSet<String>,
}

fn export(args: &[&str]) -> Exported {
    let out = faultline()
        .args(["rules", "export"])
        .args(args)
        .output()
        .expect("faultline runs");
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let inexact = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("faultline: "))
        .filter(|l| l.contains(": approximate: ") || l.contains(": not exported: "))
        .filter_map(|l| l.split(": ").next())
        .map(str::to_string)
        .collect();
    Exported {
        text: String::from_utf8(out.stdout).expect("UTF-8"),
        inexact,
    }
}

/// The example corpus: (rule id, line) in file order, written one per line.
struct Corpus {
    _dir: tempfile::TempDir,
    path: PathBuf,
    lines: Vec<(String, String)>,
    /// (1-based line, rule) that `faultline scan --matches` reports.
    matched: BTreeSet<(usize, String)>,
}

fn example_lines(rule: &Value) -> Vec<String> {
    let examples = &rule["examples"];
    ["match", "no_match"]
        .iter()
        .flat_map(|k| examples[k].as_array().cloned().unwrap_or_default())
        .filter_map(|e| match e {
            Value::String(s) => Some(s),
            other => other["line"].as_str().map(str::to_string),
        })
        // One physical line, not a JSON event: what a text line in a store holds.
        .filter(|l| !l.contains(['\n', '\r']) && !l.trim_start().starts_with(['{', '[']))
        .collect()
}

/// The corpus, built and scanned once for all tests of this binary.
fn corpus() -> &'static Corpus {
    static CORPUS: std::sync::OnceLock<Corpus> = std::sync::OnceLock::new();
    CORPUS.get_or_init(build_corpus)
}

fn build_corpus() -> Corpus {
    let mut lines = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir("rules")
        .expect("rules/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read rule file");
        let doc: Value = serde_saphyr::from_str(&text).expect("rule file parses");
        for rule in doc["rules"].as_array().into_iter().flatten() {
            let id = rule["id"].as_str().expect("id").to_string();
            for line in example_lines(rule) {
                lines.push((id.clone(), line));
            }
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("examples.log");
    let body: String = lines.iter().map(|(_, l)| format!("{l}\n")).collect();
    std::fs::write(&path, body).expect("write corpus");
    let matched = scan_matches(&path, &["--input-format", "text"])
        .into_iter()
        .map(|(_, line, rule)| (line, rule))
        .collect();
    Corpus {
        _dir: dir,
        path,
        lines,
        matched,
    }
}

/// `faultline scan --matches --format jsonl`: (file name, line, rule).
fn scan_matches(path: &Path, extra: &[&str]) -> BTreeSet<(String, usize, String)> {
    let out = faultline()
        .args(["scan", "--matches", "--format", "jsonl"])
        .args(extra)
        .arg(path)
        .output()
        .expect("faultline runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .flat_map(|l| {
            // One line per matched line, listing every rule that matched it.
            let v: Value = serde_json::from_str(l).expect("jsonl");
            let file = file_name(v["path"].as_str().expect("path"));
            let line = v["line"].as_u64().expect("line") as usize;
            v["rules"]
                .as_array()
                .expect("rules")
                .iter()
                .map(|r| {
                    (
                        file.clone(),
                        line,
                        r["rule"].as_str().expect("rule").to_string(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Runs the DuckDB export over `input`: (file name, line, rule) of exact rules.
fn duckdb_matches(sql: &Path, input: &str) -> Option<BTreeSet<(String, usize, String)>> {
    let out = engines("run", &[sql.to_str().expect("path"), input], "")?;
    Some(
        out.lines()
            .map(|l| serde_json::from_str::<(String, usize, String, bool)>(l).expect("row"))
            .filter(|(_, _, _, exact)| *exact)
            .map(|(file, line, rule, _)| (file_name(&file), line, rule))
            .collect(),
    )
}

fn write_temp(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn duckdb_export_matches_the_same_lines_as_scan_on_the_rule_examples() {
    let corpus = corpus();
    let exported = export(&["--to", "duckdb"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let sql = write_temp(&dir, "faultline.sql", &exported.text);
    let Some(found) = duckdb_matches(&sql, corpus.path.to_str().expect("path")) else {
        return;
    };
    let found: BTreeSet<(usize, String)> = found.into_iter().map(|(_, l, r)| (l, r)).collect();
    let expected: BTreeSet<(usize, String)> = corpus
        .matched
        .iter()
        .filter(|(_, rule)| !exported.inexact.contains(rule))
        .cloned()
        .collect();
    assert!(
        expected.len() > corpus.lines.len() / 4,
        "the corpus exercises the rules"
    );
    let missed: Vec<_> = expected.difference(&found).take(10).collect();
    let extra: Vec<_> = found.difference(&expected).take(10).collect();
    assert!(
        missed.is_empty() && extra.is_empty(),
        "DuckDB missed {missed:?}; DuckDB alone matched {extra:?}"
    );
}

#[test]
fn duckdb_export_matches_the_same_lines_as_scan_on_wrapped_fixtures() {
    // kubectl timestamps, docker compose prefixes, Heroku and journald
    // headers: peeled by faultline, kept by DuckDB; unanchored rules agree.
    let fixtures = [
        "fixtures/supabase-timeout/kubectl-logs.log",
        "fixtures/celery-broker-lost/docker-compose-logs.log",
        "fixtures/oom-crashloop/kubectl-logs-previous.log",
        "fixtures/stacks/heroku-command-not-found.log",
        "fixtures/formats/journald.log",
        "fixtures/formats/gunicorn.log",
    ];
    let exported = export(&["--to", "duckdb"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let sql = write_temp(&dir, "faultline.sql", &exported.text);
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).expect("mkdir");
    for fixture in fixtures {
        std::fs::copy(fixture, logs.join(file_name(fixture))).expect("copy fixture");
    }
    let glob = logs.join("*.log");
    let Some(found) = duckdb_matches(&sql, glob.to_str().expect("path")) else {
        return;
    };
    let expected: BTreeSet<_> = scan_matches(&logs, &[])
        .into_iter()
        .filter(|(_, _, rule)| !exported.inexact.contains(rule))
        .collect();
    let files: BTreeSet<&String> = expected.iter().map(|(f, _, _)| f).collect();
    assert_eq!(files.len(), fixtures.len(), "every fixture has findings");
    assert_eq!(found, expected);
}

/// The queries of a LogQL export: rule id → (`|~` regexes, `!~` regexes).
fn logql_queries(text: &str, selector: &str) -> BTreeMap<String, (Vec<String>, Vec<String>)> {
    let mut queries = BTreeMap::new();
    let mut current = None;
    for line in text.lines() {
        if let Some(comment) = line.strip_prefix("# ") {
            if let Some((id, _)) = comment
                .split_once(" (")
                .filter(|_| !comment.starts_with(' '))
            {
                current = Some(id.to_string());
            }
            continue;
        }
        let Some(filters) = line.strip_prefix(selector) else {
            assert!(line.is_empty(), "unexpected line {line:?}");
            continue;
        };
        let id = current.take().expect("a query follows its rule's comment");
        queries.insert(id, parse_filters(filters));
    }
    queries
}

/// ` |~ "a" !~ "b"` → (["a"], ["b"]), reading Go string escapes.
fn parse_filters(mut rest: &str) -> (Vec<String>, Vec<String>) {
    let (mut keep, mut drop) = (Vec::new(), Vec::new());
    while !rest.is_empty() {
        let (op, tail) = rest.trim_start().split_at(2);
        let mut chars = tail.trim_start().strip_prefix('"').expect("quoted").chars();
        let mut regex = String::new();
        loop {
            match chars.next().expect("closing quote") {
                '"' => break,
                '\\' => match chars.next().expect("escape") {
                    'n' => regex.push('\n'),
                    c => regex.push(c),
                },
                c => regex.push(c),
            }
        }
        match op {
            "|~" => keep.push(regex),
            "!~" => drop.push(regex),
            other => panic!("unexpected operator {other}"),
        }
        rest = chars.as_str();
    }
    (keep, drop)
}

#[test]
fn logql_regexes_compile_under_re2_and_match_like_scan() {
    let selector = r#"{namespace="prod", app=~"agent-.*"}"#;
    let exported = export(&["--to", "logql", "--selector", selector]);
    let queries = logql_queries(&exported.text, selector);
    let rules = rule_ids();
    let exported_ids: BTreeSet<&String> = queries.keys().collect();
    for id in &rules {
        assert!(
            exported_ids.contains(id) || exported.text.contains(&format!("# {id} (")),
            "{id} is neither exported nor listed"
        );
    }
    let all: Vec<&String> = queries
        .values()
        .flat_map(|(k, d)| k.iter().chain(d))
        .collect();
    let Some(errors) = engines("compile", &[], &serde_json::to_string(&all).expect("json")) else {
        return;
    };
    assert_eq!(errors.trim(), "[]", "RE2 rejects exported regexes");

    // Each exact rule's query, on its own examples, agrees with scan.
    let corpus = corpus();
    let mut pairs = Vec::new();
    let mut cases = Vec::new();
    for (n, (id, line)) in corpus.lines.iter().enumerate() {
        let Some((keep, drop)) = queries.get(id) else {
            continue;
        };
        if exported.inexact.contains(id) {
            continue;
        }
        let first = pairs.len();
        for regex in keep.iter().chain(drop) {
            pairs.push((regex.clone(), line.clone()));
        }
        cases.push((n + 1, id.clone(), first, keep.len(), drop.len()));
    }
    let verdicts: Vec<bool> = serde_json::from_str(
        &engines(
            "re2-match",
            &[],
            &serde_json::to_string(&pairs).expect("json"),
        )
        .expect("DuckDB present"),
    )
    .expect("booleans");
    let mut disagreements = Vec::new();
    for (line, id, first, keep, drop) in cases {
        let got = verdicts[first..first + keep].iter().all(|v| *v)
            && !verdicts[first + keep..first + keep + drop]
                .iter()
                .any(|v| *v);
        if got != corpus.matched.contains(&(line, id.clone())) {
            disagreements.push((id, corpus.lines[line - 1].1.clone()));
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}

fn rule_ids() -> Vec<String> {
    let out = faultline()
        .args(["rules", "list", "--format", "json"])
        .output()
        .expect("faultline runs");
    let rules: Value = serde_json::from_slice(&out.stdout).expect("json");
    rules
        .as_array()
        .expect("array")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect()
}

/// The regexp values of an Elasticsearch clause list.
fn regexps(clauses: &Value, field: &str) -> Vec<String> {
    clauses
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            c["regexp"][field]["value"]
                .as_str()
                .expect("a regexp on the field")
                .to_string()
        })
        .collect()
}

#[test]
fn elasticsearch_export_is_valid_json_lists_every_rule_and_matches_like_scan() {
    let exported = export(&["--to", "elasticsearch", "--field", "log.message"]);
    let doc: Value = serde_json::from_str(&exported.text).expect("valid JSON");
    assert_eq!(doc["field"], "log.message");
    let mut seen = BTreeSet::new();
    let mut queries = BTreeMap::new();
    for rule in doc["rules"].as_array().expect("rules") {
        let id = rule["id"].as_str().expect("id").to_string();
        let reasons = rule["approximate_because"].as_array();
        match rule["fidelity"].as_str() {
            Some("exact") => assert!(reasons.is_none(), "{id}"),
            Some("approximate") => assert!(reasons.is_some_and(|r| !r.is_empty()), "{id}"),
            other => panic!("{id}: fidelity {other:?}"),
        }
        let bool_query = &rule["query"]["bool"];
        let filter = bool_query["filter"].as_array().expect("filter");
        let any = regexps(&filter[0]["bool"]["should"], "log.message");
        assert!(!any.is_empty(), "{id}");
        let all: Vec<String> = filter[1..]
            .iter()
            .flat_map(|c| regexps(&Value::from(vec![c.clone()]), "log.message"))
            .collect();
        let none = regexps(&bool_query["must_not"], "log.message");
        assert!(seen.insert(id.clone()), "{id} twice");
        if rule["fidelity"] == "exact" {
            queries.insert(id, (any, all, none));
        }
    }
    for skipped in doc["not_exported"].as_array().expect("not_exported") {
        let id = skipped["id"].as_str().expect("id").to_string();
        assert!(!skipped["reason"].as_str().expect("reason").is_empty());
        assert!(seen.insert(id.clone()), "{id} twice");
    }
    assert_eq!(
        seen,
        rule_ids().into_iter().collect(),
        "every rule accounted for"
    );
    assert!(!queries.is_empty());

    // Exact rules' regexps, read as Lucene reads them (whole value), agree
    // with scan on the rules' own examples.
    let corpus = corpus();
    let mut pairs = Vec::new();
    let mut cases = Vec::new();
    for (n, (id, line)) in corpus.lines.iter().enumerate() {
        let Some((any, all, none)) = queries.get(id) else {
            continue;
        };
        let first = pairs.len();
        for regex in any.iter().chain(all).chain(none) {
            pairs.push((regex.clone(), line.clone()));
        }
        cases.push((n + 1, id.clone(), first, any.len(), all.len(), none.len()));
    }
    let verdicts: Vec<bool> = serde_json::from_str(
        &engines(
            "lucene-match",
            &[],
            &serde_json::to_string(&pairs).expect("json"),
        )
        .expect("python3 present"),
    )
    .expect("booleans");
    let mut disagreements = Vec::new();
    for (line, id, first, any, all, none) in cases {
        let v = &verdicts[first..first + any + all + none];
        let got = v[..any].iter().any(|x| *x)
            && v[any..any + all].iter().all(|x| *x)
            && !v[any + all..].iter().any(|x| *x);
        if got != corpus.matched.contains(&(line, id.clone())) {
            disagreements.push((id, corpus.lines[line - 1].1.clone()));
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}

#[test]
fn datadog_export_is_approximate_and_finds_every_line_scan_matches() {
    let exported = export(&["--to", "datadog"]);
    let mut queries: BTreeMap<String, String> = BTreeMap::new();
    let mut current = None;
    let mut approximate = BTreeSet::new();
    for line in exported.text.lines() {
        if let Some(comment) = line.strip_prefix("# ") {
            if let Some((id, _)) = comment
                .split_once(" (")
                .filter(|_| !comment.starts_with(' '))
            {
                current = Some(id.to_string());
            }
            if comment
                .trim_start()
                .starts_with("approximate: Datadog search has no regex")
            {
                approximate.insert(current.clone().expect("rule"));
            }
        } else if !line.is_empty() {
            queries.insert(current.take().expect("rule"), line.to_string());
        }
    }
    assert_eq!(
        queries.keys().collect::<BTreeSet<_>>(),
        approximate.iter().collect(),
        "every exported query is marked approximate"
    );
    // A superset: each line scan matches holds a phrase of the rule's first
    // group (Datadog full-text search ignores case).
    let corpus = corpus();
    let mut checked = 0;
    for (line, id) in &corpus.matched {
        let Some(query) = queries.get(id) else {
            continue;
        };
        let text = corpus.lines[line - 1].1.to_lowercase();
        let phrases = first_group_phrases(query);
        assert!(
            phrases.iter().any(|p| text.contains(p.as_str())),
            "{id}: {text:?} holds none of {phrases:?}"
        );
        checked += 1;
    }
    assert!(checked > 0);
}

/// The quoted phrases of a Datadog query's first group (`"a"` or
/// `("a" OR "b")`), unescaped and lower-cased.
fn first_group_phrases(query: &str) -> Vec<String> {
    let mut phrases = Vec::new();
    let mut chars = query.chars();
    let mut depth = 0;
    while let Some(c) = chars.next() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ' ' if depth == 0 => break,
            '"' => {
                let mut phrase = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => phrase.extend(chars.next()),
                        c => phrase.push(c),
                    }
                }
                phrases.push(phrase.to_lowercase());
                if depth == 0 {
                    break;
                }
            }
            _ => {}
        }
    }
    phrases
}

#[test]
fn a_rule_a_target_cannot_express_is_listed_with_its_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = write_temp(
        &dir,
        "team.yaml",
        r#"rules:
  - id: team.word-start
    title: A start-of-word assertion
    class: unknown
    severity: warning
    description: Exercises a pattern RE2 cannot say.
    patterns: ['job \b{start}\w+ failed']
    explain: "job failed"
    remediation: none
    examples:
      match: ['job a.b failed', 'job x failed']
      no_match: ['job ok', 'job done']
  - id: team.exact
    title: Plain
    class: unknown
    severity: warning
    description: Plain literal.
    patterns: ['quota exceeded for tenant']
    levels: [error]
    explain: "quota"
    remediation: none
    examples:
      match: ['quota exceeded for tenant a', 'x quota exceeded for tenant']
      no_match: ['quota ok', 'fine']
"#,
    );
    let rules = rules.to_str().expect("path");
    let out = faultline()
        .args([
            "rules",
            "export",
            "--to",
            "logql",
            "--no-default-rules",
            "--rules",
            rules,
        ])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("team.word-start: not exported: pattern"),
        "{stderr}"
    );
    assert!(
        stderr.contains("team.exact: approximate: levels [error]"),
        "{stderr}"
    );
    assert!(
        stdout.contains("#   not exported: pattern `job \\b{start}\\w+ failed`"),
        "{stdout}"
    );
    assert!(
        stdout.contains(r#"{job=~".+"} |~ "quota exceeded for tenant""#),
        "{stdout}"
    );
    assert!(
        stderr.contains("2 rules for logql: 0 exact, 1 approximate, 1 not exported"),
        "{stderr}"
    );
}

#[test]
fn options_that_do_not_fit_the_target_and_empty_exports_exit_2() {
    faultline()
        .args([
            "rules",
            "export",
            "--to",
            "duckdb",
            "--selector",
            "{app=\"x\"}",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--selector applies to --to logql only",
        ));
    faultline()
        .args(["rules", "export", "--to", "logql", "--selector", "app=x"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is not a LogQL stream selector"));
    faultline()
        .args(["rules", "export", "--to", "splunk"])
        .assert()
        .code(2);
    let dir = tempfile::tempdir().expect("tempdir");
    let only = write_temp(
        &dir,
        "only.yaml",
        r#"rules:
  - id: team.unexportable
    title: Boundary
    class: unknown
    severity: warning
    description: Nothing exportable.
    patterns: ['job \b{start}\w+ failed']
    explain: "job failed"
    remediation: none
    examples:
      match: ['job a.b failed', 'job x failed']
      no_match: ['job ok', 'job done']
"#,
    );
    faultline()
        .args([
            "rules",
            "export",
            "--to",
            "duckdb",
            "--no-default-rules",
            "--rules",
        ])
        .arg(&only)
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicates::str::contains("no rule could be exported"));
}

/// Rules whose meaning depends on Rust's Unicode classes, boundaries and
/// case folding, where RE2's ASCII `\w`, `\d`, `\s` and `\b` would differ.
const UNICODE_RULES: &str = r#"rules:
  - id: uni.word
    title: Unicode word class
    class: unknown
    severity: warning
    description: A user name in any script.
    patterns: ['user \w+ denied']
    explain: "denied"
    remediation: none
    examples:
      match: ['user josé denied', 'user bob denied']
      no_match: ['user - denied', 'user denied']
  - id: uni.boundary
    title: Word boundaries at both edges
    class: unknown
    severity: warning
    description: A whole word.
    patterns: ['\bfail\b']
    explain: "fail"
    remediation: none
    examples:
      match: ['x fail.', 'fail']
      no_match: ['éfail x', 'failé']
  - id: uni.digit
    title: Unicode digits
    class: unknown
    severity: warning
    description: Any decimal digit.
    patterns: ['exit code \d+ ']
    explain: "code"
    remediation: none
    examples:
      match: ['exit code 3 now', 'exit code ٣ now']
      no_match: ['exit code x now', 'exit code  now']
  - id: uni.space
    title: Unicode white space
    class: unknown
    severity: warning
    description: Any white space.
    patterns: ['timeout\sreached']
    explain: "timeout"
    remediation: none
    examples:
      match: ['timeout reached', "timeout\u00A0reached"]
      no_match: ['timeout-reached', 'timeoutreached']
  - id: uni.fold
    title: Case folding beyond ASCII
    class: unknown
    severity: warning
    description: Case-insensitive.
    patterns: ['(?i)straße gesperrt']
    explain: "fold"
    remediation: none
    examples:
      match: ['STRAẞE GESPERRT', 'Straße gesperrt']
      no_match: ['strasse gesperrt', 'Strase gesperrt']
  - id: uni.not-word
    title: Negated word class
    class: unknown
    severity: warning
    description: A non-word character between two words.
    patterns: ['alpha[^\w ]beta']
    explain: "sep"
    remediation: none
    examples:
      match: ['alpha-beta', 'alpha→beta']
      no_match: ['alphaébeta', 'alpha beta']
"#;

#[test]
fn duckdb_export_keeps_rust_unicode_semantics() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = write_temp(&dir, "unicode.yaml", UNICODE_RULES);
    let lines = [
        "user josé denied",
        "user 名前 denied",
        "user - denied",
        "x fail.",
        "éfail x",
        "failé",
        "naïve fail",
        "exit code ٣ now",
        "exit code x now",
        "timeout\u{A0}reached",
        "timeout\u{2003}reached",
        "STRAẞE GESPERRT",
        "alpha→beta",
        "alphaébeta",
        "alpha\u{301}beta",
    ];
    let log = write_temp(&dir, "unicode.log", &(lines.join("\n") + "\n"));
    let rules = rules.to_str().expect("path");
    let exported = export(&["--to", "duckdb", "--no-default-rules", "--rules", rules]);
    assert!(exported.inexact.is_empty(), "{:?}", exported.inexact);
    let sql = write_temp(&dir, "faultline.sql", &exported.text);
    let Some(found) = duckdb_matches(&sql, log.to_str().expect("path")) else {
        return;
    };
    let expected = scan_matches(
        &log,
        &[
            "--input-format",
            "text",
            "--no-default-rules",
            "--rules",
            rules,
        ],
    );
    // The lines only Unicode-aware matching gets right are among the matches.
    for line in [1, 2, 8, 10, 11, 12, 13] {
        assert!(
            expected.iter().any(|(_, l, _)| *l == line),
            "scan matches line {line}: {expected:?}"
        );
    }
    assert_eq!(found, expected);
}
