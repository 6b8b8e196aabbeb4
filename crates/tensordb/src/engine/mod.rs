//! The engine: the `Database` handle, the commit pipeline (group commit),
//! bitemporal reads, epochs, and the process-wide registry of open folders.

pub mod asof;
pub mod backup;
pub mod changes;
pub mod clock;
pub mod commit;
pub mod conflict;
pub mod db;
pub mod groups;
pub mod options;
pub mod pool;
pub mod read;
mod registry;
pub mod repair;
pub mod schema_watch;
