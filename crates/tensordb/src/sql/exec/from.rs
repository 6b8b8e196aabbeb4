//! FROM and WHERE: loading FROM items (tables by their cheapest access
//! path, CTEs, views, derived tables, joins), pushing each WHERE conjunct
//! down to the first point where every column it names is bound, and
//! joining comma-separated items greedily, smallest and connected first.

use crate::error::{Error, ErrorCode, Result};
use crate::sql::catalog::ctx::Ctx;
use crate::sql::catalog::tables;
use crate::sql::datum::value::Value;
use crate::sql::exec::query::{
    cmp_op, eval, resolve, run_query, ColRef, Relation, Scope, EMPTY_SCOPE,
};
use crate::sql::syntax::ast::*;

fn cte_relation(ctx: &Ctx, name: &str, alias: &Option<String>) -> Option<Relation> {
    let c = ctx.cte(name)?;
    let label = Some(alias.clone().unwrap_or_else(|| name.to_string()));
    let cols = c.0.iter().map(|n| (label.clone(), n.clone())).collect();
    Some((cols, c.1.clone()))
}

fn from_item(ctx: &Ctx, f: &From, outer: Option<&Scope>) -> Result<Relation> {
    from_pushed(ctx, f, outer, &[])
}

/// The conjuncts of `push` that name columns and only columns of `cols`.
fn bound_by(push: &[Expr], cols: &[ColRef]) -> Vec<Expr> {
    push.iter()
        .filter(|c| {
            let mut refs = Vec::new();
            columns_of(c, &mut refs)
                && !refs.is_empty()
                && refs
                    .iter()
                    .all(|(t, n)| matches!(resolve(cols, t, n), Ok(Some(_))))
        })
        .cloned()
        .collect()
}

