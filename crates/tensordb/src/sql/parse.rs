//! Parsing: sqlparser with the SQLite dialect, then translation into the
//! engine's AST. Syntax errors become `TDB_SYNTAX` with sqlparser's position.

use super::ast::Statement;
use crate::error::{Error, ErrorCode, Result};
use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::Parser;

/// Parses SQL text into statements.
pub fn parse(sql: &str) -> Result<Vec<Statement>> {
    Ok(parse_with_text(sql)?.into_iter().map(|(s, _)| s).collect())
}

/// Parses SQL text into statements, each with its own normalized SQL text
/// (what the catalog stores for CREATE TABLE).
pub fn parse_with_text(sql: &str) -> Result<Vec<(Statement, String)>> {
    let parsed = Parser::parse_sql(&SQLiteDialect {}, sql).map_err(|e| {
        Error::new(
            ErrorCode::Syntax,
            e.to_string()
                .trim_start_matches("sql parser error: ")
                .to_string(),
        )
    })?;
    parsed
        .iter()
        .map(|p| Ok((super::translate::statement(p)?, p.to_string())))
        .collect()
}
