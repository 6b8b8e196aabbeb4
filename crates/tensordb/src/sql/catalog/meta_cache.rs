//! Schema metadata reads shared across statements. Every statement reads
//! the catalog entry of each table it names, the table's index definitions
//! and statistics; those change only with DDL, so one copy per open folder
//! serves every statement until the schema generation moves (see
//! `engine::schema_watch`).
//!
//! A statement may use the cache only when it reads the schema as it is now:
//! not at a chosen past time, with a snapshot at or after the last schema
//! change, and without schema writes of its own transaction (`Ctx` checks
//! all three). Entries are tagged with the generation they were read under;
//! a new generation empties the cache.

use crate::engine::db::Database;
use crate::engine::read::ScanRange;
use crate::sql::catalog::tables::Table;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Cached reads beyond which the cache starts over (a bound on memory for
/// schemas with very many tables).
const MAX_ENTRIES: usize = 4096;

/// Metadata rows of one scan, in scan order.
pub type ScanRows = Arc<Vec<(Vec<u8>, Vec<u8>)>>;

#[derive(Default)]
struct Inner {
    generation: u64,
    gets: HashMap<Vec<u8>, Option<Vec<u8>>>,
    scans: HashMap<Vec<u8>, ScanRows>,
    /// Catalog entries already decoded, by table name (`None`: no such
    /// table).
    tables: HashMap<String, Option<Arc<Table>>>,
}

impl Inner {
    /// Empties the cache when `generation` differs from its tag; false when
    /// `generation` is older than the cache's (a reader that fell behind).
    fn at(&mut self, generation: u64) -> bool {
        if generation > self.generation
            || self.gets.len() + self.scans.len() + self.tables.len() > MAX_ENTRIES
        {
            self.generation = generation;
            self.gets.clear();
            self.scans.clear();
            self.tables.clear();
        }
        generation == self.generation
    }
}

/// The per-folder cache of schema metadata reads.
pub struct MetaCache {
    /// Unique in the process (plans compiled against this folder carry it).
    pub id: u64,
    inner: Mutex<Inner>,
}

impl Default for MetaCache {
    fn default() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        MetaCache {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            inner: Mutex::default(),
        }
    }
}

impl MetaCache {
    /// The cache of `db`'s folder.
    pub fn of(db: &Database) -> Option<Arc<MetaCache>> {
        db.extension(MetaCache::default)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A point read cached under `generation`: `Some(value or absent)`.
    pub fn get(&self, generation: u64, key: &[u8]) -> Option<Option<Vec<u8>>> {
        let mut inner = self.lock();
        if !inner.at(generation) {
            return None;
        }
        inner.gets.get(key).cloned()
    }

    /// Remembers a point read made under `generation`.
    pub fn put(&self, generation: u64, key: &[u8], value: Option<Vec<u8>>) {
        let mut inner = self.lock();
        if inner.at(generation) {
            inner.gets.insert(key.to_vec(), value);
        }
    }

    /// A scan cached under `generation`.
    pub fn scan(&self, generation: u64, range: &ScanRange) -> Option<ScanRows> {
        let mut inner = self.lock();
        if !inner.at(generation) {
            return None;
        }
        inner.scans.get(&range_key(range)).cloned()
    }

    /// Remembers a scan made under `generation`.
    pub fn put_scan(&self, generation: u64, range: &ScanRange, rows: ScanRows) {
        let mut inner = self.lock();
        if inner.at(generation) {
            inner.scans.insert(range_key(range), rows);
        }
    }
}

impl MetaCache {
    /// A decoded catalog entry cached under `generation`: `Some(table or
    /// absent)`.
    pub fn table(&self, generation: u64, name: &str) -> Option<Option<Arc<Table>>> {
        let mut inner = self.lock();
        if !inner.at(generation) {
            return None;
        }
        inner.tables.get(name).cloned()
    }

    /// Remembers a catalog entry decoded under `generation`.
    pub fn put_table(&self, generation: u64, name: &str, table: Option<Arc<Table>>) {
        let mut inner = self.lock();
        if inner.at(generation) {
            inner.tables.insert(name.to_string(), table);
        }
    }
}

/// A scan range as a map key (each part length-prefixed).
fn range_key(r: &ScanRange) -> Vec<u8> {
    let mut k = Vec::new();
    for part in [&r.prefix, &r.start, &r.end] {
        match part {
            Some(b) => {
                k.push(1);
                k.extend_from_slice(&(b.len() as u32).to_le_bytes());
                k.extend_from_slice(b);
            }
            None => k.push(0),
        }
    }
    k.extend_from_slice(&r.limit.map_or(u64::MAX, |l| l as u64).to_le_bytes());
    k.push(u8::from(r.reverse));
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_generation_empties_the_cache_and_old_readers_miss() {
        let c = MetaCache::default();
        c.put(2, b"k", Some(b"v".to_vec()));
        assert_eq!(c.get(2, b"k"), Some(Some(b"v".to_vec())));
        assert_eq!(c.get(4, b"k"), None);
        // A reader still on generation 2 neither sees nor fills the cache.
        c.put(2, b"k", Some(b"old".to_vec()));
        assert_eq!(c.get(2, b"k"), None);
        assert_eq!(c.get(4, b"k"), None);
    }

    #[test]
    fn decoded_tables_follow_the_generation() {
        let c = MetaCache::default();
        c.put_table(3, "t", None);
        assert_eq!(c.table(3, "t").map(|t| t.is_none()), Some(true));
        assert!(c.table(3, "u").is_none());
        // A schema change empties it; an old reader neither sees nor fills.
        assert!(c.table(5, "t").is_none());
        c.put_table(3, "t", None);
        assert!(c.table(5, "t").is_none());
    }

    #[test]
    fn scans_are_keyed_by_every_range_field() {
        let c = MetaCache::default();
        let a = ScanRange {
            prefix: Some(b"ab".to_vec()),
            ..Default::default()
        };
        let b = ScanRange {
            start: Some(b"ab".to_vec()),
            ..Default::default()
        };
        c.put_scan(0, &a, Arc::new(vec![(b"ab1".to_vec(), b"x".to_vec())]));
        assert!(c.scan(0, &a).is_some());
        assert!(c.scan(0, &b).is_none());
    }
}
