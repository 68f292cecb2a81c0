//! Which part of the inputs one worker scans: a shard of the files
//! (`--shard I/N`) or a byte range of one file (`--range START-END`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::hash::fnv1a;
use crate::input::source::Input;
use crate::scan::Region;

/// Shard `index` of `count` (0-based, like a Kubernetes Indexed Job's
/// `JOB_COMPLETION_INDEX`): the inputs whose path hashes to `index`.
///
/// The hash is FNV-1a (64 bit) of the path's bytes as named (after
/// directories and globs are expanded), modulo `count`: every worker
/// computes the same shares without talking to the others, on any machine,
/// provided they name the inputs alike (`logs/a.log` and `./logs/a.log`
/// are different paths).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Shard {
    /// Which shard, from 0.
    pub index: u32,
    /// How many shards the inputs are split into.
    pub count: u32,
}

impl Shard {
    /// The shard an input belongs to (stdin always to shard 0).
    pub(crate) fn of(input: &Input, count: u32) -> u32 {
        match input {
            Input::Stdin => 0,
            Input::Path(path) => {
                (fnv1a(path.as_os_str().as_encoded_bytes()) % u64::from(count)) as u32
            }
        }
    }

    pub(crate) fn owns(&self, input: &Input) -> bool {
        Shard::of(input, self.count) == self.index
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Shard, String> {
        let usage = || format!("`{text}` is not a shard: expected I/N with 0 <= I < N, e.g. 3/8");
        let (index, count) = text.split_once('/').ok_or_else(usage)?;
        let index: u32 = index.trim().parse().map_err(|_| usage())?;
        let count: u32 = count.trim().parse().map_err(|_| usage())?;
        if index >= count {
            return Err(usage());
        }
        Ok(Shard { index, count })
    }
}

/// Bytes `start..end` of one file (`end` `None`: to its end). A line
/// belongs to the range its first byte is in, so ranges that meet
/// (`0-1000`, `1000-2000`, `2000-`) scan every line exactly once, wherever
/// the boundaries fall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ByteRange {
    /// The first byte.
    pub start: u64,
    /// The byte after the last (`None`: the end of the file).
    pub end: Option<u64>,
}

impl ByteRange {
    /// The lines of `buf` this range holds, with the count of lines before them.
    pub(crate) fn region(&self, buf: &[u8]) -> Region {
        let start = line_start_from(buf, self.start);
        let end = self
            .end
            .map_or(buf.len(), |end| line_start_from(buf, end))
            .max(start);
        Region {
            bytes: start..end,
            lines_before: bytecount::count(&buf[..start], b'\n') as u64,
        }
    }

    /// The end, for a file of `size` bytes.
    pub(crate) fn end_in(&self, size: u64) -> u64 {
        self.end.unwrap_or(size).min(size).max(self.start.min(size))
    }
}

/// The first line start at or after byte `at`.
fn line_start_from(buf: &[u8], at: u64) -> usize {
    let at = usize::try_from(at).unwrap_or(usize::MAX).min(buf.len());
    if at == 0 || at == buf.len() || buf[at - 1] == b'\n' {
        return at;
    }
    memchr::memchr(b'\n', &buf[at..]).map_or(buf.len(), |i| at + i + 1)
}

impl fmt::Display for ByteRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.end {
            Some(end) => write!(f, "{}-{end}", self.start),
            None => write!(f, "{}-", self.start),
        }
    }
}

impl FromStr for ByteRange {
    type Err = String;

    fn from_str(text: &str) -> Result<ByteRange, String> {
        let usage = || {
            format!(
                "`{text}` is not a byte range: expected START-END or START- (bytes, END exclusive), e.g. 0-1073741824"
            )
        };
        let (start, end) = text.split_once('-').ok_or_else(usage)?;
        let start: u64 = start.trim().parse().map_err(|_| usage())?;
        let end: Option<u64> = match end.trim() {
            "" => None,
            end => Some(end.parse().map_err(|_| usage())?),
        };
        if end.is_some_and(|end| end < start) {
            return Err(usage());
        }
        Ok(ByteRange { start, end })
    }
}

/// What one partial scan covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Share {
    /// Every input named.
    #[default]
    All,
    /// The inputs of one shard.
    Shard(Shard),
    /// A byte range of the one file named.
    Range(ByteRange),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_refuse_nonsense() {
        assert_eq!("3/8".parse(), Ok(Shard { index: 3, count: 8 }));
        for bad in ["8/8", "1", "a/2", "-1/2", "0/0", "1/"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn every_input_is_in_exactly_one_shard() {
        let inputs: Vec<Input> = (0..200)
            .map(|i| Input::Path(format!("logs/app-{i}.log").into()))
            .collect();
        for count in [1, 2, 3, 8] {
            let mut sizes = vec![0; count as usize];
            for input in &inputs {
                let owners: Vec<u32> = (0..count)
                    .filter(|&index| Shard { index, count }.owns(input))
                    .collect();
                assert_eq!(owners.len(), 1);
                sizes[owners[0] as usize] += 1;
            }
            assert!(
                sizes.iter().all(|&n| n > 0),
                "200 paths reach every one of {count} shards: {sizes:?}"
            );
        }
        // The documented hash: FNV-1a 64 of the path bytes, modulo N.
        let path = Input::Path("logs/app-0.log".into());
        let expected = (fnv1a(b"logs/app-0.log") % 8) as u32;
        assert!(
            Shard {
                index: expected,
                count: 8
            }
            .owns(&path)
        );
    }

    #[test]
    fn ranges_parse() {
        assert_eq!(
            "10-20".parse(),
            Ok(ByteRange {
                start: 10,
                end: Some(20)
            })
        );
        assert_eq!(
            "10-".parse(),
            Ok(ByteRange {
                start: 10,
                end: None
            })
        );
        for bad in ["20-10", "x-1", "10", ""] {
            assert!(bad.parse::<ByteRange>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_line_belongs_to_the_range_its_first_byte_is_in() {
        let buf = b"aaa\nbbb\nccc\nddd";
        let region = |start, end| ByteRange { start, end }.region(buf);
        // Byte 4 starts "bbb": the range from 4 holds it.
        assert_eq!(region(4, Some(8)).bytes, 4..8);
        assert_eq!(region(4, Some(8)).lines_before, 1);
        // Byte 5 is inside "bbb": it belongs to the range before.
        assert_eq!(region(0, Some(5)).bytes, 0..8);
        assert_eq!(region(5, Some(13)).bytes, 8..15);
        assert_eq!(region(5, Some(13)).lines_before, 2);
        assert_eq!(region(13, None).bytes, 15..15);
        // Meeting ranges tile the buffer whatever the cut points.
        for cut in 0..=buf.len() as u64 {
            let (a, b) = (region(0, Some(cut)), region(cut, None));
            assert_eq!(
                (a.bytes.start, a.bytes.end),
                (0, b.bytes.start),
                "cut {cut}"
            );
            assert_eq!(b.bytes.end, buf.len());
        }
    }
}
