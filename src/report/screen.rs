//! The first screen of the text report: what someone on call reads before
//! scrolling. It answers what broke, where, when, what else and how bad:
//! the verdict, one line per root cause (severity, count, first seen,
//! where, title), one line per sequence, and one line of totals. The
//! details follow for whoever scrolls or pages.
//!
//! The block is fitted to a screen of [`ROWS`] rows and the terminal's
//! width (lines wrap, so a row budget means nothing without a width): the
//! verdict and the totals are never cut, the cause and sequence lines are
//! cut at the width, and the causes get the rows left. Nothing is dropped
//! silently: the details show exactly the causes listed here, and every
//! cap says how many it left out and where to see them.

use std::fmt::Write as _;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::analyze::RunStatus;
use crate::rules::Severity;

use super::text::Style;
use super::view::{CauseView, EvidenceView, ReportView, SequenceView};

/// The screen the block fits: 24 rows, the height terminals open with. The
/// block takes at most one row less, so that a pager's prompt (`less`)
/// does not hide its last line.
pub(crate) const ROWS: usize = 24;

/// The width assumed when the output is not a terminal.
pub(crate) const DEFAULT_COLUMNS: usize = 100;

/// Causes listed however little room a long verdict leaves.
const MIN_CAUSES: usize = 5;

/// Sequences listed one line each; beyond that, one line counts the rest.
const SEQUENCES: usize = 4;

/// Severity and run status words are padded to these widths.
const SEVERITY_WIDTH: usize = "critical".len();
const STATUS_WIDTH: usize = "completed".len();

/// The block, and how many causes it lists (the details show as many).
pub(super) struct FirstScreen {
    pub text: String,
    pub causes: usize,
}

/// How many terminal columns `text` takes.
fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// How many rows `text` takes on a screen `columns` wide, wrapped.
fn rows(text: &str, columns: usize) -> usize {
    width(text).div_ceil(columns.max(1)).max(1)
}

/// `text` cut to `columns`, an ellipsis marking the cut.
fn fit(text: &str, columns: usize) -> String {
    if width(text) <= columns {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > columns {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// `text` padded with spaces to `columns`.
fn pad(text: &str, columns: usize) -> String {
    let mut out = text.to_string();
    out.push_str(&" ".repeat(columns.saturating_sub(width(text))));
    out
}

/// A timestamp to the second: the fraction says nothing at this level
/// (the details keep it), and the column stays narrow.
fn to_the_second(stamp: &str) -> String {
    let Some(dot) = stamp.find('.') else {
        return stamp.to_string();
    };
    let digits = stamp[dot + 1..]
        .chars()
        .take_while(char::is_ascii_digit)
        .count();
    // `HH:MM:SS` right before the dot.
    let after_seconds = dot >= 8
        && stamp.as_bytes()[dot - 8..dot]
            .iter()
            .enumerate()
            .all(|(i, b)| {
                if i % 3 == 2 {
                    *b == b':'
                } else {
                    b.is_ascii_digit()
                }
            });
    if digits == 0 || !after_seconds {
        return stamp.to_string();
    }
    format!("{}{}", &stamp[..dot], &stamp[dot + 1 + digits..])
}

/// `path:line [origin]`: where to look, without the time (its own column);
/// `line [origin]` when one input was read (the verdict names it).
fn place(e: &EvidenceView, one_input: bool) -> String {
    let mut at = if one_input {
        e.line.to_string()
    } else {
        format!("{}:{}", e.path.terminal(), e.line)
    };
    if let Some(origin) = &e.origin {
        at.push_str(&format!(" [{}]", origin.terminal()));
    }
    at
}

/// `n thing` or `n things`.
fn count(n: u64, thing: &str) -> String {
    let s = if n == 1 { "" } else { "s" };
    format!("{n} {thing}{s}")
}

/// The start of a cap's line, `… n more things` (`None`: `total` fits
/// under `cap`, nothing left out).
pub(super) fn more(total: usize, cap: usize, thing: &str) -> Option<String> {
    let n = total.checked_sub(cap).filter(|&n| n > 0)?;
    let s = if n == 1 { "" } else { "s" };
    Some(format!("… {n} more {thing}{s}"))
}

/// One root cause as table cells: severity, count, first seen, where, title.
struct CauseRow {
    severity: Severity,
    count: String,
    seen: String,
    place: String,
    title: String,
}

impl CauseRow {
    fn of(cause: &CauseView, report: &ReportView, one_input: bool) -> CauseRow {
        let first = cause.evidence.first();
        // The cause's own rule's finding counts its lines; a cause always
        // has one, the evidence is the fallback.
        let lines = report
            .findings
            .iter()
            .find(|f| f.rule == cause.rule)
            .map_or(cause.evidence.len() as u64, |f| f.count);
        CauseRow {
            severity: cause.severity,
            count: lines.to_string(),
            seen: first
                .and_then(|e| e.timestamp.as_ref())
                .map_or_else(|| "-".to_string(), |t| to_the_second(&t.terminal())),
            place: first.map_or_else(|| "-".to_string(), |e| place(e, one_input)),
            title: cause.title.terminal(),
        }
    }
}

/// The date every stamp in `stamps` shares, when each is a full date and
/// time (`2025-10-23T06:16:01Z`): the column then shows the times under it.
fn shared_date<'a>(stamps: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut date = None;
    for stamp in stamps {
        let bytes = stamp.as_bytes();
        let full = bytes.len() > 11
            && bytes[..10].iter().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    *b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            })
            && matches!(bytes[10], b'T' | b' ');
        if !full || date.is_some_and(|d| d != &stamp[..10]) {
            return None;
        }
        date = Some(&stamp[..10]);
    }
    date
}

