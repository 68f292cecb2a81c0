//! `faultline tail` end to end: a real binary following real files that the
//! test appends to, rotates, truncates, deletes and re-creates. Output is read
//! as JSON lines; waits are generous and nothing asserts on speed (the
//! `#[ignore]`d measurements at the end report latency and loss instead).
//! Tests that end the session with Ctrl-C (SIGINT) are Unix-only.
#![cfg_attr(not(unix), allow(dead_code))]

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

const WAIT: Duration = Duration::from_secs(10);

const RULES: &str = r#"
rules:
  - id: t.module-not-found
    title: Module not found
    class: module-not-found
    severity: error
    patterns: ['ModuleNotFoundError: No module named ''(?P<module>[\w.]+)''']
  - id: t.exec-timeout
    title: Execution timeout
    class: timeout
    severity: error
    patterns: ['Execution timeout exceeded \((?P<secs>\d+)s\)']
  - id: t.slow
    title: Slow request
    class: timeout
    severity: warning
    patterns: ['slow request (?P<tag>\S+)']
sequences:
  - id: t.startup
    title: startup
    milestones:
      - id: banner
        title: Initialisation banner
        patterns: ['Ops Agent Worker - Orchestrator Integration']
      - id: governance
        title: Governance modules
        patterns: ['Governance modules initialized']
      - id: registration
        title: Governance registration
        patterns: ['Registered with Governance']
"#;

const MODULE: &str = "ModuleNotFoundError: No module named 'orchestrator.persistence'";
const TIMEOUT: &str = "ERROR [run_id=ab12] Execution timeout exceeded (60s)";
const BANNER: &str = "INFO:__main__:Ops Agent Worker - Orchestrator Integration";
const GOVERNANCE: &str = "INFO:__main__:✅ Governance modules initialized";

struct Tail {
    child: Child,
    events: Arc<Mutex<Vec<Value>>>,
    raw: Arc<Mutex<Vec<String>>>,
    _dir: tempfile::TempDir,
    dir: PathBuf,
}

fn tempdir_with_rules() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    fs::write(path.join("rules.yaml"), RULES).unwrap();
    (dir, path)
}

