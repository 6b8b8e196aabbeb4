//! Storage: the WAL, memtables, SSTables, the manifest, compaction, the
//! block cache and the row cache, over a pluggable file backend. Knows
//! nothing about time or SQL.

pub mod backend;
pub mod block;
pub mod bloom;
pub mod cache;
pub mod coding;
pub mod hash;
pub mod iter;
pub mod manifest;
pub mod mem_backend;
pub mod mem_index;
pub mod mem_key;
pub mod memtable;
pub mod options;
pub mod probe_table;
pub mod repair;
pub mod report;
pub mod row_cache;
pub mod store;
pub mod table;
pub mod table_writer;
pub mod version;
pub mod wal;
