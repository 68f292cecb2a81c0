//! End-to-end behaviour of the command line: inputs, output modes, exit codes.

mod common;

use std::io::Write;

use common::{faultline, scan_json};
use predicates::prelude::*;

const DEGRADED: &str = "fixtures/degraded-import/render-dashboard.log";
const HEALTHY: &str = "fixtures/healthy-startup/kubectl-logs.log";

#[test]
fn healthy_startup_exits_zero_and_failure_exits_one() {
    faultline().args(["scan", HEALTHY]).assert().code(0);
    faultline().args(["scan", DEGRADED]).assert().code(1);
    faultline()
        .args(["scan", "--fail-on", "never", DEGRADED])
        .assert()
        .code(0);
    faultline()
        .args(["scan", "--fail-on", "critical", DEGRADED])
        .assert()
        .code(0);
}

#[test]
fn unreadable_input_exits_two_but_still_reports_the_rest() {
    let (code, report) = scan_json(&["does/not/exist.log", DEGRADED]);
    assert_eq!(code, 2);
    assert!(
        !report["root_causes"].as_array().expect("array").is_empty(),
        "the readable file is still analysed"
    );
    let problems = report["problems"].as_array().expect("problems");
    assert!(problems.iter().any(|p| p["path"] == "does/not/exist.log"));
}

#[test]
fn matches_jsonl_has_the_contract_fields() {
    let output = faultline()
        .args(["scan", "--matches", "--format", "jsonl", DEGRADED])
        .output()
        .expect("run");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert!(!lines.is_empty());
    for line in &lines {
        for field in ["path", "line", "rule", "class", "text"] {
            assert!(!line[field].is_null(), "missing {field} in {line}");
        }
    }
    assert!(
        lines
            .iter()
            .any(|l| l["class"] == "module-not-found" && l["line"] == 22)
    );
}

#[test]
fn matches_text_is_grep_like() {
    faultline()
        .args(["scan", "--matches", DEGRADED])
        .assert()
        .stdout(predicate::str::contains(format!("{DEGRADED}:22: [")).and(
            predicate::str::contains("No module named 'orchestrator.persistence'"),
        ));
}

#[test]
fn stdin_and_gzip_and_directories_are_inputs() {
    let text = std::fs::read(DEGRADED).expect("fixture");
    let (code, from_stdin) = {
        let output = faultline()
            .args(["scan", "--format", "json", "-"])
            .write_stdin(text.clone())
            .output()
            .expect("run");
        (
            output.status.code(),
            serde_json::from_slice::<serde_json::Value>(&output.stdout).expect("json"),
        )
    };
    assert_eq!(code, Some(1));
    let (_, from_file) = scan_json(&[DEGRADED]);
    assert_eq!(
        common::root_cause_rules(&from_stdin),
        common::root_cause_rules(&from_file)
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let gz_path = dir.path().join("render.log.gz");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz_path).expect("create"),
        flate2::Compression::default(),
    );
    encoder.write_all(&text).expect("write");
    encoder.finish().expect("finish");
    let (_, from_gz) = scan_json(&[gz_path.to_str().expect("utf8 path")]);
    assert_eq!(
        common::root_cause_rules(&from_gz),
        common::root_cause_rules(&from_file)
    );
    assert_eq!(from_gz["stats"]["lines"], from_file["stats"]["lines"]);

    let (_, from_dir) = scan_json(&[dir.path().to_str().expect("utf8 path")]);
    assert_eq!(from_dir["stats"]["files"], 1);
}

#[test]
fn a_gz_name_on_plain_text_is_an_error_for_that_file_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fake = dir.path().join("fake.log.gz");
    std::fs::write(&fake, "not gzip\n").expect("write");
    let (code, report) = scan_json(&[fake.to_str().expect("path"), DEGRADED]);
    assert_eq!(code, 2);
    assert!(
        report["problems"][0]["message"]
            .as_str()
            .expect("message")
            .contains("not gzip")
    );
}

#[test]
fn globs_expand() {
    let (_, report) = scan_json(&["fixtures/oom-crashloop/*.txt"]);
    assert_eq!(report["stats"]["files"], 2);
}

#[test]
fn rules_list_json_has_complete_patterns_usable_by_other_tools() {
    let output = faultline()
        .args(["rules", "list", "--format", "json"])
        .output()
        .expect("run");
    let rules: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).expect("json");
    assert!(rules.len() >= 50, "pack has {} rules", rules.len());
    for rule in &rules {
        let patterns = rule["patterns"].as_array().expect("patterns");
        assert!(!patterns.is_empty());
        for p in patterns {
            regex::Regex::new(p.as_str().expect("string"))
                .expect("each pattern is a complete regex");
        }
        assert!(faultline::CLASSES.contains(&rule["class"].as_str().expect("class")));
    }
}

