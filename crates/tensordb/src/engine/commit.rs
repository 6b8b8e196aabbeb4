//! The commit pipeline: one thread owns the WAL. It takes every write request
//! that arrived while the previous group was being synced, gives each its
//! system time, writes them with one append and one fdatasync (group commit),
//! applies them to the shards' memtables, publishes the new visible time, and
//! only then acknowledges them. After a failed write or sync it fail-stops:
//! every later write gets the error until the database is reopened.

use super::clock::Clock;
use super::conflict::{Check, Tracker};
use super::options::Durability;
use super::schema_watch::is_schema_key;
use crate::error::{Error, ErrorCode, Result};
use crate::ledger::batch::{change_entry, encode_commit, op_entries, Op, OpKind};
use crate::ledger::fact::VALID_END;
use crate::storage::hash::hash64;
use crate::storage::memtable::Lookup;
use crate::storage::store::Store;
use crate::storage::wal::WalWriter;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::time::Instant;

/// A write as callers give it: the valid period may be left to defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteOp {
    /// Put or delete (`OpKind::Epoch` is reserved for the engine).
    pub kind: OpKind,
    /// The user key.
    pub key: Vec<u8>,
    /// The value (ignored for deletes).
    pub value: Vec<u8>,
    /// Valid-time start in µs since the Unix epoch; default: the commit's time.
    pub valid_from: Option<i64>,
    /// Valid-time end (exclusive); default: open (`+∞`).
    pub valid_to: Option<i64>,
}

impl WriteOp {
    /// A put valid from its commit time on.
    pub fn put(key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) -> Self {
        WriteOp {
            kind: OpKind::Put,
            key: key.into(),
            value: value.into(),
            valid_from: None,
            valid_to: None,
        }
    }

    /// A delete valid from its commit time on.
    pub fn delete(key: impl Into<Vec<u8>>) -> Self {
        WriteOp {
            kind: OpKind::Delete,
            key: key.into(),
            value: Vec::new(),
            valid_from: None,
            valid_to: None,
        }
    }

    /// Sets the valid period `[from, to)`; `None` keeps the default.
    pub fn valid(mut self, from: Option<i64>, to: Option<i64>) -> Self {
        self.valid_from = from;
        self.valid_to = to;
        self
    }
}

/// What a committed request learns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Committed {
    /// The system time of the commit.
    pub sys: u64,
    /// For an epoch request, the new epoch's number.
    pub epoch: Option<u64>,
}

/// Called once with the outcome of a request, on the committer thread.
pub type Done = Box<dyn FnOnce(Result<Committed>) + Send>;

/// Messages to the committer.
pub enum Msg {
    /// Commit these operations atomically.
    Write(Vec<WriteOp>, Done),
    /// Commit atomically unless a written key or token was written by
    /// someone else after the check's snapshot (`TDB_CONFLICT`).
    WriteChecked(Vec<WriteOp>, Check, Done),
    /// Several independent commits submitted together (each its own time).
    WriteMany(Vec<(Vec<WriteOp>, Done)>),
    /// Record a new epoch.
    Epoch(Done),
    /// Replay commits with their original system times (a restore): each
    /// must be later than every commit so far. `Done` gets the last one.
    Import(Vec<(u64, Vec<Op>)>, Done),
    /// Freeze and flush every memtable to tables.
    Flush(Box<dyn FnOnce(Result<()>) + Send>),
    /// Sync, flush everything and stop.
    Close(SyncSender<Result<()>>),
}

/// Which shard a user key lives in.
pub fn shard_of(key: &[u8], shards: usize) -> usize {
    (hash64(key) % shards as u64) as usize
}

/// Largest key a write may have (bytes).
pub const MAX_KEY_BYTES: usize = 64 << 10;
/// Largest value a write may have (bytes).
pub const MAX_VALUE_BYTES: usize = 256 << 20;
/// Largest commit (sum of its keys and values): it must fit one WAL frame,
/// with room for the per-operation header.
pub const MAX_COMMIT_BYTES: usize = 768 << 20;

/// Refuses a commit whose keys, values or total size exceed the limits
/// (`TDB_LIMIT`), before it reaches the log.
pub fn check_sizes(ops: &[WriteOp]) -> Result<()> {
    let mut total = 0usize;
    for op in ops {
        if op.key.len() > MAX_KEY_BYTES {
            return Err(Error::new(
                ErrorCode::Limit,
                format!(
                    "a key of {} bytes exceeds the maximum of {MAX_KEY_BYTES}",
                    op.key.len()
                ),
            ));
        }
        if op.value.len() > MAX_VALUE_BYTES {
            return Err(Error::new(
                ErrorCode::Limit,
                format!(
                    "a value of {} bytes exceeds the maximum of {MAX_VALUE_BYTES}",
                    op.value.len()
                ),
            ));
        }
        total += op.key.len() + op.value.len() + 64;
    }
    if total > MAX_COMMIT_BYTES {
        return Err(Error::new(
            ErrorCode::Limit,
            format!("a commit of {total} bytes exceeds the maximum of {MAX_COMMIT_BYTES}"),
        ));
    }
    Ok(())
}

