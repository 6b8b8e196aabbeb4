//! Sessions: statements run one after another, each in autocommit mode or
//! inside an explicit transaction (BEGIN … COMMIT, SAVEPOINT … RELEASE).
//!
//! Every statement reads a snapshot and buffers its writes; the commit sends
//! them to the commit thread with a conflict check, so they land atomically
//! under one system time or not at all. An autocommit statement that meets a
//! conflict is re-run on a fresh snapshot (bounded); an explicit transaction's
//! conflict reaches the caller as `TDB_CONFLICT`, who retries it.

use crate::engine::db::{Database, ReadAt};
use crate::error::{Error, ErrorCode, Result};
use crate::sql::catalog::ctx::Ctx;
use crate::sql::datum::value::Value;
use crate::sql::dml::statement::{execute, SqlResult};
use crate::sql::state::txn::TxState;
use crate::sql::syntax::ast::Statement;
use std::cell::RefCell;
use std::sync::{Arc, Mutex};

/// How many times an autocommit statement is re-run after a conflict.
const AUTOCOMMIT_RETRIES: u32 = 32;

/// Statements parsed once, run many times with different parameters.
#[derive(Clone, Debug)]
pub struct Prepared {
    statements: Vec<(Statement, String)>,
    /// Estimated nesting depth: deep statements run on a big stack.
    depth: usize,
    source: String,
    /// Set when the text may compile to a primary-key point read.
    shape: Option<crate::sql::dml::point::Shape>,
    /// The compiled point read, for one folder and schema generation.
    plan: Arc<Mutex<Option<Arc<crate::sql::dml::point::Plan>>>>,
}

impl Prepared {
    /// Parses SQL text (one or more `;`-separated statements).
    pub fn new(text: &str) -> Result<Prepared> {
        let (statements, depth) = crate::sql::syntax::parse::parse_with_depth(text)?;
        let shape = match statements.as_slice() {
            [(s, _)] => crate::sql::dml::point::Shape::of(s),
            _ => None,
        };
        Ok(Prepared {
            statements,
            depth,
            source: text.to_string(),
            shape,
            plan: Arc::default(),
        })
    }

    /// The parsed statements with their texts.
    pub(crate) fn statements(&self) -> &[(Statement, String)] {
        &self.statements
    }

    /// The estimated nesting depth (deep statements run on a big stack).
    pub(crate) fn depth(&self) -> usize {
        self.depth
    }

    /// The SQL text.
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// True when the statement holds a compiled primary-key read (see
    /// `sql::point`); it is used only for reads of now from memory.
    pub fn has_point_plan(&self) -> bool {
        self.plan().is_some()
    }

    fn plan(&self) -> std::sync::MutexGuard<'_, Option<Arc<crate::sql::dml::point::Plan>>> {
        self.plan.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The compiled point read for `db`'s folder, if one was built.
    fn plan_for(&self, db: &Database) -> Option<Arc<crate::sql::dml::point::Plan>> {
        let plan = self.plan().clone()?;
        let cache = crate::sql::catalog::meta_cache::MetaCache::of(db)?;
        (plan.cache_id == cache.id).then_some(plan)
    }

    /// Compiles the point read from a normal run's answer, unless a plan
    /// for the same folder and generation exists.
    fn learn(&self, ctx: &Ctx, answer: &SqlResult) -> Result<()> {
        let Some(shape) = &self.shape else {
            return Ok(());
        };
        let Some((cache, generation)) = ctx.shared_generation() else {
            return Ok(());
        };
        if self
            .plan()
            .as_ref()
            .is_some_and(|p| p.cache_id == cache.id && p.generation == generation)
        {
            return Ok(());
        }
        let Some(table) = crate::sql::catalog::tables::find(ctx, shape.table())? else {
            return Ok(());
        };
        if let Some(plan) = shape.compile(table, answer, cache.id, generation) {
            *self.plan() = Some(Arc::new(plan));
        }
        Ok(())
    }

    /// True when a synchronous, memory-only attempt is worth making: one
    /// single-table query with no CTE, subquery or join (so its work is
    /// bounded by the rows it reads). A table read at another time (`AS OF`)
    /// qualifies; one that needs fact histories (period ranges, hidden
    /// period columns) declines when it gets there.
    pub fn sync_candidate(&self) -> bool {
        if self.depth > crate::sql::syntax::limits::SHALLOW {
            return false;
        }
        let [(Statement::Query(q), _)] = self.statements.as_slice() else {
            return false;
        };
        if !q.with.is_empty() {
            return false;
        }
        let crate::sql::syntax::ast::Body::Select(sel) = &q.body else {
            return false;
        };
        let [crate::sql::syntax::ast::From::Table(..)] = sel.from.as_slice() else {
            return false;
        };
        let simple =
            |e: &crate::sql::syntax::ast::Expr| !crate::sql::exec::subquery::has_subquery(e);
        sel.items.iter().all(|it| match it {
            crate::sql::syntax::ast::SelectItem::Expr(e, _) => simple(e),
            _ => true,
        }) && sel.filter.as_ref().is_none_or(simple)
            && sel.having.as_ref().is_none_or(simple)
            && sel.group_by.iter().all(simple)
            && q.order_by.iter().all(|o| simple(&o.expr))
    }

