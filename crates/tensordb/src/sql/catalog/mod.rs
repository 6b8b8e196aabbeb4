//! The schema as ledger facts: tables, views, secondary indexes, result
//! column types, planner statistics, and the shared schema cache.

pub mod ctx;
pub mod index;
pub mod meta_cache;
pub mod stats;
pub mod tables;
pub mod trigger;
pub mod types;
pub mod view;
