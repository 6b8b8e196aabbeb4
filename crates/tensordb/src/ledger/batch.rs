//! Commit records: the WAL payload of one atomic batch, the storage
//! entries each operation becomes, and the commit's change-log entry.
//!
//! Layout: `sys: u64 LE | n: varint | n × (op: u8 | valid_from: i64 LE |
//! valid_to: i64 LE | klen: varint | key | vlen: varint | value)`.

use super::fact::{encode_fact, FactKind};
use super::keys::{current_key, epoch_key, history_key};
use crate::error::{Error, Result};
use crate::storage::coding::{get_i64_le, get_u64_le, get_varint, put_varint};
use crate::storage::memtable::Lookup;

/// What an operation does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpKind {
    /// Assert a value for a valid period.
    Put,
    /// Retract the value for a valid period.
    Delete,
    /// Record a new epoch (key = epoch number, big-endian u64).
    Epoch,
}

/// One operation of a batch, with its valid period already resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op {
    /// Put, delete or epoch.
    pub kind: OpKind,
    /// The user key.
    pub key: Vec<u8>,
    /// The value (empty for deletes and epochs).
    pub value: Vec<u8>,
    /// Valid period start (inclusive).
    pub valid_from: i64,
    /// Valid period end (exclusive).
    pub valid_to: i64,
}

/// Appends the commit record of `ops` at system time `sys` to `out`.
pub fn encode_commit(sys: u64, ops: &[Op], out: &mut Vec<u8>) {
    out.extend_from_slice(&sys.to_le_bytes());
    put_varint(out, ops.len() as u64);
    for op in ops {
        out.push(match op.kind {
            OpKind::Put => 1,
            OpKind::Delete => 2,
            OpKind::Epoch => 3,
        });
        out.extend_from_slice(&op.valid_from.to_le_bytes());
        out.extend_from_slice(&op.valid_to.to_le_bytes());
        put_varint(out, op.key.len() as u64);
        out.extend_from_slice(&op.key);
        put_varint(out, op.value.len() as u64);
        out.extend_from_slice(&op.value);
    }
}

/// Decodes a commit record; damage is `TDB_CORRUPT`.
pub fn decode_commit(b: &[u8]) -> Result<(u64, Vec<Op>)> {
    let bad = || Error::corrupt("malformed commit record in the WAL");
    let sys = get_u64_le(b, 0).ok_or_else(bad)?;
    let mut p = 8;
    let n = get_varint(b, &mut p).ok_or_else(bad)? as usize;
    let mut ops = Vec::with_capacity(n.min(1 << 16));
    for _ in 0..n {
        let kind = match b.get(p) {
            Some(1) => OpKind::Put,
            Some(2) => OpKind::Delete,
            Some(3) => OpKind::Epoch,
            _ => return Err(bad()),
        };
        let valid_from = get_i64_le(b, p + 1).ok_or_else(bad)?;
        let valid_to = get_i64_le(b, p + 9).ok_or_else(bad)?;
        p += 17;
        let kl = get_varint(b, &mut p).ok_or_else(bad)? as usize;
        let key = b
            .get(p..p.checked_add(kl).ok_or_else(bad)?)
            .ok_or_else(bad)?
            .to_vec();
        p += kl;
        let vl = get_varint(b, &mut p).ok_or_else(bad)? as usize;
        let value = b
            .get(p..p.checked_add(vl).ok_or_else(bad)?)
            .ok_or_else(bad)?
            .to_vec();
        p += vl;
        ops.push(Op {
            kind,
            key,
            value,
            valid_from,
            valid_to,
        });
    }
    if p != b.len() {
        return Err(bad());
    }
    Ok((sys, ops))
}

/// The storage entries (key, value, how they are read) that operation `seq`
/// of a commit at `sys` writes.
pub fn op_entries(op: &Op, sys: u64, seq: u32, mut emit: impl FnMut(Vec<u8>, Vec<u8>, Lookup)) {
    let kind = match op.kind {
        OpKind::Put => FactKind::Put,
        OpKind::Delete => FactKind::Delete,
        OpKind::Epoch => {
            let n = get_u64_be(&op.key);
            emit(epoch_key(n), sys.to_le_bytes().to_vec(), Lookup::Exact);
            return;
        }
    };
    let value: &[u8] = if kind == FactKind::Put {
        &op.value
    } else {
        &[]
    };
    let fact = encode_fact(kind, sys, seq, op.valid_from, op.valid_to, value);
    emit(history_key(&op.key, sys, seq), fact.clone(), Lookup::Scan);
    emit(current_key(&op.key), fact, Lookup::Exact);
}

/// The change-log entry of a commit at `sys` (see `keys::change_key`):
/// per put or delete, `seq: u32 LE | klen: varint | key`; `None` when the
/// commit wrote no keys (an epoch).
pub fn change_entry(sys: u64, ops: &[Op]) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut v = Vec::new();
    for (seq, op) in ops.iter().enumerate() {
        if op.kind == OpKind::Epoch {
            continue;
        }
        v.extend_from_slice(&(seq as u32).to_le_bytes());
        put_varint(&mut v, op.key.len() as u64);
        v.extend_from_slice(&op.key);
    }
    (!v.is_empty()).then(|| (super::keys::change_key(sys), v))
}

/// Decodes a change-log entry into (seq, key) pairs; damage is `TDB_CORRUPT`.
pub fn decode_change_entry(b: &[u8]) -> Result<Vec<(u32, &[u8])>> {
    let bad = || Error::corrupt("malformed change-log record");
    let mut out = Vec::new();
    let mut p = 0;
    while p < b.len() {
        let seq = super::super::storage::coding::get_u32_le(b, p).ok_or_else(bad)?;
        p += 4;
        let n = get_varint(b, &mut p).ok_or_else(bad)? as usize;
        let key = b.get(p..p + n).ok_or_else(bad)?;
        p += n;
        out.push((seq, key));
    }
    Ok(out)
}

fn get_u64_be(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    let n = b.len().min(8);
    a[8 - n..].copy_from_slice(&b[..n]);
    u64::from_be_bytes(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_truncation() {
        let ops = vec![
            Op {
                kind: OpKind::Put,
                key: b"a\0b".to_vec(),
                value: b"v".to_vec(),
                valid_from: -5,
                valid_to: i64::MAX,
            },
            Op {
                kind: OpKind::Delete,
                key: b"x".to_vec(),
                value: vec![],
                valid_from: 1,
                valid_to: 2,
            },
        ];
        let mut b = Vec::new();
        encode_commit(42, &ops, &mut b);
        assert_eq!(decode_commit(&b).unwrap(), (42, ops));
        for cut in 0..b.len() {
            assert!(decode_commit(&b[..cut]).is_err());
        }
    }
}
