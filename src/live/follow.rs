//! The follow loop: files (through [`Follower`], woken by file-system
//! notifications or polling) and stdin (read on its own thread) feed a
//! [`Session`]; its events go to the caller as they happen.

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use crate::input::follow::{Event, Follower, LineSplitter, StartAt, StartReason};
use crate::input::source::io_message;

use super::{STDIN, Session, Start};
use crate::report::live::LiveEvent;

/// What to follow and how.
pub(crate) struct FollowConfig {
    /// Files, globs and directories (`-` for stdin).
    pub paths: Vec<String>,
    /// Where reading starts in what the files already hold.
    pub start_at: StartAt,
    /// Poll instead of using file-system notifications.
    pub poll: bool,
    /// How often files are checked even without notifications.
    pub poll_interval: Duration,
    /// Report runs that have not progressed for this long.
    pub stall_after: Option<Duration>,
}

/// How often globs and directories are searched for new files.
const REDISCOVER_EVERY: Duration = Duration::from_millis(500);

enum Wake {
    Changed,
    Stdin(Vec<u8>),
    StdinEnd(Option<String>),
}

fn read_stdin(tx: Sender<Wake>) {
    let mut stdin = std::io::stdin();
    let mut buf = vec![0u8; 64 << 10];
    loop {
        match stdin.read(&mut buf) {
            Ok(0) => {
                let _ = tx.send(Wake::StdinEnd(None));
                return;
            }
            Ok(n) => {
                if tx.send(Wake::Stdin(buf[..n].to_vec())).is_err() {
                    return;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                let _ = tx.send(Wake::StdinEnd(Some(io_message(&e))));
                return;
            }
        }
    }
}

fn watch(follower: &Follower, tx: Sender<Wake>) -> Option<notify::RecommendedWatcher> {
    use notify::Watcher;
    let mut watcher = notify::recommended_watcher(move |_event: notify::Result<notify::Event>| {
        let _ = tx.send(Wake::Changed);
    })
    .map_err(|e| eprintln!("faultline: file notifications unavailable ({e}); polling"))
    .ok()?;
    for (dir, recursive) in follower.watch_dirs() {
        let mode = if recursive {
            notify::RecursiveMode::Recursive
        } else {
            notify::RecursiveMode::NonRecursive
        };
        // A directory that does not exist yet is covered by polling.
        let _ = watcher.watch(&dir, mode);
    }
    Some(watcher)
}

/// Hands follower events to the session.
fn on_follow_event(session: &mut Session, event: Event<'_>) {
    match event {
        Event::Start {
            id,
            path,
            offset,
            lines_before,
            len,
            reason,
        } => {
            match reason {
                StartReason::Replaced => session.note(
                    path,
                    "replaced (rotated or re-created); reading from the start",
                ),
                StartReason::Truncated => session.note(path, "truncated; reading from the start"),
                StartReason::Initial | StartReason::Discovered => {}
            }
            // Only what a file held when following began is replayed.
            let start = match reason {
                StartReason::Initial => Start::Existing { len },
                _ => Start::Live,
            };
            session.start(id, path, offset, lines_before, start);
        }
        Event::Lines { id, data } => session.push(id, data, false),
        Event::Problem { path, message } => session.problem(path, message),
    }
}

/// Follows until interrupted, until stdin (when it is the only input)
/// closes, until a finding reaches the session's `exit_on`, or until `emit`
/// returns false (the output went away). Lines still held are handled
/// before returning unless the session stopped on `exit_on`.
pub(crate) fn follow(
    session: &mut Session,
    config: &FollowConfig,
    interrupted: &AtomicBool,
    emit: &mut dyn FnMut(Vec<LiveEvent>) -> bool,
) -> bool {
    let use_stdin = config.paths.iter().any(|p| p == "-");
    let files: Vec<String> = config.paths.iter().filter(|p| *p != "-").cloned().collect();
    let (tx, rx): (Sender<Wake>, Receiver<Wake>) = mpsc::channel();
    let mut follower = Follower::new(&files, config.start_at);
    let _watcher = if config.poll || files.is_empty() {
        None
    } else {
        watch(&follower, tx.clone())
    };
    follower.start(&mut |e| on_follow_event(session, e));
    let mut stdin_splitter = LineSplitter::default();
    let mut stdin_open = use_stdin;
    if use_stdin {
        session.start(STDIN, "<stdin>", 0, 0, Start::Live);
        let tx = tx.clone();
        std::thread::spawn(move || read_stdin(tx));
    }
    drop(tx);

    let mut last_discover = Instant::now();
    loop {
        let mut wakes = Vec::new();
        match rx.recv_timeout(config.poll_interval) {
            Ok(w) => wakes.push(w),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => std::thread::sleep(config.poll_interval),
        }
        wakes.extend(rx.try_iter());
        for wake in wakes {
            match wake {
                Wake::Changed => {}
                Wake::Stdin(data) => {
                    let lines = stdin_splitter.push(&data);
                    if !lines.is_empty() {
                        session.push(STDIN, &lines, false);
                    }
                }
                Wake::StdinEnd(error) => {
                    if let Some(line) = stdin_splitter.flush() {
                        session.push(STDIN, &line, false);
                    }
                    if let Some(message) = error {
                        session.problem("<stdin>", message);
                    }
                    stdin_open = false;
                }
            }
            if session.exit_hit {
                break;
            }
        }
        if !session.exit_hit {
            if last_discover.elapsed() >= REDISCOVER_EVERY {
                last_discover = Instant::now();
                follower.discover(&mut |e| on_follow_event(session, e));
            }
            follower.poll(&mut |e| on_follow_event(session, e));
        }
        if let Some(after) = config.stall_after {
            session.check_stalls(after);
        }
        if !emit(session.take_events()) {
            return false;
        }
        let stdin_done = use_stdin && !stdin_open && files.is_empty();
        if session.exit_hit || interrupted.load(Ordering::SeqCst) || stdin_done {
            break;
        }
    }
    // Final partial lines are handled before the report.
    if !session.exit_hit {
        follower.flush(&mut |e| on_follow_event(session, e));
        if let Some(line) = stdin_splitter.flush() {
            session.push(STDIN, &line, false);
        }
    }
    true
}
