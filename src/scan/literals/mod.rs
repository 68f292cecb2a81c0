//! Many-literal search: a bucketed shift-or filter, then an exact check of
//! the positions it lets through. The design follows Hyperscan's FDR.
//!
//! An Aho-Corasick DFA over the pack's ~1,500 needles is a transition table
//! of about 15 MB, far bigger than the caches, with one dependent lookup
//! per input byte: about 0.25 GB/s on this project's corpus. The filter
//! instead keeps, per *super character* (a byte and the byte after it),
//! one 64-bit mask: for each of 8 offsets into a literal and
//! each of 8 buckets of literals, whether that super character may appear
//! there. A shift and an OR per byte tell, 7 bytes later, whether some
//! bucket may have a literal starting at a position. It may let through
//! positions where no literal starts, never the reverse.
//!
//! Each position let through is checked exactly: the literals whose first
//! bytes hash like the input's are compared there. On 50 MB of the kubectl
//! corpus with the shipped pack, finding the first literal of each line
//! this way took a third of the DFA's time.
//!
//! On processors with AVX-512 the filter runs 32 positions a step
//! ([`wide`]): the same table and the same positions let through, without
//! the byte loop's chain of one shift and one OR per byte.
//!
//! Literals are bucketed by length: a bucket checks the first
//! `min(8, shortest literal in it)` bytes, so literals shorter than 8 get
//! buckets of their own and do not loosen the masks of the long ones.

#[cfg(target_arch = "x86_64")]
mod wide;

/// Offsets into a literal that the filter checks (one byte of the state each).
const WINDOW: usize = 8;
/// Buckets of literals (one bit of each state byte).
const BUCKETS: usize = 8;
/// Super characters: a byte and the next one, so a table of 512 KB.
const DOMAIN: usize = 1 << 16;

/// The super character at `byte`, followed by `next` (0 past the end): the
/// two bytes read as a little-endian `u16`, as the search loop reads them.
#[inline(always)]
fn super_char(byte: u8, next: u8) -> usize {
    usize::from(u16::from_le_bytes([byte, next]))
}

/// A set of literals to search for, as bytes, with ASCII letters matching in
/// either case when the set is built so.
pub(crate) struct Literals {
    filter: ShiftOr,
    texts: Vec<Box<[u8]>>,
    any_case: bool,
    /// Ids of the literals of at least [`KEY`] bytes, grouped by the hash
    /// of their first [`KEY`] bytes: group `h` is `ids[heads[h]..heads[h + 1]]`.
    heads: Box<[u32]>,
    ids: Box<[u32]>,
    /// Ids of the literals shorter than [`KEY`]: compared at every position.
    short: Vec<u32>,
}

/// Bytes of a literal's start that pick the literals compared at a position.
const KEY: usize = 4;
/// Hash bits of those bytes (groups of the table).
const KEY_BITS: u32 = 14;

impl Literals {
    /// The set of `texts` (each literal's id is its index). `None` when
    /// there is none, or one is empty and so would match everywhere.
    pub(crate) fn new(texts: &[&[u8]], any_case: bool) -> Option<Literals> {
        let filter = ShiftOr::new(texts, any_case)?;
        let key_of = |text: &[u8]| key_hash(text, any_case);
        let mut keyed: Vec<(usize, u32)> = Vec::new();
        let mut short = Vec::new();
        for (id, text) in texts.iter().enumerate() {
            let id = u32::try_from(id).ok()?;
            match text.get(..KEY) {
                Some(start) => keyed.push((key_of(start), id)),
                None => short.push(id),
            }
        }
        keyed.sort_unstable();
        let mut heads = vec![0u32; (1 << KEY_BITS) + 1];
        for &(hash, _) in &keyed {
            heads[hash + 1] += 1;
        }
        for i in 1..heads.len() {
            heads[i] += heads[i - 1];
        }
        Some(Literals {
            filter,
            texts: texts.iter().map(|t| Box::from(*t)).collect(),
            any_case,
            heads: heads.into_boxed_slice(),
            ids: keyed.into_iter().map(|(_, id)| id).collect(),
            short,
        })
    }

