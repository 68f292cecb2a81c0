//! Times the user gives on the command line: `--since`/`--until` (a
//! duration back from now or a time) and stall thresholds, shared by
//! `scan` (the incident window) and `tail` (where a replay starts).

use std::time::Duration;

/// Stamps before 1971 are year-less ones (Render dashboard `Oct 7 03:14:09
/// PM`) that the timestamp parser put in 1970: they say no instant.
pub(crate) const YEARLESS_BEFORE: i128 = 365 * 86_400 * 1_000_000_000;

/// Parses `500ms`, `30s`, `2m`, `1h` or a bare number of seconds.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("invalid duration `{text}` (examples: 500ms, 30s, 2m, 1h)"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => {
            return Err(format!(
                "invalid duration unit `{unit}` (use ms, s, m or h)"
            ));
        }
    };
    Ok(Duration::from_secs_f64(seconds))
}

/// Where `--since` starts the replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// This long before now.
    Ago(jiff::SignedDuration),
    /// This instant.
    At(jiff::Timestamp),
}

impl Since {
    /// The cutoff as an instant, `Ago` counted back from `now`.
    pub(crate) fn cutoff(self, now: jiff::Timestamp) -> jiff::Timestamp {
        match self {
            Since::Ago(ago) => now.checked_sub(ago).unwrap_or(jiff::Timestamp::MIN),
            Since::At(at) => at,
        }
    }
}

/// Parses a `--since` value with jiff: a duration in its friendly format
/// (`90s`, `15m`, `2h`, `1d`, `1h30m`) or a time: RFC 3339, or a civil date
/// and time (read as UTC).
pub(crate) fn parse_since(text: &str) -> Result<Since, String> {
    let text = text.trim();
    let looks_like_time = text.len() >= 10
        && text.as_bytes()[..4].iter().all(u8::is_ascii_digit)
        && text.as_bytes()[4] == b'-';
    if looks_like_time {
        let parsed = text
            .parse::<jiff::Timestamp>()
            .or_else(|_| text.parse::<jiff::ZonedDateTime>().map(|z| z.timestamp()))
            .or_else(|_| {
                text.parse::<jiff::civil::DateTime>()
                    .and_then(|dt| jiff::tz::TimeZone::UTC.to_timestamp(dt))
            });
        return parsed.map(Since::At).map_err(|e| {
            format!(
                "invalid time `{text}`: {e} (examples: 2026-11-23T10:00:00Z, 2026-11-23T10:00:00+02:00, 2026-11-23 10:00:00 for UTC)"
            )
        });
    }
    let invalid = |why: String| {
        format!(
            "invalid duration `{text}`: {why} (examples: 90s, 15m, 2h, 1d, or a time such as 2026-11-23T10:00:00Z)"
        )
    };
    let span: jiff::Span = text
        .parse()
        .map_err(|e: jiff::Error| invalid(e.to_string()))?;
    let ago = span
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .map_err(|_| invalid("use units up to days or weeks, not months or years".into()))?;
    if ago.is_negative() {
        return Err(invalid(
            "a duration back from now cannot be negative".into(),
        ));
    }
    Ok(Since::Ago(ago))
}

/// The incident window of a scan (`--since`/`--until`), in nanoseconds
/// since the epoch: only matches whose line was written inside it count.
/// A line without a timestamp of its own takes the one of the line before
/// it; a match with no full date at all (none in its stream, or year-less
/// ones) cannot be placed and is left out, and the report says how many.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeWindow {
    /// The first instant in the window (inclusive).
    pub since: Option<i128>,
    /// The last instant in the window (inclusive).
    pub until: Option<i128>,
}

/// Where a match falls against a [`TimeWindow`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placed {
    Inside,
    Outside,
    /// No full date to place it by.
    Unplaced,
}

impl TimeWindow {
    /// Whether the window lets everything through.
    pub fn is_open(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }

    /// Where a line written at `nanos` falls.
    pub(crate) fn place(&self, nanos: Option<i128>) -> Placed {
        if self.is_open() {
            return Placed::Inside;
        }
        match nanos.filter(|&n| n >= YEARLESS_BEFORE) {
            None => Placed::Unplaced,
            Some(n) if self.since.is_some_and(|s| n < s) || self.until.is_some_and(|u| n > u) => {
                Placed::Outside
            }
            Some(_) => Placed::Inside,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert!(parse_duration("5 parsecs").is_err());
    }

    #[test]
    fn parses_since_durations_and_times() {
        let ago = |secs| Ok(Since::Ago(jiff::SignedDuration::from_secs(secs)));
        assert_eq!(parse_since("90s"), ago(90));
        assert_eq!(parse_since("15m"), ago(900));
        assert_eq!(parse_since("2h"), ago(7200));
        assert_eq!(parse_since("1d"), ago(86_400));
        let at = |text: &str| Ok(Since::At(text.parse::<jiff::Timestamp>().unwrap()));
        assert_eq!(
            parse_since("2026-11-23T10:00:00Z"),
            at("2026-11-23T10:00:00Z")
        );
        assert_eq!(
            parse_since("2026-11-23T12:00:00+02:00"),
            at("2026-11-23T10:00:00Z")
        );
        assert_eq!(
            parse_since("2026-11-23 10:00:00"),
            at("2026-11-23T10:00:00Z")
        );
        for bad in ["10x", "10", "1y", "-10m", "2026-13-01", "yesterday", ""] {
            assert!(parse_since(bad).is_err(), "{bad}");
        }
        let now = jiff::Timestamp::from_second(1_000_000).unwrap();
        assert_eq!(
            Since::Ago(jiff::SignedDuration::from_secs(60)).cutoff(now),
            jiff::Timestamp::from_second(999_940).unwrap()
        );
    }

    #[test]
    fn a_window_places_lines_by_their_full_date() {
        let hour = 3_600 * 1_000_000_000i128;
        let window = TimeWindow {
            since: Some(10_000 * hour),
            until: Some(10_002 * hour),
        };
        assert_eq!(window.place(Some(10_001 * hour)), Placed::Inside);
        assert_eq!(window.place(Some(10_002 * hour)), Placed::Inside);
        assert_eq!(window.place(Some(9_999 * hour)), Placed::Outside);
        assert_eq!(window.place(Some(10_003 * hour)), Placed::Outside);
        assert_eq!(window.place(None), Placed::Unplaced);
        assert_eq!(window.place(Some(5 * hour)), Placed::Unplaced, "year-less");
        assert_eq!(TimeWindow::default().place(None), Placed::Inside);
    }
}
