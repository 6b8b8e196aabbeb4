//! The statement context (`Ctx`): where a statement reads in time, its
//! parameters, the transaction whose buffered writes it sees (merged into
//! every scan), the schema and table caches of one statement, the shared
//! schema cache, memory-only mode for synchronous attempts, and the hooks
//! the executor reports to EXPLAIN through.

use crate::engine::db::{Database, ReadAt};
use crate::engine::read::ScanRange;
use crate::error::{Error, ErrorCode, Result};
use crate::sql::catalog::tables::{self, rows_prefix, Table};
use crate::sql::datum::value::Value;
use crate::sql::state::txn::TxState;
use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::rc::Rc;

/// A named CTE's materialized result: column names and rows.
pub type CteRows = (Vec<String>, Vec<Vec<Value>>);

/// What a statement learned about one subquery: its rows when it does not
/// depend on the outer row, `None` when it does.
pub type SubqueryResult = Option<Rc<CteRows>>;

/// A table's schema and its rows as (storage key, values).
pub type LoadedTable = (Arc<Table>, Vec<(Vec<u8>, Vec<Value>)>);

/// A stream's window on its table (see `sql::stream`): the table's scan
/// reads only rows after `after`, at most `max` of them.
#[derive(Clone, Debug)]
pub struct Window {
    /// The table whose scan is windowed.
    pub table: String,
    /// The last storage key the previous window read.
    pub after: Option<Vec<u8>>,
    /// Storage rows read at most.
    pub max: usize,
}

/// Where a window's scan ended: the last key it read, and whether rows may
/// follow it.
#[derive(Clone, Debug, Default)]
pub struct WindowEnd {
    /// The last storage key read.
    pub last: Option<Vec<u8>>,
    /// True when the scan stopped at `max` rows.
    pub more: bool,
}

/// Releases bytes charged to the statement's memory budget when dropped.
struct Released(usize);

impl Drop for Released {
    fn drop(&mut self) {
        crate::sql::func::control::release(self.0);
    }
}

/// Statement-wide state: the database, read point, parameters, the
/// transaction whose buffered writes reads see, and tables loaded once per
/// statement.
pub struct Ctx<'a> {
    /// The database.
    pub db: &'a Database,
    /// Where reads stand in time (resolved: the transaction's snapshot unless
    /// the caller asked for another time).
    pub at: ReadAt,
    /// Bound parameters.
    pub params: &'a [Value],
    tx: &'a RefCell<TxState>,
    /// Reads at a caller-chosen time: the transaction's writes are not
    /// overlaid and writing is refused.
    historical: bool,
    /// Memory-only mode (a synchronous attempt): a read that needs disk, or
    /// more point reads plus scanned rows than `budget`, fails with
    /// `TDB_WOULD_BLOCK`.
    cache_only: bool,
    budget: std::cell::Cell<usize>,
    tables: RefCell<HashMap<String, Rc<LoadedTable>>>,
    /// Tables `table_owned` read once without keeping them.
    read_once: RefCell<std::collections::HashSet<String>>,
    schemas: RefCell<HashMap<String, Option<Arc<Table>>>>,
    view_depth: std::cell::Cell<usize>,
    trace: RefCell<Option<crate::sql::state::trace::Trace>>,
    plan_only: std::cell::Cell<bool>,
    ctes: RefCell<Vec<(String, Rc<CteRows>)>>,
    /// Changes whenever the CTEs in scope change (a subquery's result may
    /// depend on them).
    cte_gen: std::cell::Cell<u64>,
    /// Results of subqueries keyed by (query address, `cte_gen`): `Some`
    /// for one that ran without its outer row (uncorrelated: the same for
    /// every outer row), `None` for one that needs it.
    subqueries: RefCell<HashMap<(usize, u64), SubqueryResult>>,
    /// The folder's schema cache and the generation it may be used at, when
    /// this statement reads the schema as it is now (see `shared_meta`).
    meta: std::cell::OnceCell<Option<(Arc<MetaCache>, u64)>>,
    /// A stream's window, taken by the first scan of its table.
    window: RefCell<Option<Window>>,
    /// Where the windowed scan ended (`None`: no scan took the window).
    window_end: RefCell<Option<WindowEnd>>,
    /// Every column name a query statement can read (`None`: any column).
    needed: RefCell<Option<Rc<std::collections::HashSet<String>>>>,
}

