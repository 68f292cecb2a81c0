//! `input::format::detect` on arbitrary head bytes: never panics, and the
//! answer is never `Auto` (detection always decides).
#![no_main]

use faultline::LogFormat;
use faultline::fuzzing::detect;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let format = detect(data);
    assert_ne!(format, LogFormat::Auto, "detect() must decide a format");
    let _ = format.name();
    let _ = format.is_line_oriented();
});