impl Tail {
    /// Starts `faultline tail --format jsonl` in `dir` with the test rules.
    fn start(dir: (tempfile::TempDir, PathBuf), args: &[&str], stdin: bool) -> Tail {
        let (guard, path) = dir;
        let mut command = Command::new(env!("CARGO_BIN_EXE_faultline"));
        command
            .current_dir(&path)
            .args([
                "tail",
                "--format",
                "jsonl",
                "--no-default-rules",
                "--rules",
                "rules.yaml",
            ])
            .args(args)
            .stdin(if stdin { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let events = Arc::new(Mutex::new(Vec::new()));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (events2, raw2) = (Arc::clone(&events), Arc::clone(&raw));
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Ok(value) = serde_json::from_str::<Value>(&line) {
                    events2.lock().unwrap().push(value);
                }
                raw2.lock().unwrap().push(line);
            }
        });
        Tail {
            child,
            events,
            raw,
            _dir: guard,
            dir: path,
        }
    }

    /// Starts on an empty `app.log`: `args` then `app.log`. Returns the tail
    /// and the log's path.
    fn on_empty_log(args: &[&str]) -> (Tail, PathBuf) {
        let dir = tempdir_with_rules();
        let log = dir.1.join("app.log");
        File::create(&log).unwrap();
        let args: Vec<&str> = args.iter().copied().chain(["app.log"]).collect();
        (Tail::start(dir, &args, false), log)
    }

    /// Starts on stdin (`args` then `-`). Returns the tail and its stdin.
    fn on_stdin(args: &[&str]) -> (Tail, ChildStdin) {
        let args: Vec<&str> = args.iter().copied().chain(["-"]).collect();
        let mut tail = Tail::start(tempdir_with_rules(), &args, true);
        let stdin = tail.child.stdin.take().unwrap();
        (tail, stdin)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn events(&self) -> Vec<Value> {
        self.events.lock().unwrap().clone()
    }

    fn findings(&self, rule: &str) -> Vec<Value> {
        self.events()
            .into_iter()
            .filter(|e| e["event"] == "finding" && e["rule"] == rule)
            .collect()
    }

    /// Waits until `check` holds on the events, or panics with the output.
    fn wait_until(&self, what: &str, check: impl Fn(&[Value]) -> bool) {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if check(&self.events()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "timed out waiting for {what}; output:\n{}",
            self.raw.lock().unwrap().join("\n")
        );
    }

    fn wait_findings(&self, rule: &str, count: usize) {
        self.wait_until(&format!("{count} findings of {rule}"), |events| {
            events
                .iter()
                .filter(|e| e["event"] == "finding" && e["rule"] == rule)
                .count()
                >= count
        });
    }

    /// Appends sentinel lines to `file` until one is reported: the follower
    /// has then certainly opened it (used when it must start at the end).
    /// Returns the number of lines appended.
    fn sync(&self, file: &Path) -> u64 {
        let deadline = Instant::now() + WAIT;
        let mut n = 0;
        while Instant::now() < deadline {
            n += 1;
            append(file, &format!("slow request sync-{n}\n"));
            let start = Instant::now();
            while start.elapsed() < Duration::from_millis(300) {
                if self.findings("t.slow").iter().any(|e| {
                    e["text"]
                        .as_str()
                        .is_some_and(|t| t.starts_with("slow request sync-"))
                }) {
                    return n;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("the follower never reported a sentinel line");
    }

    /// Ctrl-C, then the exit status and the final report.
    #[cfg(unix)]
    fn interrupt(mut self) -> (ExitStatus, Value, Vec<Value>) {
        send_interrupt(&self.child);
        self.finish()
    }

    fn finish(&mut self) -> (ExitStatus, Value, Vec<Value>) {
        let status = wait_exit(&mut self.child);
        // The reader thread may still be draining the pipe.
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline && !self.events().iter().any(|e| e["event"] == "report") {
            std::thread::sleep(Duration::from_millis(20));
        }
        let events = self.events();
        let report = events
            .iter()
            .find(|e| e["event"] == "report")
            .map(|e| e["report"].clone())
            .unwrap_or(Value::Null);
        (status, report, events)
    }
}

impl Drop for Tail {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Ctrl-C for `child`: SIGINT.
#[cfg(unix)]
fn send_interrupt(child: &Child) {
    let pid = libc::pid_t::try_from(child.id()).expect("pid fits pid_t");
    // SAFETY: kill(2) with a valid signal number has no memory effects.
    let sent = unsafe { libc::kill(pid, libc::SIGINT) };
    assert_eq!(sent, 0, "SIGINT to {pid}");
}

fn wait_exit(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    panic!("faultline tail did not exit");
}

fn append(path: &Path, text: &str) {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

fn lines_of(findings: &[Value]) -> Vec<u64> {
    findings
        .iter()
        .map(|f| f["line"].as_u64().unwrap())
        .collect()
}

fn report_count(report: &Value, rule: &str) -> u64 {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule)
        .map_or(0, |f| f["count"].as_u64().unwrap())
}

#[cfg(unix)]
#[test]
fn appended_lines_are_reported_and_existing_ones_skipped() {
    let dir = tempdir_with_rules();
    fs::write(dir.1.join("app.log"), format!("{TIMEOUT}\nline two\n")).unwrap();
    let tail = Tail::start(dir, &["app.log"], false);
    let log = tail.path("app.log");
    let synced = tail.sync(&log); // lines 3..
    append(&log, &format!("ok\n{MODULE}\n{TIMEOUT}\n"));
    tail.wait_findings("t.exec-timeout", 1);
    tail.wait_findings("t.module-not-found", 1);
    let module = tail.findings("t.module-not-found");
    assert_eq!(module[0]["path"], "app.log");
    assert_eq!(module[0]["line"], 2 + synced + 2);
    assert_eq!(module[0]["class"], "module-not-found");
    assert_eq!(module[0]["severity"], "error");
    assert_eq!(module[0]["text"], MODULE);
    assert_eq!(
        lines_of(&tail.findings("t.exec-timeout")),
        [2 + synced + 3],
        "the timeout already in the file is not reported"
    );
    let (status, report, _) = tail.interrupt();
    assert_eq!(status.code(), Some(1));
    assert_eq!(report_count(&report, "t.exec-timeout"), 1);
}

#[test]
fn from_start_reads_existing_content_first() {
    let dir = tempdir_with_rules();
    fs::write(dir.1.join("app.log"), format!("{TIMEOUT}\n")).unwrap();
    let tail = Tail::start(dir, &["--from-start", "app.log"], false);
    tail.wait_findings("t.exec-timeout", 1);
    append(&tail.path("app.log"), &format!("{TIMEOUT}\n"));
    tail.wait_findings("t.exec-timeout", 2);
    assert_eq!(lines_of(&tail.findings("t.exec-timeout")), [1, 2]);
}

#[cfg(unix)]
#[test]
fn rename_rotation_reads_the_rest_of_the_old_file_then_the_new_one() {
    let (tail, log) = Tail::on_empty_log(&["--from-start"]);
    let mut writer = OpenOptions::new().append(true).open(&log).unwrap();
    writer.write_all(format!("{TIMEOUT}\n").as_bytes()).unwrap();
    tail.wait_findings("t.exec-timeout", 1);
    // logrotate `create`: rename; the writer still appends to the old file
    // before it reopens; then the new file.
    writer
        .write_all(format!("a\n{TIMEOUT}\n").as_bytes())
        .unwrap();
    fs::rename(&log, tail.path("app.log.1")).unwrap();
    writer.write_all(format!("{TIMEOUT}\n").as_bytes()).unwrap();
    drop(writer);
    fs::write(&log, format!("new\n{MODULE}\n")).unwrap();
    tail.wait_findings("t.module-not-found", 1);
    tail.wait_findings("t.exec-timeout", 3);
    assert_eq!(lines_of(&tail.findings("t.exec-timeout")), [1, 3, 4]);
    assert_eq!(lines_of(&tail.findings("t.module-not-found")), [2]);
    std::thread::sleep(Duration::from_millis(300));
    let (_, report, _) = tail.interrupt();
    assert_eq!(
        report_count(&report, "t.exec-timeout"),
        3,
        "nothing handled twice"
    );
    assert_eq!(report_count(&report, "t.module-not-found"), 1);
}

#[test]
fn copytruncate_restarts_at_the_beginning() {
    let (tail, log) = Tail::on_empty_log(&["--from-start"]);
    append(&log, &format!("{TIMEOUT}\n{TIMEOUT}\n{TIMEOUT}\n"));
    tail.wait_findings("t.exec-timeout", 3);
    // copytruncate: the file is copied away and cut to zero; the writer goes on.
    fs::copy(&log, tail.path("app.log.1")).unwrap();
    OpenOptions::new()
        .write(true)
        .open(&log)
        .unwrap()
        .set_len(0)
        .unwrap();
    append(&log, &format!("{MODULE}\n"));
    tail.wait_findings("t.module-not-found", 1);
    assert_eq!(lines_of(&tail.findings("t.module-not-found")), [1]);
    assert_eq!(tail.findings("t.exec-timeout").len(), 3);
}

#[test]
fn deleted_and_recreated_file_is_read_from_its_start() {
    let (tail, log) = Tail::on_empty_log(&["--from-start"]);
    append(&log, &format!("{TIMEOUT}\n"));
    tail.wait_findings("t.exec-timeout", 1);
    fs::remove_file(&log).unwrap();
    std::thread::sleep(Duration::from_millis(400));
    fs::write(&log, format!("x\ny\n{TIMEOUT}\n")).unwrap();
    tail.wait_findings("t.exec-timeout", 2);
    assert_eq!(lines_of(&tail.findings("t.exec-timeout")), [1, 3]);
}

#[test]
fn new_files_matching_a_glob_are_discovered() {
    let dir = tempdir_with_rules();
    fs::create_dir(dir.1.join("logs")).unwrap();
    File::create(dir.1.join("logs/a.log")).unwrap();
    let tail = Tail::start(dir, &["logs/*.log"], false);
    tail.sync(&tail.path("logs/a.log"));
    fs::write(tail.path("logs/b.log"), format!("{MODULE}\n")).unwrap();
    fs::write(tail.path("logs/ignored.txt"), format!("{TIMEOUT}\n")).unwrap();
    tail.wait_findings("t.module-not-found", 1);
    let found = tail.findings("t.module-not-found");
    assert_eq!(found[0]["path"], "logs/b.log");
    assert_eq!(found[0]["line"], 1);
    std::thread::sleep(Duration::from_millis(700));
    assert!(
        tail.findings("t.exec-timeout").is_empty(),
        "a file the glob does not match is not followed"
    );
}

#[cfg(unix)]
#[test]
fn a_partial_line_is_handled_when_its_newline_arrives_and_flushed_at_exit() {
    let (tail, log) = Tail::on_empty_log(&["--from-start"]);
    append(&log, "ERROR [run_id=ab12] Execution timeout");
    std::thread::sleep(Duration::from_millis(600));
    assert!(
        tail.findings("t.exec-timeout").is_empty(),
        "no finding before the newline"
    );
    append(&log, " exceeded (60s)\n");
    tail.wait_findings("t.exec-timeout", 1);
    assert_eq!(tail.findings("t.exec-timeout")[0]["text"], TIMEOUT);
    // A final line without newline is handled on exit.
    append(&log, MODULE);
    std::thread::sleep(Duration::from_millis(300));
    let (status, report, events) = tail.interrupt();
    assert_eq!(status.code(), Some(1));
    assert_eq!(report_count(&report, "t.module-not-found"), 1);
    assert_eq!(report_count(&report, "t.exec-timeout"), 1);
    assert_eq!(
        events
            .iter()
            .filter(|e| e["event"] == "finding" && e["rule"] == "t.module-not-found")
            .count(),
        1
    );
}

#[cfg(unix)]
#[test]
fn a_burst_yields_exactly_one_finding_per_failure_line() {
    let (tail, log) = Tail::on_empty_log(&["--from-start"]);
    let mut text = String::new();
    let mut expected = Vec::new();
    for i in 1..=5000u64 {
        if i.is_multiple_of(37) {
            text.push_str(TIMEOUT);
            expected.push(i);
        } else {
            text.push_str(&format!("INFO:worker:processed item {i}"));
        }
        text.push('\n');
    }
    // Written in uneven pieces, some ending mid-line.
    let mut writer = OpenOptions::new().append(true).open(&log).unwrap();
    for piece in text.as_bytes().chunks(4093) {
        writer.write_all(piece).unwrap();
    }
    tail.wait_findings("t.exec-timeout", expected.len());
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(lines_of(&tail.findings("t.exec-timeout")), expected);
    let (_, report, _) = tail.interrupt();
    assert_eq!(
        report_count(&report, "t.exec-timeout"),
        expected.len() as u64
    );
    assert_eq!(report["stats"]["lines"], 5000);
}

#[test]
fn stdin_is_followed_until_it_closes() {
    let (mut tail, mut stdin) = Tail::on_stdin(&[]);
    writeln!(stdin, "{BANNER}").unwrap();
    writeln!(stdin, "Traceback (most recent call last):").unwrap();
    writeln!(stdin, "  File \"worker.py\", line 3, in <module>").unwrap();
    stdin.flush().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    writeln!(stdin, "{MODULE}").unwrap();
    stdin.flush().unwrap();
    tail.wait_findings("t.module-not-found", 1);
    assert_eq!(tail.findings("t.module-not-found")[0]["path"], "<stdin>");
    assert_eq!(tail.findings("t.module-not-found")[0]["line"], 4);
    drop(stdin);
    let (status, report, events) = tail.finish();
    assert_eq!(
        status.code(),
        Some(1),
        "an error finding: exit 1 per the scan contract"
    );
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "progress" && e["milestone"] == "banner")
    );
    let cause = &report["root_causes"][0];
    assert_eq!(cause["rule"], "t.module-not-found");
    let traceback = cause["evidence"][0]["traceback"]
        .as_array()
        .expect("traceback assembled across reads");
    assert_eq!(traceback[0], "Traceback (most recent call last):");
}

#[test]
fn clean_stdin_exits_zero() {
    let (mut tail, mut stdin) = Tail::on_stdin(&[]);
    writeln!(stdin, "all good\nslow request x").unwrap();
    drop(stdin);
    let (status, report, _) = tail.finish();
    assert_eq!(status.code(), Some(0));
    assert_eq!(report_count(&report, "t.slow"), 1);
}

#[test]
fn exit_on_error_stops_at_the_first_error() {
    let (mut tail, log) = Tail::on_empty_log(&["--from-start", "--exit-on", "error"]);
    append(&log, "slow request a\n");
    tail.wait_findings("t.slow", 1);
    assert!(
        tail.child.try_wait().unwrap().is_none(),
        "a warning does not stop it"
    );
    append(&log, &format!("{TIMEOUT}\n"));
    let (status, _, events) = tail.finish();
    assert_eq!(status.code(), Some(1));
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "finding" && e["rule"] == "t.exec-timeout")
    );
}

