//! `Database::sql` and `Database::prepare`: the SQL entry points of the engine.

use super::session::{Prepared, Session};
use crate::engine::db::{Database, ReadAt};
use crate::error::{Error, Result};
use crate::sql::datum::value::Value;
use crate::sql::dml::statement::SqlResult;

fn left_open() -> Error {
    Error::invalid(
        "the SQL left a transaction open (BEGIN without COMMIT), so it was rolled back; \
         use a session (Session / db.transaction()) for transactions spanning calls",
    )
}

impl Database {
    /// Runs one or more `;`-separated SQL statements and returns the last
    /// statement's result. Each statement autocommits unless the text holds
    /// its own BEGIN … COMMIT. Parameters are `$1, $2, …` (or `?`).
    pub fn sql(&self, text: &str, params: &[Value]) -> Result<SqlResult> {
        self.sql_at(text, params, ReadAt::default())
    }

    /// Like `sql`, reading at a given (system time, valid time).
    pub fn sql_at(&self, text: &str, params: &[Value], at: ReadAt) -> Result<SqlResult> {
        self.run_prepared(&Prepared::new(text)?, params, at)
    }

    /// Every version of one row of `table` as it was recorded — one per
    /// write that gave the row values (deletes end versions, they are not
    /// listed) — the row named by its primary key values: the table's
    /// columns plus `_system_from` (when it was written), `_system_to`
    /// (when a later write replaced it for some of its valid period; NULL
    /// if none), `_valid_from`, `_valid_to` (the period it was written
    /// for), in the order written. The key's facts in the shape of rows,
    /// like the KV API's `history`; `FOR SYSTEM_TIME ALL FOR VALID_TIME ALL`
    /// instead splits them into exact bitemporal rectangles.
    pub fn row_history(&self, table: &str, key: &[Value]) -> Result<SqlResult> {
        use crate::sql::syntax::ast::{BinOp, Expr};
        let tx = std::cell::RefCell::new(super::session::fresh(self)?);
        let now_t = tx.borrow().snapshot;
        let ctx = crate::sql::catalog::ctx::Ctx::new(self, ReadAt::default(), key, &tx);
        let t = crate::sql::catalog::tables::lookup(&ctx, table)?;
        if t.pk.is_empty() {
            return Err(Error::new(
                crate::error::ErrorCode::NotSupported,
                format!(
                    "history of a row of {table}, which has no PRIMARY KEY (query it \
                     FOR SYSTEM_TIME ALL FOR VALID_TIME ALL instead)"
                ),
            ));
        }
        if t.pk.len() != key.len() {
            let names: Vec<&str> = t.pk.iter().map(|&i| t.columns[i].name.as_str()).collect();
            return Err(Error::invalid(format!(
                "the primary key of {table} has {} column(s) ({}); {} value(s) given",
                names.len(),
                names.join(", "),
                key.len()
            )));
        }
        // `pk1 = $1 AND …`, planned like any query, names the row's key.
        let conds: Vec<Expr> =
            t.pk.iter()
                .enumerate()
                .map(|(n, &i)| {
                    Expr::Binary(
                        Box::new(Expr::Column(None, t.columns[i].name.clone())),
                        BinOp::Eq,
                        Box::new(Expr::Param(n)),
                    )
                })
                .collect();
        let plan = crate::sql::plan::paths::choose(&ctx, &t, &t.name, &conds)?;
        let mut rows: Vec<(u64, i64, Vec<Value>)> = Vec::new();
        if let crate::sql::plan::paths::How::Point(k) = &plan.how {
            self.facts(k, true, now_t, |_, facts| {
                for (i, f) in facts.iter().enumerate() {
                    let Some(bytes) = &f.value else { continue };
                    // Replaced (for some of its period) by the first later
                    // fact whose valid period overlaps it.
                    let system_to = facts[i + 1..]
                        .iter()
                        .find(|g| g.valid_from < f.valid_to && f.valid_from < g.valid_to)
                        .map_or(crate::ledger::timeline::SYSTEM_END, |g| g.sys);
                    let v = crate::ledger::timeline::Version {
                        fact: i,
                        system_from: f.sys,
                        system_to,
                        valid_from: f.valid_from,
                        valid_to: f.valid_to,
                    };
                    let mut row = t.decode_with_room(bytes, 4)?;
                    row.extend(crate::sql::exec::temporal::period_values(&v));
                    rows.push((v.system_from, v.valid_from, row));
                }
                Ok(())
            })?;
        }
        rows.sort_by_key(|r| (r.0, r.1));
        let columns: Vec<String> = t
            .columns
            .iter()
            .map(|c| c.name.clone())
            .chain(
                crate::sql::syntax::names::HIDDEN
                    .iter()
                    .map(|h| h.to_string()),
            )
            .collect();
        let types = t
            .columns
            .iter()
            .map(|c| c.kind.name())
            .chain([""; 4])
            .collect();
        Ok(SqlResult {
            columns,
            rows: rows.into_iter().map(|r| r.2).collect(),
            types,
            ..Default::default()
        })
    }

