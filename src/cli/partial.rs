//! `faultline scan --partial`: the map step of a distributed scan.

use std::path::Path;
use std::process::ExitCode;

use super::exit;
use super::scan::{ScanArgs, print_problems};
use crate::analyze::ProblemKind;
use crate::distributed::Share;
use crate::engine::Engine;

/// Scans the share the arguments pick and writes the partial to `out`.
/// Exit 0 when written (findings are the merge's to judge), 2 when an
/// input could not be read (the partial still records it), nothing at all
/// was, or the partial could not be written.
pub(crate) fn write(engine: &Engine, args: &ScanArgs, paths: &[String], out: &Path) -> ExitCode {
    let share = match (args.shard, args.range) {
        (Some(shard), _) => Share::Shard(shard),
        (None, Some(range)) => Share::Range(range),
        (None, None) => Share::All,
    };
    if paths.iter().any(|p| p == "-") && share != Share::All {
        eprintln!("faultline: error: standard input cannot be split: drop `-` or --shard/--range");
        return ExitCode::from(exit::ERROR);
    }
    let partial = match engine.scan_partial(paths, share) {
        Ok(partial) => partial,
        Err(e) => {
            eprintln!("faultline: error: {e}");
            return ExitCode::from(exit::ERROR);
        }
    };
    if let Err(e) = partial.write(out) {
        eprintln!("faultline: error: {e}");
        return ExitCode::from(exit::ERROR);
    }
    let problems = partial.problems();
    print_problems(&problems);
    let empty_shard = matches!(share, Share::Shard(_)) && partial.pieces.is_empty();
    if empty_shard {
        eprintln!(
            "faultline: note: no input hashes to shard {}; the partial records that it covered none",
            args.shard.map(|s| s.to_string()).unwrap_or_default()
        );
    }
    let unread = !empty_shard && partial.pieces.iter().all(|p| !p.read);
    if unread || problems.iter().any(|p| p.kind == ProblemKind::Error) {
        return ExitCode::from(exit::ERROR);
    }
    ExitCode::from(exit::CLEAN)
}
