//! Streamed hash aggregation: `SELECT … FROM one_table [WHERE …] [GROUP BY
//! …] [HAVING …]` with aggregates feeds each row from the table's scan
//! straight into its group's accumulators — one accumulator per aggregate
//! call per group, and the group's first row for bare columns — so the
//! table's rows are never held. Queries with subqueries, window functions,
//! `*`, nested aggregates or an enclosing query take the general path.

use crate::error::Result;
use crate::sql::catalog::ctx::Ctx;
use crate::sql::datum::value::{encode_key_value, numeric_norm, Value};
use crate::sql::exec::query::{
    check_columns, eval, has_aggregate, order_key, select_exprs, slot, Scope,
};
use crate::sql::func::aggregate::{is_aggregate, Acc};
use crate::sql::syntax::ast::{Expr, OrderTerm, Select};
use std::collections::HashMap;

/// Output rows with their ORDER BY values (as `exec::query` projects them).
pub type Projected = (Vec<String>, Vec<(Vec<Value>, Vec<Value>)>);

/// One group: its first row, its row count, an accumulator per call.
struct Group {
    first: Vec<Value>,
    rows: i64,
    accs: Vec<Option<Acc>>,
}

/// True when `e` may be evaluated per row or per group here: no subquery,
/// window function, or aggregate inside an aggregate's arguments.
pub fn plain(e: &Expr, in_agg: bool) -> bool {
    match e {
        Expr::Lit(_) | Expr::Param(_) | Expr::Column(..) => true,
        Expr::Unary(_, a) | Expr::IsNull(a, _) | Expr::Cast(a, _) => plain(a, in_agg),
        Expr::Binary(a, _, b) => plain(a, in_agg) && plain(b, in_agg),
        Expr::Between(a, b, c, _) => plain(a, in_agg) && plain(b, in_agg) && plain(c, in_agg),
        Expr::InList(a, l, _) => plain(a, in_agg) && l.iter().all(|x| plain(x, in_agg)),
        Expr::Case(o, w, el) => {
            o.as_deref().is_none_or(|x| plain(x, in_agg))
                && w.iter().all(|(a, b)| plain(a, in_agg) && plain(b, in_agg))
                && el.as_deref().is_none_or(|x| plain(x, in_agg))
        }
        Expr::Func { name, args, .. } => {
            let agg = is_aggregate(name, args.len());
            !(agg && in_agg) && args.iter().all(|a| plain(a, in_agg || agg))
        }
        Expr::InQuery(..) | Expr::Exists(..) | Expr::Scalar(_) | Expr::Window(..) => false,
    }
}

/// Collects the aggregate calls of `e` (each once).
fn calls(e: &Expr, out: &mut Vec<Expr>) {
    crate::sql::syntax::walk::expr(&mut e.clone(), &mut |x: &mut Expr| {
        if let Expr::Func { name, args, .. } = x {
            if is_aggregate(name, args.len()) && !out.contains(x) {
                out.push(x.clone());
            }
        }
    });
}

/// `e` with each aggregate call replaced by its value for one group.
fn bind(e: &Expr, calls: &[Expr], vals: &[Value]) -> Expr {
    let mut e = e.clone();
    crate::sql::syntax::walk::expr(&mut e, &mut |x: &mut Expr| {
        if let Some(i) = calls.iter().position(|c| c == x) {
            *x = Expr::Lit(vals[i].clone());
        }
    });
    e
}

