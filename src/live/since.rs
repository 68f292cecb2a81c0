//! When a live session starts reading: `--since` (a duration back from now
//! or a time), stall thresholds, and the replay that skips what existing
//! content holds before the cutoff.

use std::time::Duration;

use crate::input::format::LogFormat;
use crate::input::json;
use crate::input::meta::find_timestamp;

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

/// When `line` was written, in nanoseconds since the epoch, if it says so
/// with a full date: year-less stamps (Render dashboard `Oct 7 03:14:09 PM`,
/// read as 1970) count as none.
pub(crate) fn line_instant(line: &[u8], format: LogFormat) -> Option<i128> {
    /// Stamps before 1971 are year-less ones that `find_timestamp` put in 1970.
    const YEARLESS_BEFORE: i128 = 365 * 86_400 * 1_000_000_000;
    let text = String::from_utf8_lossy(line);
    let stamp = match format {
        LogFormat::Jsonl => match json::line_message(&text) {
            Some((_, meta)) => meta.timestamp,
            None => find_timestamp(&text),
        },
        _ => find_timestamp(&text),
    }?;
    (stamp.nanos >= YEARLESS_BEFORE).then_some(stamp.nanos)
}

/// The `--since` replay of one stream: its lines are skipped until one is
/// stamped at or after the cutoff, or until what the file held at the start
/// has been read (later lines arrived live).
pub(crate) struct Replay {
    /// The cutoff, in nanoseconds since the epoch.
    pub cutoff: i128,
    /// File offset where live content starts (`None` for stdin).
    pub until: Option<u64>,
    /// The timestamp of the last stamped line, which unstamped lines inherit.
    last: Option<i128>,
    pub skipped: u64,
}

impl Replay {
    pub(crate) fn new(cutoff: jiff::Timestamp, until: Option<u64>) -> Replay {
        Replay {
            cutoff: cutoff.as_nanosecond(),
            until,
            last: None,
            skipped: 0,
        }
    }

    /// How many leading bytes of `chunk` (complete lines starting at file
    /// offset `offset`) are skipped, and whether the replay is over: a line
    /// at or after the cutoff, or live content, was reached.
    pub(crate) fn skip(&mut self, chunk: &[u8], offset: u64, format: LogFormat) -> (usize, bool) {
        let live_from = |pos: usize| self.until.is_some_and(|until| offset + pos as u64 >= until);
        let mut pos = 0;
        while pos < chunk.len() {
            if live_from(pos) {
                return (pos, true);
            }
            let end = memchr::memchr(b'\n', &chunk[pos..]).map_or(chunk.len(), |i| pos + i + 1);
            if let Some(at) = line_instant(&chunk[pos..end], format) {
                self.last = Some(at);
            }
            if self.last.is_some_and(|at| at >= self.cutoff) {
                return (pos, true);
            }
            self.skipped += 1;
            pos = end;
        }
        (pos, live_from(pos))
    }

    /// What the replay says when it ends, if it skipped anything.
    pub(crate) fn summary(&self) -> Option<String> {
        if self.skipped == 0 {
            return None;
        }
        let cutoff = jiff::Timestamp::from_nanosecond(self.cutoff)
            .map_or_else(|_| self.cutoff.to_string(), |t| t.to_string());
        let lines = if self.skipped == 1 { "line" } else { "lines" };
        Some(format!(
            "--since: skipped {} {lines} from before {cutoff}",
            self.skipped
        ))
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
    fn year_less_stamps_are_no_instant() {
        assert!(line_instant(b"2026-11-23T10:00:00Z x\n", LogFormat::Text).is_some());
        assert_eq!(
            line_instant(b"Oct 7 03:14:09 PM  x\n", LogFormat::Text),
            None
        );
        assert_eq!(
            line_instant(b"  File \"w.py\", line 3\n", LogFormat::Text),
            None
        );
        let docker = br#"{"log":"boom\n","stream":"stderr","time":"2026-11-23T10:00:00.5Z"}"#;
        assert!(line_instant(docker, LogFormat::Jsonl).is_some());
    }
}
