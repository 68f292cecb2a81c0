//! Messages inside JSON log events: docker json-file (`log`), Datadog archives
//! (`message`, `date`), the Datadog Logs API (`attributes.message`), Render
//! `-o json` (`message`, `labels`), structlog / python-json-logger (`event`,
//! `exc_info`). Escapes are decoded by the JSON parser, so rules see the text
//! the application wrote.

use serde_json::Value;

use super::meta::{Level, Meta, Origin, Stamp, StampText, find_timestamp};
use super::peel;

const MESSAGE_KEYS: [&str; 6] = ["message", "msg", "log", "event", "content", "Content"];
const STACK_KEYS: [&str; 5] = ["exc_info", "exception", "stack_trace", "stack", "traceback"];
const TIME_KEYS: [&str; 6] = ["timestamp", "date", "time", "@timestamp", "asctime", "ts"];
const LEVEL_KEYS: [&str; 5] = ["level", "levelname", "status", "severity", "log.level"];

/// The event object itself: Datadog API items nest it in `attributes`
/// (`{"id", "type", "attributes": {"message", "timestamp", ...}}`). A
/// Datadog Log Archive event carries its message at the top level and its
/// custom attributes, `timestamp` among them, in `attributes`: there the
/// top level is the event.
fn event(value: &Value) -> &Value {
    match value.get("attributes") {
        Some(inner)
            if str_field(inner, &MESSAGE_KEYS).is_some()
                || (inner.get("timestamp").is_some()
                    && str_field(value, &MESSAGE_KEYS).is_none()) =>
        {
            inner
        }
        _ => value,
    }
}

/// A `key:value` Datadog tag (`pod_name:api-7d9f`), by key.
fn tag<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get("tags")?.as_array()?.iter().find_map(|t| {
        t.as_str()?
            .strip_prefix(key)?
            .strip_prefix(':')
            .filter(|v| !v.is_empty())
    })
}

fn str_field<'a>(value: &'a Value, keys: &[&str]) -> Option<&'a str> {
    keys.iter()
        .find_map(|k| value.get(*k).and_then(Value::as_str))
}

/// A Render label (`{"name": "level", "value": "error"}`) by name.
fn label<'a>(value: &'a Value, name: &str) -> Option<&'a str> {
    value
        .get("labels")?
        .as_array()?
        .iter()
        .find(|l| l.get("name").and_then(Value::as_str) == Some(name))?
        .get("value")?
        .as_str()
}

/// The message text and metadata of one JSON event, or `None` when the object
/// carries no message field (then it is not a log event).
pub fn event_message(value: &Value) -> Option<(String, Meta)> {
    let ev = event(value);
    let raw = str_field(ev, &MESSAGE_KEYS)?;
    let (text, wrapper_origin) = peel::message_and_origin(raw.trim_end_matches(['\n', '\r']));
    let mut message = text.to_string();
    let nested = ev.get("attributes").unwrap_or(&Value::Null);
    let stack = str_field(ev, &STACK_KEYS).or_else(|| {
        nested
            .get("error")
            .and_then(|e| e.get("stack"))
            .and_then(Value::as_str)
    });
    if let Some(stack) = stack.filter(|s| !message.contains(s.trim())) {
        message.push('\n');
        message.push_str(stack.trim_end());
    }
    let timestamp = match ev
        .get("timestamp")
        .or_else(|| TIME_KEYS.iter().find_map(|k| ev.get(*k)))
    {
        Some(Value::String(s)) => find_timestamp(s),
        Some(Value::Number(n)) => n.as_i64().and_then(epoch_stamp),
        _ => None,
    };
    let level = str_field(ev, &LEVEL_KEYS)
        .or_else(|| label(ev, "level"))
        .and_then(Level::parse);
    let origin = Origin {
        service: str_field(ev, &["service"])
            .or_else(|| label(ev, "resource"))
            .map(str::to_string)
            .or(wrapper_origin.service),
        host: str_field(ev, &["host", "hostname"])
            .or_else(|| label(ev, "instance"))
            .map(str::to_string)
            .or(wrapper_origin.host),
        pod: nested
            .get("pod_name")
            .or_else(|| nested.get("kubernetes").and_then(|k| k.get("pod_name")))
            .and_then(Value::as_str)
            .or_else(|| tag(ev, "pod_name"))
            .map(str::to_string)
            .or(wrapper_origin.pod),
        container: nested
            .get("container_name")
            .or_else(|| nested.get("kube_container_name"))
            .and_then(Value::as_str)
            .or_else(|| tag(ev, "kube_container_name"))
            .map(str::to_string)
            .or(wrapper_origin.container),
    };
    Some((
        message,
        Meta {
            timestamp,
            level,
            origin,
        },
    ))
}

