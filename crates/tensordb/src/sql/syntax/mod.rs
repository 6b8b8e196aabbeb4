//! From text to TensorDB's own syntax tree: the front pass (temporal syntax,
//! `?` numbering, depth estimate), sqlparser, the translator (the only user
//! of sqlparser's AST), name hints and nesting limits.

pub mod ast;
pub mod columns;
pub mod front;
pub mod hint;
pub mod limits;
pub mod names;
pub mod parse;
pub mod translate;
pub mod walk;
