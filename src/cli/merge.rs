//! `faultline merge`: the reduce step of a distributed scan.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::output::Output;
use super::scan::{
    FailOn, OutputFormat, exit_code, print_problems, render_report, warn_hidden_findings,
};
use super::{ColorChoice, RuleArgs, exit};
use crate::distributed::Partial;
use crate::engine::{Engine, MmapChoice, Options};
use crate::report::text::Style;

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Partials written by `faultline scan --partial` (`-`: stdin).
    #[arg(required = true, value_name = "PARTIAL")]
    pub partials: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Write the report to FILE instead of stdout.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// The rules the scans used (the partials say which pack made them).
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Show secrets (tokens, keys, passwords in URLs) instead of masking them.
    #[arg(long)]
    pub no_redact: bool,
    /// When to use colour.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// Reads every partial (all of them, so that every bad one is named),
/// merges them and renders the report as `scan` would. Exit codes as for
/// `scan`; a gap or overlap in what the partials cover is an error (2).
pub fn run(args: &MergeArgs) -> ExitCode {
    let loaded = match args.rules.load() {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let engine = Engine::new(
        loaded.pack,
        Options {
            mmap: MmapChoice::Never,
            redact: !args.no_redact,
            ..Options::default()
        },
    );
    let mut partials = Vec::new();
    let mut failed = false;
    for path in &args.partials {
        match Partial::read(path) {
            Ok(partial) => partials.push(partial),
            Err(e) => {
                eprintln!("faultline: error: {e}");
                failed = true;
            }
        }
    }
    if failed {
        return ExitCode::from(exit::ERROR);
    }
    let scan = match engine.merge(partials) {
        Ok(scan) => scan,
        Err(e) => {
            eprintln!("faultline: error: {e}");
            return ExitCode::from(exit::ERROR);
        }
    };
    let report = engine.report(&scan);
    let mut out = match Output::open(args.output.as_deref()) {
        Ok(out) => out,
        Err(stopped) => return stopped.exit(),
    };
    let style = Style::new(args.color.enabled(out.is_terminal()), out.columns());
    if let Err(stopped) = out.write(&render_report(&report, args.format, style)) {
        return stopped.exit();
    }
    print_problems(&report.problems);
    warn_hidden_findings(&report, args.fail_on);
    exit_code(&report, args.fail_on)
}
