//! The engine's sinks: one folds matches into a summary, the other also
//! hands every rule match to a printer as soon as its piece is scanned
//! (grep-like output in constant memory).

use crate::analyze::model::{MatchLine, MatchedRule};
use crate::analyze::summary::{ContextLines, Summary};
use crate::analyze::{InputProblem, ProblemKind};
use crate::input::when::{Placed, TimeWindow};
use crate::rules::RulePack;
use crate::scan::{LineMatch, Matches, Surroundings, Target};

use super::{Fold, Options, Outcome, Scan, Sink};

/// What a scan keeps of its matches: the lines around evidence, and the
/// incident window matches must fall in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Keep {
    pub lines: ContextLines,
    pub window: TimeWindow,
}

impl Keep {
    /// What `options` ask to keep.
    pub(crate) fn of(options: &Options) -> Keep {
        Keep {
            lines: ContextLines {
                before: options.context_before,
                after: options.context_after,
            },
            window: options.window,
        }
    }

    /// Whether `m` falls in the window; one that cannot be placed in it (no
    /// full date) is counted in `unplaced`.
    fn admits(&self, m: &LineMatch, unplaced: &mut u64) -> bool {
        match self.window.place(m.nanos) {
            Placed::Inside => true,
            Placed::Outside => false,
            Placed::Unplaced => {
                *unplaced += u64::from(m.target != Target::Unrecognised);
                false
            }
        }
    }
}

/// Folds matches into summaries with a rule pack.
#[derive(Clone, Copy)]
pub(crate) struct PackFold<'a>(&'a RulePack, Keep);

impl PackFold<'_> {
    /// [`Fold::fold`], showing `see` each match kept before it is folded.
    fn fold_seeing(
        &self,
        input: u32,
        path: &str,
        matches: &mut Matches<'_>,
        see: &mut dyn FnMut(&LineMatch),
    ) -> Summary {
        let mut unplaced = 0;
        let mut summary = Summary::fold(self.0, input, path, &mut |take| {
            matches(&mut |m| {
                if self.1.admits(&m, &mut unplaced) {
                    see(&m);
                    take(m);
                }
            });
        });
        summary.unplaced += unplaced;
        summary
    }
}

impl Fold for PackFold<'_> {
    type Part = Summary;

    fn fold(&self, input: u32, path: &str, matches: &mut Matches<'_>) -> Summary {
        self.fold_seeing(input, path, matches, &mut |_| {})
    }

    fn shift_lines(&self, part: &mut Summary, lines: u64) {
        part.shift_lines(lines);
    }
}

/// Accumulates one input's summary.
pub(crate) struct SummarySink<'a> {
    pack: &'a RulePack,
    keep: Keep,
    summary: Summary,
    progress: &'a (dyn Fn(u64) + Sync),
}

impl<'a> SummarySink<'a> {
    pub(crate) fn new(pack: &'a RulePack, keep: Keep, progress: &'a (dyn Fn(u64) + Sync)) -> Self {
        SummarySink {
            pack,
            keep,
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
        PackFold(self.pack, self.keep)
    }

    fn consume(&mut self, part: Summary) {
        self.summary.merge(part);
    }

    fn context(&mut self, input: u32, held: &dyn Surroundings, eof: bool) {
        self.summary.read_context(input, held, self.keep.lines, eof);
    }

    fn progress(&self, bytes: u64) {
        (self.progress)(bytes);
    }
}

/// Folds matches into a summary and also lists the rule matches.
#[derive(Clone, Copy)]
pub(crate) struct ListingFold<'a>(PackFold<'a>);

impl Fold for ListingFold<'_> {
    type Part = (Summary, Vec<MatchLine>);

    fn fold(&self, input: u32, path: &str, matches: &mut Matches<'_>) -> Self::Part {
        let mut hits = Vec::new();
        let summary = self.0.fold_seeing(input, path, matches, &mut |m| {
            if let Some(line) = match_line(self.0.0, path, m) {
                hits.push((m.seq, line));
            }
        });
        (summary, listed(hits))
    }

    fn shift_lines(&self, (summary, listed): &mut Self::Part, lines: u64) {
        summary.shift_lines(lines);
        for line in listed {
            line.line += lines;
        }
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
        timestamp: m.stamp.as_ref().map(ToString::to_string),
        rule: rule.id.clone(),
        class: rule.class.clone(),
        severity: rule.severity,
        rules: vec![MatchedRule {
            rule: rule.id.clone(),
            class: rule.class.clone(),
            severity: rule.severity,
        }],
        text: m.text.clone(),
        origin: m.origin.clone(),
    })
}

/// The rule matches of one piece (with their reading positions) in file
/// order (a document exported newest first is scanned oldest first), one
/// entry per message line with every rule that matched it, the most severe
/// first.
fn listed(mut hits: Vec<(u64, MatchLine)>) -> Vec<MatchLine> {
    // Stable: rules of one line keep the order they matched in.
    hits.sort_by_key(|(seq, line)| (line.line, *seq));
    let mut lines: Vec<MatchLine> = Vec::with_capacity(hits.len());
    // A line is one message line: a record's traceback lines stay apart.
    let mut last_at = None;
    for (seq, line) in hits {
        let at = Some((line.line, seq, line.text.clone()));
        match lines.last_mut() {
            Some(last) if last_at == at => {
                if line.severity > last.severity {
                    (last.rule, last.class, last.severity) =
                        (line.rule.clone(), line.class.clone(), line.severity);
                }
                for hit in line.rules {
                    if !last.rules.iter().any(|r| r.rule == hit.rule) {
                        last.rules.push(hit);
                    }
                }
            }
            _ => {
                last_at = at;
                lines.push(line);
            }
        }
    }
    for line in &mut lines {
        // Most severe first; stable, so equals keep the order they matched in.
        line.rules.sort_by_key(|r| std::cmp::Reverse(r.severity));
    }
    lines
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
        keep: Keep,
        progress: &'a (dyn Fn(u64) + Sync),
        print: &'a mut dyn FnMut(Vec<MatchLine>),
    ) -> Self {
        MatchSink {
            inner: SummarySink::new(pack, keep, progress),
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
        ListingFold(self.inner.folder())
    }

    fn consume(&mut self, (summary, lines): (Summary, Vec<MatchLine>)) {
        self.inner.consume(summary);
        (self.print)(lines);
    }

    fn context(&mut self, input: u32, held: &dyn Surroundings, eof: bool) {
        self.inner.context(input, held, eof);
    }

    fn progress(&self, bytes: u64) {
        self.inner.progress(bytes);
    }
}
