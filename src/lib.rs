//! faultline: match YAML failure signatures against Render, kubectl and
//! Datadog log exports in parallel, and explain the root cause against the
//! service's expected startup sequence.
//!
//! The pipeline runs one way: [`input`] → [`scan`] → [`analyze`] → [`report`],
//! with [`rules`] feeding scan and analyze.

pub mod analyze;
pub mod cli;
pub mod input;
pub mod report;
pub mod rules;
pub mod scan;
