//! The scan's progress bar: on stderr, only on a terminal, only for scans
//! that take more than about a second, never with `--no-progress`, and
//! cleared when the scan ends or is interrupted (Ctrl-C), so that no half
//! bar is left on the terminal.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Exit code after Ctrl-C (128 + SIGINT), as shells report it.
const INTERRUPTED: i32 = 130;

/// A byte-counting bar for `total` bytes; hidden unless `wanted` and
/// stderr is a terminal outside CI.
pub fn bar(total: u64, wanted: bool) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
    let enabled = wanted && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    if !enabled {
        return bar;
    }
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} scanning [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let drawn = Arc::new(AtomicBool::new(false));
    let on_screen = Arc::clone(&drawn);
    // Only the first handler can be installed; a scan installs just this one.
    let _ = ctrlc::set_handler(move || {
        // Erased directly, without the bar's lock (its ticker may hold it),
        // so that Ctrl-C always ends the scan at once.
        if on_screen.load(Ordering::SeqCst) {
            eprint!("{}", erase_after_interrupt());
        }
        std::process::exit(INTERRUPTED);
    });
    let shown = bar.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(1));
        if !shown.is_finished() {
            drawn.store(true, Ordering::SeqCst);
            shown.set_draw_target(ProgressDrawTarget::stderr());
            shown.enable_steady_tick(Duration::from_millis(120));
        }
    });
    bar
}

/// What erases the bar after Ctrl-C. The bar fills its line and leaves the
/// cursor at its right edge, so the terminal's echo of `^C` (on when the
/// tty has `echoctl`, the default) lands on the next line: that line is
/// cleared, then the bar's line above it. Without the echo, only the bar's.
fn erase_after_interrupt() -> &'static str {
    if echoes_control_characters() {
        "\r\x1b[2K\x1b[1A\r\x1b[2K"
    } else {
        "\r\x1b[2K"
    }
}

/// Whether the terminal on stderr echoes control characters as `^C`.
#[cfg(unix)]
fn echoes_control_characters() -> bool {
    // SAFETY: tcgetattr only writes the termios struct it is given.
    let mut termios: libc::termios = unsafe { std::mem::zeroed() };
    let got = unsafe { libc::tcgetattr(libc::STDERR_FILENO, &mut termios) };
    got == 0 && termios.c_lflag & libc::ECHO != 0 && termios.c_lflag & libc::ECHOCTL != 0
}

#[cfg(not(unix))]
fn echoes_control_characters() -> bool {
    false
}