/// `text` cut from the left to `columns`, an ellipsis marking the cut: a
/// long path keeps its file name and line.
fn fit_left(text: &str, columns: usize) -> String {
    if width(text) <= columns {
        return text.to_string();
    }
    let mut kept = Vec::new();
    let mut used = 1;
    for c in text.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > columns {
            break;
        }
        used += w;
        kept.push(c);
    }
    std::iter::once('…').chain(kept.into_iter().rev()).collect()
}

/// Where a long WHERE column is cut when the titles need the room.
const WHERE_MIN: usize = 20;

/// The cause table: a header and one line per cause, columns as wide as
/// their widest cell. When a line would not fit the screen, long places
/// are cut from the left (down to [`WHERE_MIN`]), then titles at the end.
/// `place_header`: `WHERE` (`path:line`), or `LINE` for a single input.
fn cause_table(out: &mut String, style: Style, rows: &mut [CauseRow], place_header: &str) {
    let mut seen_header = "FIRST SEEN".to_string();
    if let Some(date) = shared_date(rows.iter().map(|r| r.seen.as_str())).map(str::to_string) {
        for row in rows.iter_mut() {
            row.seen = row.seen[11..].to_string();
        }
        seen_header = date;
    }
    let widest = |cell: fn(&CauseRow) -> &str, header: &str| {
        rows.iter()
            .map(|r| width(cell(r)))
            .chain([width(header)])
            .max()
            .unwrap_or(0)
    };
    let count_w = widest(|r| &r.count, "COUNT");
    let seen_w = widest(|r| &r.seen, &seen_header);
    let title_w = widest(|r| &r.title, "ROOT CAUSE");
    let mut place_w = widest(|r| &r.place, place_header);
    let before_place = SEVERITY_WIDTH + 2 + count_w + 2 + seen_w + 2;
    let room = style.columns.saturating_sub(before_place + 2);
    if place_w + title_w > room {
        place_w = room.saturating_sub(title_w).max(WHERE_MIN).min(place_w);
    }
    let header = format!(
        "{}  {:>count_w$}  {}  {}  ROOT CAUSE",
        pad("SEVERITY", SEVERITY_WIDTH),
        "COUNT",
        pad(&seen_header, seen_w),
        pad(place_header, place_w),
    );
    let _ = writeln!(out, "{}", style.bold(&fit(&header, style.columns)));
    for row in rows.iter() {
        // Everything after the severity, cut so the whole line fits.
        let rest = format!(
            "  {:>count_w$}  {}  {}  {}",
            row.count,
            pad(&row.seen, seen_w),
            pad(&fit_left(&row.place, place_w), place_w),
            row.title
        );
        let rest = fit(&rest, style.columns.saturating_sub(SEVERITY_WIDTH));
        let severity = row.severity.as_str();
        let padding = " ".repeat(SEVERITY_WIDTH - width(severity));
        let _ = writeln!(out, "{}{padding}{rest}", style.severity(row.severity));
    }
}

/// How a sequence went overall: stalled if any run stalled, running if any
/// did not finish otherwise, else completed.
fn worst(sequence: &SequenceView) -> RunStatus {
    let statuses = || sequence.runs.iter().map(|r| r.status);
    if statuses().any(|s| s == RunStatus::Stalled) {
        RunStatus::Stalled
    } else if sequence.completed_runs < sequence.total_runs {
        RunStatus::Running
    } else {
        RunStatus::Completed
    }
}

