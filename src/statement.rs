//! Prepared statements, sessions (explicit transactions) and result cursors
//! as the SDK sees them. Parsing happens once in `prepare`; execution runs on
//! the engine's threads like every other query.

use crate::completion::Outcome;
use crate::convert::SqlParam;
use crate::database::{read_at, NativeDb};
use crate::error::to_napi;
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tensordb::sql::{Prepared, RowStream, Session, SqlResult, Value};
use tensordb::{Database, Error, ReadAt};

/// SQL parsed once (`db.prepare`).
#[napi]
pub struct NativeStatement {
    prepared: Arc<Prepared>,
    read_only: bool,
    /// Column names and types of the last result `run_statement_sync` sent
    /// as a tuple: the SDK keeps the same pair, so results of that shape
    /// cross as packed values in the shared buffer alone.
    shape: Mutex<Option<(Vec<String>, Vec<&'static str>)>>,
}

#[napi]
impl NativeStatement {
    /// True when the statement only reads (no writes, no DDL).
    #[napi(getter, catch_unwind)]
    pub fn read_only(&self) -> bool {
        self.read_only
    }
}

/// A session: statements run in order, inside at most one open transaction.
#[napi]
pub struct NativeSession {
    inner: Arc<Mutex<Session>>,
}

#[napi]
impl NativeSession {
    /// True while a transaction is open.
    #[napi(catch_unwind)]
    pub fn in_transaction(&self) -> bool {
        lock(&self.inner).in_transaction()
    }

