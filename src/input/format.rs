//! Log formats, detected per file from its first bytes and overridable on the
//! command line.

use serde::Serialize;

/// How a file's bytes become messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum LogFormat {
    /// Detect from the first bytes of each file.
    Auto,
    /// Line-oriented text; platform wrappers (kubectl, CRI, Render, syslog,
    /// Heroku, compose) are peeled per line. Aliases: kubectl, render, cri,
    /// syslog, plain.
    #[value(
        alias = "kubectl",
        alias = "render",
        alias = "cri",
        alias = "syslog",
        alias = "plain"
    )]
    Text,
    /// One JSON event per line: docker json-file, Datadog archives and API
    /// NDJSON, structlog / python-json-logger. Aliases: ndjson, docker-json,
    /// datadog-archive.
    #[value(alias = "ndjson", alias = "docker-json", alias = "datadog-archive")]
    Jsonl,
    /// A JSON document: Datadog Logs API (`{"data": [...]}`), a JSON array, or
    /// Render `-o json` (objects back to back). Aliases: datadog-json,
    /// render-json.
    #[value(alias = "datadog-json", alias = "render-json")]
    Json,
    /// Datadog Log Explorer CSV export (`Date,Host,Service,Content`). Alias:
    /// datadog-csv.
    #[value(alias = "datadog-csv")]
    Csv,
}

impl LogFormat {
    /// The format's name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            LogFormat::Auto => "auto",
            LogFormat::Text => "text",
            LogFormat::Jsonl => "jsonl",
            LogFormat::Json => "json",
            LogFormat::Csv => "csv",
        }
    }

    /// Whether lines are independent (scanned in parallel chunks of raw
    /// bytes) rather than records of a document parsed whole.
    pub fn is_line_oriented(self) -> bool {
        matches!(self, LogFormat::Text | LogFormat::Jsonl | LogFormat::Auto)
    }
}

/// Detects the format from the head of a file (a few KiB suffice).
pub fn detect(head: &[u8]) -> LogFormat {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    let body = &head[start..];
    let first_line = body.split(|&b| b == b'\n').next().unwrap_or_default();
    let first_line = String::from_utf8_lossy(first_line);
    let first_line = first_line.trim_end_matches('\r');
    match body.first() {
        Some(b'{') => {
            if serde_json::from_str::<serde_json::Value>(first_line).is_ok_and(|v| v.is_object())
                && !first_line.contains("\"data\":")
            {
                LogFormat::Jsonl
            } else {
                LogFormat::Json
            }
        }
        Some(b'[') if matches!(body.get(1), Some(b'\n' | b'\r' | b' ' | b'{' | b']')) => {
            LogFormat::Json
        }
        _ if is_csv_header(first_line) => LogFormat::Csv,
        _ => LogFormat::Text,
    }
}

fn is_csv_header(line: &str) -> bool {
    let columns: Vec<String> = line
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    columns.len() >= 2
        && columns.iter().any(|c| c == "date" || c == "timestamp")
        && columns.iter().any(|c| c == "content" || c == "message")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_format() {
        assert_eq!(detect(b"2025-10-23T08:57:55Z hello\n"), LogFormat::Text);
        assert_eq!(detect(b"[pod/a/b] hello\n"), LogFormat::Text);
        assert_eq!(
            detect(b"[2025-06-02 14:11:03,511: INFO/MainProcess] x\n"),
            LogFormat::Text
        );
        assert_eq!(
            detect(b"{\"log\":\"x\\n\",\"stream\":\"stderr\"}\n{\"log\":\"y\"}\n"),
            LogFormat::Jsonl
        );
        assert_eq!(detect(b"{\n  \"data\": [\n"), LogFormat::Json);
        assert_eq!(detect(b"{\"data\":[{\"id\":1}]}"), LogFormat::Json);
        assert_eq!(detect(b"[\n  {\"message\": \"x\"}\n]"), LogFormat::Json);
        assert_eq!(
            detect(b"\xEF\xBB\xBFDate,Host,Service,Content\n"),
            LogFormat::Csv
        );
        assert_eq!(detect(b""), LogFormat::Text);
    }
}
