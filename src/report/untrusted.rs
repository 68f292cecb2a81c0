//! Text faultline did not write: log lines and everything parsed out of
//! them (origins, run keys, captures, timestamps, traceback frames), file
//! names, and the rule pack's own strings (a `--rules` file is input too).
//!
//! [`Untrusted`] has no `Display`, no `Deref` and no accessor for its
//! contents: the only ways out are escaped renderings, for a terminal
//! ([`Untrusted::terminal`]), Markdown ([`Untrusted::markdown`],
//! [`Untrusted::code_span`], [`fenced_block`]), HTML ([`Untrusted::html`],
//! [`Untrusted::html_href`]) or JSON (`Serialize`, through
//! serde's escaping and [`super::sanitize::json`]). Renderers see reports
//! only through [`super::view`], where every string is `Untrusted`, so a
//! renderer that forgot to escape would not compile.

use std::borrow::Cow;
use std::fmt;

use serde::{Serialize, Serializer};

use super::sanitize;

/// Text from outside faultline; see the module documentation.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Untrusted<'a>(Cow<'a, str>);

impl<'a> Untrusted<'a> {
    /// Wraps text from a log, a file name or a rule file.
    pub fn new(text: impl Into<Cow<'a, str>>) -> Untrusted<'a> {
        Untrusted(text.into())
    }

    /// Whether there is no text at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// For a terminal: control characters (C0, DEL, C1, so ESC and every
    /// ANSI, OSC and one-byte CSI sequence) and bidirectional overrides
    /// shown as visible escapes, tabs as spaces, newlines as `\n`.
    pub fn terminal(&self) -> String {
        sanitize::terminal(&self.0)
    }

    /// For a terminal, one line of output per line of text (each escaped).
    pub fn terminal_lines(&self) -> Vec<String> {
        self.0.lines().map(sanitize::terminal).collect()
    }

    /// For Markdown running text or a table cell: escaped for a terminal,
    /// then Markdown's punctuation, HTML and pipes escaped.
    pub fn markdown(&self) -> String {
        sanitize::markdown(&self.0)
    }

    /// A Markdown code span (delimiters included) showing the text as it is:
    /// escaped for a terminal, delimited by more backticks than it holds.
    pub fn code_span(&self) -> String {
        let text = sanitize::terminal(&self.0);
        let ticks = "`".repeat(longest_backtick_run(&text) + 1);
        let pad = if text.starts_with('`') || text.ends_with('`') {
            " "
        } else {
            ""
        };
        format!("{ticks}{pad}{text}{pad}{ticks}")
    }

    /// Markdown running text in which the code the author marked with
    /// backticks (a rule's fix: `` `pip install x` ``) stays code: text
    /// between paired backticks becomes a code span ([`Self::code_span`]),
    /// the rest is escaped ([`Self::markdown`]). With an unpaired backtick,
    /// all of it is escaped.
    pub fn markdown_with_code(&self) -> String {
        if self.0.matches('`').count() % 2 == 1 {
            return self.markdown();
        }
        let mut out = String::with_capacity(self.0.len() + 8);
        for (i, part) in self.0.split('`').enumerate() {
            match (i % 2 == 1, part.is_empty()) {
                (true, true) => out.push_str("\\`\\`"),
                (true, false) => out.push_str(&Untrusted::new(part).code_span()),
                (false, _) => out.push_str(&sanitize::markdown(part)),
            }
        }
        out
    }

    /// A reference for Markdown: a plain `http(s)` URL becomes an autolink
    /// (`<https://…>`, which cannot carry other markup), anything else (a
    /// runbook's title and section) running text.
    pub fn markdown_link(&self) -> String {
        let url = (self.0.starts_with("https://") || self.0.starts_with("http://"))
            && !self
                .0
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '`'));
        if url && sanitize::terminal(&self.0) == self.0 {
            format!("<{}>", self.0)
        } else {
            self.markdown()
        }
    }

    /// A code span for a GFM table cell: as [`Self::code_span`], with pipes
    /// escaped (GFM splits cells on them even inside code spans).
    pub fn table_code_span(&self) -> String {
        self.code_span().replace('|', "\\|")
    }

    /// For HTML element content or a quoted attribute value: escaped for a
    /// terminal, then `<`, `>`, `&` and both quotes as character references.
    pub fn html(&self) -> String {
        sanitize::html(&self.0)
    }

    /// For an HTML `href`: the escaped text when it is a plain `http(s)` URL
    /// (no whitespace or controls), else `None`, so no other scheme
    /// (`javascript:`, `data:`) ever becomes a link.
    pub fn html_href(&self) -> Option<String> {
        let text = &*self.0;
        let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
        let web = lower.starts_with("https://") || lower.starts_with("http://");
        let plain = !text.chars().any(|c| c.is_whitespace() || c.is_control());
        (web && plain).then(|| self.html())
    }

    /// Text transformed but still untrusted (redaction, for one).
    pub fn map(&self, f: impl FnOnce(&str) -> Cow<'_, str>) -> Untrusted<'static> {
        Untrusted(Cow::Owned(f(&self.0).into_owned()))
    }
}

