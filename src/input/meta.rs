//! Per-line metadata parsed lazily (only for lines that matched): timestamp,
//! level and origin. Parsing every line would cost more than the scan itself.

use std::sync::LazyLock;

use jiff::civil::DateTime;
use jiff::tz::Offset;
use regex::Regex;
use serde::{Deserialize, Serialize};

/// Normalised log level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Debug,
    Info,
    Warning,
    Error,
    Critical,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
            Level::Critical => "critical",
        }
    }

    /// Maps the spellings platforms use (`WARN`, `err`, Datadog `emerg`/`ok`, ...).
    pub fn parse(word: &str) -> Option<Level> {
        Some(match word.to_ascii_lowercase().as_str() {
            "debug" | "trace" => Level::Debug,
            "info" | "notice" | "ok" | "information" => Level::Info,
            "warn" | "warning" => Level::Warning,
            "error" | "err" => Level::Error,
            "critical" | "crit" | "fatal" | "emerg" | "emergency" | "alert" | "panic" => {
                Level::Critical
            }
            _ => return None,
        })
    }
}

/// When a line was written, as far as the line says.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Stamp {
    /// Nanoseconds since the Unix epoch (UTC; zone-less times are read as UTC,
    /// year-less Render dashboard times as the year 1970, times of day alone
    /// as 1970-01-01).
    #[serde(skip)]
    pub nanos: i128,
    /// How reports show it.
    pub text: StampText,
}

/// A stamp's text as reports show it.
///
/// A stamp with a date is shown as its instant in RFC 3339, UTC, which is a
/// function of the instant: that text is printed when a report shows it,
/// not kept with every matched line (a copy per line cost an allocation,
/// and millions of milestone lines are matched in a large log). A
/// year-less or time-of-day stamp is shown as written: inventing a date
/// would mislead.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum StampText {
    /// Nanoseconds since the Unix epoch, shown in RFC 3339, UTC.
    Instant(i128),
    Written(Box<str>),
}

impl std::fmt::Display for StampText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StampText::Instant(nanos) => match jiff::Timestamp::from_nanosecond(*nanos) {
                Ok(instant) => instant.fmt(f),
                // Not made from a stamp read: the nanoseconds say it all.
                Err(_) => write!(f, "{nanos} ns after the Unix epoch"),
            },
            StampText::Written(text) => f.write_str(text),
        }
    }
}

/// Written as the text reports show.
impl Serialize for StampText {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Read back as an instant when the text is one as printed, else as written.
impl<'de> Deserialize<'de> for StampText {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<StampText, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(match text.parse::<jiff::Timestamp>() {
            Ok(instant) if instant.to_string() == text => {
                StampText::Instant(instant.as_nanosecond())
            }
            _ => StampText::Written(text.into_boxed_str()),
        })
    }
}

impl Stamp {
    /// The stamp of civil time `dt` at `offset_seconds` east of UTC. Its
    /// text is `written` when given (a stamp shown as written), else the
    /// instant.
    fn from_civil(dt: DateTime, offset_seconds: i32, written: Option<&str>) -> Option<Stamp> {
        let offset = Offset::from_seconds(offset_seconds).ok()?;
        let nanos = offset.to_timestamp(dt).ok()?.as_nanosecond();
        Some(Stamp {
            nanos,
            text: written.map_or(StampText::Instant(nanos), |text| {
                StampText::Written(text.into())
            }),
        })
    }
}

/// Where a line came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Origin {
    /// The service (compose service, Heroku dyno, Datadog or syslog service).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The host (syslog, Datadog).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The Kubernetes pod (`kubectl logs --prefix`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    /// The container (`kubectl logs --prefix`, Datadog).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
}

impl Origin {
    /// Whether the wrapper named nothing.
    pub fn is_empty(&self) -> bool {
        self == &Origin::default()
    }

