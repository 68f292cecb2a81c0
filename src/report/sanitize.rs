//! Making log text safe to print: control characters and ANSI escapes from
//! log lines never reach a terminal raw.

/// Replaces control characters (including ESC) with visible escapes.
pub fn terminal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' => out.push_str("    "),
            c if c.is_control() => out.push_str(&c.escape_default().to_string()),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for a Markdown table cell or paragraph: pipes, backticks,
/// brackets, angle brackets (no raw HTML or links), newlines.
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in terminal(text).chars() {
        match c {
            '|' | '`' | '[' | ']' | '*' | '_' | '#' | '\\' => {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_ansi_and_controls() {
        assert_eq!(terminal("\u{1b}[31mred\u{7}"), "\\u{1b}[31mred\\u{7}");
    }

    #[test]
    fn markdown_cannot_inject_html_or_links() {
        assert_eq!(
            markdown("<img src=x> [a](http://x) | b"),
            "&lt;img src=x&gt; \\[a\\](http://x) \\| b"
        );
    }
}
