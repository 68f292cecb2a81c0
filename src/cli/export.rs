//! `faultline rules export`: the rule pack as LogQL, DuckDB SQL, an
//! Elasticsearch query DSL or Datadog searches, on stdout; what could not
//! be exported exactly, and why, on stderr.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;

use super::{RuleArgs, exit};
use crate::rules::export::{Fidelity, Settings, Target, export};

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The query language to write.
    #[arg(long, value_enum, value_name = "TARGET")]
    pub to: Target,
    /// LogQL stream selector for every query (default: {job=~".+"}).
    #[arg(long, value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// The field holding the message: Elasticsearch (default: message.keyword),
    /// or DuckDB over JSON lines (default: read plain text lines).
    #[arg(long, value_name = "NAME")]
    pub field: Option<String>,
    #[command(flatten)]
    pub rules: RuleArgs,
}

/// Writes the export; exit 2 when the options do not fit the target or no
/// rule could be exported.
pub fn run(args: &ExportArgs) -> ExitCode {
    let loaded = match args.rules.load() {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let settings = Settings {
        selector: args.selector.clone(),
        field: args.field.clone(),
    };
    let exported = match export(&loaded.pack, args.to, &settings) {
        Ok(exported) => exported,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(exit::ERROR);
        }
    };
    for verdict in &exported.verdicts {
        match &verdict.fidelity {
            Fidelity::Exact => {}
            Fidelity::Approximate(reasons) => {
                eprintln!(
                    "faultline: {}: approximate: {}",
                    verdict.id,
                    reasons.join("; ")
                )
            }
            Fidelity::Skipped(reason) => {
                eprintln!("faultline: {}: not exported: {reason}", verdict.id)
            }
        }
    }
    eprintln!("{}", exported.summary(args.to));
    let (exact, approximate, _) = exported.counts();
    if exact + approximate == 0 {
        eprintln!("error: no rule could be exported");
        return ExitCode::from(exit::ERROR);
    }
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(exported.text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return ExitCode::from(exit::CLEAN);
        }
        eprintln!("error: writing the export: {e}");
        return ExitCode::from(exit::ERROR);
    }
    ExitCode::from(exit::CLEAN)
}
