//! The in-memory sorted table that absorbs writes until it is flushed.
//!
//! A lock-free skip list keeps the entries in order for iteration (the
//! committer inserts while readers iterate without taking any lock); a
//! lock-free hash index beside it (`mem_index`) answers exact-key lookups.
//! A point read of a memtable of 50,000 entries cost ~3 µs in the skip list
//! — a pointer chase of ~16 levels, mostly cache misses — and ~0.2 µs in
//! the index.

use super::iter::{KvIter, Range};
use super::mem_index::{prefetch_addr, Entry, MemIndex};
use super::mem_key::MemKey;
use crate::error::Result;
use crossbeam_epoch::{self as epoch, Guard};
use crossbeam_skiplist::SkipList;
use std::ops::Bound;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Approximate per-entry overhead of the skip list and the index, for size
/// accounting.
const ENTRY_OVERHEAD: usize = 112;
/// Entries copied out per refill of a memtable iterator.
const CHUNK: usize = 128;

/// How an entry will be read, which decides whether the hash index holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// By exact key (current-fact records, engine metadata): indexed.
    Exact,
    /// Only by scans (history, the change log): kept out of the index, so
    /// the index stays small and cache-friendly. `get_scanned` finds them.
    Scan,
}

/// What `Memtable::prefetch` starts loading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prefetch {
    /// The index slot where the key's search starts.
    Slot,
    /// The entry that slot points at (key and value pointer).
    Entry,
    /// The value's bytes.
    Value,
}

/// A sorted, concurrently readable map from LSM key to value.
///
/// Values are replaced in place (the current-fact record is rewritten by
/// every write of its key): the skip list's own replace removes the old node
/// before linking the new one, and a reader in that window would see the key
/// as absent.
pub struct Memtable {
    /// The base skip list (not `SkipMap`): its iterators borrow an epoch
    /// guard instead of taking and dropping a reference count per entry
    /// (two atomic operations per entry a scan copies).
    map: SkipList<MemKey, Arc<Entry>>,
    /// The `Lookup::Exact` entries by key.
    index: MemIndex,
    bytes: AtomicUsize,
}

impl Default for Memtable {
    fn default() -> Self {
        Memtable {
            map: SkipList::new(epoch::default_collector().clone()),
            index: MemIndex::default(),
            bytes: AtomicUsize::new(0),
        }
    }
}

impl Memtable {
    /// An empty memtable.
    pub fn new() -> Self {
        Self::default()
    }

    /// Inserts an entry, or replaces an existing entry's value in place.
    /// One thread writes a memtable at a time (the commit thread, or replay).
    pub fn insert(&self, key: Vec<u8>, value: Vec<u8>, lookup: Lookup) {
        let guard = &epoch::pin();
        let indexed = lookup == Lookup::Exact;
        // Approximate: the key is charged twice for an indexed entry and
        // once for a scan-only one, though both kinds hold it in the
        // skip-list node and in the entry (short keys sit inline there, at
        // a fixed size, whatever their length).
        let key_bytes = if indexed { 2 * key.len() } else { key.len() };
        self.bytes
            .fetch_add(key_bytes + value.len() + ENTRY_OVERHEAD, Ordering::Relaxed);
        let hash = indexed.then(|| self.index.hash(&key));
        if let Some(hash) = hash {
            if let Some(e) = self.index.find(hash, &key, guard) {
                e.replace(&value, guard);
                return;
            }
        }
        // A `Lookup::Scan` key is written once (replay may repeat it, before
        // any reader exists): the skip list's replace is enough.
        let e = Arc::new(Entry::new(&key, &value));
        self.map
            .insert(MemKey::from(key.as_slice()), e.clone(), guard)
            .release(guard);
        if let Some(hash) = hash {
            self.index.insert(hash, e, guard);
        }
    }

    /// Calls `f` with the value of `key`, if present as a `Lookup::Exact`
    /// entry.
    pub fn get<R>(&self, key: &[u8], f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        let guard = &epoch::pin();
        self.get_in(key, self.index.hash(key), guard, f)
    }

    /// Calls `f` with the value of `key`, a `Lookup::Scan` entry, found by
    /// a skip-list search.
    pub fn get_scanned<R>(&self, key: &[u8], f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        let guard = &epoch::pin();
        self.map.get(key, guard).map(|e| f(e.value().value(guard)))
    }

    /// The index's hash of `key`, for `prefetch` and `get_in`: the same in
    /// every memtable of the process.
    #[inline]
    pub fn hash(&self, key: &[u8]) -> u64 {
        self.index.hash(key)
    }

    /// Starts loading one of the three things a `get_in` of `key` (whose
    /// index hash is `hash`) reads one after another, so a batch of point
    /// reads overlaps its cache misses. Each stage only helps once the one
    /// before it has arrived: a caller issues them a few keys apart. False
    /// when the entry stage finds the key most likely absent.
    #[inline]
    pub fn prefetch(&self, key: &[u8], hash: u64, stage: Prefetch, guard: &Guard) -> bool {
        match stage {
            Prefetch::Slot => self.index.prefetch(hash, guard),
            Prefetch::Entry => return self.index.prefetch_entry(hash, guard),
            Prefetch::Value => self.index.prefetch_value(hash, key, guard),
        }
        true
    }

