//! `Database::sql`: the SQL entry point of the engine.

use super::dml::{execute, SqlResult};
use super::exec::Ctx;
use super::value::Value;
use crate::engine::db::{Database, ReadAt};
use crate::error::Result;

impl Database {
    /// Runs one or more `;`-separated SQL statements (each autocommitted as one
    /// atomic batch) and returns the last statement's result. Parameters are
    /// `$1, $2, …`. Reads see the database at `at` (default: now).
    pub fn sql(&self, text: &str, params: &[Value]) -> Result<SqlResult> {
        self.sql_at(text, params, ReadAt::default())
    }

    /// Like `sql`, reading at a given (system time, valid time).
    pub fn sql_at(&self, text: &str, params: &[Value], at: ReadAt) -> Result<SqlResult> {
        let statements = super::parse::parse_with_text(text)?;
        let mut last = SqlResult::default();
        for (s, own_text) in &statements {
            let ctx = Ctx::new(self, at, params);
            last = execute(&ctx, s, own_text)?;
        }
        Ok(last)
    }
}
