//! Drawing the timeline as SVG: lanes, a time axis with five ticks, and a
//! shape per mark wrapped in a link to its evidence, with the line in a
//! `<title>` (the tooltip without script; the page's script takes it over).

use std::fmt::Write as _;

use super::super::untrusted::Untrusted;
use super::timeline::{Axis, Kind, Mark, Timeline};

/// Characters of a line a tooltip shows (clicking the mark shows all of it):
/// a clipped line can be 4 KiB, and every mark has a tooltip.
const TIP_CHARS: usize = 300;

/// Drawing sizes (SVG user units; the SVG scales to the page's width).
const WIDTH: f64 = 1200.0;
const GUTTER: f64 = 260.0;
const LANE: f64 = 30.0;
const AXIS: f64 = 28.0;

/// `x` of a window fraction.
fn px(x: f64) -> f64 {
    GUTTER + 10.0 + x * (WIDTH - GUTTER - 20.0)
}

/// `nanos` as an RFC 3339 UTC time to the second.
fn when(nanos: i128) -> String {
    jiff::Timestamp::from_nanosecond(nanos)
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// The timeline as SVG: readable as it is, made interactive by the page's script.
pub(super) fn svg(out: &mut String, t: &Timeline) {
    let height = AXIS + LANE * t.lanes.len().max(1) as f64 + 8.0;
    let (start, end) = match t.axis {
        Axis::Time { start, end } => (start, end),
        Axis::Order => (0, 0),
    };
    let axis = match t.axis {
        Axis::Time { .. } => "time",
        Axis::Order => "order",
    };
    let _ = writeln!(
        out,
        "<svg id=\"timeline\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"Timeline\" \
         data-axis=\"{axis}\" data-start=\"{}\" data-end=\"{}\" \
         data-geometry=\"{WIDTH} {GUTTER} {LANE} {AXIS}\">",
        start / 1_000_000,
        end / 1_000_000
    );
    for (i, lane) in t.lanes.iter().enumerate() {
        let y = AXIS + LANE * i as f64;
        let untimed = if t.untimed_lanes[i] {
            " (no timestamps: log order)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "<g class=\"lane\" data-lane=\"{i}\" transform=\"translate(0 {y})\">\
             <rect class=\"lane-bg\" x=\"0\" y=\"0\" width=\"{WIDTH}\" height=\"{LANE}\"/>\
             <text class=\"lane-name\" x=\"6\" y=\"19\">{}{}</text><title>{}{untimed}</title></g>",
            clip(lane, if untimed.is_empty() { 34 } else { 22 }),
            if untimed.is_empty() {
                ""
            } else {
                " <tspan class=\"untimed\">(log order)</tspan>"
            },
            lane.html(),
        );
    }
    let _ = writeln!(out, "<g class=\"axis\">");
    for tick in 0..=4 {
        let x = px(tick as f64 / 4.0);
        let label = match t.axis {
            Axis::Time { start, end } => when(start + (end - start) * tick / 4),
            Axis::Order if tick == 0 => "log order (no timestamps) →".into(),
            Axis::Order => String::new(),
        };
        let anchor = ["start", "middle", "middle", "middle", "end"][tick as usize];
        let _ = writeln!(
            out,
            "<line class=\"tick\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{AXIS}\" y2=\"{height}\"/>\
             <text class=\"tick-label\" x=\"{x:.1}\" y=\"16\" text-anchor=\"{anchor}\">{label}</text>"
        );
    }
    let _ = writeln!(out, "</g>");
    for m in &t.marks {
        mark(out, m);
    }
    let _ = writeln!(
        out,
        "<rect id=\"brush\" x=\"0\" y=\"0\" width=\"0\" height=\"{height}\"/></svg>"
    );
}

/// A lane name in at most `chars` characters, escaped: its start and its
/// end, which tell streams apart (`agent-worker-7c9…-3-117.ec2.internal`).
fn clip(name: &Untrusted, chars: usize) -> String {
    let shown: Vec<char> = name.terminal().chars().collect();
    if shown.len() <= chars {
        return name.html();
    }
    let head = (chars - 1) / 2;
    let tail = chars - 1 - head;
    let start: String = shown[..head].iter().collect();
    let end: String = shown[shown.len() - tail..].iter().collect();
    format!(
        "{}…{}",
        Untrusted::new(start).html(),
        Untrusted::new(end).html()
    )
}

fn mark(out: &mut String, m: &Mark) {
    let y = AXIS + LANE * m.lane as f64 + LANE / 2.0;
    let x = px(m.x);
    let (sev, class) = match m.kind {
        Kind::Finding(s) => (s.as_str(), format!("mark finding sev-{}", s.as_str())),
        k => ("", format!("mark {}", k.name())),
    };
    let mut tip = m.label.clone();
    if let Some(e) = m.line {
        let _ = write!(tip, "\n{}:{}", e.path.html(), e.line);
        if let Some(ts) = &e.timestamp {
            let _ = write!(tip, " {}", ts.html());
        }
        let text = e.text.map(|t| match t.char_indices().nth(TIP_CHARS) {
            Some((cut, _)) => format!("{}…", &t[..cut]).into(),
            None => t.into(),
        });
        let _ = write!(tip, "\n{}", text.html());
    }
    let until = m
        .until
        .map(|u| format!(" data-until=\"{u:.6}\""))
        .unwrap_or_default();
    let _ = write!(
        out,
        "<a class=\"{class}\" href=\"#{}\" data-kind=\"{}\" data-sev=\"{sev}\" data-lane=\"{}\" data-x=\"{:.6}\"{until}><title>{tip}</title>",
        m.target,
        m.kind.name(),
        m.lane,
        m.x
    );
    let shape = match m.kind {
        Kind::Finding(_) => format!("<circle cx=\"{x:.1}\" cy=\"{y}\" r=\"6\"/>"),
        Kind::Milestone => format!(
            "<rect x=\"{:.1}\" y=\"{}\" width=\"8\" height=\"8\" transform=\"rotate(45 {x:.1} {y})\"/>",
            x - 4.0,
            y - 4.0
        ),
        Kind::Missing => format!(
            "<rect x=\"{:.1}\" y=\"{}\" width=\"10\" height=\"10\" transform=\"rotate(45 {x:.1} {y})\"/>",
            x - 5.0,
            y - 5.0
        ),
        Kind::Stall => {
            let end = px(m.until.unwrap_or(1.0));
            format!(
                "<rect x=\"{x:.1}\" y=\"{}\" width=\"{:.1}\" height=\"10\"/>",
                y - 5.0,
                (end - x).max(2.0)
            )
        }
        Kind::Restart => format!(
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{}\" y2=\"{}\"/>",
            y - 12.0,
            y + 12.0
        ),
        Kind::Unrecognised => format!("<path d=\"M{x:.1} {} l6 11 h-12 z\"/>", y - 6.0),
    };
    let _ = writeln!(out, "{shape}</a>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lane_names_keep_their_start_and_end() {
        let name = Untrusted::new("fixtures/oom-crashloop/kubectl-describe-pod.txt");
        assert_eq!(clip(&name, 20), "fixtures/…be-pod.txt");
        assert_eq!(
            clip(&Untrusted::new("web-1/<app>"), 20),
            "web-1/&lt;app&gt;"
        );
    }
}
