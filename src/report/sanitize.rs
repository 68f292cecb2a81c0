//! Making log text safe to print: control characters and ANSI escapes from
//! log lines never reach a terminal raw. Renderers reach these through
//! [`super::untrusted::Untrusted`]; only the JSON pass is used directly.

/// Bidirectional embeddings, overrides and isolates: they reorder what a
/// terminal shows ("Trojan Source").
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Replaces control characters (C0 including ESC, DEL, C1 including the
/// one-byte CSI U+009B) and bidirectional overrides with visible escapes.
pub(super) fn terminal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' => out.push_str("    "),
            c if c.is_control() || is_bidi_control(c) => {
                out.push_str(&c.escape_default().to_string())
            }
            c => out.push(c),
        }
    }
    out
}

/// Escapes, in serialized JSON, the control characters JSON allows raw
/// (DEL and the C1 range, where U+009B is a one-byte CSI to some terminals)
/// and bidirectional overrides, so JSON printed to a terminal cannot drive it. Such characters can only
/// occur inside JSON strings, where `\u` escapes mean the same.
pub fn json(serialized: String) -> String {
    if !serialized
        .chars()
        .any(|c| c.is_control() || is_bidi_control(c))
    {
        return serialized;
    }
    let mut out = String::with_capacity(serialized.len() + 16);
    for c in serialized.chars() {
        match c {
            '\n' | '\t' | '\r' => out.push(c), // structural whitespace of pretty JSON
            c if c.is_control() || is_bidi_control(c) => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for a Markdown table cell or paragraph: pipes, backticks,
/// brackets, angle brackets (no raw HTML or links), emphasis and
/// strikethrough marks, newlines (after [`terminal`] escaping).
pub(super) fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in terminal(text).chars() {
        match c {
            '|' | '`' | '[' | ']' | '*' | '_' | '~' | '#' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for HTML element content and double- or single-quoted
/// attribute values (after [`terminal`] escaping, so control characters and
/// bidirectional overrides show as escapes here too). Nothing escaped this
/// way can open a tag, close one, or end an attribute.
pub(super) fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in terminal(text).chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes_del_and_c1_controls_and_stays_equal() {
        let value = serde_json::json!({"text": "a\u{7f}b\u{9b}31m\u{1b}c\td"});
        let safe = json(serde_json::to_string_pretty(&value).expect("serializes"));
        assert!(!safe.contains(['\u{7f}', '\u{9b}', '\u{1b}']), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).expect("still valid");
        assert_eq!(back, value);
    }

    #[test]
    fn escapes_ansi_and_controls() {
        assert_eq!(terminal("\u{1b}[31mred\u{7}"), "\\u{1b}[31mred\\u{7}");
    }

    #[test]
    fn html_cannot_open_tags_or_end_attributes() {
        assert_eq!(
            html("<script>alert(1)</script>\"><img src=x onerror='y'>&\u{1b}"),
            "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=&#39;y&#39;&gt;&amp;\\u{1b}"
        );
    }

    #[test]
    fn markdown_cannot_inject_html_or_links() {
        assert_eq!(
            markdown("<img src=x> [a](http://x) | b"),
            "&lt;img src=x&gt; \\[a\\](http://x) \\| b"
        );
    }
}