    /// Abandons the open transaction, if any (nothing it wrote is kept).
    #[napi(catch_unwind)]
    pub fn rollback(&self) {
        lock(&self.inner).rollback();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Open query streams, by cursor id, while JS pulls their rows in batches.
pub(crate) type Cursors = Arc<Mutex<HashMap<u32, Arc<Mutex<RowStream>>>>>;

fn values(params: Vec<SqlParam>) -> Vec<Value> {
    params.into_iter().map(|p| p.0).collect()
}

fn sql_outcome(r: tensordb::Result<SqlResult>) -> Outcome {
    match r {
        Ok(r) => Outcome::Sql(r),
        Err(e) => Outcome::Err(e),
    }
}

/// A synchronous attempt's answer for JS: the result, or "run it async".
fn sync_outcome(
    r: tensordb::Result<Option<SqlResult>>,
) -> napi::Result<crate::convert::SyncSql, String> {
    match r {
        Ok(Some(r)) => Ok(crate::convert::SyncSql::Done(r)),
        Ok(None) => Ok(crate::convert::SyncSql::WouldBlock),
        Err(e) => Err(to_napi(e)),
    }
}

/// Runs prepared SQL in `session` (or a one-off one).
fn run(
    db: &Database,
    p: &Prepared,
    params: &[Value],
    at: ReadAt,
    session: Option<&Mutex<Session>>,
) -> tensordb::Result<SqlResult> {
    match session {
        Some(s) => lock(s).run_prepared(db, p, params, at),
        None => db.run_prepared(p, params, at),
    }
}

#[napi]
impl NativeDb {
    /// Parses SQL once; throws `TDB_SYNTAX` / `TDB_NOT_SUPPORTED` right away.
    #[napi(catch_unwind)]
    pub fn prepare(&self, text: String) -> napi::Result<NativeStatement, String> {
        let prepared = Prepared::new(&text).map_err(to_napi)?;
        Ok(NativeStatement {
            read_only: prepared.read_only(),
            prepared: Arc::new(prepared),
            shape: Mutex::new(None),
        })
    }

    /// A new session (for transactions spanning calls).
    #[napi(catch_unwind)]
    pub fn session(&self) -> NativeSession {
        NativeSession {
            inner: Arc::new(Mutex::new(Session::new())),
        }
    }

    /// Answers a prepared single-table read from memory on the calling
    /// thread: `undefined` when it needs disk or more than a few reads (then
    /// call `runStatement`); a number of bytes when the rows were packed into
    /// the shared buffer and the columns and types are those of the last
    /// tuple this statement returned; else the result tuple.
    #[napi(catch_unwind, ts_return_type = "unknown")]
    pub fn run_statement_sync(
        &self,
        stmt: &NativeStatement,
        #[napi(ts_arg_type = "unknown[]")] params: Vec<SqlParam>,
        as_of: f64,
        epoch: f64,
        valid_at: f64,
    ) -> napi::Result<crate::convert::SyncSql, String> {
        if !stmt.read_only {
            return Ok(crate::convert::SyncSql::WouldBlock);
        }
        let db = self.handle().map_err(to_napi)?;
        let at = read_at(as_of, epoch, valid_at);
        let r = match db.run_prepared_cached(&stmt.prepared, &values(params), at) {
            Ok(Some(r)) => r,
            other => return sync_outcome(other),
        };
        let mut shape = lock(&stmt.shape);
        let same = r.changes == 0
            && r.last_insert_rowid.is_none()
            && r.system_time.is_none()
            && shape
                .as_ref()
                .is_some_and(|(c, t)| *c == r.columns && *t == r.types);
        if same {
            let packed = crate::completion::pack_values(&r.rows);
            let (ptr, len) = self.scratch;
            if packed.len() <= len {
                // SAFETY: as in `get_into`: the SDK keeps the scratch Buffer
                // alive as long as this object, its memory never moves, and
                // only the JS thread (this one) touches it.
                unsafe {
                    std::ptr::copy_nonoverlapping(packed.as_ptr(), ptr as *mut u8, packed.len())
                };
                return Ok(crate::convert::SyncSql::Packed(packed.len()));
            }
        }
        *shape = Some((r.columns.clone(), r.types.clone()));
        Ok(crate::convert::SyncSql::Done(r))
    }

    /// Runs a prepared statement; completes like `sql`.
    #[napi(catch_unwind)]
    #[allow(clippy::too_many_arguments)]
    pub fn run_statement(
        &self,
        stmt: &NativeStatement,
        #[napi(ts_arg_type = "unknown[]")] params: Vec<SqlParam>,
        as_of: f64,
        epoch: f64,
        valid_at: f64,
        id: u32,
    ) {
        let p = stmt.prepared.clone();
        let at = read_at(as_of, epoch, valid_at);
        let params = values(params);
        self.on_pool(id, move |db| sql_outcome(run(db, &p, &params, at, None)));
    }

    /// Runs SQL text in a session; completes like `sql`.
    #[napi(catch_unwind)]
    pub fn session_sql(
        &self,
        session: &NativeSession,
        text: String,
        #[napi(ts_arg_type = "unknown[]")] params: Vec<SqlParam>,
        id: u32,
    ) {
        let s = session.inner.clone();
        let params = values(params);
        self.on_pool(id, move |db| {
            sql_outcome(lock(&s).run(db, &text, &params, ReadAt::default()))
        });
    }

    /// Runs a prepared statement of the session's open transaction on the
    /// calling thread from memory: the result tuple, or `undefined` when the
    /// session is busy, has no transaction, or the statement needs disk or
    /// more work (then call `sessionRun`).
    #[napi(catch_unwind, ts_return_type = "unknown")]
    pub fn session_run_sync(
        &self,
        session: &NativeSession,
        stmt: &NativeStatement,
        #[napi(ts_arg_type = "unknown[]")] params: Vec<SqlParam>,
    ) -> napi::Result<crate::convert::SyncSql, String> {
        let db = self.handle().map_err(to_napi)?;
        // Never wait on the JS thread: a session in use elsewhere declines.
        let Ok(mut s) = session.inner.try_lock() else {
            return Ok(crate::convert::SyncSql::WouldBlock);
        };
        sync_outcome(s.run_cached_in_tx(&db, &stmt.prepared, &values(params)))
    }

    /// Runs a prepared statement in a session; completes like `sql`.
    #[napi(catch_unwind)]
    pub fn session_run(
        &self,
        session: &NativeSession,
        stmt: &NativeStatement,
        #[napi(ts_arg_type = "unknown[]")] params: Vec<SqlParam>,
        id: u32,
    ) {
        let s = session.inner.clone();
        let p = stmt.prepared.clone();
        let params = values(params);
        self.on_pool(id, move |db| {
            sql_outcome(run(db, &p, &params, ReadAt::default(), Some(&s)))
        });
    }

    /// Opens a stream of a prepared query's rows under `id` (see
    /// `Database::stream`: a single-table query is produced a chunk at a
    /// time at one snapshot; inside a session, or for any other statement,
    /// the whole result is computed now); completes like `sql` with no rows.
    /// `cursor_next(id, n)` pulls them.
    #[napi(catch_unwind)]
    #[allow(clippy::too_many_arguments)]
    pub fn open_cursor(
        &self,
        stmt: &NativeStatement,
        #[napi(ts_arg_type = "unknown[]")] params: Vec<SqlParam>,
        as_of: f64,
        epoch: f64,
        valid_at: f64,
        session: Option<&NativeSession>,
        id: u32,
    ) {
        let p = stmt.prepared.clone();
        let at = read_at(as_of, epoch, valid_at);
        let params = values(params);
        let cursors = self.cursors.clone();
        let s = session.map(|s| s.inner.clone());
        self.on_pool(id, move |db| {
            let stream = match &s {
                Some(s) => lock(s)
                    .run_prepared(db, &p, &params, at)
                    .map(RowStream::from),
                None => db.stream(&p, &params, at),
            };
            match stream {
                Ok(stream) => {
                    // The rows stay here; the completion carries the shape.
                    let head = SqlResult {
                        columns: stream.columns().to_vec(),
                        types: stream.types().to_vec(),
                        ..SqlResult::default()
                    };
                    lock(&cursors).insert(id, Arc::new(Mutex::new(stream)));
                    Outcome::Sql(head)
                }
                Err(e) => Outcome::Err(e),
            }
        });
    }

    /// The next up to `max` rows of cursor `id`, packed like SQL results
    /// (see `completion::pack_values`); empty when exhausted, which also
    /// frees the cursor; `null` when the next rows must be read first
    /// (`cursor_fill`). Never waits.
    #[napi(catch_unwind)]
    pub fn cursor_next(&self, id: u32, max: u32) -> napi::Result<Option<Buffer>, String> {
        let mut cursors = lock(&self.cursors);
        let Some(stream) = cursors.get(&id) else {
            return Err(to_napi(Error::invalid("the cursor is closed")));
        };
        let Ok(mut stream) = stream.try_lock() else {
            return Ok(None);
        };
        if !stream.is_ready() {
            return Ok(None);
        }
        let rows = stream.take(max.max(1) as usize);
        drop(stream);
        let packed = crate::completion::pack_values(&rows);
        if packed.is_empty() {
            cursors.remove(&id);
        }
        Ok(Some(packed.into()))
    }

    /// Reads cursor `cursor`'s next rows on the engine's threads (after
    /// `cursor_next` answered `null`); completes with nothing.
    #[napi(catch_unwind)]
    pub fn cursor_fill(&self, cursor: u32, id: u32) {
        let stream = lock(&self.cursors).get(&cursor).cloned();
        self.on_pool(id, move |db| match stream {
            None => Outcome::Err(Error::invalid("the cursor is closed")),
            Some(s) => match lock(&s).fill(db) {
                Ok(()) => Outcome::Unit,
                Err(e) => Outcome::Err(e),
            },
        });
    }

    /// Frees cursor `id` (after `break` in a `for await`).
    #[napi(catch_unwind)]
    pub fn cursor_close(&self, id: u32) {
        lock(&self.cursors).remove(&id);
    }
}
