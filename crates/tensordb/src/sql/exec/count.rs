//! `SELECT count(*) FROM t`: the rows of `t` are counted as they are read,
//! none decoded (SQLite's `OP_Count` does the same).

use crate::engine::read::ScanRange;
use crate::error::Result;
use crate::sql::catalog::ctx::Ctx;
use crate::sql::catalog::tables::{self, rows_prefix};
use crate::sql::datum::value::Value;
use crate::sql::syntax::ast::{Expr, From, OrderTerm, Select, SelectItem};

/// The answer of a select that only counts the rows of one table now,
/// with the output column names; `None` for any other shape (a filter,
/// grouping, DISTINCT, another aggregate, a view, a CTE, a time clause).
pub fn count_only(
    ctx: &Ctx,
    sel: &Select,
    order: &[OrderTerm],
) -> Result<Option<(Vec<String>, Vec<Value>)>> {
    if sel.distinct
        || sel.filter.is_some()
        || !sel.group_by.is_empty()
        || sel.having.is_some()
        || !order.is_empty()
        || ctx.plan_only()
        || sel.items.is_empty()
    {
        return Ok(None);
    }
    let [From::Table(name, _, None)] = sel.from.as_slice() else {
        return Ok(None);
    };
    let mut names = Vec::with_capacity(sel.items.len());
    for item in &sel.items {
        match item {
            SelectItem::Expr(
                e @ Expr::Func {
                    name,
                    args,
                    distinct: false,
                    star: true,
                },
                alias,
            ) if name == "count" && args.is_empty() => {
                names.push(alias.clone().unwrap_or_else(|| e.output_name()))
            }
            _ => return Ok(None),
        }
    }
    if ctx.cte(name).is_some() {
        return Ok(None);
    }
    let Some(t) = tables::find(ctx, name)? else {
        return Ok(None); // a view, or no such table: the general path says which
    };
    let tok = ctx.op_start("Count rows", || format!("{name} (no row decoded)"));
    let mut n: i64 = 0;
    let range = ScanRange {
        prefix: Some(rows_prefix(t.id)),
        ..Default::default()
    };
    ctx.scan_each(&range, |_, _| {
        n += 1;
        Ok(())
    })?;
    ctx.op_end(tok, 1);
    Ok(Some((names, vec![Value::Int(n); sel.items.len()])))
}