    /// `get` with the key's `hash` and an epoch guard supplied.
    pub fn get_in<R>(
        &self,
        key: &[u8],
        hash: u64,
        guard: &Guard,
        f: impl FnOnce(&[u8]) -> R,
    ) -> Option<R> {
        self.index.find(hash, key, guard).map(|e| f(e.value(guard)))
    }

    /// Bytes inserted so far (keys, values and overhead): the flush trigger.
    pub fn approximate_bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Visits every entry in key order (used by flush).
    pub fn for_each(&self, mut f: impl FnMut(&[u8], &[u8]) -> Result<()>) -> Result<()> {
        let guard = &epoch::pin();
        for e in self.map.iter(guard) {
            f(e.key().as_slice(), e.value().value(guard))?;
        }
        Ok(())
    }
}

/// Iterates a memtable by copying bounded chunks of entries into one buffer,
/// so the iterator owns its data and never holds a borrow of the skip list.
pub struct MemIter {
    table: std::sync::Arc<Memtable>,
    range: Range,
    buf: Vec<u8>,
    entries: Vec<(u32, u32, u32)>,
    idx: usize,
    done: bool,
    resume: Option<Vec<u8>>,
}

impl MemIter {
    /// Positions a new iterator on the first entry of `range`.
    pub fn new(table: std::sync::Arc<Memtable>, range: Range) -> Self {
        let mut it = MemIter {
            table,
            range,
            buf: Vec::new(),
            entries: Vec::new(),
            idx: 0,
            done: false,
            resume: None,
        };
        it.refill();
        it
    }

    fn refill(&mut self) {
        self.buf.clear();
        self.entries.clear();
        self.idx = 0;
        if self.done {
            return;
        }
        let lower: &[u8] = &self.range.lower;
        let upper: Bound<&[u8]> = match &self.range.upper {
            Some(u) => Bound::Excluded(u.as_slice()),
            None => Bound::Unbounded,
        };
        let push = |k: &[u8], v: &[u8], buf: &mut Vec<u8>, entries: &mut Vec<_>| {
            let start = buf.len() as u32;
            buf.extend_from_slice(k);
            buf.extend_from_slice(v);
            entries.push((start, k.len() as u32, v.len() as u32));
        };
        let guard = &epoch::pin();
        let list = &self.table.map;
        let entries: Box<dyn Iterator<Item = _>> = if !self.range.reverse {
            let from = match &self.resume {
                Some(k) => Bound::Excluded(k.as_slice()),
                None => Bound::Included(lower),
            };
            Box::new(list.range::<[u8], _>((from, upper), guard))
        } else {
            let to = match &self.resume {
                Some(k) => Bound::Excluded(k.as_slice()),
                None => upper,
            };
            Box::new(
                list.range::<[u8], _>((Bound::Included(lower), to), guard)
                    .rev(),
            )
        };
        // The walk down the list is a chain of dependent loads, but each
        // entry's value sits two more loads away (entry, then bytes): they
        // are requested for the whole chunk first, then copied, so their
        // cache misses overlap instead of following one another.
        let chunk: Vec<_> = entries
            .take(CHUNK)
            .map(|e| {
                prefetch_addr(Arc::as_ptr(e.value()) as usize);
                (e.key().as_slice(), &**e.value())
            })
            .collect();
        for (_, e) in &chunk {
            e.prefetch_value(guard);
        }
        for (k, e) in chunk {
            push(k, e.value(guard), &mut self.buf, &mut self.entries);
        }
        if self.entries.len() < CHUNK {
            self.done = true;
        }
        if let Some(&(s, kl, _)) = self.entries.last() {
            self.resume = Some(self.buf[s as usize..(s + kl) as usize].to_vec());
        }
    }
}

impl KvIter for MemIter {
    fn valid(&self) -> bool {
        self.idx < self.entries.len()
    }
    fn key(&self) -> &[u8] {
        let (s, kl, _) = self.entries[self.idx];
        &self.buf[s as usize..(s + kl) as usize]
    }
    fn value(&self) -> &[u8] {
        let (s, kl, vl) = self.entries[self.idx];
        &self.buf[(s + kl) as usize..(s + kl + vl) as usize]
    }
    fn advance(&mut self) -> Result<()> {
        self.idx += 1;
        if self.idx >= self.entries.len() && !self.done {
            self.refill();
        }
        Ok(())
    }

    fn seek_forward(&mut self, target: &[u8]) -> Result<()> {
        if self.range.reverse || !self.valid() || self.key() >= target {
            return Ok(());
        }
        // Within the buffered chunk: a binary search; else read from target.
        let last = self.entries.len() - 1;
        let (s, kl, _) = self.entries[last];
        if &self.buf[s as usize..(s + kl) as usize] >= target {
            let (buf, entries) = (&self.buf, &self.entries);
            self.idx = self.idx
                + entries[self.idx..]
                    .partition_point(|&(s, kl, _)| &buf[s as usize..(s + kl) as usize] < target);
            return Ok(());
        }
        if target > self.range.lower.as_slice() {
            self.range.lower = target.to_vec();
        }
        self.resume = None;
        self.done = false;
        self.refill();
        Ok(())
    }
}
