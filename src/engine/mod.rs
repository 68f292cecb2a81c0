//! The engine: a compiled rule pack and options, and the one way inputs
//! (paths, readers, byte slices) become a [`Summary`] and a [`Report`]. The
//! `scan` and `tail` commands and library callers all drive it; input
//! ordering (which determinism depends on), the thread pool's work and
//! redaction happen here, not in the callers.

mod drive;
mod sink;

use std::io::Read;
use std::sync::Arc;

use rayon::prelude::*;

use crate::analyze::model::MatchLine;
use crate::analyze::summary::{ContextLines, Summary};
use crate::analyze::{InputProblem, ProblemKind, Report, analyze};
use crate::distributed::ByteRange;
use crate::input::format::LogFormat;
use crate::input::source::{Input, Opened, expand};
use crate::input::when::TimeWindow;
use crate::report::redact::redact_report;
use crate::rules::RulePack;
use crate::scan::{Matcher, ScanOptions};
pub(crate) use drive::{DriveOptions, Fold, Outcome, Sink, drive_input, drive_opened};
pub(crate) use sink::{Keep, MatchSink, SummarySink, match_line};

/// Whether regular files are memory-mapped.
///
/// Mapping is the fastest way to read a large file, but a mapped file that
/// shrinks while it is read (log rotation with `copytruncate`) raises
/// `SIGBUS`. [`MmapChoice::Guarded`] maps files and installs a process-wide
/// `SIGBUS` handler that turns such a fault into a reported problem; it is
/// the caller's choice because a handler is process-wide state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MmapChoice {
    /// Read every file as a stream (no maps, no signal handler).
    #[default]
    Never,
    /// Map regular files under the SIGBUS guard.
    Guarded,
}

/// Context lines before evidence by default: enough for the line that
/// names what failed (a pydantic field name, the pod near `OOMKilled`).
pub const DEFAULT_CONTEXT_BEFORE: usize = 2;
/// Context lines after evidence by default (Postgres's `DETAIL:` line).
pub const DEFAULT_CONTEXT_AFTER: usize = 3;

/// How the engine reads and reports.
#[derive(Debug, Clone)]
pub struct Options {
    /// The log format of every input; [`LogFormat::Auto`] detects it per input.
    pub input_format: LogFormat,
    /// Whether to memory-map regular files.
    pub mmap: MmapChoice,
    /// Scan inputs that look binary (NUL bytes in the first 8 KiB) instead
    /// of skipping them.
    pub binary: bool,
    /// Mask secrets (tokens, keys, passwords in URLs) in reports.
    pub redact: bool,
    /// Bytes per parallel chunk; results never depend on it.
    pub chunk_size: usize,
    /// Context lines kept before each piece of evidence (as `grep -B`).
    pub context_before: usize,
    /// Context lines kept after each piece of evidence (as `grep -A`).
    pub context_after: usize,
    /// The incident window: only matches written inside it count.
    pub window: TimeWindow,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            input_format: LogFormat::Auto,
            mmap: MmapChoice::Never,
            binary: false,
            redact: true,
            chunk_size: ScanOptions::default().chunk_size,
            context_before: DEFAULT_CONTEXT_BEFORE,
            context_after: DEFAULT_CONTEXT_AFTER,
            window: TimeWindow::default(),
        }
    }
}

/// What scanning produced: the summary, and the inputs that could not be
/// (fully) read or were skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// The bounded, mergeable summary of every input.
    pub summary: Summary,
    /// Inputs that could not be (fully) read, or were skipped.
    pub problems: Vec<InputProblem>,
}

impl Scan {
    /// Combines with the scan of a later piece of the same inputs (inputs
    /// numbered alike: chunks, files of one call, increments).
    pub(crate) fn merge(&mut self, later: Scan) {
        self.summary.merge(later.summary);
        self.problems.extend(later.problems);
    }