    /// How reports name the stream: `pod/container`, `service@host`, ...;
    /// `None` when the wrapper named nothing.
    pub(crate) fn label(&self) -> Option<String> {
        let process = match (&self.pod, &self.container, &self.service) {
            (Some(pod), Some(container), _) => format!("{pod}/{container}"),
            (Some(pod), None, _) => pod.clone(),
            (None, Some(container), Some(service)) => format!("{service}/{container}"),
            (None, Some(container), None) => container.clone(),
            (None, None, Some(service)) => service.clone(),
            (None, None, None) => return self.host.clone(),
        };
        Some(match &self.host {
            Some(host) => format!("{process}@{host}"),
            None => process,
        })
    }
}

/// Everything parsed about one line besides its message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Meta {
    pub timestamp: Option<Stamp>,
    pub level: Option<Level>,
    pub origin: Origin,
}

static ISO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(?: ?(Z|[+-]\d{2}:?\d{2}))?").expect("valid regex")
});
static MONTH_DAY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +(\d{1,2}) (\d{1,2}):(\d{2}):(\d{2})(?: (AM|PM))?").expect("valid regex")
});
/// The time of day alone, at the start of a line only: elsewhere it is
/// part of the message (`retrying at 10:00:00`).
static TIME_OF_DAY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([01]\d|2[0-3]):([0-5]\d):([0-5]\d)\b").expect("valid regex"));
static LEVEL_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:^|[\s\[:/|])(DEBUG|INFO|NOTICE|WARNING|WARN|ERROR|ERR|CRITICAL|FATAL)(?:$|[\s\]:/|])",
    )
    .expect("valid regex")
});

/// An ISO 8601 / RFC 3339 stamp's fields, as written.
struct IsoFields<'a> {
    /// Year, month, day, hour, minute, second.
    civil: [&'a str; 6],
    /// Up to nine digits of the second's fraction.
    fraction: Option<&'a str>,
    /// `Z`, `+02:00` or `-0500`.
    offset: Option<&'a str>,
}

impl<'a> IsoFields<'a> {
    /// The fields of the stamp `text` starts with, parsed without a regex:
    /// most log lines start with one, and this is the only parse a matched
    /// line then needs. `None` leaves the line to the [`ISO`] search, also
    /// when a non-ASCII character follows (a digit to `\d`, not to this).
    fn at_start(text: &'a str) -> Option<IsoFields<'a>> {
        use nom::Parser;
        use nom::character::complete::{char, one_of};
        use nom::combinator::opt;
        use nom::sequence::preceded;

        let (rest, (date, _, time, fraction, offset)) = (
            shaped("dddd-dd-dd"),
            one_of("T "),
            shaped("dd:dd:dd"),
            opt(preceded(one_of(".,"), ascii_digits(1, 9))),
            opt(preceded(opt(char(' ')), utc_offset())),
        )
            .parse(text)
            .ok()?;
        if rest.as_bytes().first().is_some_and(|&b| b >= 0x80) {
            return None;
        }
        Some(IsoFields {
            civil: [
                &date[..4],
                &date[5..7],
                &date[8..],
                &time[..2],
                &time[3..5],
                &time[6..],
            ],
            fraction,
            offset,
        })
    }

    /// The fields of an [`ISO`] match.
    fn from_captures(c: &regex::Captures<'a>) -> IsoFields<'a> {
        let field = |i: usize| c.get(i).map_or("", |m| m.as_str());
        IsoFields {
            civil: [field(1), field(2), field(3), field(4), field(5), field(6)],
            fraction: c.get(7).map(|m| m.as_str()),
            offset: c.get(8).map(|m| m.as_str()),
        }
    }

    fn stamp(&self) -> Option<Stamp> {
        let num = |i: usize| self.civil[i].parse::<i32>().ok();
        let fraction = self.fraction.map_or(0, |digits| {
            digits.parse::<i32>().unwrap_or(0) * 10i32.pow(9 - digits.len() as u32)
        });
        let dt = DateTime::new(
            i16::try_from(num(0)?).ok()?,
            i8::try_from(num(1)?).ok()?,
            i8::try_from(num(2)?).ok()?,
            i8::try_from(num(3)?).ok()?,
            i8::try_from(num(4)?).ok()?,
            i8::try_from(num(5)?).ok()?,
            fraction,
        )
        .ok()?;
        let offset = self.offset.map_or(Some(0), parse_offset)?;
        Stamp::from_civil(dt, offset, None)
    }
}

/// A nom parser for `min..=max` ASCII digits, as stamps write them.
/// nom's `take_while_m_n` decodes and counts characters one at a time
/// through its generic input traits, and cost a few percent of a scan of
/// timestamped logs; stamps are ASCII, so this counts bytes.
pub(crate) fn ascii_digits<'a>(
    min: usize,
    max: usize,
) -> impl Fn(&'a str) -> nom::IResult<&'a str, &'a str> {
    move |input: &'a str| {
        let count = input
            .bytes()
            .take(max)
            .take_while(u8::is_ascii_digit)
            .count();
        if count < min {
            return Err(parse_error(input));
        }
        // ASCII digits are one byte each, so `count` is a char boundary.
        Ok((&input[count..], &input[..count]))
    }
}

