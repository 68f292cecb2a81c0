//! Compiler-style diagnostics for rule authors: `file:line:column`, the
//! offending source line with a caret under the bad span, and a hint.

use std::fmt;
use std::sync::Arc;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, Config};
use serde_saphyr::Location;

/// A rule file's name and text, kept so diagnostics can quote it.
#[derive(Debug)]
pub struct SourceText {
    /// The file name diagnostics print.
    pub name: String,
    /// The whole file.
    pub text: String,
    /// Part of the pack built into the binary, whose patterns a test
    /// builds: loading it need not build any to check their size.
    pub embedded: bool,
}

/// How bad a diagnostic is: errors stop the pack from loading, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Warning,
    Error,
}

/// One problem found in a rule file.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub(crate) level: Level,
    /// A short stable code (`unknown-field`, `invalid-regex`, ...), so tests and
    /// tooling need not match on prose.
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) source: Arc<SourceText>,
    /// Byte range in `source.text` the diagnostic points at.
    pub(crate) span: std::ops::Range<usize>,
    pub(crate) hint: Option<String>,
}

impl Diagnostic {
    /// An error at a YAML location, underlining the token that starts there.
    pub fn error(
        code: &'static str,
        source: &Arc<SourceText>,
        at: Location,
        message: impl Into<String>,
    ) -> Self {
        let span = token_span(&source.text, at);
        Diagnostic {
            level: Level::Error,
            code,
            message: message.into(),
            source: Arc::clone(source),
            span,
            hint: None,
        }
    }

    /// A warning at a YAML location.
    pub fn warning(
        code: &'static str,
        source: &Arc<SourceText>,
        at: Location,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            level: Level::Warning,
            ..Diagnostic::error(code, source, at, message)
        }
    }

    /// A diagnostic at the start of a 1-based line (for checks made after loading).
    pub fn at_line(
        level: Level,
        code: &'static str,
        source: &Arc<SourceText>,
        line: u64,
        message: impl Into<String>,
    ) -> Self {
        let start = offset_of(&source.text, line, 1);
        let indent =
            source.text[start..].len() - source.text[start..].trim_start_matches([' ', '-']).len();
        let start = start + indent;
        let span = start..line_end(&source.text, start).max(start);
        Diagnostic {
            level,
            code,
            message: message.into(),
            source: Arc::clone(source),
            span,
            hint: None,
        }
    }

    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Narrows the underline to `len` bytes starting `offset` bytes into the
    /// scalar's content (used to point into a regex).
    pub fn narrowed(mut self, offset: usize, len: usize) -> Self {
        let text = &self.source.text;
        let content_start = scalar_content_start(text, self.span.start);
        // `offset` counts bytes of the decoded scalar, which differs from the
        // source text when it has escapes: snap to char boundaries.
        let start = text
            .floor_char_boundary((content_start + offset).min(self.span.end.max(content_start)));
        let end = text.ceil_char_boundary((start + len.max(1)).min(line_end(text, start)));
        if start < end {
            self.span = start..end;
        }
        self
    }

    /// 1-based line and column of the start of the span.
    pub fn line_column(&self) -> (usize, usize) {
        let before = &self.source.text[..self.span.start.min(self.source.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, column)
    }

    /// Renders the diagnostic the way rustc does, without colour.
    pub fn render(&self) -> String {
        let file = SimpleFile::new(self.source.name.as_str(), self.source.text.as_str());
        let base = match self.level {
            Level::Error => CsDiagnostic::error(),
            Level::Warning => CsDiagnostic::warning(),
        };
        let mut diagnostic = base
            .with_code(self.code)
            .with_message(&self.message)
            .with_labels(vec![Label::primary((), self.span.clone())]);
        if let Some(hint) = &self.hint {
            diagnostic = diagnostic.with_notes(vec![format!("hint: {hint}")]);
        }
        term::emit_into_string(&Config::default(), &file, &diagnostic)
            .unwrap_or_else(|_| self.to_string())
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (line, column) = self.line_column();
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        write!(
            f,
            "{}:{line}:{column}: {level}[{}]: {}",
            self.source.name, self.code, self.message
        )
    }
}

/// Byte offset of a 1-based line/column (columns counted in characters).
pub fn offset_of(text: &str, line: u64, column: u64) -> usize {
    let mut offset = 0;
    for (index, l) in text.split_inclusive('\n').enumerate() {
        if index as u64 + 1 == line {
            let skip = column.saturating_sub(1) as usize;
            return offset
                + l.char_indices()
                    .nth(skip)
                    .map_or(l.trim_end_matches('\n').len(), |(i, _)| i);
        }
        offset += l.len();
    }
    text.len()
}

fn line_end(text: &str, from: usize) -> usize {
    text[from..].find('\n').map_or(text.len(), |i| from + i)
}

/// The span of the token that starts at `at`: a quoted scalar to its closing
/// quote, otherwise to the end of the line.
fn token_span(text: &str, at: Location) -> std::ops::Range<usize> {
    if at.line() == 0 {
        return 0..line_end(text, 0).max(1).min(text.len());
    }
    let start = offset_of(text, at.line(), at.column());
    let end = line_end(text, start);
    let rest = &text[start..end];
    let end = match rest.chars().next() {
        Some(quote @ ('"' | '\'')) => rest[1..].find(quote).map_or(end, |i| start + i + 2),
        _ => start + rest.trim_end().len(),
    };
    if end > start {
        start..end
    } else {
        // A blank token (e.g. only Unicode whitespace): underline one character.
        start..text.ceil_char_boundary(start + 1)
    }
}

fn scalar_content_start(text: &str, start: usize) -> usize {
    match text[start..].chars().next() {
        Some('"' | '\'') => start + 1,
        _ => start,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::load::{RuleSources, load};

    /// Loads one rule file; every diagnostic must have a char-aligned span
    /// inside the text and render.
    fn errors_of(text: &str) -> Vec<Diagnostic> {
        let sources = RuleSources {
            layers: vec![vec![Arc::new(SourceText {
                name: "t.yaml".into(),
                text: text.into(),
                embedded: false,
            })]],
        };
        let Err(errors) = load(&sources) else {
            panic!("the file is rejected");
        };
        for d in &errors {
            let text = &d.source.text;
            assert!(d.span.start <= d.span.end && d.span.end <= text.len());
            assert!(text.is_char_boundary(d.span.start) && text.is_char_boundary(d.span.end));
            assert!(!d.render().is_empty());
            let _ = d.to_string();
        }
        errors
    }

    const RULE: &str =
        "rules:\n  - id: a.b\n    title: t\n    class: module-not-found\n    severity: error\n";

    #[test]
    fn narrowing_past_escapes_stays_on_char_boundaries() {
        // Found with the rule_load fuzz target: the regex offset counts decoded bytes
        // (`\t` is one, in the source two), so it landed inside an `é`.
        let errors = errors_of(&format!("{RULE}    patterns:\n      - \"\\tééé(\"\n"));
        assert_eq!(errors[0].code, "invalid-regex");
    }

    #[test]
    fn a_token_of_unicode_whitespace_is_underlined_whole() {
        // Found with the rule_load fuzz target: a plain scalar of U+3000 trims to
        // nothing, and the one-byte fallback span ended inside it.
        let errors = errors_of(&format!(
            "{RULE}    patterns: [x]\n    levels:\n      - \u{3000}\n"
        ));
        assert_eq!(errors[0].code, "unknown-level");
        assert_eq!(&errors[0].source.text[errors[0].span.clone()], "\u{3000}");
    }
}
