//! Change feeds: committed changes in commit order, read from the change
//! log (one record per commit listing the keys it wrote, kept in shard 0)
//! and the facts themselves (history records), with the value each key had
//! just before the change. Consumers pull batches from a position (a system
//! time); durable named cursors remember the last position a consumer
//! acknowledged, as an ordinary fact under a reserved key.

use super::commit::shard_of;
use super::db::Database;
use crate::error::{Error, Result};
use crate::ledger::batch::decode_change_entry;
use crate::ledger::fact::{FactKind, FactView};
use crate::ledger::keys::{change_key, history_key};
use crate::storage::coding::get_u64_le;
use crate::storage::iter::{KvIter, Range};

/// Keys starting with this are the engine's own (cursor positions) and
/// never appear in change feeds.
pub const INTERNAL_PREFIX: [u8; 2] = [0xFF, 0xFD];

/// One committed change of one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The commit's system time (the feed position after this change's commit).
    pub sys: u64,
    /// Position within the commit.
    pub seq: u32,
    /// The key.
    pub key: Vec<u8>,
    /// Put or delete.
    pub kind: FactKind,
    /// The new value (`None` for deletes).
    pub value: Option<Vec<u8>>,
    /// The key's value just before the commit, at the change's valid start.
    pub old: Option<Vec<u8>>,
    /// Valid period start of the change.
    pub valid_from: i64,
    /// Valid period end (exclusive).
    pub valid_to: i64,
}

/// A batch of changes and the position to continue from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangeBatch {
    /// Changes in commit order (then order within the commit).
    pub changes: Vec<Change>,
    /// The system time read up to: pass it as `after` for the next batch
    /// (it moves past commits with no matching key too).
    pub next: u64,
}

fn cursor_key(name: &str) -> Vec<u8> {
    let mut k = INTERNAL_PREFIX.to_vec();
    k.push(b'q');
    k.extend_from_slice(name.as_bytes());
    k
}

impl Database {
    /// Changes committed after system time `after`, of keys starting with
    /// `prefix`, whole commits at a time until at least `max` changes (or
    /// nothing more is committed).
    pub fn changes(&self, after: u64, prefix: &[u8], max: usize) -> Result<ChangeBatch> {
        let upto = self.now();
        let store = &self.check()?.store;
        let mut out = ChangeBatch {
            changes: Vec::new(),
            next: after,
        };
        if after >= upto {
            return Ok(out);
        }
        let log = store.tree(0).current();
        let range = Range {
            lower: change_key(after.saturating_add(1)),
            upper: Some(change_key(upto.saturating_add(1))),
            reverse: false,
        };
        let mut it = log.iter(&range)?;
        let shards = store.shards();
        while it.valid() {
            let sys = get_u64_be(&it.key()[1..])
                .ok_or_else(|| Error::corrupt("malformed change-log key"))?;
            for (seq, key) in decode_change_entry(it.value())? {
                if !key.starts_with(prefix) || key.starts_with(&INTERNAL_PREFIX) {
                    continue;
                }
                let ver = store.tree(shard_of(key, shards)).current();
                let hk = history_key(key, sys, seq);
                let fact = ver
                    .get(&hk, false, |b| {
                        let f = FactView::decode(b)?;
                        Ok::<_, Error>((
                            f.kind,
                            (f.kind == FactKind::Put).then(|| f.value.to_vec()),
                            f.valid_from,
                            f.valid_to,
                        ))
                    })?
                    .transpose()?
                    .ok_or_else(|| Error::corrupt("a change-log record names a missing fact"))?;
                let (kind, value, valid_from, valid_to) = fact;
                let old = super::read::get(store, key, sys - 1, valid_from, false)?;
                out.changes.push(Change {
                    sys,
                    seq,
                    key: key.to_vec(),
                    kind,
                    value,
                    old,
                    valid_from,
                    valid_to,
                });
            }
            out.next = sys;
            if out.changes.len() >= max {
                return Ok(out);
            }
            it.advance()?;
        }
        out.next = upto;
        Ok(out)
    }

    /// The position durable cursor `name` acknowledged last (0: none yet).
    pub fn cursor_position(&self, name: &str) -> Result<u64> {
        check_cursor_name(name)?;
        Ok(self
            .get(&cursor_key(name), &super::db::ReadAt::default())?
            .and_then(|v| get_u64_le(&v, 0))
            .unwrap_or(0))
    }

    /// Records (durably) that cursor `name` has processed every change up to
    /// and including system time `position`.
    pub fn cursor_ack(&self, name: &str, position: u64) -> Result<()> {
        check_cursor_name(name)?;
        self.put(&cursor_key(name), &position.to_le_bytes())
            .map(|_| ())
    }
}

fn check_cursor_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 256 {
        return Err(Error::invalid("a cursor name is 1 to 256 bytes"));
    }
    Ok(())
}

fn get_u64_be(b: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(..8)?.try_into().ok()?))
}
