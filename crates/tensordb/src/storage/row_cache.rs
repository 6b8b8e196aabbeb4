//! The row cache: values that point reads found in a shard's tables, by key.
//! A repeated point read of a flushed key then costs one hash lookup instead
//! of bloom probes, a separator search, a block-cache lookup and a search
//! inside the block — each of those a likely cache miss on a large table.
//!
//! Correctness rests on one fact: compaction never changes which value the
//! tables hold as newest for a key; only a flush does (it moves a memtable's
//! newer values into the tables). Readers consult the cache after the
//! memtables, so a key still in a memtable never reaches it. Before a flush
//! publishes its table, it bumps the cache's epoch and evicts every cached
//! key the flushed memtable holds (readers of the old snapshot still find
//! those keys in the memtable); a reader may only add an entry when its
//! snapshot saw as many flushes as the cache's epoch, so a value read from
//! tables older than the latest flush is never added.

use super::memtable::Memtable;
use super::probe_table::{Layout, ProbeTable};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Independently locked parts.
const STRIPES: usize = 16;
/// Bytes charged per entry beyond its key and value (map slot, ring slot,
/// the entry's `Arc` header).
const ENTRY_OVERHEAD: usize = 64;

/// One cached key: the key and its value in one allocation (a hit touches
/// the map's slot and this, nothing else).
struct Entry {
    /// Key bytes, then value bytes.
    bytes: Arc<[u8]>,
    key_len: u32,
    /// Set by hits; the clock hand clears it and evicts unreferenced entries.
    referenced: bool,
}

impl Entry {
    fn key(&self) -> &[u8] {
        &self.bytes[..self.key_len as usize]
    }

    fn charge(&self) -> usize {
        self.bytes.len() + ENTRY_OVERHEAD
    }
}

/// A cached value: the entry's bytes past the key.
pub struct Hit {
    bytes: Arc<[u8]>,
    key_len: usize,
}

impl std::ops::Deref for Hit {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes[self.key_len..]
    }
}

#[derive(Default)]
struct Stripe {
    /// Key hash (`hash64`) to entry. Two keys with one hash share a slot:
    /// the later insert replaces the earlier, and lookups compare the key.
    map: ProbeTable<Entry>,
    /// The clock: every hash in `map`, in insertion order (plus hashes of
    /// removed entries, skipped, and duplicates of replaced ones).
    ring: VecDeque<u64>,
    bytes: usize,
}

impl Stripe {
    fn remove(&mut self, hash: u64) {
        if let Some(e) = self.map.remove(hash) {
            self.bytes -= e.charge();
        }
    }

    /// Evicts by the CLOCK rule until the stripe is within `budget`.
    fn evict_to(&mut self, budget: usize) {
        while self.bytes > budget {
            let Some(h) = self.ring.pop_front() else {
                break;
            };
            match self.map.get_mut(h) {
                Some(e) if e.referenced => {
                    e.referenced = false;
                    self.ring.push_back(h);
                }
                Some(_) => self.remove(h),
                None => {}
            }
        }
    }
}

/// One shard's row cache (see the module comment for the rules).
pub struct RowCache {
    stripes: Box<[Mutex<Stripe>]>,
    /// Where each stripe's slots lie, for `prefetch` (no lock taken).
    layouts: Box<[Layout<Entry>]>,
    budget_per_stripe: usize,
    /// Flushes of the shard so far, as the cache has accounted for them.
    epoch: AtomicU64,
}

impl RowCache {
    /// A cache of at most `budget` bytes (0 disables it).
    pub fn new(budget: usize) -> Self {
        RowCache {
            stripes: (0..STRIPES).map(|_| Mutex::default()).collect(),
            layouts: (0..STRIPES).map(|_| Layout::default()).collect(),
            budget_per_stripe: budget / STRIPES,
            epoch: AtomicU64::new(0),
        }
    }

    fn stripe_of(hash: u64) -> usize {
        // The top bits pick the stripe; the map mixes the whole value again.
        (hash >> 58) as usize % STRIPES
    }

    fn stripe(&self, hash: u64) -> MutexGuard<'_, Stripe> {
        self.stripes[Self::stripe_of(hash)]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Starts loading the slot a `get` of `hash` looks at first.
    #[inline]
    pub fn prefetch(&self, hash: u64) {
        if self.enabled() {
            self.layouts[Self::stripe_of(hash)].prefetch(hash);
        }
    }

    /// True when the cache takes entries at all.
    fn enabled(&self) -> bool {
        self.budget_per_stripe > 0
    }

    /// The cached value of `key` (whose `hash64` is `hash`).
    pub fn get(&self, hash: u64, key: &[u8]) -> Option<Hit> {
        if !self.enabled() {
            return None;
        }
        let mut s = self.stripe(hash);
        let e = s.map.get_mut(hash)?;
        if e.key() != key {
            return None;
        }
        e.referenced = true;
        Some(Hit {
            bytes: e.bytes.clone(),
            key_len: e.key_len as usize,
        })
    }