#[test]
fn stall_after_names_the_milestone_waited_for() {
    let (tail, log) = Tail::on_empty_log(&["--from-start", "--stall-after", "1s"]);
    append(&log, &format!("{BANNER}\n{GOVERNANCE}\n{MODULE}\n"));
    tail.wait_until("a progress line", |events| {
        events.iter().any(|e| {
            e["event"] == "progress" && e["reached"] == 2 && e["waiting_for"] == "registration"
        })
    });
    tail.wait_until("a stall", |events| {
        events.iter().any(|e| e["event"] == "stall")
    });
    let stall = tail
        .events()
        .into_iter()
        .find(|e| e["event"] == "stall")
        .unwrap();
    assert_eq!(stall["sequence"], "t.startup");
    assert_eq!(stall["waiting_for"], "registration");
    assert_eq!(stall["last"], "governance");
    assert_eq!(stall["findings"][0], "t.module-not-found");
}

#[cfg(unix)]
#[test]
fn text_output_and_polling() {
    let (guard, path) = tempdir_with_rules();
    let log = path.join("app.log");
    File::create(&log).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .current_dir(&path)
        .args([
            "tail",
            "--poll",
            "--from-start",
            "--no-default-rules",
            "--rules",
            "rules.yaml",
            "--stall-after",
            "1s",
            "app.log",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    append(&log, &format!("{BANNER}\n{TIMEOUT}\n"));
    std::thread::sleep(Duration::from_millis(1800));
    send_interrupt(&child);
    let status = wait_exit(&mut child);
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    assert_eq!(status.code(), Some(1));
    assert!(
        out.contains(
            "app.log:1: startup 1/3: Initialisation banner reached; waiting for Governance modules"
        ),
        "{out}"
    );
    assert!(out.contains("app.log:2: [error] t.exec-timeout: ERROR [run_id=ab12] Execution timeout exceeded (60s)"), "{out}");
    assert!(out.contains("stall: startup 1/3: no progress for"), "{out}");
    assert!(out.contains("ROOT CAUSE"), "{out}");
    drop(guard);
}

#[cfg(unix)]
#[test]
fn since_replays_only_lines_from_the_cutoff_then_follows() {
    let dir = tempdir_with_rules();
    let log = dir.1.join("app.log");
    // Before the cutoff: a milestone and a failure whose unstamped traceback
    // lines go with it. From the cutoff on: everything, stamped or not.
    fs::write(
        &log,
        format!(
            "2026-11-23T09:00:00Z {BANNER}\n\
             2026-11-23T09:10:00Z {TIMEOUT}\n\
             Traceback (most recent call last):\n  File \"worker.py\", line 3, in <module>\n\
             {MODULE}\n\
             2026-11-23T10:00:00Z {GOVERNANCE}\n\
             Traceback (most recent call last):\n\
             {MODULE}\n\
             2026-11-23T10:05:00Z {TIMEOUT}\n"
        ),
    )
    .unwrap();
    let tail = Tail::start(dir, &["--since", "2026-11-23T10:00:00Z", "app.log"], false);
    tail.wait_findings("t.exec-timeout", 1);
    tail.wait_findings("t.module-not-found", 1);
    // Live lines are handled whatever their stamp.
    append(&log, &format!("2026-11-23T09:30:00Z {TIMEOUT}\n"));
    tail.wait_findings("t.exec-timeout", 2);
    assert_eq!(lines_of(&tail.findings("t.module-not-found")), [8]);
    assert_eq!(lines_of(&tail.findings("t.exec-timeout")), [9, 10]);
    let (status, report, events) = tail.interrupt();
    assert_eq!(status.code(), Some(1));
    assert_eq!(report_count(&report, "t.module-not-found"), 1);
    assert_eq!(report_count(&report, "t.exec-timeout"), 2);
    let milestones: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "progress")
        .map(|e| &e["milestone"])
        .collect();
    assert_eq!(milestones, ["governance"], "no milestone before the cutoff");
    assert!(
        events.iter().any(|e| e["event"] == "note"
            && e["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("--since: skipped 5 lines"))),
        "{events:?}"
    );
}

#[test]
fn since_a_duration_filters_stdin_by_timestamp() {
    let now = jiff::Timestamp::now();
    let stamp = |minutes_ago: i64| {
        now.checked_sub(jiff::SignedDuration::from_mins(minutes_ago))
            .unwrap()
    };
    let (mut tail, mut stdin) = Tail::on_stdin(&["--since", "15m"]);
    writeln!(stdin, "{} {TIMEOUT}", stamp(120)).unwrap();
    writeln!(stdin, "{} slow request old", stamp(16)).unwrap();
    writeln!(stdin, "{} {MODULE}", stamp(1)).unwrap();
    drop(stdin);
    let (status, report, _) = tail.finish();
    assert_eq!(status.code(), Some(1));
    assert_eq!(report_count(&report, "t.exec-timeout"), 0);
    assert_eq!(report_count(&report, "t.slow"), 0);
    assert_eq!(report_count(&report, "t.module-not-found"), 1);
    assert_eq!(tail.findings("t.module-not-found")[0]["line"], 3);
}

#[test]
fn an_invalid_since_is_a_usage_error() {
    for (args, expected) in [
        (
            &["--since", "10 parsecs"][..],
            "invalid value '10 parsecs' for '--since <WHEN>'",
        ),
        (&["--since", "2026-11-31T10:00:00Z"][..], "invalid time"),
        (
            &["--since", "10m", "--from-start"][..],
            "cannot be used with",
        ),
    ] {
        assert_cmd::Command::cargo_bin("faultline")
            .unwrap()
            .arg("tail")
            .args(args)
            .arg("app.log")
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicates::str::contains(expected));
    }
}

/// A path under a regular file: opening it fails with "Not a directory"
/// whoever runs the test (root reads a mode-000 file).
#[cfg(unix)]
fn unreadable_path(dir: &Path) -> String {
    fs::write(dir.join("regular.log"), "x\n").unwrap();
    "regular.log/app.log".to_string()
}

/// An input that cannot be read is said on stderr as it happens, kept in the
/// report, and makes the exit code 2 when the session ends (Ctrl-C), with
/// what could be read still reported.
#[cfg(unix)]
#[test]
fn an_unreadable_input_exits_two_after_ctrl_c() {
    let dir = tempdir_with_rules();
    let unreadable = unreadable_path(&dir.1);
    File::create(dir.1.join("app.log")).unwrap();
    let mut unreadable_paths = vec![unreadable];
    // A file without read permission, where permissions apply (not as root).
    let locked = dir.1.join("locked.log");
    fs::write(&locked, format!("{TIMEOUT}\n")).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    }
    if File::open(&locked).is_err() {
        unreadable_paths.push("locked.log".to_string());
    }
    let mut args = vec!["--from-start"];
    args.extend(unreadable_paths.iter().map(String::as_str));
    args.push("app.log");
    let tail = Tail::start(dir, &args, false);
    append(&tail.path("app.log"), &format!("{MODULE}\n"));
    tail.wait_findings("t.module-not-found", 1);
    let (status, report, _) = tail.interrupt();
    assert_eq!(status.code(), Some(2));
    assert_eq!(report_count(&report, "t.module-not-found"), 1);
    let problems = report["problems"].as_array().unwrap();
    for path in &unreadable_paths {
        assert!(
            problems
                .iter()
                .any(|p| p["path"] == path.as_str() && p["kind"] == "error"),
            "{path}: {problems:?}"
        );
    }
}

/// `--exit-on` stops the session at a finding, but an input that could not
/// be read still makes it exit 2, as `scan` would.
#[cfg(unix)]
#[test]
fn an_unreadable_input_exits_two_even_when_exit_on_stops_the_session() {
    let dir = tempdir_with_rules();
    let unreadable = unreadable_path(&dir.1);
    fs::write(dir.1.join("app.log"), format!("{TIMEOUT}\n")).unwrap();
    let mut tail = Tail::start(
        dir,
        &["--from-start", "--exit-on", "error", &unreadable, "app.log"],
        false,
    );
    let (status, report, events) = tail.finish();
    assert_eq!(status.code(), Some(2));
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "finding" && e["rule"] == "t.exec-timeout")
    );
    assert_eq!(report["problems"][0]["path"], unreadable.as_str());
}

