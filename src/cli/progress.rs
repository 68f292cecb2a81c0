//! The scan's progress bar: on stderr, only on a terminal, only for scans
//! that take more than about a second, never with `--no-progress`, and
//! cleared when the scan ends or is interrupted (Ctrl-C), so that no half
//! bar is left on the terminal.

use std::io::IsTerminal;
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
    let on_interrupt = bar.clone();
    // Only the first handler can be installed; a scan installs just this one.
    let _ = ctrlc::set_handler(move || {
        on_interrupt.finish_and_clear();
        std::process::exit(INTERRUPTED);
    });
    let shown = bar.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(1));
        if !shown.is_finished() {
            shown.set_draw_target(ProgressDrawTarget::stderr());
            shown.enable_steady_tick(Duration::from_millis(120));
        }
    });
    bar
}
