//! Statements that change data or schema: the statement dispatcher, INSERT,
//! ALTER, FOR PORTION OF, point-in-time restore, compiled primary-key reads.

pub mod alter;
pub mod fire;
pub mod insert;
pub mod instead;
pub mod point;
pub mod portion;
pub mod reindex;
pub mod restore;
pub mod statement;