    /// Appends a scan made on its own (another call, another thread or
    /// machine): its inputs are taken to follow this scan's. The result is
    /// the scan of both sets of inputs, bounded like each of them.
    ///
    /// ```
    /// use faultline::{Engine, Options};
    ///
    /// let engine = Engine::with_default_rules(Options::default()).expect("pack loads");
    /// let mut scan = engine.scan_bytes("api.log", b"KeyError: 'DATABASE_URL'\n");
    /// scan.append(engine.scan_bytes("worker.log", b"ModuleNotFoundError: No module named 'yaml'\n"));
    /// let report = engine.report(&scan);
    /// assert_eq!(report.stats.files, 2);
    /// assert_eq!(report.findings.len(), 2);
    /// ```
    pub fn append(&mut self, mut later: Scan) {
        later.summary.shift_inputs(self.summary.next_input());
        self.merge(later);
    }
}

/// The scan of expanded inputs: the problems met while expanding first,
/// and, when nothing at all could be read, a problem that says so.
pub(crate) fn finish(errors: Vec<InputProblem>, scanned: Scan, read: usize) -> Scan {
    let mut scan = Scan {
        summary: Summary::default(),
        problems: errors,
    };
    scan.merge(scanned);
    if read == 0 {
        scan.problems.push(InputProblem {
            path: "<inputs>".to_string(),
            message: "no input could be read, so nothing was checked".to_string(),
            kind: ProblemKind::Error,
        });
    }
    scan
}

/// A rule pack compiled for matching, with options.
///
/// ```
/// use faultline::{Engine, Options};
///
/// let engine = Engine::with_default_rules(Options::default()).expect("the embedded pack loads");
/// let log = b"INFO starting\nModuleNotFoundError: No module named 'orchestrator.persistence'\n";
/// let report = engine.report(&engine.scan_bytes("app.log", log));
/// assert_eq!(report.root_causes[0].class, "module-not-found");
/// ```
pub struct Engine {
    pack: Arc<RulePack>,
    matcher: Matcher,
    options: Options,
}

impl Engine {
    /// An engine over a loaded rule pack.
    pub fn new(pack: RulePack, options: Options) -> Engine {
        let pack = Arc::new(pack);
        Engine {
            matcher: Matcher::new(Arc::clone(&pack)),
            pack,
            options,
        }
    }

    /// An engine over the rule pack built into the binary.
    pub fn with_default_rules(options: Options) -> Result<Engine, Vec<crate::rules::Diagnostic>> {
        let sources = crate::rules::RuleSources::new(&[], false)?;
        let loaded = crate::rules::load(&sources)?;
        Ok(Engine::new(loaded.pack, options))
    }

    /// The rule pack.
    pub fn pack(&self) -> &RulePack {
        &self.pack
    }

    pub(crate) fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    pub(crate) fn scan_options(&self) -> ScanOptions {
        ScanOptions {
            chunk_size: self.options.chunk_size,
        }
    }

    /// The context lines evidence keeps.
    pub(crate) fn context_lines(&self) -> ContextLines {
        Keep::of(&self.options).lines
    }

    pub(crate) fn keep(&self) -> Keep {
        Keep::of(&self.options)
    }

    pub(crate) fn drive_options(&self) -> DriveOptions {
        DriveOptions {
            format: self.options.input_format,
            scan: self.scan_options(),
            binary: self.options.binary,
            mmap: self.options.mmap,
            range: None,
        }
    }

    /// Scans files, directories (recursively), globs and `-` (stdin), in
    /// parallel. Inputs are sorted and deduplicated first, so the result
    /// does not depend on the order they were named in. When no input could
    /// be read at all, the scan says so as an error problem: an empty result
    /// is never an all-clear.
    pub fn scan_paths<S: AsRef<str>>(&self, paths: &[S]) -> Scan {
        self.scan_paths_with_progress(paths, &|_| {})
    }

    /// [`Engine::scan_paths`], calling `progress` with each batch of bytes read.
    pub(crate) fn scan_paths_with_progress<S: AsRef<str>>(
        &self,
        paths: &[S],
        progress: &(dyn Fn(u64) + Sync),
    ) -> Scan {
        let (inputs, errors) = self.inputs(paths);
        let (scanned, read) = inputs
            .par_iter()
            .enumerate()
            .map(|(index, input)| {
                let mut sink = SummarySink::new(&self.pack, self.keep(), progress);
                let outcome = self.drive(index, input, None, &mut sink);
                let read = usize::from(outcome.read());
                (sink.finish(index as u32, &input.0.display(), outcome), read)
            })
            .reduce(
                || (Scan::default(), 0),
                |(mut earlier, a), (later, b)| {
                    earlier.merge(later);
                    (earlier, a + b)
                },
            );
        finish(errors, scanned, read)
    }

