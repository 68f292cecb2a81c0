//! Whole-document parsers (Datadog CSV exports, JSON documents and streams of
//! JSON values) on arbitrary bytes.
#![no_main]

use faultline::fuzzing::{Parsed, parse_csv, parse_json};
use libfuzzer_sys::fuzz_target;

fn check(bytes: &[u8], parsed: &Parsed) {
    let lines = bytecount_lines(bytes);
    let mut previous = None;
    for record in &parsed.records {
        assert!(
            record.offset <= bytes.len() as u64,
            "record offset inside the input"
        );
        assert!(record.line <= lines + 1, "record line inside the input");
        // Records come out in chronological order where both carry a stamp.
        if let Some(stamp) = &record.meta.timestamp {
            if let Some(prev) = previous {
                assert!(prev <= stamp.nanos, "records are chronological");
            }
            previous = Some(stamp.nanos);
        }
    }
}

fn bytecount_lines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64 + 1
}

fuzz_target!(|data: &[u8]| {
    let json = parse_json(data);
    check(data, &json);
    let csv = parse_csv(data);
    check(data, &csv);
});
