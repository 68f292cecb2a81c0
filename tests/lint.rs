//! `rules lint`: every kind of mistake is reported compiler-style, at
//! file:line:column with the offending text, and errors exit 2.

mod common;

use common::faultline;

/// Lints `yaml` as the only rule file; returns (exit code, stderr).
fn lint(yaml: &str, extra: &[&str]) -> (i32, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.yaml");
    std::fs::write(&path, yaml).expect("write");
    let output = faultline()
        .args(["rules", "lint", "--no-default-rules"])
        .arg(&path)
        .args(extra)
        .output()
        .expect("run");
    let stderr =
        String::from_utf8_lossy(&output.stderr).replace(&path.display().to_string(), "bad.yaml");
    (output.status.code().unwrap_or(-1), stderr)
}

const GOOD: &str = r#"rules:
  - id: demo.timeout
    title: Demo timeout
    class: timeout
    severity: error
    patterns: ['Execution timeout exceeded \((?P<limit>\d+)s\)']
    explain: "Ran past {limit}s"
    examples:
      match: ['ERROR [run_id=a] Execution timeout exceeded (60s)']
      no_match: ['Execution time: 55s of 60s limit']
"#;

fn assert_points(stderr: &str, code: &str, location: &str, snippet: &str) {
    assert!(
        stderr.contains(&format!("error[{code}]")),
        "no {code} in:\n{stderr}"
    );
    assert!(
        stderr.contains(&format!("bad.yaml:{location}")),
        "no location bad.yaml:{location} in:\n{stderr}"
    );
    assert!(
        stderr.contains(snippet),
        "snippet `{snippet}` not quoted in:\n{stderr}"
    );
    assert!(stderr.contains('^'), "no caret in:\n{stderr}");
}

#[test]
fn a_valid_file_lints_clean() {
    let (code, stderr) = lint(GOOD, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("0 errors"));
}

#[test]
fn yaml_syntax_error() {
    let (code, stderr) = lint("rules:\n  - id: a\n    title: [unclosed\n", &[]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("error[yaml-syntax]") || stderr.contains("error[wrong-type]"),
        "{stderr}"
    );
    assert!(stderr.contains("bad.yaml:"), "{stderr}");
}

#[test]
fn unknown_field_names_the_valid_ones() {
    let (code, stderr) = lint(&GOOD.replace("    patterns:", "    pattern:"), &[]);
    assert_eq!(code, 2);
    assert_points(&stderr, "unknown-field", "6:5", "pattern:");
    assert!(
        stderr.contains("patterns"),
        "hint lists valid fields: {stderr}"
    );
}

#[test]
fn wrong_type() {
    let (code, stderr) = lint(
        &GOOD.replace("    title: Demo timeout", "    title: {a: b}"),
        &[],
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("error[wrong-type]") && stderr.contains("bad.yaml:3:"),
        "{stderr}"
    );
}

#[test]
fn duplicate_ids() {
    let twice = format!("{GOOD}{}", GOOD.trim_start_matches("rules:\n"));
    let (code, stderr) = lint(&twice, &[]);
    assert_eq!(code, 2);
    assert_points(&stderr, "duplicate-id", "11:9", "demo.timeout");
}

#[test]
fn invalid_regex_points_into_the_pattern() {
    let (code, stderr) = lint(
        &GOOD.replace(r"\((?P<limit>\d+)s\)", r"\((?P<limit>\d+s\)"),
        &[],
    );
    assert_eq!(code, 2);
    assert_points(&stderr, "invalid-regex", "6:", "Execution timeout exceeded");
}

#[test]
fn unknown_class_suggests_the_closest_or_lists_the_classes() {
    let (code, stderr) = lint(&GOOD.replace("class: timeout", "class: time-out"), &[]);
    assert_eq!(code, 2);
    assert_points(&stderr, "unknown-class", "4:12", "time-out");
    assert!(stderr.contains("did you mean `timeout`?"), "{stderr}");
    let (code, stderr) = lint(&GOOD.replace("class: timeout", "class: slowness"), &[]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("classes (docs/failure-classes.md): module-not-found, "),
        "{stderr}"
    );
}

#[test]
fn unknown_cause() {
    let (code, stderr) = lint(
        &GOOD.replace("    examples:", "    causes: [demo.nothing]\n    examples:"),
        &[],
    );
    assert_eq!(code, 2);
    assert_points(&stderr, "unknown-cause", "8:14", "demo.nothing");
}

#[test]
fn causal_cycle() {
    let b = GOOD
        .trim_start_matches("rules:\n")
        .replace("demo.timeout", "demo.b");
    let yaml = format!(
        "{}{}",
        GOOD.replace("    examples:", "    causes: [demo.b]\n    examples:"),
        b.replace("    examples:", "    causes: [demo.timeout]\n    examples:")
    );
    let (code, stderr) = lint(&yaml, &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("error[causal-cycle]"), "{stderr}");
    assert!(
        stderr.contains("demo.b → demo.timeout → demo.b")
            || stderr.contains("demo.timeout → demo.b → demo.timeout"),
        "{stderr}"
    );
    assert!(
        stderr.contains("causes: [demo."),
        "points at the causes entry: {stderr}"
    );
}

