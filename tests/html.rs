//! `scan --format html` without a browser: the page's bytes. What the page
//! does once a browser runs it is checked in `html_browser.rs`.

mod common;

use common::{faultline, scan_html, scan_json};
use serde_json::Value;

/// Undoes the page's escaping of text.
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The page with its scripts cut out: what a reader without JavaScript gets.
fn without_scripts(page: &str) -> String {
    let mut out = String::new();
    let mut rest = page;
    while let Some(start) = rest.find("<script>") {
        out.push_str(&rest[..start]);
        match rest[start..].find("</script>") {
            Some(end) => rest = &rest[start + end + "</script>".len()..],
            None => panic!("unterminated script"),
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn the_same_input_gives_the_same_bytes_whatever_the_thread_count() {
    let one = scan_html(&[
        "-j",
        "1",
        "fixtures/oom-crashloop",
        "fixtures/agent-timeout",
    ]);
    let again = scan_html(&[
        "-j",
        "1",
        "fixtures/oom-crashloop",
        "fixtures/agent-timeout",
    ]);
    let four = scan_html(&[
        "-j",
        "4",
        "--chunk-size",
        "4096",
        "fixtures/oom-crashloop",
        "fixtures/agent-timeout",
    ]);
    assert_eq!(one, again);
    assert_eq!(one, four);
}

#[test]
fn the_page_loads_nothing_from_anywhere() {
    let page = scan_html(&["fixtures/celery-broker-lost"]);
    assert!(
        page.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';")
    );
    for fetches in [" src=", "<link", "url(", "@import", "<iframe", "<object"] {
        assert!(!page.contains(fetches), "{fetches}");
    }
    // Links (the rules' documentation) are only followed when clicked.
    assert!(page.contains("<a href=\"https://docs.celeryq.dev/"));
}

#[test]
fn the_copy_button_holds_the_markdown_report() {
    let fixture = "fixtures/oom-crashloop";
    let page = scan_html(&[fixture]);
    let output = faultline()
        .args(["scan", "--format", "markdown", fixture])
        .output()
        .expect("run faultline");
    let markdown = String::from_utf8(output.stdout).expect("UTF-8");
    let start = page
        .find("<textarea id=\"md\"")
        .expect("the Markdown text area");
    let body = &page[start..];
    let body = &body[body.find(">\n").expect("textarea opened") + 2..];
    let body = &body[..body.find("\n</textarea>").expect("textarea closed")];
    assert_eq!(unescape(body), markdown.trim_end_matches('\n'));
    assert!(markdown.contains("OOMKilled"));
}

#[test]
fn verdict_causes_and_tables_read_without_javascript() {
    let fixture = "fixtures/oom-crashloop";
    let page = without_scripts(&scan_html(&[fixture]));
    let (_, report) = scan_json(&[fixture]);
    let verdict = page
        .split("<p id=\"verdict\"")
        .nth(1)
        .and_then(|v| v.split("</p>").next())
        .expect("a verdict");
    let first = &report["root_causes"][0];
    assert!(verdict.contains(first["title"].as_str().expect("a title")));
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    for cause in list(&report["root_causes"]) {
        let card = format!("<code>{}</code>", cause["rule"].as_str().expect("rule"));
        assert!(page.contains(&card), "{card}");
        let fix = cause["remediation"].as_str().expect("remediation");
        assert!(unescape(&page).contains(fix), "{fix}");
    }
    let findings = page
        .split("<section id=\"findings\">")
        .nth(1)
        .expect("findings");
    let rows = findings.split("</table>").next().expect("a table");
    assert_eq!(
        rows.matches("<tr class=\"sev-").count(),
        list(&report["findings"]).len()
    );
    for finding in list(&report["findings"]) {
        let count = format!(
            "data-sort=\"{}\">{}</td>",
            finding["count"], finding["count"]
        );
        assert!(rows.contains(&count), "{count}");
    }
    // The timeline is drawn without script too: the SVG is in the page.
    assert!(page.contains("<svg id=\"timeline\""));
}

#[test]
fn secrets_are_masked_unless_asked_for() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("worker.log");
    std::fs::write(
        &log,
        "[2025-06-02 14:14:40,559: ERROR/MainProcess] consumer: Cannot connect to \
         redis://:hunter2@redis:6379/0: Error 111 connecting to redis:6379. Connection refused.\n",
    )
    .expect("write log");
    let path = log.to_str().expect("UTF-8 path");
    let masked = scan_html(&[path]);
    assert!(!masked.contains("hunter2"));
    assert!(masked.contains("redis://:****@redis:6379/0"));
    assert!(scan_html(&["--no-redact", path]).contains("redis://:hunter2@redis:6379/0"));
}

#[test]
fn matches_are_lines_not_a_page() {
    faultline()
        .args([
            "scan",
            "--matches",
            "--format",
            "html",
            "fixtures/oom-crashloop",
        ])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicates::str::contains("--matches prints matched lines"));
}