use crate::engine::schema_watch::is_schema_key;
use crate::sql::catalog::meta_cache::MetaCache;
use std::sync::Arc;

impl<'a> Ctx<'a> {
    /// A context for one statement of transaction `tx`. `at` is the caller's
    /// read point; the default reads at the transaction's snapshot.
    pub fn new(
        db: &'a Database,
        at: ReadAt,
        params: &'a [Value],
        tx: &'a RefCell<TxState>,
    ) -> Self {
        let historical = at.as_of.is_some() || at.epoch.is_some() || at.valid_at.is_some();
        let at = if historical {
            at
        } else {
            let t = tx.borrow();
            ReadAt {
                as_of: Some(t.snapshot),
                epoch: None,
                valid_at: Some(t.valid_at),
            }
        };
        Ctx {
            db,
            at,
            params,
            tx,
            historical,
            cache_only: false,
            budget: std::cell::Cell::new(usize::MAX),
            tables: RefCell::new(HashMap::new()),
            read_once: RefCell::new(std::collections::HashSet::new()),
            schemas: RefCell::new(HashMap::new()),
            view_depth: std::cell::Cell::new(0),
            trace: RefCell::new(None),
            plan_only: std::cell::Cell::new(false),
            ctes: RefCell::new(Vec::new()),
            cte_gen: std::cell::Cell::new(0),
            subqueries: RefCell::new(HashMap::new()),
            meta: std::cell::OnceCell::new(),
            window: RefCell::new(None),
            window_end: RefCell::new(None),
            needed: RefCell::new(None),
        }
    }

    /// Limits the columns reads decode to those named in `names` (a query
    /// statement's every column name, `syntax::columns::used`); the other
    /// columns read as NULL. Only for statements that never write rows back.
    pub fn set_needed(&self, names: Option<std::collections::HashSet<String>>) {
        *self.needed.borrow_mut() = names.map(Rc::new);
    }

    /// The stored slots of `t` reads must decode (`Table::decode_masked`);
    /// `None`: all of them.
    pub fn mask(&self, t: &Table) -> Option<Vec<bool>> {
        self.needed.borrow().as_ref().and_then(|n| t.slot_mask(n))
    }

    /// Sets a stream's window: the first scan of `w.table` reads only the
    /// rows it names (see `plan::access::fetch`).
    pub fn set_window(&self, w: Window) {
        *self.window.borrow_mut() = Some(w);
        *self.window_end.borrow_mut() = None;
    }

    /// Takes the window if it is on `table` (once: later scans of the same
    /// table, e.g. in a subquery, read it whole).
    pub fn take_window(&self, table: &str) -> Option<Window> {
        let mut w = self.window.borrow_mut();
        if w.as_ref().is_some_and(|w| w.table == table) {
            w.take()
        } else {
            None
        }
    }

    /// Records where the windowed scan ended.
    pub fn end_window(&self, end: WindowEnd) {
        *self.window_end.borrow_mut() = Some(end);
    }

    /// Where the windowed scan ended; `None` when no scan took the window
    /// (the statement read its table another way, all at once).
    pub fn window_end(&self) -> Option<WindowEnd> {
        self.window_end.borrow().clone()
    }

    /// A context that answers only from memory, with at most `budget` point
    /// reads plus scanned rows; anything more fails with `TDB_WOULD_BLOCK` so
    /// the caller can run the statement on an engine thread instead.
    pub fn cache_only(mut self, budget: usize) -> Self {
        self.cache_only = true;
        self.budget.set(budget);
        self
    }

