//! The filter of [`super::ShiftOr`] run on 32 positions per step with
//! AVX-512, on processors that have it (checked at run time).
//!
//! The byte loop's speed is set by its chain of a shift and an OR per
//! byte: each position's state waits for the one before. Here the chain is
//! gone. For each position the super character's 64-bit mask is fetched
//! with a gather, eight positions per instruction. A start `p` is let
//! through when some bucket's bit is clear in byte `j` of the mask at
//! `p + j`, for every offset `j` below 8: one byte permutation lines those
//! eight bytes up in one 64-bit lane, one bit-matrix transpose (GFNI) turns
//! the lane's bytes into buckets, and a test for a zero byte gives the
//! buckets that passed every offset.
//!
//! The positions let through are exactly the byte loop's: the same table,
//! read for the same positions. The last positions of the input, whose
//! windows reach past its end, are left to the byte loop.

use std::arch::x86_64::{
    __m128i, __m512i, _mm_loadu_si128, _mm512_castsi128_si512, _mm512_gf2p8affine_epi64_epi8,
    _mm512_i64gather_epi64, _mm512_loadu_si512, _mm512_maskz_permutexvar_epi8,
    _mm512_permutex2var_epi8, _mm512_set1_epi64, _mm512_testn_epi8_mask,
};

use super::{ShiftOr, WINDOW};

/// Positions examined per step of the loop (four groups of eight).
const STEP: usize = 32;
/// Input bytes a step reads from its first position on: the masks of
/// `STEP + WINDOW` positions, each read as a 16-byte load whose first
/// nine bytes are used.
const READ: usize = STEP + WINDOW + 8;

/// Whether this processor has the instructions the wide filter uses.
pub(super) fn available() -> bool {
    std::is_x86_feature_detected!("avx512f")
        && std::is_x86_feature_detected!("avx512bw")
        && std::is_x86_feature_detected!("avx512vbmi")
        && std::is_x86_feature_detected!("gfni")
}

/// Byte `8 * i` and `8 * i + 1` of the result: input bytes `i` and `i + 1`,
/// so each 64-bit lane holds the super character of position `i`.
const PAIRS: [u8; 64] = {
    let mut index = [0u8; 64];
    let mut i = 0;
    while i < 8 {
        index[8 * i] = i as u8;
        index[8 * i + 1] = i as u8 + 1;
        i += 1;
    }
    index
};
/// The bytes of [`PAIRS`] that are kept (the rest are zeroed).
const PAIR_BYTES: u64 = 0x0303_0303_0303_0303;

/// Byte `8 * p + j` of the result: byte `j` of the mask of position `p + j`,
/// from the 16 masks of two consecutive groups of eight positions.
const DIAGONAL: [u8; 64] = {
    let mut index = [0u8; 64];
    let mut p = 0;
    while p < 8 {
        let mut j = 0;
        while j < 8 {
            index[8 * p + j] = (8 * (p + j) + j) as u8;
            j += 1;
        }
        p += 1;
    }
    index
};

/// The GF(2) matrix whose affine transform turns each 64-bit lane's 8×8
/// bits around: byte `7 - b` of the result holds bit `b` of every byte.
const TRANSPOSE: u64 = 0x0102_0408_1020_4080;

/// Calls `each` with every position at or after `from` that the filter
/// lets through, in order.
///
/// # Safety
/// The processor must have the features [`available`] checks.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,gfni")]
pub(super) unsafe fn candidates(
    filter: &ShiftOr,
    hay: &[u8],
    from: usize,
    mut each: impl FnMut(usize),
) {
    let reach = filter.reach.as_ptr();
    // SAFETY: the arrays are 64 bytes; the loads have no alignment need.
    let (pairs, diagonal) = unsafe {
        (
            _mm512_loadu_si512(PAIRS.as_ptr().cast()),
            _mm512_loadu_si512(DIAGONAL.as_ptr().cast()),
        )
    };
    let transpose = _mm512_set1_epi64(TRANSPOSE as i64);
    // The masks of the eight positions from `at`.
    let masks = |at: usize| {
        debug_assert!(at + 16 <= hay.len());
        // SAFETY: callers keep `at + 16 <= hay.len()`. Each gathered index
        // is a 16-bit super character, inside the table of 2^16 masks.
        unsafe {
            let bytes =
                _mm512_castsi128_si512(_mm_loadu_si128(hay.as_ptr().add(at).cast::<__m128i>()));
            let chars = _mm512_maskz_permutexvar_epi8(PAIR_BYTES, pairs, bytes);
            _mm512_i64gather_epi64::<8>(chars, reach.cast::<i64>())
        }
    };
    // For the eight starts of `first`: one bit per bucket that lets the
    // start through, in the start's byte of the result.
    let passed = |first: __m512i, next: __m512i| {
        let lined_up = _mm512_permutex2var_epi8(first, diagonal, next);
        let buckets = _mm512_gf2p8affine_epi64_epi8::<0>(transpose, lined_up);
        _mm512_testn_epi8_mask(buckets, buckets)
    };
    let mut at = from;
    if at + READ <= hay.len() {
        let mut first = masks(at);
        while at + READ <= hay.len() {
            let groups = [
                masks(at + 8),
                masks(at + 16),
                masks(at + 24),
                masks(at + 32),
            ];
            let starts = [
                passed(first, groups[0]),
                passed(groups[0], groups[1]),
                passed(groups[1], groups[2]),
                passed(groups[2], groups[3]),
            ];
            if starts.iter().any(|&bits| bits != 0) {
                for (group, mut bits) in starts.into_iter().enumerate() {
                    while bits != 0 {
                        let bit = bits.trailing_zeros() as usize;
                        // One start per byte: clear the rest of its byte.
                        bits &= !(0xFF << (bit & !7));
                        each(at + 8 * group + bit / 8);
                    }
                }
            }
            first = groups[3];
            at += STEP;
        }
    }
    filter.candidates(hay, at).for_each(each);
}
