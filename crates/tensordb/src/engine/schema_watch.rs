//! Schema generation: a counter the committer moves whenever a commit
//! touches a schema key, so layers above can cache what they derive from
//! schema facts (the SQL catalog, index definitions, statistics, views) and
//! know, with two atomic loads, whether it still holds.
//!
//! Schema keys are the SQL layer's metadata: `0xFF 0xFE` followed by one of
//! `SCHEMA_KINDS` (see `sql::catalog`). Row and index-entry keys never move
//! the counter.
//!
//! Protocol (a seqlock): the committer makes the generation odd before it
//! applies and publishes a commit that touches a schema key, records that
//! commit's system time as `last_sys`, then makes the generation even. A
//! reader whose snapshot is at or after `last_sys`, and which read an even
//! generation after taking its snapshot, sees exactly the schema every other
//! such reader of the same generation sees.

use std::sync::atomic::{AtomicU64, Ordering};

/// Prefix of every SQL key.
pub const SCHEMA_PREFIX: [u8; 2] = [0xFF, 0xFE];
/// Third bytes of SQL metadata keys: catalog, view, index definition,
/// statistics, triggers (rows are 'r' and index entries 'i': data, not schema).
pub const SCHEMA_KINDS: &[u8] = b"cvxsg";

/// True when `key` is a schema key.
pub fn is_schema_key(key: &[u8]) -> bool {
    key.len() > 2 && key[..2] == SCHEMA_PREFIX && SCHEMA_KINDS.contains(&key[2])
}

/// The generation counter and the system time of the last schema change.
#[derive(Debug)]
pub struct SchemaWatch {
    generation: AtomicU64,
    last_sys: AtomicU64,
}

/// A consistent reading of the watch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchemaState {
    /// Even generation number.
    pub generation: u64,
    /// System time of the last schema change (or of the open, for changes
    /// made before it).
    pub last_sys: u64,
}

impl SchemaWatch {
    /// A watch for a database whose commits so far end at `last_sys`.
    pub fn new(last_sys: u64) -> Self {
        SchemaWatch {
            generation: AtomicU64::new(0),
            last_sys: AtomicU64::new(last_sys),
        }
    }

    /// Called by the committer before applying a schema-changing commit.
    pub fn begin_change(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Called by the committer after publishing it at `sys`.
    pub fn end_change(&self, sys: u64) {
        self.last_sys.store(sys, Ordering::Release);
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The current state, or `None` while a change is in flight.
    pub fn state(&self) -> Option<SchemaState> {
        let g1 = self.generation.load(Ordering::Acquire);
        if g1 % 2 == 1 {
            return None;
        }
        let last_sys = self.last_sys.load(Ordering::Acquire);
        let g2 = self.generation.load(Ordering::Acquire);
        (g1 == g2).then_some(SchemaState {
            generation: g1,
            last_sys,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_keys_are_sql_metadata_only() {
        assert!(is_schema_key(b"\xFF\xFEcx"));
        assert!(is_schema_key(b"\xFF\xFExt"));
        assert!(is_schema_key(b"\xFF\xFEvx"));
        assert!(is_schema_key(b"\xFF\xFEsx"));
        assert!(!is_schema_key(b"\xFF\xFErx"));
        assert!(!is_schema_key(b"\xFF\xFEix"));
        assert!(!is_schema_key(b"\xFF\xFE"));
        assert!(!is_schema_key(b"user"));
    }

    #[test]
    fn odd_generation_reads_as_in_flight() {
        let w = SchemaWatch::new(5);
        assert_eq!(
            w.state(),
            Some(SchemaState {
                generation: 0,
                last_sys: 5
            })
        );
        w.begin_change();
        assert_eq!(w.state(), None);
        w.end_change(9);
        assert_eq!(
            w.state(),
            Some(SchemaState {
                generation: 2,
                last_sys: 9
            })
        );
    }
}
