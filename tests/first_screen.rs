//! The text report's first screen: the verdict, one line per root cause,
//! one per sequence and a line of totals fit 23 rows of a 100-column
//! screen (a 24-row terminal under a pager) however big the incident; the
//! details show exactly the causes the summary lists, and every cap says
//! how many it left out.

mod common;

use common::faultline;
use common::incident::{CAUSES, SEQUENCES, WARNINGS, incident, log};
use serde_json::Value;

/// The width text output is fitted to when it is not a terminal.
const COLUMNS: usize = 100;
/// A 24-row screen, less the pager's prompt.
const ROWS: usize = 23;

fn scan(args: &[&str]) -> String {
    let output = faultline().arg("scan").args(args).output().expect("run");
    assert!(output.status.code().is_some_and(|c| c < 2), "{output:?}");
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// Rows a line takes on a screen [`COLUMNS`] wide (the report's text is
/// one column per character here).
fn rows(line: &str) -> usize {
    line.chars().count().div_ceil(COLUMNS).max(1)
}

/// The first screen: everything before the first detail section (a cause
/// heading, else a sequence's), without the blank line that ends it.
fn first_screen(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text
        .lines()
        .take_while(|l| {
            !l.starts_with("ROOT CAUSE ")
                && !l.starts_with("SEQUENCE ")
                && !l.starts_with("OTHER FINDINGS")
        })
        .collect();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

/// The cause rows of the summary table (between its header and the next
/// blank or "… N more" line).
fn table<'a>(screen: &[&'a str]) -> Vec<&'a str> {
    screen
        .iter()
        .skip_while(|l| !l.starts_with("SEVERITY  COUNT"))
        .skip(1)
        .take_while(|l| !l.is_empty() && !l.starts_with('…'))
        .copied()
        .collect()
}

/// The cause headings of the details.
fn headings(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.starts_with("ROOT CAUSE ") || l.starts_with("ALSO A CAUSE "))
        .collect()
}

fn json(args: &[&str]) -> Value {
    let output = faultline()
        .args(["scan", "--format", "json"])
        .args(args)
        .output()
        .expect("run");
    serde_json::from_slice(&output.stdout).expect("JSON report")
}

#[test]
fn a_big_incident_s_summary_fits_one_screen_and_says_what_it_left_out() {
    let incident = incident();
    let args = [
        "--no-default-rules",
        "--rules",
        &incident.rules,
        &incident.log,
    ];
    let text = scan(&args);
    let report = json(&args);
    let causes = report["root_causes"].as_array().expect("root_causes");
    assert_eq!(causes.len(), CAUSES, "every failure is a cause");

    let screen = first_screen(&text);
    let used: usize = screen.iter().map(|l| rows(l)).sum();
    assert!(used <= ROWS, "{used} rows:\n{}", screen.join("\n"));
    assert!(screen[0].starts_with("VERDICT "), "{text}");

    // The table lists the causes the details show, in the same order, and
    // says how many neither shows.
    let listed = table(&screen);
    let detailed = headings(&text);
    assert!(listed.len() >= 5 && listed.len() < CAUSES, "{text}");
    assert_eq!(listed.len(), detailed.len(), "{text}");
    for (row, (heading, cause)) in listed.iter().zip(detailed.iter().zip(causes)) {
        let title = cause["title"].as_str().expect("title");
        assert!(row.starts_with("error "), "{row}");
        // One input: the verdict names it, the table gives the line.
        let line = cause["evidence"][0]["line"].to_string();
        assert_eq!(row.split_whitespace().nth(3), Some(line.as_str()), "{row}");
        // Titles may be cut at the screen's width, never their start.
        let shown = row.rsplit("  ").next().expect("a title cell");
        let shown = shown.trim_end_matches('…');
        assert!(
            title.starts_with(shown) && shown.len() > 10,
            "{row} / {title}"
        );
        assert!(heading.contains(title), "{heading} / {title}");
    }
    let left = CAUSES - listed.len();
    let more = format!(
        "… {left} more causes, not shown: --format json, markdown or html lists all {CAUSES}"
    );
    assert!(screen.contains(&more.as_str()), "{text}");
    assert_eq!(
        text.matches(&more).count(),
        2,
        "on the screen and after the details:\n{text}"
    );

    // The times share a date: it heads the column, the rows show the time
    // to the second.
    assert!(
        screen
            .iter()
            .any(|l| l.starts_with("SEVERITY  COUNT  2026-01-01  LINE  ROOT CAUSE")),
        "{text}"
    );
    assert!(
        listed
            .iter()
            .all(|r| r.contains("Z  ") && !r.contains(".123")),
        "{text}"
    );

    // Sequences: the first three, then a count; the details show all six.
    let stalled: Vec<&&str> = screen
        .iter()
        .filter(|l| l.contains("Start-up of service"))
        .collect();
    assert_eq!(stalled.len(), 3, "{text}");
    assert!(
        stalled
            .iter()
            .all(|l| l.ends_with(": 2/3, missing Step three")),
        "{text}"
    );
    assert!(screen.contains(&"… 3 more sequences, below"), "{text}");
    assert_eq!(
        text.matches("SEQUENCE Start-up of service").count(),
        SEQUENCES,
        "{text}"
    );

    // Totals: what else there is and how much was read.
    let lines = log().lines().count();
    let totals = format!(
        "{WARNINGS} other findings ({WARNINGS} warning), no unrecognised errors; read 1 input, {lines} lines, no problems"
    );
    assert_eq!(screen.last(), Some(&totals.as_str()), "{text}");

    // Other findings: ten listed, the rest counted.
    let others = text
        .lines()
        .filter(|l| l.starts_with("  [warning] Warning number"))
        .count();
    assert_eq!(others, 10, "{text}");
    assert!(
        text.contains(&format!(
            "\n  … {} more findings: --format json lists every finding\n",
            WARNINGS - 10
        )),
        "{text}"
    );
}

