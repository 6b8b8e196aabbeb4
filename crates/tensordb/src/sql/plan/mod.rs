//! Access-path planning: how to read one table (primary key, index, range or
//! scan) priced by cost.

pub mod access;
pub mod paths;
pub mod range;
