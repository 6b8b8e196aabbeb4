//! Bloom filters over whole keys, one per SSTable.
//!
//! Layout: `bits[m/8] | k: u8`. Probe i sets bit `(h1 + i*h2) mod m`
//! where h1/h2 are the halves of `hash64(key)` (double hashing).

use super::hash::hash64;

/// Collects key hashes and builds a filter.
#[derive(Default)]
pub struct BloomBuilder {
    hashes: Vec<u64>,
}

impl BloomBuilder {
    /// Records a key.
    pub fn add(&mut self, key: &[u8]) {
        self.hashes.push(hash64(key));
    }

    /// Builds the filter with `bits_per_key` bits per recorded key.
    pub fn build(&self, bits_per_key: usize) -> Vec<u8> {
        let bits = (self.hashes.len() * bits_per_key).max(64);
        let bytes = bits.div_ceil(8);
        let m = (bytes * 8) as u64;
        let k = ((bits_per_key as f64) * 0.69).round().clamp(1.0, 30.0) as u8;
        let mut out = vec![0u8; bytes + 1];
        for &h in &self.hashes {
            let mut probe = Probe::new(h, m);
            for _ in 0..k {
                let bit = probe.next();
                out[(bit / 8) as usize] |= 1 << (bit % 8);
            }
        }
        out[bytes] = k;
        out
    }
}

/// True when the key whose `hash64` is `h` may be in the set the filter was
/// built from; false means surely absent. (A point read probing several
/// tables hashes its key once.)
pub fn may_contain_hash(filter: &[u8], h: u64) -> bool {
    if filter.len() < 2 {
        return true;
    }
    let bytes = filter.len() - 1;
    let m = (bytes * 8) as u64;
    let k = filter[bytes];
    let mut probe = Probe::new(h, m);
    for _ in 0..k {
        let bit = probe.next();
        if filter[(bit / 8) as usize] & (1 << (bit % 8)) == 0 {
            return false;
        }
    }
    true
}

/// The probe sequence `(h1 + i*h2) mod m`, i = 0, 1, …, computed with two
/// divisions in all instead of one per probe: both terms are reduced mod m
/// once and then added with a conditional subtraction. The same bits as
/// the direct formula (h1 + i*h2 stays far below 2^64 for k <= 30).
struct Probe {
    at: u64,
    step: u64,
    m: u64,
}

impl Probe {
    fn new(h: u64, m: u64) -> Self {
        let (a, b) = (h & 0xFFFF_FFFF, (h >> 32) | 1);
        Probe {
            at: a % m,
            step: b % m,
            m,
        }
    }

    /// The current bit; then moves to the next probe.
    #[inline]
    fn next(&mut self) -> u64 {
        let bit = self.at;
        self.at += self.step;
        if self.at >= self.m {
            self.at -= self.m;
        }
        bit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_match_the_direct_formula() {
        for (h, m) in [
            (0u64, 64u64),
            (u64::MAX, 1000),
            (0x1234_5678_9ABC_DEF0, 8 * 12_345),
        ] {
            let mut p = Probe::new(h, m);
            let (a, b) = (h & 0xFFFF_FFFF, (h >> 32) | 1);
            for i in 0..30u64 {
                assert_eq!(p.next(), (a + i * b) % m);
            }
        }
    }

    #[test]
    fn no_false_negatives_and_few_false_positives() {
        let mut b = BloomBuilder::default();
        for i in 0..10_000u32 {
            b.add(&i.to_be_bytes());
        }
        let f = b.build(10);
        for i in 0..10_000u32 {
            assert!(may_contain_hash(&f, hash64(&i.to_be_bytes())));
        }
        let fp = (10_000..20_000u32)
            .filter(|i| may_contain_hash(&f, hash64(&i.to_be_bytes())))
            .count();
        assert!(fp < 300, "false positives: {fp}");
    }
}