    /// True when the text holds only queries (no writes, no DDL).
    pub fn read_only(&self) -> bool {
        self.statements
            .iter()
            .all(|(s, _)| matches!(s, Statement::Query(_)))
    }
}

/// Point reads plus scanned rows a synchronous attempt may make before
/// giving up: it bounds the work done on the JS thread. At the ~2 µs per
/// read (cached table blocks) measured on the 2-core development machine
/// that is about 0.5 ms at most — a 100-row indexed range (100 index
/// entries, 100 row reads) fits; larger reads run on an engine thread.
const SYNC_BUDGET: usize = 256;

/// A connection-like sequence of statements with at most one open
/// transaction.
#[derive(Default)]
pub struct Session {
    tx: Option<RefCell<TxState>>,
    /// Read times set by `SET SYSTEM_TIME` / `SET VALID_TIME`, used where
    /// the caller gave none.
    defaults: ReadAt,
    /// `SET statement_timeout`: `Some(0)` none, `None` the database's option.
    timeout_ms: Option<u64>,
}

/// A transaction state reading the database as it is now.
pub(crate) fn fresh(db: &Database) -> Result<TxState> {
    let (t, v) = db.resolve(&ReadAt::default())?;
    Ok(TxState::new(t, v))
}

fn no_tx(what: &str) -> Error {
    Error::invalid(format!("cannot {what}: no transaction is active"))
}

impl Session {
    /// A session in autocommit mode.
    pub fn new() -> Self {
        Session::default()
    }

    /// True while a transaction is open.
    pub fn in_transaction(&self) -> bool {
        self.tx.is_some()
    }

    /// Parses and runs `text`; returns the last statement's result.
    pub fn run(
        &mut self,
        db: &Database,
        text: &str,
        params: &[Value],
        at: ReadAt,
    ) -> Result<SqlResult> {
        self.run_prepared(db, &Prepared::new(text)?, params, at)
    }

    /// Runs prepared statements; returns the last one's result.
    pub fn run_prepared(
        &mut self,
        db: &Database,
        p: &Prepared,
        params: &[Value],
        at: ReadAt,
    ) -> Result<SqlResult> {
        self.run_prepared_cancellable(db, p, params, at, None)
    }

    /// `run_prepared` that stops with `TDB_LIMIT` once `cancel` is set (or
    /// a statement runs past the statement timeout).
    pub fn run_prepared_cancellable(
        &mut self,
        db: &Database,
        p: &Prepared,
        params: &[Value],
        at: ReadAt,
        cancel: Option<Arc<std::sync::atomic::AtomicBool>>,
    ) -> Result<SqlResult> {
        crate::sql::syntax::limits::with_stack_for(p.depth, || {
            let mut last = SqlResult::default();
            for (s, text) in &p.statements {
                let control =
                    crate::sql::func::control::Control::new(self.timeout(db), cancel.clone())
                        .with_memory(db.statement_memory())
                        .with_max_length(Some(db.max_length()));
                last = crate::sql::func::control::with_control(control, || {
                    crate::sql::func::control::check()?;
                    self.execute(db, s, text, params, at)
                })
                .map_err(|e| crate::sql::syntax::hint::locate(e, &p.source))?;
            }
            Ok(last)
        })
    }

    /// The statement timeout in force: the session's, else the database's.
    fn timeout(&self, db: &Database) -> Option<std::time::Duration> {
        match self.timeout_ms {
            Some(0) => None,
            Some(ms) => Some(std::time::Duration::from_millis(ms)),
            None => db.statement_timeout(),
        }
    }

    /// Runs a `sync_candidate` statement from memory only, outside any
    /// transaction: `Ok(None)` when it would need disk or more than
    /// `SYNC_BUDGET` reads — run it normally (on an engine thread) then.
    pub fn run_cached(
        db: &Database,
        p: &Prepared,
        params: &[Value],
        at: ReadAt,
    ) -> Result<Option<SqlResult>> {
        if !p.sync_candidate() {
            return Ok(None);
        }
        let [(s, text)] = p.statements.as_slice() else {
            return Ok(None);
        };
        let now = at == ReadAt::default();
        if now {
            if let Some(plan) = p.plan_for(db) {
                if let Some(r) = plan.run(db, params)? {
                    return Ok(Some(r));
                }
            }
        }
        let tx = RefCell::new(fresh(db)?);
        let ctx = Ctx::new(db, at, params, &tx).cache_only(SYNC_BUDGET);
        match execute(&ctx, s, text) {
            Ok(r) => {
                if now {
                    // Only an optimisation: a plan that cannot be built is
                    // simply not used.
                    p.learn(&ctx, &r).ok();
                }
                Ok(Some(r))
            }
            Err(e) if e.code == ErrorCode::WouldBlock => Ok(None),
            Err(e) => Err(crate::sql::syntax::hint::locate(e, &p.source)),
        }
    }

