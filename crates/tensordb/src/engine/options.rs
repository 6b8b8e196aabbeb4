//! Database options, all with defaults.

use crate::storage::options::StoreOptions;
use std::time::Duration;

/// When a write is acknowledged relative to its WAL sync.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// Acknowledge only after fdatasync (group commit shares one sync across
    /// every write that arrived while the previous sync ran). The default.
    Full,
    /// Acknowledge after the write reaches the OS; the WAL is synced at least
    /// every `interval`. A crash can lose writes acknowledged within it.
    Buffered {
        /// Upper bound between a write and its sync.
        interval: Duration,
    },
}

/// The default `statement_memory`: 2 GiB of materialized rows.
pub const DEFAULT_STATEMENT_MEMORY: usize = 2 << 30;

/// The default `max_length`: SQLite's `SQLITE_MAX_LENGTH`.
pub const DEFAULT_MAX_LENGTH: usize = 1_000_000_000;

/// Options for opening a database.
#[derive(Clone, Debug)]
pub struct Options {
    /// Storage tuning.
    pub store: StoreOptions,
    /// Acknowledgement rule for writes.
    pub durability: Durability,
    /// Threads that serve reads which may touch disk.
    pub read_threads: usize,
    /// Repair what opening would otherwise refuse with `TDB_CORRUPT`: a
    /// missing manifest is rebuilt from the table files, a corrupt WAL is
    /// cut at the damage (what was cut is reported in `replay_report`).
    /// Nothing is deleted: superseded files are set aside.
    pub repair: bool,
    /// Longest a SQL statement may run before it fails with `TDB_LIMIT`
    /// (`None`: no limit; sessions may set their own with `SET
    /// statement_timeout`).
    pub statement_timeout: Option<Duration>,
    /// Bytes of rows one SQL statement may materialize (scans, joins,
    /// recursive CTEs) before it fails with `TDB_LIMIT`; `None`: no budget.
    pub statement_memory: Option<usize>,
    /// Longest text or blob a SQL function or operator may build, in bytes
    /// (`TDB_LIMIT` past it); default 1,000,000,000 (SQLite's).
    pub max_length: usize,
    /// Open without writing anything: no lock file is created (a shared
    /// lock is taken when one exists), no recovery changes files, no
    /// background work runs, and every write fails with `TDB_READ_ONLY`.
    /// Works on a read-only folder or file system.
    pub read_only: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            store: StoreOptions::default(),
            durability: Durability::Full,
            read_threads: 2,
            repair: false,
            statement_timeout: None,
            statement_memory: Some(DEFAULT_STATEMENT_MEMORY),
            max_length: DEFAULT_MAX_LENGTH,
            read_only: false,
        }
    }
}
