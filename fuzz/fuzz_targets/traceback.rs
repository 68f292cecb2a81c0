//! Python traceback detection: `is_exception_line` on every line and
//! `traceback_start` ending at every line of arbitrary text.
#![no_main]

use faultline::fuzzing::{MAX_TRACEBACK_LINES, is_exception_line, traceback_start};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    for end in 0..=lines.len() {
        if let Some(line) = lines.get(end) {
            let _ = is_exception_line(line);
        }
        let mut calls = 0usize;
        let start = traceback_start(end, |i| {
            calls += 1;
            assert!(
                i < end,
                "only lines before `end` are read (asked {i}, end {end})"
            );
            lines.get(i).cloned()
        });
        if let Some(start) = start {
            assert!(start < end, "start {start} before end {end}");
            assert!(end - start <= MAX_TRACEBACK_LINES, "walk is bounded");
        }
        // The walk is bounded: a few look-ups per line walked back.
        assert!(calls <= 6 * (MAX_TRACEBACK_LINES + 2), "{calls} look-ups");
    }
});
