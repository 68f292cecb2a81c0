use std::process::ExitCode;

use clap::Parser;

/// Matches are allocated on one scan thread and freed on another (the
/// summary fold); mimalloc keeps that cheap where the system allocator's
/// arenas contend.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    faultline::cli::run(faultline::cli::Cli::parse())
}
