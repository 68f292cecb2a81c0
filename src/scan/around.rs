//! Reading the lines around a match while its input is still at hand: what
//! follows a milestone (where a run stalled) and the context lines shown
//! around evidence (`-B`/`-A`). Reports never reopen an input, so the scan
//! drivers offer what they hold through [`Surroundings`] after each piece.

use crate::input::{clip, peel};

use super::trim_cr;

/// An input still at hand, addressed by byte offset.
pub(crate) trait Surroundings {
    /// Up to `count` lines starting at byte `from`, and the offset after
    /// them (where to go on once more input is at hand).
    fn after(&self, from: u64, count: usize) -> (Vec<String>, u64);
    /// Up to `count` lines before the line that starts at byte `at`, oldest
    /// first (fewer when the input starts, or is no longer held, before).
    fn before(&self, at: u64, count: usize) -> Vec<String>;
}

/// Bytes of a line-oriented input held in memory: `buf` starts at offset
/// `base`; `eof`: nothing follows them.
pub(crate) struct Held<'a> {
    pub buf: &'a [u8],
    pub base: u64,
    pub eof: bool,
}

/// A line as reports quote it: wrappers removed, long lines clipped.
fn quoted(raw: &[u8]) -> String {
    let text = crate::input::text_of(trim_cr(raw));
    clip::evidence(peel::message(&text), 0..0)
}

impl Surroundings for Held<'_> {
    fn after(&self, from: u64, count: usize) -> (Vec<String>, u64) {
        let held = self.buf;
        let mut lines = Vec::new();
        let Some(mut pos) = from
            .checked_sub(self.base)
            .and_then(|p| usize::try_from(p).ok())
        else {
            return (lines, from);
        };
        while lines.len() < count && pos < held.len() {
            let line_end = match memchr::memchr(b'\n', &held[pos..]) {
                Some(newline) => pos + newline,
                None if self.eof => held.len(),
                None => break, // an unfinished line: wait for more input
            };
            lines.push(quoted(&held[pos..line_end]));
            pos = (line_end + 1).min(held.len());
        }
        (lines, self.base + pos as u64)
    }

    fn before(&self, at: u64, count: usize) -> Vec<String> {
        let held = self.buf;
        let Some(mut end) = at
            .checked_sub(self.base)
            .and_then(|p| usize::try_from(p).ok())
            .filter(|&p| p <= held.len())
        else {
            return Vec::new();
        };
        let mut lines = Vec::new();
        // `end` is a line start: the previous line ends at `end - 1`.
        while lines.len() < count && end > 0 {
            let line_end = end - 1;
            let start = memchr::memrchr(b'\n', &held[..line_end]).map_or(0, |i| i + 1);
            if start == 0 && self.base > 0 {
                break; // possibly cut: the held bytes start mid-line
            }
            lines.push(quoted(&held[start..line_end]));
            end = start;
        }
        lines.reverse();
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &[u8] = b"one\ntwo\r\nthree\nfour\nfive";

    #[test]
    fn reads_lines_after_an_offset_and_waits_for_unfinished_ones() {
        let held = Held {
            buf: LOG,
            base: 0,
            eof: false,
        };
        let (lines, next) = held.after(4, 10);
        assert_eq!(lines, ["two", "three", "four"]);
        assert_eq!(next, 20, "the unfinished last line waits");
        let done = Held { eof: true, ..held };
        assert_eq!(done.after(next, 10).0, ["five"]);
    }

    #[test]
    fn reads_lines_before_a_line_start_oldest_first() {
        let held = Held {
            buf: LOG,
            base: 0,
            eof: true,
        };
        assert_eq!(held.before(15, 2), ["two", "three"]);
        assert_eq!(held.before(20, 9), ["one", "two", "three", "four"]);
        assert!(
            held.before(0, 3).is_empty(),
            "nothing before the first line"
        );
    }

    #[test]
    fn never_quotes_a_line_cut_by_what_is_held() {
        // Held from offset 2 ("e\ntwo..."): "e" may be a cut line.
        let held = Held {
            buf: &LOG[2..],
            base: 2,
            eof: true,
        };
        assert_eq!(held.before(15, 5), ["two", "three"]);
        assert!(held.before(1, 1).is_empty(), "offset before what is held");
    }
}