/// `from_item` given conjuncts `push` that every row it yields must satisfy
/// in the end (WHERE conjuncts, an inner join's ON conjuncts). A table
/// reads by the cheapest path for the ones it binds and drops the rows that
/// fail them; a join passes them on to the inputs where that is safe (both
/// sides of an INNER join; the preserved side of a LEFT join, whose own ON
/// conjuncts may filter its optional side). They are checked again where
/// they came from, so this only makes the inputs smaller.
fn from_pushed(ctx: &Ctx, f: &From, outer: Option<&Scope>, push: &[Expr]) -> Result<Relation> {
    match f {
        From::Table(name, alias, None)
            if !push.is_empty() && ctx.cte(name).is_none() && tables::exists(ctx, name)? =>
        {
            let t = tables::lookup(ctx, name)?;
            let label = alias.clone().unwrap_or_else(|| name.clone());
            let cols: Vec<ColRef> = t.column_refs(&label);
            let local = bound_by(push, &cols);
            if !local.is_empty() {
                let rows = crate::sql::plan::access::values(ctx, &t, &label, &local)?;
                let rows = filter(ctx, &cols, rows, &local, outer)?;
                return Ok((cols, rows));
            }
        }
        From::Join(l, r, kind, on) if matches!(kind, JoinKind::Inner | JoinKind::Left) => {
            let mut conds = Vec::new();
            if let Some(e) = on {
                conjuncts(e, &mut conds);
            }
            let mut to_left = push.to_vec();
            let to_right = if *kind == JoinKind::Inner {
                to_left.extend(conds.iter().cloned());
                to_left.clone()
            } else {
                conds.clone()
            };
            let (lc, lr) = from_pushed(ctx, l, outer, &to_left)?;
            return join_with(ctx, (lc, lr), r, *kind, &conds, outer, &to_right);
        }
        _ => {}
    }
    match f {
        From::Table(name, alias, _) if ctx.cte(name).is_some() => cte_relation(ctx, name, alias)
            .ok_or_else(|| Error::internal("CTE vanished during a query")),
        From::Table(name, alias, Some(tm)) => {
            let label = alias.clone().unwrap_or_else(|| name.clone());
            match crate::sql::exec::temporal::relation(ctx, name, &label, tm, &[])? {
                Some(rel) => Ok(rel),
                None if tm.system.is_none() && tm.valid.is_none() => {
                    from_item(ctx, &From::Table(name.clone(), alias.clone(), None), outer)
                }
                None => Err(Error::new(
                    ErrorCode::NotSupported,
                    format!("temporal clauses apply to tables; {name} is not a table"),
                )),
            }
        }
        From::Table(name, alias, None) => {
            let tok = ctx.op_start("Scan", || name.clone());
            let t = match ctx.table_owned(name, false) {
                Err(e) if matches!(e.code, ErrorCode::NoTable | ErrorCode::NotSupported) => {
                    return match crate::sql::catalog::view::lookup(ctx, name)? {
                        Some(v) => crate::sql::exec::views::relation(ctx, &v, alias),
                        None => Err(e),
                    }
                }
                other => other?,
            };
            if tok.is_some() {
                let (rows, cost) = crate::sql::plan::paths::scan_estimate(ctx, &t.0)?;
                ctx.op_estimate(&tok, rows, cost);
            }
            ctx.op_end(tok, t.1.len());
            let label = Some(alias.clone().unwrap_or_else(|| name.clone()));
            let cols =
                t.0.columns
                    .iter()
                    .map(|c| (label.clone(), c.name.clone()))
                    .collect();
            Ok((cols, t.1.into_iter().map(|(_, r)| r).collect()))
        }
        From::Subquery(q, alias) => {
            let tok = ctx.op_start("Derived table", || alias.clone());
            let (names, rows) = run_query(ctx, q, outer)?;
            ctx.op_end(tok, rows.len());
            Ok((
                names
                    .into_iter()
                    .map(|n| (Some(alias.clone()), n))
                    .collect(),
                rows,
            ))
        }
        From::Join(l, r, kind, on) => {
            let left = from_item(ctx, l, outer)?;
            let mut conds = Vec::new();
            if let Some(e) = on {
                conjuncts(e, &mut conds);
            }
            join_with(ctx, left, r, *kind, &conds, outer, &[])
        }
        From::JoinUsing(l, r, kind, using) => {
            let (lc, lr) = from_item(ctx, l, outer)?;
            let (rc, rr) = from_item(ctx, r, outer)?;
            crate::sql::exec::join::join_using(ctx, lc, lr, rc, rr, using.as_deref(), *kind, outer)
        }
    }
}

/// Joins `left` with FROM item `r` on `conds`: by point reads when `r` is a
/// table whose key the conditions bind (`join::lookup_join` decides), else
/// by loading `r` (filtered by `push`, see `from_pushed`).
fn join_with(
    ctx: &Ctx,
    (lc, lr): Relation,
    r: &From,
    kind: JoinKind,
    conds: &[Expr],
    outer: Option<&Scope>,
    push: &[Expr],
) -> Result<Relation> {
    if let From::Table(name, alias, None) = r {
        if ctx.cte(name).is_none() && !ctx.plan_only() {
            let joined = crate::sql::exec::join::lookup_join(
                ctx, &lc, &lr, name, alias, conds, kind, outer,
            )?;
            if let Some(rel) = joined {
                return Ok(rel);
            }
        }
    }
    let (rc, rr) = from_pushed(ctx, r, outer, push)?;
    crate::sql::exec::join::join(ctx, lc, lr, rc, &rr, conds, kind, outer)
}

/// A table as one FROM item: its schema, label (name or alias) and columns.
pub type LoneTable = (std::sync::Arc<tables::Table>, String, Vec<ColRef>);

/// The one table `sel` reads when its FROM is a single stored table (not a
/// CTE or view, no temporal clause).
pub fn lone_table(ctx: &Ctx, sel: &Select) -> Result<Option<LoneTable>> {
    let [From::Table(name, alias, None)] = sel.from.as_slice() else {
        return Ok(None);
    };
    if ctx.cte(name).is_some() || !tables::exists(ctx, name)? {
        return Ok(None);
    }
    let t = tables::lookup(ctx, name)?;
    let label = alias.clone().unwrap_or_else(|| name.clone());
    let cols = t.column_refs(&label);
    Ok(Some((t, label, cols)))
}

