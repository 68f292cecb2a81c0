//! The map step: scanning one share of the inputs into a [`Partial`].

use rayon::prelude::*;

use super::partial::{Covered, Header, InputSet, Partial, PartialError, Piece};
use super::share::Share;
use crate::engine::{Engine, SummarySink};
use crate::hash::Fnv1a;
use crate::input::source::Input;

impl Engine {
    /// Scans one share of the inputs `paths` name into a partial: every
    /// input (`Share::All`), one shard of them, or a byte range of the one
    /// file named. A byte range needs the file mapped
    /// ([`MmapChoice::Guarded`](crate::MmapChoice::Guarded)).
    ///
    /// ```
    /// use faultline::{Engine, Options, Share};
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let log = dir.path().join("api.log");
    /// std::fs::write(&log, "KeyError: 'DATABASE_URL'\n").unwrap();
    /// let engine = Engine::with_default_rules(Options::default()).expect("pack loads");
    /// let partial = engine.scan_partial(&[log.to_str().unwrap()], Share::All).unwrap();
    /// let scan = engine.merge(vec![partial]).unwrap();
    /// assert_eq!(engine.report(&scan).findings.len(), 1);
    /// ```
    pub fn scan_partial<S: AsRef<str>>(
        &self,
        paths: &[S],
        share: Share,
    ) -> Result<Partial, PartialError> {
        let (inputs, errors) = self.inputs(paths);
        let set = input_set(&inputs);
        let range = match share {
            Share::Range(range) => match &inputs[..] {
                [(Input::Path(_), _)] => Some(range),
                [] if !errors.is_empty() => None, // the error says why
                _ => {
                    return Err(PartialError::Usage(format!(
                        "--range splits one file, but the paths name {} inputs",
                        inputs.len()
                    )));
                }
            },
            _ => None,
        };
        let mine: Vec<&(Input, bool)> = inputs
            .iter()
            .filter(|(input, _)| match share {
                Share::Shard(shard) => shard.owns(input),
                _ => true,
            })
            .collect();
        let pieces = mine
            .par_iter()
            .map(|&entry| {
                let (input, _) = entry;
                let mut sink = SummarySink::new(self.pack(), self.keep(), &|_| {});
                let outcome = self.drive(0, entry, range, &mut sink);
                let read = outcome.read();
                let (bytes, lines) = (outcome.totals.bytes, outcome.totals.lines);
                let path = input.display();
                let scan = sink.finish(0, &path, outcome);
                let covered = range.map(|range| {
                    let size = match input {
                        Input::Path(path) => std::fs::metadata(path).map_or(0, |m| m.len()),
                        Input::Stdin => 0,
                    };
                    Covered {
                        start: range.start.min(size),
                        end: range.end_in(size),
                        size,
                    }
                });
                Piece {
                    stdin: *input == Input::Stdin,
                    path,
                    range: covered,
                    bytes,
                    lines,
                    read,
                    problems: scan.problems,
                    summary: scan.summary,
                }
            })
            .collect();
        Ok(Partial {
            header: Header::current(self.pack().fingerprint()),
            share,
            inputs: set,
            errors,
            pieces,
            source: String::new(),
        })
    }
}

/// The inputs named, sorted, as a count and a hash.
fn input_set(inputs: &[(Input, bool)]) -> InputSet {
    let mut hash = Fnv1a::default();
    for (input, _) in inputs {
        match input {
            Input::Stdin => hash.write(&[1]),
            Input::Path(path) => {
                hash.write(path.as_os_str().as_encoded_bytes());
                hash.write(&[0]);
            }
        }
    }
    InputSet {
        count: inputs.len(),
        hash: format!("fnv1a64:{:016x}", hash.finish()),
    }
}
