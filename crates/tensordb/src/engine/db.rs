//! The `Database` handle: open/close, writes through the committer, reads on
//! the caller's thread (blocking API) or on the engine's read pool (callback
//! API, used by the Node binding).

use super::clock::{now_micros, Clock};
use super::commit::{wait_commit, Committed, Committer, Done, Msg, WriteOp};
use super::conflict::Check;
use super::options::Options;
pub use super::pool::global as global_pool;
use super::pool::Pool;
use super::read::{self, FactRecord, ScanRange};
use super::schema_watch::{SchemaState, SchemaWatch};
use crate::error::{Error, ErrorCode, Result};
use crate::ledger::batch::{change_entry, decode_commit, op_entries, OpKind};
use crate::ledger::keys::epoch_key;
use crate::storage::backend::{Backend, FsBackend};
use crate::storage::coding::get_u64_le;
use crate::storage::iter::{KvIter, Range};
use crate::storage::memtable::Lookup;
use crate::storage::store::{ReplayReport, Store};
use std::any::Any;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;

/// Which (system time, valid time) a read sees. Unset fields mean "now".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadAt {
    /// System time (a commit timestamp, µs since the Unix epoch): see the
    /// database as it was after every commit at or before it.
    pub as_of: Option<u64>,
    /// A recorded epoch: see the database as of that epoch (overrides `as_of`).
    pub epoch: Option<u64>,
    /// Valid time (µs since the Unix epoch): what was true at that moment.
    pub valid_at: Option<i64>,
}

/// The shared engine behind every handle on one folder.
pub(crate) struct Engine {
    pub(crate) store: Arc<Store>,
    visible: Arc<AtomicU64>,
    tx: Mutex<Option<mpsc::Sender<Msg>>>,
    /// The commit thread's state until the first write starts the thread.
    idle: Mutex<Option<Committer>>,
    committer: Mutex<Option<JoinHandle<()>>>,
    pool: &'static Pool,
    pub(crate) handles: AtomicUsize,
    pub(crate) path: PathBuf,
    replay: ReplayReport,
    shut: AtomicBool,
    /// The folder lock, released when the engine shuts down.
    lock: Mutex<Option<Box<dyn Any + Send + Sync>>>,
    /// Schema generation (see `schema_watch`).
    schema: Arc<SchemaWatch>,
    /// The `statement_timeout` option.
    pub(crate) statement_timeout: Option<std::time::Duration>,
    /// The `statement_memory` option.
    statement_memory: Option<usize>,
    /// The `max_length` option.
    max_length: usize,
    /// Opened read-only: every write is refused (`TDB_READ_ONLY`).
    read_only: bool,
    /// Consumer group membership (see `groups`).
    pub(crate) groups: super::groups::Groups,
    /// State a layer above keeps per open folder (the SQL schema cache).
    extension: OnceLock<Arc<dyn Any + Send + Sync>>,
}