#[test]
fn a_small_incident_lists_every_cause_and_cuts_nothing() {
    const MANY: &str = "fixtures/rank/many-causes.log";
    let text = scan(&[MANY]);
    let causes: Vec<String> = json(&[MANY])["root_causes"]
        .as_array()
        .expect("root_causes")
        .iter()
        .map(|c| c["title"].as_str().expect("title").to_string())
        .collect();
    let screen = first_screen(&text);
    let listed = table(&screen);
    assert_eq!(listed.len(), causes.len(), "{text}");
    assert_eq!(headings(&text).len(), causes.len(), "{text}");
    // The titles fit in full here.
    for (row, title) in listed.iter().zip(&causes) {
        assert!(row.ends_with(&format!("  {title}")), "{row} / {title}");
    }
    assert!(!text.contains("causes, not shown"), "{text}");
    assert!(
        screen
            .iter()
            .all(|l| l.chars().count() <= COLUMNS || l.starts_with("VERDICT ")),
        "{text}"
    );
    assert_eq!(
        screen.last(),
        Some(&"0 other findings, no unrecognised errors; read 1 input, 6 lines, no problems"),
        "{text}"
    );
}

#[test]
fn top_and_no_sequences_shorten_the_first_screen_too() {
    let incident = incident();
    let text = scan(&[
        "--no-default-rules",
        "--rules",
        &incident.rules,
        "--top",
        "2",
        "--no-sequences",
        &incident.log,
    ]);
    let screen = first_screen(&text);
    assert_eq!(table(&screen).len(), 2, "{text}");
    assert_eq!(headings(&text).len(), 2, "{text}");
    assert!(
        !text.contains("causes, not shown"),
        "--top asked for two:\n{text}"
    );
    assert!(
        !screen.iter().any(|l| l.contains("Start-up of service")),
        "{text}"
    );
}

#[test]
fn input_problems_are_counted_on_the_first_screen_and_capped_at_the_end() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing: Vec<String> = (0..12)
        .map(|n| {
            dir.path()
                .join(format!("missing-{n:02}.log"))
                .to_str()
                .expect("UTF-8")
                .to_string()
        })
        .collect();
    let output = faultline()
        .args(["scan", "fixtures/rank/many-causes.log"])
        .args(&missing)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    let screen = first_screen(&text);
    assert!(
        screen.last().is_some_and(
            |l| l.ends_with("; read 1 input, 6 lines, 12 input problems (listed at the end)")
        ),
        "{text}"
    );
    let listed = text.lines().filter(|l| l.starts_with("error: ")).count();
    assert_eq!(listed, 10, "{text}");
    assert!(
        text.contains("\n… 2 more input problems: stderr and --format json list every one\n"),
        "{text}"
    );
    // stderr names every one.
    let stderr = String::from_utf8_lossy(&output.stderr);
    for path in &missing {
        assert!(stderr.contains(path.as_str()), "{path}: {stderr}");
    }
}

#[test]
fn with_several_inputs_the_table_says_which_one() {
    const MANY: &str = "fixtures/rank/many-causes.log";
    const DEGRADED: &str = "fixtures/degraded-import/render-dashboard.log";
    let text = scan(&[MANY, DEGRADED]);
    let screen = first_screen(&text);
    assert!(
        screen
            .iter()
            .any(|l| l.starts_with("SEVERITY  COUNT  FIRST SEEN") && l.contains("  WHERE  ")),
        "{text}"
    );
    let listed = table(&screen);
    let causes = json(&[MANY, DEGRADED])["root_causes"]
        .as_array()
        .expect("root_causes")
        .clone();
    assert_eq!(listed.len(), causes.len(), "{text}");
    for (row, cause) in listed.iter().zip(&causes) {
        // path:line, a long path cut from the left so its end stays.
        let path = cause["evidence"][0]["path"].as_str().expect("path");
        let at = format!("{path}:{}", cause["evidence"][0]["line"]);
        let cell = row
            .split_whitespace()
            .find(|w| w.contains(".log:"))
            .unwrap_or_else(|| panic!("no place in {row}"));
        assert!(at.ends_with(cell.trim_start_matches('…')), "{row} / {at}");
    }
}
