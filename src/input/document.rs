//! Whole-document formats: Datadog CSV exports and JSON documents (Datadog
//! Logs API, JSON arrays, Render `-o json` objects back to back). They are
//! parsed into records in timestamp order, since exports are often newest
//! first and a traceback must be read oldest line first.

use serde_json::Value;

use super::json::event_message;
use super::meta::{Level, Meta, Origin, find_timestamp};
use super::peel;

/// One event of a document: where it starts and what it says.
#[derive(Debug, Clone)]
pub struct Record {
    /// 1-based line where the event starts in the file.
    pub line: u64,
    pub offset: u64,
    /// The message, possibly several lines (a traceback in one field).
    pub text: String,
    pub meta: Meta,
}

/// Records parsed so far and, if the document was damaged, what went wrong.
pub struct Parsed {
    /// The events, oldest first (unstamped ones first, in file order).
    pub records: Vec<Record>,
    /// Why parsing stopped early, if the document was damaged.
    pub error: Option<String>,
}

fn line_of(bytes: &[u8], offset: usize) -> u64 {
    bytecount::count(&bytes[..offset.min(bytes.len())], b'\n') as u64 + 1
}

/// Parses a Datadog Log Explorer CSV export.
pub fn parse_csv(bytes: &[u8]) -> Parsed {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h
            .iter()
            .map(|c| c.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
            .collect(),
        Err(e) => {
            return Parsed {
                records: Vec::new(),
                error: Some(format!("unreadable CSV header: {e}")),
            };
        }
    };
    let column = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let (date, host, service, status) = (
        column(&["date", "timestamp"]),
        column(&["host"]),
        column(&["service"]),
        column(&["status"]),
    );
    let content = column(&["content", "message"]);
    let mut records = Vec::new();
    let mut error = None;
    for row in reader.records() {
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                error = Some(format!("CSV damaged: {e}"));
                break;
            }
        };
        let position = row.position().map_or((0, 0), |p| (p.line(), p.byte()));
        let field = |i: Option<usize>| {
            i.and_then(|i| row.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let Some(raw) = field(content) else { continue };
        let (text, mut meta) = match serde_json::from_str::<Value>(raw)
            .ok()
            .as_ref()
            .and_then(event_message)
        {
            Some(parsed) => parsed,
            None => (peel::message(raw).to_string(), Meta::default()),
        };
        if let Some(ts) = field(date).and_then(find_timestamp) {
            meta.timestamp = Some(ts);
        }
        meta.level = meta.level.or_else(|| field(status).and_then(Level::parse));
        let origin = Origin {
            host: field(host).map(str::to_string),
            service: field(service).map(str::to_string),
            ..Origin::default()
        };
        meta.origin = Origin {
            host: meta.origin.host.or(origin.host),
            service: meta.origin.service.or(origin.service),
            ..meta.origin
        };
        records.push(Record {
            line: position.0,
            offset: position.1,
            text,
            meta,
        });
    }
    Parsed {
        records: chronological(records),
        error,
    }
}

/// Parses a JSON document or a stream of JSON values. A document cut off
/// part-way (an export interrupted mid-download) keeps every complete event
/// before the cut, and says where the damage is.
pub fn parse_json(bytes: &[u8]) -> Parsed {
    let mut records = Vec::new();
    let mut error = None;
    let mut cursor = 0usize;
    let mut stream = serde_json::Deserializer::from_slice(bytes).into_iter::<Value>();
    loop {
        let start = stream.byte_offset();
        let value = match stream.next() {
            None => break,
            Some(Ok(value)) => value,
            Some(Err(e)) => {
                error = Some(format!(
                    "JSON damaged at line {}, column {}: {e}",
                    e.line(),
                    e.column()
                ));
                let items = complete_items(bytes, start);
                push_records(bytes, items.iter(), cursor, bytes.len(), &mut records);
                break;
            }
        };
        let end = stream.byte_offset();
        let items: Vec<&Value> = match &value {
            Value::Array(items) => items.iter().collect(),
            Value::Object(map) => match map.get("data") {
                Some(Value::Array(items)) => items.iter().collect(),
                _ => vec![&value],
            },
            _ => Vec::new(),
        };
        cursor = push_records(bytes, items.into_iter(), cursor, end, &mut records).max(end);
    }
    Parsed {
        records: chronological(records),
        error,
    }
}

/// Turns the events among `items` into records located in `bytes[from..to]`;
/// returns where the search for the next item's position starts.
fn push_records<'a>(
    bytes: &[u8],
    items: impl Iterator<Item = &'a Value>,
    mut cursor: usize,
    to: usize,
    records: &mut Vec<Record>,
) -> usize {
    for item in items {
        let Some((text, meta)) = event_message(item) else {
            continue;
        };
        let offset = locate(bytes, cursor, to, item);
        cursor = offset.max(cursor);
        records.push(Record {
            line: line_of(bytes, offset),
            offset: offset as u64,
            text,
            meta,
        });
    }
    cursor
}

