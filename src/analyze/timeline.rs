//! One timeline across files: events ordered by timestamp where the format
//! has one (lines without one inherit the previous line's), file order as the
//! tie-breaker, so newest-first exports and out-of-order pastes line up.

use crate::scan::LineMatch;
use crate::scan::file::FileResult;

/// A matched line in timeline order.
#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    pub path: &'a str,
    pub file: usize,
    pub m: &'a LineMatch,
    /// Timestamp in nanoseconds (own or inherited), if any.
    pub nanos: Option<i128>,
}

/// Builds the ordered timeline of every match in every file.
pub fn build(files: &[FileResult]) -> Vec<Event<'_>> {
    let mut events = Vec::new();
    for (file, result) in files.iter().enumerate() {
        let mut inherited = None;
        for m in &result.output.matches {
            if let Some(ts) = &m.meta.timestamp {
                inherited = Some(ts.nanos);
            }
            events.push(Event {
                path: &result.path,
                file,
                m,
                nanos: m.meta.timestamp.as_ref().map(|t| t.nanos).or(inherited),
            });
        }
    }
    // Files scanned as documents are already chronological; line files are in
    // line order. A stable sort keeps that order among equal stamps.
    events.sort_by(|a, b| {
        a.nanos
            .cmp(&b.nanos)
            .then(a.file.cmp(&b.file))
            .then(a.m.line.cmp(&b.m.line))
    });
    events
}