/// `count` rename rotations in a row, the writer appending to the old file
/// just after each rename; `pause` between rotations. With `expect_all`,
/// each file's lines are seen before it is rotated (a file rotated away
/// before the follower ever opened it cannot be found by its path, as with
/// `tail -F`, and on a busy machine any pause can be too short), and the end
/// waits until every line arrived; otherwise until the count stops changing.
/// Returns (lines written, findings, lost, duplicated).
fn rotations(count: usize, pause: Duration, expect_all: bool) -> (u64, usize, usize, usize) {
    let (tail, log) = Tail::on_empty_log(&["--from-start"]);
    tail.sync(&log);
    let per_file = 50;
    let mut writer = OpenOptions::new().append(true).open(&log).unwrap();
    let mut sent = 0u64;
    for r in 0..count {
        for _ in 0..per_file {
            sent += 1;
            writeln!(writer, "slow request n{sent}").unwrap();
        }
        if expect_all {
            let last = format!("slow request n{sent}");
            tail.wait_until(&last, |events| {
                events
                    .iter()
                    .any(|e| e["event"] == "finding" && e["text"] == last.as_str())
            });
        }
        fs::rename(&log, tail.path(&format!("app.log.{r}"))).unwrap();
        sent += 1;
        writeln!(writer, "slow request n{sent}").unwrap(); // late write to the rotated file
        writer = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        std::thread::sleep(pause);
    }
    let numbered = |tail: &Tail| -> Vec<u64> {
        tail.findings("t.slow")
            .iter()
            .filter_map(|f| {
                f["text"]
                    .as_str()?
                    .strip_prefix("slow request n")?
                    .parse()
                    .ok()
            })
            .collect()
    };
    let mut last = usize::MAX;
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        let now = numbered(&tail).len();
        if now as u64 >= sent || (!expect_all && now == last) {
            break;
        }
        last = now;
        std::thread::sleep(Duration::from_millis(if expect_all { 50 } else { 500 }));
    }
    // Anything handled twice would come right after.
    std::thread::sleep(Duration::from_millis(200));
    let mut seen = numbered(&tail);
    let total = seen.len();
    seen.sort_unstable();
    seen.dedup();
    let lost = (1..=sent)
        .filter(|n| seen.binary_search(n).is_err())
        .count();
    (sent, total, lost, total - seen.len())
}