    /// Adds `key`'s newest table value, read from a snapshot that had seen
    /// `flushes` flushes; ignored when the shard has flushed since.
    pub fn insert(&self, flushes: u64, hash: u64, key: &[u8], value: &[u8]) {
        if !self.enabled() || key.len() > u32::MAX as usize {
            return;
        }
        let mut bytes = Vec::with_capacity(key.len() + value.len());
        bytes.extend_from_slice(key);
        bytes.extend_from_slice(value);
        let entry = Entry {
            bytes: bytes.into(),
            key_len: key.len() as u32,
            referenced: false,
        };
        let charge = entry.charge();
        if charge > self.budget_per_stripe {
            return;
        }
        let mut s = self.stripe(hash);
        if self.epoch.load(Ordering::Acquire) != flushes {
            return;
        }
        s.remove(hash);
        s.evict_to(self.budget_per_stripe - charge);
        s.bytes += charge;
        s.map
            .insert(hash, entry, &self.layouts[Self::stripe_of(hash)]);
        s.ring.push_back(hash);
        // Removed and replaced entries leave their hashes on the clock (the
        // hand skips them); rebuild it before they pile up.
        if s.ring.len() > 2 * s.map.len() + 64 {
            let live: VecDeque<u64> = s.map.hashes().collect();
            s.ring = live;
        }
    }

    /// Accounts for the shard's flush number `flushes` of `flushed`: from
    /// now on only snapshots that include it may add entries, and every
    /// cached key `flushed` holds (its value in the tables is about to
    /// change) is evicted.
    pub fn flushed(&self, flushes: u64, flushed: &Memtable) {
        self.epoch.store(flushes, Ordering::Release);
        if !self.enabled() {
            return;
        }
        // No entry can be added from here until the flush publishes its
        // version (every reader's snapshot predates the new epoch), so each
        // stripe's entries are listed under its lock, checked against the
        // memtable without it (readers of the stripe do not wait for
        // thousands of memtable lookups), and the stale ones removed.
        for stripe in self.stripes.iter() {
            let listed: Vec<(u64, Arc<[u8]>, usize)> = {
                let s = stripe.lock().unwrap_or_else(|p| p.into_inner());
                s.map
                    .iter()
                    .map(|(h, e)| (h, e.bytes.clone(), e.key_len as usize))
                    .collect()
            };
            let stale: Vec<u64> = listed
                .iter()
                .filter(|(_, b, n)| flushed.get(&b[..*n], |_| ()).is_some())
                .map(|(h, _, _)| *h)
                .collect();
            if !stale.is_empty() {
                let mut s = stripe.lock().unwrap_or_else(|p| p.into_inner());
                for h in stale {
                    s.remove(h);
                }
            }
        }
    }

    /// Bytes held (keys, values and overhead).
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.stripes
            .iter()
            .map(|s| s.lock().unwrap_or_else(|p| p.into_inner()).bytes)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::hash::hash64;

    fn put(c: &RowCache, epoch: u64, k: &[u8], v: &[u8]) {
        c.insert(epoch, hash64(k), k, v);
    }

    fn get(c: &RowCache, k: &[u8]) -> Option<Vec<u8>> {
        c.get(hash64(k), k).map(|v| v.to_vec())
    }

    #[test]
    fn hits_misses_and_replacement() {
        let c = RowCache::new(1 << 20);
        assert_eq!(get(&c, b"a"), None);
        put(&c, 0, b"a", b"1");
        put(&c, 0, b"b", b"2");
        assert_eq!(get(&c, b"a").as_deref(), Some(&b"1"[..]));
        put(&c, 0, b"a", b"3");
        assert_eq!(get(&c, b"a").as_deref(), Some(&b"3"[..]));
        assert_eq!(get(&c, b"c"), None);
    }

    #[test]
    fn a_flush_evicts_its_keys_and_refuses_older_snapshots() {
        let c = RowCache::new(1 << 20);
        put(&c, 0, b"a", b"old");
        put(&c, 0, b"b", b"kept");
        let m = Memtable::new();
        m.insert(
            b"a".to_vec(),
            b"new".to_vec(),
            crate::storage::memtable::Lookup::Exact,
        );
        c.flushed(1, &m);
        assert_eq!(get(&c, b"a"), None, "flushed key still cached");
        assert_eq!(get(&c, b"b").as_deref(), Some(&b"kept"[..]));
        // A reader whose snapshot predates the flush read the old tables.
        put(&c, 0, b"a", b"old");
        assert_eq!(get(&c, b"a"), None, "stale value admitted");
        put(&c, 1, b"a", b"new");
        assert_eq!(get(&c, b"a").as_deref(), Some(&b"new"[..]));
    }

    #[test]
    fn stays_within_budget_and_keeps_hot_keys() {
        let budget = STRIPES * 4096;
        let c = RowCache::new(budget);
        put(&c, 0, b"hot", &[7u8; 100]);
        for i in 0..10_000u32 {
            put(&c, 0, &i.to_be_bytes(), &[0u8; 100]);
            assert!(get(&c, b"hot").is_some(), "hot key evicted at {i}");
        }
        assert!(c.bytes() <= budget);
        assert!(c.bytes() > budget / 2, "cache barely used: {}", c.bytes());
    }

    #[test]
    fn the_clock_stays_small_when_keys_are_replaced() {
        let c = RowCache::new(1 << 20);
        for round in 0..100u32 {
            put(&c, 0, b"hot", &round.to_be_bytes());
        }
        let ring: usize = c.stripes.iter().map(|s| s.lock().unwrap().ring.len()).sum();
        assert!(ring <= 2 + 64, "clock holds {ring} hashes for one key");
        assert_eq!(get(&c, b"hot"), Some(99u32.to_be_bytes().to_vec()));
    }

    #[test]
    fn disabled_with_no_budget() {
        let c = RowCache::new(0);
        put(&c, 0, b"a", b"1");
        assert_eq!(get(&c, b"a"), None);
    }
}