impl Engine {
    pub(crate) fn open(backend: Arc<dyn Backend>, path: &Path, opts: Options) -> Result<Engine> {
        let lock: Box<dyn Any + Send + Sync> = if opts.read_only {
            if opts.repair {
                return Err(Error::invalid(
                    "repair writes files: it cannot run read-only",
                ));
            }
            match backend.lock_shared(&path.join("LOCK"))? {
                Some(l) => l,
                None => Box::new(()),
            }
        } else {
            backend.create_dir_all(path)?;
            backend.lock(&path.join("LOCK"))?
        };
        let rules = opts.repair.then(super::repair::rules);
        let store = Store::open(
            backend.clone(),
            path,
            opts.store.clone(),
            rules.as_ref(),
            opts.read_only,
        )?;
        let shards = store.shards();
        let mut last_sys = store.meta();
        let (report, next_seg) = store.replay(opts.repair, |seg, flushed, rec| {
            let (sys, ops) = decode_commit(rec)?;
            last_sys = last_sys.max(sys);
            let actives: Vec<_> = (0..shards)
                .map(|s| store.tree(s).current().active.clone())
                .collect();
            for (seq, op) in ops.iter().enumerate() {
                let shard = if op.kind == OpKind::Epoch {
                    0
                } else {
                    super::commit::shard_of(&op.key, shards)
                };
                if seg < flushed[shard] {
                    continue;
                }
                op_entries(op, sys, seq as u32, |k, v, l| {
                    actives[shard].insert(k, v, l)
                });
            }
            // The change log lives in shard 0, like epochs.
            if seg >= flushed[0] {
                if let Some((k, v)) = change_entry(sys, &ops) {
                    actives[0].insert(k, v, Lookup::Scan);
                }
            }
            Ok(())
        })?;
        let visible = Arc::new(AtomicU64::new(last_sys));
        let last_epoch = last_epoch(&store)?;
        let vis = visible.clone();
        if !opts.read_only {
            store.start_workers(Arc::new(move || vis.load(Ordering::Acquire)));
            store.schedule_compaction();
        }
        let committer = Committer::new(
            store.clone(),
            next_seg,
            Clock::new(last_sys),
            visible.clone(),
            opts.durability,
            opts.store.memtable_bytes,
            last_epoch,
        );
        let schema = committer.schema();
        Ok(Engine {
            store,
            visible,
            tx: Mutex::new(None),
            idle: Mutex::new(Some(committer)),
            committer: Mutex::new(None),
            pool: super::pool::global(opts.read_threads),
            handles: AtomicUsize::new(0),
            path: path.to_path_buf(),
            replay: report,
            shut: AtomicBool::new(false),
            lock: Mutex::new(Some(lock)),
            schema,
            statement_timeout: opts.statement_timeout,
            statement_memory: opts.statement_memory,
            max_length: opts.max_length,
            read_only: opts.read_only,
            groups: Default::default(),
            extension: OnceLock::new(),
        })
    }

    /// Sends to the commit thread, starting it on first use. On a
    /// read-only database every write is answered with `TDB_READ_ONLY`.
    pub(crate) fn send(&self, msg: Msg) -> Result<()> {
        if self.read_only {
            let e = || {
                Error::new(
                    ErrorCode::ReadOnly,
                    format!("{} was opened read-only", self.path.display()),
                )
            };
            match msg {
                Msg::Close(reply) => {
                    let _ = reply.send(Ok(()));
                }
                Msg::Write(_, done)
                | Msg::WriteChecked(_, _, done)
                | Msg::Epoch(done)
                | Msg::Import(_, done) => done(Err(e())),
                Msg::WriteMany(items) => {
                    for (_, done) in items {
                        done(Err(e()));
                    }
                }
                Msg::Flush(done) => done(Err(e())),
            }
            return Ok(());
        }
        let mut guard = self.tx.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            let Some(committer) = self.idle.lock().unwrap_or_else(|p| p.into_inner()).take() else {
                return Err(Error::closed());
            };
            let (tx, rx) = mpsc::channel();
            let handle = std::thread::Builder::new()
                .name("tensordb-commit".into())
                .spawn(move || committer.run(rx))
                .map_err(|e| Error::io("spawn commit thread", e))?;
            *self.committer.lock().unwrap_or_else(|p| p.into_inner()) = Some(handle);
            *guard = Some(tx);
        }
        match guard.as_ref() {
            Some(tx) => tx.send(msg).map_err(|_| Error::closed()),
            None => Err(Error::closed()),
        }
    }

    /// Stops everything: the committer flushes memtables and syncs.
    pub(crate) fn shutdown(&self) -> Result<()> {
        if self.shut.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        // Never written to: close the committer state here, without a thread.
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).take();
        let res = if self.read_only {
            // Nothing was written: nothing to flush or sync.
            Ok(())
        } else if let Some(mut committer) = idle {
            committer.close()
        } else {
            let (tx, rx) = mpsc::sync_channel(1);
            match self.send(Msg::Close(tx)) {
                Ok(()) => rx
                    .recv()
                    .unwrap_or_else(|_| Err(Error::internal("commit thread died"))),
                Err(e) => Err(e),
            }
        };
        self.tx.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(h) = self
            .committer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            let _ = h.join();
        }
        self.store.stop_workers();
        self.lock.lock().unwrap_or_else(|p| p.into_inner()).take();
        res
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