/// A nom parser for a stamp's UTC offset: `Z`, `+02:00` or `-0500`.
pub(crate) fn utc_offset<'a>()
-> impl nom::Parser<&'a str, Output = &'a str, Error = nom::error::Error<&'a str>> {
    use nom::branch::alt;
    use nom::bytes::complete::tag;
    use nom::character::complete::{char, one_of};
    use nom::combinator::{opt, recognize};

    alt((
        tag("Z"),
        recognize((
            one_of("+-"),
            ascii_digits(2, 2),
            opt(char(':')),
            ascii_digits(2, 2),
        )),
    ))
}

/// A nom parser for text of a fixed shape, such as `dddd-dd-dd`: each `d`
/// an ASCII digit, every other byte itself. A stamp's date and time have
/// fixed shapes, and one pass over their bytes costs a fraction of a
/// parser per field.
pub(crate) fn shaped<'a>(
    shape: &'static str,
) -> impl Fn(&'a str) -> nom::IResult<&'a str, &'a str> {
    move |input: &'a str| {
        let fits = input.len() >= shape.len()
            && input
                .bytes()
                .zip(shape.bytes())
                .all(|(byte, want)| match want {
                    b'd' => byte.is_ascii_digit(),
                    _ => byte == want,
                });
        if !fits {
            return Err(parse_error(input));
        }
        // The shape is ASCII and the input matched it byte for byte.
        Ok((&input[shape.len()..], &input[..shape.len()]))
    }
}

fn parse_error(input: &str) -> nom::Err<nom::error::Error<&str>> {
    nom::Err::Error(nom::error::Error::new(input, nom::error::ErrorKind::Verify))
}

/// The first timestamp in `text` (searched in its first 160 bytes).
pub fn find_timestamp(text: &str) -> Option<Stamp> {
    let head = head(text, 160);
    if let Some(fields) = IsoFields::at_start(head) {
        return fields.stamp();
    }
    if let Some(c) = ISO.captures(head) {
        return IsoFields::from_captures(&c).stamp();
    }
    let Some(c) = MONTH_DAY.captures(head) else {
        return time_of_day(head);
    };
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| *m == &c[1])? as i8
        + 1;
    let mut hour: i8 = c[3].parse().ok()?;
    match c.get(6).map(|m| m.as_str()) {
        Some("PM") if hour < 12 => hour += 12,
        Some("AM") if hour == 12 => hour = 0,
        _ => {}
    }
    let dt = DateTime::new(
        1970,
        month,
        c[2].parse().ok()?,
        hour,
        c[4].parse().ok()?,
        c[5].parse().ok()?,
        0,
    )
    .ok()?;
    // Ordered as 1970 but shown as written: inventing a year would mislead.
    Stamp::from_civil(dt, 0, Some(c[0].trim_end()))
}

