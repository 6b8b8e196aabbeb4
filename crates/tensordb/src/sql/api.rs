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