/// Hands each row of table `(t, label, cols)` that satisfies `filter` to
/// `f` as a scope, one at a time, holding none (the filter's conjuncts pick
/// the access path); returns how many rows were read.
pub fn scan_where(
    ctx: &Ctx,
    (t, label, cols): &LoneTable,
    filter: Option<&Expr>,
    mut f: impl FnMut(&Scope) -> Result<()>,
) -> Result<usize> {
    let mut conds = Vec::new();
    if let Some(w) = filter {
        conjuncts(w, &mut conds);
    }
    let preds = conds
        .iter()
        .map(|c| Pred::of(ctx, c, cols))
        .collect::<Result<Vec<_>>>()?;
    let mut seen = 0;
    crate::sql::plan::access::for_each(ctx, t, label, &conds, |row| {
        crate::sql::func::control::tick()?;
        seen += 1;
        let sc = Scope {
            cols,
            row: &row,
            group: None,
            outer: None,
        };
        for p in &preds {
            if !p.holds(ctx, &sc)? {
                return Ok(());
            }
        }
        f(&sc)
    })?;
    Ok(seen)
}

/// True when every column `e` names resolves in `cols` (and it holds no
/// subquery).
pub fn refs_resolve(e: &Expr, cols: &[ColRef]) -> bool {
    let mut refs = Vec::new();
    columns_of(e, &mut refs)
        && !refs.is_empty()
        && refs
            .iter()
            .all(|(t, n)| matches!(resolve(cols, t, n), Ok(Some(_))))
}

/// Splits an expression into its AND-ed conjuncts.
pub fn split_and(e: &Expr, out: &mut Vec<Expr>) {
    conjuncts(e, out)
}

fn conjuncts(e: &Expr, out: &mut Vec<Expr>) {
    if let Expr::Binary(a, BinOp::And, b) = e {
        conjuncts(a, out);
        conjuncts(b, out);
    } else {
        out.push(e.clone());
    }
}

/// Column references of an expression, or `None` if it holds a subquery or
/// parameter-free opaque part that must wait for every table.
pub fn columns_of(e: &Expr, out: &mut Vec<(Option<String>, String)>) -> bool {
    match e {
        Expr::Column(t, c) => {
            out.push((t.clone(), c.clone()));
            true
        }
        Expr::Lit(_) | Expr::Param(_) => true,
        Expr::Unary(_, a) | Expr::IsNull(a, _) | Expr::Cast(a, _) => columns_of(a, out),
        Expr::Binary(a, _, b) => columns_of(a, out) && columns_of(b, out),
        Expr::Between(a, b, c, _) => columns_of(a, out) && columns_of(b, out) && columns_of(c, out),
        Expr::InList(a, l, _) => columns_of(a, out) && l.iter().all(|x| columns_of(x, out)),
        Expr::Case(o, w, el) => {
            o.as_deref().is_none_or(|x| columns_of(x, out))
                && w.iter()
                    .all(|(a, b)| columns_of(a, out) && columns_of(b, out))
                && el.as_deref().is_none_or(|x| columns_of(x, out))
        }
        Expr::Func { args, .. } => args.iter().all(|a| columns_of(a, out)),
        _ => false,
    }
}

