//! Unrecognised errors: error lines that no signature matched, mined into
//! templates so that a failure nobody wrote a rule for still surfaces.
//!
//! Drain-style, but mergeable: a line is split into tokens, and tokens that
//! vary between occurrences of one message (numbers, ids, hex, paths,
//! quoted values, `key=value` values) are masked to `<*>`. Lines with the
//! same token count and the same first [`DEPTH`] masked tokens form one
//! group (the prefix tree's leaf); the group's template keeps a token where
//! every member agrees and masks it where they differ (Drain's similarity
//! step, taken as the positional meet of the members, so that grouping
//! never depends on the order lines arrive in). Group ids are a stable hash
//! of the leaf key: the same across runs, thread counts and machines.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::summary::{Mark, Order};
use crate::hash::Fnv1a;
use crate::input::meta::Origin;

/// Leading masked tokens that, with the token count, key a group.
const DEPTH: usize = 3;
/// Groups kept per summary (the earliest first seen); lines of others are counted.
pub(crate) const MAX_TEMPLATES: usize = 256;
/// Origins remembered per group.
const MAX_ORIGINS: usize = 8;
/// Tokens looked at per line.
const MAX_TOKENS: usize = 64;
/// What a masked token becomes.
pub(crate) const WILDCARD: &str = "<*>";

/// One group of unrecognised error lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Group {
    /// The template: tokens all members share, `<*>` where they differ.
    pub tokens: Vec<String>,
    pub count: u64,
    /// The first member on the timeline (shown as the example).
    pub first: Mark,
    pub last: Order,
    /// The last member's line, for reports.
    pub last_line: u64,
    pub origins: BTreeSet<Origin>,
}

impl Group {
    /// The template as text.
    pub fn text(&self) -> String {
        self.tokens.join(" ")
    }

    fn merge(&mut self, other: Group) {
        for (mine, theirs) in self.tokens.iter_mut().zip(&other.tokens) {
            if mine != theirs {
                *mine = WILDCARD.to_string();
            }
        }
        self.count += other.count;
        if other.first.order < self.first.order {
            self.first = other.first;
        }
        if other.last > self.last {
            self.last = other.last;
            self.last_line = other.last_line;
        }
        // The first MAX_ORIGINS in order, whatever order pieces merge in.
        self.origins.extend(other.origins);
        while self.origins.len() > MAX_ORIGINS {
            self.origins.pop_last();
        }
    }
}

/// The mined groups of a summary.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) struct Templates {
    pub groups: BTreeMap<u64, Group>,
    /// Lines whose group was not kept (past [`MAX_TEMPLATES`]).
    pub overflow: u64,
}

impl Templates {
    /// Adds one unrecognised error line. The common case, a line of a
    /// known group, allocates nothing.
    pub(crate) fn add(&mut self, mark: Mark) {
        let tokens: Vec<std::borrow::Cow<str>> = masked(&mark.text).collect();
        if tokens.is_empty() {
            return;
        }
        let id = group_id(tokens.len(), tokens.iter().take(DEPTH).cloned());
        if let Some(group) = self.groups.get_mut(&id) {
            for (mine, theirs) in group.tokens.iter_mut().zip(&tokens) {
                if *mine != **theirs && mine != WILDCARD {
                    *mine = WILDCARD.to_string();
                }
            }
            group.count += 1;
            if mark.order > group.last {
                group.last = mark.order;
                group.last_line = mark.line;
            }
            if !group.origins.contains(&mark.origin) {
                group.origins.insert(mark.origin.clone());
                while group.origins.len() > MAX_ORIGINS {
                    group.origins.pop_last();
                }
            }
            if mark.order < group.first.order {
                group.first = mark;
            }
            return;
        }
        let group = Group {
            tokens: tokens.into_iter().map(|t| t.into_owned()).collect(),
            count: 1,
            last: mark.order,
            last_line: mark.line,
            origins: BTreeSet::from([mark.origin.clone()]),
            first: mark,
        };
        self.merge(Templates {
            groups: BTreeMap::from([(id, group)]),
            overflow: 0,
        });
    }

    /// Combines with the templates of another piece (in any order).
    pub(crate) fn merge(&mut self, other: Templates) {
        self.overflow += other.overflow;
        for (id, group) in other.groups {
            match self.groups.get_mut(&id) {
                Some(known) => known.merge(group),
                None => {
                    self.groups.insert(id, group);
                }
            }
        }
        if self.groups.len() > MAX_TEMPLATES {
            // Keep the groups seen first: a group kept in the whole is kept
            // in every piece that holds its first line.
            let mut by_first: Vec<(Order, u64)> = self
                .groups
                .iter()
                .map(|(id, g)| (g.first.order, *id))
                .collect();
            by_first.sort_unstable();
            for (_, id) in by_first.into_iter().skip(MAX_TEMPLATES) {
                if let Some(dropped) = self.groups.remove(&id) {
                    self.overflow += dropped.count;
                }
            }
        }
    }

    /// Groups, most frequent first (then first seen).
    pub(crate) fn ranked(&self) -> Vec<(u64, &Group)> {
        let mut ranked: Vec<(u64, &Group)> = self.groups.iter().map(|(id, g)| (*id, g)).collect();
        ranked.sort_by_key(|(_, g)| (std::cmp::Reverse(g.count), g.first.order));
        ranked
    }
}

/// Whether a token varies between occurrences of one message.
fn variable(token: &str) -> bool {
    let core = token.trim_matches(|c: char| {
        matches!(c, ',' | ';' | '.' | ':' | ')' | '(' | '[' | ']' | '{' | '}')
    });
    core.bytes().any(|b| b.is_ascii_digit())
        || core.starts_with('/')
        || core.contains("://")
        || (core.len() >= 2
            && ((core.starts_with('\'') && core.ends_with('\''))
                || (core.starts_with('"') && core.ends_with('"'))))
}

