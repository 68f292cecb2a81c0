//! The `--since` replay of a live session: what existing content holds
//! before the cutoff is skipped (the value's parser is shared with `scan`,
//! in [`crate::input::when`]).

use crate::input::format::LogFormat;
use crate::input::json;
use crate::input::meta::find_timestamp;
use crate::input::when::YEARLESS_BEFORE;

/// When `line` was written, in nanoseconds since the epoch, if it says so
/// with a full date: year-less stamps (Render dashboard `Oct 7 03:14:09 PM`,
/// read as 1970) count as none.
pub(crate) fn line_instant(line: &[u8], format: LogFormat) -> Option<i128> {
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
