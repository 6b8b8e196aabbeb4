//! The `NativeDb` class: marshals arguments, schedules work on the engine's
//! threads, and completes it through the `Completer`. No database logic here.

use crate::completion::{Completer, Once, Outcome};
use crate::convert::{opt_time, Bytes, SqlParam, SyncValue};
use crate::error::to_napi;
use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tensordb::engine::commit::Done;
use tensordb::{Database, Durability, Error, Options, ReadAt, ScanRange, StoreOptions, WriteOp};

/// Options accepted by `open` (all optional).
#[napi(object)]
pub struct NativeOpenOptions {
    /// Number of shards for a new database.
    pub shards: Option<u32>,
    /// Memtable budget in bytes.
    pub memtable_bytes: Option<f64>,
    /// Block cache budget in bytes.
    pub cache_bytes: Option<f64>,
    /// Row cache budget in bytes (0 disables it).
    pub row_cache_bytes: Option<f64>,
    /// "full" (default) or "buffered".
    pub durability: Option<String>,
    /// Buffered mode: maximum milliseconds between a write and its sync.
    pub sync_interval_ms: Option<f64>,
    /// Threads serving reads that may touch disk.
    pub read_threads: Option<u32>,
    /// Rebuild a missing manifest / cut a corrupt WAL instead of refusing.
    pub repair: Option<bool>,
    /// Default statement timeout in milliseconds (0: none).
    pub statement_timeout_ms: Option<f64>,
    /// Open without writing anything; writes fail with TDB_READ_ONLY.
    pub read_only: Option<bool>,
    /// Bytes of rows one SQL statement may materialize (0: no budget).
    pub statement_memory_bytes: Option<f64>,
    /// Longest text or blob a SQL function may build, in bytes.
    pub max_length: Option<f64>,
}

/// A cancellation flag for one running statement (an `AbortSignal`'s).
#[napi]
pub struct NativeCancel {
    flag: Arc<std::sync::atomic::AtomicBool>,
}

#[napi]
impl NativeCancel {
    /// A flag not yet set.
    #[napi(constructor)]
    pub fn new() -> Self {
        NativeCancel {
            flag: Arc::default(),
        }
    }

    /// Cancels the statement: it fails with `TDB_LIMIT` at its next check.
    #[napi]
    pub fn cancel(&self) {
        self.flag.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Default for NativeCancel {
    fn default() -> Self {
        Self::new()
    }
}

/// What recovery cut or rebuilt when the database opened (`db.recovery`).
#[napi(object)]
pub struct NativeRecovery {
    /// "torn-tail" (the normal result of a crash) or "corruption" (cut only
    /// because `repair` was set); absent when the log was clean.
    pub wal: Option<String>,
    /// The WAL segment that was cut.
    pub segment: Option<f64>,
    /// Byte offset of the cut in that segment.
    pub offset: f64,
    /// Bytes cut off.
    pub bytes_dropped: f64,
    /// Intact records dropped with the cut (acknowledged writes lost).
    pub records_dropped: f64,
    /// Later segments set aside (renamed `*.dropped`).
    pub segments_dropped: Vec<f64>,
    /// Records replayed from the WAL.
    pub records_replayed: f64,
    /// Table files the manifest was rebuilt from (repair), if it was.
    pub manifest_tables: Option<f64>,
    /// Unfinished table files found by that rebuild (no data lost: their
    /// data is in the WAL or in other tables).
    pub unfinished_tables: Option<f64>,
    /// Where the rebuild moved the old table files.
    pub tables_moved_to: Option<String>,
}

/// One native database handle, owned by the SDK's `Database` object.
#[napi]
pub struct NativeDb {
    db: Arc<RwLock<Option<Arc<Database>>>>,
    completer: Completer,
    /// The SDK's reusable read buffer (pointer, length): `get_into` copies a
    /// value there so a read returns a number instead of a new JS object.
    pub(crate) scratch: (usize, usize),
    /// Query results being pulled in batches (see `statement.rs`).
    pub(crate) cursors: crate::statement::Cursors,
    /// Progress of the running `check`: table bytes done, total.
    check_progress: Arc<(AtomicU64, AtomicU64)>,
}

pub(crate) fn read_at(as_of: f64, epoch: f64, valid_at: f64) -> ReadAt {
    ReadAt {
        as_of: opt_time(as_of).map(|t| t.max(0) as u64),
        epoch: opt_time(epoch).map(|t| t.max(0) as u64),
        valid_at: opt_time(valid_at),
    }
}

impl NativeDb {
    pub(crate) fn handle(&self) -> std::result::Result<Arc<Database>, Error> {
        self.db
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(Error::closed)
    }

    /// Runs `f` on the engine's read pool and completes `id` with its outcome.
    pub(crate) fn on_pool(&self, id: u32, f: impl FnOnce(&Database) -> Outcome + Send + 'static) {
        let once = Once::new(self.completer.clone(), id);
        let db = match self.handle() {
            Ok(db) => db,
            Err(e) => return once.finish(Outcome::Err(e)),
        };
        let job_db = db.clone();
        // If the pool is stopped the job (and `once`) is dropped: TDB_CLOSED.
        let _ = db.spawn(Box::new(move || {
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&job_db)))
                .unwrap_or_else(|_| Outcome::Err(Error::internal("a read panicked")));
            once.finish(out);
        }));
    }

    fn write(&self, id: u32, ops: Vec<WriteOp>) {
        let once = Once::new(self.completer.clone(), id);
        match self.handle() {
            Ok(db) => db.write_async(
                ops,
                Box::new(move |r| {
                    once.finish(match r {
                        Ok(c) => Outcome::Time(c.sys),
                        Err(e) => Outcome::Err(e),
                    })
                }),
            ),
            Err(e) => once.finish(Outcome::Err(e)),
        }
    }
}