/// The message's tokens with variable ones masked.
fn masked(message: &str) -> impl Iterator<Item = std::borrow::Cow<'_, str>> {
    use std::borrow::Cow;
    message
        .split_whitespace()
        .take(MAX_TOKENS)
        .map(|token| match token.split_once('=') {
            Some((key, value)) if !key.is_empty() && variable(value) => {
                Cow::Owned(format!("{key}={WILDCARD}"))
            }
            _ if variable(token) => Cow::Borrowed(WILDCARD),
            _ => Cow::Borrowed(token),
        })
}

/// FNV-1a over the leaf key (token count, first DEPTH tokens): stable
/// everywhere, unlike the standard library's hasher.
fn group_id<'a>(count: usize, leading: impl Iterator<Item = std::borrow::Cow<'a, str>>) -> u64 {
    let mut hash = Fnv1a::default();
    hash.write(&(count as u64).to_le_bytes());
    for token in leading {
        hash.write_field(&token);
    }
    hash.finish()
}

/// The leaf key's id of a message.
#[cfg(test)]
fn id_of(message: &str) -> u64 {
    group_id(masked(message).count(), masked(message).take(DEPTH))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(text: &str, line: u64) -> Mark {
        Mark {
            order: Order {
                nanos: None,
                input: 0,
                pos: line,
            },
            line,
            text: text.to_string(),
            stamp: None,
            origin: Origin::default(),
            captures: crate::scan::Captures::default(),
            traceback: Vec::new(),
            before: Vec::new(),
            around: None,
        }
    }

    /// A labelled set: lines generated from known message shapes with
    /// random-looking variables. Every shape must be one group, and no
    /// group may hold two shapes.
    #[test]
    fn groups_generated_messages_by_their_shape() {
        let shapes: [&dyn Fn(u64) -> String; 6] = [
            &|i| {
                format!(
                    "ERROR payment gateway rejected charge ch_{i:x}9f for customer {i} (code 4{i})"
                )
            },
            &|i| format!("ERROR worker {i} lost lease on shard /var/lib/shards/{i}.db after {i}ms"),
            &|i| format!("FATAL could not open config '/etc/app/{i}.toml': permission denied"),
            &|i| {
                format!(
                    "panic: runtime error: index out of range [{i}] with length {}",
                    i + 1
                )
            },
            &|i| {
                format!(
                    "ERROR upstream user-service returned status=50{} for request id={i}",
                    i % 4
                )
            },
            &|i| {
                format!(
                    "CRITICAL cache warmup aborted: {i} keys pending, retry in {}s",
                    i % 60
                )
            },
        ];
        let mut templates = Templates::default();
        let mut label_of_group: BTreeMap<u64, usize> = BTreeMap::new();
        let mut line = 0;
        for round in 0..200u64 {
            for (label, shape) in shapes.iter().enumerate() {
                line += 1;
                let text = shape(round * 7919 + label as u64);
                let id = id_of(&text);
                let known = *label_of_group.entry(id).or_insert(label);
                assert_eq!(known, label, "a group holds two shapes: {text}");
                templates.add(mark(&text, line));
            }
        }
        assert_eq!(templates.groups.len(), shapes.len(), "one group per shape");
        assert!(templates.groups.values().all(|g| g.count == 200));
        let texts: Vec<String> = templates.groups.values().map(Group::text).collect();
        assert!(
            texts.contains(&"FATAL could not open config <*> permission denied".to_string()),
            "{texts:?}"
        );
    }

    /// Measurement, not a check (run with `cargo test --release --lib
    /// miner_speed -- --ignored --nocapture`): error lines mined per second
    /// on one thread.
    #[test]
    #[ignore]
    fn miner_speed() {
        let lines: Vec<Mark> = (0..1_000_000u64)
            .map(|i| {
                let text = match i % 4 {
                    0 => format!("ERROR payment gateway rejected charge ch_{i:x} for customer {i}"),
                    1 => format!("ERROR worker {i} lost lease on shard /var/lib/shards/{i}.db"),
                    2 => format!(
                        "FATAL could not open config '/etc/app/{i}.toml': permission denied"
                    ),
                    _ => format!(
                        "ERROR upstream user-service returned status=503 for request id={i}"
                    ),
                };
                mark(&text, i + 1)
            })
            .collect();
        let started = std::time::Instant::now();
        let mut templates = Templates::default();
        for line in lines {
            templates.add(line);
        }
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "mined 1,000,000 error lines into {} groups in {seconds:.3} s: {:.2} M lines/s",
            templates.groups.len(),
            1.0 / seconds
        );
    }

    #[test]
    fn merging_is_order_independent_and_ids_are_stable() {
        let lines = [
            "ERROR job 17 failed: disk quota exceeded on /data/17",
            "ERROR job 4 failed: disk quota exceeded on /data/4",
            "ERROR cannot reach billing at 10.0.0.7:8443",
            "ERROR job 99 failed: disk quota exceeded on /srv/99",
        ];
        let fold = |order: &[usize]| {
            let mut t = Templates::default();
            for &i in order {
                t.add(mark(lines[i], i as u64 + 1));
            }
            t
        };
        let forward = fold(&[0, 1, 2, 3]);
        let mut merged = fold(&[2, 3]);
        merged.merge(fold(&[0, 1]));
        assert_eq!(forward, merged);
        assert_eq!(forward.groups.len(), 2);
        assert_eq!(
            id_of(lines[0]),
            id_of("ERROR job 123456 failed: disk quota exceeded on /x"),
        );
    }
}
