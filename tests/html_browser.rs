//! The HTML report opened in a real browser: headless Chromium (Debian's
//! `chromium` package; `.ci/run` installs it). These tests fail when no
//! Chromium is found, so a missing browser is never a silent pass; set
//! `FAULTLINE_SKIP_BROWSER_TESTS=1` to skip them on purpose, or
//! `FAULTLINE_CHROMIUM=/path/to/chrome` to use another binary.

mod common;

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{scan_html, scan_json};
use serde_json::Value;

/// The browser to drive, or `None` when the tests were told to skip.
fn chromium() -> Option<PathBuf> {
    if std::env::var_os("FAULTLINE_SKIP_BROWSER_TESTS").is_some_and(|v| v == "1") {
        eprintln!("FAULTLINE_SKIP_BROWSER_TESTS=1: browser checks skipped");
        return None;
    }
    if let Some(path) = std::env::var_os("FAULTLINE_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    panic!(
        "no Chromium found: install Debian's `chromium` package (.ci/run does), point \
         FAULTLINE_CHROMIUM at a Chrome binary, or set FAULTLINE_SKIP_BROWSER_TESTS=1 to skip"
    );
}

/// What one headless run printed.
struct Run {
    stdout: String,
    stderr: String,
}

/// Runs headless Chromium on `page` with `extra` arguments, in a fresh
/// profile, with console messages logged to stderr.
fn browse(browser: &Path, page: &Path, extra: &[String]) -> Run {
    let profile = tempfile::tempdir().expect("profile dir");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", browser.display()));
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = err.read_to_string(&mut text);
        text
    });
    let mut stdout = String::new();
    let _ = out.read_to_string(&mut stdout);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        match child.try_wait().expect("wait for chromium") {
            Some(_) => break,
            None if Instant::now() > deadline => {
                let _ = child.kill();
                panic!("chromium did not finish within two minutes");
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    let stderr = reader.join().expect("stderr reader");
    Run { stdout, stderr }
}

/// Writes `faultline scan --format html ARGS` into `dir/report.html`.
fn html_page(dir: &Path, args: &[&str]) -> PathBuf {
    let page = dir.join("report.html");
    std::fs::write(&page, scan_html(args)).expect("write page");
    page
}

/// The page's DOM after its scripts ran, checked for script errors and
/// console messages (the page logs none; a blocked fetch or an exception
/// would).
fn rendered_dom(browser: &Path, page: &Path) -> String {
    let run = browse(browser, page, &["--dump-dom".to_string()]);
    let console: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    let dom = run.stdout;
    assert!(dom.contains("data-rendered=\"1\""), "script did not finish");
    assert!(!dom.contains("data-errors="), "script errors recorded");
    dom
}

/// The value of `name="…"` on the root element.
fn root_attribute(dom: &str, name: &str) -> Option<usize> {
    let root = &dom[dom.find("<html")?..];
    let root = &root[..root.find('>')?];
    let at = root.find(&format!(" {name}=\""))? + name.len() + 3;
    root[at..].split('"').next()?.parse().ok()
}

/// How reports name a stream: the origin's label, else the input's path.
fn stream(evidence: &Value) -> String {
    let o = &evidence["origin"];
    let s = |k: &str| o[k].as_str().map(str::to_string);
    let process = match (s("pod"), s("container"), s("service")) {
        (Some(pod), Some(c), _) => Some(format!("{pod}/{c}")),
        (Some(pod), None, _) => Some(pod),
        (None, Some(c), Some(service)) => Some(format!("{service}/{c}")),
        (None, Some(c), None) => Some(c),
        (None, None, Some(service)) => Some(service),
        (None, None, None) => None,
    };
    let label = match (process, s("host")) {
        (Some(p), Some(h)) => Some(format!("{p}@{h}")),
        (Some(p), None) => Some(p),
        (None, host) => host,
    };
    label.unwrap_or_else(|| evidence["path"].as_str().unwrap_or_default().to_string())
}

fn list(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}

/// The marks and lanes the timeline must show, counted from the JSON report
/// by the rules the HTML report documents.
fn expected_marks_and_lanes(report: &Value) -> (usize, usize) {
    let mut marks = 0;
    let mut lanes = BTreeSet::new();
    // Runs per sequence, stream and correlation value: each after the first is a restart.
    let mut runs_per_lane = std::collections::BTreeMap::<(String, String, String), usize>::new();
    for sequence in list(&report["sequences"]) {
        for run in list(&sequence["runs"]) {
            let reached: Vec<&Value> = list(&run["steps"])
                .iter()
                .filter_map(|s| s.get("at"))
                .collect();
            let streams: BTreeSet<String> = reached.iter().map(|e| stream(e)).collect();
            assert_eq!(streams.len(), 1, "each run of these fixtures is one stream");
            marks += reached.len();
            marks += usize::from(!run["first_missing"].is_null());
            marks += usize::from(run["status"] == "stalled");
            lanes.extend(streams.iter().cloned());
            let lane = streams.into_iter().next().unwrap_or_default();
            *runs_per_lane
                .entry((sequence["id"].to_string(), lane, run["key"].to_string()))
                .or_default() += 1;
        }
    }
    marks += runs_per_lane.values().map(|n| n - 1).sum::<usize>();
    for finding in list(&report["findings"]) {
        for e in list(&finding["evidence"]) {
            marks += 1;
            lanes.insert(stream(e));
        }
    }
    for shape in list(&report["unrecognised"]) {
        marks += 1;
        lanes.insert(stream(&shape["example"]));
    }
    (marks, lanes.len())
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[test]
fn the_timeline_shows_one_lane_per_stream_and_every_mark_of_the_json_report() {
    let Some(browser) = chromium() else { return };
    let fixtures = [
        "fixtures/oom-crashloop",
        "fixtures/celery-broker-lost",
        "fixtures/sequences/kubectl-celery-amqp-lost.log",
        "fixtures/degraded-import",
        "fixtures/agent-timeout",
        "fixtures/outcomes",
    ];
    for fixture in fixtures {
        let dir = tempfile::tempdir().expect("tempdir");
        let page = html_page(dir.path(), &[fixture]);
        let (_, report) = scan_json(&[fixture]);
        let (marks, lanes) = expected_marks_and_lanes(&report);
        assert!(marks > 0, "{fixture}: nothing to draw");
        let dom = rendered_dom(&browser, &page);
        assert_eq!(
            count(&dom, "<a class=\"mark "),
            marks,
            "{fixture}: marks in the DOM"
        );
        assert_eq!(root_attribute(&dom, "data-marks"), Some(marks), "{fixture}");
        assert_eq!(
            root_attribute(&dom, "data-visible-marks"),
            Some(marks),
            "{fixture}"
        );
        assert_eq!(count(&dom, "<g class=\"lane\""), lanes, "{fixture}: lanes");
        assert_eq!(root_attribute(&dom, "data-lanes"), Some(lanes), "{fixture}");
        // Clicking a mark jumps to its evidence: every mark links to an element of the page.
        for mark in dom.split("<a class=\"mark ").skip(1) {
            let target = mark
                .split("href=\"#")
                .nth(1)
                .and_then(|h| h.split('"').next())
                .expect("a mark links somewhere");
            assert!(
                dom.contains(&format!(" id=\"{target}\"")),
                "{fixture}: #{target}"
            );
        }
        let verdict = dom
            .split("id=\"verdict\"")
            .nth(1)
            .and_then(|rest| rest.split("</p>").next())
            .expect("a verdict");
        match report["root_causes"][0]["title"].as_str() {
            Some(title) => assert!(verdict.contains(title), "{fixture}: {verdict}"),
            None => assert!(
                verdict.contains("No root cause found"),
                "{fixture}: {verdict}"
            ),
        }
    }
}

#[test]
fn log_and_rule_text_never_runs_in_the_page() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let set = "document.documentElement.setAttribute";
    let log = format!(
        "[pod/web-1/app] 2026-03-02T10:00:01Z ModuleNotFoundError: No module named '<script>{set}(\"data-pwned\",\"1\")</script>'\n\
         [pod/web-1/app] 2026-03-02T10:00:02Z ERROR \"><img src=x onerror=\"{set}('data-pwned','2')\"> request failed\n\
         [pod/web-2/app] 2026-03-02T10:00:03Z ERROR see javascript:{set}('data-pwned','3') </textarea></script><b>x</b>\n\
         [pod/web-2/app] 2026-03-02T10:00:04Z consumer: Cannot connect to redis://:hunter2@redis:6379/0: Error 111 connecting to redis:6379. Connection refused.\n"
    );
    let rules = format!(
        "rules:\n  - id: test.hostile\n    title: \"<img src=x onerror=\\\"{set}('data-pwned','4')\\\">\"\n    class: unknown\n    severity: error\n    patterns: ['request failed']\n    explain: hostile rule text\n    remediation: \"<script>{set}('data-pwned','5')</script>\"\n    references: [\"javascript:{set}('data-pwned','6')\"]\n"
    );
    let log_path = dir.path().join("app.log");
    let rules_path = dir.path().join("hostile.yaml");
    std::fs::write(&log_path, log).expect("write log");
    std::fs::write(&rules_path, rules).expect("write rules");
    let page = html_page(
        dir.path(),
        &[
            "--rules",
            rules_path.to_str().expect("utf-8 path"),
            log_path.to_str().expect("utf-8 path"),
        ],
    );
    let dom = rendered_dom(&browser, &page);
    assert!(!dom.contains("data-pwned=\""), "injected script ran");
    assert!(!dom.contains("<img"), "injected element");
    assert!(!dom.contains("<b>"), "injected element");
    assert!(!dom.contains("href=\"javascript:"), "javascript: link");
    assert!(!dom.contains("hunter2"), "secret shown");
    assert!(dom.contains("redis://:****@redis"), "redacted line missing");
    assert!(
        dom.contains("&lt;script&gt;document.documentElement"),
        "escaped text missing"
    );
    assert!(dom.contains("&lt;/textarea&gt;&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;"));
}

#[test]
fn a_screenshot_of_the_page_is_not_blank() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let page = html_page(dir.path(), &["fixtures/oom-crashloop"]);
    let shot = dir.path().join("shot.png");
    browse(
        &browser,
        &page,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1400,1000".to_string(),
        ],
    );
    let file = std::fs::File::open(&shot).expect("a screenshot was written");
    let decoder = png::Decoder::new(std::io::BufReader::new(file));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("sized")];
    let frame = reader.next_frame(&mut pixels).expect("a frame");
    assert_eq!((frame.width, frame.height), (1400, 1000));
    let step = frame.color_type.samples();
    let rgb: Vec<[u8; 3]> = pixels[..frame.buffer_size()]
        .chunks(step)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    let colours: BTreeSet<[u8; 3]> = rgb.iter().copied().collect();
    let inked = rgb.iter().filter(|p| **p != [255, 255, 255]).count();
    assert!(colours.len() > 50, "{} colours", colours.len());
    assert!(
        inked * 20 > rgb.len(),
        "{inked} of {} pixels not white",
        rgb.len()
    );
    // The critical badge and the milestones are drawn in their colours.
    let near = |c: [u8; 3]| {
        rgb.iter()
            .any(|p| p.iter().zip(c).all(|(a, b)| a.abs_diff(b) < 8))
    };
    assert!(near([0x8b, 0, 0]), "no critical red");
    assert!(near([0x2c, 0xa0, 0x2c]), "no milestone green");
}

