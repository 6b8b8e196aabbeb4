//! Settling many Promises per wake-up of the JS thread.
//!
//! Engine threads push `(id, outcome)` into a queue and wake the JS thread
//! through one Node-API threadsafe function only when the queue was empty.
//! On the JS thread, `call_js` drains the whole queue into one flat array
//! `[id, value, id, value, …]` (a negative id carries an `Error`) and calls
//! the SDK's callback once, which resolves or rejects its Promises.

use crate::convert::{
    js_array, js_buffer, js_buffer_owned, js_error, js_null, js_number, js_string, stored_to_js,
};
use napi::{sys, Error, Result, Status};
use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tensordb::{FactKind, FactRecord, Rows};

/// The result of one asynchronous operation.
pub enum Outcome {
    /// A commit's system time.
    Time(u64),
    /// An epoch: (number, system time).
    Epoch(u64, u64),
    /// A point read: the stored value, if any.
    Value(Option<Vec<u8>>),
    /// Scan rows, delivered as one packed Buffer the SDK decodes.
    Rows(Rows),
    /// A key's history.
    History(Vec<FactRecord>),
    /// A SQL statement's result.
    Sql(tensordb::sql::SqlResult),
    /// A large SQL result whose rows are already packed (`pack_values`).
    SqlPacked(tensordb::sql::SqlResult, Vec<u8>),
    /// Large scan rows already packed (`Rows::to_packed`).
    Packed(Vec<u8>),
    /// A change-feed batch.
    Changes(tensordb::ChangeBatch),
    /// A SQL table's change batch and the position after it.
    TableChanges(tensordb::sql::SqlResult, tensordb::Position),
    /// Done, nothing to return.
    Unit,
    /// Failed.
    Err(tensordb::Error),
}

struct Shared {
    queue: Mutex<Vec<(u32, Outcome)>>,
    scheduled: AtomicBool,
    released: AtomicBool,
}

/// A cloneable, thread-safe handle that completes operations.
#[derive(Clone)]
pub struct Completer {
    shared: Arc<Shared>,
    tsfn: Arc<Tsfn>,
}

struct Tsfn(sys::napi_threadsafe_function);

// SAFETY: Node-API documents napi_call_threadsafe_function and
// napi_release_threadsafe_function as callable from any thread.
unsafe impl Send for Tsfn {}
// SAFETY: as above; the handle itself is an immutable pointer.
unsafe impl Sync for Tsfn {}

// No `Drop` release: finalizers also run while Node tears the environment
// down, when the threadsafe function is already being destroyed. The SDK calls
// `release` once a closed handle has nothing pending; a handle that is never
// closed is cleaned up by Node at exit.

unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    if !data.is_null() {
        // SAFETY: `data` is the Arc<Shared> leaked in `Completer::new`.
        drop(unsafe { Arc::from_raw(data as *const Shared) });
    }
}

/// Result values, row after row, in one buffer that JS decodes
/// (`lib/sql.ts` `unpackValues`): per value a tag byte, then `0` NULL;
/// `1` an integer that fits a double, as f64 LE; `5` any other integer, as
/// i64 LE; `2` REAL, f64 LE; `3` TEXT, `len: u32 LE` + UTF-8; `4` BLOB,
/// `len: u32 LE` + bytes. One copy across the boundary instead of one
/// Node-API call per value.
/// Results with more rows than this are packed on the engine's thread.
const PACK_OFF_THREAD: usize = 1024;

pub(crate) fn pack_values(rows: &[Vec<tensordb::sql::Value>]) -> Vec<u8> {
    use tensordb::sql::Value as V;
    let mut out = Vec::with_capacity(rows.len() * rows.first().map_or(0, |r| r.len()) * 9);
    for row in rows {
        for v in row {
            match v {
                V::Null => out.push(0),
                V::Int(i) if i.unsigned_abs() <= 9007199254740991 => {
                    out.push(1);
                    out.extend_from_slice(&(*i as f64).to_le_bytes());
                }
                V::Int(i) => {
                    out.push(5);
                    out.extend_from_slice(&i.to_le_bytes());
                }
                V::Real(r) => {
                    out.push(2);
                    out.extend_from_slice(&r.to_le_bytes());
                }
                V::Text(t) => {
                    // ASCII text is tagged apart: the SDK cuts it from one
                    // latin1 copy of the buffer instead of decoding each.
                    out.push(if t.is_ascii() { 6 } else { 3 });
                    out.extend_from_slice(&(t.len() as u32).to_le_bytes());
                    out.extend_from_slice(t.as_bytes());
                }
                V::Blob(b) => {
                    out.push(4);
                    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
                    out.extend_from_slice(b);
                }
            }
        }
    }
    out
}