fn last_epoch(store: &Store) -> Result<u64> {
    let ver = store.tree(0).current();
    let mut range = Range::prefix(&crate::ledger::keys::epoch_prefix());
    range.reverse = true;
    let it = ver.iter(&range)?;
    if !it.valid() {
        return Ok(0);
    }
    let k = it.key();
    Ok(k.len()
        .checked_sub(8)
        .and_then(|s| k.get(s..))
        .map(|b| {
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            u64::from_be_bytes(a)
        })
        .unwrap_or(0))
}

/// A handle on an open database. Cheap to share (`Arc` it); several handles
/// opened on one folder in one process share one engine.
pub struct Database {
    engine: Arc<Engine>,
    closed: AtomicBool,
    registered: bool,
}

impl Database {
    /// Opens (creating if needed) the database in `path` on the real file
    /// system. A folder already open in this process shares that engine (the
    /// first opener's options win); one held by another process is `TDB_LOCKED`.
    pub fn open(path: impl AsRef<Path>, opts: Options) -> Result<Database> {
        let engine = super::registry::acquire(path.as_ref(), opts)?;
        Ok(Database {
            engine,
            closed: AtomicBool::new(false),
            registered: true,
        })
    }

    /// Opens a database on a given backend (tests use the in-memory one).
    /// Not shared through the process registry.
    pub fn open_with_backend(
        backend: Arc<dyn Backend>,
        path: impl AsRef<Path>,
        opts: Options,
    ) -> Result<Database> {
        let engine = Arc::new(Engine::open(backend, path.as_ref(), opts)?);
        engine.handles.store(1, Ordering::SeqCst);
        Ok(Database {
            engine,
            closed: AtomicBool::new(false),
            registered: false,
        })
    }

    /// Opens on the real file system without the registry (tools, benches).
    pub fn open_unshared(path: impl AsRef<Path>, opts: Options) -> Result<Database> {
        Self::open_with_backend(Arc::new(FsBackend), path, opts)
    }

