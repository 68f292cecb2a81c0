//! Stripping platform wrappers from a text line, so rules see the message the
//! application wrote: kubectl `--prefix` and `--timestamps`, CRI stream tags,
//! Render dashboard and CLI timestamps, RFC 5424 / RFC 3164 syslog, journald,
//! Heroku, docker compose and Cloud Foundry prefixes. Wrappers nest (a
//! kubectl prefix before a timestamp), so peeling repeats.

use std::sync::LazyLock;

use regex::Regex;

use super::meta::Origin;

/// A wrapper and the origin fields it names.
struct Wrapper {
    regex: Regex,
    /// Whether a line starting with this byte may start with the wrapper:
    /// most lines are tried against every wrapper once their last wrapper
    /// is gone, and a byte test rules nearly all of them out for a
    /// fraction of a regex search.
    may_start: StartTest,
    /// A parse without the regex, for the wrapper most lines carry.
    fast: Option<FastParse>,
}

/// A cheap test of whether a line may start with a wrapper.
type StartTest = fn(&str) -> bool;

/// The length of the wrapper a line starts with, read without the regex;
/// `None` leaves the line to the regex (which also decides Unicode digits).
type FastParse = fn(&str) -> Option<usize>;

/// The length of a leading `2025-10-23T08:57:55.403024Z ` (kubectl
/// `--timestamps`, CRI, Heroku), parsed with nom: the same text the RFC 3339
/// wrapper regex matches, when its digits are ASCII. Nearly every line of
/// those logs starts with one, and a regex search costs several times more.
fn rfc3339_prefix(line: &str) -> Option<usize> {
    use nom::Parser;
    use nom::character::complete::char;
    use nom::combinator::opt;
    use nom::sequence::preceded;

    use super::meta::{ascii_digits, shaped, utc_offset};
    let (rest, _) = (
        shaped("dddd-dd-ddTdd:dd:dd"),
        opt(preceded(char('.'), ascii_digits(1, 9))),
        opt(utc_offset()),
        char(' '),
    )
        .parse(line)
        .ok()?;
    Some(line.len() - rest.len())
}

/// The first byte of a line, which `may_be_wrapped` has made sure exists.
fn first(line: &str) -> u8 {
    line.as_bytes().first().copied().unwrap_or(0)
}

/// `\d` in a regex is any Unicode digit, so any non-ASCII byte may start one.
fn digit(line: &str) -> bool {
    first(line).is_ascii_digit() || first(line) >= 0x80
}

/// The first letters of the English month abbreviations syslog and Render write.
fn month_initial(line: &str) -> bool {
    matches!(
        first(line),
        b'J' | b'F' | b'M' | b'A' | b'S' | b'O' | b'N' | b'D'
    )
}

/// Whether a line may start with a docker compose `service  | ` prefix:
/// a name, spaces, then `|`, found without reading the rest of the line.
/// `\w` and `\s` are Unicode, so a non-ASCII byte leaves the line to the
/// regex.
fn compose_service(line: &str) -> bool {
    let bytes = line.as_bytes();
    let name = bytes
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        .count();
    let rest = &bytes[name..];
    let spaces = rest
        .iter()
        .take_while(|&&b| matches!(b, b'\t'..=b'\r' | b' '))
        .count();
    first(line).is_ascii_alphanumeric()
        && match rest.get(spaces) {
            Some(b'|') => spaces > 0,
            Some(&b) => b >= 0x80,
            None => false,
        }
}

static WRAPPERS: LazyLock<Vec<Wrapper>> = LazyLock::new(|| {
    let wrappers: [(&str, StartTest); 11] = [
        // kubectl --prefix: [pod/NAME/CONTAINER]. Kubernetes names are DNS
        // names; nothing else (an escape sequence, a control character)
        // becomes an origin.
        (
            r"^\[pod/(?P<pod>[A-Za-z0-9][A-Za-z0-9._-]*)/(?P<container>[A-Za-z0-9][A-Za-z0-9._-]*)\] ",
            |line| first(line) == b'[',
        ),
        // RFC 5424 syslog (Render log streams): <PRI>1 TS HOST APP PROCID MSGID SD;
        // HOST and APP-NAME are printable ASCII (PRINTUSASCII).
        (
            r"^<\d{1,3}>1 \S+ (?P<host>[!-~]+) (?P<service>[!-~]+) \S+ \S+ (?:-|\[.*?\]) ?",
            |line| first(line) == b'<',
        ),
        // RFC 3339 timestamp (kubectl --timestamps, CRI, Heroku)
        (RFC3339_WRAPPER, digit),
        // CRI stream and tag
        (r"^(?:stdout|stderr) [FP] ", |line| first(line) == b's'),
        // Heroku app/router/dyno prefix
        (r"^(?:app|heroku)\[(?P<service>[\w.-]+)\]: ", |line| {
            matches!(first(line), b'a' | b'h')
        }),
        // Render dashboard paste: `Oct 7 03:14:09 PM  `
        (
            r"^(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} \d{1,2}:\d{2}:\d{2} (?:AM|PM) {1,2}",
            month_initial,
        ),
        // Render CLI text: `YYYY-MM-DD HH:MM:SS  ` (two spaces)
        (r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}  ", digit),
        // RQ worker: the time of day alone, `08:57:55 `
        (r"^(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d ", digit),
        // RFC 3164 syslog / journald: `Oct 23 08:57:55 host unit[PID]: `
        (
            r"^(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} \d{2}:\d{2}:\d{2} (?P<host>[\w.-]+) (?P<service>[\w.@/-]+?)(?:\[\d+\])?: ",
            month_initial,
        ),
        // Cloud Foundry: [APP/PROC/WEB/0] OUT|ERR; the source (app instance,
        // router, cell, API) is the stream, as a Heroku dyno is.
        (
            r"^\[(?P<service>(?:APP|RTR|STG|CELL|API)/[!-\\^-~]*)\] (?:OUT|ERR) ",
            |line| first(line) == b'[',
        ),
        // docker compose: `service-1  | `
        (r"^(?P<service>[a-zA-Z0-9][\w.-]*)\s+\| ", compose_service),
    ];
    wrappers
        .into_iter()
        .map(|(p, may_start)| Wrapper {
            regex: Regex::new(p).expect("valid wrapper regex"),
            may_start,
            fast: (p == RFC3339_WRAPPER).then_some(rfc3339_prefix as FastParse),
        })
        .collect()
});