/// A SQL result as the SDK's tuple: `[columns, packed values (see
/// `pack_values`), changes, lastInsertRowid, systemTime, column types]`.
///
/// # Safety
/// Must run on the JS thread with a live `env` (inside a napi call or
/// callback scope).
pub(crate) unsafe fn sql_result_to_js(
    env: sys::napi_env,
    r: &tensordb::sql::SqlResult,
    packed: Option<Vec<u8>>,
) -> Result<sys::napi_value> {
    // SAFETY: the caller guarantees the JS thread and a live env.
    unsafe {
        let names: Vec<sys::napi_value> = r
            .columns
            .iter()
            .map(|c| js_string(env, c.as_bytes()))
            .collect::<Result<_>>()?;
        // No rows (a write without RETURNING): an empty array, which costs
        // far less to make than an empty Buffer.
        let values = match packed {
            Some(p) => js_buffer_owned(env, p)?,
            None if r.rows.is_empty() => js_array(env, &[])?,
            None => js_buffer(env, &pack_values(&r.rows))?,
        };
        let opt = |x: Option<f64>| match x {
            Some(n) => js_number(env, n),
            None => js_null(env),
        };
        js_array(
            env,
            &[
                js_array(env, &names)?,
                values,
                js_number(env, r.changes as f64)?,
                opt(r.last_insert_rowid.map(|i| i as f64))?,
                opt(r.system_time.map(|t| t as f64))?,
                js_array(
                    env,
                    &r.types
                        .iter()
                        .map(|t| js_string(env, t.as_bytes()))
                        .collect::<Result<Vec<_>>>()?,
                )?,
            ],
        )
    }
}

/// A change batch as `[next sys, next seq, flat]`, 8 fields per change: system time,
/// seq, key (Buffer), kind (1 put, 2 delete), value, old value (SDK-decoded
/// or null), valid from, valid to (null when open).
unsafe fn changes_to_js(env: sys::napi_env, b: &tensordb::ChangeBatch) -> Result<sys::napi_value> {
    // SAFETY: on the JS thread inside call_js's scope.
    unsafe {
        let opt = |v: &Option<Vec<u8>>| match v {
            Some(v) => stored_to_js(env, v),
            None => js_null(env),
        };
        let mut items = Vec::with_capacity(b.changes.len() * 8);
        for c in &b.changes {
            items.push(js_number(env, c.sys as f64)?);
            items.push(js_number(env, c.seq as f64)?);
            items.push(js_buffer(env, &c.key)?);
            items.push(js_number(
                env,
                if c.kind == FactKind::Put { 1.0 } else { 2.0 },
            )?);
            items.push(opt(&c.value)?);
            items.push(opt(&c.old)?);
            items.push(js_number(env, c.valid_from as f64)?);
            items.push(if c.valid_to == i64::MAX {
                js_null(env)?
            } else {
                js_number(env, c.valid_to as f64)?
            });
        }
        js_array(
            env,
            &[
                js_number(env, b.next.sys as f64)?,
                js_number(env, b.next.seq as f64)?,
                js_array(env, &items)?,
            ],
        )
    }
}

