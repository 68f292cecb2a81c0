//! Rule files: arbitrary UTF-8 as one YAML rule file through parse, validate
//! and compile. Every diagnostic (errors and warnings) is rendered, since its
//! span comes from parser locations and regex offsets and may point anywhere.
//! A pack that loads is compiled into a `Matcher` and self-tested.
#![no_main]

use std::sync::Arc;

use faultline::Diagnostic;
use faultline::fuzzing::{RuleSources, SourceText, diagnostic_span, load, selftest};
use libfuzzer_sys::fuzz_target;

fn exercise(diagnostic: &Diagnostic) {
    let (text, span) = diagnostic_span(diagnostic);
    assert!(
        span.start <= span.end && span.end <= text.len(),
        "span {span:?} outside a {}-byte file",
        text.len()
    );
    assert!(text.is_char_boundary(span.start));
    assert!(text.is_char_boundary(span.end));
    let rendered = diagnostic.render();
    assert!(!rendered.is_empty());
    let _ = diagnostic.to_string();
    let _ = diagnostic.line_column();
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let sources = RuleSources {
        layers: vec![vec![Arc::new(SourceText {
            name: "fuzz.yaml".into(),
            text: text.to_string(),
        })]],
    };
    match load(&sources) {
        Ok(loaded) => {
            for warning in &loaded.warnings {
                exercise(warning);
            }
            let pack = Arc::new(loaded.pack);
            let _ = selftest(&pack);
        }
        Err(errors) => {
            assert!(!errors.is_empty(), "a failed load says why");
            for error in &errors {
                exercise(error);
            }
        }
    }
});