/// The timestamp a line starts with (after punctuation such as `[` or a
/// syslog priority, but before any word): the stamp a following line
/// without one inherits. A date inside a message (an annotation, a
/// `Started:` field) does not date the lines after it.
pub(crate) fn leading_timestamp(text: &str) -> Option<Stamp> {
    let head = head(text, 160);
    let Some(start) = [&*ISO, &*MONTH_DAY]
        .iter()
        .filter_map(|re| re.find(head).map(|m| m.start()))
        .min()
    else {
        return time_of_day(head);
    };
    if head[..start].bytes().any(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    find_timestamp(&text[start..])
}

/// A line that starts with the time of day only (RQ workers: `08:57:55
/// message`): ordered as 1970-01-01, shown as written, like year-less stamps.
fn time_of_day(text: &str) -> Option<Stamp> {
    let c = TIME_OF_DAY.captures(text)?;
    let num = |i: usize| c[i].parse::<i8>().ok();
    let dt = DateTime::new(1970, 1, 1, num(1)?, num(2)?, num(3)?, 0).ok()?;
    Stamp::from_civil(dt, 0, Some(&c[0]))
}

fn parse_offset(text: &str) -> Option<i32> {
    if text == "Z" {
        return Some(0);
    }
    let sign = if text.starts_with('-') { -1 } else { 1 };
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let hours: i32 = digits.get(0..2)?.parse().ok()?;
    let minutes: i32 = digits.get(2..4).unwrap_or("0").parse().ok()?;
    Some(sign * (hours * 3600 + minutes * 60))
}

/// The first level word in the head of `text` (`ERROR:app:`, `[ERROR]`,
/// `: ERROR/MainProcess]`, `2026-.. ERROR app:`).
pub fn find_level(text: &str) -> Option<Level> {
    LEVEL_WORD
        .captures(head(text, 120))
        .and_then(|c| Level::parse(&c[1]))
}

fn head(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The regex-free parse of a leading stamp reads what the regex
        /// reads, whenever it takes the line at all.
        #[test]
        fn leading_stamp_parse_agrees_with_the_regex(
            line in "[0-9]{4}-[01][0-9]-[0-3][0-9][T ][0-2][0-9]:[0-5][0-9]:[0-6][0-9]([.,][0-9]{0,11})?( ?(Z|[+-][0-9]{2}:?[0-9]{0,3}))?[ a-zé:]{0,4}"
        ) {
            if let Some(fields) = IsoFields::at_start(&line) {
                let c = ISO.captures(&line).expect("the regex finds the stamp too");
                proptest::prop_assert_eq!(c.get(0).map(|m| m.start()), Some(0));
                proptest::prop_assert_eq!(fields.stamp(), IsoFields::from_captures(&c).stamp());
            }
        }
    }

    proptest::proptest! {
        /// A dated stamp is shown as its instant in RFC 3339, UTC, whatever
        /// its zone and fraction, and reads back as the same instant.
        #[test]
        fn dated_stamps_show_their_instant_and_read_back(
            line in "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])[T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.,][0-9]{1,9})?( ?(Z|[+-](0[0-9]|1[0-4]):?[0-5][0-9]))?"
        ) {
            let stamp = find_timestamp(&line).expect("a valid stamp");
            let shown = stamp.text.to_string();
            let instant: jiff::Timestamp = shown.parse().expect("RFC 3339");
            proptest::prop_assert_eq!(instant.as_nanosecond(), stamp.nanos);
            proptest::prop_assert!(shown.ends_with('Z'));
            let json = serde_json::to_string(&stamp.text).expect("serializes");
            let back: StampText = serde_json::from_str(&json).expect("reads back");
            proptest::prop_assert_eq!(back, stamp.text);
        }
    }

    #[test]
    fn undated_stamps_are_shown_as_written() {
        let stamp = find_timestamp("Oct 23 06:15:34 host app: boom").expect("a stamp");
        assert_eq!(stamp.text, StampText::Written("Oct 23 06:15:34".into()));
        let json = serde_json::to_string(&stamp.text).expect("serializes");
        assert_eq!(json, r#""Oct 23 06:15:34""#);
        let back: StampText = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back, stamp.text);
    }

    #[test]
    fn a_stamp_with_other_digits_is_printed_not_kept() {
        // `\d` reads the Arabic-Indic digit one; the fraction's parse does not.
        let stamp = find_timestamp("at 2025-10-23T06:13:20.\u{661}Z").expect("a stamp");
        assert_eq!(stamp.text.to_string(), "2025-10-23T06:13:20Z");
        let stamp = find_timestamp("at 2025-10-23T06:13:20.5Z").expect("a stamp");
        assert_eq!(stamp.text.to_string(), "2025-10-23T06:13:20.5Z");
    }

    #[test]
    fn common_stamps_take_the_regex_free_parse() {
        for line in [
            "2025-10-23T08:57:55.403024419Z hello",
            "2025-10-23 08:57:55,123 INFO app: hello",
            "2025-10-23T10:57:55+02:00 hello",
            "2025-10-23T10:57:55.5 -0500 hello",
        ] {
            let fields = IsoFields::at_start(line).expect(line);
            assert_eq!(fields.stamp(), find_timestamp(line), "{line}");
            assert!(fields.stamp().is_some(), "{line}");
        }
        assert!(IsoFields::at_start("[2025-10-23T08:57:55Z] hello").is_none());
    }

    #[test]
    fn parses_kubectl_nanoseconds_and_offsets() {
        let a = find_timestamp("2025-10-23T08:57:55.403024419Z hello").expect("stamp");
        let b = find_timestamp("2025-10-23T10:57:55.403+02:00 hello").expect("stamp");
        assert_eq!(a.nanos / 1_000_000, b.nanos / 1_000_000);
        assert_eq!(a.text.to_string(), "2025-10-23T08:57:55.403024419Z");
    }

    #[test]
    fn parses_python_logging_comma_millis_and_render_dashboard() {
        let a = find_timestamp("2026-01-14 08:59:13,402 ERROR app: x").expect("stamp");
        assert_eq!(a.text.to_string(), "2026-01-14T08:59:13.402Z");
        let pm = find_timestamp("Oct 7 03:14:09 PM  boom").expect("stamp");
        let am = find_timestamp("Oct 7 03:14:09 AM  boom").expect("stamp");
        assert!(pm > am);
        assert_eq!(
            pm.text.to_string(),
            "Oct 7 03:14:09 PM",
            "no invented year in reports"
        );
    }

    #[test]
    fn a_time_of_day_alone_stamps_only_a_line_it_starts() {
        let a = find_timestamp("08:58:25 Traceback (most recent call last):").expect("stamp");
        assert_eq!(a.text.to_string(), "08:58:25", "shown as written");
        let b = leading_timestamp("08:58:26 default: Job OK").expect("stamp");
        assert!(b > a);
        assert!(a.nanos < 86_400 * 1_000_000_000, "ordered as 1970-01-01");
        assert_eq!(find_timestamp("retrying at 10:00:00"), None);
        assert_eq!(find_timestamp("25:61:00 not a time"), None);
        let full = find_timestamp("2025-10-23 08:57:55 x").expect("stamp");
        assert_eq!(
            full.text.to_string(),
            "2025-10-23T08:57:55Z",
            "a date still wins"
        );
    }

    #[test]
    fn finds_levels_in_common_wrappers() {
        assert_eq!(find_level("ERROR:app.x:boom"), Some(Level::Error));
        assert_eq!(
            find_level("[2025-10-23 08:57:55,402: WARNING/MainProcess] x"),
            Some(Level::Warning)
        );
        assert_eq!(
            find_level("[2025-10-23 08:57:55 +0000] [7] [CRITICAL] WORKER TIMEOUT"),
            Some(Level::Critical)
        );
        assert_eq!(find_level("Informational text"), None);
    }
}
