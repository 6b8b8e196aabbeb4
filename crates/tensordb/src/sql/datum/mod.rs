//! SQL values and their types: the value model (SQLite semantics), strict
//! column kinds, JSON documents, dates and times. Imports nothing else from
//! `sql`.

pub mod coltype;
pub mod datetime;
pub mod json;
pub mod value;
