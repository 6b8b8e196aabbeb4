//! TensorDB: an embedded bitemporal ledger database engine.
//!
//! Every write is an immutable fact carrying the system time at which the
//! database learned it and the valid-time period in which it holds. Reads ask
//! "as of system time T, what was true at valid time V". See `Database`.
#![deny(missing_docs)]
#![deny(unsafe_code)]
#![deny(clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod error;
pub mod storage;

pub use error::{Error, ErrorCode, Result};
pub mod engine;
pub mod ledger;
pub mod sql;

pub use engine::changes::{Change, ChangeBatch, Position};
pub use engine::clock::now_micros;
pub use engine::commit::{Committed, WriteOp};
pub use engine::db::{Database, ReadAt};
pub use engine::groups::{GroupBatch, PARTITIONS};
pub use engine::options::{Durability, Options};
pub use engine::read::{FactRecord, Rows, ScanRange};
pub use ledger::batch::OpKind;
pub use ledger::fact::FactKind;
pub use storage::backend::{Backend, FsBackend};
pub use storage::mem_backend::MemBackend;
pub use storage::options::StoreOptions;
