//! Query results produced in chunks (`Database::stream`), so a large result
//! never has to exist whole: `db.iterate(sql)` in JS.
//!
//! A query that reads one table row by row — one table in FROM, no
//! aggregate, GROUP BY, DISTINCT, window, subquery, ORDER BY, LIMIT or CTE —
//! runs once per chunk over a window of its table's scan (`Ctx::set_window`:
//! the rows after the last storage key the previous chunk read, at most
//! `CHUNK_ROWS`), every chunk at one pinned snapshot, so the rows are those
//! of one consistent read and memory stays bounded by a chunk. Any other
//! query (and one whose plan reads its table by an index or by points) is
//! run whole at open and handed out from memory.

use crate::engine::db::{Database, ReadAt};
use crate::error::Result;
use crate::sql::catalog::ctx::{Ctx, Window};
use crate::sql::datum::value::Value;
use crate::sql::dml::statement::{execute, SqlResult};
use crate::sql::session::Prepared;
use crate::sql::state::txn::TxState;
use crate::sql::syntax::ast::{Body, Expr, From as FromItem, SelectItem, Statement};
use std::cell::RefCell;
use std::collections::VecDeque;

/// Storage rows one chunk reads at most.
pub const CHUNK_ROWS: usize = 4096;

/// Rows of a query, handed out as they are produced.
pub struct RowStream {
    columns: Vec<String>,
    types: Vec<&'static str>,
    ready: VecDeque<Vec<Value>>,
    next: Option<Chunks>,
}

/// What the next chunk of a windowed query needs.
struct Chunks {
    prepared: Prepared,
    params: Vec<Value>,
    /// The read point every chunk uses: a pinned snapshot.
    at: ReadAt,
    snapshot: (u64, i64),
    table: String,
    after: Option<Vec<u8>>,
    /// Storage rows per chunk.
    rows: usize,
}

/// True when `e` is computed from one row alone: no aggregate, window
/// function or subquery.
fn row_by_row(e: &Expr) -> bool {
    match e {
        Expr::Lit(_) | Expr::Param(_) | Expr::Column(..) => true,
        Expr::Unary(_, a) | Expr::IsNull(a, _) | Expr::Cast(a, _) => row_by_row(a),
        Expr::Binary(a, _, b) => row_by_row(a) && row_by_row(b),
        Expr::Between(a, b, c, _) => row_by_row(a) && row_by_row(b) && row_by_row(c),
        Expr::InList(a, l, _) => row_by_row(a) && l.iter().all(row_by_row),
        Expr::Case(o, w, e) => {
            o.as_deref().is_none_or(row_by_row)
                && w.iter().all(|(a, b)| row_by_row(a) && row_by_row(b))
                && e.as_deref().is_none_or(row_by_row)
        }
        Expr::Func { name, args, .. } => {
            !crate::sql::func::aggregate::is_aggregate(name, args.len())
                && args.iter().all(row_by_row)
        }
        Expr::InQuery(..) | Expr::Exists(..) | Expr::Scalar(_) | Expr::Window(..) => false,
    }
}

/// The table a query streams over, when it reads one table row by row.
fn streamed_table(p: &Prepared) -> Option<(String, &Statement, &str)> {
    let [(s, text)] = p.statements() else {
        return None;
    };
    let Statement::Query(q) = s else {
        return None;
    };
    if !q.with.is_empty() || !q.order_by.is_empty() || q.limit.is_some() || q.offset.is_some() {
        return None;
    }
    let Body::Select(sel) = &q.body else {
        return None;
    };
    let [FromItem::Table(name, _, None)] = sel.from.as_slice() else {
        return None;
    };
    let items = sel.items.iter().all(|i| match i {
        SelectItem::Expr(e, _) => row_by_row(e),
        SelectItem::Star | SelectItem::TableStar(_) => true,
    });
    (items
        && !sel.distinct
        && sel.group_by.is_empty()
        && sel.having.is_none()
        && sel.filter.as_ref().is_none_or(row_by_row))
    .then(|| (name.clone(), s, text.as_str()))
}

/// Runs `f` under the database's statement controls (timeout, memory,
/// maximum length) on a stack deep enough for `p`.
fn controlled<T: Send>(
    db: &Database,
    p: &Prepared,
    f: impl FnOnce() -> Result<T> + Send,
) -> Result<T> {
    crate::sql::syntax::limits::with_stack_for(p.depth(), || {
        let control = crate::sql::func::control::Control::new(db.statement_timeout(), None)
            .with_memory(db.statement_memory())
            .with_max_length(Some(db.max_length()));
        crate::sql::func::control::with_control(control, || {
            crate::sql::func::control::check()?;
            f()
        })
        .map_err(|e| crate::sql::syntax::hint::locate(e, p.source()))
    })
}

