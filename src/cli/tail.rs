//! `faultline tail`: follow growing, rotating log files (or stdin) and print
//! findings as their lines arrive, sequence progress as milestones are
//! reached, stalls, and on Ctrl-C or end of input the full report. The
//! session itself lives in the library (`live`); this file parses and wires.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::scan::{FailOn, exit_code};
use super::{ColorChoice, RuleArgs, exit};
use crate::analyze::ProblemKind;
use crate::engine::{Engine, MmapChoice, Options};
use crate::input::format::LogFormat;
use crate::live::since::{Since, parse_duration, parse_since};
use crate::live::{FollowConfig, Session, follow};
use crate::report::live::{LiveStyle, render, render_report};
use crate::report::text::Style;

/// Output formats of `tail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TailFormat {
    /// One line per finding, progress and stall; the text report at the end.
    Text,
    /// One JSON object per event (`"event"`: finding, progress, stall, report).
    Jsonl,
}

#[derive(Debug, Args)]
pub struct TailArgs {
    /// Files, globs (quoted, re-expanded while following), directories, or `-` for stdin.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = TailFormat::Text)]
    pub format: TailFormat,
    /// Log format of the inputs (detected per file by default; text or jsonl).
    #[arg(long, value_enum, default_value_t = LogFormat::Auto, value_name = "FORMAT")]
    pub input_format: LogFormat,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Read what the files already hold first (default: start at their end).
    #[arg(long)]
    pub from_start: bool,
    /// Replay what the files already hold from this point on, then follow:
    /// a duration back from now (`90s`, `15m`, `2h`, `1d`) or a time
    /// (`2026-11-23T10:00:00Z`; `2026-11-23 10:00:00` is UTC). Lines stamped
    /// earlier are skipped; a line without a timestamp goes with the line before.
    #[arg(long, value_parser = parse_since, value_name = "WHEN", conflicts_with = "from_start")]
    pub since: Option<Since>,
    /// Poll for changes instead of using file-system notifications.
    #[arg(long)]
    pub poll: bool,
    /// How often files are checked even without notifications, in milliseconds.
    #[arg(long, default_value_t = 100, value_name = "MS", hide = true)]
    pub poll_interval: u64,
    /// Exit 1 at the first finding at or above this severity.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub exit_on: Option<FailOn>,
    /// Exit code of the final report: 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Report a sequence run that has not progressed for this long (e.g. `30s`, `2m`, `500ms`).
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub stall_after: Option<Duration>,
    /// When to use colour.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Show secrets (tokens, keys, passwords in URLs) instead of masking them.
    #[arg(long)]
    pub no_redact: bool,
}

/// Writes rendered events; false once stdout is gone.
fn write(how: LiveStyle, events: &[crate::report::live::LiveEvent]) -> bool {
    let rendered = render(events, how);
    if !rendered.err.is_empty() {
        eprint!("{}", rendered.err);
    }
    let mut stdout = std::io::stdout();
    rendered.out.is_empty()
        || stdout
            .write_all(rendered.out.as_bytes())
            .and_then(|_| stdout.flush())
            .is_ok()
}

pub fn run(args: &TailArgs) -> ExitCode {
    let loaded = match args.rules.load() {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let engine = Engine::new(
        loaded.pack,
        Options {
            input_format: args.input_format,
            mmap: MmapChoice::Never,
            redact: !args.no_redact,
            ..Options::default()
        },
    );
    let how = LiveStyle {
        json: args.format == TailFormat::Jsonl,
        style: Style {
            color: args.color.enabled(),
        },
        redact: !args.no_redact,
    };
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let interrupted = Arc::clone(&interrupted);
        let _ = ctrlc::set_handler(move || {
            if interrupted.swap(true, Ordering::SeqCst) {
                std::process::exit(130); // a second Ctrl-C: stop now
            }
        });
    }
    let config = FollowConfig {
        paths: args.paths.clone(),
        from_start: args.from_start || args.since.is_some(),
        poll: args.poll,
        poll_interval: Duration::from_millis(args.poll_interval.max(1)),
        stall_after: args.stall_after,
    };
    let mut session = Session::new(
        &engine,
        args.input_format,
        args.since.map(|s| s.cutoff(jiff::Timestamp::now())),
        args.exit_on.and_then(FailOn::threshold),
    );
    if !follow(&mut session, &config, &interrupted, &mut |events| {
        write(how, &events)
    }) {
        return ExitCode::from(exit::ERROR); // closed pipe: nothing more to say
    }
    let exit_hit = session.exit_hit;
    let (report, events) = session.report();
    if !write(how, &events) {
        return ExitCode::from(exit::ERROR);
    }
    let mut stdout = std::io::stdout();
    if stdout
        .write_all(render_report(&report, how).as_bytes())
        .and_then(|_| stdout.flush())
        .is_err()
    {
        return ExitCode::from(exit::ERROR);
    }
    // An unreadable input is an error (exit 2) even when `--exit-on` stopped
    // the session, as in `scan`.
    let unreadable = report.problems.iter().any(|p| p.kind == ProblemKind::Error);
    if exit_hit && !unreadable {
        return ExitCode::from(exit::FINDINGS);
    }
    exit_code(&report, args.fail_on)
}