/// Drives the page the way a reader would (filters, a drag across the
/// timeline, the reset button, hovering a mark, sorting by count) and
/// records what the page shows after each step on the root element.
const PROBE: &str = r#"<script>
(function () {
  var root = document.documentElement, svg = document.getElementById('timeline'), out = {};
  function visible() { return Number(root.getAttribute('data-visible-marks')); }
  function toggle(selector, on) {
    var box = document.querySelector(selector);
    box.checked = on;
    box.form.dispatchEvent(new Event('change'));
  }
  out.all = visible();
  toggle('input[name=sev][value=critical]', false);
  out.withoutCritical = visible();
  toggle('input[name=sev][value=critical]', true);
  toggle('input[name=lane][value="0"]', false);
  out.withoutFirstLane = visible();
  toggle('input[name=lane][value="0"]', true);
  var ctm = svg.getScreenCTM(), y = svg.getBoundingClientRect().top + 40;
  var g = svg.getAttribute('data-geometry').split(' ').map(Number), left = g[1] + 10, plot = g[0] - g[1] - 20;
  function at(x) { return { button: 0, clientX: ctm.a * (left + x * plot) + ctm.e, clientY: y, bubbles: true }; }
  var labels = document.querySelectorAll('.tick-label');
  out.lastTickBefore = labels[4].textContent;
  svg.dispatchEvent(new MouseEvent('mousedown', at(0)));
  window.dispatchEvent(new MouseEvent('mousemove', at(0.5)));
  window.dispatchEvent(new MouseEvent('mouseup', at(0.5)));
  out.zoomed = visible();
  out.lastTickZoomed = labels[4].textContent;
  document.getElementById('unzoom').click();
  out.unzoomed = visible();
  var mark = document.querySelector('.mark'), tip = document.getElementById('tip');
  mark.dispatchEvent(new MouseEvent('mousemove', { clientX: 50, clientY: 50 }));
  out.tipShown = !tip.hidden;
  out.tip = tip.textContent;
  document.querySelectorAll('#findings th')[3].click();
  out.counts = Array.prototype.map.call(document.querySelectorAll('#findings tbody tr'),
    function (row) { return Number(row.cells[3].textContent); });
  root.setAttribute('data-probe', JSON.stringify(out));
}());
</script></body>"#;

