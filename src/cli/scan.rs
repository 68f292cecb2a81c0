//! `faultline scan`: archived logs in, root-cause report (or matches) out.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, ValueEnum};

use super::output::{Output, Stopped};
use super::report_args::ReportArgs;
use super::{ColorChoice, RuleArgs, exit, progress};
use crate::analyze::model::MatchLine;
use crate::analyze::{InputProblem, ProblemKind, Report};
use crate::distributed::{ByteRange, Shard};
use crate::engine::{Engine, MmapChoice, Options};
use crate::input::format::LogFormat;
use crate::input::when::{Since, TimeWindow, parse_since};
use crate::report;
use crate::report::text::Style;
use crate::report::untrusted::Untrusted;
use crate::report::view::ProblemView;
use crate::rules::Severity;

/// Output formats of `scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Human-readable report: a first screen (verdict, one line per cause and
    /// sequence, totals) fitted to 23 rows, then the details (or grep-like
    /// lines with --matches).
    Text,
    /// The JSON report (its fields are described in docs/json-report.md).
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
    /// Files, directories (recursive), globs, named pipes, or `-` for stdin
    /// (read when no path is given and stdin is not a terminal); .gz archives
    /// are decompressed.
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Write the output to FILE instead of stdout (any format).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print nothing on stdout: the exit code says it all.
    #[arg(long, short = 'q', conflicts_with = "output")]
    pub quiet: bool,
    /// Print matched lines grep-style (`path:line: [rule] text`) instead of the report.
    #[arg(long)]
    pub matches: bool,
    #[command(flatten)]
    pub report: ReportArgs,
    /// Only lines written from this point on: a duration back from now
    /// (`90s`, `15m`, `2h`, `1d`) or a time (`2026-11-23T10:00:00Z`;
    /// `2026-11-23 10:00:00` is UTC).
    #[arg(long, value_parser = parse_since, value_name = "WHEN")]
    pub since: Option<Since>,
    /// Only lines written up to this point (same forms as --since).
    #[arg(long, value_parser = parse_since, value_name = "WHEN")]
    pub until: Option<Since>,
    /// Log format of the inputs (detected per file by default).
    #[arg(long, value_enum, default_value_t = LogFormat::Auto, value_name = "FORMAT")]
    pub input_format: LogFormat,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "NUM")]
    pub threads: Option<usize>,
    /// Bytes per parallel chunk (results never depend on it).
    #[arg(long, default_value_t = 4 << 20, hide = true)]
    pub chunk_size: usize,
    /// Scan files that look binary when walking directories instead of skipping them.
    #[arg(long)]
    pub binary: bool,
    /// Include elapsed time in the report's stats (off for byte-identical reports).
    #[arg(long)]
    pub timing: bool,
    /// Show secrets (tokens, keys, passwords in URLs) instead of masking them.
    #[arg(long)]
    pub no_redact: bool,
    /// Never show the progress bar (shown on a terminal for scans over a second).
    #[arg(long)]
    pub no_progress: bool,
    /// When to use colour.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Write a partial (the mergeable summary, for `faultline merge`) to OUT instead of a report (`-`: stdout; `.gz`: compressed).
    #[arg(long, value_name = "OUT", conflicts_with = "matches")]
    pub partial: Option<PathBuf>,
    /// Scan only shard I of N (0-based) of the inputs: whole files, picked by a stable hash of the path.
    #[arg(
        long,
        value_name = "I/N",
        requires = "partial",
        conflicts_with = "range"
    )]
    pub shard: Option<Shard>,
    /// Scan only the lines of the one file named that start in bytes START to END (END exclusive; `START-`: to the end).
    #[arg(long, value_name = "START-END", requires = "partial")]
    pub range: Option<ByteRange>,
}

/// Bytes the named regular files hold (stdin and archives count as they are read).
fn input_size(paths: &[String]) -> u64 {
    paths
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| if m.is_file() { m.len() } else { 0 })
        .sum()
}

/// The inputs: as named, or stdin when none is named and it is not a terminal.
pub(crate) fn inputs(paths: &[String]) -> Result<Vec<String>, ExitCode> {
    if !paths.is_empty() {
        return Ok(paths.to_vec());
    }
    if std::io::stdin().is_terminal() {
        eprintln!(
            "faultline: no input: name files, directories or globs, or pipe logs in (kubectl logs x | faultline scan)"
        );
        return Err(ExitCode::from(exit::ERROR));
    }
    Ok(vec!["-".to_string()])
}

/// The incident window `--since`/`--until` ask for, counted from now.
fn window(args: &ScanArgs) -> Result<TimeWindow, ExitCode> {
    let now = jiff::Timestamp::now();
    let at = |when: Option<Since>| when.map(|w| w.cutoff(now).as_nanosecond());
    let window = TimeWindow {
        since: at(args.since),
        until: at(args.until),
    };
    if let (Some(since), Some(until)) = (window.since, window.until)
        && since > until
    {
        eprintln!("faultline: --since is after --until: the window holds no time");
        return Err(ExitCode::from(exit::ERROR));
    }
    Ok(window)
}

