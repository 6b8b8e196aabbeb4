//! `Database::sql` and `Database::prepare`: the SQL entry points of the engine.

use super::dml::SqlResult;
use super::session::{Prepared, Session};
use super::value::Value;
use crate::engine::db::{Database, ReadAt};
use crate::error::{Error, Result};

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

    /// Every version of one row of `table`, the row named by its primary key
    /// values (or its row id for a table without a declared key): the
    /// table's columns plus `_system_from`, `_system_to`, `_valid_from`,
    /// `_valid_to`, ordered by system time, then valid time.
    pub fn row_history(&self, table: &str, key: &[Value]) -> Result<SqlResult> {
        let name = super::catalog::quote_ident(table);
        let t = {
            let (t, v) = self.resolve(&ReadAt::default())?;
            let tx = std::cell::RefCell::new(super::txn::TxState::new(t, v));
            let ctx = super::exec::Ctx::new(self, ReadAt::default(), &[], &tx);
            super::catalog::lookup(&ctx, table)?
        };
        let cols: Vec<String> = if t.pk.is_empty() {
            return Err(Error::new(
                crate::error::ErrorCode::NotSupported,
                format!(
                    "history of a row of {table}, which has no PRIMARY KEY \
                     (query {name} FOR SYSTEM_TIME ALL FOR VALID_TIME ALL instead)"
                ),
            ));
        } else {
            t.pk.iter().map(|&i| t.columns[i].name.clone()).collect()
        };
        if cols.len() != key.len() {
            return Err(Error::invalid(format!(
                "the primary key of {table} has {} column(s) ({}); {} value(s) given",
                cols.len(),
                cols.join(", "),
                key.len()
            )));
        }
        let cond: Vec<String> = cols
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{} = ${}", super::catalog::quote_ident(c), i + 1))
            .collect();
        let text = format!(
            "SELECT *, _system_from, _system_to, _valid_from, _valid_to FROM {name} \
             FOR SYSTEM_TIME ALL FOR VALID_TIME ALL WHERE {} \
             ORDER BY _system_from, _valid_from",
            cond.join(" AND ")
        );
        self.sql(&text, key)
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

    /// Runs prepared statements in a one-off session (like `sql_at`).
    pub fn run_prepared(&self, p: &Prepared, params: &[Value], at: ReadAt) -> Result<SqlResult> {
        let mut session = Session::new();
        let res = session.run_prepared(self, p, params, at);
        if session.in_transaction() {
            session.rollback();
            return res.and(Err(left_open()));
        }
        res
    }
}