unsafe fn outcome_to_js(env: sys::napi_env, o: Outcome) -> Result<(bool, sys::napi_value)> {
    // SAFETY: every helper runs on the JS thread inside call_js's scope.
    unsafe {
        let v = match o {
            Outcome::Time(t) => js_number(env, t as f64)?,
            Outcome::Epoch(n, t) => {
                js_array(env, &[js_number(env, n as f64)?, js_number(env, t as f64)?])?
            }
            Outcome::Value(Some(v)) => stored_to_js(env, &v)?,
            Outcome::Value(None) | Outcome::Unit => js_null(env)?,
            Outcome::Rows(rows) => js_buffer(env, &rows.to_packed())?,
            Outcome::History(facts) => {
                let mut items = Vec::with_capacity(facts.len() * 6);
                for f in &facts {
                    items.push(js_number(
                        env,
                        if f.kind == FactKind::Put { 1.0 } else { 2.0 },
                    )?);
                    items.push(match &f.value {
                        Some(v) => stored_to_js(env, v)?,
                        None => js_null(env)?,
                    });
                    items.push(js_number(env, f.system_from as f64)?);
                    items.push(match f.system_to {
                        Some(t) => js_number(env, t as f64)?,
                        None => js_null(env)?,
                    });
                    items.push(js_number(env, f.valid_from as f64)?);
                    items.push(match f.valid_to {
                        Some(t) => js_number(env, t as f64)?,
                        None => js_null(env)?,
                    });
                }
                js_array(env, &items)?
            }
            Outcome::Sql(r) => sql_result_to_js(env, &r, None)?,
            Outcome::SqlPacked(r, packed) => sql_result_to_js(env, &r, Some(packed))?,
            Outcome::Packed(bytes) => js_buffer_owned(env, bytes)?,
            Outcome::Changes(b) => changes_to_js(env, &b)?,
            Outcome::TableChanges(r, next) => js_array(
                env,
                &[
                    js_number(env, next.sys as f64)?,
                    js_number(env, next.seq as f64)?,
                    sql_result_to_js(env, &r, None)?,
                ],
            )?,
            Outcome::Err(e) => return Ok((false, js_error(env, e.code.as_str(), &e.message)?)),
        };
        Ok((true, v))
    }
}

unsafe extern "C" fn call_js(
    env: sys::napi_env,
    callback: sys::napi_value,
    context: *mut c_void,
    _data: *mut c_void,
) {
    if env.is_null() || context.is_null() {
        return; // The environment is shutting down.
    }
    // SAFETY: context is the Arc<Shared> kept alive until `finalize`.
    let shared = unsafe { &*(context as *const Shared) };
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        shared.scheduled.store(false, Ordering::SeqCst);
        let items: Vec<(u32, Outcome)> =
            std::mem::take(&mut *shared.queue.lock().unwrap_or_else(|p| p.into_inner()));
        if items.is_empty() {
            return;
        }
        // SAFETY: we are on the JS thread with a valid env and callback.
        unsafe {
            let mut flat = Vec::with_capacity(items.len() * 2);
            for (id, o) in items {
                let (ok, v) = match outcome_to_js(env, o) {
                    Ok(x) => x,
                    Err(e) => (
                        false,
                        js_error(env, "TDB_INTERNAL", &e.reason).unwrap_or(ptr::null_mut()),
                    ),
                };
                let id = if ok { id as f64 } else { -(id as f64) };
                let Ok(idv) = js_number(env, id) else { return };
                flat.push(idv);
                flat.push(v);
            }
            let Ok(arr) = js_array(env, &flat) else {
                return;
            };
            let mut recv = ptr::null_mut();
            sys::napi_get_undefined(env, &mut recv);
            let mut result = ptr::null_mut();
            let args = [arr];
            let status =
                sys::napi_call_function(env, recv, callback, 1, args.as_ptr(), &mut result);
            if status == sys::Status::napi_pending_exception {
                // Never leave an exception pending from the SDK callback: surface it.
                let mut exc = ptr::null_mut();
                sys::napi_get_and_clear_last_exception(env, &mut exc);
                sys::napi_fatal_exception(env, exc);
            }
        }
    }));
}

