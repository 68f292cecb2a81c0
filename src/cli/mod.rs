//! Command-line interface: clap definitions and one module per subcommand.
//! `main` stays thin: parse, run, turn the outcome into an exit code.

pub mod merge;
mod partial;
pub mod rules;
pub mod scan;
pub mod tail;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::rules::{Diagnostic, Loaded, RuleSources, load};

/// Exit codes of the contract: 0 clean, 1 findings at or above `--fail-on`, 2 errors.
pub mod exit {
    pub const CLEAN: u8 = 0;
    pub const FINDINGS: u8 = 1;
    pub const ERROR: u8 = 2;
}

#[derive(Debug, Parser)]
#[command(name = "faultline", version, about = "Find the root cause in Render, kubectl and Datadog logs", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan archived logs and report the root cause.
    Scan(scan::ScanArgs),
    /// Work with rules: list, test, lint, explain.
    Rules(rules::RulesArgs),
    /// Follow growing, rotating logs (or stdin): findings and startup progress as they happen.
    Tail(tail::TailArgs),
    /// Merge partials (`scan --partial`) into the report one scan of all their inputs gives.
    Merge(merge::MergeArgs),
}

/// Options shared by every command that loads rules.
#[derive(Debug, Clone, Args)]
pub struct RuleArgs {
    /// Add rule files or directories to the embedded pack (same id overrides).
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Use only the rules given with --rules.
    #[arg(long)]
    pub no_default_rules: bool,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Colour on a terminal unless NO_COLOR is set (https://no-color.org).
    pub fn enabled(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

impl RuleArgs {
    /// Loads the pack, printing diagnostics; `Err` carries the exit code.
    pub fn load(&self) -> Result<Loaded, ExitCode> {
        let result =
            RuleSources::new(&self.rules, self.no_default_rules).and_then(|sources| load(&sources));
        match result {
            Ok(loaded) => Ok(loaded),
            Err(errors) => {
                print_diagnostics(&errors);
                eprintln!(
                    "error: could not load rules ({} error{})",
                    errors.len(),
                    if errors.len() == 1 { "" } else { "s" }
                );
                Err(ExitCode::from(exit::ERROR))
            }
        }
    }
}

/// Prints diagnostics to stderr, compiler style.
pub fn print_diagnostics(diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        if d.source.text.is_empty() {
            eprintln!("{d}");
        } else {
            eprint!("{}", d.render());
        }
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Scan(args) => scan::run(&args),
        Command::Rules(args) => rules::run(&args),
        Command::Tail(args) => tail::run(&args),
        Command::Merge(args) => merge::run(&args),
    }
}
