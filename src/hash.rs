//! FNV-1a (64 bit): the one stable hash of the crate. Unlike std's
//! `DefaultHasher`, which is seeded per process, its value depends on the
//! bytes alone, so ids and shard assignments made with it are the same on
//! every machine, run and release. Specified at
//! <http://www.isthe.com/chongo/tech/comp/fnv/#FNV-1a>.

const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0100_0000_01b3;

/// An FNV-1a hash in progress.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(OFFSET_BASIS)
    }
}

impl Fnv1a {
    /// Feeds bytes.
    pub(crate) fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(PRIME);
        }
    }

    /// Feeds a string and a NUL after it, so that `["ab", "c"]` and
    /// `["a", "bc"]` hash apart.
    pub(crate) fn write_field(&mut self, field: &str) {
        self.write(field.as_bytes());
        self.write(&[0]);
    }

    /// The hash of everything fed so far.
    pub(crate) fn finish(self) -> u64 {
        self.0
    }
}

/// The FNV-1a hash of `bytes`.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash = Fnv1a::default();
    hash.write(bytes);
    hash.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Published test vectors of FNV-1a 64.
    #[test]
    fn matches_the_reference_vectors() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn fields_are_delimited() {
        let hash = |fields: &[&str]| {
            let mut h = Fnv1a::default();
            fields.iter().for_each(|f| h.write_field(f));
            h.finish()
        };
        assert_ne!(hash(&["ab", "c"]), hash(&["a", "bc"]));
    }
}