#[test]
fn explanation_using_an_uncaptured_name() {
    let (code, stderr) = lint(&GOOD.replace("{limit}", "{seconds}"), &[]);
    assert_eq!(code, 2);
    assert_points(&stderr, "unknown-capture", "7:14", "seconds");
}

#[test]
fn slow_pattern_is_a_warning_not_an_error() {
    let (code, stderr) = lint(
        &GOOD.replace(
            r"'Execution timeout exceeded \((?P<limit>\d+)s\)'",
            r"'(?P<limit>\d+)s\)'",
        ),
        &[],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("warning[slow-pattern]") && stderr.contains("bad.yaml:6:"),
        "{stderr}"
    );
}

#[test]
fn broad_pattern_against_a_corpus() {
    let dir = tempfile::tempdir().expect("tempdir");
    let corpus = dir.path().join("sample.log");
    std::fs::write(&corpus, "INFO request ok\n".repeat(50)).expect("write");
    let broad = GOOD.replace(
        r"'Execution timeout exceeded \((?P<limit>\d+)s\)'",
        "'request (?P<limit>ok)'",
    );
    let (code, stderr) = lint(&broad, &["--corpus", corpus.to_str().expect("path")]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("warning[broad-pattern]") && stderr.contains("100%"),
        "{stderr}"
    );
}

#[test]
fn a_broken_rule_file_stops_scan_with_exit_two_and_never_half_loads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.yaml");
    std::fs::write(&path, GOOD.replace("class: timeout", "class: nope")).expect("write");
    let output = faultline()
        .args(["scan", "--rules"])
        .arg(&path)
        .arg("fixtures/degraded-import/render-dashboard.log")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        output.stdout.is_empty(),
        "nothing is scanned with a broken pack"
    );
}

/// A rule file whose one `match` example holds a billion-laughs bomb of
/// `depth` levels (10^depth strings once expanded). Every key is a valid
/// field, and an example is buffered whole before its variant is chosen,
/// so the parser really expands the aliases.
fn alias_bomb(depth: usize) -> String {
    let mut yaml = String::from(
        "rules:\n  - id: demo.bomb\n    title: Bomb\n    class: timeout\n    severity: error\n    \
         patterns: ['boom']\n    examples:\n      match:\n        - line: boom\n          captures:\n            \
         a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n",
    );
    for i in 1..depth {
        let prev = format!("*a{}", i - 1);
        yaml.push_str(&format!(
            "            a{i}: &a{i} [{}]\n",
            [prev.as_str(); 10].join(", ")
        ));
    }
    yaml
}

#[test]
fn alias_bombs_are_refused_quickly() {
    // Small: the aliases expand, and the example is then refused for its shape.
    let (code, stderr) = lint(&alias_bomb(3), &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(!stderr.contains("yaml-limit"), "{stderr}");
    assert!(stderr.contains("did not match any variant"), "{stderr}");
    // 10^9 strings: the expansion limit stops it, at the alias that breaks it.
    let started = std::time::Instant::now();
    let (code, stderr) = lint(&alias_bomb(9), &[]);
    let took = started.elapsed();
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("error[yaml-limit]"), "{stderr}");
    assert!(!stderr.contains("unknown-field"), "{stderr}");
    assert!(stderr.contains("bad.yaml:"), "{stderr}");
    assert!(
        took < std::time::Duration::from_secs(20),
        "an alias bomb took {took:?} to refuse"
    );
}

#[test]
fn deeply_nested_yaml_is_refused_at_its_position() {
    let yaml = format!("rules: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let (code, stderr) = lint(&yaml, &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("error[yaml-limit]"), "{stderr}");
    assert!(stderr.contains("bad.yaml:1:"), "{stderr}");
}

#[test]
fn huge_rule_files_are_refused_before_parsing() {
    let mut yaml = String::from("rules:\n");
    while yaml.len() <= 9 << 20 {
        yaml.push_str("  # padding that makes the file larger than any real rule file\n");
    }
    let (code, stderr) = lint(&yaml, &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("the limit is"), "{stderr}");
}

#[test]
fn regexes_over_the_size_limit_point_at_the_pattern() {
    let yaml = GOOD.replace(
        r"'Execution timeout exceeded \((?P<limit>\d+)s\)'",
        r"'(?P<limit>\w{50}){50}x'",
    );
    let (code, stderr) = lint(&yaml, &[]);
    assert_eq!(code, 2);
    assert_points(&stderr, "invalid-regex", "6:17", r"(?P<limit>\w{50}){50}x");
    assert!(stderr.contains("size limit"), "{stderr}");
}