impl Completer {
    /// Wraps the SDK's completion callback.
    ///
    /// # Safety
    /// Must be called on the JS thread with that call's `env` and a function value.
    pub unsafe fn new(env: sys::napi_env, callback: sys::napi_value) -> Result<Completer> {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Vec::new()),
            scheduled: AtomicBool::new(false),
            released: AtomicBool::new(false),
        });
        let ctx = Arc::into_raw(shared.clone()) as *mut c_void;
        let mut tsfn = ptr::null_mut();
        // SAFETY: standard creation with our finalizer owning `ctx`.
        unsafe {
            let name = js_string(env, b"tensordb")?;
            let status = sys::napi_create_threadsafe_function(
                env,
                callback,
                ptr::null_mut(),
                name,
                0,
                1,
                ctx,
                Some(finalize),
                ctx,
                Some(call_js),
                &mut tsfn,
            );
            if status != sys::Status::napi_ok {
                drop(Arc::from_raw(ctx as *const Shared));
                return Err(Error::new(
                    Status::GenericFailure,
                    "cannot create the completion channel",
                ));
            }
            // Idle databases must not keep Node alive; the SDK refs while work is pending.
            sys::napi_unref_threadsafe_function(env, tsfn);
        }
        Ok(Completer {
            shared,
            tsfn: Arc::new(Tsfn(tsfn)),
        })
    }

    /// Queues an outcome from any thread; wakes the JS thread if needed.
    pub fn complete(&self, id: u32, outcome: Outcome) {
        if self.shared.released.load(Ordering::SeqCst) {
            return;
        }
        self.shared
            .queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((id, outcome));
        if !self.shared.scheduled.swap(true, Ordering::SeqCst) {
            // SAFETY: the tsfn stays valid while `self.tsfn` is alive.
            unsafe {
                sys::napi_call_threadsafe_function(
                    self.tsfn.0,
                    ptr::null_mut(),
                    sys::ThreadsafeFunctionCallMode::nonblocking,
                );
            }
        }
    }

    /// Gives up the threadsafe function (once); later completions are dropped.
    pub fn release(&self) {
        if !self.shared.released.swap(true, Ordering::SeqCst) {
            // SAFETY: our single acquisition, released once, while the env is alive.
            unsafe {
                sys::napi_release_threadsafe_function(
                    self.tsfn.0,
                    sys::ThreadsafeFunctionReleaseMode::release,
                );
            }
        }
    }

    /// Keeps the Node event loop alive (true) while operations are pending.
    ///
    /// # Safety
    /// Must be called on the JS thread with the current `env`.
    pub unsafe fn keep_alive(&self, env: sys::napi_env, on: bool) {
        if self.shared.released.load(Ordering::SeqCst) {
            return;
        }
        // SAFETY: ref/unref are JS-thread calls on a live tsfn.
        unsafe {
            if on {
                sys::napi_ref_threadsafe_function(env, self.tsfn.0);
            } else {
                sys::napi_unref_threadsafe_function(env, self.tsfn.0);
            }
        }
    }
}

/// Completes `id` exactly once: with `finish`, or, if dropped unfinished (the
/// engine dropped the request because it closed, or a thread died), with a
/// `TDB_CLOSED` error — so no Promise is ever left pending.
pub struct Once {
    completer: Completer,
    id: u32,
    done: bool,
}

impl Once {
    /// Guards operation `id`.
    pub fn new(completer: Completer, id: u32) -> Self {
        Once {
            completer,
            id,
            done: false,
        }
    }

    /// Completes the operation. Large results are packed here, on the
    /// engine's thread, so the JS thread only copies them.
    pub fn finish(mut self, outcome: Outcome) {
        self.done = true;
        let outcome = match outcome {
            Outcome::Sql(mut r) if r.rows.len() > PACK_OFF_THREAD => {
                let packed = pack_values(&r.rows);
                r.rows = Vec::new();
                Outcome::SqlPacked(r, packed)
            }
            Outcome::Rows(rows) if rows.len() > PACK_OFF_THREAD => {
                Outcome::Packed(rows.to_packed())
            }
            other => other,
        };
        self.completer.complete(self.id, outcome);
    }
}

impl Drop for Once {
    fn drop(&mut self) {
        if !self.done {
            self.completer.complete(
                self.id,
                Outcome::Err(tensordb::Error::new(
                    tensordb::ErrorCode::Closed,
                    "the database closed before the operation completed",
                )),
            );
        }
    }
}
