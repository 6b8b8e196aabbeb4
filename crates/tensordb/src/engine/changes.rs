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
use crate::storage::memtable::Lookup;

/// Keys starting with this are the engine's own (cursor positions) and
/// never appear in change feeds.
pub const INTERNAL_PREFIX: [u8; 2] = [0xFF, 0xFD];

/// True for keys in the engine's reserved keyspace (`0xFF 0xFD …` cursors,
/// `0xFF 0xFE …` SQL): the key-value API neither writes nor reports them.
pub fn is_reserved(key: &[u8]) -> bool {
    key.len() >= 2 && key[0] == 0xFF && (key[1] == 0xFD || key[1] == 0xFE)
}

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

/// A place in the feed: after change `seq` of the commit at `sys`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// The commit's system time.
    pub sys: u64,
    /// The last change of that commit already taken (`u32::MAX`: all).
    pub seq: u32,
}

impl Position {
    /// After every change of the commit at `sys` (0: the beginning).
    pub fn after_commit(sys: u64) -> Position {
        Position { sys, seq: u32::MAX }
    }
}

/// A batch of changes and the position to continue from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangeBatch {
    /// Changes in commit order (then order within the commit).
    pub changes: Vec<Change>,
    /// Where the read stopped: pass it as `after` for the next batch (it
    /// moves past commits with no matching key too).
    pub next: Position,
}

fn cursor_key(name: &str) -> Vec<u8> {
    let mut k = INTERNAL_PREFIX.to_vec();
    k.push(b'q');
    k.extend_from_slice(name.as_bytes());
    k
}

impl Database {
    /// Changes committed after position `after`, of keys starting with
    /// `prefix`, at most `max` (`max` ≥ 1).
    pub fn changes(&self, after: Position, prefix: &[u8], max: usize) -> Result<ChangeBatch> {
        let upto = self.now();
        let store = &self.live()?.store;
        let max = max.max(1);
        let mut out = ChangeBatch {
            changes: Vec::new(),
            next: after,
        };
        if after.sys > upto || (after.sys == upto && after.seq == u32::MAX) {
            return Ok(out);
        }
        let log = store.tree(0).current();
        let range = Range {
            lower: change_key(after.sys),
            upper: Some(change_key(upto.saturating_add(1))),
            reverse: false,
        };
        let mut it = log.iter(&range)?;
        let shards = store.shards();
        while it.valid() {
            let sys = get_u64_be(&it.key()[1..])
                .ok_or_else(|| Error::corrupt("malformed change-log key"))?;
            for (seq, key) in decode_change_entry(it.value())? {
                if sys == after.sys && seq <= after.seq {
                    continue;
                }
                if out.changes.len() == max {
                    return Ok(out);
                }
                // Taken (or skipped as filtered out) from here on.
                out.next = Position { sys, seq };
                // Cursor keys are never reported; the rest of the engine's
                // keyspace (SQL rows and schema) only to a feed asking for it
                // (a SQL table feed), never to a key-value feed.
                if !key.starts_with(prefix)
                    || key.starts_with(&INTERNAL_PREFIX)
                    || (is_reserved(key) && !is_reserved(prefix))
                {
                    continue;
                }
                let ver = store.tree(shard_of(key, shards)).current();
                let hk = history_key(key, sys, seq);
                let fact = ver
                    .get(&hk, Lookup::Scan, false, |b| {
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
            out.next = Position::after_commit(sys);
            it.advance()?;
        }
        out.next = Position::after_commit(upto);
        Ok(out)
    }

    /// The position durable cursor `name` acknowledged last (the beginning
    /// when it never did).
    pub fn cursor_position(&self, name: &str) -> Result<Position> {
        check_cursor_name(name)?;
        let v = self.get(&cursor_key(name), &super::db::ReadAt::default())?;
        Ok(match v {
            Some(v) => Position {
                sys: get_u64_le(&v, 0).ok_or_else(|| Error::corrupt("malformed cursor"))?,
                seq: crate::storage::coding::get_u32_le(&v, 8)
                    .ok_or_else(|| Error::corrupt("malformed cursor"))?,
            },
            None => Position::default(),
        })
    }

    /// Records (durably) that cursor `name` has processed every change up to
    /// and including `position`.
    pub fn cursor_ack(&self, name: &str, position: Position) -> Result<()> {
        check_cursor_name(name)?;
        let mut v = position.sys.to_le_bytes().to_vec();
        v.extend_from_slice(&position.seq.to_le_bytes());
        self.put(&cursor_key(name), &v).map(|_| ())
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