    /// Calls `found` with the start and id of every literal occurring in
    /// `hay` (once per occurrence), in order of position.
    pub(crate) fn for_each_in(&self, hay: &[u8], mut found: impl FnMut(usize, usize)) {
        let all_here = |at: usize| self.starting_at(hay, at).for_each(|id| found(at, id));
        #[cfg(target_arch = "x86_64")]
        if self.filter.wide {
            // SAFETY: `wide` is set only where `wide::available()` said so.
            unsafe { wide::candidates(&self.filter, hay, 0, all_here) };
            return;
        }
        self.filter.candidates(hay, 0).for_each(all_here);
    }

    /// The length in bytes of literal `id`.
    pub(crate) fn len_of(&self, id: usize) -> usize {
        self.texts[id].len()
    }

    /// The ids of the literals that start at `at`.
    fn starting_at<'a>(&'a self, hay: &'a [u8], at: usize) -> impl Iterator<Item = usize> + 'a {
        let rest = &hay[at.min(hay.len())..];
        let keyed: &[u32] = match rest.get(..KEY) {
            Some(start) => {
                let hash = key_hash(start, self.any_case);
                &self.ids[self.heads[hash] as usize..self.heads[hash + 1] as usize]
            }
            None => &[],
        };
        keyed
            .iter()
            .chain(&self.short)
            .map(|&id| id as usize)
            .filter(move |&id| {
                let text = &self.texts[id];
                rest.get(..text.len()).is_some_and(|here| {
                    if self.any_case {
                        here.eq_ignore_ascii_case(text)
                    } else {
                        same_bytes(here, text)
                    }
                })
            })
    }
}

/// Whether two slices hold the same bytes, compared eight at a time in
/// registers: literals are short, and most compared positions differ in
/// their first word, where a call to `memcmp` would cost more than the
/// comparison.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let (a_words, a_rest) = a.as_chunks::<8>();
    let (b_words, b_rest) = b.as_chunks::<8>();
    a.len() == b.len()
        && a_words
            .iter()
            .zip(b_words)
            .all(|(x, y)| u64::from_ne_bytes(*x) == u64::from_ne_bytes(*y))
        && a_rest == b_rest
}

/// The table group of a literal's (or the input's) first [`KEY`] bytes.
fn key_hash(start: &[u8], any_case: bool) -> usize {
    let word = start.iter().take(KEY).fold(0u32, |word, &byte| {
        let byte = if any_case {
            byte.to_ascii_lowercase()
        } else {
            byte
        };
        (word << 8) | u32::from(byte)
    });
    (word.wrapping_mul(0x9E37_79B1) >> (32 - KEY_BITS)) as usize
}

/// The filter: see the module docs.
struct ShiftOr {
    /// Per super character: bit `8 * offset + bucket` is clear when the
    /// character may appear at that offset of a literal of that bucket.
    reach: Box<[u64; DOMAIN]>,
    /// The mask for positions past the end of the input: offsets a bucket
    /// does not check stay open, the rest are closed.
    past_end: u64,
    /// Whether this processor runs the filter 32 positions a step
    /// ([`wide`]); searches of whole inputs then use it.
    #[cfg(target_arch = "x86_64")]
    wide: bool,
}

