//! `faultline merge`: the reduce step of a distributed scan.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::scan::{FailOn, OutputFormat, exit_code, print_problems, render_report};
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
    #[arg(long, short = 'f', value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
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
    let style = Style {
        color: args.color.enabled(),
    };
    let output = render_report(&report, args.format, style);
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(output.as_bytes())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::from(exit::ERROR);
    }
    print_problems(&report.problems);
    exit_code(&report, args.fail_on)
}
