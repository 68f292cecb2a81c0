//! `faultline scan`: archived logs in, root-cause report (or matches) out.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{ColorChoice, RuleArgs, exit};
use crate::analyze::model::MatchLine;
use crate::analyze::{ProblemKind, Report};
use crate::engine::{Engine, MmapChoice, Options};
use crate::input::format::LogFormat;
use crate::report;
use crate::report::text::Style;
use crate::report::view::ProblemView;
use crate::rules::Severity;

/// Output formats of `scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Human-readable report (or grep-like lines with --matches).
    Text,
    /// The JSON report (the contract described in the README).
    Json,
    /// One JSON object per matched line (with --matches) or per finding.
    Jsonl,
    /// The report as Markdown for an incident ticket.
    Markdown,
    /// The report as one self-contained HTML page (timeline included).
    Html,
}

/// Severity threshold for exit code 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Info,
    Warning,
    Error,
    Critical,
    Never,
}

impl FailOn {
    /// The lowest severity this choice reacts to (`None`: never).
    pub(crate) fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Info => Some(Severity::Info),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Error => Some(Severity::Error),
            FailOn::Critical => Some(Severity::Critical),
            FailOn::Never => None,
        }
    }
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files, directories (recursive), globs, or `-` for stdin; .gz archives are decompressed.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Print matched lines grep-style (`path:line: [rule] text`) instead of the report.
    #[arg(long)]
    pub matches: bool,
    /// Log format of the inputs (detected per file by default).
    #[arg(long, value_enum, default_value_t = LogFormat::Auto, value_name = "FORMAT")]
    pub input_format: LogFormat,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j')]
    pub threads: Option<usize>,
    /// Bytes per parallel chunk (results never depend on it).
    #[arg(long, default_value_t = 4 << 20, hide = true)]
    pub chunk_size: usize,
    /// Scan files that look binary instead of skipping them.
    #[arg(long)]
    pub binary: bool,
    /// Include elapsed time in the report's stats (off for byte-identical reports).
    #[arg(long)]
    pub timing: bool,
    /// Show secrets (tokens, keys, passwords in URLs) instead of masking them.
    #[arg(long)]
    pub no_redact: bool,
    /// When to use colour.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// A byte-counting progress bar on stderr, shown only for scans that take
/// more than about a second and only on a terminal.
fn progress_bar(total: u64) -> ProgressBar {
    let enabled = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
    if enabled {
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} scanning [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let shown = bar.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(1));
            if !shown.is_finished() {
                shown.set_draw_target(ProgressDrawTarget::stderr());
                shown.enable_steady_tick(Duration::from_millis(120));
            }
        });
    }
    bar
}

/// Bytes the named regular files hold (stdin and archives count as they are read).
fn input_size(paths: &[String]) -> u64 {
    paths
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| if m.is_file() { m.len() } else { 0 })
        .sum()
}

pub fn run(args: &ScanArgs) -> ExitCode {
    // Before anything uses rayon (rule files compile in parallel).
    if let Some(threads) = args.threads {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .build_global();
    }
    if args.matches && args.format == OutputFormat::Html {
        eprintln!("faultline: --matches prints lines: use --format text, json or jsonl with it");
        return ExitCode::from(exit::ERROR);
    }
    let loaded = match args.rules.load() {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let started = Instant::now();
    let engine = Engine::new(
        loaded.pack,
        Options {
            input_format: args.input_format,
            mmap: MmapChoice::Guarded,
            binary: args.binary,
            redact: !args.no_redact,
            chunk_size: args.chunk_size,
        },
    );
    let style = Style {
        color: args.color.enabled(),
    };
    let progress = progress_bar(input_size(&args.paths));
    let advance = |bytes: u64| progress.inc(bytes);
    let mut stdout = std::io::stdout().lock();
    let mut closed = false;
    let scan = if args.matches {
        let redact = !args.no_redact;
        let mut print = |lines: Vec<MatchLine>| {
            if closed || lines.is_empty() {
                return;
            }
            let text = report::matches::render(
                &lines,
                args.format == OutputFormat::Json || args.format == OutputFormat::Jsonl,
                style,
                redact,
            );
            progress.suspend(|| {
                closed = stdout.write_all(text.as_bytes()).is_err();
            });
        };
        engine.scan_paths_listing(&args.paths, &advance, &mut print)
    } else {
        engine.scan_paths_with_progress(&args.paths, &advance)
    };
    progress.finish_and_clear();
    let mut report = engine.report(&scan);
    if args.timing {
        report.stats.elapsed_ms = Some(started.elapsed().as_millis() as u64);
    }
    if !args.matches {
        let output = render_report(&report, args.format, style);
        closed = stdout.write_all(output.as_bytes()).is_err();
    }
    if closed || stdout.flush().is_err() {
        return ExitCode::from(exit::ERROR); // closed pipe: nothing more to say
    }
    for problem in report.problems.iter().map(ProblemView::of) {
        eprintln!(
            "faultline: {}: {}: {}",
            problem.kind.as_str(),
            problem.path.terminal(),
            problem.message.terminal()
        );
    }
    exit_code(&report, args.fail_on)
}

/// The exit code contract: 2 on input errors, else 1 on findings at or above the threshold.
pub fn exit_code(report: &Report, fail_on: FailOn) -> ExitCode {
    if report.problems.iter().any(|p| p.kind == ProblemKind::Error) {
        return ExitCode::from(exit::ERROR);
    }
    match (fail_on.threshold(), report.max_severity()) {
        (Some(threshold), Some(max)) if max >= threshold => ExitCode::from(exit::FINDINGS),
        _ => ExitCode::from(exit::CLEAN),
    }
}

fn render_report(report: &Report, format: OutputFormat, style: Style) -> String {
    match format {
        OutputFormat::Text => report::text::render(report, style),
        OutputFormat::Json => report::json(report) + "\n",
        OutputFormat::Markdown => report::markdown::render(report),
        OutputFormat::Html => report::html::render(report),
        OutputFormat::Jsonl => report.findings.iter().map(report::json_line).collect(),
    }
}