/// The RFC 3339 timestamp wrapper; [`rfc3339_prefix`] reads the same text.
const RFC3339_WRAPPER: &str =
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})? ";

/// Cheap test: can this line start with a wrapper at all?
fn may_be_wrapped(line: &str) -> bool {
    line.as_bytes()
        .first()
        .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'[' | b'<'))
}

/// The message inside `line`, with every wrapper removed.
pub fn message(line: &str) -> &str {
    peel(line, None)
}

/// docker compose's own status lines (`redis-1 exited with code 137`) name
/// the service in the message rather than in a prefix.
static COMPOSE_STATUS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<service>[a-zA-Z0-9][\w.-]*) exited with code \d+\s*$")
        .expect("valid compose status regex")
});

/// The message inside `line`, recording what the wrappers say about origin.
pub fn message_and_origin(line: &str) -> (&str, Origin) {
    let mut origin = Origin::default();
    let message = peel(line, Some(&mut origin));
    // The status ends in the exit code: testing the last byte first spares
    // every other line a search.
    if origin.is_empty()
        && message.trim_end().ends_with(char::is_numeric)
        && message.contains(" exited with code ")
        && let Some(c) = COMPOSE_STATUS.captures(message)
    {
        origin.service = Some(c["service"].to_string());
    }
    (message, origin)
}

