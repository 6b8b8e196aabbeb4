//! Common table expressions: `WITH name AS (…)` is materialized once per
//! query and read like a table; `WITH RECURSIVE` iterates
//! `initial UNION [ALL] step` until the step yields no new rows.

use crate::error::{Error, ErrorCode, Result};
use crate::sql::catalog::ctx::Ctx;
use crate::sql::datum::value::Value;
use crate::sql::exec::query::{row_key, run_query, Scope};
use crate::sql::syntax::ast::{Body, Cte, Expr, From, Query, SelectItem, SetOp};
use std::collections::HashSet;

/// Rows a recursive CTE may produce before it is stopped.
const MAX_RECURSIVE_ROWS: usize = 10_000_000;

/// A materialized CTE: column names and rows.
pub type CteRows = (Vec<String>, Vec<Vec<Value>>);

fn plain(body: Body) -> Query {
    Query {
        with: Vec::new(),
        body,
        order_by: Vec::new(),
        limit: None,
        offset: None,
    }
}

fn rename(cte: &Cte, names: Vec<String>) -> Result<Vec<String>> {
    if cte.columns.is_empty() {
        return Ok(names);
    }
    if cte.columns.len() != names.len() {
        return Err(Error::invalid(format!(
            "table {} has {} values for {} columns",
            cte.name,
            names.len(),
            cte.columns.len()
        )));
    }
    Ok(cte.columns.clone())
}

/// How many rows of CTE `name` the query `q` can use at most: when `q`
/// only lists rows of it (`SELECT items FROM name LIMIT n [OFFSET m]`, no
/// filter, grouping, ordering, DISTINCT, aggregate or window), `n + m` — a
/// recursive CTE then stops there, as in SQLite and PostgreSQL, even with
/// no stop condition of its own.
pub fn rows_wanted(ctx: &Ctx, q: &Query, name: &str) -> Result<Option<usize>> {
    let (Some(limit), true) = (&q.limit, q.order_by.is_empty()) else {
        return Ok(None);
    };
    let Body::Select(s) = &q.body else {
        return Ok(None);
    };
    let only_lists = matches!(s.from.as_slice(), [From::Table(t, _, None)] if t == name)
        && s.filter.is_none()
        && s.group_by.is_empty()
        && s.having.is_none()
        && !s.distinct
        && s.items.iter().all(|i| match i {
            SelectItem::Expr(e, _) => {
                let mut windows = Vec::new();
                crate::sql::exec::window::extract(e, &mut windows);
                !crate::sql::exec::query::has_aggregate(e)
                    && !crate::sql::exec::subquery::has_subquery(e)
                    && windows.is_empty()
            }
            _ => true,
        });
    if !only_lists {
        return Ok(None);
    }
    let n = |e: &Expr| -> Result<usize> {
        let v = crate::sql::exec::query::eval(ctx, e, &crate::sql::exec::query::EMPTY_SCOPE)?;
        Ok(v.numeric().as_f64().unwrap_or(0.0).max(0.0) as usize)
    };
    let offset = q.offset.as_ref().map(n).transpose()?.unwrap_or(0);
    Ok(Some(n(limit)?.saturating_add(offset)))
}

/// Evaluates one CTE (earlier CTEs of the same WITH are already visible);
/// a recursive one stops once it has `want` rows, when given.
pub fn materialize(
    ctx: &Ctx,
    cte: &Cte,
    outer: Option<&Scope>,
    want: Option<usize>,
) -> Result<CteRows> {
    let tok = ctx.op_start("CTE", || {
        if cte.recursive {
            format!("{} (recursive)", cte.name)
        } else {
            cte.name.clone()
        }
    });
    let res = materialize_rows(ctx, cte, outer, want);
    ctx.op_end(tok, res.as_ref().map_or(0, |r| r.1.len()));
    res
}

