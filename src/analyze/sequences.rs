//! Sequence runs: milestone matches in timeline order become runs; a
//! restart (the first milestone again) opens a new run, and a correlation
//! capture keeps interleaved runs apart.

use std::collections::HashMap;

use crate::rules::{RulePack, Sequence};
use crate::scan::Target;

use super::timeline::Event;

/// A run while it is being built: for each step, the index of the event that
/// reached it.
#[derive(Debug, Clone)]
pub struct RunTrace {
    pub sequence: usize,
    pub key: Option<String>,
    pub reached: Vec<Option<usize>>,
    /// Steps reached only after a later step.
    pub out_of_order: Vec<usize>,
    /// Timeline index of the first and last milestone events.
    pub first_event: usize,
    pub last_event: usize,
    /// Closed by a restart before completing.
    pub restarted: bool,
}

impl RunTrace {
    /// The first step this run reached. Steps before it were not in the log
    /// (it began mid-sequence), which is not the same as missing.
    fn entry(&self) -> usize {
        self.reached.iter().position(Option::is_some).unwrap_or(0)
    }

    pub fn complete(&self) -> bool {
        self.first_missing().is_none()
    }

    pub fn first_missing(&self) -> Option<usize> {
        let entry = self.entry();
        self.reached[entry..]
            .iter()
            .position(Option::is_none)
            .map(|i| entry + i)
    }

    /// The last step reached (in step order) before timeline index `event`.
    pub fn last_reached_before(&self, event: usize) -> Option<usize> {
        self.reached
            .iter()
            .rposition(|r| r.is_some_and(|e| e < event))
    }

    /// The first step not reached before timeline index `event`.
    pub fn first_missing_at(&self, event: usize) -> Option<usize> {
        let entry = self.entry();
        self.reached[entry..]
            .iter()
            .position(|r| r.is_none_or(|e| e > event))
            .map(|i| entry + i)
    }
}

/// What keeps runs apart: the correlation capture, or else the pod and file
/// (two files are two processes unless a run id says otherwise).
fn correlation_key(sequence: &Sequence, event: &Event) -> Option<String> {
    match &sequence.correlate {
        Some(name) => event
            .m
            .captures
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone()),
        None => Some(match &event.m.meta.origin.pod {
            Some(pod) => format!("{pod} {}", event.path),
            None => event.path.to_string(),
        }),
    }
}

/// Traces every run of every sequence through the timeline.
pub fn trace(pack: &RulePack, events: &[Event]) -> Vec<RunTrace> {
    let mut runs: Vec<RunTrace> = Vec::new();
    // The open run per (sequence, key), and the latest run per sequence (for
    // milestone lines of a correlated sequence that lack the key).
    let mut open_runs: HashMap<(usize, Option<String>), usize> = HashMap::new();
    let mut latest: HashMap<usize, usize> = HashMap::new();
    for (index, event) in events.iter().enumerate() {
        let Target::Milestone { sequence, step } = event.m.target else {
            continue;
        };
        let spec = &pack.sequences[sequence];
        let key = correlation_key(spec, event);
        let open = match (&key, &spec.correlate) {
            (None, Some(_)) => latest.get(&sequence).copied(),
            _ => open_runs.get(&(sequence, key.clone())).copied(),
        };
        let restart =
            step == 0 && spec.restart && open.is_some_and(|r| runs[r].reached[0].is_some());
        let run = match open {
            Some(r) if !restart => r,
            _ => {
                if let Some(r) = open
                    && !runs[r].complete()
                {
                    runs[r].restarted = true;
                }
                runs.push(RunTrace {
                    sequence,
                    key: key.clone(),
                    reached: vec![None; spec.milestones.len()],
                    out_of_order: Vec::new(),
                    first_event: index,
                    last_event: index,
                    restarted: false,
                });
                let r = runs.len() - 1;
                open_runs.insert((sequence, key.clone()), r);
                latest.insert(sequence, r);
                r
            }
        };
        let trace = &mut runs[run];
        if trace.reached[step].is_some() {
            continue;
        }
        if trace.reached[step + 1..].iter().any(Option::is_some) {
            trace.out_of_order.push(step);
        }
        trace.reached[step] = Some(index);
        trace.last_event = index;
    }
    runs
}
