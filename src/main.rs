use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    faultline::cli::run(faultline::cli::Cli::parse())
}
