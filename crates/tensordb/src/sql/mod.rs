//! SQL on the ledger: parse (sqlparser) -> translate (own AST) -> execute
//! over rows stored as facts. Tables, rows and the catalog are ordinary
//! ledger facts, so every SQL write is versioned in system time.
//!
//! Layout, by phase; each folder imports only the folders below it (the
//! `sql_layers` test holds this), so data flows one way:
//!
//! - top: `session` (statements in order, transactions, prepared plans),
//!   `api` (`Database::sql` / `prepare`), `check` (index consistency);
//! - `dml`: the statement dispatcher and statements that write;
//! - `exec`: query execution (expressions, FROM and joins, CTEs, windows,
//!   views and temporal table references);
//! - `plan`: access paths priced by cost;
//! - `catalog`: schema facts and the statement context (`Ctx`) over them;
//! - `state`: a transaction's private state, the EXPLAIN recorder;
//! - `syntax`: text to TensorDB's syntax tree (sqlparser stays inside);
//! - `func`: functions and per-statement controls;
//! - `datum`: values and their types.

pub mod api;
pub mod catalog;
pub mod check;
pub mod datum;
pub mod dml;
pub mod exec;
pub mod func;
pub mod plan;
pub mod session;
pub mod state;
pub mod stream;
pub mod syntax;

pub use datum::value::Value;
pub use dml::statement::SqlResult;
pub use session::{Prepared, Session};
pub use stream::RowStream;