    /// Changes of the rows of SQL table `table` after `after`, at most `max`,
    /// as a result whose rows are changes: `_op` ('put' / 'delete'),
    /// `_system_time`, `_seq`, `_valid_from`, `_valid_to` (NULL when open),
    /// `_has_old` (1 when the row had values before), then the table's
    /// columns for the new row (NULLs for a delete), then for the old row.
    /// Rows are decoded with the table's current schema. Also returns the
    /// position to continue from.
    pub fn table_changes(
        &self,
        table: &str,
        after: crate::engine::changes::Position,
        max: usize,
    ) -> Result<(SqlResult, crate::engine::changes::Position)> {
        let t = self.change_table(table)?;
        let batch = self.changes(after, &crate::sql::catalog::tables::rows_prefix(t.id), max)?;
        let rows = change_rows(&t, false, batch.changes.iter().map(|c| (None, c)))?;
        Ok((rows, batch.next))
    }

    /// `table_changes` for `member` of consumer group `group` (see
    /// `engine::groups`): the same columns plus a last meta column
    /// `_partition`, placed after `_has_old`.
    pub fn table_group_changes(
        &self,
        table: &str,
        group: &str,
        member: u64,
        max: usize,
    ) -> Result<SqlResult> {
        let t = self.change_table(table)?;
        let b = self.group_changes(
            group,
            member,
            &crate::sql::catalog::tables::rows_prefix(t.id),
            max,
        )?;
        change_rows(&t, true, b.changes.iter().map(|(p, c)| (Some(*p), c)))
    }

    fn change_table(
        &self,
        table: &str,
    ) -> Result<std::sync::Arc<crate::sql::catalog::tables::Table>> {
        let tx = std::cell::RefCell::new(super::session::fresh(self)?);
        let ctx = crate::sql::catalog::ctx::Ctx::new(self, ReadAt::default(), &[], &tx);
        crate::sql::catalog::tables::lookup(&ctx, table)
    }

    /// Every column of every table as it is now, one row each: `table`,
    /// `column`, `declared_type`, `affinity` (INTEGER, REAL, TEXT, BLOB or
    /// NUMERIC), `kind` (BOOLEAN, TIMESTAMP, DATE, JSON or ""), `not_null`,
    /// `primary_key` (position in the key, 0 when not part of it), in table
    /// name and column order. For tools such as `tensordb generate-types`.
    pub fn table_columns(&self) -> Result<SqlResult> {
        let tx = std::cell::RefCell::new(super::session::fresh(self)?);
        let ctx = crate::sql::catalog::ctx::Ctx::new(self, ReadAt::default(), &[], &tx);
        let mut names = crate::sql::catalog::tables::names(&ctx)?;
        names.sort();
        let mut rows = Vec::new();
        for name in names {
            let Some(t) = crate::sql::catalog::tables::find(&ctx, &name)? else {
                continue; // a view
            };
            for (i, c) in t.columns.iter().enumerate() {
                let pk = t.pk.iter().position(|&p| p == i).map_or(0, |p| p + 1);
                rows.push(vec![
                    Value::Text(t.name.clone()),
                    Value::Text(c.name.clone()),
                    Value::Text(c.decl_type.clone()),
                    Value::Text(c.affinity.name().to_string()),
                    Value::Text(c.kind.name().to_string()),
                    Value::Int(i64::from(c.not_null)),
                    Value::Int(pk as i64),
                ]);
            }
        }
        let columns = [
            "table",
            "column",
            "declared_type",
            "affinity",
            "kind",
            "not_null",
            "primary_key",
        ];
        Ok(SqlResult {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            types: vec![""; columns.len()],
            rows,
            ..Default::default()
        })
    }

