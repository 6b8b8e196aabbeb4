//! SQL on the ledger: parse (sqlparser) -> translate (own AST) -> execute
//! over rows stored as facts. Tables, rows and the catalog are ordinary
//! ledger facts, so every SQL write is versioned in system time.

pub mod access;
pub mod aggregate;
pub mod alter;
pub mod api;
pub mod ast;
pub mod catalog;
pub mod check;
pub mod coltype;
pub mod control;
pub mod cte;
pub mod datetime;
pub mod dml;
pub mod exec;
pub mod front;
pub mod func_math;
pub mod func_text;
pub mod functions;
pub mod hint;
pub mod index;
pub mod insert;
pub mod join;
pub mod json;
pub mod limits;
pub mod meta_cache;
pub mod parse;
pub mod period;
pub mod plan;
pub mod point;
pub mod portion;
pub mod range;
pub mod restore;
pub mod session;
pub mod stats;
pub mod temporal;
pub mod trace;
pub mod translate;
pub mod txn;
pub mod types;
pub mod value;
pub mod view;
pub mod window;

pub use dml::SqlResult;
pub use session::{Prepared, Session};
pub use value::Value;