/// The CI version of the measurement below: no line lost or handled twice
/// across 10 rename rotations, each with a late write to the rotated file.
#[test]
fn no_line_lost_or_repeated_across_rotations() {
    let (sent, total, lost, duplicated) = rotations(10, Duration::from_millis(50), true);
    assert_eq!(
        (lost, duplicated),
        (0, 0),
        "{sent} lines written, {total} findings"
    );
    assert_eq!(total as u64, sent);
}

/// Zero lines lost or handled twice across 100 rename rotations in a row.
/// Also reports a stress run where rotations come every 2 ms: a file that is
/// rotated away again before the follower ever opened it cannot be found by
/// its path (as with `tail -F`), so losses there are reported, not asserted.
#[test]
#[ignore = "measurement: cargo test --release --test tail -- --ignored --nocapture"]
fn measure_no_loss_across_100_rotations() {
    for pause_ms in [50, 10, 2] {
        let (sent, total, lost, duplicated) =
            rotations(100, Duration::from_millis(pause_ms), false);
        println!(
            "100 rotations, {pause_ms} ms apart: lines written {sent}, findings {total}, lost {lost}, duplicated {duplicated}"
        );
        assert_eq!(duplicated, 0);
        if pause_ms >= 50 {
            assert_eq!(lost, 0);
        }
    }
}