    /// Scans inputs one after the other (each still in parallel chunks),
    /// handing every rule match to `print` in input order as its piece is
    /// scanned: grep-like output in constant memory.
    pub(crate) fn scan_paths_listing<S: AsRef<str>>(
        &self,
        paths: &[S],
        progress: &(dyn Fn(u64) + Sync),
        print: &mut dyn FnMut(Vec<MatchLine>),
    ) -> Scan {
        let (inputs, errors) = self.inputs(paths);
        let mut scanned = Scan::default();
        let mut read = 0;
        for (index, input) in inputs.iter().enumerate() {
            let mut sink = MatchSink::new(&self.pack, self.keep(), progress, &mut *print);
            let outcome = self.drive(index, input, None, &mut sink);
            read += usize::from(outcome.read());
            scanned.merge(sink.finish(index as u32, &input.0.display(), outcome));
        }
        finish(errors, scanned, read)
    }

    /// Scans one expanded input (or only a byte range of it); one the user
    /// named is scanned even when it looks binary (crashed nodes leave NUL
    /// runs in logs), as grep does.
    pub(crate) fn drive<S: Sink>(
        &self,
        index: usize,
        (input, named): &(Input, bool),
        range: Option<ByteRange>,
        sink: &mut S,
    ) -> Outcome {
        let mut options = self.drive_options();
        options.binary |= named;
        options.range = range;
        drive_input(&self.matcher, index as u32, input, options, sink)
    }

    /// Expands, sorts and deduplicates paths, each with whether the user
    /// named it (rather than a directory or glob holding it); problems for
    /// those that name nothing.
    pub(crate) fn inputs<S: AsRef<str>>(
        &self,
        paths: &[S],
    ) -> (Vec<(Input, bool)>, Vec<InputProblem>) {
        let args: Vec<String> = paths.iter().map(|p| p.as_ref().to_string()).collect();
        let (inputs, errors) = expand(&args);
        let named = |input: &Input| match input {
            Input::Stdin => true,
            Input::Path(path) => args.iter().any(|a| std::path::Path::new(a) == path),
        };
        let mut inputs: Vec<(Input, bool)> = inputs
            .into_iter()
            .map(|input| {
                let named = named(&input);
                (input, named)
            })
            .collect();
        // The report must not depend on the order inputs were named in (nor on
        // naming one twice): ties in the timeline are broken by input order.
        inputs.sort();
        inputs.dedup_by(|later, earlier| {
            earlier.1 |= later.1;
            later.0 == earlier.0
        });
        // Sorted too, so that the partials of a split scan (which each
        // record them) merge into the same report.
        let mut problems: Vec<InputProblem> = errors
            .into_iter()
            .map(|e| InputProblem {
                path: e.path,
                message: e.message,
                kind: ProblemKind::Error,
            })
            .collect();
        problems.sort_by(|a, b| (&a.path, &a.message).cmp(&(&b.path, &b.message)));
        problems.dedup();
        (inputs, problems)
    }

    /// Scans one stream (read in bounded blocks) named `name` in reports.
    pub fn scan_reader(&self, name: &str, reader: impl Read + Send + 'static) -> Scan {
        self.scan_opened(name, Opened::Stream(Box::new(reader)))
    }

    /// Scans bytes already in memory, named `name` in reports.
    pub fn scan_bytes(&self, name: &str, bytes: &[u8]) -> Scan {
        self.scan_opened(name, Opened::Bytes(bytes.to_vec()))
    }

    fn scan_opened(&self, name: &str, opened: Opened) -> Scan {
        let mut sink = SummarySink::new(&self.pack, self.keep(), &|_| {});
        let outcome = drive_opened(
            &self.matcher,
            0,
            name,
            opened,
            self.drive_options(),
            &mut sink,
        );
        sink.finish(0, name, outcome)
    }

    /// The report of a scan (secrets masked unless the options say not to).
    pub fn report(&self, scan: &Scan) -> Report {
        let mut report = analyze(&self.pack, &scan.summary, scan.problems.clone());
        if self.options.redact {
            redact_report(&mut report);
        }
        report
    }
}