#[test]
fn filters_zoom_tooltips_and_sorting_respond() {
    let Some(browser) = chromium() else { return };
    let fixture = "fixtures/oom-crashloop";
    let dir = tempfile::tempdir().expect("tempdir");
    let page = html_page(dir.path(), &[fixture]);
    let text = std::fs::read_to_string(&page).expect("read page");
    std::fs::write(&page, text.replace("</body>", PROBE)).expect("write page");
    let dom = rendered_dom(&browser, &page);
    let probe = dom
        .split("data-probe=\"")
        .nth(1)
        .and_then(|p| p.split('"').next())
        .expect("the probe ran");
    let probe: Value = serde_json::from_str(&probe.replace("&quot;", "\"").replace("&amp;", "&"))
        .expect("probe JSON");
    let (_, report) = scan_json(&[fixture]);
    let (marks, _) = expected_marks_and_lanes(&report);
    let critical: usize = list(&report["findings"])
        .iter()
        .filter(|f| f["severity"] == "critical")
        .map(|f| list(&f["evidence"]).len())
        .sum();
    assert!(critical > 0);
    let n = |key: &str| probe[key].as_u64().map(|v| v as usize);
    assert_eq!(n("all"), Some(marks), "{probe}");
    assert_eq!(n("withoutCritical"), Some(marks - critical), "{probe}");
    assert!(
        n("withoutFirstLane").is_some_and(|v| v > 0 && v < marks),
        "{probe}"
    );
    assert!(n("zoomed").is_some_and(|v| v > 0 && v < marks), "{probe}");
    assert_ne!(probe["lastTickBefore"], probe["lastTickZoomed"], "{probe}");
    assert_eq!(n("unzoomed"), Some(marks), "{probe}");
    assert_eq!(probe["tipShown"], true, "{probe}");
    assert!(
        probe["tip"]
            .as_str()
            .is_some_and(|t| t.contains("fixtures/oom-crashloop/"))
    );
    let counts: Vec<u64> = list(&probe["counts"])
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    assert_eq!(counts.len(), list(&report["findings"]).len());
    assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{counts:?}");
    assert!(counts.first() < counts.last(), "{counts:?}");
}