/// A fenced Markdown code block of `lines`, each escaped for a terminal,
/// every line (fences included) prefixed with `indent`. The fence is longer
/// than any run of backticks inside, so no line can close it.
pub fn fenced_block<'b, 'c: 'b>(
    lines: impl IntoIterator<Item = &'b Untrusted<'c>>,
    indent: &str,
) -> String {
    let lines: Vec<String> = lines.into_iter().map(Untrusted::terminal).collect();
    let longest = lines
        .iter()
        .map(|l| longest_backtick_run(l))
        .max()
        .unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let mut out = format!("{indent}{fence}text\n");
    for line in lines {
        out.push_str(indent);
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(indent);
    out.push_str(&fence);
    out.push('\n');
    out
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// Joins terminal renderings with `separator`.
pub fn join_terminal(items: &[Untrusted<'_>], separator: &str) -> String {
    items
        .iter()
        .map(Untrusted::terminal)
        .collect::<Vec<_>>()
        .join(separator)
}

impl fmt::Debug for Untrusted<'_> {
    /// `str`'s `Debug`, which escapes control characters.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl Serialize for Untrusted<'_> {
    /// The text as a JSON string: serde escapes C0 controls; the JSON
    /// renderers' [`sanitize::json`] pass escapes DEL and C1.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'a> From<&'a String> for Untrusted<'a> {
    fn from(text: &'a String) -> Untrusted<'a> {
        Untrusted::new(text.as_str())
    }
}

impl<'a> From<&'a str> for Untrusted<'a> {
    fn from(text: &'a str) -> Untrusted<'a> {
        Untrusted::new(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "a\u{1b}[31mb\u{1b}]0;pwned\u{7}c\u{9b}2Jd\u{202e}e";

    fn assert_no_controls(rendered: &str) {
        assert!(
            !rendered.contains(['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}']),
            "{rendered:?}"
        );
    }

    #[test]
    fn every_way_out_is_escaped() {
        let text = Untrusted::new(HOSTILE);
        assert_eq!(
            text.terminal(),
            "a\\u{1b}[31mb\\u{1b}]0;pwned\\u{7}c\\u{9b}2Jd\\u{202e}e"
        );
        assert_no_controls(&text.markdown());
        assert_no_controls(&text.html());
        assert_no_controls(&text.code_span());
        assert_no_controls(&fenced_block([&text], "  "));
        for line in Untrusted::new(format!("{HOSTILE}\n{HOSTILE}")).terminal_lines() {
            assert_no_controls(&line);
        }
        let json = sanitize::json(serde_json::to_string(&text).expect("serializes"));
        assert_no_controls(&json);
        let back: String = serde_json::from_str(&json).expect("valid JSON");
        assert_eq!(back, HOSTILE);
        assert_no_controls(&format!("{text:?}"));
    }

    #[test]
    fn marked_code_stays_code_and_the_rest_is_escaped() {
        let fix = Untrusted::new("run `pip install x` then *restart* <b>");
        assert_eq!(
            fix.markdown_with_code(),
            "run `pip install x` then \\*restart\\* &lt;b&gt;"
        );
        let unpaired = Untrusted::new("a ` b *c*");
        assert_eq!(unpaired.markdown_with_code(), "a \\` b \\*c\\*");
        assert_eq!(Untrusted::new("x `` y").markdown_with_code(), "x \\`\\` y");
        assert_no_controls(&Untrusted::new(HOSTILE).markdown_with_code());
    }

    #[test]
    fn only_plain_urls_become_links() {
        let url = Untrusted::new("https://docs.python.org/3/library/sys_path_init.html");
        assert_eq!(
            url.markdown_link(),
            "<https://docs.python.org/3/library/sys_path_init.html>"
        );
        let runbook = Untrusted::new("Runbook, \"Issue 2: *Imports*\"");
        assert_eq!(
            runbook.markdown_link(),
            "Runbook, \"Issue 2: \\*Imports\\*\""
        );
        let sneaky = Untrusted::new("https://x.test/a>[b](javascript:1)");
        assert!(!sneaky.markdown_link().starts_with('<'));
    }

    #[test]
    fn only_web_urls_become_links() {
        let href = |t: &str| Untrusted::new(t).html_href();
        assert_eq!(
            href("https://x.io/a?b=1&c=\"2\""),
            Some("https://x.io/a?b=1&amp;c=&quot;2&quot;".into())
        );
        assert_eq!(href("HTTP://x.io"), Some("HTTP://x.io".into()));
        for bad in [
            "javascript:alert(1)",
            " https://x.io",
            "https://x.io/ a",
            "data:text/html,x",
            "Runbook, \"6. Celery\"",
        ] {
            assert_eq!(href(bad), None, "{bad}");
        }
    }

    #[test]
    fn code_spans_and_fences_cannot_be_closed_from_inside() {
        assert_eq!(Untrusted::new("a.b").code_span(), "`a.b`");
        assert_eq!(Untrusted::new("x `y` z").code_span(), "``x `y` z``");
        assert_eq!(Untrusted::new("`y`").code_span(), "`` `y` ``");
        assert_eq!(Untrusted::new("a|b").table_code_span(), "`a\\|b`");
        let lines = [Untrusted::new("```"), Untrusted::new("x ```` y")];
        let block = fenced_block(&lines, "");
        assert_eq!(block, "`````text\n```\nx ```` y\n`````\n");
    }
}