/// Latency from a line's write to its finding on stdout while a writer
/// appends 10,000 lines a second (every 10th line a finding).
#[cfg(unix)]
#[test]
#[ignore = "measurement: cargo test --release --test tail -- --ignored --nocapture"]
fn measure_latency_at_10k_lines_per_second() {
    for poll in [false, true] {
        let (guard, path) = tempdir_with_rules();
        let log = path.join("app.log");
        File::create(&log).unwrap();
        let mut args = vec![
            "tail",
            "--from-start",
            "--format",
            "jsonl",
            "--no-default-rules",
            "--rules",
            "rules.yaml",
            "app.log",
        ];
        if poll {
            args.push("--poll");
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
            .current_dir(&path)
            .args(&args)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let origin = Instant::now();
        let received: Arc<Mutex<Vec<(u64, Duration)>>> = Arc::new(Mutex::new(Vec::new()));
        let received2 = Arc::clone(&received);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let at = origin.elapsed();
                if let Ok(v) = serde_json::from_str::<Value>(&line)
                    && let Some(text) = v["text"].as_str()
                    && let Some(n) = text.strip_prefix("slow request n")
                {
                    received2.lock().unwrap().push((n.parse().unwrap(), at));
                }
            }
        });
        std::thread::sleep(Duration::from_millis(300));
        let seconds = 5;
        let rate = 10_000u64;
        let mut writer = OpenOptions::new().append(true).open(&log).unwrap();
        let mut sent_at: Vec<Duration> = Vec::new();
        let start = Instant::now();
        let mut written = 0u64;
        // Write in 1 ms slices to keep the rate steady.
        while written < rate * seconds {
            let due = (start.elapsed().as_secs_f64() * rate as f64) as u64;
            let mut batch = String::new();
            let mut stamps = Vec::new();
            while written < due.min(rate * seconds) {
                written += 1;
                if written.is_multiple_of(10) {
                    stamps.push(sent_at.len());
                    batch.push_str(&format!("slow request n{}\n", sent_at.len()));
                    sent_at.push(Duration::ZERO);
                } else {
                    batch.push_str(&format!("INFO:worker:processed item {written}\n"));
                }
            }
            if !batch.is_empty() {
                let now = origin.elapsed();
                writer.write_all(batch.as_bytes()).unwrap();
                for s in stamps {
                    sent_at[s] = now;
                }
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let deadline = Instant::now() + WAIT;
        while received.lock().unwrap().len() < sent_at.len() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        send_interrupt(&child);
        let _ = wait_exit(&mut child);
        let received = received.lock().unwrap().clone();
        let mut latencies: Vec<f64> = received
            .iter()
            .map(|(n, at)| at.saturating_sub(sent_at[*n as usize]).as_secs_f64() * 1000.0)
            .collect();
        latencies.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let pct =
            |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
        println!(
            "{}: {} lines/s for {seconds}s, {} findings expected, {} received; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            if poll { "poll (100 ms)" } else { "inotify" },
            rate,
            sent_at.len(),
            received.len(),
            pct(0.5),
            pct(0.99),
            latencies.last().unwrap()
        );
        assert_eq!(received.len(), sent_at.len());
        drop(guard);
    }
}

