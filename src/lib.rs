//! faultline: match YAML failure signatures against Render, kubectl and
//! Datadog log exports in parallel, and explain the root cause against the
//! service's expected startup sequence.
//!
//! The pipeline runs one way: [`input`] → [`scan`] → [`analyze`] → [`report`],
//! with [`rules`] feeding scan and analyze.

pub mod analyze;
pub mod cli;
pub mod engine;
pub mod input;
pub(crate) mod live;
pub mod report;
pub mod rules;
pub mod scan;

pub use analyze::summary::Summary;
pub use engine::{Engine, MmapChoice, Options, Scan};