    /// A context for a statement run inside this one (a trigger's body):
    /// same database, read point and transaction, its own parameters and
    /// caches (it sees this statement's writes so far).
    pub fn with_params<'b>(&'b self, params: &'b [Value]) -> Ctx<'b> {
        let mut c = Ctx::new(self.db, ReadAt::default(), params, self.tx);
        c.at = self.at;
        c.historical = self.historical;
        c.cache_only = self.cache_only;
        c.budget.set(self.budget.get());
        c
    }

    /// A context for reading one table reference at another time: same
    /// database, parameters and transaction, historical (no own writes
    /// overlaid, no writing), memory-only with the budget left when this one
    /// is.
    pub fn at_time(&self, at: ReadAt) -> Ctx<'a> {
        let mut c = Ctx::new(self.db, at, self.params, self.tx);
        c.cache_only = self.cache_only;
        c.budget.set(self.budget.get());
        c.plan_only.set(self.plan_only.get());
        c
    }

    /// True when this context reads at a caller-chosen time.
    pub fn historical_read(&self) -> bool {
        self.historical
    }

    /// The transaction's own buffered write of `key`: `Some(true)` a put,
    /// `Some(false)` a delete, `None` not written.
    pub fn own_write(&self, key: &[u8]) -> Option<bool> {
        self.tx.borrow().get(key).map(|v| v.is_some())
    }

    /// True when the transaction has buffered writes under `prefix`.
    pub fn has_own_writes(&self, prefix: &[u8]) -> bool {
        let range = ScanRange {
            prefix: Some(prefix.to_vec()),
            ..Default::default()
        };
        !self.historical && self.tx.borrow().range(&range).next().is_some()
    }

    /// True for a memory-only (synchronous) attempt: reads that bypass the
    /// budget must decline with `would_block` instead.
    pub fn memory_only(&self) -> bool {
        self.cache_only
    }

    /// The error a memory-only attempt gives up with.
    pub(crate) fn would_block() -> Error {
        Error::new(
            ErrorCode::WouldBlock,
            "needs disk or too much work for a synchronous read",
        )
    }

    /// Point read: the transaction's own write if any, else the database.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.get_at(key, &self.at)
    }

    /// Point read of schema metadata (catalog, index and view definitions):
    /// at the statement's system time but the current valid time, so a
    /// valid-time query of the past uses the schema the database has as of
    /// its system time. Schema changes are system-time facts.
    pub fn get_meta(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let Some((cache, generation)) = self.shared_meta(key) else {
            return self.get_at(key, &self.meta_at());
        };
        if let Some(hit) = cache.get(generation, key) {
            return Ok(hit);
        }
        let v = self.get_at(key, &self.meta_at())?;
        cache.put(generation, key, v.clone());
        Ok(v)
    }

    /// The folder's schema cache and generation this statement reads the
    /// schema under, when it may share it (see `shared_meta`).
    pub fn shared_generation(&self) -> Option<(Arc<MetaCache>, u64)> {
        let (c, g) = self.shared_schema()?;
        Some((c.clone(), g))
    }

    /// The schema cache when this statement may use it for `key`: reads of
    /// the schema as it is now (not historical), with a snapshot at or after
    /// the last schema change (read after the snapshot was taken), and no
    /// schema writes of its own transaction.
    fn shared_meta(&self, key: &[u8]) -> Option<(&Arc<MetaCache>, u64)> {
        if !is_schema_key(key) {
            return None;
        }
        self.shared_schema()
    }

    /// `shared_meta` for any schema key.
    fn shared_schema(&self) -> Option<(&Arc<MetaCache>, u64)> {
        if self.historical || self.tx.borrow().wrote_schema() {
            return None;
        }
        let m = self.meta.get_or_init(|| {
            let state = self.db.schema_state()?;
            (self.tx.borrow().snapshot >= state.last_sys).then_some(())?;
            Some((MetaCache::of(self.db)?, state.generation))
        });
        m.as_ref().map(|(c, g)| (c, *g))
    }

    fn meta_at(&self) -> ReadAt {
        if self.historical {
            ReadAt {
                valid_at: None,
                ..self.at
            }
        } else {
            self.at
        }
    }

    fn get_at(&self, key: &[u8], at: &ReadAt) -> Result<Option<Vec<u8>>> {
        if !self.historical {
            if let Some(v) = self.tx.borrow().get(key) {
                return Ok(v.map(<[u8]>::to_vec));
            }
        }
        if self.cache_only {
            let left = self.budget.get();
            if left == 0 {
                return Err(Self::would_block());
            }
            self.budget.set(left - 1);
            return self.db.get_cached(key, at)?.ok_or_else(Self::would_block);
        }
        self.db.get(key, at)
    }

    /// Point reads of many keys (own writes first): `f(i, value)` for each
    /// `keys[i]` that has a value, in order. Each key counts against the
    /// memory-only budget like a `get`.
    pub fn get_many(
        &self,
        keys: &[Vec<u8>],
        mut f: impl FnMut(usize, &[u8]) -> Result<()>,
    ) -> Result<()> {
        if !self.historical && !self.tx.borrow().overlay_is_empty() {
            // The transaction's own writes come first: key by key.
            for (i, key) in keys.iter().enumerate() {
                if let Some(v) = self.get(key)? {
                    f(i, &v)?;
                }
            }
            return Ok(());
        }
        if self.cache_only {
            let left = self.budget.get();
            if left < keys.len() {
                return Err(Self::would_block());
            }
            self.budget.set(left - keys.len());
        }
        self.db.get_many(keys, &self.at, self.cache_only, f)
    }

    /// `scan_each` for schema metadata (see `get_meta`).
    pub fn scan_meta(
        &self,
        range: &ScanRange,
        mut f: impl FnMut(&[u8], &[u8]) -> Result<()>,
    ) -> Result<()> {
        let prefix = range.prefix.as_deref().unwrap_or_default();
        let Some((cache, generation)) = self.shared_meta(prefix) else {
            return self.scan_each_at(range, &self.meta_at(), f);
        };
        let rows = match cache.scan(generation, range) {
            Some(rows) => rows,
            None => {
                let mut rows = Vec::new();
                self.scan_each_at(range, &self.meta_at(), |k, v| {
                    rows.push((k.to_vec(), v.to_vec()));
                    Ok(())
                })?;
                let rows = Arc::new(rows);
                cache.put_scan(generation, range, rows.clone());
                rows
            }
        };
        for (k, v) in rows.iter() {
            f(k, v)?;
        }
        Ok(())
    }

    /// Range scan merged with the transaction's own writes; calls `f` per
    /// (key, value) in key order (reverse when asked). The transaction's
    /// state stays borrowed while `f` runs, so `f` must not write.
    pub fn scan_each(
        &self,
        range: &ScanRange,
        f: impl FnMut(&[u8], &[u8]) -> Result<()>,
    ) -> Result<()> {
        self.scan_each_at(range, &self.at, f)
    }

    fn scan_each_at(
        &self,
        range: &ScanRange,
        at: &ReadAt,
        mut f: impl FnMut(&[u8], &[u8]) -> Result<()>,
    ) -> Result<()> {
        let tx = self.tx.borrow();
        if self.historical || tx.range(range).next().is_none() {
            drop(tx);
            if !self.cache_only {
                // Streamed from the storage iterators: no copy of the raw
                // rows is held beside what `f` builds from them.
                return self.db.scan_each(range, at, &mut |k, v| {
                    crate::sql::func::control::tick()?;
                    f(k, v)
                });
            }
            let rows = self.fetch_rows(range, at)?;
            let res = rows.iter().try_for_each(|(k, v)| {
                crate::sql::func::control::tick()?;
                f(k, v)
            });
            crate::sql::func::control::release(rows.bytes());
            return res;
        }
        // Fetch a little more than the limit from the database (own deletes
        // may hide some rows); fetch more if that was not enough.
        let mut want = range.limit.map(|l| l.saturating_mul(2).saturating_add(16));
        loop {
            let base_range = ScanRange {
                limit: want,
                ..range.clone()
            };
            if self.cache_only {
                // The transaction's own rows count against the budget too
                // (a limited scan visits about `limit` of them).
                let left = self.budget.get();
                let visit = range
                    .limit
                    .map_or(left.saturating_add(1), |l| l.min(left.saturating_add(1)));
                let own = tx.range(range).take(visit).count();
                if own > left {
                    return Err(Self::would_block());
                }
                self.budget.set(left - own);
            }
            let base_rows = self.fetch_rows(&base_range, at)?;
            // Charged while visited, given back when dropped below.
            let _charged = Released(base_rows.bytes());
            let base = &base_rows;
            let exhausted = want.is_none_or(|w| base.len() < w);
            let base: Vec<(&[u8], &[u8])> = base.iter().collect();
            let own: Box<dyn Iterator<Item = OwnEntry>> = if range.reverse {
                Box::new(tx.range(range).rev())
            } else {
                Box::new(tx.range(range))
            };
            if let Some(out) = merge(&base, own, range.reverse, range.limit, exhausted) {
                for (k, v) in out {
                    crate::sql::func::control::tick()?;
                    f(k, v)?;
                }
                return Ok(());
            }
            want = want.map(|w| w.saturating_mul(4));
        }
    }

    /// Rows of the database (not the transaction's own writes) in `range`,
    /// charged to the statement's memory budget (the caller releases them).
    /// In memory-only mode: no disk, and no more rows than the budget left
    /// (the scan is capped one row past it, so a big range stops early).
    fn fetch_rows(&self, range: &ScanRange, at: &ReadAt) -> Result<crate::engine::read::Rows> {
        if !self.cache_only {
            let rows = self.db.scan_rows(range, at)?;
            crate::sql::func::control::charge(rows.bytes(), "a scan's buffer")?;
            return Ok(rows);
        }
        let left = self.budget.get();
        let cap = left.saturating_add(1);
        let capped = ScanRange {
            limit: Some(range.limit.map_or(cap, |l| l.min(cap))),
            ..range.clone()
        };
        let rows = self
            .db
            .scan_rows_cached(&capped, at)?
            .ok_or_else(Self::would_block)?;
        if rows.len() > left {
            return Err(Self::would_block());
        }
        self.budget.set(left - rows.len());
        Ok(rows)
    }

    /// Buffers a statement's writes in the transaction.
    pub fn write(&self, ops: Vec<crate::engine::commit::WriteOp>) -> Result<()> {
        if ops.is_empty() {
            return Ok(());
        }
        if self.historical {
            return Err(Error::invalid(
                "a statement read at another time (asOf / epoch / validAt) cannot write",
            ));
        }
        self.tx.borrow_mut().write(ops);
        self.invalidate();
        Ok(())
    }

    /// Claims a conflict token for the transaction (see `engine::conflict`).
    pub fn claim(&self, token: Vec<u8>) {
        self.tx.borrow_mut().claim(token);
    }

    /// A table's schema and rows (key, values), loaded once per statement.
    pub fn table(&self, name: &str) -> Result<Rc<LoadedTable>> {
        if let Some(t) = self.tables.borrow().get(name) {
            return Ok(t.clone());
        }
        let t = Rc::new(self.load_table(name, true)?);
        self.tables.borrow_mut().insert(name.to_string(), t.clone());
        Ok(t)
    }

    /// Table `name` with rows to own: the first time a statement asks,
    /// read and handed over (no copy kept); from the second time on, kept
    /// by `table` and copied from there, so a table read repeatedly (a
    /// self-join, a correlated subquery) is read at most twice.
    /// Without `keys`, the storage keys come back empty (nothing copied).
    pub fn table_owned(&self, name: &str, keys: bool) -> Result<LoadedTable> {
        if self.tables.borrow().contains_key(name)
            || !self.read_once.borrow_mut().insert(name.to_string())
        {
            let t = self.table(name)?;
            let rows = if keys {
                t.1.clone()
            } else {
                t.1.iter().map(|(_, r)| (Vec::new(), r.clone())).collect()
            };
            return Ok((t.0.clone(), rows));
        }
        self.load_table(name, keys)
    }

    /// Reads table `name` whole (nothing under plan-only EXPLAIN).
    fn load_table(&self, name: &str, keys: bool) -> Result<LoadedTable> {
        let schema = tables::lookup(self, name)?;
        if self.plan_only() {
            return Ok((schema, Vec::new()));
        }
        let range = ScanRange {
            prefix: Some(rows_prefix(schema.id)),
            ..Default::default()
        };
        let mut out = Vec::new();
        let mask = self.mask(&schema);
        self.scan_each(&range, |k, v| {
            let row = schema.decode_masked(v, 0, mask.as_deref())?;
            crate::sql::func::control::charge(
                k.len() + crate::sql::func::control::row_bytes(&row),
                "a table's rows",
            )?;
            out.push((if keys { k.to_vec() } else { Vec::new() }, row));
            Ok(())
        })?;
        Ok((schema, out))
    }

    /// The statement's notion of "now" (µs since the Unix epoch): the
    /// transaction's start, so every `now()` of a transaction agrees.
    pub fn now_micros(&self) -> i64 {
        self.tx.borrow().valid_at
    }

    /// Starts recording operators for EXPLAIN; `analyze` runs the statement
    /// for real, otherwise access paths read nothing (plan only).
    pub fn start_trace(&self, analyze: bool) {
        *self.trace.borrow_mut() = Some(crate::sql::state::trace::Trace::new(analyze));
        self.plan_only.set(!analyze);
    }

    /// Stops recording and returns what was recorded.
    pub fn take_trace(&self) -> Option<crate::sql::state::trace::Trace> {
        self.plan_only.set(false);
        self.trace.borrow_mut().take()
    }

    /// True under EXPLAIN without ANALYZE: plan, do not read.
    pub fn plan_only(&self) -> bool {
        self.plan_only.get()
    }

    /// True while EXPLAIN is recording operators.
    pub fn tracing(&self) -> bool {
        self.trace.borrow().is_some()
    }

    /// Reports an operator starting (when EXPLAIN is recording).
    pub fn op_start(
        &self,
        op: &str,
        detail: impl FnOnce() -> String,
    ) -> crate::sql::state::trace::Token {
        let mut t = self.trace.borrow_mut();
        let t = t.as_mut()?;
        Some((t.enter(op, detail()), std::time::Instant::now()))
    }

    /// Reports an operator's estimate.
    pub fn op_estimate(&self, tok: &crate::sql::state::trace::Token, rows: f64, cost: f64) {
        if let (Some((id, _)), Some(t)) = (tok, self.trace.borrow_mut().as_mut()) {
            t.estimate(*id, rows, cost);
        }
    }

    /// Reports an operator ending with `rows` output rows.
    pub fn op_end(&self, tok: crate::sql::state::trace::Token, rows: usize) {
        if let (Some((id, since)), Some(t)) = (tok, self.trace.borrow_mut().as_mut()) {
            t.leave(id, rows, since);
        }
    }

    /// Notes that a view's query starts running; returns the nesting depth.
    pub fn enter_view(&self) -> usize {
        self.view_depth.set(self.view_depth.get() + 1);
        self.view_depth.get()
    }

    /// Notes that a view's query finished.
    pub fn leave_view(&self) {
        self.view_depth.set(self.view_depth.get().saturating_sub(1));
    }

    /// Makes a CTE visible under `name`; returns the mark `pop_ctes` takes.
    pub fn push_cte(&self, name: &str, rows: CteRows) -> usize {
        let mut c = self.ctes.borrow_mut();
        c.push((name.to_string(), Rc::new(rows)));
        self.cte_gen.set(self.cte_gen.get() + 1);
        c.len() - 1
    }

    /// The value of parameter `i` (0-based).
    pub fn param(&self, i: usize) -> Result<Value> {
        self.params
            .get(i)
            .cloned()
            .ok_or_else(|| Error::invalid(format!("parameter ${} has no value", i + 1)))
    }

    /// How many CTEs are in scope (a mark for `pop_ctes`).
    pub fn cte_mark(&self) -> usize {
        self.ctes.borrow().len()
    }

    /// Removes the CTEs pushed since `mark`.
    pub fn pop_ctes(&self, mark: usize) {
        self.ctes.borrow_mut().truncate(mark);
        self.cte_gen.set(self.cte_gen.get() + 1);
    }

    /// What this statement learned about the subquery at address `query`
    /// with the CTEs now in scope: `None` if it has not run yet, else
    /// `Some(result)` (`Some(None)`: correlated, run it per outer row).
    pub fn subquery_result(&self, query: usize) -> Option<SubqueryResult> {
        let key = (query, self.cte_gen.get());
        self.subqueries.borrow().get(&key).cloned()
    }

    /// Records what `subquery_result` returns for `query` from now on.
    pub fn keep_subquery_result(&self, query: usize, result: SubqueryResult) {
        let key = (query, self.cte_gen.get());
        self.subqueries.borrow_mut().insert(key, result);
    }

    /// The innermost CTE named `name`, if any.
    pub fn cte(&self, name: &str) -> Option<Rc<CteRows>> {
        self.ctes
            .borrow()
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, r)| r.clone())
    }

    /// Forgets loaded tables, schemas and subquery results (after a write
    /// in the same statement batch).
    pub fn invalidate(&self) {
        self.tables.borrow_mut().clear();
        self.read_once.borrow_mut().clear();
        self.schemas.borrow_mut().clear();
        self.subqueries.borrow_mut().clear();
    }

    /// A schema this statement already read (`Some(None)`: no such table).
    pub fn schema_cached(&self, name: &str) -> Option<Option<Arc<Table>>> {
        self.schemas.borrow().get(name).cloned()
    }

    /// Remembers a schema read for the rest of the statement.
    pub fn cache_schema(&self, name: &str, t: Option<Arc<Table>>) {
        self.schemas.borrow_mut().insert(name.to_string(), t);
    }
}

