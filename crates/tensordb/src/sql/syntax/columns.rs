//! The column names a query can read (projection pushdown): every name it
//! mentions anywhere — select lists, filters, joins, grouping, ordering,
//! subqueries and CTEs at any depth. A table column no query part names is
//! never read, so a scan may skip decoding it. A query that can read columns
//! without naming them (`*`, `t.*`, NATURAL JOIN) gives no set.

use crate::sql::syntax::ast::{Body, Expr, FrameBound, From, Query, SelectItem, TimeSpec};
use std::collections::HashSet;

/// What a query names.
#[derive(Debug, Default)]
pub struct Used {
    /// Column names (unqualified).
    pub columns: HashSet<String>,
    /// Names read in FROM clauses (tables, views or CTEs).
    pub tables: HashSet<String>,
    /// Names the query defines with WITH.
    pub ctes: HashSet<String>,
}

/// The names `q` uses, or `None` when it may read columns it does not name.
pub fn used(q: &Query) -> Option<Used> {
    let mut u = Used::default();
    query(q, &mut u).then_some(u)
}

fn query(q: &Query, u: &mut Used) -> bool {
    for c in &q.with {
        u.ctes.insert(c.name.clone());
        if !query(&c.query, u) {
            return false;
        }
    }
    body(&q.body, u)
        && q.order_by.iter().all(|o| expr(&o.expr, u))
        && q.limit.as_ref().is_none_or(|e| expr(e, u))
        && q.offset.as_ref().is_none_or(|e| expr(e, u))
}

fn body(b: &Body, u: &mut Used) -> bool {
    match b {
        Body::Select(s) => {
            s.items.iter().all(|i| match i {
                SelectItem::Expr(e, _) => expr(e, u),
                SelectItem::Star | SelectItem::TableStar(_) => false,
            }) && s.from.iter().all(|f| from(f, u))
                && s.filter.as_ref().is_none_or(|e| expr(e, u))
                && s.group_by.iter().all(|e| expr(e, u))
                && s.having.as_ref().is_none_or(|e| expr(e, u))
        }
        Body::Set(a, _, _, b) => body(a, u) && body(b, u),
        Body::Values(rows) => rows.iter().flatten().all(|e| expr(e, u)),
        Body::Query(q) => query(q, u),
    }
}

fn time(t: &TimeSpec, u: &mut Used) -> bool {
    match t {
        TimeSpec::AsOf(e) | TimeSpec::AsOfEpoch(e) => expr(e, u),
        TimeSpec::Between(a, b) | TimeSpec::FromTo(a, b) => expr(a, u) && expr(b, u),
        TimeSpec::All => true,
    }
}

fn from(f: &From, u: &mut Used) -> bool {
    match f {
        From::Table(name, _, tm) => {
            u.tables.insert(name.clone());
            tm.as_deref().is_none_or(|tm| {
                tm.system.as_ref().is_none_or(|t| time(t, u))
                    && tm.valid.as_ref().is_none_or(|t| time(t, u))
            })
        }
        From::Subquery(q, _) => query(q, u),
        From::Join(l, r, _, on) => {
            from(l, u) && from(r, u) && on.as_ref().is_none_or(|e| expr(e, u))
        }
        From::JoinUsing(l, r, _, Some(cols)) => {
            u.columns.extend(cols.iter().cloned());
            from(l, u) && from(r, u)
        }
        From::JoinUsing(_, _, _, None) => false,
    }
}

fn bound(b: &FrameBound, u: &mut Used) -> bool {
    match b {
        FrameBound::Preceding(e) | FrameBound::Following(e) => expr(e, u),
        _ => true,
    }
}

fn expr(e: &Expr, u: &mut Used) -> bool {
    match e {
        Expr::Lit(_) | Expr::Param(_) => true,
        Expr::Column(_, c) => {
            u.columns.insert(c.clone());
            true
        }
        Expr::Unary(_, a) | Expr::IsNull(a, _) | Expr::Cast(a, _) => expr(a, u),
        Expr::Binary(a, _, b) => expr(a, u) && expr(b, u),
        Expr::Between(a, b, c, _) => expr(a, u) && expr(b, u) && expr(c, u),
        Expr::InList(a, l, _) => expr(a, u) && l.iter().all(|x| expr(x, u)),
        Expr::InQuery(a, q, _) => expr(a, u) && query(q, u),
        Expr::Exists(q, _) | Expr::Scalar(q) => query(q, u),
        Expr::Case(o, w, el) => {
            o.as_deref().is_none_or(|x| expr(x, u))
                && w.iter().all(|(a, b)| expr(a, u) && expr(b, u))
                && el.as_deref().is_none_or(|x| expr(x, u))
        }
        Expr::Func { args, .. } => args.iter().all(|a| expr(a, u)),
        Expr::Window(f, w) => {
            expr(f, u)
                && w.partition_by.iter().all(|x| expr(x, u))
                && w.order_by.iter().all(|o| expr(&o.expr, u))
                && w.frame
                    .as_ref()
                    .is_none_or(|fr| bound(&fr.start, u) && bound(&fr.end, u))
        }
    }
}