/// One sequence in a line: its status, how many runs did not complete, and
/// how far the first of them got.
fn sequence_line(style: Style, sequence: &SequenceView) -> String {
    let status = worst(sequence);
    let title = sequence.title.terminal();
    let unfinished = sequence.total_runs.saturating_sub(sequence.completed_runs);
    let text = match sequence
        .runs
        .iter()
        .find(|r| r.status != RunStatus::Completed)
    {
        Some(run) if status != RunStatus::Completed => {
            let mut progress = format!("{}/{}", run.reached, run.steps.len());
            let missing = run
                .first_missing
                .as_ref()
                .and_then(|id| run.steps.iter().find(|s| &s.id == id));
            if let Some(step) = missing {
                progress.push_str(&format!(", missing {}", step.title.terminal()));
            }
            if sequence.total_runs == 1 {
                format!("{title}: {progress}")
            } else {
                format!(
                    "{title}: {unfinished}/{} runs unfinished; first at {progress}",
                    sequence.total_runs
                )
            }
        }
        _ => {
            let steps = sequence.runs.first().map_or(0, |r| r.steps.len());
            format!(
                "{title}: {} of {} completed ({steps}/{steps})",
                sequence.completed_runs,
                count(sequence.total_runs, "run"),
            )
        }
    };
    let (code, word) = match status {
        RunStatus::Stalled => ("31", "stalled"),
        RunStatus::Running => ("33", "running"),
        RunStatus::Completed => ("32", "completed"),
    };
    let rest = fit(
        &format!("  {text}"),
        style.columns.saturating_sub(STATUS_WIDTH),
    );
    format!(
        "{}{}{rest}",
        style.paint(code, word),
        " ".repeat(STATUS_WIDTH - word.len())
    )
}

/// The sequence lines, the unfinished first; beyond [`SEQUENCES`], a
/// count of the rest (each is in the details below).
fn sequence_lines(style: Style, report: &ReportView) -> Vec<String> {
    let mut sequences: Vec<&SequenceView> = report.sequences.iter().collect();
    sequences.sort_by_key(|s| match worst(s) {
        RunStatus::Stalled => 0,
        RunStatus::Running => 1,
        RunStatus::Completed => 2,
    });
    let shown = if sequences.len() > SEQUENCES {
        SEQUENCES - 1
    } else {
        sequences.len()
    };
    let mut lines: Vec<String> = sequences[..shown]
        .iter()
        .map(|s| sequence_line(style, s))
        .collect();
    lines.extend(more(sequences.len(), shown, "sequence").map(|m| m + ", below"));
    lines
}

/// What else there is and how much was read: other findings by severity,
/// unrecognised error shapes, inputs and lines, input problems.
fn totals(report: &ReportView) -> String {
    let others = report.others.len();
    let mut line = count(others as u64, "other finding");
    if others > 0 {
        let worst_first = [
            Severity::Critical,
            Severity::Error,
            Severity::Warning,
            Severity::Info,
        ];
        let by_severity: Vec<String> = worst_first
            .into_iter()
            .filter_map(|s| {
                let n = report.others.iter().filter(|f| f.severity == s).count();
                (n > 0).then(|| format!("{n} {}", s.as_str()))
            })
            .collect();
        line.push_str(&format!(" ({})", by_severity.join(", ")));
    }
    match report.unrecognised.len() {
        0 => line.push_str(", no unrecognised errors"),
        n => line.push_str(&format!(
            ", {}",
            count(n as u64, "unrecognised error shape")
        )),
    }
    let _ = write!(
        line,
        "; read {}, {} lines",
        count(report.stats.files as u64, "input"),
        report.stats.lines
    );
    if report.problems.is_empty() {
        line.push_str(", no problems");
    } else {
        let _ = write!(
            line,
            ", {} (listed at the end)",
            count(report.problems.len() as u64, "input problem")
        );
    }
    line
}

/// The first screen of `report` at `style`'s width.
pub(super) fn first_screen(report: &ReportView, style: Style) -> FirstScreen {
    let columns = style.columns;
    let verdict = format!("VERDICT {}", report.verdict.terminal());
    let sequences = sequence_lines(style, report);
    let totals = totals(report);
    // Rows for everything but the cause lines: the verdict, the blank lines
    // between parts, the table's header, the sequences, the totals.
    let causes_total = report.root_causes.len();
    let table_rows = usize::from(causes_total > 0) * 2; // header, blank
    let sequence_rows = if sequences.is_empty() {
        0
    } else {
        sequences.len() + 1
    };
    let fixed = rows(&verdict, columns) + 1 + table_rows + sequence_rows + rows(&totals, columns);
    let room = (ROWS - 1).saturating_sub(fixed);
    let causes = if causes_total <= room {
        causes_total
    } else {
        // A line says how many were left out (at most this long).
        let note = left_out(0, causes_total).map_or(0, |l| rows(&l, columns));
        room.saturating_sub(note).max(MIN_CAUSES).min(causes_total)
    };

    let mut text = String::new();
    let _ = writeln!(
        text,
        "{} {}\n",
        style.bold("VERDICT"),
        report.verdict.terminal()
    );
    if causes_total > 0 {
        let one_input = report.stats.files == 1;
        let mut rows: Vec<CauseRow> = report.root_causes[..causes]
            .iter()
            .map(|c| CauseRow::of(c, report, one_input))
            .collect();
        let place_header = if one_input { "LINE" } else { "WHERE" };
        cause_table(&mut text, style, &mut rows, place_header);
        if let Some(line) = left_out(causes, causes_total) {
            let _ = writeln!(text, "{line}");
        }
        text.push('\n');
    }
    for line in &sequences {
        let _ = writeln!(text, "{line}");
    }
    if !sequences.is_empty() {
        text.push('\n');
    }
    let _ = writeln!(text, "{totals}\n");
    FirstScreen { text, causes }
}

