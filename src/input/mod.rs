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

use std::borrow::Cow;

/// A line's bytes as text, invalid UTF-8 replaced by U+FFFD. Checked with
/// `str::from_utf8` first, which reads ASCII a word at a time: log lines are
/// nearly always valid, and the lossy decoder walks them a byte at a time.
pub(crate) fn text_of(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}
