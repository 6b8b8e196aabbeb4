//! The Node.js binding of TensorDB: marshalling and scheduling only. Every
//! export catches panics so a Rust bug becomes a JS exception, never a dead
//! process. The engine lives in `crates/tensordb`.
#![deny(clippy::unwrap_used)]

/// The addon allocates through mimalloc: the engine allocates many small,
/// short-lived buffers (keys, rows, values), and glibc's malloc/free were a
/// quarter of the samples of a range query (bench/RESULTS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod completion;
mod convert;
mod database;
mod error;
mod statement;
