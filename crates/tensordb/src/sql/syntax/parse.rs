//! Parsing: sqlparser with the SQLite dialect, then translation into the
//! engine's AST. Syntax errors become `TDB_SYNTAX` with sqlparser's position.

use crate::error::{Error, ErrorCode, Result};
use crate::sql::syntax::ast::Statement;
use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

/// A sqlparser error as `TDB_SYNTAX` (its position stays in the message).
pub fn syntax_error(e: sqlparser::parser::ParserError) -> Error {
    if matches!(e, sqlparser::parser::ParserError::RecursionLimitExceeded) {
        return crate::sql::syntax::limits::too_deep();
    }
    Error::new(
        ErrorCode::Syntax,
        e.to_string()
            .trim_start_matches("sql parser error: ")
            .to_string(),
    )
}

/// Parses SQL text into statements.
pub fn parse(sql: &str) -> Result<Vec<Statement>> {
    Ok(parse_with_text(sql)?.into_iter().map(|(s, _)| s).collect())
}

/// Parses SQL text into statements, each with its own normalized SQL text
/// (what the catalog stores for CREATE TABLE).
pub fn parse_with_text(sql: &str) -> Result<Vec<(Statement, String)>> {
    Ok(parse_with_depth(sql)?.0)
}

/// Like `parse_with_text`, also returning the statements' estimated
/// nesting depth. Deeply nested text is parsed on a big stack (see
/// `limits`).
pub fn parse_with_depth(sql: &str) -> Result<(Vec<(Statement, String)>, usize)> {
    let front = crate::sql::syntax::front::run(sql)?;
    let depth = front.depth;
    let parsed = crate::sql::syntax::limits::with_stack_for(depth, || parse_front(front))?;
    Ok((parsed, depth))
}

fn parse_front(front: crate::sql::syntax::front::Front) -> Result<Vec<(Statement, String)>> {
    let custom = front
        .pieces
        .iter()
        .any(|(_, p)| !matches!(p, crate::sql::syntax::front::Piece::Sql));
    // Custom statements are blanked too; sqlparser skips the empty ones.
    let mut text = front.text.clone();
    if custom {
        for (r, p) in &front.pieces {
            if !matches!(p, crate::sql::syntax::front::Piece::Sql) {
                let blank = crate::sql::syntax::front::blank(&text[r.clone()]);
                text.replace_range(r.clone(), &blank);
            }
        }
    }
    let parsed = Parser::new(&SQLiteDialect {})
        .with_recursion_limit(crate::sql::syntax::limits::PARSER_RECURSION)
        .try_with_sql(&text)
        .and_then(|mut p| p.parse_statements())
        .map_err(syntax_error)?;
    crate::sql::syntax::translate::with_lifted(front.lifted, front.hidden, front.qmarks, || {
        let mut parsed = parsed.iter();
        let mut out = Vec::new();
        for (r, piece) in &front.pieces {
            match piece {
                crate::sql::syntax::front::Piece::Sql => {
                    let Some(p) = parsed.next() else { break };
                    out.push((crate::sql::syntax::translate::statement(p)?, p.to_string()));
                }
                crate::sql::syntax::front::Piece::Admin(a) => out.push((
                    crate::sql::syntax::translate::admin(a)?,
                    front.source[r.clone()].trim().to_string(),
                )),
                crate::sql::syntax::front::Piece::SetTime(st) => out.push((
                    Statement::SetTime {
                        system: st.system,
                        value: st
                            .value
                            .as_ref()
                            .map(crate::sql::syntax::translate::time_spec)
                            .transpose()?,
                    },
                    front.source[r.clone()].trim().to_string(),
                )),
            }
        }
        for p in parsed {
            out.push((crate::sql::syntax::translate::statement(p)?, p.to_string()));
        }
        Ok(out)
    })
}

/// Rewrites SQL text (a CHECK expression) so every identifier `old` reads
/// `new`, working on sqlparser's tokens: string literals and other words
/// are left as they are.
pub fn rename_ident(text: &str, old: &str, new: &str) -> Result<String> {
    let mut out = String::with_capacity(text.len());
    for t in tokens(text)? {
        match &t {
            Token::Word(w) if word_is(w, old) => {
                out.push_str(&crate::sql::syntax::names::quote_ident(new))
            }
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
