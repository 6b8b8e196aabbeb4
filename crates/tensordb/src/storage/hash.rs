//! A fast, stable 64-bit hash for bloom filters and shard routing. Its output
//! is part of the on-disk format (bloom filters) and of key placement (shards),
//! so it must never change for a given format version.

const K: u64 = 0x9E37_79B9_7F4A_7C15;

fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    x ^= x >> 33;
    x = x.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    x ^ (x >> 33)
}

/// Hashes bytes to 64 bits (little-endian word reads, murmur3 finalizer).
pub fn hash64(bytes: &[u8]) -> u64 {
    let mut h = K ^ (bytes.len() as u64).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h ^ mix(w)).rotate_left(27).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = (h ^ mix(u64::from_le_bytes(w)))
            .rotate_left(27)
            .wrapping_mul(K);
    }
    mix(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_and_spread() {
        assert_eq!(hash64(b"abc"), hash64(b"abc"));
        assert_ne!(hash64(b"abc"), hash64(b"abd"));
        assert_ne!(hash64(b""), hash64(b"\0"));
    }
}
