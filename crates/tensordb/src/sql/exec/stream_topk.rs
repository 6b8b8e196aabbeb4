//! Streamed top-k: `SELECT … FROM one_table [WHERE …] ORDER BY … LIMIT n
//! [OFFSET m]` reads the table's rows one at a time and keeps only those
//! that can still be among the first n + m: each row's ORDER BY values are
//! computed first (from the select item a term names, or over the row), a
//! row that sorts at or after the current k-th is dropped at once, and the
//! select list is computed only for the rows kept at the end. Ties keep
//! the table's order, exactly as the stable sort of the general path.

use crate::error::Result;
use crate::sql::catalog::ctx::Ctx;
use crate::sql::datum::value::Value;
use crate::sql::exec::order::{cmp_keys, cut_to};
use crate::sql::exec::query::{check_columns, eval, has_aggregate, select_exprs, slot, Scope};
use crate::sql::exec::stream_agg::{plain, Projected};
use crate::sql::syntax::ast::{Expr, OrderTerm, Select};
use std::cmp::Ordering;

/// What one ORDER BY term sorts on: a select item's value, or an
/// expression over the input row.
enum Key<'e> {
    Item(usize),
    Input(&'e Expr),
}

/// Runs `sel` ordered by `order`, keeping its first `k` rows, when its
/// shape allows; `None` sends it down the general path.
pub fn run(
    ctx: &Ctx,
    sel: &Select,
    order: &[OrderTerm],
    k: usize,
    outer: Option<&Scope>,
) -> Result<Option<Projected>> {
    if outer.is_some()
        || sel.distinct
        || !sel.group_by.is_empty()
        || sel.having.is_some()
        || order.is_empty()
        || k == 0
    {
        return Ok(None);
    }
    let Some(table) = crate::sql::exec::from::lone_table(ctx, sel)? else {
        return Ok(None);
    };
    let cols = &table.2;
    let exprs = select_exprs(&sel.items, cols)?;
    let simple = |e: &Expr| plain(e, false) && !has_aggregate(e);
    if !exprs.iter().all(|(e, _)| simple(e))
        || !sel.filter.iter().all(simple)
        || !order.iter().all(|o| simple(&o.expr))
    {
        return Ok(None);
    }
    let names: Vec<String> = exprs.iter().map(|(_, n)| n.clone()).collect();
    // As `order_key` reads a term: an ordinal, then an output name, then an
    // expression over the row.
    let mut keys = Vec::with_capacity(order.len());
    for o in order {
        keys.push(match &o.expr {
            Expr::Lit(Value::Int(n)) => {
                match usize::try_from(*n).ok().and_then(|n| n.checked_sub(1)) {
                    Some(i) if i < exprs.len() => Key::Item(i),
                    _ => return Ok(None), // out of range: the general path reports it
                }
            }
            Expr::Column(None, c) if names.iter().any(|n| n == c) => {
                Key::Item(names.iter().position(|n| n == c).unwrap_or(0))
            }
            e => Key::Input(e),
        });
    }
    let item_slots: Vec<Option<usize>> = exprs.iter().map(|(e, _)| slot(e, cols)).collect();
    let value = |i: usize, sc: &Scope| -> Result<Value> {
        match item_slots[i] {
            Some(s) => Ok(sc.row[s].clone()),
            None => eval(ctx, &exprs[i].0, sc),
        }
    };
    let tok = ctx.op_start("Top-k", || format!("streamed, first {k}"));
    let mut kept: Vec<(Vec<Value>, Vec<Value>)> = Vec::new();
    let mut worst: Option<Vec<Value>> = None;
    let seen = crate::sql::exec::from::scan_where(ctx, &table, sel.filter.as_ref(), |sc| {
        let mut key = Vec::with_capacity(keys.len());
        for k in &keys {
            key.push(match k {
                Key::Item(i) => value(*i, sc)?,
                Key::Input(e) => eval(ctx, e, sc)?,
            });
        }
        // Later rows lose ties: one that does not sort before the k-th
        // kept row cannot be among the first k.
        if worst
            .as_ref()
            .is_some_and(|w| cmp_keys(order, &key, w) != Ordering::Less)
        {
            return Ok(());
        }
        crate::sql::func::control::charge(
            crate::sql::func::control::row_bytes(sc.row)
                + crate::sql::func::control::row_bytes(&key),
            "ORDER BY … LIMIT's rows",
        )?;
        kept.push((sc.row.to_vec(), key));
        if kept.len() >= k.saturating_mul(2).max(1024) {
            kept = cut_to(std::mem::take(&mut kept), k, order);
            worst = kept.get(k.wrapping_sub(1)).map(|r| r.1.clone());
        }
        Ok(())
    })?;
    if seen == 0 {
        for (e, _) in &exprs {
            check_columns(e, cols, None)?;
        }
        if let Some(f) = &sel.filter {
            check_columns(f, cols, None)?;
        }
    }
    let kept = cut_to(kept, k, order);
    ctx.op_end(tok, kept.len());
    let mut out = Vec::with_capacity(kept.len());
    // An item a term sorts on keeps the value it was sorted by (the same
    // value even for random()).
    let from_key: Vec<Option<usize>> = (0..exprs.len())
        .map(|i| {
            keys.iter()
                .position(|k| matches!(k, Key::Item(j) if *j == i))
        })
        .collect();
    for (row, key) in kept {
        let sc = Scope {
            cols,
            row: &row,
            group: None,
            outer: None,
        };
        let mut vals = Vec::with_capacity(exprs.len());
        for (i, at) in from_key.iter().enumerate() {
            vals.push(match at {
                Some(j) => key[*j].clone(),
                None => value(i, &sc)?,
            });
        }
        out.push((vals, key));
    }
    Ok(Some((names, out)))
}