/// The committer's state, moved onto its thread.
pub struct Committer {
    /// Storage.
    pub store: Arc<Store>,
    /// The open WAL segment, created on the first write after open or rotation.
    wal: Option<WalWriter>,
    /// The number the next WAL segment gets.
    next_seq: u64,
    /// The commit clock.
    pub clock: Clock,
    /// Published visible system time.
    pub visible: Arc<AtomicU64>,
    /// Acknowledgement rule.
    pub durability: Durability,
    /// Memtable budget before a freeze.
    pub memtable_bytes: usize,
    /// The last epoch number handed out.
    pub last_epoch: u64,
    failed: Option<Error>,
    last_sync: Instant,
    tracker: Tracker,
    /// Moved around commits that touch schema keys.
    schema: Arc<super::schema_watch::SchemaWatch>,
}

/// How many recent key writes the conflict tracker remembers.
const TRACKED_WRITES: usize = 1 << 18;

struct Pending {
    ops: Vec<Op>,
    sys: u64,
    epoch: Option<u64>,
    done: Done,
}

impl Committer {
    /// Prepares a committer; `run` starts its loop.
    pub fn new(
        store: Arc<Store>,
        next_seq: u64,
        clock: Clock,
        visible: Arc<AtomicU64>,
        durability: Durability,
        memtable_bytes: usize,
        last_epoch: u64,
    ) -> Self {
        let horizon = visible.load(Ordering::Acquire);
        Committer {
            tracker: Tracker::new(horizon, TRACKED_WRITES),
            store,
            wal: None,
            next_seq,
            clock,
            visible,
            durability,
            memtable_bytes,
            last_epoch,
            failed: None,
            last_sync: Instant::now(),
            schema: Arc::new(super::schema_watch::SchemaWatch::new(horizon)),
        }
    }

    /// The schema generation this committer moves.
    pub fn schema(&self) -> Arc<super::schema_watch::SchemaWatch> {
        self.schema.clone()
    }

