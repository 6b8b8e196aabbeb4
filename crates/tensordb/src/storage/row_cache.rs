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

use super::hash::FastState;
use super::memtable::Memtable;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Independently locked parts.
const STRIPES: usize = 16;
/// Bytes charged per entry beyond its key and value (map slot, slot record,
/// the value's `Arc` header).
const ENTRY_OVERHEAD: usize = 64;

struct Slot {
    hash: u64,
    key: Box<[u8]>,
    value: Arc<[u8]>,
    /// Set by hits; the clock hand clears it and evicts unreferenced slots.
    referenced: bool,
}

impl Slot {
    fn charge(&self) -> usize {
        self.key.len() + self.value.len() + ENTRY_OVERHEAD
    }
}

#[derive(Default)]
struct Stripe {
    /// Key hash (`hash64`) to slot. Two keys with one hash share a slot: the
    /// later insert replaces the earlier, and lookups compare the key.
    map: HashMap<u64, u32, FastState>,
    slots: Vec<Option<Slot>>,
    free: Vec<u32>,
    hand: usize,
    bytes: usize,
}

impl Stripe {
    fn remove_slot(&mut self, i: usize) {
        if let Some(s) = self.slots.get_mut(i).and_then(Option::take) {
            self.map.remove(&s.hash);
            self.bytes -= s.charge();
            self.free.push(i as u32);
        }
    }

    /// Evicts by the CLOCK rule until the stripe is within `budget`.
    fn evict_to(&mut self, budget: usize) {
        let n = self.slots.len();
        // Two sweeps clear every reference bit, so this ends.
        let mut steps = 2 * n + 1;
        while self.bytes > budget && steps > 0 {
            steps -= 1;
            let i = self.hand % n.max(1);
            self.hand = i + 1;
            match self.slots.get_mut(i) {
                Some(Some(s)) if s.referenced => s.referenced = false,
                Some(Some(_)) => self.remove_slot(i),
                _ => {}
            }
        }
    }
}

/// One shard's row cache (see the module comment for the rules).
pub struct RowCache {
    stripes: Box<[Mutex<Stripe>]>,
    budget_per_stripe: usize,
    /// Flushes of the shard so far, as the cache has accounted for them.
    epoch: AtomicU64,
}

impl RowCache {
    /// A cache of at most `budget` bytes (0 disables it).
    pub fn new(budget: usize) -> Self {
        RowCache {
            stripes: (0..STRIPES).map(|_| Mutex::default()).collect(),
            budget_per_stripe: budget / STRIPES,
            epoch: AtomicU64::new(0),
        }
    }

    fn stripe(&self, hash: u64) -> MutexGuard<'_, Stripe> {
        // The top bits pick the stripe; the map hashes the whole value again.
        self.stripes[(hash >> 58) as usize % STRIPES]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// True when the cache takes entries at all.
    pub fn enabled(&self) -> bool {
        self.budget_per_stripe > 0
    }

    /// The cached value of `key` (whose `hash64` is `hash`).
    pub fn get(&self, hash: u64, key: &[u8]) -> Option<Arc<[u8]>> {
        if !self.enabled() {
            return None;
        }
        let mut s = self.stripe(hash);
        let i = *s.map.get(&hash)? as usize;
        match s.slots.get_mut(i) {
            Some(Some(slot)) if *slot.key == *key => {
                slot.referenced = true;
                Some(slot.value.clone())
            }
            _ => None,
        }
    }

    /// Adds `key`'s newest table value, read from a snapshot that had seen
    /// `flushes` flushes; ignored when the shard has flushed since.
    pub fn insert(&self, flushes: u64, hash: u64, key: &[u8], value: &[u8]) {
        if !self.enabled() {
            return;
        }
        let slot = Slot {
            hash,
            key: key.into(),
            value: value.into(),
            referenced: false,
        };
        let charge = slot.charge();
        if charge > self.budget_per_stripe {
            return;
        }
        let mut s = self.stripe(hash);
        if self.epoch.load(Ordering::Acquire) != flushes {
            return;
        }
        if let Some(&i) = s.map.get(&hash) {
            s.remove_slot(i as usize);
        }
        s.evict_to(self.budget_per_stripe - charge);
        s.bytes += charge;
        let i = match s.free.pop() {
            Some(i) => i as usize,
            None => {
                s.slots.push(None);
                s.slots.len() - 1
            }
        };
        s.slots[i] = Some(slot);
        s.map.insert(hash, i as u32);
    }

    /// Accounts for the shard's flush number `flushes` of `flushed`: from
    /// now on only snapshots that include it may add entries, and every
    /// cached key `flushed` holds (its value in the tables just changed) is
    /// evicted.
    pub fn flushed(&self, flushes: u64, flushed: &Memtable) {
        self.epoch.store(flushes, Ordering::Release);
        if !self.enabled() {
            return;
        }
        for stripe in self.stripes.iter() {
            let mut s = stripe.lock().unwrap_or_else(|p| p.into_inner());
            for i in 0..s.slots.len() {
                let stale = s.slots[i]
                    .as_ref()
                    .is_some_and(|slot| flushed.get(&slot.key, |_| ()).is_some());
                if stale {
                    s.remove_slot(i);
                }
            }
        }
    }

    /// Bytes held (keys, values and overhead).
    pub fn bytes(&self) -> usize {
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
        m.insert(b"a".to_vec(), b"new".to_vec());
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
    fn disabled_with_no_budget() {
        let c = RowCache::new(0);
        put(&c, 0, b"a", b"1");
        assert_eq!(get(&c, b"a"), None);
    }
}
