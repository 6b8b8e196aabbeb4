//! State that outlives one operator: a transaction's private writes and
//! snapshot, and the recorder EXPLAIN reads the executor's operators from.
//! Imports only values.

pub mod trace;
pub mod txn;