    /// Parses SQL once for repeated execution with `run_prepared`.
    pub fn prepare(&self, text: &str) -> Result<Prepared> {
        Prepared::new(text)
    }

    /// Answers a prepared single-table query from memory without blocking:
    /// `Ok(None)` means it needs disk or more work (use `run_prepared`).
    pub fn run_prepared_cached(
        &self,
        p: &Prepared,
        params: &[Value],
        at: ReadAt,
    ) -> Result<Option<SqlResult>> {
        Session::run_cached(self, p, params, at)
    }

    /// Verifies the database and reports instead of failing: the manifest,
    /// every block checksum of every table file, the WAL, and that every
    /// SQL index agrees with its table. `progress(done, total)` is called
    /// with table bytes as the check goes.
    pub fn check(
        &self,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<crate::storage::store::CheckReport> {
        let mut report = self.check_storage(progress)?;
        if let Err(e) = super::check::check_indexes(self, &mut report) {
            report.problems.push(format!("indexes: {}", e.message));
        }
        Ok(report)
    }

    /// Runs prepared statements in a one-off session (like `sql_at`).
    pub fn run_prepared(&self, p: &Prepared, params: &[Value], at: ReadAt) -> Result<SqlResult> {
        self.run_prepared_cancellable(p, params, at, None)
    }

    /// `sql_at` that stops with `TDB_LIMIT` once `cancel` is set.
    pub fn sql_cancellable(
        &self,
        text: &str,
        params: &[Value],
        at: ReadAt,
        cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    ) -> Result<SqlResult> {
        self.run_prepared_cancellable(&Prepared::new(text)?, params, at, cancel)
    }

    /// `run_prepared` that stops with `TDB_LIMIT` once `cancel` is set.
    pub fn run_prepared_cancellable(
        &self,
        p: &Prepared,
        params: &[Value],
        at: ReadAt,
        cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    ) -> Result<SqlResult> {
        let mut session = Session::new();
        let res = session.run_prepared_cancellable(self, p, params, at, cancel);
        if session.in_transaction() {
            session.rollback();
            return res.and(Err(left_open()));
        }
        res
    }
}

/// Change rows of table `t` (see `Database::table_changes`); with
/// partitions, a `_partition` meta column follows `_has_old`.
fn change_rows<'c>(
    t: &crate::sql::catalog::tables::Table,
    grouped: bool,
    changes: impl Iterator<Item = (Option<u32>, &'c crate::engine::changes::Change)>,
) -> Result<SqlResult> {
    let changes: Vec<_> = changes.collect();
    let n = t.columns.len();
    let nulls = || vec![Value::Null; n];
    let mut rows = Vec::with_capacity(changes.len());
    for (part, c) in &changes {
        let put = c.kind == crate::ledger::fact::FactKind::Put;
        let mut row = vec![
            Value::Text(if put { "put" } else { "delete" }.into()),
            Value::Int(c.sys as i64),
            Value::Int(c.seq as i64),
            Value::Int(c.valid_from),
            if c.valid_to == crate::ledger::fact::VALID_END {
                Value::Null
            } else {
                Value::Int(c.valid_to)
            },
            Value::Int(c.old.is_some() as i64),
        ];
        if let Some(p) = part {
            row.push(Value::Int(i64::from(*p)));
        }
        row.extend(match &c.value {
            Some(v) => t.decode(v)?,
            None => nulls(),
        });
        row.extend(match &c.old {
            Some(v) => t.decode(v)?,
            None => nulls(),
        });
        rows.push(row);
    }
    let mut meta = vec![
        "_op",
        "_system_time",
        "_seq",
        "_valid_from",
        "_valid_to",
        "_has_old",
    ];
    if grouped {
        meta.push("_partition");
    }
    let names = t.columns.iter().map(|c| c.name.clone());
    let columns: Vec<String> = meta
        .iter()
        .map(|m| m.to_string())
        .chain(names.clone())
        .chain(names)
        .collect();
    let kinds = t.columns.iter().map(|c| c.kind.name());
    let types = vec![""; meta.len()]
        .into_iter()
        .chain(kinds.clone())
        .chain(kinds)
        .collect();
    Ok(SqlResult {
        columns,
        rows,
        types,
        ..Default::default()
    })
}