/// Builds write operations from the SDK's parallel arrays: kind (1 put,
/// 2 delete), key, value tag, value, valid from, valid to (NaN = default).
fn ops_from_arrays(
    kinds: Vec<u32>,
    keys: Vec<Bytes>,
    tags: Vec<u32>,
    values: Vec<Bytes>,
    froms: Vec<f64>,
    tos: Vec<f64>,
) -> napi::Result<Vec<WriteOp>, String> {
    let n = kinds.len();
    if keys.len() != n || tags.len() != n || values.len() != n || froms.len() != n || tos.len() != n
    {
        return Err(to_napi(Error::invalid("write arrays differ in length")));
    }
    let mut ops = Vec::with_capacity(n);
    for (i, ((key, value), tag)) in keys.into_iter().zip(values).zip(tags).enumerate() {
        let op = match kinds[i] {
            1 => WriteOp::put(key.0, tagged(tag, value)),
            2 => WriteOp::delete(key.0),
            k => {
                return Err(to_napi(Error::invalid(format!(
                    "unknown write operation kind {k}"
                ))))
            }
        };
        ops.push(op.valid(opt_time(froms[i]), opt_time(tos[i])));
    }
    Ok(ops)
}

fn tagged(tag: u32, value: Bytes) -> Vec<u8> {
    let mut v = Vec::with_capacity(value.0.len() + 1);
    v.push(tag.min(255) as u8);
    v.extend_from_slice(&value.0);
    v
}

#[napi]
impl NativeDb {
    /// Creates an unopened handle that reports completions to `on_complete`.
    #[napi(constructor, catch_unwind)]
    pub fn new(
        env: Env,
        on_complete: Function<'_, Unknown<'_>, Unknown<'_>>,
        mut scratch: Buffer,
    ) -> Result<Self> {
        // SAFETY: we are on the JS thread inside a constructor call.
        let completer = unsafe { Completer::new(env.raw(), on_complete.raw())? };
        let slice: &mut [u8] = scratch.as_mut();
        Ok(NativeDb {
            db: Arc::new(RwLock::new(None)),
            completer,
            scratch: (slice.as_mut_ptr() as usize, slice.len()),
            cursors: Default::default(),
            check_progress: Arc::default(),
        })
    }

