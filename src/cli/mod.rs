//! Command-line interface: clap definitions and one module per subcommand.
//! `main` stays thin: parse, run, turn the outcome into an exit code.

pub mod docs;
mod export;
pub mod merge;
pub mod output;
mod partial;
pub mod progress;
pub mod report_args;
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

/// What `--help` says after the options: the exit codes a script reads.
const EXIT_CODES: &str = "\
Exit codes:
  0  nothing at or above --fail-on (default: error) was found
  1  a finding at or above --fail-on (tail --exit-on: the first one)
  2  an error: bad arguments or rules, or an input that could not be read;
     whatever could be read is still reported, and findings at or above
     --fail-on are summed up on stderr

Documentation: README.md, docs/ (failure classes, JSON report, exit codes)
and rules/README.md in the faultline repository.";

#[derive(Debug, Parser)]
#[command(
    name = "faultline",
    version,
    about = "Find the root cause in Render, kubectl and Datadog logs",
    long_about = None,
    after_help = EXIT_CODES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan archived logs and report the root cause.
    #[command(after_help = EXIT_CODES)]
    Scan(scan::ScanArgs),
    /// Work with rules: list, test, lint, explain.
    Rules(rules::RulesArgs),
    /// Follow growing, rotating logs (or stdin): findings and startup progress as they happen.
    #[command(after_help = EXIT_CODES)]
    Tail(tail::TailArgs),
    /// Merge partials (`scan --partial`) into the report one scan of all their inputs gives.
    Merge(merge::MergeArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(docs::CompletionsArgs),
    /// Print the man page (roff), e.g. `faultline man > faultline.1`.
    Man,
}

/// Options shared by every command that loads rules.
#[derive(Debug, Clone, Args)]
pub struct RuleArgs {
    /// Add rule files or directories to the embedded pack (same id overrides).
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Leave the embedded rule pack out: use only the rules given with --rules.
    #[arg(long)]
    pub no_default_rules: bool,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is not set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl ColorChoice {
    /// Colour on a terminal (`terminal`: the output is one) unless NO_COLOR
    /// is set (https://no-color.org).
    pub fn enabled(self, terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }

    /// [`ColorChoice::enabled`] for stdout.
    pub fn on_stdout(self) -> bool {
        self.enabled(std::io::stdout().is_terminal())
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
        Command::Completions(args) => docs::completions(&args),
        Command::Man => docs::man(),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// Every flag and argument of every command says what it is for.
    #[test]
    fn every_argument_has_help_text() {
        fn check(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in command.get_arguments() {
                let builtin = matches!(arg.get_id().as_str(), "help" | "version");
                if !builtin && !arg.is_hide_set() && arg.get_help().is_none() {
                    missing.push(format!("{path} {}", arg.get_id()));
                }
            }
            for sub in command.get_subcommands() {
                if sub.get_about().is_none() && sub.get_name() != "help" {
                    missing.push(format!("{path} {} (no about)", sub.get_name()));
                }
                check(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        check(&Cli::command(), "faultline", &mut missing);
        assert!(missing.is_empty(), "no help text: {missing:?}");
    }
}
