//! Python tracebacks as one event: from an exception line, walk back over
//! frames to the `Traceback (most recent call last):` header, and across
//! chained exceptions to the first one. Works on peeled messages, so every
//! line may carry its own wrapper, and frames with or without indentation.

/// At most this many lines are walked back from an exception line; keeps the
/// walk bounded and the result independent of how input is chunked.
pub const MAX_TRACEBACK_LINES: usize = 256;

const HEADER: &str = "Traceback (most recent call last):";
const CHAIN_MARKERS: [&str; 2] = [
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
];

fn is_frame(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("File \"") && t.contains("\", line ")
}

fn is_header(line: &str) -> bool {
    line.trim().ends_with(HEADER)
}

fn is_chain_marker(line: &str) -> bool {
    let t = line.trim();
    CHAIN_MARKERS.contains(&t)
}

/// Whether `line` looks like the final line of a traceback
/// (`pkg.mod.SomeError: message` or a bare `KeyboardInterrupt`).
pub fn is_exception_line(line: &str) -> bool {
    let t = line.trim();
    // The name runs to a colon or the end; any other character ends the
    // look at the first one (most lines are not exceptions, and are long).
    let name_end = t
        .bytes()
        .position(|b| !(b.is_ascii_alphanumeric() || b == b'_' || b == b'.'))
        .unwrap_or(t.len());
    if t.as_bytes().get(name_end).is_some_and(|&b| b != b':') {
        return false;
    }
    let name = &t[..name_end];
    !name.is_empty()
        && name.split('.').all(|part| !part.is_empty())
        && name.rsplit('.').next().is_some_and(|last| {
            last.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && last.chars().any(|c| c.is_ascii_lowercase())
        })
}

/// The index of the first line of the traceback ending at `end` (inclusive),
/// following exception chains; `None` if `end` does not end a traceback.
/// `line(i)` returns the peeled message of line `i` (for `i < end`).
pub fn traceback_start(end: usize, mut line: impl FnMut(usize) -> Option<String>) -> Option<usize> {
    let lowest = end.saturating_sub(MAX_TRACEBACK_LINES);
    let mut i = end;
    let mut start = None;
    while i > lowest {
        i -= 1;
        let text = line(i)?;
        if is_header(&text) {
            start = Some(i);
            // Chained? Look for the marker above, skipping blank lines.
            let mut j = i;
            let mut chained = false;
            while j > lowest {
                j -= 1;
                let above = line(j)?;
                if above.trim().is_empty() {
                    continue;
                }
                chained = is_chain_marker(&above);
                break;
            }
            if !chained {
                break;
            }
            // Continue above the marker: blank lines, then the previous exception line.
            i = j;
            while i > lowest {
                let above = line(i - 1)?;
                if above.trim().is_empty() {
                    i -= 1;
                } else {
                    break;
                }
            }
            if i == lowest {
                break;
            }
            i -= 1; // the previous exception line
            continue;
        }
        if is_frame(&text) {
            continue;
        }
        // A source line or caret line belongs to the frame line just above it
        // (or two above, with a caret line after the source line).
        let above_is_frame = |k: usize, line: &mut dyn FnMut(usize) -> Option<String>| {
            k > 0 && line(k - 1).is_some_and(|t| is_frame(&t))
        };
        if above_is_frame(i, &mut line)
            || (i > 1 && above_is_frame(i - 1, &mut line))
            || text.trim_start().starts_with("[Previous line repeated")
        {
            continue;
        }
        // Anything else means this was not a traceback after all.
        return None;
    }
    start
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start_of(lines: &[&str]) -> Option<usize> {
        traceback_start(lines.len() - 1, |i| lines.get(i).map(|s| s.to_string()))
    }

    #[test]
    fn finds_a_plain_traceback() {
        let lines = [
            "INFO:__main__:starting",
            "Traceback (most recent call last):",
            "  File \"/app/worker.py\", line 41, in <module>",
            "    from orchestrator.persistence.db_client import get_client",
            "    ^^^^^^^^^^^^^^^^^^^^^^",
            "ModuleNotFoundError: No module named 'orchestrator.persistence'",
        ];
        assert_eq!(start_of(&lines), Some(1));
        assert!(is_exception_line(lines[5]));
    }

    #[test]
    fn follows_chained_exceptions_to_the_first() {
        let lines = [
            "noise",
            "Traceback (most recent call last):",
            "File \"a.py\", line 1, in f",
            "import yaml",
            "ModuleNotFoundError: No module named 'yaml'",
            "",
            "During handling of the above exception, another exception occurred:",
            "",
            "Traceback (most recent call last):",
            "File \"b.py\", line 2, in g",
            "raise RuntimeError('x')",
            "RuntimeError: governance unavailable",
        ];
        assert_eq!(start_of(&lines), Some(1));
    }

    #[test]
    fn a_lone_exception_line_is_not_a_traceback() {
        assert_eq!(start_of(&["INFO:x:y", "KeyError: 'a'"]), None);
        assert!(!is_exception_line("INFO:__main__:Worker started"));
        assert!(!is_exception_line("Could not register: x"));
    }

    /// What an exception line is, read plainly: the text before the first
    /// colon is a dotted name whose last part is capitalised.
    fn reads_as_exception(line: &str) -> bool {
        let t = line.trim();
        let name = &t[..t.find(':').unwrap_or(t.len())];
        !name.is_empty()
            && !name.contains(' ')
            && name.split('.').all(|part| {
                !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
            && name.rsplit('.').next().is_some_and(|last| {
                last.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                    && last.chars().any(|c| c.is_ascii_lowercase())
            })
    }

    proptest::proptest! {
        /// The early-stopping check agrees with the plain reading, on names,
        /// near-names and ordinary log lines.
        #[test]
        fn exception_lines_are_what_they_read_as(
            line in r"[ \t]{0,2}([A-Za-z_][A-Za-z0-9_]{0,8}[.]?){0,3}[A-Za-z0-9_ .é\[\]=-]{0,6}(:[ a-z:'0-9]{0,12})?[ \t]{0,2}"
        ) {
            proptest::prop_assert_eq!(is_exception_line(&line), reads_as_exception(&line));
        }
    }
}