fn materialize_rows(
    ctx: &Ctx,
    cte: &Cte,
    outer: Option<&Scope>,
    want: Option<usize>,
) -> Result<CteRows> {
    let recursive = match &cte.query.body {
        Body::Set(l, SetOp::Union, all, r) if cte.recursive && mentions_body(r, &cte.name) => {
            Some((l, *all, r))
        }
        _ => None,
    };
    let Some((initial, all, step)) = recursive else {
        let (names, rows) = run_query(ctx, &cte.query, outer)?;
        return Ok((rename(cte, names)?, rows));
    };
    if !cte.query.order_by.is_empty() || cte.query.offset.is_some() {
        return Err(Error::new(
            ErrorCode::NotSupported,
            "ORDER BY / OFFSET on a recursive CTE is not supported yet",
        ));
    }
    let own = match &cte.query.limit {
        Some(e) => {
            let v = crate::sql::exec::query::eval(ctx, e, &crate::sql::exec::query::EMPTY_SCOPE)?;
            Some(v.numeric().as_f64().unwrap_or(0.0).max(0.0) as usize)
        }
        None => None,
    };
    let limit = match (own, want) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let (names, mut rows) = run_query(ctx, &plain((**initial).clone()), outer)?;
    let names = rename(cte, names)?;
    let mut seen = HashSet::new();
    if !all {
        rows.retain(|r| seen.insert(row_key(r)));
    }
    let step = plain((**step).clone());
    let mut work = rows.clone();
    while !work.is_empty() && limit.is_none_or(|l| rows.len() < l) {
        crate::sql::func::control::check()?;
        let mark = ctx.push_cte(&cte.name, (names.clone(), work));
        let res = run_query(ctx, &step, outer);
        ctx.pop_ctes(mark);
        let (_, mut new) = res?;
        if !all {
            new.retain(|r| seen.insert(row_key(r)));
        }
        crate::sql::func::control::charge(
            crate::sql::func::control::rows_bytes(&new),
            "a recursive CTE's rows",
        )?;
        rows.extend(new.iter().cloned());
        if rows.len() > MAX_RECURSIVE_ROWS {
            return Err(Error::new(
                ErrorCode::Limit,
                format!(
                    "recursive CTE {} produced more than {MAX_RECURSIVE_ROWS} rows (missing stop \
                     condition?)",
                    cte.name
                ),
            ));
        }
        work = new;
    }
    if let Some(l) = limit {
        rows.truncate(l);
    }
    Ok((names, rows))
}

fn mentions_query(q: &Query, name: &str) -> bool {
    q.with.iter().any(|c| mentions_query(&c.query, name)) || mentions_body(&q.body, name)
}

fn mentions_body(b: &Body, name: &str) -> bool {
    match b {
        Body::Select(s) => {
            s.from.iter().any(|f| mentions_from(f, name))
                || s.items.iter().any(|i| match i {
                    SelectItem::Expr(e, _) => mentions_expr(e, name),
                    _ => false,
                })
                || s.filter.as_ref().is_some_and(|e| mentions_expr(e, name))
                || s.having.as_ref().is_some_and(|e| mentions_expr(e, name))
        }
        Body::Set(l, _, _, r) => mentions_body(l, name) || mentions_body(r, name),
        Body::Values(rows) => rows.iter().flatten().any(|e| mentions_expr(e, name)),
        Body::Query(q) => mentions_query(q, name),
    }
}

fn mentions_from(f: &From, name: &str) -> bool {
    match f {
        From::Table(t, _, _) => t == name,
        From::Subquery(q, _) => mentions_query(q, name),
        From::Join(l, r, _, on) => {
            mentions_from(l, name)
                || mentions_from(r, name)
                || on.as_ref().is_some_and(|e| mentions_expr(e, name))
        }
        From::JoinUsing(l, r, _, _) => mentions_from(l, name) || mentions_from(r, name),
    }
}

fn mentions_expr(e: &Expr, name: &str) -> bool {
    match e {
        Expr::InQuery(a, q, _) => mentions_expr(a, name) || mentions_query(q, name),
        Expr::Exists(q, _) | Expr::Scalar(q) => mentions_query(q, name),
        Expr::Unary(_, a) | Expr::IsNull(a, _) | Expr::Cast(a, _) => mentions_expr(a, name),
        Expr::Binary(a, _, b) => mentions_expr(a, name) || mentions_expr(b, name),
        Expr::Between(a, b, c, _) => {
            mentions_expr(a, name) || mentions_expr(b, name) || mentions_expr(c, name)
        }
        Expr::InList(a, l, _) => mentions_expr(a, name) || l.iter().any(|x| mentions_expr(x, name)),
        Expr::Case(o, w, el) => {
            o.as_deref().is_some_and(|x| mentions_expr(x, name))
                || w.iter()
                    .any(|(a, b)| mentions_expr(a, name) || mentions_expr(b, name))
                || el.as_deref().is_some_and(|x| mentions_expr(x, name))
        }
        Expr::Func { args, .. } => args.iter().any(|a| mentions_expr(a, name)),
        Expr::Window(f, w) => {
            mentions_expr(f, name)
                || w.partition_by.iter().any(|x| mentions_expr(x, name))
                || w.order_by.iter().any(|o| mentions_expr(&o.expr, name))
        }
        Expr::Lit(_) | Expr::Param(_) | Expr::Column(..) => false,
    }
}
