//! Memtable keys stored inside the skip list's nodes when short. A seek
//! compares the target with a few dozen nodes' keys; with `Vec<u8>` keys each
//! comparison followed a second pointer to the key bytes — a cache miss per
//! node on a large memtable. Keys up to `INLINE` bytes (row, index and most
//! history keys) now sit in the node itself.

use std::borrow::Borrow;
use std::cmp::Ordering;

/// Longest key kept inline.
const INLINE: usize = 38;

/// A memtable key: its bytes inline when short, on the heap otherwise.
/// Ordered, compared and hashed as its bytes.
#[derive(Clone)]
pub enum MemKey {
    /// Up to `INLINE` bytes: length, then the bytes.
    Inline(u8, [u8; INLINE]),
    /// Longer keys.
    Heap(Box<[u8]>),
}

impl MemKey {
    /// The key's bytes.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        match self {
            MemKey::Inline(n, b) => &b[..*n as usize],
            MemKey::Heap(b) => b,
        }
    }
}

impl From<&[u8]> for MemKey {
    fn from(k: &[u8]) -> Self {
        if k.len() <= INLINE {
            let mut b = [0u8; INLINE];
            b[..k.len()].copy_from_slice(k);
            MemKey::Inline(k.len() as u8, b)
        } else {
            MemKey::Heap(k.into())
        }
    }
}

impl Borrow<[u8]> for MemKey {
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for MemKey {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for MemKey {}

impl PartialOrd for MemKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for MemKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl std::hash::Hash for MemKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_like_its_bytes_across_both_forms() {
        let short: &[u8] = b"abc";
        let long = [b'a'; 60];
        let edge = [b'z'; INLINE];
        let keys: Vec<&[u8]> = vec![b"", b"\0", short, &long, b"ab\xff", &edge, b"zz"];
        for a in &keys {
            let ka = MemKey::from(*a);
            assert_eq!(ka.as_slice(), *a);
            for b in &keys {
                let kb = MemKey::from(*b);
                assert_eq!(ka.cmp(&kb), a.cmp(b), "{a:?} vs {b:?}");
            }
        }
        assert!(matches!(MemKey::from(&edge[..]), MemKey::Inline(..)));
        assert!(matches!(MemKey::from(&long[..]), MemKey::Heap(_)));
    }
}