/// Markdown without its fenced blocks and code spans: what renders as prose.
fn outside_code(md: &str) -> String {
    let mut prose = String::new();
    let mut fence: Option<String> = None;
    for line in md.lines() {
        let trimmed = line.trim_start();
        let ticks: String = trimmed.chars().take_while(|&c| c == '`').collect();
        match &fence {
            Some(open) if trimmed.trim_end() == open => fence = None,
            Some(_) => {}
            None if ticks.len() >= 3 => fence = Some(ticks),
            None => {
                // Drop code spans: text between runs of backticks of one length.
                let parts: Vec<&str> = line.split('`').collect();
                let kept: Vec<&str> = parts.iter().step_by(2).copied().collect();
                prose.push_str(&kept.join(" "));
                prose.push('\n');
            }
        }
    }
    prose
}

/// Unescaped pipes in a Markdown table row: its column separators.
fn cell_separators(row: &str) -> usize {
    let mut count = 0;
    let mut escaped = false;
    for c in row.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => count += 1,
            _ => escaped = false,
        }
    }
    count
}

#[test]
fn markdown_report_escapes_and_renders() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A file name, a capture, evidence text and a traceback frame that would
    // otherwise add HTML, links, emphasis, table cells, headings, or close
    // the code block around the traceback.
    let name = if cfg!(unix) {
        "a|b[c](x)*e*<i>.log"
    } else {
        "plain.log"
    };
    std::fs::write(
        dir.path().join(name),
        "2025-10-23T15:58:03Z Traceback (most recent call last):\n\
         2025-10-23T15:58:03Z   File \"/app/```<script>alert(1)</script>.py\", line 3, in <module>\n\
         2025-10-23T15:58:03Z ModuleNotFoundError: No module named 'orchestrator.persistence'\n\
         2025-10-23T15:58:05Z panic: <img src=x onerror=alert(1)> [click](http://evil.example) | *bold* _u_ `code` ~~s~~ # h &amp;\n\
         2025-10-23T15:58:09Z WARN Memory usage at 92%\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("b.jsonl"),
        serde_json::json!({
            "timestamp": "2025-10-23T15:58:06Z",
            "message": "ModuleNotFoundError: No module named 'yaml'\n# Injected heading\n| a | b |",
        })
        .to_string()
            + "\n",
    )
    .expect("write");
    let output = faultline()
        .current_dir(dir.path())
        .args(["scan", "--format", "markdown", "--", name, "b.jsonl"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let md = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(md.starts_with("# faultline report\n"), "{md}");
    assert!(md.contains("## Also a cause: Go program panicked"), "{md}");

    // No HTML and no links outside code; emphasis, strikethrough, headings
    // and entities shown as written.
    let escaped = r"&lt;img src=x onerror=alert(1)&gt; \[click\](http://evil.example) \| \*bold\* \_u\_ \`code\` \~\~s\~\~ \# h &amp;amp;";
    assert!(
        md.contains(&format!("Go program panicked: {escaped}\n")),
        "the capture in the explanation:\n{md}"
    );
    assert!(
        md.contains("\n  panic: <img src=x onerror=alert(1)> [click](http://evil.example) | *bold* _u_ `code` ~~s~~ # h &amp;\n"),
        "the evidence text, verbatim in its code block:\n{md}"
    );
    let prose = outside_code(&md);
    assert!(
        !prose.contains("<img") && !prose.contains("[click]("),
        "{prose}"
    );
    assert!(
        md.lines().all(|l| !l.starts_with('#')
            || l.starts_with("# faultline")
            || l.starts_with("## ")
            || l.starts_with("### ")),
        "a log line made a heading:\n{md}"
    );

    // Code spans and the traceback block cannot be closed from inside.
    let lines: Vec<&str> = md.lines().collect();
    let open = lines
        .iter()
        .position(|l| l.trim_start().ends_with("text") && l.trim_start().starts_with("```"))
        .expect("a traceback block");
    let fence = lines[open].trim_start().trim_end_matches("text");
    assert!(fence.len() > 3, "the fence is longer than the frame's ```");
    let close = open
        + 1
        + lines[open + 1..]
            .iter()
            .position(|l| l.trim_start().starts_with("```"))
            .expect("the block closes");
    assert_eq!(lines[close].trim(), fence, "{md}");
    assert!(
        lines[open + 1..close]
            .iter()
            .any(|l| l.contains("File \"/app/```<script>alert(1)</script>.py\"")),
        "the frame is inside the block, verbatim:\n{md}"
    );
    if cfg!(unix) {
        assert!(
            md.contains("- `a|b[c](x)*e*<i>.log:4` at 2025-10-23T15:58:05Z"),
            "{md}"
        );
    }

    // Every row of the other findings table has exactly its six cells.
    let table: Vec<&str> = md
        .lines()
        .skip_while(|l| !l.starts_with("| Severity |"))
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert_eq!(table.len(), 2 + 1, "{md}");
    for row in &table {
        assert_eq!(cell_separators(row), 7, "{row}");
    }
    if cfg!(unix) {
        assert!(
            table
                .iter()
                .any(|r| r.contains(r"`a\|b[c](x)*e*<i>.log:5`")),
            "{md}"
        );
    }
}

const SEVERITY_RULES: &str = r#"
rules:
  - id: t.info
    title: Info line
    class: unknown
    severity: info
    patterns: ['NOTE-LEVEL-EVENT']
  - id: t.warning
    title: Warning line
    class: unknown
    severity: warning
    patterns: ['WARN-LEVEL-EVENT']
  - id: t.error
    title: Error line
    class: unknown
    severity: error
    patterns: ['ERROR-LEVEL-EVENT']
  - id: t.critical
    title: Critical line
    class: unknown
    severity: critical
    patterns: ['CRITICAL-LEVEL-EVENT']
"#;

/// `--fail-on LEVEL`: exit 1 exactly when the worst finding is at or above
/// LEVEL, 0 otherwise (and always 0 with `never`), for every pair.
#[test]
fn fail_on_exits_one_exactly_at_or_above_its_threshold() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("rules.yaml"), SEVERITY_RULES).expect("write");
    let levels = ["info", "warning", "error", "critical"];
    let words = [
        "NOTE-LEVEL-EVENT",
        "WARN-LEVEL-EVENT",
        "ERROR-LEVEL-EVENT",
        "CRITICAL-LEVEL-EVENT",
    ];
    let exit = |level: &str, file: &str| {
        faultline()
            .current_dir(dir.path())
            .args(["scan", "--no-default-rules", "--rules", "rules.yaml"])
            .args(["--fail-on", level, file])
            .output()
            .expect("run")
            .status
            .code()
    };
    for (worst, word) in words.iter().enumerate() {
        // Everything up to `worst`, so the worst finding decides.
        let log = words[..=worst].join("\n") + "\n";
        std::fs::write(dir.path().join(format!("{worst}.log")), log).expect("write");
        for (threshold, level) in levels.iter().enumerate() {
            assert_eq!(
                exit(level, &format!("{worst}.log")),
                Some(i32::from(threshold <= worst)),
                "--fail-on {level} with {word} as the worst finding"
            );
        }
        assert_eq!(exit("never", &format!("{worst}.log")), Some(0));
    }
    std::fs::write(dir.path().join("clean.log"), "all good\n").expect("write");
    for level in levels {
        assert_eq!(
            exit(level, "clean.log"),
            Some(0),
            "--fail-on {level}, clean"
        );
    }
    // The default threshold is error.
    for (worst, expected) in [(1, 0), (2, 1)] {
        faultline()
            .current_dir(dir.path())
            .args(["scan", "--no-default-rules", "--rules", "rules.yaml"])
            .arg(format!("{worst}.log"))
            .assert()
            .code(expected);
    }
}