    /// Runs one prepared statement inside the open transaction from memory
    /// only (its writes are buffered until COMMIT anyway): `Ok(None)` when
    /// there is no transaction, the statement is transaction control or
    /// EXPLAIN, or it would need disk or more than `SYNC_BUDGET` reads — then
    /// nothing it did is kept, and it should run normally.
    pub fn run_cached_in_tx(
        &mut self,
        db: &Database,
        p: &Prepared,
        params: &[Value],
    ) -> Result<Option<SqlResult>> {
        let Some(tx) = &self.tx else {
            return Ok(None);
        };
        let [(s, text)] = p.statements.as_slice() else {
            return Ok(None);
        };
        match s {
            Statement::Query(_) if !p.sync_candidate() => return Ok(None),
            Statement::Begin
            | Statement::Commit
            | Statement::Rollback
            | Statement::Savepoint(_)
            | Statement::Release(_)
            | Statement::RollbackTo(_)
            | Statement::Explain { .. }
            | Statement::Analyze(_) => return Ok(None),
            _ => {}
        }
        let mark = tx.borrow().mark();
        let ctx = Ctx::new(db, ReadAt::default(), params, tx).cache_only(SYNC_BUDGET);
        let res = execute(&ctx, s, text);
        drop(ctx);
        match res {
            Ok(r) => Ok(Some(r)),
            Err(e) => {
                // A statement that fails, or gives up, leaves no trace.
                tx.borrow_mut().rollback_to_mark(mark);
                if e.code == ErrorCode::WouldBlock {
                    Ok(None)
                } else {
                    Err(crate::sql::syntax::hint::locate(e, &p.source))
                }
            }
        }
    }

    /// `SET SYSTEM_TIME …` / `SET VALID_TIME …`: the default read time of
    /// the session's later statements.
    fn set_time(
        &mut self,
        db: &Database,
        system: bool,
        value: Option<&crate::sql::syntax::ast::TimeSpec>,
        params: &[Value],
    ) -> Result<()> {
        use crate::sql::exec::temporal::{system_sel, valid_sel, Sel};
        let tx = RefCell::new(fresh(db)?);
        let ctx = Ctx::new(db, ReadAt::default(), params, &tx);
        let (now_t, now_v) = (tx.borrow().snapshot, tx.borrow().valid_at);
        if system {
            self.defaults.as_of = None;
            self.defaults.epoch = None;
            if let Some(v) = value {
                if let Sel::At(t) = system_sel(&ctx, Some(v), now_t)? {
                    self.defaults.as_of = Some(t);
                }
            }
        } else {
            self.defaults.valid_at = None;
            if let Some(v) = value {
                if let Sel::At(t) = valid_sel(&ctx, Some(v), now_v)? {
                    self.defaults.valid_at = Some(t);
                }
            }
        }
        Ok(())
    }

    /// Starts a transaction (`BEGIN`).
    pub fn begin(&mut self, db: &Database) -> Result<()> {
        if self.tx.is_some() {
            return Err(Error::invalid(
                "cannot start a transaction within a transaction",
            ));
        }
        self.tx = Some(RefCell::new(fresh(db)?));
        Ok(())
    }

    /// Commits the open transaction; its writes share one system time.
    pub fn commit(&mut self, db: &Database) -> Result<SqlResult> {
        let tx = self.tx.take().ok_or_else(|| no_tx("commit"))?.into_inner();
        if tx.is_empty() {
            return Ok(SqlResult::default());
        }
        let (ops, check) = tx.into_commit();
        let sys = db.write_checked(ops, check)?;
        Ok(SqlResult {
            system_time: Some(sys),
            ..Default::default()
        })
    }

    /// Abandons the open transaction (if any) and its writes.
    pub fn rollback(&mut self) {
        self.tx = None;
    }

