//! `faultline tail`: follow growing, rotating log files (or stdin) and print
//! findings as their lines arrive, sequence progress as milestones are
//! reached, stalls, and on Ctrl-C or end of input the full report. The
//! session itself lives in the library (`live`); this file parses and wires.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::output::{Output, Stopped};
use super::report_args::ReportArgs;
use super::scan::{FailOn, OutputFormat, exit_code, render_report, warn_hidden_findings};
use super::{ColorChoice, RuleArgs, exit};
use crate::analyze::ProblemKind;
use crate::engine::{Engine, MmapChoice, Options};
use crate::input::follow::StartAt;
use crate::input::format::LogFormat;
use crate::input::when::{Since, parse_duration, parse_since};
use crate::live::{FollowConfig, Session, follow};
use crate::report::live::{LiveEvent, LiveStyle, render};
use crate::report::text::Style;

/// Output formats of `tail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TailFormat {
    /// One line per finding, progress and stall; the text report at the end.
    Text,
    /// One JSON object per event (`"event"`: finding, progress, stall, report).
    Jsonl,
    /// Events as text on stderr; the JSON report on stdout at the end.
    Json,
    /// Events as text on stderr; the Markdown report on stdout at the end.
    Markdown,
}

#[derive(Debug, Args)]
pub struct TailArgs {
    /// Files, globs (quoted, re-expanded while following), directories, or `-` for stdin.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// Accepted for `tail -f` habits: tail always follows.
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Start with the last NUM lines the files already hold (as `tail -n`).
    #[arg(short = 'n', long, value_name = "NUM", conflicts_with_all = ["from_start", "since"])]
    pub lines: Option<u64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TailFormat::Text)]
    pub format: TailFormat,
    /// Write the output to FILE instead of stdout (any format).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub report: ReportArgs,
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

impl TailArgs {
    fn start_at(&self) -> StartAt {
        match self.lines {
            Some(n) => StartAt::LastLines(n),
            None if self.from_start || self.since.is_some() => StartAt::Start,
            None => StartAt::End,
        }
    }

    /// The format of the final report, when it is not the live text or jsonl.
    fn report_format(&self) -> Option<OutputFormat> {
        match self.format {
            TailFormat::Json => Some(OutputFormat::Json),
            TailFormat::Markdown => Some(OutputFormat::Markdown),
            TailFormat::Text | TailFormat::Jsonl => None,
        }
    }
}

/// Writes rendered events: with a report format, the events go to stderr
/// as text so that stdout holds the report alone.
fn write(out: &mut Output, how: LiveStyle, to_stderr: bool, events: &[LiveEvent]) -> bool {
    let rendered = render(events, how);
    if !rendered.err.is_empty() {
        eprint!("{}", rendered.err);
    }
    if to_stderr {
        eprint!("{}", rendered.out);
        return true;
    }
    match out.write(&rendered.out) {
        Ok(()) => true,
        Err(stopped) => {
            // A closed pipe ends the session; the caller exits quietly.
            if let Stopped::Failed(message) = stopped {
                eprintln!("faultline: {message}");
            }
            false
        }
    }
}

pub fn run(args: &TailArgs) -> ExitCode {
    let loaded = match args.rules.load() {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let mut out = match Output::open(args.output.as_deref()) {
        Ok(out) => out,
        Err(stopped) => return stopped.exit(),
    };
    let mut options = Options {
        input_format: args.input_format,
        mmap: MmapChoice::Never,
        redact: !args.no_redact,
        ..Options::default()
    };
    args.report.apply(&mut options);
    let engine = Engine::new(loaded.pack, options);
    let report_format = args.report_format();
    let how = LiveStyle {
        json: args.format == TailFormat::Jsonl,
        style: Style::new(
            args.color
                .enabled(report_format.is_none() && out.is_terminal()),
            out.columns(),
        ),
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
        start_at: args.start_at(),
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
    let to_stderr = report_format.is_some();
    if !follow(&mut session, &config, &interrupted, &mut |events| {
        write(&mut out, how, to_stderr, &events)
    }) {
        return ExitCode::from(exit::CLEAN); // the output went away
    }
    let exit_hit = session.exit_hit;
    let (mut report, events) = session.report();
    args.report.shape(&mut report);
    if !write(&mut out, how, to_stderr, &events) {
        return ExitCode::from(exit::CLEAN);
    }
    let rendered = match report_format {
        Some(format) => render_report(&report, format, how.style),
        None => crate::report::live::render_report(&report, how),
    };
    if let Err(stopped) = out.write(&rendered) {
        return stopped.exit();
    }
    warn_hidden_findings(&report, args.fail_on);
    // An unreadable input is an error (exit 2) even when `--exit-on` stopped
    // the session, as in `scan`.
    let unreadable = report.problems.iter().any(|p| p.kind == ProblemKind::Error);
    if exit_hit && !unreadable {
        return ExitCode::from(exit::FINDINGS);
    }
    exit_code(&report, args.fail_on)
}
