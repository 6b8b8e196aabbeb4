//! One shard's tree as readers see it: an immutable snapshot (`Version`) of
//! its memtables and table levels, swapped atomically when flush or
//! compaction changes it. Readers clone an `Arc` and never block the writer.

use super::iter::{KvIter, MergeIter, Range};
use super::memtable::{Lookup, MemIter, Memtable, Prefetch};
use super::row_cache::RowCache;
use super::table::{LevelIter, Table, TableIter};
use crate::error::Result;
use crossbeam_epoch::Guard;
use std::sync::{Arc, RwLock};

/// A memtable that no longer takes writes, waiting to be flushed.
#[derive(Clone)]
pub struct Frozen {
    /// The memtable.
    pub table: Arc<Memtable>,
    /// The WAL segment that was started when it froze: its data is in segments below.
    pub until_segment: u64,
}

/// A consistent snapshot of one shard's data.
#[derive(Clone)]
pub struct Version {
    /// The memtable taking writes.
    pub active: Arc<Memtable>,
    /// Frozen memtables, newest first.
    pub frozen: Vec<Frozen>,
    /// Level 0 (overlapping, newest first) and sorted levels 1.. .
    pub levels: Vec<Vec<Arc<Table>>>,
    /// Flushes of this shard before this snapshot (the row cache's epoch).
    pub flushes: u64,
    /// The shard's row cache, shared by all its snapshots.
    pub rows: Arc<RowCache>,
}

impl Version {
    /// Starts loading memory a `get_hashed` of `key` will touch in the
    /// active memtable (see `Memtable::prefetch`), or in the row cache when
    /// the key is not in memory tables, so a batch of reads overlaps its
    /// cache misses instead of taking them one after another.
    #[inline]
    pub fn prefetch(&self, key: &[u8], mem_hash: u64, stage: Prefetch, guard: &Guard) {
        if !self.active.prefetch(key, mem_hash, stage, guard) && self.frozen.is_empty() {
            self.rows.prefetch(super::hash::hash64(key));
        }
    }

    /// Finds one exact key, newest source first, and maps its value with `f`.
    /// `key` was written as `lookup` (see `Memtable::insert`).
    pub fn get<R>(
        &self,
        key: &[u8],
        lookup: Lookup,
        cache_only: bool,
        f: impl FnOnce(&[u8]) -> R,
    ) -> Result<Option<R>> {
        let mem_hash = (lookup == Lookup::Exact).then(|| self.active.hash(key));
        self.get_hashed(key, mem_hash, cache_only, f)
    }

    /// `get` with the memtable hash (`Memtable::hash`) of a `Lookup::Exact`
    /// key supplied, or `None` for a `Lookup::Scan` key.
    pub fn get_hashed<R>(
        &self,
        key: &[u8],
        mem_hash: Option<u64>,
        cache_only: bool,
        f: impl FnOnce(&[u8]) -> R,
    ) -> Result<Option<R>> {
        // `f` runs once, on the first source holding the key.
        let mut f = Some(f);
        let mut call = |v: &[u8]| f.take().map(|f| f(v));
        let guard = &crossbeam_epoch::pin();
        for m in std::iter::once(&self.active).chain(self.frozen.iter().map(|fz| &fz.table)) {
            let found = match mem_hash {
                Some(h) => m.get_in(key, h, guard, &mut call),
                None => m.get_scanned(key, &mut call),
            };
            if let Some(r) = found {
                return Ok(r);
            }
        }
        // Hashed once for the row cache and the bloom filters of every
        // table probed.
        let hash = super::hash::hash64(key);
        if let Some(v) = self.rows.get(hash, key) {
            return Ok(call(&v));
        }
        // The newest table holding the key gives its value, which the row
        // cache keeps for the next read.
        let mut call = |v: &[u8]| {
            self.rows.insert(self.flushes, hash, key, v);
            call(v)
        };
        for (i, level) in self.levels.iter().enumerate() {
            // Level 0 tables overlap: each may hold the key. Deeper levels
            // are sorted and disjoint: only the table spanning it may.
            let tables = if i == 0 {
                level.as_slice()
            } else {
                let idx = level.partition_point(|t| t.meta.largest.as_slice() < key);
                level
                    .get(idx..(idx + 1).min(level.len()))
                    .unwrap_or_default()
            };
            for t in tables {
                if let Some(r) = t.get_with(key, hash, cache_only, &mut call)? {
                    return Ok(r);
                }
            }
        }
        Ok(None)
    }

    /// An iterator over `range` merging every source, newest winning ties.
    pub fn iter(&self, range: &Range) -> Result<MergeIter> {
        self.iter_with(range, false)
    }

    /// Like `iter`; with `cache_only`, needing an uncached block is a
    /// `WouldBlock` error.
    pub fn iter_with(&self, range: &Range, cache_only: bool) -> Result<MergeIter> {
        let mut sources: Vec<Box<dyn KvIter>> = Vec::new();
        sources.push(Box::new(MemIter::new(self.active.clone(), range.clone())));
        for fz in &self.frozen {
            sources.push(Box::new(MemIter::new(fz.table.clone(), range.clone())));
        }
        for (i, level) in self.levels.iter().enumerate() {
            if i == 0 {
                for t in level.iter().filter(|t| t.overlaps(range)) {
                    sources.push(Box::new(TableIter::with_cache_only(
                        t.clone(),
                        range.clone(),
                        cache_only,
                    )?));
                }
            } else if !level.is_empty() {
                sources.push(Box::new(LevelIter::with_cache_only(
                    level,
                    range.clone(),
                    cache_only,
                )?));
            }
        }
        MergeIter::new(sources, range.reverse)
    }

    /// Total bytes of the tables in level `i`.
    pub fn level_bytes(&self, i: usize) -> u64 {
        self.levels
            .get(i)
            .map(|l| l.iter().map(|t| t.meta.size).sum())
            .unwrap_or(0)
    }
}

/// A shard's tree: the published version behind a lock held only to clone or
/// replace an `Arc`.
pub struct Tree {
    version: RwLock<Arc<Version>>,
}

impl Tree {
    /// A tree publishing `version`.
    pub fn new(version: Version) -> Self {
        Tree {
            version: RwLock::new(Arc::new(version)),
        }
    }

    /// The current snapshot.
    pub fn current(&self) -> Arc<Version> {
        self.version
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Replaces the snapshot with `f(current)`.
    pub fn update(&self, f: impl FnOnce(&Version) -> Version) {
        let mut g = self.version.write().unwrap_or_else(|p| p.into_inner());
        let next = f(&g);
        *g = Arc::new(next);
    }
}