    /// The loop: runs until a `Close` message or until every sender is gone.
    pub fn run(mut self, rx: Receiver<Msg>) {
        let mut group = Vec::new();
        loop {
            let first = match self.durability {
                Durability::Full => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
                Durability::Buffered { interval } => rx.recv_timeout(interval),
            };
            match first {
                Ok(m) => group.push(m),
                Err(RecvTimeoutError::Timeout) => {
                    self.periodic_sync();
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let _ = self.close();
                    return;
                }
            }
            while group.len() < 4096 {
                match rx.try_recv() {
                    Ok(m) => group.push(m),
                    Err(_) => break,
                }
            }
            let step =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.process(&mut group)));
            match step {
                Ok(Some(reply)) => {
                    let _ = reply.send(self.close());
                    return;
                }
                Ok(None) => {}
                Err(_) => {
                    // A bug: fail-stop. Requests of the group were dropped, and
                    // their `Done` callbacks' owners see the drop (the Node
                    // binding settles them with an error).
                    group.clear();
                    self.failed = Some(Error::internal(
                        "the commit thread panicked; reopen the database",
                    ));
                }
            }
        }
    }

    fn periodic_sync(&mut self) {
        if let (None, Some(w)) = (&self.failed, self.wal.as_mut()) {
            if w.needs_sync() {
                if let Err(e) = w.sync() {
                    self.failed = Some(e);
                }
                self.last_sync = Instant::now();
            }
        }
    }

    /// The open WAL segment, creating the next one if none is open.
    fn wal(&mut self) -> Result<&mut WalWriter> {
        if self.wal.is_none() {
            let w = WalWriter::create(
                self.store.backend().as_ref(),
                self.store.dir(),
                self.next_seq,
            )?;
            self.next_seq += 1;
            self.wal = Some(w);
        }
        self.wal
            .as_mut()
            .ok_or_else(|| Error::internal("WAL segment missing after creation"))
    }

    fn error(&self) -> Option<Error> {
        self.failed
            .clone()
            .or_else(|| self.store.check_failed().err())
    }

    fn resolve(&mut self, ops: Vec<WriteOp>, sys: u64) -> Result<Vec<Op>> {
        let mut out = Vec::with_capacity(ops.len());
        for op in ops {
            if op.kind == OpKind::Epoch {
                return Err(Error::invalid(
                    "epoch records are written by the engine only",
                ));
            }
            let from = op.valid_from.unwrap_or(sys as i64);
            let to = op.valid_to.unwrap_or(VALID_END);
            if from >= to {
                return Err(Error::invalid(format!(
                    "empty valid period: validFrom ({from}) must be before validTo ({to})"
                )));
            }
            out.push(Op {
                kind: op.kind,
                key: op.key,
                value: if op.kind == OpKind::Put {
                    op.value
                } else {
                    Vec::new()
                },
                valid_from: from,
                valid_to: to,
            });
        }
        Ok(out)
    }

    /// Commits one group; returns the close reply channel if a close was asked.
    fn process(&mut self, group: &mut Vec<Msg>) -> Option<SyncSender<Result<()>>> {
        let mut pending: Vec<Pending> = Vec::new();
        let mut flushes = Vec::new();
        let mut close = None;
        let mut buf = Vec::new();
        let failed = self.error();
        let mut requests = Vec::with_capacity(group.len());
        for msg in group.drain(..) {
            match msg {
                Msg::WriteMany(items) => {
                    requests.extend(items.into_iter().map(|(o, d)| Msg::Write(o, d)))
                }
                other => requests.push(other),
            }
        }
        for msg in requests {
            if let Msg::Import(commits, done) = msg {
                if let Some(e) = &failed {
                    done(Err(e.clone()));
                    continue;
                }
                if let Some(p) = self.import(commits, done, &mut buf) {
                    pending.extend(p);
                }
                continue;
            }
            let (ops, check, done, epoch) = match msg {
                Msg::Write(ops, done) => (ops, None, done, false),
                Msg::WriteChecked(ops, check, done) => (ops, Some(check), done, false),
                Msg::WriteMany(_) | Msg::Import(..) => continue, // handled above
                Msg::Epoch(done) => (Vec::new(), None, done, true),
                Msg::Flush(done) => {
                    flushes.push(done);
                    continue;
                }
                Msg::Close(reply) => {
                    close = Some(reply);
                    continue;
                }
            };
            if let Some(e) = &failed {
                done(Err(e.clone()));
                continue;
            }
            if let Err(e) = check_sizes(&ops) {
                done(Err(e));
                continue;
            }
            if let Some(c) = &check {
                let hashes = ops
                    .iter()
                    .map(|o| hash64(&o.key))
                    .chain(c.tokens.iter().map(|t| hash64(t)));
                if self.tracker.conflicts(c.snapshot, hashes) {
                    done(Err(Error::new(
                        ErrorCode::Conflict,
                        "write-write conflict: another transaction changed the same rows \
                         after this one began; retry the transaction",
                    )));
                    continue;
                }
            }
            let sys = self.clock.tick();
            let (ops, epoch) = if epoch {
                self.last_epoch += 1;
                let op = Op {
                    kind: OpKind::Epoch,
                    key: self.last_epoch.to_be_bytes().to_vec(),
                    value: Vec::new(),
                    valid_from: 0,
                    valid_to: 0,
                };
                (vec![op], Some(self.last_epoch))
            } else {
                match self.resolve(ops, sys) {
                    Ok(ops) => (ops, None),
                    Err(e) => {
                        done(Err(e));
                        continue;
                    }
                }
            };
            for o in &ops {
                if o.kind != OpKind::Epoch {
                    self.tracker.record(hash64(&o.key), sys);
                }
            }
            if let Some(c) = &check {
                for t in &c.tokens {
                    self.tracker.record(hash64(t), sys);
                }
            }
            buf.clear();
            encode_commit(sys, &ops, &mut buf);
            match self.wal() {
                Ok(w) => w.add(&buf),
                Err(e) => {
                    self.failed = Some(e.clone());
                    done(Err(e));
                    continue;
                }
            }
            pending.push(Pending {
                ops,
                sys,
                epoch,
                done,
            });
        }
        if !pending.is_empty() {
            let durable = match self.durability {
                Durability::Full => true,
                Durability::Buffered { interval } => self.last_sync.elapsed() >= interval,
            };
            if durable {
                self.last_sync = Instant::now();
            }
            let res = match self.wal.as_mut() {
                Some(w) => w
                    .write()
                    .and_then(|_| if durable { w.sync() } else { Ok(()) }),
                None => Err(Error::internal("no WAL segment for a pending commit")),
            };
            if let Err(e) = res {
                let e = Error::new(
                    e.code,
                    format!(
                        "write failed and the database is now read-only until reopened: {}",
                        e.message
                    ),
                );
                self.failed = Some(e.clone());
                for p in pending {
                    (p.done)(Err(e.clone()));
                }
                pending = Vec::new();
            }
        }
        if !pending.is_empty() {
            let schema = pending.iter().any(|p| {
                p.ops
                    .iter()
                    .any(|o| o.kind != OpKind::Epoch && is_schema_key(&o.key))
            });
            if schema {
                self.schema.begin_change();
            }
            self.apply(&pending);
            let last = pending.last().map(|p| p.sys).unwrap_or(0);
            self.visible.store(last, Ordering::Release);
            if schema {
                self.schema.end_change(last);
            }
            for p in pending {
                (p.done)(Ok(Committed {
                    sys: p.sys,
                    epoch: p.epoch,
                }));
            }
        }
        if !flushes.is_empty() {
            let res = self.flush_now();
            self.store.schedule_compaction();
            for f in flushes {
                f(res.clone());
            }
        } else if self.failed.is_none() && self.store.active_bytes() > self.memtable_bytes {
            if let Err(e) = self.rotate() {
                self.failed = Some(e);
            }
        }
        close
    }

    /// Appends imported commits to the WAL; returns them as pending (the
    /// last one carries `done`), or `None` after reporting an error.
    fn import(
        &mut self,
        commits: Vec<(u64, Vec<Op>)>,
        done: Done,
        buf: &mut Vec<u8>,
    ) -> Option<Vec<Pending>> {
        let mut last = self.clock.last();
        for (sys, _) in &commits {
            if *sys <= last {
                done(Err(Error::invalid(format!(
                    "cannot import a commit at system time {sys}: the database already has \
                     commits up to {last} (restore into a new, empty database)"
                ))));
                return None;
            }
            last = *sys;
        }
        let mut out = Vec::with_capacity(commits.len());
        let n = commits.len();
        let mut done = Some(done);
        for (i, (sys, ops)) in commits.into_iter().enumerate() {
            for o in &ops {
                if o.kind == OpKind::Epoch {
                    let n = u64::from_be_bytes(o.key.as_slice().try_into().unwrap_or([0; 8]));
                    self.last_epoch = self.last_epoch.max(n);
                }
            }
            buf.clear();
            encode_commit(sys, &ops, buf);
            if let Err(e) = self.wal().map(|w| w.add(buf)) {
                self.failed = Some(e.clone());
                if let Some(d) = done.take() {
                    d(Err(e));
                }
                return None;
            }
            self.clock.advance_to(sys);
            let d: Done = if i + 1 == n {
                done.take().unwrap_or_else(|| Box::new(|_| {}))
            } else {
                Box::new(|_| {})
            };
            out.push(Pending {
                ops,
                sys,
                epoch: None,
                done: d,
            });
        }
        if let Some(d) = done {
            // No commits: nothing to write.
            d(Ok(Committed {
                sys: self.clock.last(),
                epoch: None,
            }));
        }
        Some(out)
    }

    fn apply(&self, pending: &[Pending]) {
        let shards = self.store.shards();
        let actives: Vec<_> = (0..shards)
            .map(|s| self.store.tree(s).current().active.clone())
            .collect();
        for p in pending {
            for (seq, op) in p.ops.iter().enumerate() {
                let shard = if op.kind == OpKind::Epoch {
                    0
                } else {
                    shard_of(&op.key, shards)
                };
                op_entries(op, p.sys, seq as u32, |k, v, l| {
                    actives[shard].insert(k, v, l)
                });
            }
            if let Some((k, v)) = change_entry(p.sys, &p.ops) {
                actives[0].insert(k, v, Lookup::Scan);
            }
        }
    }

    /// Syncs and closes the current segment (the next write starts a new
    /// one) and freezes the memtables, whose data is all in segments below
    /// `next_seq`.
    fn rotate(&mut self) -> Result<()> {
        if let Some(mut w) = self.wal.take() {
            w.sync()?;
        }
        self.store.freeze_all(self.next_seq)
    }

    fn flush_now(&mut self) -> Result<()> {
        if let Some(e) = self.error() {
            return Err(e);
        }
        if let Some(mut w) = self.wal.take() {
            w.sync()?;
        }
        self.store
            .flush_all(self.next_seq, self.visible.load(Ordering::Acquire))
    }

    /// Stops the workers, syncs, and flushes every memtable.
    pub fn close(&mut self) -> Result<()> {
        self.store.stop_workers();
        if let Some(e) = self.failed.clone() {
            return Err(e);
        }
        let res = self.flush_now();
        if let Err(e) = &res {
            if e.code == ErrorCode::Io {
                self.failed = Some(e.clone());
            }
        }
        res
    }
}

/// Sends `msg` and waits for a commit outcome (the blocking convenience API).
pub fn wait_commit(send: impl FnOnce(Done) -> Result<()>) -> Result<Committed> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    send(Box::new(move |r| {
        let _ = tx.send(r);
    }))?;
    rx.recv().unwrap_or_else(|_| Err(Error::closed()))
}
