//! A small open-addressing map from 64-bit hashes to values, for a cache
//! keyed by a hash it already computed (the row cache). Unlike `HashMap` it
//! tells where a hash's search begins (`Layout`), so a reader can prefetch
//! that slot before it takes the lock guarding the map: a batch of lookups
//! then overlaps its cache misses.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Starting slot count.
const INITIAL: usize = 16;

/// The slot array's address and mask of a `ProbeTable<V>`, published for
/// prefetching by whoever owns the table (stale values only make a
/// prefetch useless).
pub struct Layout<V> {
    base: AtomicUsize,
    mask: AtomicUsize,
    slot: PhantomData<fn() -> V>,
}

impl<V> Default for Layout<V> {
    fn default() -> Self {
        Layout {
            base: AtomicUsize::new(0),
            mask: AtomicUsize::new(0),
            slot: PhantomData,
        }
    }
}

impl<V> Layout<V> {
    /// Starts loading the slot where the search for `hash` begins.
    #[inline]
    pub fn prefetch(&self, hash: u64) {
        let base = self.base.load(Ordering::Relaxed);
        if base == 0 {
            return;
        }
        let i = position(hash) & self.mask.load(Ordering::Relaxed);
        super::mem_index::prefetch_addr(base + i * std::mem::size_of::<Option<(u64, V)>>());
    }
}

/// Where the search for `hash` begins, before masking: the hash mixed with
/// a per-process seed, so keys chosen to collide in one process's table do
/// not collide in another's.
#[inline]
fn position(hash: u64) -> usize {
    let x = (hash ^ super::hash::process_seed()).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (x ^ (x >> 29)) as usize
}

/// The map: linear probing, at most half full, deletion by backward shift
/// (no tombstones).
pub struct ProbeTable<V> {
    slots: Box<[Option<(u64, V)>]>,
    len: usize,
}

impl<V> Default for ProbeTable<V> {
    fn default() -> Self {
        ProbeTable {
            slots: (0..INITIAL).map(|_| None).collect(),
            len: 0,
        }
    }
}

impl<V> ProbeTable<V> {
    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    /// The slot holding `hash`, if any.
    fn find(&self, hash: u64) -> Option<usize> {
        let mut i = position(hash) & self.mask();
        loop {
            match &self.slots[i] {
                None => return None,
                Some((h, _)) if *h == hash => return Some(i),
                Some(_) => i = (i + 1) & self.mask(),
            }
        }
    }

    /// The value of `hash`.
    pub fn get_mut(&mut self, hash: u64) -> Option<&mut V> {
        let i = self.find(hash)?;
        self.slots[i].as_mut().map(|(_, v)| v)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Sets the value of `hash`, returning the one it replaces; `layout` is
    /// updated when the slot array moves.
    pub fn insert(&mut self, hash: u64, value: V, layout: &Layout<V>) -> Option<V> {
        if let Some(i) = self.find(hash) {
            return self.slots[i].replace((hash, value)).map(|(_, v)| v);
        }
        if (self.len + 1) * 2 > self.slots.len() {
            let bigger = (0..self.slots.len() * 2).map(|_| None).collect();
            let old = std::mem::replace(&mut self.slots, bigger);
            for (h, v) in old.into_vec().into_iter().flatten() {
                self.place(h, v);
            }
        }
        self.place(hash, value);
        self.len += 1;
        layout
            .base
            .store(self.slots.as_ptr() as usize, Ordering::Relaxed);
        layout.mask.store(self.mask(), Ordering::Relaxed);
        None
    }

    fn place(&mut self, hash: u64, value: V) {
        let mut i = position(hash) & self.mask();
        while self.slots[i].is_some() {
            i = (i + 1) & self.mask();
        }
        self.slots[i] = Some((hash, value));
    }

    /// Removes `hash`, returning its value.
    pub fn remove(&mut self, hash: u64) -> Option<V> {
        let mut hole = self.find(hash)?;
        let (_, v) = self.slots[hole].take()?;
        self.len -= 1;
        // Backward shift: move later entries of the run into the hole when
        // their search starts at or before it.
        let mask = self.mask();
        let mut i = (hole + 1) & mask;
        while let Some((h, _)) = &self.slots[i] {
            let home = position(*h) & mask;
            // The entry may move to `hole` unless its home lies cyclically
            // in (hole, i].
            if (i.wrapping_sub(home) & mask) >= (i.wrapping_sub(hole) & mask) {
                self.slots[hole] = self.slots[i].take();
                hole = i;
            }
            i = (i + 1) & mask;
        }
        Some(v)
    }

    /// Every entry, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &V)> {
        self.slots.iter().flatten().map(|(h, v)| (*h, v))
    }

    /// Every hash, in slot order.
    pub fn hashes(&self) -> impl Iterator<Item = u64> + '_ {
        self.iter().map(|(h, _)| h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn behaves_like_a_hash_map_under_random_inserts_and_removes() {
        let layout = Layout::default();
        let mut t = ProbeTable::default();
        let mut m = HashMap::new();
        let mut x: u64 = 0x1234_5678;
        for step in 0..200_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // A small key space, so removes and replaces hit often; a few
            // hashes share low bits to make long runs.
            let h = (x % 3000) << (x % 3) | 1;
            if x.is_multiple_of(3) {
                assert_eq!(t.remove(h), m.remove(&h), "remove at {step}");
            } else {
                assert_eq!(
                    t.insert(h, step, &layout),
                    m.insert(h, step),
                    "insert at {step}"
                );
            }
            assert_eq!(t.len(), m.len());
        }
        for (h, v) in &m {
            assert_eq!(t.get_mut(*h).copied(), Some(*v));
        }
        assert_eq!(t.iter().count(), m.len());
        assert!(t.get_mut(2).is_none());
        layout.prefetch(7);
    }
}
