//! Views: named queries kept as catalog facts, `RESERVED | 'v' | enc(name)`
//! → `CREATE VIEW` text. A reference to a view runs its query as a derived
//! table at the statement's read time, so a query `asOf` an earlier time sees
//! the view as it was defined then (and the tables as they were). Views are
//! read-only. Tables and views share one namespace.

use crate::engine::commit::WriteOp;
use crate::error::{Error, ErrorCode, Result};
use crate::sql::catalog::ctx::Ctx;
use crate::sql::catalog::tables::{self, RESERVED};
use crate::sql::syntax::ast::{Body, From, Query, Statement};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// A view definition.
#[derive(Debug)]
pub struct View {
    /// Name.
    pub name: String,
    /// Declared column names (empty: the query's own).
    pub columns: Vec<String>,
    /// The defining query.
    pub query: Query,
}

/// The catalog key of a view.
pub fn view_key(name: &str) -> Vec<u8> {
    let mut k = RESERVED.to_vec();
    k.push(b'v');
    crate::ledger::keys::encode_into(&mut k, name.as_bytes());
    k
}

fn cache() -> &'static Mutex<HashMap<Vec<u8>, Arc<View>>> {
    static C: OnceLock<Mutex<HashMap<Vec<u8>, Arc<View>>>> = OnceLock::new();
    C.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The view named `name` as the statement sees the catalog, if any.
pub fn lookup(ctx: &Ctx, name: &str) -> Result<Option<Arc<View>>> {
    let Some(value) = ctx.get_meta(&view_key(name))? else {
        return Ok(None);
    };
    if let Some(v) = cache()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&value)
    {
        return Ok(Some(v.clone()));
    }
    let text = std::str::from_utf8(&value).map_err(|_| Error::corrupt("malformed view entry"))?;
    let parsed = crate::sql::syntax::parse::parse(text)?;
    let Some(Statement::CreateView {
        name,
        columns,
        query,
        ..
    }) = parsed.into_iter().next()
    else {
        return Err(Error::corrupt("malformed view entry"));
    };
    let v = Arc::new(View {
        name,
        columns,
        query: *query,
    });
    cache()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(value, v.clone());
    Ok(Some(v))
}

/// CREATE [OR REPLACE] VIEW [IF NOT EXISTS]: the catalog write, or `None`
/// when the view exists and IF NOT EXISTS says to do nothing.
pub fn create(ctx: &Ctx, s: &Statement, text: &str) -> Result<Option<Vec<WriteOp>>> {
    let Statement::CreateView {
        name,
        query,
        if_not_exists,
        or_replace,
        ..
    } = s
    else {
        return Err(Error::internal(
            "view::create called with another statement",
        ));
    };
    if tables::exists(ctx, name)? {
        return Err(Error::new(
            ErrorCode::Constraint,
            format!("a table named {name} already exists"),
        ));
    }
    if lookup(ctx, name)?.is_some() && !*or_replace {
        if *if_not_exists {
            return Ok(None);
        }
        return Err(Error::new(
            ErrorCode::Constraint,
            format!("view {name} already exists"),
        ));
    }
    // Every table the query reads from directly must exist now (columns are
    // checked when the view is used).
    let mut names = Vec::new();
    body_tables(&query.body, &mut names);
    for t in names {
        let is_cte = query.with.iter().any(|c| c.name == t);
        if !is_cte && t != *name && !tables::exists(ctx, &t)? && lookup(ctx, &t)?.is_none() {
            return Err(Error::new(
                ErrorCode::NoTable,
                format!("no such table: {t} (in view {name})"),
            ));
        }
    }
    Ok(Some(vec![WriteOp::put(
        view_key(name),
        text.as_bytes().to_vec(),
    )]))
}

/// DROP VIEW [IF EXISTS]: the catalog writes.
pub fn drop(ctx: &Ctx, names: &[String], if_exists: bool) -> Result<Vec<WriteOp>> {
    let mut ops = Vec::new();
    for n in names {
        if lookup(ctx, n)?.is_some() {
            ops.push(WriteOp::delete(view_key(n)));
            ops.push(WriteOp::delete(crate::sql::catalog::trigger::key(n)));
        } else if tables::exists(ctx, n)? {
            return Err(Error::new(
                ErrorCode::NoTable,
                format!("{n} is a table, not a view (use DROP TABLE)"),
            ));
        } else if !if_exists {
            return Err(Error::new(ErrorCode::NoTable, format!("no such view: {n}")));
        }
    }
    Ok(ops)
}

fn body_tables(b: &Body, out: &mut Vec<String>) {
    match b {
        Body::Select(s) => {
            for f in &s.from {
                from_tables(f, out);
            }
        }
        Body::Set(l, _, _, r) => {
            body_tables(l, out);
            body_tables(r, out);
        }
        Body::Query(q) => body_tables(&q.body, out),
        Body::Values(_) => {}
    }
}

fn from_tables(f: &From, out: &mut Vec<String>) {
    match f {
        From::Table(n, _, _) => out.push(n.clone()),
        From::Subquery(q, _) => body_tables(&q.body, out),
        From::Join(l, r, _, _) | From::JoinUsing(l, r, _, _) => {
            from_tables(l, out);
            from_tables(r, out);
        }
    }
}