impl ShiftOr {
    /// Builds the filter for `literals` (ASCII letters match in either
    /// case when `any_case`). Returns `None` for no literal or an empty
    /// one, which would make every position a candidate.
    fn new(literals: &[&[u8]], any_case: bool) -> Option<ShiftOr> {
        if literals.is_empty() || literals.iter().any(|text| text.is_empty()) {
            return None;
        }
        let buckets = assign_buckets(literals);
        let mut reach = Box::new([u64::MAX; DOMAIN]);
        let mut past_end = u64::MAX;
        for (bucket, members) in buckets.iter().enumerate() {
            let Some(checked) = members.iter().map(|&i| literals[i].len().min(WINDOW)).min() else {
                continue;
            };
            // Offsets past what the bucket checks accept any character.
            for offset in checked..WINDOW {
                let bit = 1u64 << (8 * offset + bucket);
                past_end &= !bit;
                for mask in reach.iter_mut() {
                    *mask &= !bit;
                }
            }
            for &i in members {
                let text = literals[i];
                for offset in 0..checked {
                    let bit = 1u64 << (8 * offset + bucket);
                    // After a literal's last byte, any byte may follow.
                    let nexts: Vec<u8> = match text.get(offset + 1) {
                        Some(&next) => spellings(next, any_case),
                        None => (0..=u8::MAX).collect(),
                    };
                    for byte in spellings(text[offset], any_case) {
                        for &next in &nexts {
                            reach[super_char(byte, next)] &= !bit;
                        }
                    }
                }
            }
        }
        Some(ShiftOr {
            reach,
            past_end,
            #[cfg(target_arch = "x86_64")]
            wide: wide::available(),
        })
    }

    /// The positions at or after `from` where a literal may start, in
    /// order. Checking one and asking for the next keeps the scan's state,
    /// so a false candidate costs no re-reading.
    fn candidates<'a>(&'a self, hay: &'a [u8], from: usize) -> Candidates<'a> {
        Candidates {
            filter: self,
            hay,
            pos: from,
            // Every bit set: no literal starts before `from`.
            state: u64::MAX,
        }
    }
}

/// The iterator of [`ShiftOr::candidates`].
struct Candidates<'a> {
    filter: &'a ShiftOr,
    hay: &'a [u8],
    /// The next position to feed (up to [`LAG`] past the end). The top
    /// byte of `state` is all ones until `LAG` positions past the start
    /// have been fed, so a reported start is never before it.
    pos: usize,
    state: u64,
}

/// The state's top byte speaks for the position this many bytes back.
const LAG: usize = WINDOW - 1;

impl Iterator for Candidates<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        let (hay, reach) = (self.hay, &*self.filter.reach);
        let end = hay.len();
        let mut state = self.state;
        let mut pos = self.pos;
        // Every byte but the last has a next byte; the pair is read as one
        // 16-bit load, which is its super character. This loop is most of a
        // rules-only scan's time: 8 instructions a byte, against 12 with the
        // bytes read one by one (safe indexing did not become one load).
        let last = end.saturating_sub(1);
        while pos < last {
            // SAFETY: `pos + 1 < end == hay.len()`, so both bytes are in
            // `hay`; the read has no alignment requirement.
            let pair =
                u16::from_le(unsafe { hay.as_ptr().add(pos).cast::<u16>().read_unaligned() });
            state = (state << 8) | reach[usize::from(pair)];
            pos += 1;
            if state >> 56 != 0xFF {
                (self.state, self.pos) = (state, pos);
                return Some(pos - 1 - LAG);
            }
        }
        // The last byte (the loop stops at it, or `from` was past it), then
        // past the end until the last start is decided.
        while pos < end + LAG {
            state = (state << 8)
                | match hay.get(pos) {
                    Some(&byte) => reach[super_char(byte, 0)],
                    None => self.filter.past_end,
                };
            pos += 1;
            if state >> 56 != 0xFF {
                (self.state, self.pos) = (state, pos);
                return Some(pos - 1 - LAG);
            }
        }
        (self.state, self.pos) = (state, pos);
        None
    }
}

/// The bytes that spell `byte` (both cases of an ASCII letter when `any_case`).
fn spellings(byte: u8, any_case: bool) -> Vec<u8> {
    if any_case && byte.is_ascii_alphabetic() {
        vec![byte.to_ascii_lowercase(), byte.to_ascii_uppercase()]
    } else {
        vec![byte]
    }
}

