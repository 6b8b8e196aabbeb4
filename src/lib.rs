//! The Node.js binding of TensorDB: marshalling and scheduling only. Every
//! export catches panics so a Rust bug becomes a JS exception, never a dead
//! process. The engine lives in `crates/tensordb`.
#![deny(clippy::unwrap_used)]

mod completion;
mod convert;
mod database;
mod error;
mod statement;
