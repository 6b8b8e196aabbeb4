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
            let (mut a, b) = (h & 0xFFFF_FFFF, (h >> 32) | 1);
            for _ in 0..k {
                let bit = a % m;
                out[(bit / 8) as usize] |= 1 << (bit % 8);
                a = a.wrapping_add(b);
            }
        }
        out[bytes] = k;
        out
    }
}

/// True when `key` may be in the set the filter was built from; false means surely absent.
pub fn may_contain(filter: &[u8], key: &[u8]) -> bool {
    if filter.len() < 2 {
        return true;
    }
    let bytes = filter.len() - 1;
    let m = (bytes * 8) as u64;
    let k = filter[bytes];
    let h = hash64(key);
    let (mut a, b) = (h & 0xFFFF_FFFF, (h >> 32) | 1);
    for _ in 0..k {
        let bit = a % m;
        if filter[(bit / 8) as usize] & (1 << (bit % 8)) == 0 {
            return false;
        }
        a = a.wrapping_add(b);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_false_negatives_and_few_false_positives() {
        let mut b = BloomBuilder::default();
        for i in 0..10_000u32 {
            b.add(&i.to_be_bytes());
        }
        let f = b.build(10);
        for i in 0..10_000u32 {
            assert!(may_contain(&f, &i.to_be_bytes()));
        }
        let fp = (10_000..20_000u32)
            .filter(|i| may_contain(&f, &i.to_be_bytes()))
            .count();
        assert!(fp < 300, "false positives: {fp}");
    }
}