    pub(crate) fn live(&self) -> Result<&Engine> {
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::closed());
        }
        Ok(&self.engine)
    }

    /// The storage part of a check (see `Database::check` in `sql::api`):
    /// manifest, table blocks and WAL.
    pub fn check_storage(
        &self,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<crate::storage::store::CheckReport> {
        let e = self.live()?;
        let mut report = crate::storage::store::CheckReport::default();
        e.store.check(&mut report, progress);
        Ok(report)
    }

    /// The memory budget of each SQL statement (`Options::statement_memory`).
    pub fn statement_memory(&self) -> Option<usize> {
        self.engine.statement_memory
    }

    /// The longest value a SQL statement may build (`Options::max_length`).
    pub fn max_length(&self) -> usize {
        self.engine.max_length
    }

    /// The database's default statement timeout (`Options::statement_timeout`).
    pub fn statement_timeout(&self) -> Option<std::time::Duration> {
        self.engine.statement_timeout
    }

    /// What recovery found in the WAL when the engine opened.
    pub fn replay_report(&self) -> ReplayReport {
        self.engine.replay.clone()
    }

    /// The latest visible system time (the newest committed write's).
    pub fn now(&self) -> u64 {
        self.engine.visible.load(Ordering::Acquire)
    }

    /// Commits operations atomically under one system time, calling `done`
    /// (on the commit thread) once durable per the durability option.
    pub fn write_async(&self, ops: Vec<WriteOp>, done: Done) {
        match self.live() {
            Ok(e) => {
                if let Err(err) = e.send(Msg::Write(ops, done)) {
                    // The message (and `done`) was dropped with the failed send.
                    let _ = err;
                }
            }
            Err(err) => done(Err(err)),
        }
    }

    /// Submits independent commits together: each gets its own system time and
    /// its own `done`, and they reach the commit thread as one message, so
    /// they share a WAL sync.
    pub fn write_many_async(&self, items: Vec<(Vec<WriteOp>, Done)>) {
        match self.live() {
            Ok(e) => {
                let _ = e.send(Msg::WriteMany(items));
            }
            Err(err) => {
                for (_, done) in items {
                    done(Err(err.clone()));
                }
            }
        }
    }

    /// Commits operations atomically; returns their system time.
    pub fn write(&self, ops: Vec<WriteOp>) -> Result<u64> {
        let e = self.live()?;
        wait_commit(|done| e.send(Msg::Write(ops, done))).map(|c| c.sys)
    }

    /// Commits operations atomically unless one of their keys (or one of the
    /// check's tokens) was written after `check.snapshot`: then nothing is
    /// written and the error is `TDB_CONFLICT`. Returns the system time.
    pub fn write_checked(&self, ops: Vec<WriteOp>, check: Check) -> Result<u64> {
        let e = self.live()?;
        wait_commit(|done| e.send(Msg::WriteChecked(ops, check, done))).map(|c| c.sys)
    }

    /// Puts one value valid from now on; returns the system time.
    pub fn put(&self, key: &[u8], value: &[u8]) -> Result<u64> {
        self.write(vec![WriteOp::put(key, value)])
    }

    /// Deletes a key from now on; returns the system time.
    pub fn delete(&self, key: &[u8]) -> Result<u64> {
        self.write(vec![WriteOp::delete(key)])
    }

    /// Records a new epoch: a named, cross-shard consistent point in system
    /// time. Returns (epoch number, its system time).
    pub fn advance_epoch(&self) -> Result<(u64, u64)> {
        let e = self.live()?;
        let c: Committed = wait_commit(|done| e.send(Msg::Epoch(done)))?;
        Ok((c.epoch.unwrap_or(0), c.sys))
    }

    /// Like `advance_epoch`, calling `done` when durable.
    pub fn advance_epoch_async(&self, done: Done) {
        match self.live() {
            Ok(e) => {
                let _ = e.send(Msg::Epoch(done));
            }
            Err(err) => done(Err(err)),
        }
    }

    /// The system time recorded for epoch `n`.
    pub fn epoch_time(&self, n: u64) -> Result<u64> {
        self.epoch_time_with(n, false)
    }

    /// `epoch_time` answered from memory only: a `WouldBlock` error when the
    /// epoch record would have to be read from disk.
    pub fn epoch_time_cached(&self, n: u64) -> Result<u64> {
        self.epoch_time_with(n, true)
    }

    fn epoch_time_with(&self, n: u64, cache_only: bool) -> Result<u64> {
        let store = &self.live()?.store;
        let ver = store.tree(0).current();
        let found = ver.get(&epoch_key(n), Lookup::Exact, cache_only, |b| {
            get_u64_le(b, 0)
        })?;
        match found {
            Some(Some(t)) => Ok(t),
            Some(None) => Err(Error::corrupt(format!("epoch {n} record is malformed"))),
            None => Err(Error::invalid(format!("no epoch {n} has been recorded"))),
        }
    }

    /// The schema generation now, or `None` while a schema change is being
    /// published (see `schema_watch`).
    pub fn schema_state(&self) -> Option<SchemaState> {
        self.engine.schema.state()
    }

    /// Per-folder state of a layer above the engine, created by `init` on
    /// first use and shared by every handle on the folder. `None` when the
    /// slot already holds another type.
    pub fn extension<T: Any + Send + Sync>(&self, init: impl FnOnce() -> T) -> Option<Arc<T>> {
        let slot = self
            .engine
            .extension
            .get_or_init(|| Arc::new(init()) as Arc<dyn Any + Send + Sync>);
        slot.clone().downcast::<T>().ok()
    }

    /// Resolves a `ReadAt` to concrete (system time, valid time).
    pub fn resolve(&self, at: &ReadAt) -> Result<(u64, i64)> {
        self.resolve_with(at, false)
    }

    fn resolve_with(&self, at: &ReadAt, cache_only: bool) -> Result<(u64, i64)> {
        let visible = self.now();
        let t = match (at.epoch, at.as_of) {
            (Some(n), _) => self.epoch_time_with(n, cache_only)?,
            (None, Some(t)) => t.min(visible),
            (None, None) => visible,
        };
        let v = at
            .valid_at
            .unwrap_or_else(|| now_micros().max(visible) as i64);
        Ok((t, v))
    }

    /// Point read by the bitemporal rule.
    pub fn get(&self, key: &[u8], at: &ReadAt) -> Result<Option<Vec<u8>>> {
        let (t, v) = self.resolve(at)?;
        read::get(&self.live()?.store, key, t, v, false)
    }

    /// Point reads of many keys by the bitemporal rule against one snapshot
    /// of each shard: `f(i, value)` for each `keys[i]` with a visible value,
    /// in order. With `cache_only`, a read needing disk I/O fails with
    /// `WouldBlock`.
    pub fn get_many(
        &self,
        keys: &[Vec<u8>],
        at: &ReadAt,
        cache_only: bool,
        f: impl FnMut(usize, &[u8]) -> Result<()>,
    ) -> Result<()> {
        let tv = self.resolve_with(at, cache_only)?;
        read::get_many(&self.live()?.store, keys, tv, cache_only, f)
    }

    /// Point read answered only from memory: `Ok(None)` means it would need
    /// disk I/O (use `get` on another thread); `Ok(Some(x))` is the answer.
    pub fn get_cached(&self, key: &[u8], at: &ReadAt) -> Result<Option<Option<Vec<u8>>>> {
        let resolved = self.resolve_with(at, true);
        let res = resolved.and_then(|(t, v)| read::get(&self.live()?.store, key, t, v, true));
        match res {
            Ok(x) => Ok(Some(x)),
            Err(e) if e.code == ErrorCode::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Range or prefix scan by the bitemporal rule.
    pub fn scan(&self, range: &ScanRange, at: &ReadAt) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let (t, v) = self.resolve(at)?;
        read::scan(&self.live()?.store, range, t, v)
    }

    /// Like `scan`, returning rows in one flat buffer (fewer allocations).
    pub fn scan_rows(&self, range: &ScanRange, at: &ReadAt) -> Result<read::Rows> {
        let (t, v) = self.resolve(at)?;
        let store = &self.live()?.store;
        if !range.reverse && t < self.now() {
            return super::asof::scan_rows(store, range, t, v, false);
        }
        read::scan_rows(store, range, t, v)
    }

    /// `scan_rows` handing each row to `f` as it is read (nothing collected)
    /// when reading now; reads at an earlier time collect first.
    pub fn scan_each(&self, range: &ScanRange, at: &ReadAt, f: &mut read::RowSink) -> Result<()> {
        let (t, v) = self.resolve(at)?;
        let store = &self.live()?.store;
        if !range.reverse && t < self.now() {
            let rows = super::asof::scan_rows(store, range, t, v, false)?;
            return rows.iter().try_for_each(|(k, val)| f(k, val));
        }
        read::scan_each_with(store, range, t, v, false, f)
    }

    /// `scan_rows` for the key-value API: keys in the engine's reserved
    /// keyspace (`0xFF 0xFD …` change-feed cursors, `0xFF 0xFE …` SQL) are
    /// never returned, and a limit counts only the keys that are.
    pub fn kv_scan_rows(&self, range: &ScanRange, at: &ReadAt) -> Result<read::Rows> {
        let lo = super::changes::INTERNAL_PREFIX.to_vec();
        let hi = vec![0xFF, 0xFF];
        if range
            .prefix
            .as_deref()
            .is_some_and(|p| p.len() >= 2 && p[..2] >= lo[..] && p[..2] < hi[..])
        {
            return Ok(read::Rows::default());
        }
        // The parts of the range below and above the reserved interval, in
        // scan order; each narrowed by the caller's own bounds.
        let below = ScanRange {
            end: Some(match &range.end {
                Some(e) if e.as_slice() < lo.as_slice() => e.clone(),
                _ => lo.clone(),
            }),
            ..range.clone()
        };
        let above = ScanRange {
            start: Some(match &range.start {
                Some(s) if s.as_slice() > hi.as_slice() => s.clone(),
                _ => hi,
            }),
            ..range.clone()
        };
        let parts = if range.reverse {
            [above, below]
        } else {
            [below, above]
        };
        let mut out = read::Rows::default();
        for mut part in parts {
            if let Some(limit) = range.limit {
                let left = limit.saturating_sub(out.len());
                if left == 0 {
                    break;
                }
                part.limit = Some(left);
            }
            if part
                .start
                .as_ref()
                .zip(part.end.as_ref())
                .is_some_and(|(s, e)| s >= e)
            {
                continue;
            }
            out.extend(self.scan_rows(&part, at)?);
        }
        Ok(out)
    }

    /// `scan_rows` answered only from memory: `Ok(None)` means it would need
    /// disk I/O.
    pub fn scan_rows_cached(&self, range: &ScanRange, at: &ReadAt) -> Result<Option<read::Rows>> {
        let res = self.resolve_with(at, true).and_then(|(t, v)| {
            let store = &self.live()?.store;
            if !range.reverse && t < self.now() {
                super::asof::scan_rows(store, range, t, v, true)
            } else {
                read::scan_rows_with(store, range, t, v, true)
            }
        });
        match res {
            Ok(rows) => Ok(Some(rows)),
            Err(e) if e.code == ErrorCode::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The facts of every user key starting with `prefix` (exactly `prefix`
    /// when `exact`) recorded at or before system time `max_sys`, per key
    /// oldest first (see `read::facts`).
    pub fn facts(
        &self,
        prefix: &[u8],
        exact: bool,
        max_sys: u64,
        f: impl FnMut(&[u8], &[crate::ledger::timeline::Fact]) -> Result<()>,
    ) -> Result<()> {
        read::facts(&self.live()?.store, prefix, exact, max_sys, f)
    }

    /// Every fact ever recorded for `key`, newest first.
    pub fn history(&self, key: &[u8]) -> Result<Vec<FactRecord>> {
        read::history(&self.live()?.store, key)
    }

    /// Runs `job` on the engine's read threads.
    pub fn spawn(&self, job: Box<dyn FnOnce() + Send>) -> Result<()> {
        let e = self.live()?;
        e.pool.spawn(job).map_err(|_| Error::closed())
    }

    /// Flushes every memtable to tables (the WAL is then empty).
    pub fn flush(&self) -> Result<()> {
        let e = self.live()?;
        let (tx, rx) = mpsc::sync_channel(1);
        e.send(Msg::Flush(Box::new(move |r| {
            let _ = tx.send(r);
        })))?;
        rx.recv().unwrap_or_else(|_| Err(Error::closed()))
    }

    /// Compacts level 0 into level 1 in every shard, then any level over budget.
    pub fn compact(&self) -> Result<()> {
        let e = self.live()?;
        if e.read_only {
            return Err(Error::new(
                ErrorCode::ReadOnly,
                "the database was opened read-only",
            ));
        }
        e.store.compact_level0()?;
        e.store.compact_all()
    }

    /// Table counts per shard and level (for tests and stats).
    pub fn level_counts(&self) -> Vec<Vec<usize>> {
        self.engine.store.level_counts()
    }

    /// The folder this database lives in.
    pub fn path(&self) -> &Path {
        &self.engine.path
    }

    /// Closes this handle. The engine flushes and stops when its last handle
    /// closes. Closing twice is a no-op.
    pub fn close(&self) -> Result<()> {
        if self.closed.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        if self.registered {
            super::registry::release(&self.engine)
        } else {
            self.engine.shutdown()
        }
    }

    /// True once `close` was called on this handle.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = self.close();
    }
}
