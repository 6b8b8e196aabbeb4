//! Fact records and the bitemporal read rule.
//!
//! A fact is `(key, value, system_time, seq, valid_from, valid_to, kind)`.
//! Stored value layout (little-endian): `kind: u8 | sys: u64 | seq: u32 |
//! valid_from: i64 | valid_to: i64 | value bytes`. Valid periods are half-open
//! `[from, to)` in microseconds since the Unix epoch; `VALID_END` means open.

use crate::error::{Error, Result};
use crate::storage::coding::{get_i64_le, get_u32_le, get_u64_le};

/// The open end of a valid period (`+∞`).
pub const VALID_END: i64 = i64::MAX;
/// The earliest representable valid time (`-∞`).
pub const VALID_START: i64 = i64::MIN;
const HEADER: usize = 1 + 8 + 4 + 8 + 8;

/// Whether a fact asserts a value or retracts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FactKind {
    /// The key has this value during the period.
    Put,
    /// The key has no value during the period (a tombstone).
    Delete,
}

impl FactKind {
    fn byte(self) -> u8 {
        match self {
            FactKind::Put => 1,
            FactKind::Delete => 2,
        }
    }
}

/// A fact decoded without copying its value.
#[derive(Clone, Copy, Debug)]
pub struct FactView<'a> {
    /// Put or delete.
    pub kind: FactKind,
    /// Commit timestamp (system time).
    pub sys: u64,
    /// Position within its commit batch.
    pub seq: u32,
    /// Start of the valid period (inclusive).
    pub valid_from: i64,
    /// End of the valid period (exclusive; `VALID_END` when open).
    pub valid_to: i64,
    /// The value bytes (empty for deletes).
    pub value: &'a [u8],
}

impl<'a> FactView<'a> {
    /// Decodes a stored fact; malformed bytes are `TDB_CORRUPT`.
    pub fn decode(bytes: &'a [u8]) -> Result<FactView<'a>> {
        let bad = || Error::corrupt("malformed fact record");
        let kind = match bytes.first() {
            Some(1) => FactKind::Put,
            Some(2) => FactKind::Delete,
            _ => return Err(bad()),
        };
        Ok(FactView {
            kind,
            sys: get_u64_le(bytes, 1).ok_or_else(bad)?,
            seq: get_u32_le(bytes, 9).ok_or_else(bad)?,
            valid_from: get_i64_le(bytes, 13).ok_or_else(bad)?,
            valid_to: get_i64_le(bytes, 21).ok_or_else(bad)?,
            value: bytes.get(HEADER..).ok_or_else(bad)?,
        })
    }

    /// The read rule's test: known by system time `t` and valid at `v`.
    pub fn visible(&self, t: u64, v: i64) -> bool {
        self.sys <= t && self.valid_from <= v && v < self.valid_to
    }

    /// True when the two facts' valid periods overlap.
    pub fn overlaps(&self, other: &FactView<'_>) -> bool {
        self.valid_from < other.valid_to && other.valid_from < self.valid_to
    }
}

/// Encodes a fact for storage.
pub fn encode_fact(
    kind: FactKind,
    sys: u64,
    seq: u32,
    valid_from: i64,
    valid_to: i64,
    value: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + value.len());
    out.push(kind.byte());
    out.extend_from_slice(&sys.to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&valid_from.to_le_bytes());
    out.extend_from_slice(&valid_to.to_le_bytes());
    out.extend_from_slice(value);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rule() {
        let b = encode_fact(FactKind::Put, 7, 2, 10, 20, b"v");
        let f = FactView::decode(&b).unwrap();
        assert_eq!(
            (f.sys, f.seq, f.valid_from, f.valid_to, f.value),
            (7, 2, 10, 20, &b"v"[..])
        );
        assert!(f.visible(7, 10));
        assert!(!f.visible(6, 10));
        assert!(!f.visible(7, 20));
        assert!(FactView::decode(&b[..10]).is_err());
        assert!(FactView::decode(&[9u8; 40]).is_err());
    }
}