    /// Memory-only read into the shared read buffer. Returns the number of
    /// bytes written (tag byte first), -1 when absent, -2 when answering
    /// needs disk I/O, -3 when the value does not fit (use `getSync`).
    #[napi(catch_unwind)]
    pub fn get_into(
        &self,
        #[napi(ts_arg_type = "string | Uint8Array")] key: Bytes,
        as_of: f64,
        epoch: f64,
        valid_at: f64,
    ) -> napi::Result<f64, String> {
        let db = self.handle().map_err(to_napi)?;
        let at = read_at(as_of, epoch, valid_at);
        match db.get_cached(&key.0, &at).map_err(to_napi)? {
            Some(Some(v)) => {
                let (ptr, len) = self.scratch;
                if v.len() > len {
                    return Ok(-3.0);
                }
                // SAFETY: the SDK keeps the scratch Buffer alive for as long as
                // this object (both live in its Channel), ArrayBuffer memory
                // never moves, and this runs on the JS thread, which is the only
                // thread touching that memory.
                unsafe { std::ptr::copy_nonoverlapping(v.as_ptr(), ptr as *mut u8, v.len()) };
                Ok(v.len() as f64)
            }
            Some(None) => Ok(-1.0),
            None => Ok(-2.0),
        }
    }

    /// Opens the database on a new thread; completes `id` with null.
    #[napi(catch_unwind)]
    pub fn open(&self, path: String, opts: NativeOpenOptions, id: u32) -> napi::Result<(), String> {
        let mut o = Options::default();
        let d = StoreOptions::default();
        o.store.shards = opts
            .shards
            .map(|s| s as usize)
            .unwrap_or(d.shards)
            .clamp(1, 256);
        if let Some(m) = opts.memtable_bytes {
            o.store.memtable_bytes = (m.max(64.0 * 1024.0)) as usize;
        }
        if let Some(c) = opts.cache_bytes {
            o.store.cache_bytes = c.max(0.0) as usize;
        }
        if let Some(c) = opts.row_cache_bytes {
            o.store.row_cache_bytes = c.max(0.0) as usize;
        }
        if let Some(t) = opts.read_threads {
            o.read_threads = t.clamp(1, 64) as usize;
        }
        o.repair = opts.repair.unwrap_or(false);
        o.read_only = opts.read_only.unwrap_or(false);
        if let Some(n) = opts.max_length {
            o.max_length = n.max(1.0) as usize;
        }
        if let Some(b) = opts.statement_memory_bytes {
            o.statement_memory = (b > 0.0).then_some(b as usize);
        }
        o.statement_timeout = opts
            .statement_timeout_ms
            .filter(|ms| *ms > 0.0)
            .map(|ms| Duration::from_millis(ms as u64));
        o.durability = match opts.durability.as_deref() {
            None | Some("full") => Durability::Full,
            Some("buffered") => Durability::Buffered {
                interval: Duration::from_millis(
                    opts.sync_interval_ms.unwrap_or(100.0).clamp(1.0, 60_000.0) as u64,
                ),
            },
            Some(other) => {
                return Err(to_napi(Error::invalid(format!(
                    "durability must be 'full' or 'buffered', not '{other}'"
                ))))
            }
        };
        let slot = self.db.clone();
        let once = Once::new(self.completer.clone(), id);
        let pool = tensordb::engine::pool::global(o.read_threads);
        // A refused job (no pool thread could start) drops `once`: TDB_CLOSED.
        let _ = pool.spawn(Box::new(move || {
            let res = std::panic::catch_unwind(|| Database::open(&path, o))
                .unwrap_or_else(|_| Err(Error::internal("open panicked")));
            match res {
                Ok(db) => {
                    *slot.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(db));
                    once.finish(Outcome::Unit);
                }
                Err(e) => once.finish(Outcome::Err(e)),
            }
        }));
        Ok(())
    }

    /// Commits a batch atomically. Parallel arrays: kind (1 put, 2 delete), key,
    /// value tag, value, valid from, valid to.
    #[napi(catch_unwind)]
    #[allow(clippy::too_many_arguments)]
    pub fn batch(
        &self,
        kinds: Vec<u32>,
        #[napi(ts_arg_type = "Array<string | Uint8Array>")] keys: Vec<Bytes>,
        tags: Vec<u32>,
        #[napi(ts_arg_type = "Array<string | Uint8Array>")] values: Vec<Bytes>,
        froms: Vec<f64>,
        tos: Vec<f64>,
        id: u32,
    ) -> napi::Result<(), String> {
        let ops = ops_from_arrays(kinds, keys, tags, values, froms, tos)?;
        self.write(id, ops);
        Ok(())
    }

    /// Submits independent single-operation commits (one per `ids` entry, each
    /// with its own system time and completion), back to back, so writes
    /// issued in one JS tick reach the commit thread together and share a
    /// sync. Parallel arrays as in `batch`.
    #[napi(catch_unwind)]
    #[allow(clippy::too_many_arguments)]
    pub fn write_many(
        &self,
        kinds: Vec<u32>,
        #[napi(ts_arg_type = "Array<string | Uint8Array>")] keys: Vec<Bytes>,
        tags: Vec<u32>,
        #[napi(ts_arg_type = "Array<string | Uint8Array>")] values: Vec<Bytes>,
        froms: Vec<f64>,
        tos: Vec<f64>,
        ids: Vec<u32>,
    ) -> napi::Result<(), String> {
        let ops = ops_from_arrays(kinds, keys, tags, values, froms, tos)?;
        if ops.len() != ids.len() {
            return Err(to_napi(Error::invalid("write arrays differ in length")));
        }
        let mut items: Vec<(Vec<WriteOp>, Done)> = Vec::with_capacity(ops.len());
        for (op, id) in ops.into_iter().zip(ids) {
            let once = Once::new(self.completer.clone(), id);
            let done: Done = Box::new(move |r| {
                once.finish(match r {
                    Ok(c) => Outcome::Time(c.sys),
                    Err(e) => Outcome::Err(e),
                })
            });
            items.push((vec![op], done));
        }
        match self.handle() {
            Ok(db) => db.write_many_async(items),
            Err(e) => {
                for (_, done) in items {
                    done(Err(e.clone()));
                }
            }
        }
        Ok(())
    }

    /// Reads from memory only: the value, `null` when absent, or `undefined`
    /// when answering needs disk I/O (then use `get`).
    #[napi(catch_unwind, ts_return_type = "unknown")]
    pub fn get_sync(
        &self,
        #[napi(ts_arg_type = "string | Uint8Array")] key: Bytes,
        as_of: f64,
        epoch: f64,
        valid_at: f64,
    ) -> napi::Result<SyncValue, String> {
        let db = self.handle().map_err(to_napi)?;
        let at = read_at(as_of, epoch, valid_at);
        match db.get_cached(&key.0, &at) {
            Ok(Some(Some(v))) => Ok(SyncValue::Found(v)),
            Ok(Some(None)) => Ok(SyncValue::Missing),
            Ok(None) => Ok(SyncValue::WouldBlock),
            Err(e) => Err(to_napi(e)),
        }
    }

    /// Point read on the engine's read threads.
    #[napi(catch_unwind)]
    pub fn get(
        &self,
        #[napi(ts_arg_type = "string | Uint8Array")] key: Bytes,
        as_of: f64,
        epoch: f64,
        valid_at: f64,
        id: u32,
    ) {
        let at = read_at(as_of, epoch, valid_at);
        self.on_pool(id, move |db| match db.get(&key.0, &at) {
            Ok(v) => Outcome::Value(v),
            Err(e) => Outcome::Err(e),
        });
    }

    /// Range / prefix scan on the engine's read threads; completes with a flat
    /// `[key, value, …]` array. `limit` < 0 means none.
    #[napi(catch_unwind)]
    #[allow(clippy::too_many_arguments)]
    pub fn scan(
        &self,
        #[napi(ts_arg_type = "string | Uint8Array | null")] prefix: Option<Bytes>,
        #[napi(ts_arg_type = "string | Uint8Array | null")] start: Option<Bytes>,
        #[napi(ts_arg_type = "string | Uint8Array | null")] end: Option<Bytes>,
        limit: f64,
        reverse: bool,
        as_of: f64,
        epoch: f64,
        valid_at: f64,
        id: u32,
    ) {
        let range = ScanRange {
            prefix: prefix.map(|b| b.0),
            start: start.map(|b| b.0),
            end: end.map(|b| b.0),
            limit: (limit >= 0.0).then_some(limit as usize),
            reverse,
        };
        let at = read_at(as_of, epoch, valid_at);
        self.on_pool(id, move |db| match db.kv_scan_rows(&range, &at) {
            Ok(rows) => Outcome::Rows(rows),
            Err(e) => Outcome::Err(e),
        });
    }

    /// Runs SQL on the engine's threads; completes with `[columns, flat
    /// values, changes, lastInsertRowid, systemTime]`.
    #[napi(catch_unwind)]
    #[allow(clippy::too_many_arguments)]
    pub fn sql(
        &self,
        text: String,
        #[napi(ts_arg_type = "unknown[]")] params: Vec<SqlParam>,
        as_of: f64,
        epoch: f64,
        valid_at: f64,
        cancel: Option<&NativeCancel>,
        id: u32,
    ) {
        let at = read_at(as_of, epoch, valid_at);
        let params: Vec<tensordb::sql::Value> = params.into_iter().map(|p| p.0).collect();
        let cancel = cancel.map(|c| c.flag.clone());
        self.on_pool(id, move |db| {
            match db.sql_cancellable(&text, &params, at, cancel) {
                Ok(r) => Outcome::Sql(r),
                Err(e) => Outcome::Err(e),
            }
        });
    }

    /// Every column of every SQL table (see `Database::table_columns`);
    /// completes like `sql`.
    #[napi(catch_unwind)]
    pub fn table_columns(&self, id: u32) {
        self.on_pool(id, move |db| match db.table_columns() {
            Ok(r) => Outcome::Sql(r),
            Err(e) => Outcome::Err(e),
        });
    }

    /// Every version of one row of a SQL table (by primary key values);
    /// completes like `sql`.
    #[napi(catch_unwind)]
    pub fn row_history(
        &self,
        table: String,
        #[napi(ts_arg_type = "unknown[]")] key: Vec<SqlParam>,
        id: u32,
    ) {
        let key: Vec<tensordb::sql::Value> = key.into_iter().map(|p| p.0).collect();
        self.on_pool(id, move |db| match db.row_history(&table, &key) {
            Ok(r) => Outcome::Sql(r),
            Err(e) => Outcome::Err(e),
        });
    }

    /// Changes committed after system time `after` of keys starting with
    /// `prefix`, at least `max` unless fewer exist; completes with `[next,
    /// flat]` (see `changes_to_js`). Pull-based: nothing is buffered for a
    /// consumer between calls.
    #[napi(catch_unwind)]
    pub fn changes(
        &self,
        after_sys: f64,
        after_seq: f64,
        #[napi(ts_arg_type = "string | Uint8Array")] prefix: Bytes,
        max: u32,
        id: u32,
    ) {
        let after = position(after_sys, after_seq);
        self.on_pool(id, move |db| {
            match db.changes(after, &prefix.0, max.max(1) as usize) {
                Ok(b) => Outcome::Changes(b),
                Err(e) => Outcome::Err(e),
            }
        });
    }

    /// Changes of SQL table `table` after (`after_sys`, `after_seq`), at most
    /// `max`; completes with `[next sys, next seq, SQL tuple]` (see
    /// `Database::table_changes` for the columns).
    #[napi(catch_unwind)]
    pub fn table_changes(&self, table: String, after_sys: f64, after_seq: f64, max: u32, id: u32) {
        let after = position(after_sys, after_seq);
        self.on_pool(id, move |db| {
            match db.table_changes(&table, after, max.max(1) as usize) {
                Ok((r, next)) => Outcome::TableChanges(r, next),
                Err(e) => Outcome::Err(e),
            }
        });
    }

    /// The position durable cursor `name` acknowledged last; completes with
    /// `[sys, seq]` (`[0, 0]`: the beginning).
    #[napi(catch_unwind)]
    pub fn cursor_position(&self, name: String, id: u32) {
        self.on_pool(id, move |db| match db.cursor_position(&name) {
            Ok(p) => Outcome::Epoch(p.sys, p.seq as u64),
            Err(e) => Outcome::Err(e),
        });
    }

    /// Joins consumer group `group`; the member id (partitions rebalance).
    #[napi(catch_unwind)]
    pub fn group_join(&self, group: String) -> napi::Result<f64, String> {
        let db = self.handle().map_err(to_napi)?;
        db.group_join(&group).map(|m| m as f64).map_err(to_napi)
    }

    /// Leaves consumer group `group` (the member's partitions move).
    #[napi(catch_unwind)]
    pub fn group_leave(&self, group: String, member: f64) -> napi::Result<(), String> {
        let db = self.handle().map_err(to_napi)?;
        db.group_leave(&group, member as u64).map_err(to_napi)
    }

    /// The partition of a key (see `engine::groups`).
    #[napi(catch_unwind)]
    pub fn group_partition(&self, #[napi(ts_arg_type = "Uint8Array")] key: Bytes) -> u32 {
        tensordb::engine::groups::partition_of(&key.0)
    }

    /// Up to `max` changes under `prefix` for `member` of `group`;
    /// completes like `changes` (the position fields are unused).
    #[napi(catch_unwind)]
    pub fn group_changes(
        &self,
        group: String,
        member: f64,
        #[napi(ts_arg_type = "string | Uint8Array")] prefix: Bytes,
        max: u32,
        id: u32,
    ) {
        self.on_pool(id, move |db| {
            match db.group_changes(&group, member as u64, &prefix.0, max.max(1) as usize) {
                Ok(b) => Outcome::Changes(tensordb::ChangeBatch {
                    changes: b.changes.into_iter().map(|(_, c)| c).collect(),
                    next: tensordb::Position::default(),
                }),
                Err(e) => Outcome::Err(e),
            }
        });
    }

    /// Changes of SQL table `table` for `member` of `group`; completes like
    /// `sql` (see `Database::table_group_changes` for the columns).
    #[napi(catch_unwind)]
    pub fn table_group_changes(
        &self,
        table: String,
        group: String,
        member: f64,
        max: u32,
        id: u32,
    ) {
        self.on_pool(id, move |db| {
            match db.table_group_changes(&table, &group, member as u64, max.max(1) as usize) {
                Ok(r) => Outcome::Sql(r),
                Err(e) => Outcome::Err(e),
            }
        });
    }

    /// Durably records that partition `partition` of `group` processed
    /// every change up to (`sys`, `seq`).
    #[napi(catch_unwind)]
    pub fn group_ack(&self, group: String, partition: u32, sys: f64, seq: f64, id: u32) {
        let at = position(sys, seq);
        self.on_pool(id, move |db| match db.group_ack(&group, partition, at) {
            Ok(()) => Outcome::Unit,
            Err(e) => Outcome::Err(e),
        });
    }

    /// Durably records that cursor `name` processed every change up to
    /// and including position (`sys`, `seq`).
    #[napi(catch_unwind)]
    pub fn cursor_ack(&self, name: String, sys: f64, seq: f64, id: u32) {
        let at = position(sys, seq);
        self.on_pool(id, move |db| match db.cursor_ack(&name, at) {
            Ok(()) => Outcome::Unit,
            Err(e) => Outcome::Err(e),
        });
    }

    /// Every fact of `key`; completes with a flat array of 6 fields per fact.
    #[napi(catch_unwind)]
    pub fn history(&self, #[napi(ts_arg_type = "string | Uint8Array")] key: Bytes, id: u32) {
        self.on_pool(id, move |db| match db.history(&key.0) {
            Ok(h) => Outcome::History(h),
            Err(e) => Outcome::Err(e),
        });
    }

    /// Records a new epoch; completes with `[epoch, systemTime]`.
    #[napi(catch_unwind)]
    pub fn advance_epoch(&self, id: u32) {
        let once = Once::new(self.completer.clone(), id);
        match self.handle() {
            Ok(db) => db.advance_epoch_async(Box::new(move |r| {
                once.finish(match r {
                    Ok(c) => Outcome::Epoch(c.epoch.unwrap_or(0), c.sys),
                    Err(e) => Outcome::Err(e),
                })
            })),
            Err(e) => once.finish(Outcome::Err(e)),
        }
    }

    /// The latest visible system time.
    #[napi(catch_unwind)]
    pub fn now(&self) -> napi::Result<f64, String> {
        Ok(self.handle().map_err(to_napi)?.now() as f64)
    }

    /// Flushes memtables to tables on a read thread.
    #[napi(catch_unwind)]
    pub fn flush(&self, id: u32) {
        self.on_pool(id, |db| match db.flush() {
            Ok(()) => Outcome::Unit,
            Err(e) => Outcome::Err(e),
        });
    }

    /// Verifies the database on the engine's threads (see
    /// `Database::check`); completes like `sql` with rows `(item, count,
    /// problem)`: one per counter, then one per problem.
    #[napi(catch_unwind)]
    pub fn check(&self, id: u32) {
        let progress = self.check_progress.clone();
        progress.0.store(0, Ordering::Relaxed);
        progress.1.store(0, Ordering::Relaxed);
        self.on_pool(id, move |db| {
            let mut report = |done: u64, total: u64| {
                progress.0.store(done, Ordering::Relaxed);
                progress.1.store(total, Ordering::Relaxed);
            };
            match db.check(&mut report) {
                Ok(r) => {
                    use tensordb::sql::Value as V;
                    let count =
                        |name: &str, n: u64| vec![V::Text(name.into()), V::Int(n as i64), V::Null];
                    let mut rows = vec![
                        count("tables", r.tables),
                        count("blocks", r.blocks),
                        count("bytes", r.bytes),
                        count("walSegments", r.wal_segments),
                        count("walRecords", r.wal_records),
                        count("indexes", r.indexes),
                    ];
                    rows.extend(
                        r.problems
                            .into_iter()
                            .map(|p| vec![V::Text("problem".into()), V::Null, V::Text(p)]),
                    );
                    Outcome::Sql(tensordb::sql::SqlResult {
                        columns: vec!["item".into(), "count".into(), "problem".into()],
                        types: vec!["", "", ""],
                        rows,
                        ..Default::default()
                    })
                }
                Err(e) => Outcome::Err(e),
            }
        });
    }

    /// The running check's progress: `[table bytes done, total]`.
    #[napi(catch_unwind)]
    pub fn check_progress(&self) -> Vec<f64> {
        vec![
            self.check_progress.0.load(Ordering::Relaxed) as f64,
            self.check_progress.1.load(Ordering::Relaxed) as f64,
        ]
    }

    /// What recovery cut or rebuilt at open; `null` when nothing.
    #[napi(catch_unwind)]
    pub fn recovery(&self) -> napi::Result<Option<NativeRecovery>, String> {
        let db = self.handle().map_err(to_napi)?;
        let r = db.replay_report();
        if !r.changed_anything() {
            return Ok(None);
        }
        let rebuilt = r.manifest_rebuilt.as_ref();
        Ok(Some(NativeRecovery {
            wal: (r.truncated_bytes > 0)
                .then(|| if r.corrupt { "corruption" } else { "torn-tail" }.to_string()),
            segment: r.truncated_segment.map(|s| s as f64),
            offset: r.truncated_offset as f64,
            bytes_dropped: r.truncated_bytes as f64,
            records_dropped: r.dropped_records as f64,
            segments_dropped: r.dropped_segments.iter().map(|&s| s as f64).collect(),
            records_replayed: r.records as f64,
            manifest_tables: rebuilt.map(|b| b.tables as f64),
            unfinished_tables: rebuilt.map(|b| b.unfinished as f64),
            tables_moved_to: rebuilt
                .and_then(|b| b.aside.as_ref().map(|p| p.display().to_string())),
        }))
    }

    /// Closes this handle on a new thread (the last handle flushes the engine).
    #[napi(catch_unwind)]
    pub fn close(&self, id: u32) -> napi::Result<(), String> {
        let taken = self.db.write().unwrap_or_else(|p| p.into_inner()).take();
        let once = Once::new(self.completer.clone(), id);
        let Some(db) = taken else {
            once.finish(Outcome::Unit);
            return Ok(());
        };
        let job = move || {
            let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| db.close()))
                .unwrap_or_else(|_| Err(Error::internal("close panicked")));
            once.finish(res.map(|_| Outcome::Unit).unwrap_or_else(Outcome::Err));
        };
        if let Err(job) = tensordb::engine::pool::global(2).spawn(Box::new(job)) {
            // No pool thread: close here rather than leave the folder locked.
            job();
        }
        Ok(())
    }

    /// Releases the completion channel; call once after `close` completed and
    /// nothing else is pending.
    #[napi(catch_unwind)]
    pub fn release(&self) {
        self.completer.release();
    }

    /// Keeps Node's event loop alive while the SDK has operations pending.
    #[napi(catch_unwind)]
    pub fn keep_alive(&self, env: Env, on: bool) {
        // SAFETY: JS-thread call with the current env.
        unsafe { self.completer.keep_alive(env.raw() as sys::napi_env, on) }
    }
}

/// A feed position from JS numbers (non-finite or negative: the beginning).
fn position(sys: f64, seq: f64) -> tensordb::Position {
    let n = |x: f64, max: f64| {
        if x.is_finite() && x > 0.0 {
            x.min(max)
        } else {
            0.0
        }
    };
    tensordb::Position {
        sys: n(sys, u64::MAX as f64) as u64,
        seq: n(seq, u32::MAX as f64) as u32,
    }
}