/// Runs `sel` (with `order`) streamed when its shape allows; `None` sends
/// it down the general path.
pub fn run(
    ctx: &Ctx,
    sel: &Select,
    order: &[OrderTerm],
    outer: Option<&Scope>,
) -> Result<Option<Projected>> {
    if outer.is_some() || sel.distinct {
        return Ok(None);
    }
    let Some(table) = crate::sql::exec::from::lone_table(ctx, sel)? else {
        return Ok(None);
    };
    let cols = &table.2;
    let exprs = select_exprs(&sel.items, cols)?;
    let aggregate = !sel.group_by.is_empty()
        || exprs.iter().any(|(e, _)| has_aggregate(e))
        || sel.having.as_ref().is_some_and(has_aggregate);
    let all_plain = exprs.iter().all(|(e, _)| plain(e, false))
        && sel.having.iter().all(|e| plain(e, false))
        && sel.group_by.iter().all(|e| plain(e, false))
        && sel
            .filter
            .iter()
            .all(|e| plain(e, false) && !has_aggregate(e))
        && order.iter().all(|o| plain(&o.expr, false));
    if !aggregate || !all_plain {
        return Ok(None);
    }
    let group_by = crate::sql::exec::group::group_terms(&sel.group_by, &exprs, &sel.items, cols)?;
    if group_by.iter().any(has_aggregate) {
        return Ok(None);
    }
    let mut agg_calls = Vec::new();
    for (e, _) in &exprs {
        calls(e, &mut agg_calls);
    }
    sel.having.iter().for_each(|h| calls(h, &mut agg_calls));
    order.iter().for_each(|o| calls(&o.expr, &mut agg_calls));
    if agg_calls
        .iter()
        .any(|c| matches!(c, Expr::Func { star: false, args, .. } if args.is_empty()))
    {
        return Ok(None);
    }
    let args: Vec<Option<(Option<usize>, &Expr)>> = agg_calls
        .iter()
        .map(|c| match c {
            Expr::Func {
                star: false, args, ..
            } => args.first().map(|a| (slot(a, cols), a)),
            _ => None,
        })
        .collect();
    let key_slots: Vec<Option<usize>> = group_by.iter().map(|g| slot(g, cols)).collect();
    let tok = ctx.op_start("Aggregate", || {
        format!(
            "streamed hash on {} key(s), {} call(s)",
            group_by.len(),
            agg_calls.len()
        )
    });
    let mut index: HashMap<Vec<u8>, usize, crate::storage::hash::FastState> = HashMap::default();
    let mut groups: Vec<Group> = Vec::new();
    let mut key = Vec::new();
    let new_group = |first: Vec<Value>| -> Result<Group> {
        let sc = Scope {
            cols,
            row: &first,
            group: None,
            outer: None,
        };
        let mut accs = Vec::with_capacity(agg_calls.len());
        for c in &agg_calls {
            accs.push(match c {
                Expr::Func { star: true, .. } => None,
                Expr::Func {
                    name,
                    args,
                    distinct,
                    ..
                } => {
                    let sep = match args.get(1) {
                        Some(e) => eval(ctx, e, &sc)?.to_text().unwrap_or_default(),
                        None => ",".into(),
                    };
                    Some(Acc::new(name, *distinct, sep)?)
                }
                _ => None,
            });
        }
        crate::sql::func::control::charge(
            64 + crate::sql::func::control::row_bytes(&first),
            "GROUP BY's groups",
        )?;
        Ok(Group {
            first,
            rows: 0,
            accs,
        })
    };
    crate::sql::exec::from::scan_where(ctx, &table, sel.filter.as_ref(), |sc| {
        let row = sc.row;
        key.clear();
        for (g, at) in group_by.iter().zip(&key_slots) {
            let v = match at {
                Some(i) => numeric_norm(&row[*i]),
                None => numeric_norm(&eval(ctx, g, sc)?),
            };
            encode_key_value(&v, &mut key);
        }
        let gi = match index.get(key.as_slice()) {
            Some(&i) => i,
            None => {
                crate::sql::func::control::charge(32 + key.len(), "GROUP BY's groups")?;
                index.insert(key.clone(), groups.len());
                groups.push(new_group(row.to_vec())?);
                groups.len() - 1
            }
        };
        let g = &mut groups[gi];
        g.rows += 1;
        for (acc, arg) in g.accs.iter_mut().zip(&args) {
            let (Some(acc), Some((at, e))) = (acc, arg) else {
                continue;
            };
            match at {
                Some(i) => acc.add(&row[*i]),
                None => acc.add(&eval(ctx, e, sc)?),
            }
            acc.check()?;
        }
        Ok(())
    })?;
    if groups.is_empty() {
        for (e, _) in &exprs {
            check_columns(e, cols, None)?;
        }
        if let Some(f) = &sel.filter {
            check_columns(f, cols, None)?;
        }
        // Aggregates over no rows still give one row without GROUP BY.
        if group_by.is_empty() {
            groups.push(new_group(vec![Value::Null; cols.len()])?);
        }
    }
    ctx.op_end(tok, groups.len());
    let names: Vec<String> = exprs.iter().map(|(_, n)| n.clone()).collect();
    let mut out = Vec::with_capacity(groups.len());
    for g in &groups {
        let vals: Vec<Value> = g
            .accs
            .iter()
            .map(|a| a.as_ref().map_or(Value::Int(g.rows), Acc::result))
            .collect();
        let sc = Scope {
            cols,
            row: &g.first,
            group: None,
            outer: None,
        };
        if let Some(h) = &sel.having {
            if eval(ctx, &bind(h, &agg_calls, &vals), &sc)?.truth() != Some(true) {
                continue;
            }
        }
        let mut row = Vec::with_capacity(exprs.len());
        for (e, _) in &exprs {
            row.push(eval(ctx, &bind(e, &agg_calls, &vals), &sc)?);
        }
        let mut keys = Vec::with_capacity(order.len());
        for o in order {
            keys.push(match agg_calls.iter().position(|c| *c == o.expr) {
                Some(i) => vals[i].clone(),
                None => {
                    let o = OrderTerm {
                        expr: bind(&o.expr, &agg_calls, &vals),
                        ..o.clone()
                    };
                    order_key(ctx, &o, &names, &row, &sc)?
                }
            });
        }
        crate::sql::func::control::charge(
            crate::sql::func::control::row_bytes(&row)
                + crate::sql::func::control::row_bytes(&keys),
            "the select list's rows",
        )?;
        out.push((row, keys));
    }
    Ok(Some((names, out)))
}
