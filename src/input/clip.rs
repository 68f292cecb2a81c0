//! Bounding what a match keeps of its line, so a pathological line (a
//! 100 MB minified payload, a binary blob) cannot blow up memory or reports.

use std::ops::Range;

/// Lines up to this many bytes are kept whole.
pub const MAX_EVIDENCE_BYTES: usize = 4096;
/// Context kept on each side of the matched span in a longer line.
const CONTEXT_BYTES: usize = 1024;
/// Captured values longer than this are cut (they feed explanations).
pub const MAX_CAPTURE_BYTES: usize = 512;

/// The part of `line` worth showing for a match at `span`: the whole line if
/// short, else the span with context around it and markers saying how much
/// was cut on each side.
pub fn evidence(line: &str, span: Range<usize>) -> String {
    if line.len() <= MAX_EVIDENCE_BYTES {
        return line.to_string();
    }
    let span_end = span
        .end
        .min(span.start + MAX_EVIDENCE_BYTES - 2 * CONTEXT_BYTES);
    let start = line.floor_char_boundary(span.start.saturating_sub(CONTEXT_BYTES));
    let end = line.floor_char_boundary(span_end + CONTEXT_BYTES);
    let mut out = String::with_capacity(end - start + 64);
    if start > 0 {
        out.push_str(&format!("[… {start} bytes cut] "));
    }
    out.push_str(&line[start..end]);
    if end < line.len() {
        out.push_str(&format!(" [… {} bytes cut]", line.len() - end));
    }
    out
}

/// A captured value, cut to [`MAX_CAPTURE_BYTES`] (borrowed when it fits).
pub fn capture(value: &str) -> std::borrow::Cow<'_, str> {
    if value.len() <= MAX_CAPTURE_BYTES {
        return std::borrow::Cow::Borrowed(value);
    }
    std::borrow::Cow::Owned(format!(
        "{}…",
        &value[..value.floor_char_boundary(MAX_CAPTURE_BYTES)]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_lines_are_kept_whole() {
        assert_eq!(evidence("ERROR boom", 6..10), "ERROR boom");
    }

    #[test]
    fn long_lines_keep_the_match_with_context_and_say_what_was_cut() {
        let line = format!(
            "{}ModuleNotFoundError: x{}",
            "é".repeat(50_000),
            "z".repeat(9_000)
        );
        let at = line.find("Module").expect("present");
        let shown = evidence(&line, at..at + 22);
        assert!(shown.contains("ModuleNotFoundError: x"));
        assert!(shown.starts_with("[… ") && shown.ends_with(" bytes cut]"));
        assert!(shown.len() < MAX_EVIDENCE_BYTES + 100, "{}", shown.len());
    }

    #[test]
    fn a_huge_span_is_bounded_too() {
        let line = "a".repeat(1_000_000);
        assert!(evidence(&line, 0..line.len()).len() < MAX_EVIDENCE_BYTES + 100);
    }

    #[test]
    fn captures_are_cut_on_a_char_boundary() {
        let value = "ü".repeat(1000);
        let cut = capture(&value);
        assert!(cut.len() <= MAX_CAPTURE_BYTES + "…".len());
        assert!(cut.ends_with('…'));
    }
}