#[cfg(unix)]
#[test]
fn a_file_renamed_inside_a_followed_directory_is_not_read_again() {
    let dir = tempdir_with_rules();
    fs::create_dir(dir.1.join("logs")).unwrap();
    let log = dir.1.join("logs/app.log");
    File::create(&log).unwrap();
    let tail = Tail::start(dir, &["--from-start", "logs/"], false);
    append(&log, &format!("{TIMEOUT}\n{TIMEOUT}\n"));
    tail.wait_findings("t.exec-timeout", 2);
    // logrotate `create` in a followed directory: app.log becomes app.log.1
    // (the same device and inode), a new app.log starts.
    fs::rename(&log, tail.path("logs/app.log.1")).unwrap();
    fs::write(&log, format!("{MODULE}\n")).unwrap();
    tail.wait_findings("t.module-not-found", 1);
    // Several rounds of directory discovery (every 500 ms).
    std::thread::sleep(Duration::from_millis(1500));
    append(&tail.path("logs/app.log.1"), &format!("{TIMEOUT}\n"));
    tail.wait_findings("t.exec-timeout", 3);
    std::thread::sleep(Duration::from_millis(700));
    let timeouts = tail.findings("t.exec-timeout");
    assert_eq!(
        lines_of(&timeouts),
        [1, 2, 3],
        "app.log.1 is read on from where app.log left off: {timeouts:?}"
    );
    let (_, report, _) = tail.interrupt();
    assert_eq!(report_count(&report, "t.exec-timeout"), 3);
}