/// `rules test` (which CI runs) exits 1 when any example fails, naming it,
/// and 0 when every example passes.
#[test]
fn rules_test_exits_one_when_an_example_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = r#"
rules:
  - id: demo.timeout
    title: Demo timeout
    class: timeout
    severity: error
    patterns: ['Execution timeout exceeded \((?P<limit>\d+)s\)']
    examples:
      match:
        - line: 'ERROR [run_id=a] Execution timeout exceeded (60s)'
          captures: {limit: "60"}
      no_match: ['Execution time: 55s of 60s limit']
sequences:
  - id: demo.startup
    title: startup
    milestones:
      - id: banner
        title: Banner
        patterns: ['Worker booting']
        examples:
          match: ['INFO Worker booting']
"#;
    let cases = [
        ("passing", good.to_string(), None),
        (
            "a match example that does not match",
            good.replace("'INFO Worker booting'", "'INFO Worker starting'"),
            Some("[demo.startup/banner] expected a match: INFO Worker starting"),
        ),
        (
            "a no_match example that matches",
            good.replace(
                "'Execution time: 55s of 60s limit'",
                "'Execution timeout exceeded (5s)'",
            ),
            Some("[demo.timeout] expected no match: Execution timeout exceeded (5s)"),
        ),
        (
            "a wrong capture",
            good.replace("{limit: \"60\"}", "{limit: \"30\"}"),
            Some("[demo.timeout] capture `limit`: expected `30`, got `60`"),
        ),
    ];
    for (what, yaml, failure) in cases {
        let path = dir.path().join("rules.yaml");
        std::fs::write(&path, yaml).expect("write");
        for default_rules in [false, true] {
            let mut command = faultline();
            command.args(["rules", "test"]);
            if !default_rules {
                command.arg("--no-default-rules");
            }
            let output = command.arg(&path).output().expect("run");
            let stdout = String::from_utf8_lossy(&output.stdout);
            match failure {
                None => assert_eq!(output.status.code(), Some(0), "{what}:\n{stdout}"),
                Some(message) => {
                    assert_eq!(output.status.code(), Some(1), "{what}:\n{stdout}");
                    assert!(stdout.contains("FAIL "), "{what}:\n{stdout}");
                    assert!(stdout.contains(message), "{what}:\n{stdout}");
                    assert!(stdout.contains(" 1 failed "), "{what}:\n{stdout}");
                }
            }
        }
    }
}
