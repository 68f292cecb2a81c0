//! Triage with the library: scan each path on its own (as separate workers
//! would), combine the scans, and print a one-line verdict per cause.
//!
//!     cargo run --example triage -- fixtures/degraded-import fixtures/oom-crashloop
//!
//! Exit status: 0 when no cause of severity error or worse was found, 1
//! when one was, 2 when an input could not be read.

use std::process::ExitCode;

use faultline::{Engine, MmapChoice, Options, ProblemKind, Scan, Severity};

fn main() -> ExitCode {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!("usage: triage PATH...");
        return ExitCode::from(2);
    }
    let options = Options {
        mmap: MmapChoice::Guarded,
        ..Options::default()
    };
    let engine = match Engine::with_default_rules(options) {
        Ok(engine) => engine,
        Err(diagnostics) => {
            for d in diagnostics {
                eprintln!("{d}");
            }
            return ExitCode::from(2);
        }
    };
    // Each path scanned on its own, then appended: the combined summary is
    // the one a single scan of every path would give.
    let mut scan = Scan::default();
    for path in &paths {
        scan.append(engine.scan_paths(&[path]));
    }
    let report = engine.report(&scan);
    for problem in &report.problems {
        eprintln!(
            "{}: {}: {}",
            problem.kind.as_str(),
            problem.path,
            problem.message
        );
    }
    if report.root_causes.is_empty() {
        println!(
            "no root cause in {} lines of {} input(s)",
            report.stats.lines, report.stats.files
        );
    }
    for cause in &report.root_causes {
        let at = cause
            .evidence
            .first()
            .map(|e| format!("{}:{}", e.path, e.line))
            .unwrap_or_default();
        println!(
            "[{}] {} ({}) at {at}",
            cause.severity, cause.explanation, cause.class
        );
    }
    if report.problems.iter().any(|p| p.kind == ProblemKind::Error) {
        ExitCode::from(2)
    } else if report
        .root_causes
        .iter()
        .any(|c| c.severity >= Severity::Error)
    {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