/// FROM + WHERE: joins the FROM items left to right, applying each WHERE
/// conjunct as soon as every column it names is bound.
pub fn from_where(ctx: &Ctx, sel: &Select, outer: Option<&Scope>) -> Result<Relation> {
    let mut pending = Vec::new();
    if let Some(w) = &sel.filter {
        conjuncts(w, &mut pending);
    }
    // Load every FROM item, shrunk by the predicates on it alone.
    let mut items: Vec<(usize, Vec<ColRef>, Vec<Vec<Value>>)> = Vec::new();
    for (i, item) in sel.from.iter().enumerate() {
        let (ic, ir) = match item {
            From::Table(name, alias, Some(tm)) if ctx.cte(name).is_none() => {
                let label = alias.clone().unwrap_or_else(|| name.clone());
                let probe = pending.clone();
                match crate::sql::exec::temporal::relation(ctx, name, &label, tm, &probe)? {
                    Some(rel) => rel,
                    None => from_item(ctx, item, outer)?,
                }
            }
            From::Table(name, alias, None)
                if ctx.cte(name).is_none() && tables::exists(ctx, name)? =>
            {
                // Predicates naming only this table pick its access path.
                let t = tables::lookup(ctx, name)?;
                let label = alias.clone().unwrap_or_else(|| name.clone());
                let cols: Vec<ColRef> = t.column_refs(&label);
                let mut probe = pending.clone();
                let local = take_bound(&mut probe, &cols);
                let rows = crate::sql::plan::access::values(ctx, &t, &label, &local)?;
                (cols, rows)
            }
            join @ From::Join(..) => from_pushed(ctx, join, outer, &pending)?,
            other => from_item(ctx, other, outer)?,
        };
        let local = take_bound(&mut pending, &ic);
        let ir = filter(ctx, &ic, ir, &local, outer)?;
        crate::sql::func::control::charge(
            crate::sql::func::control::rows_bytes(&ir),
            "a FROM item's rows",
        )?;
        items.push((i, ic, ir));
    }
    // Join greedily: the smallest input first, then always an item that a
    // pending predicate connects to what is joined (smallest first), so
    // chains of equality predicates never build large cross products.
    let mut cols: Vec<ColRef> = Vec::new();
    let mut rows: Vec<Vec<Value>> = vec![Vec::new()];
    let mut order: Vec<(usize, usize)> = Vec::new(); // (FROM position, width)
    while !items.is_empty() {
        let connected = |ic: &[ColRef]| {
            let mut all: Vec<ColRef> = cols.clone();
            all.extend(ic.iter().cloned());
            pending.iter().any(|c| {
                let mut refs = Vec::new();
                columns_of(c, &mut refs)
                    && refs
                        .iter()
                        .all(|(t, n)| matches!(resolve(&all, t, n), Ok(Some(_))))
                    && refs
                        .iter()
                        .any(|(t, n)| matches!(resolve(ic, t, n), Ok(Some(_))))
            })
        };
        let pick = if order.is_empty() {
            (0..items.len()).min_by_key(|&i| items[i].2.len())
        } else {
            (0..items.len())
                .filter(|&i| connected(&items[i].1))
                .min_by_key(|&i| items[i].2.len())
                .or_else(|| (0..items.len()).min_by_key(|&i| items[i].2.len()))
        };
        let Some(pick) = pick else { break };
        let (pos, ic, ir) = items.remove(pick);
        order.push((pos, ic.len()));
        let mut all = cols.clone();
        all.extend(ic.iter().cloned());
        let ready = take_bound(&mut pending, &all);
        if order.len() == 1 {
            // The first input joins with the one empty row: a filter.
            rows = filter(ctx, &ic, ir, &ready, outer)?;
            cols = ic;
            continue;
        }
        let joined =
            crate::sql::exec::join::join(ctx, cols, rows, ic, &ir, &ready, JoinKind::Inner, outer)?;
        cols = joined.0;
        rows = joined.1;
    }
    // Restore FROM order of the columns (it decides `SELECT *`).
    if order.windows(2).any(|w| w[0].0 > w[1].0) {
        let mut starts = Vec::with_capacity(order.len());
        let mut at = 0;
        for &(pos, width) in &order {
            starts.push((pos, at, width));
            at += width;
        }
        starts.sort_by_key(|s| s.0);
        let perm: Vec<usize> = starts.iter().flat_map(|&(_, st, w)| st..st + w).collect();
        cols = perm.iter().map(|&i| cols[i].clone()).collect();
        rows = rows
            .into_iter()
            .map(|r| perm.iter().map(|&i| r[i].clone()).collect())
            .collect();
    }
    rows = filter(ctx, &cols, rows, &pending, outer)?;
    Ok((cols, rows))
}

