//! Parsing: sqlparser with the SQLite dialect, then translation into the
//! engine's AST. Syntax errors become `TDB_SYNTAX` with sqlparser's position.

use super::ast::Statement;
use crate::error::{Error, ErrorCode, Result};
use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

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

/// Rewrites SQL text (a CHECK expression) so every identifier `old` reads
/// `new`, working on sqlparser's tokens: string literals and other words
/// are left as they are.
pub fn rename_ident(text: &str, old: &str, new: &str) -> Result<String> {
    let mut out = String::with_capacity(text.len());
    for t in tokens(text)? {
        match &t {
            Token::Word(w) if word_is(w, old) => out.push_str(&super::catalog::quote_ident(new)),
            other => out.push_str(&other.to_string()),
        }
    }
    Ok(out)
}

/// True when SQL text (a CHECK expression) names the identifier `name`.
pub fn mentions_ident(text: &str, name: &str) -> Result<bool> {
    Ok(tokens(text)?
        .iter()
        .any(|t| matches!(t, Token::Word(w) if word_is(w, name))))
}

fn word_is(w: &sqlparser::tokenizer::Word, name: &str) -> bool {
    if w.quote_style.is_some() {
        w.value == name
    } else {
        w.value.eq_ignore_ascii_case(name)
    }
}

fn tokens(text: &str) -> Result<Vec<Token>> {
    Tokenizer::new(&SQLiteDialect {}, text)
        .tokenize()
        .map_err(|e| Error::new(ErrorCode::Syntax, e.to_string()))
}