/// Splits literals (by index) into [`BUCKETS`] groups. A bucket checks as
/// many bytes as its shortest literal, so literals shorter than the window
/// get buckets of their own (up to [`SHORT_BUCKETS`], shortest first), and
/// the rest are spread evenly, in byte order so that literals sharing a
/// prefix share a bucket and loosen its masks less.
fn assign_buckets(literals: &[&[u8]]) -> Vec<Vec<usize>> {
    let checked = |i: usize| literals[i].len().min(WINDOW);
    let mut order: Vec<usize> = (0..literals.len()).collect();
    order.sort_by_key(|&i| (checked(i), literals[i]));
    let short = order.partition_point(|&i| checked(i) < WINDOW);
    let mut buckets = vec![Vec::new(); BUCKETS];
    let short_buckets = if short == 0 { 0 } else { SHORT_BUCKETS };
    split_evenly(&order[..short], &mut buckets[..short_buckets]);
    split_evenly(&order[short..], &mut buckets[short_buckets..]);
    buckets
}

/// Buckets for literals shorter than [`WINDOW`].
const SHORT_BUCKETS: usize = 3;

/// Fills `buckets` with consecutive, equal runs of `items`.
fn split_evenly(items: &[usize], buckets: &mut [Vec<usize>]) {
    let (mut start, count) = (0, buckets.len());
    for (n, bucket) in buckets.iter_mut().enumerate() {
        let end = items.len() * (n + 1) / count;
        bucket.extend_from_slice(&items[start..end]);
        start = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every (start, id) of a literal in `hay` at or after `from`, the slow way.
    fn occurrences(
        literals: &[Vec<u8>],
        any_case: bool,
        hay: &[u8],
        from: usize,
    ) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for at in from..hay.len() {
            for (id, text) in literals.iter().enumerate() {
                let Some(here) = hay.get(at..at + text.len()) else {
                    continue;
                };
                let equal = if any_case {
                    here.eq_ignore_ascii_case(text)
                } else {
                    here == text.as_slice()
                };
                if equal {
                    out.push((at, id));
                }
            }
        }
        out
    }

    fn build(literals: &[Vec<u8>], any_case: bool) -> Literals {
        let borrowed: Vec<&[u8]> = literals.iter().map(Vec::as_slice).collect();
        Literals::new(&borrowed, any_case).expect("non-empty literals")
    }

    /// `for_each_in` over `hay[from..]` reports every occurrence there,
    /// with its position, in order of position.
    fn check(literals: &[Vec<u8>], any_case: bool, hay: &[u8], from: usize) {
        let set = build(literals, any_case);
        let mut found = Vec::new();
        set.for_each_in(&hay[from..], |at, id| found.push((from + at, id)));
        assert!(
            found.windows(2).all(|pair| pair[0].0 <= pair[1].0),
            "in order of position: {found:?}"
        );
        found.sort_unstable();
        let mut expected = occurrences(literals, any_case, hay, from);
        expected.sort_unstable();
        assert_eq!(
            found,
            expected,
            "every occurrence in {:?} from {from}",
            String::from_utf8_lossy(hay)
        );
    }

    /// Where the literals of `set` start in `hay`.
    fn starts(set: &Literals, hay: &[u8]) -> Vec<usize> {
        let mut found = Vec::new();
        set.for_each_in(hay, |at, _| found.push(at));
        found
    }

    fn texts(words: &[&str]) -> Vec<Vec<u8>> {
        words.iter().map(|w| w.as_bytes().to_vec()).collect()
    }

    #[test]
    fn same_bytes_compares_every_byte() {
        let text = b"connection refused by peer";
        for len in 0..text.len() {
            assert!(same_bytes(&text[..len], &text[..len]));
            for at in 0..len {
                let mut other = text[..len].to_vec();
                other[at] ^= 0x20;
                assert!(!same_bytes(&text[..len], &other), "{len} {at}");
            }
        }
        assert!(!same_bytes(&text[..16], &text[..8]), "lengths differ");
    }

    #[test]
    fn finds_literals_of_every_length_and_at_the_edges() {
        let literals = texts(&[
            "abc",
            "Connection refused",
            "Connection refused by peer",
            "OOMKilled",
            "error",
            "ModuleNotFoundError",
            "E1",
        ]);
        let hay = b"abc xx Connection refused by peer: OOMKilled ... ModuleNotFoundError abc E1";
        for from in [0, 5, 40, hay.len() - 2] {
            check(&literals, false, hay, from);
        }
        check(&literals, false, b"abc", 0);
        check(&literals, false, b"ab", 0);
        check(&literals, false, b"", 0);
    }

    #[test]
    fn a_case_insensitive_set_matches_either_case() {
        let literals = texts(&["timeout", "Fatal"]);
        check(
            &literals,
            true,
            b"read TIMEOUT, then TimeOut; fatal and FATAL",
            0,
        );
        assert_eq!(starts(&build(&literals, true), b"..TiMeOuT"), [2]);
        assert!(starts(&build(&literals, false), b"..TiMeOuT FATAL").is_empty());
    }

    #[test]
    fn quiet_text_lets_nothing_through() {
        // The point of the filter: text without the literals is skipped.
        let literals: Vec<Vec<u8>> = (0..400)
            .map(|i| format!("Failure{i:03}Reason").into_bytes())
            .collect();
        let set = build(&literals, false);
        let hay = "2025-01-01T00:00:00Z INFO worker started, queue depth 12\n".repeat(200);
        assert_eq!(set.filter.candidates(hay.as_bytes(), 0).count(), 0);
    }

    #[test]
    fn an_empty_literal_or_set_is_refused() {
        assert!(Literals::new(&[b"".as_slice()], false).is_none());
        assert!(Literals::new(&[], false).is_none());
    }

    /// The positions the filter lets through from `from`, by the byte loop
    /// and (where the processor has it) by the wide loop.
    #[cfg(target_arch = "x86_64")]
    fn both_loops_agree(literals: &[Vec<u8>], any_case: bool, hay: &[u8], from: usize) {
        let set = build(literals, any_case);
        if !set.filter.wide {
            return;
        }
        let bytewise: Vec<usize> = set.filter.candidates(hay, from).collect();
        let mut wide = Vec::new();
        // SAFETY: `filter.wide` says the processor has the features.
        unsafe { wide::candidates(&set.filter, hay, from, |at| wide.push(at)) };
        assert_eq!(
            wide,
            bytewise,
            "from {from} in {:?}",
            String::from_utf8_lossy(hay)
        );
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_wide_loop_lets_through_what_the_byte_loop_does() {
        let literals = texts(&[
            "abc",
            "Connection refused",
            "OOMKilled",
            "error",
            "ModuleNotFoundError",
            "E1",
        ]);
        let line =
            "2025-01-01T00:00:00Z stdout F worker: Connection refused, OOMKilled; errors E1 abc\n";
        let hay = line.repeat(9);
        for from in [
            0,
            1,
            7,
            31,
            32,
            33,
            100,
            hay.len() - 49,
            hay.len() - 47,
            hay.len(),
        ] {
            both_loops_agree(&literals, false, hay.as_bytes(), from);
            both_loops_agree(&literals, true, hay.as_bytes(), from);
        }
    }

    proptest! {
        /// Inputs long enough for several steps of the wide loop, where the
        /// processor has it.
        #[test]
        fn agrees_with_a_naive_search(
            literals in proptest::collection::vec("[abcAB ]{1,12}", 1..40),
            any_case in any::<bool>(),
            hay in "[abcAB \n]{0,400}",
            from in 0usize..80,
        ) {
            let literals: Vec<Vec<u8>> = literals.into_iter().map(String::into_bytes).collect();
            let from = from.min(hay.len());
            check(&literals, any_case, hay.as_bytes(), from);
            #[cfg(target_arch = "x86_64")]
            both_loops_agree(&literals, any_case, hay.as_bytes(), from);
        }
    }
}
