//! The input stage: where bytes come from (files, directories, globs, stdin,
//! gzip archives) and what format they are in.

pub mod clip;
pub mod document;
pub mod follow;
pub mod format;
pub mod json;
pub mod mapped;
pub mod meta;
pub mod peel;
pub mod source;
pub mod traceback;
pub mod when;
