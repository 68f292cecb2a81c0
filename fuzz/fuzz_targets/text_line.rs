//! Per-line text parsing on arbitrary lines: wrapper peeling, timestamp and
//! level search, and the JSON-lines message decoder.
#![no_main]

use faultline::fuzzing::{
    find_level, find_timestamp, line_message, message_and_origin, peel_message,
};
use libfuzzer_sys::fuzz_target;

fn range_of(outer: &str, inner: &str) -> Option<std::ops::Range<usize>> {
    let start = (inner.as_ptr() as usize).checked_sub(outer.as_ptr() as usize)?;
    let end = start.checked_add(inner.len())?;
    (end <= outer.len()).then_some(start..end)
}

fn check_line(line: &str) {
    let (message, origin) = message_and_origin(line);
    // The peeled message is a sub-slice of the line, a suffix once trailing
    // CR/LF are trimmed, and the same as `peel_message`.
    let range = range_of(line, message).expect("peeled message is a slice of the line");
    assert_eq!(
        range.end,
        line.trim_end_matches(['\r', '\n']).len(),
        "peeling only removes a prefix"
    );
    assert_eq!(peel_message(line), message);
    let _ = origin.is_empty();
    if let Some(stamp) = find_timestamp(line) {
        assert!(!stamp.text.is_empty());
    }
    let _ = find_level(line).map(|l| l.as_str());
    let _ = find_level(message);
    let _ = find_timestamp(message);
    if let Some((text, meta)) = line_message(line) {
        let _ = find_level(&text);
        let _ = meta.origin.is_empty();
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    check_line(&text);
    for line in text.split('\n') {
        check_line(line);
    }
});
