//! Scanning beyond one machine: each worker scans its share of the inputs
//! into a [`Partial`] (the map step), and one merge turns the partials
//! into the report a single scan of every input would give (the reduce
//! step). Exactness rests on the summary's associative merge: partials keep
//! one summary per input (or byte range of one), and the merge puts them
//! back in the order a single scan reads them.

mod merge;
mod partial;
mod scan;
mod share;
#[cfg(test)]
mod tests;

pub use partial::{Partial, PartialError};
pub use share::{ByteRange, Shard, Share};