/// Epoch numbers: seconds or milliseconds (Datadog uses milliseconds).
fn epoch_stamp(n: i64) -> Option<Stamp> {
    let ts = if n > 100_000_000_000 {
        jiff::Timestamp::from_millisecond(n).ok()?
    } else {
        jiff::Timestamp::from_second(n).ok()?
    };
    let nanos = ts.as_nanosecond();
    Some(Stamp {
        nanos,
        text: StampText::Instant(nanos),
    })
}

/// Parses one JSON-lines line; `None` if it is not a JSON log event.
pub fn line_message(line: &str) -> Option<(String, Meta)> {
    let trimmed = line.trim();
    if !trimmed.starts_with('{') {
        return None;
    }
    let value: Value = serde_json::from_str(trimmed).ok()?;
    event_message(&value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_json_file_line() {
        let (msg, meta) = line_message(r#"{"log":"TypeError: Client.__init__() got an unexpected keyword argument \u0027proxies\u0027\n","stream":"stderr","time":"2025-10-23T08:57:55.403024419Z"}"#).expect("event");
        assert_eq!(
            msg,
            "TypeError: Client.__init__() got an unexpected keyword argument 'proxies'"
        );
        assert!(meta.timestamp.is_some());
    }

    #[test]
    fn datadog_api_item_and_structlog_exc_info() {
        let (msg, meta) = line_message(r#"{"id":"x","type":"log","attributes":{"timestamp":"2025-10-23T08:57:55.403Z","status":"ERROR","service":"ops","host":"h1","message":"boom"}}"#).expect("event");
        assert_eq!(msg, "boom");
        assert_eq!(meta.level, Some(Level::Error));
        assert_eq!(meta.origin.service.as_deref(), Some("ops"));
        let (msg, _) = line_message(r#"{"event":"job failed","level":"error","exc_info":"Traceback (most recent call last):\n  File \"a.py\", line 1, in f\nKeyError: 'X'"}"#).expect("event");
        assert_eq!(msg.lines().last(), Some("KeyError: 'X'"));
    }

    #[test]
    fn datadog_archive_event_with_attributes_timestamp() {
        let line = r#"{"_id":"AZz","date":"2025-10-23T15:57:41.525Z","host":"ip-10-42-3-117.ec2.internal","service":"ops-agent-worker","status":"error","message":"Traceback (most recent call last):\n  File \"/app/w.py\", line 3, in <module>\nKeyError: 'REDIS_URL'","attributes":{"service":"ops-agent-worker","timestamp":1761235061525,"kube_container_name":"worker"},"tags":["env:production","pod_name:ops-agent-worker-6c9f8d7b5-tq4zm","kube_container_name:worker"]}"#;
        let (msg, meta) = line_message(line).expect("event");
        assert_eq!(msg.lines().last(), Some("KeyError: 'REDIS_URL'"));
        assert_eq!(msg.lines().count(), 3, "the traceback stays one event");
        assert_eq!(meta.level, Some(Level::Error));
        assert_eq!(
            meta.timestamp.map(|t| t.text.to_string()).as_deref(),
            Some("2025-10-23T15:57:41.525Z")
        );
        assert_eq!(meta.origin.service.as_deref(), Some("ops-agent-worker"));
        assert_eq!(
            meta.origin.host.as_deref(),
            Some("ip-10-42-3-117.ec2.internal")
        );
        assert_eq!(
            meta.origin.pod.as_deref(),
            Some("ops-agent-worker-6c9f8d7b5-tq4zm")
        );
        assert_eq!(meta.origin.container.as_deref(), Some("worker"));
        // An attributes object with a message is the event (Logs API items).
        let (msg, _) = line_message(
            r#"{"id":"x","attributes":{"timestamp":"2025-10-23T08:57:55Z","message":"inner","attributes":{"timestamp":1}},"message":"outer"}"#,
        )
        .expect("event");
        assert_eq!(msg, "inner");
    }

    #[test]
    fn objects_without_a_message_are_not_events() {
        assert!(line_message(r#"{"links":{"next":null}}"#).is_none());
        assert!(line_message("not json").is_none());
    }
}