pub fn run(args: &ScanArgs) -> ExitCode {
    if args.matches
        && matches!(
            args.format,
            OutputFormat::Json | OutputFormat::Markdown | OutputFormat::Html
        )
    {
        eprintln!(
            "faultline: --matches prints matched lines: use --format text or --format jsonl (one JSON object per line)"
        );
        return ExitCode::from(exit::ERROR);
    }
    let (paths, window) = match inputs(&args.paths).and_then(|p| Ok((p, window(args)?))) {
        Ok(found) => found,
        Err(code) => return code,
    };
    // Before anything uses rayon (rule files compile in parallel).
    if let Some(threads) = args.threads {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .build_global();
    }
    let loaded = match args.rules.load() {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let started = Instant::now();
    let mut options = Options {
        input_format: args.input_format,
        mmap: MmapChoice::Guarded,
        binary: args.binary,
        redact: !args.no_redact,
        chunk_size: args.chunk_size,
        window,
        ..Options::default()
    };
    args.report.apply(&mut options);
    let engine = Engine::new(loaded.pack, options);
    if let Some(partial) = &args.partial {
        return super::partial::write(&engine, args, &paths, partial);
    }
    let mut out = match Output::open(args.output.as_deref()) {
        Ok(out) => out,
        Err(stopped) => return stopped.exit(),
    };
    let style = Style::new(args.color.enabled(out.is_terminal()), out.columns());
    let bar = progress::bar(input_size(&paths), !args.no_progress && !args.quiet);
    let advance = |bytes: u64| bar.inc(bytes);
    let mut stopped: Option<Stopped> = None;
    let scan = if args.matches {
        let redact = !args.no_redact;
        let jsonl = args.format == OutputFormat::Jsonl;
        let mut print = |lines: Vec<MatchLine>| {
            if stopped.is_some() || lines.is_empty() || args.quiet {
                return;
            }
            let text = report::matches::render(&lines, jsonl, style, redact);
            bar.suspend(|| stopped = out.write(&text).err());
        };
        engine.scan_paths_listing(&paths, &advance, &mut print)
    } else {
        engine.scan_paths_with_progress(&paths, &advance)
    };
    bar.finish_and_clear();
    let mut report = engine.report(&scan);
    if args.timing {
        report.stats.elapsed_ms = Some(started.elapsed().as_millis() as u64);
    }
    args.report.shape(&mut report);
    if !args.matches && !args.quiet && stopped.is_none() {
        stopped = out.write(&render_report(&report, args.format, style)).err();
    }
    if let Some(stopped) = stopped {
        return stopped.exit();
    }
    print_problems(&report.problems);
    warn_hidden_findings(&report, args.fail_on);
    exit_code(&report, args.fail_on)
}

/// Prints input problems to stderr, one a line.
pub(crate) fn print_problems(problems: &[InputProblem]) {
    for problem in problems.iter().map(ProblemView::of) {
        eprintln!(
            "faultline: {}: {}: {}",
            problem.kind.as_str(),
            problem.path.terminal(),
            problem.message.terminal()
        );
    }
}

/// Exit 2 (an input could not be read) outranks exit 1: so that a gate
/// reading only the exit code still learns of findings at or above the
/// threshold, they are summed up on stderr too.
pub(crate) fn warn_hidden_findings(report: &Report, fail_on: FailOn) {
    let Some(threshold) = fail_on.threshold() else {
        return;
    };
    let unreadable = report.problems.iter().any(|p| p.kind == ProblemKind::Error);
    let hidden: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.severity >= threshold)
        .map(|f| {
            format!(
                "[{}] {} ×{}",
                f.severity,
                Untrusted::from(&f.rule).terminal(),
                f.count
            )
        })
        .collect();
    if unreadable && !hidden.is_empty() {
        eprintln!(
            "faultline: exit 2 (input errors) although findings are at or above {}: {}",
            threshold,
            hidden.join(", ")
        );
        eprintln!(
            "faultline: {}",
            Untrusted::from(&report.verdict.text).terminal()
        );
    }
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

/// A report in one of the output formats.
pub fn render_report(report: &Report, format: OutputFormat, style: Style) -> String {
    match format {
        OutputFormat::Text => report::text::render(report, style),
        OutputFormat::Json => report::json(report) + "\n",
        OutputFormat::Markdown => report::markdown::render(report),
        OutputFormat::Html => report::html::render(report),
        OutputFormat::Jsonl => report.findings.iter().map(report::json_line).collect(),
    }
}