impl Chunks {
    /// Runs the query over the next window; `None` when the table's scan
    /// took no window (the answer is then complete).
    fn run(
        &self,
        db: &Database,
    ) -> Result<(SqlResult, Option<crate::sql::catalog::ctx::WindowEnd>)> {
        let Some((_, s, text)) = streamed_table(&self.prepared) else {
            return Err(crate::error::Error::internal(
                "a streamed query lost its shape",
            ));
        };
        controlled(db, &self.prepared, || {
            let tx = RefCell::new(TxState::new(self.snapshot.0, self.snapshot.1));
            let ctx = Ctx::new(db, self.at, &self.params, &tx);
            ctx.set_window(Window {
                table: self.table.clone(),
                after: self.after.clone(),
                max: self.rows,
            });
            let r = execute(&ctx, s, text)?;
            Ok((r, ctx.window_end()))
        })
    }
}

impl RowStream {
    /// Result column names.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Result column types (as `SqlResult::types`).
    pub fn types(&self) -> &[&'static str] {
        &self.types
    }

    /// True when rows are ready to take without reading (or the stream is
    /// over): `take` then answers at once.
    pub fn is_ready(&self) -> bool {
        !self.ready.is_empty() || self.next.is_none()
    }

    /// Up to `max` ready rows (empty when the stream is over or none are
    /// ready: see `is_ready` and `fill`).
    pub fn take(&mut self, max: usize) -> Vec<Vec<Value>> {
        let n = max.max(1).min(self.ready.len());
        self.ready.drain(..n).collect()
    }

    /// Reads chunks until some rows are ready or the stream is over.
    pub fn fill(&mut self, db: &Database) -> Result<()> {
        while self.ready.is_empty() {
            let Some(next) = &mut self.next else {
                return Ok(());
            };
            let (r, end) = next.run(db)?;
            self.ready.extend(r.rows);
            match end {
                Some(e) if e.more => next.after = e.last,
                _ => self.next = None,
            }
        }
        Ok(())
    }

    /// Up to `max` rows, reading as needed; empty when the stream is over.
    pub fn next_rows(&mut self, db: &Database, max: usize) -> Result<Vec<Vec<Value>>> {
        self.fill(db)?;
        Ok(self.take(max))
    }
}

impl From<SqlResult> for RowStream {
    /// A result computed whole, handed out as a stream.
    fn from(r: SqlResult) -> Self {
        RowStream {
            columns: r.columns,
            types: r.types,
            ready: r.rows.into(),
            next: None,
        }
    }
}

impl Database {
    /// Runs a prepared query as a stream of rows: one that reads a single
    /// table row by row is produced a chunk at a time at one snapshot (see
    /// the module documentation); any other statement runs whole now.
    pub fn stream(&self, p: &Prepared, params: &[Value], at: ReadAt) -> Result<RowStream> {
        self.stream_chunked(p, params, at, CHUNK_ROWS)
    }

    /// `stream` reading at most `rows` storage rows per chunk (tests use
    /// tiny chunks to cross many chunk boundaries).
    pub fn stream_chunked(
        &self,
        p: &Prepared,
        params: &[Value],
        at: ReadAt,
        rows: usize,
    ) -> Result<RowStream> {
        let Some((table, ..)) = streamed_table(p) else {
            return Ok(self.run_prepared(p, params, at)?.into());
        };
        // Pin the read point: every chunk reads the same snapshot.
        let snapshot = self.resolve(&at)?;
        let historical = at.as_of.is_some() || at.epoch.is_some() || at.valid_at.is_some();
        let at = if historical {
            ReadAt {
                as_of: Some(snapshot.0),
                epoch: None,
                valid_at: Some(snapshot.1),
            }
        } else {
            ReadAt::default()
        };
        let chunks = Chunks {
            prepared: p.clone(),
            params: params.to_vec(),
            at,
            snapshot,
            table,
            after: None,
            rows: rows.max(1),
        };
        let (first, end) = chunks.run(self)?;
        Ok(RowStream {
            columns: first.columns,
            types: first.types,
            ready: first.rows.into(),
            next: end.filter(|e| e.more).map(|e| Chunks {
                after: e.last,
                ..chunks
            }),
        })
    }
}
