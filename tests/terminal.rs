//! What only a terminal shows: the scan's progress bar appears on a slow
//! scan, is cleared on Ctrl-C, and never appears with `--no-progress`; the
//! report's first screen is fitted to the terminal's width.
//! Driven through tmux (`.ci/run` installs it), which gives faultline a
//! real terminal and lets the test read the screen.
#![cfg(unix)]

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server of its own, killed when the test ends.
struct Screen {
    socket: String,
}

impl Screen {
    /// Runs faultline with `args` in a new 120×20 pane, from a shell that
    /// ignores Ctrl-C itself (faultline installs its own handler) and
    /// prints faultline's exit status after it.
    fn start(name: &str, args: &[&str]) -> Screen {
        Screen::start_sized(name, args, (120, 20))
    }

    /// [`Screen::start`] in a pane of `(columns, rows)`.
    fn start_sized(name: &str, args: &[&str], (columns, rows): (u16, u16)) -> Screen {
        let screen = Screen {
            socket: format!("faultline-{name}-{}", std::process::id()),
        };
        let script = format!(
            "trap '' INT; {} {}; echo \"exit=$?\"; sleep 60",
            binary(),
            args.join(" ")
        );
        let status = screen
            .tmux(&[
                "new-session",
                "-d",
                "-x",
                &columns.to_string(),
                "-y",
                &rows.to_string(),
                "sh",
                "-c",
                &script,
            ])
            .status()
            .expect("tmux must be installed (.ci/run installs it)");
        assert!(status.success(), "tmux new-session");
        screen
    }

    /// faultline's exit status once it has exited.
    fn exit_status(&self) -> String {
        self.wait_for("exit=");
        let text = self.text();
        let at = text.find("exit=").map_or(0, |i| i + "exit=".len());
        text[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect()
    }

    fn tmux(&self, args: &[&str]) -> Command {
        let mut command = Command::new("tmux");
        command
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args);
        command.env_remove("CI").env("NO_COLOR", "1");
        command
    }

    fn text(&self) -> String {
        // The screen and what scrolled off it.
        let output = self
            .tmux(&["capture-pane", "-p", "-S", "-500"])
            .output()
            .expect("tmux");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Waits until the screen shows `what` (or panics with the screen).
    fn wait_for(&self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.text().contains(what) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("{what:?} never shown:\n{}", self.text());
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]).status();
    }
}

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_faultline")
}

/// A named pipe no one writes to yet: opening it waits, so the scan lasts.
fn pipe(dir: &tempfile::TempDir) -> String {
    let path = dir.path().join("pipe.log");
    let status = Command::new("mkfifo").arg(&path).status().expect("mkfifo");
    assert!(status.success());
    path.to_str().expect("UTF-8").to_string()
}

#[test]
fn the_progress_bar_is_cleared_on_ctrl_c() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = pipe(&dir);
    let screen = Screen::start("interrupt", &["scan", &fifo]);
    // The scan waits for the pipe: the bar shows after a second.
    screen.wait_for("scanning [");
    let status = screen.tmux(&["send-keys", "C-c"]).status().expect("tmux");
    assert!(status.success());
    assert_eq!(screen.exit_status(), "130");
    let text = screen.text();
    assert!(!text.contains("scanning"), "a bar was left behind:\n{text}");
}

#[test]
fn no_progress_never_shows_the_bar() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = pipe(&dir);
    let screen = Screen::start("quiet", &["scan", "--no-progress", &fifo]);
    // Without the flag the bar would be drawn after one second.
    std::thread::sleep(Duration::from_millis(2500));
    let waiting = screen.text();
    std::fs::write(&fifo, "ModuleNotFoundError: No module named 'yaml'\n").expect("write");
    assert_eq!(screen.exit_status(), "1");
    assert!(!waiting.contains("scanning"), "{waiting}");
    let text = screen.text();
    assert!(!text.contains("scanning"), "{text}");
    assert!(text.contains("VERDICT "), "{text}");
}

#[test]
fn no_path_on_a_terminal_is_an_error_not_a_wait() {
    // stdin is the terminal: nothing is piped in, so there is nothing to read.
    let screen = Screen::start("noinput", &["scan"]);
    assert_eq!(screen.exit_status(), "2");
    let text = screen.text();
    assert!(
        text.contains("faultline: no input: name files, directories or globs, or pipe logs in"),
        "{text}"
    );
}

/// The first screen on an 80-column terminal: the verdict, the cause table,
/// the sequences and the totals take at most 23 rows of it (24 with a
/// pager's prompt), whatever the width; lines are cut at 80, not wrapped.
#[test]
fn the_first_screen_fits_an_80_by_24_terminal() {
    let incident = common::incident::incident();
    let screen = Screen::start_sized(
        "first",
        &[
            "scan",
            "--no-progress",
            "--no-default-rules",
            "--rules",
            &incident.rules,
            &incident.log,
        ],
        (80, 24),
    );
    assert_eq!(screen.exit_status(), "1");
    let text = screen.text();
    // The pane's rows from the verdict down to the totals line.
    let rows: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("VERDICT "))
        .take_while(|l| !l.starts_with("ROOT CAUSE "))
        .collect();
    let totals = rows
        .iter()
        .rposition(|l| l.contains(" other finding"))
        .unwrap_or_else(|| panic!("no totals line:\n{text}"));
    assert!(totals < 23, "{} rows:\n{text}", totals + 1);
    let table = rows
        .iter()
        .position(|l| l.starts_with("SEVERITY  COUNT"))
        .unwrap_or_else(|| panic!("no cause table:\n{text}"));
    // Every cause row is a row of its own: it starts with a severity (a
    // wrapped line would leave a row starting elsewhere), and is cut with
    // an ellipsis rather than wrapped.
    let causes: Vec<&&str> = rows[table + 1..]
        .iter()
        .take_while(|l| !l.is_empty() && !l.starts_with('…'))
        .collect();
    assert!(causes.len() >= 5, "{text}");
    assert!(
        causes
            .iter()
            .all(|l| ["critical ", "error ", "warning ", "info "]
                .iter()
                .any(|s| l.starts_with(s))),
        "{text}"
    );
    assert!(causes.iter().any(|l| l.trim_end().ends_with('…')), "{text}");
    assert!(
        rows.iter()
            .any(|l| l.starts_with("… ") && l.contains("more causes, not shown: --format json")),
        "{text}"
    );
}