/// The line saying how many causes neither the first screen nor the
/// details show, and where they are (`None`: none left out).
pub(super) fn left_out(shown: usize, total: usize) -> Option<String> {
    more(total, shown, "cause")
        .map(|m| format!("{m}, not shown: --format json, markdown or html lists all {total}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Engine, Options};

    #[test]
    fn any_width_gives_lines_no_wider_than_the_screen() {
        let engine = Engine::with_default_rules(Options::default())
            .unwrap_or_else(|_| panic!("the embedded pack loads"));
        let log = std::fs::read("fixtures/rank/many-causes.log")
            .unwrap_or_else(|e| panic!("fixture: {e}"));
        let report = engine.report(&engine.scan_bytes("fixtures/rank/many-causes.log", &log));
        let view = ReportView::of(&report);
        for columns in [1, 2, 9, 10, 30, 80, 100, 300] {
            let style = Style {
                color: false,
                columns,
            };
            let screen = first_screen(&view, style);
            // A long verdict on a narrow screen leaves room for fewer.
            let all = report.root_causes.len();
            let expected = if columns >= 80 { all } else { MIN_CAUSES };
            assert!(screen.causes >= expected, "{columns}: {}", screen.text);
            for line in screen.text.lines().skip(1) {
                // The verdict, the totals and what was left out wrap (their
                // rows are counted); the rest is cut to fit.
                if line.contains(" other finding") || line.starts_with("… ") {
                    continue;
                }
                assert!(
                    width(line) <= columns.max(STATUS_WIDTH + 1),
                    "{columns}: {line:?}"
                );
            }
        }
    }

    #[test]
    fn fractions_of_seconds_are_dropped_and_the_zone_kept() {
        assert_eq!(
            to_the_second("2025-10-23T06:16:01.247746Z"),
            "2025-10-23T06:16:01Z"
        );
        assert_eq!(
            to_the_second("2025-10-23T06:16:01.5+02:00"),
            "2025-10-23T06:16:01+02:00"
        );
        assert_eq!(to_the_second("Oct 23 08:57:55 AM"), "Oct 23 08:57:55 AM");
        assert_eq!(to_the_second("v1.2 at noon"), "v1.2 at noon");
    }

    #[test]
    fn lines_are_cut_at_the_width_by_display_columns() {
        assert_eq!(fit("abcdef", 6), "abcdef");
        assert_eq!(fit("abcdefg", 6), "abcde…");
        // Wide characters take two columns each.
        assert_eq!(fit("日本語のログ", 7), "日本語…");
        assert_eq!(width(&fit("日本語のログ", 7)), 7);
        assert_eq!(rows("", 100), 1);
        assert_eq!(rows(&"x".repeat(100), 100), 1);
        assert_eq!(rows(&"x".repeat(101), 100), 2);
    }

    #[test]
    fn a_shared_date_heads_the_column_only_when_every_stamp_has_it() {
        let same = ["2025-10-23T06:16:01Z", "2025-10-23 07:00:00+02:00"];
        assert_eq!(shared_date(same.into_iter()), Some("2025-10-23"));
        let days = ["2025-10-23T06:16:01Z", "2025-10-24T06:16:01Z"];
        assert_eq!(shared_date(days.into_iter()), None);
        let yearless = ["2025-10-23T06:16:01Z", "Oct 23 08:57:55 AM"];
        assert_eq!(shared_date(yearless.into_iter()), None);
        assert_eq!(shared_date(["-"].into_iter()), None);
    }

    #[test]
    fn long_places_keep_their_end() {
        assert_eq!(fit_left("a/b/c.log:12", 20), "a/b/c.log:12");
        assert_eq!(fit_left("fixtures/rank/many.log:6", 12), "…/many.log:6");
        assert_eq!(width(&fit_left("fixtures/rank/many.log:6", 12)), 12);
    }
}