    /// Runs one statement.
    pub fn execute(
        &mut self,
        db: &Database,
        s: &Statement,
        text: &str,
        params: &[Value],
        at: ReadAt,
    ) -> Result<SqlResult> {
        let at = ReadAt {
            as_of: at.as_of.or(self.defaults.as_of),
            epoch: at.epoch.or(self.defaults.epoch),
            valid_at: at.valid_at.or(self.defaults.valid_at),
        };
        match s {
            Statement::SetTime { system, value } => {
                self.set_time(db, *system, value.as_ref(), params)?;
                return Ok(SqlResult::default());
            }
            Statement::SetTimeout(ms) => {
                self.timeout_ms = *ms;
                return Ok(SqlResult::default());
            }
            Statement::CheckDatabase => {
                let r = db.check(&mut |_, _| {})?;
                let mut rows: Vec<Vec<Value>> = r
                    .problems
                    .iter()
                    .map(|p| vec![Value::Text(p.clone())])
                    .collect();
                if rows.is_empty() {
                    rows.push(vec![Value::Text("ok".into())]);
                }
                return Ok(SqlResult {
                    columns: vec!["check".into()],
                    rows,
                    types: vec![""],
                    ..Default::default()
                });
            }
            Statement::Backup { .. }
            | Statement::Restore(_)
            | Statement::VerifyBackup(_)
            | Statement::AdvanceEpoch => {
                if self.tx.is_some() {
                    return Err(Error::invalid(
                        "BACKUP / RESTORE / VERIFY BACKUP / ADVANCE EPOCH cannot run inside a \
                         transaction",
                    ));
                }
                if let Statement::AdvanceEpoch = s {
                    let (epoch, sys) = db.advance_epoch()?;
                    return Ok(SqlResult {
                        columns: vec!["epoch".into()],
                        rows: vec![vec![Value::Int(epoch as i64)]],
                        types: vec![""],
                        system_time: Some(sys),
                        ..Default::default()
                    });
                }
                let tx = RefCell::new(fresh(db)?);
                let ctx = Ctx::new(db, ReadAt::default(), params, &tx);
                return match s {
                    Statement::Backup { path, since } => {
                        crate::sql::dml::restore::backup(&ctx, path, since.as_ref())
                    }
                    Statement::Restore(path) => crate::sql::dml::restore::restore(&ctx, path),
                    Statement::VerifyBackup(path) => crate::sql::dml::restore::verify(&ctx, path),
                    _ => Err(Error::internal("backup statement mismatch")),
                };
            }
            Statement::Begin => {
                self.begin(db)?;
                return Ok(SqlResult::default());
            }
            Statement::Commit => return self.commit(db),
            Statement::Rollback => {
                if self.tx.take().is_none() {
                    return Err(no_tx("roll back"));
                }
                return Ok(SqlResult::default());
            }
            Statement::Savepoint(name) => {
                if self.tx.is_none() {
                    self.begin(db)?;
                    if let Some(tx) = &self.tx {
                        tx.borrow_mut().by_savepoint = true;
                    }
                }
                if let Some(tx) = &self.tx {
                    tx.borrow_mut().savepoint(name);
                }
                return Ok(SqlResult::default());
            }
            Statement::Release(name) => {
                let tx = self.tx.as_ref().ok_or_else(|| no_tx("release"))?;
                let outermost = tx
                    .borrow_mut()
                    .release(name)
                    .ok_or_else(|| Error::invalid(format!("no such savepoint: {name}")))?;
                if outermost && tx.borrow().by_savepoint {
                    return self.commit(db);
                }
                return Ok(SqlResult::default());
            }
            Statement::RollbackTo(name) => {
                let tx = self.tx.as_ref().ok_or_else(|| no_tx("roll back"))?;
                if !tx.borrow_mut().rollback_to(name) {
                    return Err(Error::invalid(format!("no such savepoint: {name}")));
                }
                return Ok(SqlResult::default());
            }
            _ => {}
        }
        if let Some(tx) = &self.tx {
            let mark = tx.borrow().mark();
            let res = execute(&Ctx::new(db, at, params, tx), s, text);
            if res.is_err() {
                // A failed statement leaves no trace; the transaction goes on.
                tx.borrow_mut().rollback_to_mark(mark);
            }
            return res;
        }
        let mut attempt = 0;
        loop {
            let tx = RefCell::new(fresh(db)?);
            let mut r = execute(&Ctx::new(db, at, params, &tx), s, text)?;
            let tx = tx.into_inner();
            if tx.is_empty() {
                return Ok(r);
            }
            let (ops, check) = tx.into_commit();
            match db.write_checked(ops, check) {
                Ok(sys) => {
                    r.system_time = Some(sys);
                    return Ok(r);
                }
                Err(e) if e.code == ErrorCode::Conflict && attempt < AUTOCOMMIT_RETRIES => {
                    attempt += 1;
                    std::thread::sleep(std::time::Duration::from_micros(50 << attempt.min(6)));
                }
                Err(e) => return Err(e),
            }
        }
    }
}
