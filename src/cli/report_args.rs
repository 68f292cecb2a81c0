//! Options that shape a report, shared by `scan` and `tail`: context lines
//! around evidence (as grep's `-A/-B/-C`), how many causes, whether the
//! sequences are shown.

use clap::Args;

use crate::analyze::Report;
use crate::engine::{DEFAULT_CONTEXT_AFTER, DEFAULT_CONTEXT_BEFORE, Options};

#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Show NUM lines after each piece of evidence [default: 3].
    #[arg(short = 'A', long, value_name = "NUM")]
    pub after_context: Option<usize>,
    /// Show NUM lines before each piece of evidence [default: 2].
    #[arg(short = 'B', long, value_name = "NUM")]
    pub before_context: Option<usize>,
    /// Show NUM lines before and after each piece of evidence (-A and -B win).
    #[arg(short = 'C', long, value_name = "NUM")]
    pub context: Option<usize>,
    /// Show at most NUM root causes (the best first).
    #[arg(long, value_name = "NUM")]
    pub top: Option<usize>,
    /// Leave the expected sequences (startup timelines) out of the report.
    #[arg(long)]
    pub no_sequences: bool,
}

impl ReportArgs {
    /// Sets the engine's context lines.
    pub fn apply(&self, options: &mut Options) {
        options.context_before = self
            .before_context
            .or(self.context)
            .unwrap_or(DEFAULT_CONTEXT_BEFORE);
        options.context_after = self
            .after_context
            .or(self.context)
            .unwrap_or(DEFAULT_CONTEXT_AFTER);
    }

    /// Trims a finished report to what was asked for.
    pub fn shape(&self, report: &mut Report) {
        if let Some(top) = self.top {
            report.root_causes.truncate(top);
        }
        if self.no_sequences {
            report.sequences.clear();
        }
    }
}