/// A transaction's buffered write: key and value (`None`: deleted).
type OwnEntry<'x> = (&'x [u8], Option<&'x [u8]>);

/// Merges database rows with a transaction's own writes (both in scan
/// order), dropping deleted keys, up to `limit` rows. `None` when the
/// database rows ran out before the limit was reached but more exist.
fn merge<'x>(
    base: &[(&'x [u8], &'x [u8])],
    mut own: impl Iterator<Item = OwnEntry<'x>>,
    reverse: bool,
    limit: Option<usize>,
    exhausted: bool,
) -> Option<Vec<(&'x [u8], &'x [u8])>> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut next_own = own.next();
    let first = |a: &[u8], b: &[u8]| {
        if reverse {
            a.cmp(b).reverse()
        } else {
            a.cmp(b)
        }
    };
    loop {
        if limit.is_some_and(|l| out.len() >= l) {
            return Some(out);
        }
        let (key, value, from_own) = match (base.get(i), next_own) {
            (Some(&(bk, bv)), Some((ok, ov))) => match first(bk, ok) {
                Ordering::Less => (bk, Some(bv), false),
                Ordering::Equal => {
                    i += 1; // the transaction's write replaces the row
                    (ok, ov, true)
                }
                Ordering::Greater => (ok, ov, true),
            },
            (Some(&(bk, bv)), None) => (bk, Some(bv), false),
            (None, Some((ok, ov))) => {
                if !exhausted {
                    return None; // rows beyond the fetched ones may come first
                }
                (ok, ov, true)
            }
            (None, None) => {
                return if exhausted || limit.is_none() {
                    Some(out)
                } else {
                    None
                };
            }
        };
        if from_own {
            next_own = own.next();
        } else {
            i += 1;
        }
        if let Some(v) = value {
            out.push((key, v));
        }
    }
}
