//! The rules stage: YAML signatures and sequences, loaded with diagnostics
//! that point at `file:line:column`, compiled for the scanner, and tested
//! against their own inline examples.

pub(crate) mod breadth;
pub mod diagnostic;
pub(crate) mod export;
mod fingerprint;
pub(crate) mod lazy_regex;
pub(crate) mod listing;
pub mod literal;
pub mod load;
pub mod model;
pub mod schema;
pub mod selftest;
pub(crate) mod spelling;
pub(crate) mod suggest;

pub use diagnostic::Diagnostic;
pub use lazy_regex::LazyRegex;
pub use load::{Loaded, RuleSources, load};
pub use model::{CLASSES, Pattern, RulePack, Sequence, Severity};