/// The complete elements of a damaged top-level array, or of the `data`
/// array of a damaged `{"data": [...]}` envelope, starting at `start`.
fn complete_items(bytes: &[u8], start: usize) -> Vec<Value> {
    let rest = &bytes[start.min(bytes.len())..];
    let skip_space = |at: usize| {
        rest[at.min(rest.len())..]
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .map_or(rest.len(), |i| at + i)
    };
    let open = skip_space(0);
    let mut at = match rest.get(open) {
        Some(b'[') => open + 1,
        Some(b'{') => {
            let Some(key) = memchr::memmem::find(&rest[open..], b"\"data\"") else {
                return Vec::new();
            };
            let colon = skip_space(open + key + b"\"data\"".len());
            if rest.get(colon) != Some(&b':') {
                return Vec::new();
            }
            let bracket = skip_space(colon + 1);
            if rest.get(bracket) != Some(&b'[') {
                return Vec::new();
            }
            bracket + 1
        }
        _ => return Vec::new(),
    };
    let mut items = Vec::new();
    loop {
        at = skip_space(at);
        if rest.get(at) == Some(&b',') {
            at += 1;
            continue;
        }
        let mut one = serde_json::Deserializer::from_slice(&rest[at..]).into_iter::<Value>();
        match one.next() {
            Some(Ok(item)) => {
                at += one.byte_offset();
                items.push(item);
            }
            _ => return items,
        }
    }
}

/// Byte offset of an item's message in the raw document (searched from the
/// previous item on), so findings point at the right line.
fn locate(bytes: &[u8], from: usize, to: usize, item: &Value) -> usize {
    let message = item
        .get("attributes")
        .and_then(|a| a.get("message"))
        .or_else(|| item.get("message"))
        .or_else(|| item.get("log"));
    let Some(Value::String(message)) = message else {
        return from;
    };
    let encoded = serde_json::to_string(message).unwrap_or_default();
    let needle = encoded.as_bytes();
    let window = &bytes[from.min(bytes.len())..to.min(bytes.len())];
    memchr::memmem::find(window, needle).map_or(from, |i| from + i)
}

/// Oldest first: newest-first exports are reversed, then a stable sort by
/// timestamp keeps file order among equal or missing stamps.
fn chronological(mut records: Vec<Record>) -> Vec<Record> {
    let stamps: Vec<i128> = records
        .iter()
        .filter_map(|r| r.meta.timestamp.as_ref().map(|t| t.nanos))
        .collect();
    if let (Some(first), Some(last)) = (stamps.first(), stamps.last())
        && first > last
    {
        records.reverse();
    }
    records.sort_by_key(|r| r.meta.timestamp.as_ref().map(|t| t.nanos));
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_newest_first_with_quoted_newlines_is_read_oldest_first() {
        let csv = "Date,Host,Service,Content\n\
            2025-10-23T08:57:57.000Z,h1,ops,\"ERROR [run_id=a] Execution timeout exceeded (60s)\"\n\
            2025-10-23T08:57:56.000Z,h1,ops,\"line one\nline two\"\n\
            2025-10-23T08:57:55.000Z,h1,ops,\"{\"\"message\"\":\"\"started\"\",\"\"status\"\":\"\"info\"\"}\"\n";
        let parsed = parse_csv(csv.as_bytes());
        assert!(parsed.error.is_none());
        let texts: Vec<&str> = parsed.records.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "started",
                "line one\nline two",
                "ERROR [run_id=a] Execution timeout exceeded (60s)"
            ]
        );
        assert_eq!(parsed.records[2].line, 2);
        assert_eq!(
            parsed.records[0].meta.origin.service.as_deref(),
            Some("ops")
        );
    }

    #[test]
    fn datadog_api_document_and_render_objects_back_to_back() {
        let doc = "{\n \"data\": [\n  {\"id\":\"2\",\"attributes\":{\"timestamp\":\"2025-10-23T08:57:56Z\",\"message\":\"second\"}},\n  {\"id\":\"1\",\"attributes\":{\"timestamp\":\"2025-10-23T08:57:55Z\",\"message\":\"first\"}}\n ]\n}";
        let parsed = parse_json(doc.as_bytes());
        let lines: Vec<(u64, &str)> = parsed
            .records
            .iter()
            .map(|r| (r.line, r.text.as_str()))
            .collect();
        assert_eq!(lines, [(4, "first"), (3, "second")]);
        let render = "{\n \"message\": \"a\",\n \"timestamp\": \"2025-10-23T08:57:55Z\"\n}{\n \"message\": \"b\",\n \"timestamp\": \"2025-10-23T08:57:56Z\"\n}";
        let parsed = parse_json(render.as_bytes());
        assert_eq!(
            parsed.records.iter().map(|r| r.line).collect::<Vec<_>>(),
            [2, 5]
        );
    }

    #[test]
    fn truncated_json_keeps_what_parsed_and_reports_damage() {
        let parsed = parse_json(b"{\"message\":\"a\"}\n{\"message\":\"b\"");
        assert_eq!(parsed.records.len(), 1);
        assert!(parsed.error.is_some());
    }

    #[test]
    fn a_cut_off_array_keeps_its_complete_elements() {
        let parsed =
            parse_json(b"[{\"message\":\"first\"},\n {\"message\":\"second\"}, {\"message\":\"thi");
        let texts: Vec<&str> = parsed.records.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(texts, ["first", "second"]);
        assert_eq!(parsed.records[1].line, 2);
        assert!(parsed.error.is_some_and(|e| e.contains("line 2")));
    }
}
