//! The ledger: how facts and their two time axes are laid out in storage keys
//! and values, and the bitemporal read rule.

pub mod batch;
pub mod fact;
pub mod keys;
pub mod timeline;