fn peel<'a>(line: &'a str, mut origin: Option<&mut Origin>) -> &'a str {
    let mut rest = line.trim_end_matches(['\r', '\n']);
    'outer: for _ in 0..6 {
        if !may_be_wrapped(rest) {
            break;
        }
        for wrapper in WRAPPERS.iter() {
            if !(wrapper.may_start)(rest) {
                continue;
            }
            if let Some(len) = wrapper.fast.and_then(|parse| parse(rest)) {
                rest = &rest[len..];
                continue 'outer;
            }
            // `find` costs no capture allocation; most wrappers do not match.
            let Some(found) = wrapper.regex.find(rest) else {
                continue;
            };
            if let Some(origin) = origin.as_deref_mut()
                && wrapper.regex.captures_len() > 1
                && let Some(c) = wrapper.regex.captures(rest)
            {
                let set = |slot: &mut Option<String>, name: &str| {
                    if slot.is_none() {
                        *slot = c.name(name).map(|m| m.as_str().to_string());
                    }
                };
                set(&mut origin.pod, "pod");
                set(&mut origin.container, "container");
                set(&mut origin.host, "host");
                set(&mut origin.service, "service");
            }
            rest = &rest[found.end()..];
            continue 'outer;
        }
        break;
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peels_nested_kubectl_wrappers() {
        let (msg, origin) = message_and_origin(
            "[pod/agent-worker-5bdd5/worker] 2026-01-14T08:59:13.402118Z ERROR boom",
        );
        assert_eq!(msg, "ERROR boom");
        assert_eq!(origin.pod.as_deref(), Some("agent-worker-5bdd5"));
        assert_eq!(origin.container.as_deref(), Some("worker"));
    }

    #[test]
    fn peels_cri_render_syslog_heroku_compose() {
        assert_eq!(
            message("2025-10-23T08:57:55.403024419Z stderr F Traceback (most recent call last):"),
            "Traceback (most recent call last):"
        );
        assert_eq!(
            message("Oct 7 03:14:09 PM  ModuleNotFoundError: x"),
            "ModuleNotFoundError: x"
        );
        assert_eq!(message("2025-10-23 08:57:55  hello"), "hello");
        assert_eq!(
            message("<134>1 2025-10-23T08:57:55-07:00 ops-worker srv-abc 1 - - boom"),
            "boom"
        );
        assert_eq!(
            message(
                "2025-10-23T08:57:55.403024+00:00 heroku[web.1]: State changed from up to crashed"
            ),
            "State changed from up to crashed"
        );
        assert_eq!(
            message("worker-1  | [2025-06-02 14:11:03,511: ERROR/MainProcess] x"),
            "[2025-06-02 14:11:03,511: ERROR/MainProcess] x"
        );
        assert_eq!(message("Oct 23 08:57:55 host1 app[123]: boom"), "boom");
        assert_eq!(
            message("08:58:25 Traceback (most recent call last):"),
            "Traceback (most recent call last):"
        );
    }

    #[test]
    fn cloud_foundry_names_its_source() {
        let (msg, origin) = message_and_origin(
            "2025-10-23T08:57:44.63+0000 [APP/PROC/WEB/0] ERR Traceback (most recent call last):",
        );
        assert_eq!(msg, "Traceback (most recent call last):");
        assert_eq!(origin.service.as_deref(), Some("APP/PROC/WEB/0"));
        let (_, origin) = message_and_origin("[CELL/0] OUT Cell 3c1f stopping instance");
        assert_eq!(origin.service.as_deref(), Some("CELL/0"));
    }

    #[test]
    fn control_characters_never_become_a_pod_or_container() {
        for line in [
            "[pod/api-\u{1b}[31mred/web] 2026-01-14T08:59:13Z ERROR boom",
            "[pod/api/we\u{9b}2Jb] 2026-01-14T08:59:13Z ERROR boom",
            "[pod/api\u{7}/web] 2026-01-14T08:59:13Z ERROR boom",
            "[pod/api\u{202e}x/web] 2026-01-14T08:59:13Z ERROR boom",
            "<134>1 2025-10-23T08:57:55Z ho\u{1b}[2Jst srv 1 - - boom",
            "<134>1 2025-10-23T08:57:55Z host s\u{9b}rv 1 - - boom",
        ] {
            let (msg, origin) = message_and_origin(line);
            assert!(origin.is_empty(), "{line:?}: {origin:?}");
            assert_eq!(msg, line, "not a kubectl prefix, so nothing is peeled");
        }
        let (_, origin) = message_and_origin("[pod/api-7c9f.x_1/web-2] ERROR boom");
        assert_eq!(origin.pod.as_deref(), Some("api-7c9f.x_1"));
        assert_eq!(origin.container.as_deref(), Some("web-2"));
    }

    proptest::proptest! {
        /// The nom parse of the RFC 3339 wrapper reads exactly what its
        /// regex matches, whenever it reads anything.
        #[test]
        fn rfc3339_parse_agrees_with_the_wrapper_regex(
            line in "[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}([.,][0-9]{0,11})?(Z|[+-][0-9]{2}:?[0-9]{0,3})?[ a-z:]{0,3}"
        ) {
            let regex = Regex::new(RFC3339_WRAPPER).expect("valid");
            if let Some(len) = rfc3339_prefix(&line) {
                proptest::prop_assert_eq!(regex.find(&line).map(|m| m.end()), Some(len));
            }
        }
    }

    proptest::proptest! {
        /// The cheap test lets through every line the compose wrapper
        /// regex would peel.
        #[test]
        fn compose_test_keeps_every_compose_line(
            line in "[a-zA-Z0-9é][a-zA-Z0-9_.é-]{0,8}[ \t\x0B\u{2003}:|]{0,3}[|]? ?[a-z]{0,3}"
        ) {
            let regex = Regex::new(r"^(?P<service>[a-zA-Z0-9][\w.-]*)\s+\| ").expect("valid");
            if regex.is_match(&line) {
                proptest::prop_assert!(compose_service(&line), "{line:?}");
            }
        }
    }

    #[test]
    fn rfc3339_parse_takes_the_usual_stamps_and_leaves_the_rest() {
        for (line, len) in [
            ("2025-10-23T06:13:20.000088Z INFO x", 28),
            ("2025-10-23T06:13:20Z x", 21),
            ("2025-10-23T06:13:20.5+05:30 x", 28),
            ("2025-10-23T06:13:20-0700 x", 25),
            ("2025-10-23T06:13:20 x", 20),
        ] {
            assert_eq!(rfc3339_prefix(line), Some(len), "{line}");
        }
        for line in [
            "2025-10-23 06:13:20 x",
            "2025-10-23T06:13:20.0000000001Z x",
            "2025-10-23T06:13:20Zx",
            "2025-10-23T06:13:2x",
        ] {
            assert_eq!(rfc3339_prefix(line), None, "{line}");
        }
    }

    #[test]
    fn leaves_application_prefixes_alone() {
        assert_eq!(
            message("2026-01-14 08:59:13,402 ERROR app.agent.planner: x"),
            "2026-01-14 08:59:13,402 ERROR app.agent.planner: x"
        );
        assert_eq!(message("INFO:__main__:started"), "INFO:__main__:started");
    }
}
