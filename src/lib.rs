//! faultline: match YAML failure signatures against Render, kubectl and
//! Datadog log exports in parallel, and explain the root cause against the
//! service's expected startup sequence.
//!
//! The library is one [`Engine`]: a compiled rule pack and [`Options`]. It
//! turns paths, readers or byte slices into a [`Scan`], whose [`Summary`]
//! is bounded whatever the input size and combines with the scans of other
//! inputs ([`Scan::append`]), and renders a [`Report`].
//!
//! ```no_run
//! use faultline::{Engine, MmapChoice, Options};
//!
//! let engine = Engine::with_default_rules(Options {
//!     mmap: MmapChoice::Guarded,
//!     ..Options::default()
//! })
//! .expect("the embedded rule pack loads");
//! let scan = engine.scan_paths(&["incident/"]);
//! let report = engine.report(&scan);
//! if let Some(cause) = report.root_causes.first() {
//!     println!("{}: {}", cause.class, cause.explanation);
//! }
//! ```
//!
//! Inside, the pipeline runs one way: input (sources and formats) → scan
//! (prefilter and confirmation, several drivers over one core) → analyze
//! (the summary, then the report) → report (renderers), with the rules
//! feeding scan and analyze.
#![deny(missing_docs)]

mod analyze;
#[doc(hidden)]
pub mod cli;
mod distributed;
mod engine;
mod hash;
mod input;
mod live;
mod report;
mod rules;
mod scan;

pub use analyze::model::{
    Evidence, Finding, InputProblem, Location, Placement, ProblemKind, Report, RootCause, Run,
    RunStatus, SequenceReport, Stats, Step, Unrecognised, Verdict,
};
pub use analyze::summary::Summary;
pub use distributed::{ByteRange, Partial, PartialError, Shard, Share};
pub use engine::{
    DEFAULT_CONTEXT_AFTER, DEFAULT_CONTEXT_BEFORE, Engine, MmapChoice, Options, Scan,
};
pub use input::format::LogFormat;
pub use input::meta::Origin;
pub use input::when::TimeWindow;
pub use rules::{CLASSES, Diagnostic, RulePack, Severity};

/// Internal parsers, re-exported only for the cargo-fuzz targets in `fuzz/`,
/// which feed them arbitrary bytes directly. This is not API: nothing here
/// is documented, stable or covered by semver, and it may change or vanish
/// in any release. Use [`Engine`] instead.
#[doc(hidden)]
pub mod fuzzing {
    // detect_format
    pub use crate::input::format::detect;
    // documents
    pub use crate::input::document::{Parsed, parse_csv, parse_json};
    // text_line
    pub use crate::input::json::line_message;
    pub use crate::input::meta::{find_level, find_timestamp};
    pub use crate::input::peel::{message as peel_message, message_and_origin};
    // traceback
    pub use crate::input::traceback::{MAX_TRACEBACK_LINES, is_exception_line, traceback_start};
    // rule_load
    pub use crate::rules::diagnostic::SourceText;
    pub use crate::rules::load::{RuleSources, load};
    pub use crate::rules::selftest::run as selftest;

    /// The text a diagnostic quotes and the byte range it underlines (the
    /// fields are crate-private; the `rule_load` target checks the span).
    pub fn diagnostic_span(diagnostic: &crate::Diagnostic) -> (&str, std::ops::Range<usize>) {
        (&diagnostic.source.text, diagnostic.span.clone())
    }
}