#[test]
fn dash_f_is_accepted_and_dash_n_starts_with_the_last_lines() {
    let dir = tempdir_with_rules();
    fs::write(
        dir.1.join("app.log"),
        format!("{TIMEOUT}\n{TIMEOUT}\nok\n{MODULE}\n"),
    )
    .unwrap();
    let tail = Tail::start(dir, &["-f", "-n", "2", "app.log"], false);
    tail.wait_findings("t.module-not-found", 1);
    assert_eq!(lines_of(&tail.findings("t.module-not-found")), [4]);
    append(&tail.path("app.log"), &format!("{TIMEOUT}\n"));
    tail.wait_findings("t.exec-timeout", 1);
    assert_eq!(
        lines_of(&tail.findings("t.exec-timeout")),
        [5],
        "lines before the last two are skipped"
    );
}

/// `tail --format FORMAT -` on `input`: (exit code, stdout, stderr).
fn tail_stdin(format: &str, input: &str) -> (Option<i32>, String, String) {
    let (_guard, dir) = tempdir_with_rules();
    let output = assert_cmd::Command::cargo_bin("faultline")
        .unwrap()
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .args(["tail", "--format", format, "--no-default-rules"])
        .args(["--rules", "rules.yaml", "-"])
        .write_stdin(input)
        .timeout(WAIT)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn the_final_report_can_be_json_or_markdown_with_events_on_stderr() {
    let input = format!("{BANNER}\n{MODULE}\n");
    let (code, stdout, stderr) = tail_stdin("json", &input);
    assert_eq!(code, Some(1));
    let report: Value = serde_json::from_str(&stdout).expect("stdout is the JSON report alone");
    assert_eq!(report["verdict"]["root_cause"], "t.module-not-found");
    assert_eq!(report_count(&report, "t.module-not-found"), 1);
    assert!(
        stderr.contains("[error] t.module-not-found:"),
        "the finding as it happened, on stderr: {stderr}"
    );
    let (code, stdout, _) = tail_stdin("markdown", &input);
    assert_eq!(code, Some(1));
    assert!(stdout.starts_with("# faultline report\n"), "{stdout}");
    assert!(
        stdout.contains("## Root cause: Module not found (`t.module-not-found`"),
        "{stdout}"
    );
}
