//! A transaction's private state: the snapshot it reads at, its buffered
//! writes (visible to its own reads, invisible to everyone else until
//! COMMIT), the conflict tokens it claims, and its savepoints.

use crate::engine::commit::WriteOp;
use crate::engine::conflict::Check;
use crate::engine::read::ScanRange;
use crate::ledger::batch::OpKind;
use std::collections::BTreeMap;
use std::ops::Bound;

/// A savepoint: its name and where the write log stood when it was taken.
#[derive(Clone, Debug)]
struct Savepoint {
    name: String,
    log_len: usize,
    tokens_len: usize,
}

/// Buffered writes and the snapshot of one transaction.
#[derive(Debug)]
pub struct TxState {
    /// The system time every read of the transaction sees.
    pub snapshot: u64,
    /// The valid time reads use.
    pub valid_at: i64,
    log: Vec<WriteOp>,
    /// The newest buffered write per key: `Some(value)` or `None` (deleted).
    overlay: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    tokens: Vec<Vec<u8>>,
    savepoints: Vec<Savepoint>,
    /// Begun by SAVEPOINT rather than BEGIN: releasing the outermost
    /// savepoint commits.
    pub by_savepoint: bool,
    /// Some buffered write is a schema key (kept after a rollback to a
    /// savepoint: it only makes reads skip the shared schema cache).
    wrote_schema: bool,
}

impl TxState {
    /// A transaction reading at (`snapshot`, `valid_at`).
    pub fn new(snapshot: u64, valid_at: i64) -> Self {
        TxState {
            snapshot,
            valid_at,
            log: Vec::new(),
            overlay: BTreeMap::new(),
            tokens: Vec::new(),
            savepoints: Vec::new(),
            by_savepoint: false,
            wrote_schema: false,
        }
    }

    /// Buffers writes.
    pub fn write(&mut self, ops: Vec<WriteOp>) {
        for op in &ops {
            self.wrote_schema |= crate::engine::schema_watch::is_schema_key(&op.key);
            let v = match op.kind {
                OpKind::Put => Some(op.value.clone()),
                _ => None,
            };
            self.overlay.insert(op.key.clone(), v);
        }
        self.log.extend(ops);
    }

    /// Claims a conflict token (e.g. a UNIQUE value being taken).
    pub fn claim(&mut self, token: Vec<u8>) {
        self.tokens.push(token);
    }

    /// True when the transaction wrote a schema key (catalog, index
    /// definition, view, statistics).
    pub fn wrote_schema(&self) -> bool {
        self.wrote_schema
    }

    /// True when the transaction has buffered no writes.
    pub fn overlay_is_empty(&self) -> bool {
        self.overlay.is_empty()
    }

    /// The buffered state of `key`: `None` when the transaction did not
    /// write it, `Some(None)` when it deleted it.
    pub fn get(&self, key: &[u8]) -> Option<Option<&[u8]>> {
        self.overlay.get(key).map(|v| v.as_deref())
    }

    /// Buffered entries inside `range` (ignoring its limit and direction),
    /// in key order; lazy, so callers stop early.
    pub fn range<'s>(
        &'s self,
        range: &ScanRange,
    ) -> impl DoubleEndedIterator<Item = (&'s [u8], Option<&'s [u8]>)> + 's {
        let mut lower: Vec<u8> = range.prefix.clone().unwrap_or_default();
        if let Some(s) = &range.start {
            if *s > lower {
                lower = s.clone();
            }
        }
        let prefix_end = range
            .prefix
            .as_deref()
            .and_then(crate::storage::iter::prefix_successor);
        let upper = match (prefix_end, &range.end) {
            (Some(a), Some(b)) => Some(if a < *b { a } else { b.clone() }),
            (a, b) => a.or_else(|| b.clone()),
        };
        let empty = self.overlay.is_empty() || upper.as_ref().is_some_and(|u| *u <= lower);
        let hi = match upper {
            Some(u) => Bound::Excluded(u),
            None => Bound::Unbounded,
        };
        let r = if empty {
            self.overlay
                .range::<Vec<u8>, _>((Bound::Excluded(Vec::new()), Bound::Excluded(Vec::new())))
        } else {
            self.overlay.range((Bound::Included(lower), hi))
        };
        r.map(|(k, v)| (k.as_slice(), v.as_deref()))
    }

    /// Number of buffered operations (a statement's rollback mark).
    pub fn mark(&self) -> (usize, usize) {
        (self.log.len(), self.tokens.len())
    }

    /// Undoes everything buffered after `mark`.
    pub fn rollback_to_mark(&mut self, mark: (usize, usize)) {
        if self.log.len() == mark.0 && self.tokens.len() == mark.1 {
            return;
        }
        self.log.truncate(mark.0);
        self.tokens.truncate(mark.1);
        self.overlay.clear();
        let log = std::mem::take(&mut self.log);
        self.write(log);
    }

    /// `SAVEPOINT name`.
    pub fn savepoint(&mut self, name: &str) {
        let (log_len, tokens_len) = self.mark();
        self.savepoints.push(Savepoint {
            name: name.to_string(),
            log_len,
            tokens_len,
        });
    }

    fn find(&self, name: &str) -> Option<usize> {
        self.savepoints
            .iter()
            .rposition(|s| s.name.eq_ignore_ascii_case(name))
    }

    /// `ROLLBACK TO name`: undoes writes after the savepoint, which stays.
    /// False when there is no such savepoint.
    pub fn rollback_to(&mut self, name: &str) -> bool {
        let Some(i) = self.find(name) else {
            return false;
        };
        self.savepoints.truncate(i + 1);
        let s = &self.savepoints[i];
        let mark = (s.log_len, s.tokens_len);
        self.rollback_to_mark(mark);
        true
    }

    /// `RELEASE name`: forgets the savepoint and those after it, keeping the
    /// writes. Returns `None` when there is no such savepoint, else whether it
    /// was the outermost one.
    pub fn release(&mut self, name: &str) -> Option<bool> {
        let i = self.find(name)?;
        self.savepoints.truncate(i);
        Some(i == 0)
    }

    /// True when nothing was written.
    pub fn is_empty(&self) -> bool {
        self.log.is_empty()
    }

    /// The operations to commit and the conflict check that guards them.
    pub fn into_commit(self) -> (Vec<WriteOp>, Check) {
        (
            self.log,
            Check {
                snapshot: self.snapshot,
                tokens: self.tokens,
            },
        )
    }
}
