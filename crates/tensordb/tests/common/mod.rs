//! Helpers shared by the scenario tests.
#![allow(dead_code)]

pub mod oracle;
pub mod slt;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tensordb::{Database, MemBackend, Options, StoreOptions};

/// A fresh folder under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let p = std::env::temp_dir().join(format!(
            "tensordb-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Options with tiny memtables and tables so tests exercise flush and compaction.
pub fn small_options() -> Options {
    Options {
        store: StoreOptions {
            shards: 4,
            memtable_bytes: 64 << 10,
            block_size: 512,
            cache_bytes: 1 << 20,
            l0_trigger: 3,
            l1_bytes: 256 << 10,
            table_bytes: 64 << 10,
            ..StoreOptions::default()
        },
        ..Options::default()
    }
}

/// An in-memory database at a fixed path, and its backend for fault injection.
pub fn mem_db(opts: Options) -> (Database, MemBackend) {
    let backend = MemBackend::new();
    let db = Database::open_with_backend(Arc::new(backend.clone()), "/db", opts).unwrap();
    (db, backend)
}

/// Reopens the in-memory database.
pub fn reopen(backend: &MemBackend, opts: Options) -> Database {
    Database::open_with_backend(Arc::new(backend.clone()), "/db", opts).unwrap()
}

/// A small deterministic PRNG (xorshift64*).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}
