//! Subqueries of expressions (IN, EXISTS, scalar): run once per statement
//! when uncorrelated, per outer row otherwise, and planned once each under
//! plan-only EXPLAIN.

use crate::error::Result;
use crate::sql::catalog::ctx::{CteRows, Ctx};
use crate::sql::exec::query::{run_query, Scope};
use crate::sql::syntax::ast::*;
use std::rc::Rc;

/// The rows of a subquery of an expression for the outer row `outer`.
///
/// An uncorrelated subquery runs once per statement: the first time, it
/// runs without the outer row; if that succeeds, it consulted no outer
/// column, so every outer row would get the same rows (evaluation is
/// deterministic over one snapshot) and they are kept. If it fails (an
/// outer column it could not see, or any error) it is correlated and runs
/// per outer row, which also reproduces a genuine error.
pub fn subquery(ctx: &Ctx, kind: &str, q: &Query, outer: Option<&Scope>) -> Result<Rc<CteRows>> {
    let at = q as *const Query as usize;
    match ctx.subquery_result(at) {
        Some(Some(rows)) => return Ok(rows),
        Some(None) => return run_subquery(ctx, &format!("{kind}, correlated"), q, outer),
        None => {}
    }
    if outer.is_none() {
        let rows = run_subquery(ctx, kind, q, None)?;
        ctx.keep_subquery_result(at, Some(rows.clone()));
        return Ok(rows);
    }
    match run_subquery(ctx, &format!("{kind}, runs once if uncorrelated"), q, None) {
        Ok(rows) => {
            ctx.keep_subquery_result(at, Some(rows.clone()));
            Ok(rows)
        }
        Err(_) => {
            ctx.keep_subquery_result(at, None);
            run_subquery(ctx, &format!("{kind}, correlated"), q, outer)
        }
    }
}

/// Runs a subquery as a traced operator.
fn run_subquery(ctx: &Ctx, kind: &str, q: &Query, outer: Option<&Scope>) -> Result<Rc<CteRows>> {
    let tok = ctx.op_start("Subquery", || kind.to_string());
    let mark = crate::sql::func::control::mark();
    let res = run_query(ctx, q, outer);
    // Counted while built; a correlated subquery runs once per outer row,
    // so its result is not added up across them.
    crate::sql::func::control::release_to(mark);
    let (names, rows) = res?;
    ctx.op_end(tok, rows.len());
    Ok(Rc::new((names, rows)))
}

/// Under plan-only EXPLAIN, plans the subqueries of `e` once each (no row
/// reaches them otherwise). A correlated one cannot be planned without its
/// outer row and is shown as such.
pub fn plan_subqueries(ctx: &Ctx, e: &Expr) {
    let mut found: Vec<(&str, &Query)> = Vec::new();
    collect_subqueries(e, &mut found);
    for (kind, q) in found {
        let tok = ctx.op_start("Subquery", || kind.to_string());
        if run_query(ctx, q, None).is_err() {
            ctx.op_end(tok, 0);
            let t = ctx.op_start("Correlated", || "planned per outer row".to_string());
            ctx.op_end(t, 0);
        } else {
            ctx.op_end(tok, 0);
        }
    }
}

fn collect_subqueries<'e>(e: &'e Expr, out: &mut Vec<(&'static str, &'e Query)>) {
    match e {
        Expr::InQuery(a, q, _) => {
            collect_subqueries(a, out);
            out.push(("IN", q));
        }
        Expr::Exists(q, _) => out.push(("EXISTS", q)),
        Expr::Scalar(q) => out.push(("scalar", q)),
        Expr::Unary(_, a) | Expr::IsNull(a, _) | Expr::Cast(a, _) => collect_subqueries(a, out),
        Expr::Binary(a, _, b) => {
            collect_subqueries(a, out);
            collect_subqueries(b, out);
        }
        Expr::Between(a, b, c, _) => {
            collect_subqueries(a, out);
            collect_subqueries(b, out);
            collect_subqueries(c, out);
        }
        Expr::InList(a, l, _) => {
            collect_subqueries(a, out);
            l.iter().for_each(|x| collect_subqueries(x, out));
        }
        Expr::Case(o, w, el) => {
            o.iter().for_each(|x| collect_subqueries(x, out));
            for (a, b) in w {
                collect_subqueries(a, out);
                collect_subqueries(b, out);
            }
            el.iter().for_each(|x| collect_subqueries(x, out));
        }
        Expr::Func { args, .. } => args.iter().for_each(|x| collect_subqueries(x, out)),
        Expr::Window(f, w) => {
            collect_subqueries(f, out);
            w.partition_by
                .iter()
                .for_each(|x| collect_subqueries(x, out));
            w.order_by
                .iter()
                .for_each(|o| collect_subqueries(&o.expr, out));
        }
        Expr::Lit(_) | Expr::Param(_) | Expr::Column(..) => {}
    }
}

/// True when `e` holds a subquery (outside nested subqueries' own bodies).
pub fn has_subquery(e: &Expr) -> bool {
    let mut found = Vec::new();
    collect_subqueries(e, &mut found);
    !found.is_empty()
}
