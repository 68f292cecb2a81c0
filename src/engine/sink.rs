//! The engine's sinks: one folds matches into a summary, the other also
//! hands every rule match to a printer as soon as its piece is scanned
//! (grep-like output in constant memory).

use crate::analyze::model::MatchLine;
use crate::analyze::summary::Summary;
use crate::analyze::{InputProblem, ProblemKind};
use crate::rules::RulePack;
use crate::scan::{LineMatch, Target};

use super::{Fold, Outcome, Scan, Sink};

/// Folds matches into summaries with a rule pack.
#[derive(Clone, Copy)]
pub(crate) struct PackFold<'a>(&'a RulePack);

impl Fold for PackFold<'_> {
    type Part = Summary;

    fn fold(&self, input: u32, path: &str, matches: Vec<LineMatch>) -> Summary {
        Summary::fold(self.0, input, path, matches)
    }
}

/// Accumulates one input's summary.
pub(crate) struct SummarySink<'a> {
    pack: &'a RulePack,
    summary: Summary,
    progress: &'a (dyn Fn(u64) + Sync),
}

impl<'a> SummarySink<'a> {
    pub(crate) fn new(pack: &'a RulePack, progress: &'a (dyn Fn(u64) + Sync)) -> Self {
        SummarySink {
            pack,
            summary: Summary::default(),
            progress,
        }
    }

    /// The scan of the input, with its totals and problems recorded.
    pub(crate) fn finish(mut self, input: u32, path: &str, outcome: Outcome) -> Scan {
        self.summary
            .finish_input(input, path, outcome.totals.lines, outcome.totals.bytes);
        Scan {
            summary: self.summary,
            problems: problems(path, outcome),
        }
    }
}

/// The problems an input's outcome reports.
pub(crate) fn problems(path: &str, outcome: Outcome) -> Vec<InputProblem> {
    let error = outcome.error.map(|message| (message, ProblemKind::Error));
    let skipped = outcome
        .skipped
        .map(|message| (message, ProblemKind::Skipped));
    error
        .into_iter()
        .chain(skipped)
        .map(|(message, kind)| InputProblem {
            path: path.to_string(),
            message,
            kind,
        })
        .collect()
}

impl<'a> Sink for SummarySink<'a> {
    type Folder = PackFold<'a>;

    fn folder(&self) -> PackFold<'a> {
        PackFold(self.pack)
    }

    fn consume(&mut self, part: Summary) {
        self.summary.merge(part);
    }

    fn context(&mut self, input: u32, read: &dyn Fn(u64, usize) -> (Vec<String>, u64), eof: bool) {
        self.summary.read_context(input, read, eof);
    }

    fn progress(&self, bytes: u64) {
        (self.progress)(bytes);
    }
}

/// Folds matches into a summary and also lists the rule matches.
#[derive(Clone, Copy)]
pub(crate) struct ListingFold<'a>(&'a RulePack);

impl Fold for ListingFold<'_> {
    type Part = (Summary, Vec<MatchLine>);

    fn fold(&self, input: u32, path: &str, matches: Vec<LineMatch>) -> Self::Part {
        let lines = matches
            .iter()
            .filter_map(|m| match_line(self.0, path, m))
            .collect();
        (Summary::fold(self.0, input, path, matches), lines)
    }
}

/// A rule match as listings show it (`None` for milestones and
/// unrecognised lines).
pub(crate) fn match_line(pack: &RulePack, path: &str, m: &LineMatch) -> Option<MatchLine> {
    let Target::Rule(r) = m.target else {
        return None;
    };
    let rule = &pack.rules[r];
    Some(MatchLine {
        path: path.to_string(),
        line: m.line,
        rule: rule.id.clone(),
        class: rule.class.clone(),
        severity: rule.severity,
        text: m.text.clone(),
        origin: m.meta.origin.clone(),
    })
}

/// A summary sink that also hands each piece's rule matches, in input
/// order, to `print` as soon as the piece is scanned.
pub(crate) struct MatchSink<'a> {
    inner: SummarySink<'a>,
    print: &'a mut dyn FnMut(Vec<MatchLine>),
}

impl<'a> MatchSink<'a> {
    pub(crate) fn new(
        pack: &'a RulePack,
        progress: &'a (dyn Fn(u64) + Sync),
        print: &'a mut dyn FnMut(Vec<MatchLine>),
    ) -> Self {
        MatchSink {
            inner: SummarySink::new(pack, progress),
            print,
        }
    }

    pub(crate) fn finish(self, input: u32, path: &str, outcome: Outcome) -> Scan {
        self.inner.finish(input, path, outcome)
    }
}

impl<'a> Sink for MatchSink<'a> {
    type Folder = ListingFold<'a>;

    fn folder(&self) -> ListingFold<'a> {
        ListingFold(self.inner.pack)
    }

    fn consume(&mut self, (summary, lines): (Summary, Vec<MatchLine>)) {
        self.inner.consume(summary);
        (self.print)(lines);
    }

    fn context(&mut self, input: u32, read: &dyn Fn(u64, usize) -> (Vec<String>, u64), eof: bool) {
        self.inner.context(input, read, eof);
    }

    fn progress(&self, bytes: u64) {
        self.inner.progress(bytes);
    }
}
