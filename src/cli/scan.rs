//! `faultline scan`: archived logs in, root-cause report (or matches) out.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use super::{ColorChoice, RuleArgs, exit};
use crate::analyze::{InputProblem, Report, analyze};
use crate::input::format::LogFormat;
use crate::input::source::{Input, expand};
use crate::report;
use crate::report::sanitize::terminal;
use crate::report::text::Style;
use crate::rules::{RulePack, Severity};
use crate::scan::file::{FileOptions, FileResult, scan_input};
use crate::scan::{Matcher, ScanOptions, Target};

/// Output formats of `scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Human-readable report (or grep-like lines with --matches).
    Text,
    /// The JSON report (DESIGN.md contract).
    Json,
    /// One JSON object per matched line (with --matches) or per finding.
    Jsonl,
    /// The report as Markdown for an incident ticket.
    Markdown,
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

/// Scans inputs in parallel; results come back in input order.
pub fn scan_all(
    matcher: &Matcher,
    inputs: &[Input],
    options: FileOptions,
    progress: &ProgressBar,
) -> Vec<FileResult> {
    inputs
        .par_iter()
        .map(|input| {
            let result = scan_input(matcher, input, options);
            progress.inc(result.output.bytes);
            result
        })
        .collect()
}

fn progress_bar(inputs: &[Input]) -> ProgressBar {
    let enabled = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    let total: u64 = inputs
        .iter()
        .filter_map(|i| {
            if let Input::Path(p) = i {
                std::fs::metadata(p).ok().map(|m| m.len())
            } else {
                None
            }
        })
        .sum();
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
    if enabled {
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} scanning [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let shown = bar.clone();
        // Only show the bar for scans that take more than about a second.
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

pub fn run(args: &ScanArgs) -> ExitCode {
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
    let pack = Arc::new(loaded.pack);
    let matcher = Matcher::new(Arc::clone(&pack));
    let (mut inputs, input_errors) = expand(&args.paths);
    // The report must not depend on the order inputs were named in (nor on
    // naming one twice): ties in the timeline are broken by path.
    inputs.sort();
    inputs.dedup();
    let options = FileOptions {
        format: args.input_format,
        scan: ScanOptions {
            chunk_size: args.chunk_size,
        },
        binary: args.binary,
    };
    let progress = progress_bar(&inputs);
    let files = scan_all(&matcher, &inputs, options, &progress);
    progress.finish_and_clear();
    let problems: Vec<InputProblem> = input_errors
        .into_iter()
        .map(|e| InputProblem {
            path: e.path,
            message: e.message,
            kind: "error",
        })
        .collect();
    let mut report = analyze(&pack, &files, problems);
    if args.timing {
        report.stats.elapsed_ms = Some(started.elapsed().as_millis() as u64);
    }
    if !args.no_redact {
        report::redact::redact_report(&mut report);
    }
    let style = Style {
        color: args.color.enabled(),
    };
    let output = if args.matches {
        render_matches(&pack, &files, args.format, style, !args.no_redact)
    } else {
        render_report(&report, args.format, style)
    };
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(output.as_bytes())
        .and_then(|_| stdout.flush())
        .is_err()
    {
        return ExitCode::from(exit::ERROR); // closed pipe: nothing more to say
    }
    for problem in &report.problems {
        eprintln!(
            "faultline: {}: {}: {}",
            problem.kind,
            problem.path,
            terminal(&problem.message)
        );
    }
    exit_code(&report, args.fail_on)
}

/// The exit code contract: 2 on input errors, else 1 on findings at or above the threshold.
pub fn exit_code(report: &Report, fail_on: FailOn) -> ExitCode {
    if report.problems.iter().any(|p| p.kind == "error") {
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
        OutputFormat::Jsonl => report.findings.iter().map(report::json_line).collect(),
    }
}

/// Grep-like output: one line per rule match, in file and line order.
fn render_matches(
    pack: &RulePack,
    files: &[FileResult],
    format: OutputFormat,
    style: Style,
    redact: bool,
) -> String {
    let mut out = String::new();
    for file in files {
        for m in &file.output.matches {
            let Target::Rule(r) = m.target else { continue };
            let rule = &pack.rules[r];
            let text = if redact {
                report::redact::redact(&m.text)
            } else {
                std::borrow::Cow::Borrowed(m.text.as_str())
            };
            match format {
                OutputFormat::Json | OutputFormat::Jsonl => {
                    let object = serde_json::json!({
                        "path": file.path, "line": m.line, "rule": rule.id, "class": rule.class,
                        "severity": rule.severity, "text": text,
                    });
                    out.push_str(&report::json_line(&object));
                }
                OutputFormat::Text | OutputFormat::Markdown => {
                    let location = format!("{}:{}:", file.path, m.line);
                    let tag = format!("[{}]", rule.id);
                    let (location, tag) = if style.color {
                        (
                            format!("\x1b[35m{location}\x1b[0m"),
                            format!("\x1b[1m{tag}\x1b[0m"),
                        )
                    } else {
                        (location, tag)
                    };
                    out.push_str(&format!("{location} {tag} {}\n", terminal(&text)));
                }
            }
        }
    }
    out
}