/// Removes and returns the conjuncts whose columns all resolve in `cols`.
fn take_bound(pending: &mut Vec<Expr>, cols: &[ColRef]) -> Vec<Expr> {
    let mut ready = Vec::new();
    pending.retain(|c| {
        let mut refs = Vec::new();
        let bound = columns_of(c, &mut refs)
            && refs
                .iter()
                .all(|(t, n)| matches!(resolve(cols, t, n), Ok(Some(_))));
        if bound {
            ready.push(c.clone());
        }
        !bound
    });
    ready
}

fn filter(
    ctx: &Ctx,
    cols: &[ColRef],
    rows: Vec<Vec<Value>>,
    conds: &[Expr],
    outer: Option<&Scope>,
) -> Result<Vec<Vec<Value>>> {
    if conds.is_empty() {
        return Ok(rows);
    }
    let tok = ctx.op_start("Filter", || {
        format!(
            "{} predicate{}",
            conds.len(),
            if conds.len() == 1 { "" } else { "s" }
        )
    });
    let preds = if rows.is_empty() {
        Vec::new()
    } else {
        conds
            .iter()
            .map(|c| Pred::of(ctx, c, cols))
            .collect::<Result<Vec<_>>>()?
    };
    let mut out = Vec::with_capacity(rows.len());
    'rows: for row in rows {
        crate::sql::func::control::tick()?;
        let sc = Scope {
            cols,
            row: &row,
            group: None,
            outer,
        };
        for p in &preds {
            if !p.holds(ctx, &sc)? {
                continue 'rows;
            }
        }
        out.push(row);
    }
    ctx.op_end(tok, out.len());
    Ok(out)
}

/// A WHERE conjunct prepared for many rows: `column <op> constant` (either
/// side) with the column's position and the constant's value found once —
/// the same comparison `eval` makes, without resolving the column by name
/// and evaluating the constant per row; anything else is evaluated.
pub enum Pred<'e> {
    /// Column position, operator, constant, and whether the column is the
    /// left operand.
    Cmp(usize, BinOp, Value, bool),
    /// Anything else, evaluated per row.
    Expr(&'e Expr),
}

impl<'e> Pred<'e> {
    /// Prepares conjunct `e` over a relation of `cols`.
    pub fn of(ctx: &Ctx, e: &'e Expr, cols: &[ColRef]) -> Result<Pred<'e>> {
        if let Expr::Binary(a, op, b) = e {
            if matches!(
                op,
                BinOp::Eq | BinOp::NotEq | BinOp::Lt | BinOp::LtEq | BinOp::Gt | BinOp::GtEq
            ) {
                let slot = |c: &Expr| match c {
                    Expr::Column(t, n) => resolve(cols, t, n).ok().flatten(),
                    _ => None,
                };
                let konst = |k: &Expr| matches!(k, Expr::Lit(_) | Expr::Param(_));
                if let (Some(i), true) = (slot(a), konst(b)) {
                    return Ok(Pred::Cmp(i, *op, eval(ctx, b, &EMPTY_SCOPE)?, true));
                }
                if let (true, Some(i)) = (konst(a), slot(b)) {
                    return Ok(Pred::Cmp(i, *op, eval(ctx, a, &EMPTY_SCOPE)?, false));
                }
            }
        }
        Ok(Pred::Expr(e))
    }

    /// True when the conjunct holds for the row of `sc`.
    pub fn holds(&self, ctx: &Ctx, sc: &Scope) -> Result<bool> {
        Ok(match self {
            Pred::Cmp(i, op, k, left) => {
                let v = &sc.row[*i];
                let o = if *left { v.sql_cmp(k) } else { k.sql_cmp(v) };
                o.is_some_and(|o| cmp_op(*op, o))
            }
            Pred::Expr(e) => eval(ctx, e, sc)?.truth() == Some(true),
        })
    }
}
