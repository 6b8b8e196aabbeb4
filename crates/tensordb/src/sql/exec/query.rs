//! Query execution over materialized rows: FROM (joins with early filtering),
//! WHERE, GROUP BY / aggregates / HAVING, projection, DISTINCT, set
//! operations, ORDER BY, LIMIT / OFFSET; scalar, IN and EXISTS subqueries,
//! correlated ones included (they see the enclosing row through `Scope`).

use crate::error::{Error, ErrorCode, Result};
use crate::sql::catalog::ctx::Ctx;
use crate::sql::datum::value::{arith, encode_key_value, numeric_norm, Affinity, Value};
use crate::sql::exec::from::from_where;
pub use crate::sql::exec::from::{columns_of, refs_resolve, split_and, Pred};
use crate::sql::exec::order::cmp_keys;
use crate::sql::exec::subquery::{plan_subqueries, subquery};
use crate::sql::syntax::ast::*;
use std::cmp::Ordering;
use std::collections::HashSet;

/// A column of an intermediate relation: (table name or alias, column name).
pub type ColRef = (Option<String>, String);

/// The scope of an expression outside any row (LIMIT, VALUES, defaults).
pub const EMPTY_SCOPE: Scope<'static> = Scope {
    cols: &[],
    row: &[],
    group: None,
    outer: None,
};

/// One row in its relation, with the enclosing query's scope for correlation.
#[derive(Clone, Copy)]
pub struct Scope<'s> {
    /// Column names of the relation.
    pub cols: &'s [ColRef],
    /// The row's values.
    pub row: &'s [Value],
    /// The group the row stands for, in aggregate queries.
    pub group: Option<&'s [Vec<Value>]>,
    /// The enclosing query's scope.
    pub outer: Option<&'s Scope<'s>>,
}

/// `no such column`, suggesting a close name from `cols` and the enclosing
/// scopes.
fn no_column(t: &Option<String>, c: &str, cols: &[ColRef], outer: Option<&Scope>) -> Error {
    let name = match t {
        Some(t) => format!("{t}.{c}"),
        None => c.to_string(),
    };
    let mut known: Vec<&str> = cols.iter().map(|(_, n)| n.as_str()).collect();
    let mut sc = outer;
    while let Some(s) = sc {
        known.extend(s.cols.iter().map(|(_, n)| n.as_str()));
        sc = s.outer;
    }
    known.retain(|n| !n.starts_with(char::is_numeric));
    Error::new(
        ErrorCode::NoColumn,
        crate::sql::syntax::hint::with_suggestion(format!("no such column: {name}"), c, known),
    )
}

/// The position of `e` in rows of `cols` when it is a column reference that
/// resolves there (unambiguously): what `eval` would read for it.
pub fn slot(e: &Expr, cols: &[ColRef]) -> Option<usize> {
    match e {
        Expr::Column(t, c) => resolve(cols, t, c).ok().flatten(),
        _ => None,
    }
}

/// The position of column `c` (of table `t`, if given) in `cols`; an
/// unqualified name found twice is ambiguous.
pub fn resolve(cols: &[ColRef], t: &Option<String>, c: &str) -> Result<Option<usize>> {
    let mut found = None;
    for (i, (ct, cn)) in cols.iter().enumerate() {
        if cn == c && (t.is_none() || ct == t) {
            if found.is_some() && t.is_none() {
                return Err(Error::new(
                    ErrorCode::Syntax,
                    format!("ambiguous column name: {c}"),
                ));
            }
            found = Some(i);
            if t.is_some() {
                break;
            }
        }
    }
    Ok(found)
}

use crate::sql::func::aggregate::is_aggregate;

/// True when the expression contains an aggregate call (outside subqueries).
pub fn has_aggregate(e: &Expr) -> bool {
    match e {
        Expr::Func { name, args, .. } => {
            is_aggregate(name, args.len()) || args.iter().any(has_aggregate)
        }
        Expr::Unary(_, a) | Expr::IsNull(a, _) | Expr::Cast(a, _) => has_aggregate(a),
        Expr::Binary(a, _, b) => has_aggregate(a) || has_aggregate(b),
        Expr::Between(a, b, c, _) => has_aggregate(a) || has_aggregate(b) || has_aggregate(c),
        Expr::InList(a, l, _) => has_aggregate(a) || l.iter().any(has_aggregate),
        Expr::InQuery(a, _, _) => has_aggregate(a),
        Expr::Window(f, w) => {
            let args = match f.as_ref() {
                Expr::Func { args, .. } => args.iter().any(has_aggregate),
                _ => false,
            };
            args || w.partition_by.iter().any(has_aggregate)
                || w.order_by.iter().any(|o| has_aggregate(&o.expr))
        }
        Expr::Case(o, w, e) => {
            o.as_deref().is_some_and(has_aggregate)
                || w.iter().any(|(a, b)| has_aggregate(a) || has_aggregate(b))
                || e.as_deref().is_some_and(has_aggregate)
        }
        _ => false,
    }
}

/// True when ordering `o` satisfies comparison `op`.
pub fn cmp_op(op: BinOp, o: Ordering) -> bool {
    match op {
        BinOp::Eq => o == Ordering::Equal,
        BinOp::NotEq => o != Ordering::Equal,
        BinOp::Lt => o == Ordering::Less,
        BinOp::LtEq => o != Ordering::Greater,
        BinOp::Gt => o == Ordering::Greater,
        _ => o != Ordering::Less,
    }
}

/// Evaluates an expression for one row.
pub fn eval(ctx: &Ctx, e: &Expr, s: &Scope) -> Result<Value> {
    Ok(match e {
        Expr::Lit(v) => v.clone(),
        Expr::Param(i) => ctx.param(*i)?,
        Expr::Column(t, c) => {
            let mut scope = Some(s);
            while let Some(sc) = scope {
                if let Some(i) = resolve(sc.cols, t, c)? {
                    return Ok(sc.row[i].clone());
                }
                scope = sc.outer;
            }
            return Err(no_column(t, c, s.cols, s.outer));
        }
        Expr::Unary(op, a) => {
            let v = eval(ctx, a, s)?;
            match op {
                UnOp::Neg => arith(crate::sql::datum::value::Arith::Sub, &Value::Int(0), &v),
                UnOp::Plus => v,
                UnOp::Not => match v.truth() {
                    None => Value::Null,
                    Some(b) => Value::bool(!b),
                },
            }
        }
        Expr::Binary(a, op, b) => match op {
            BinOp::And => {
                let x = eval(ctx, a, s)?.truth();
                if x == Some(false) {
                    return Ok(Value::bool(false));
                }
                match (x, eval(ctx, b, s)?.truth()) {
                    (_, Some(false)) => Value::bool(false),
                    (Some(true), Some(true)) => Value::bool(true),
                    _ => Value::Null,
                }
            }
            BinOp::Or => {
                let x = eval(ctx, a, s)?.truth();
                if x == Some(true) {
                    return Ok(Value::bool(true));
                }
                match (x, eval(ctx, b, s)?.truth()) {
                    (_, Some(true)) => Value::bool(true),
                    (Some(false), Some(false)) => Value::bool(false),
                    _ => Value::Null,
                }
            }
            BinOp::Arith(op) => arith(*op, &eval(ctx, a, s)?, &eval(ctx, b, s)?),
            BinOp::Concat => match (eval(ctx, a, s)?.to_text(), eval(ctx, b, s)?.to_text()) {
                (Some(x), Some(y)) => {
                    crate::sql::func::control::check_length(x.len() + y.len(), "||")?;
                    Value::Text(x + &y)
                }
                _ => Value::Null,
            },
            _ => match eval(ctx, a, s)?.sql_cmp(&eval(ctx, b, s)?) {
                None => Value::Null,
                Some(o) => Value::bool(cmp_op(*op, o)),
            },
        },
        Expr::IsNull(a, negated) => Value::bool(eval(ctx, a, s)?.is_null() != *negated),
        Expr::Between(x, lo, hi, negated) => {
            let v = eval(ctx, x, s)?;
            let ge = v.sql_cmp(&eval(ctx, lo, s)?).map(|o| o != Ordering::Less);
            let le = v
                .sql_cmp(&eval(ctx, hi, s)?)
                .map(|o| o != Ordering::Greater);
            let r = match (ge, le) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            };
            match r {
                None => Value::Null,
                Some(b) => Value::bool(b != *negated),
            }
        }
        Expr::InList(x, list, negated) => {
            let v = eval(ctx, x, s)?;
            let mut vals = Vec::with_capacity(list.len());
            for item in list {
                vals.push(eval(ctx, item, s)?);
            }
            in_values(&v, vals.iter(), *negated)
        }
        Expr::InQuery(x, q, negated) => {
            let v = eval(ctx, x, s)?;
            let rel = subquery(ctx, "IN", q, Some(s))?;
            one_column("IN", rel.0.len())?;
            in_values(&v, rel.1.iter().map(|r| &r[0]), *negated)
        }
        Expr::Exists(q, negated) => {
            let rel = subquery(ctx, "EXISTS", q, Some(s))?;
            Value::bool(rel.1.is_empty() == *negated)
        }
        Expr::Scalar(q) => {
            let rel = subquery(ctx, "scalar", q, Some(s))?;
            one_column("scalar", rel.0.len())?;
            rel.1
                .first()
                .and_then(|r| r.first())
                .cloned()
                .unwrap_or(Value::Null)
        }
        Expr::Case(operand, whens, otherwise) => {
            let base = operand.as_deref().map(|o| eval(ctx, o, s)).transpose()?;
            for (w, then) in whens {
                let hit = match &base {
                    Some(b) => b.sql_cmp(&eval(ctx, w, s)?) == Some(Ordering::Equal),
                    None => eval(ctx, w, s)?.truth() == Some(true),
                };
                if hit {
                    return eval(ctx, then, s);
                }
            }
            match otherwise {
                Some(o) => eval(ctx, o, s)?,
                None => Value::Null,
            }
        }
        Expr::Cast(x, ty) => {
            let v = eval(ctx, x, s)?;
            match crate::sql::datum::coltype::Kind::of(ty) {
                crate::sql::datum::coltype::Kind::Plain => cast(v, ty),
                kind => kind.normalize(v, ctx.now_micros())?,
            }
        }
        Expr::Window(f, _) => {
            let name = match f.as_ref() {
                Expr::Func { name, .. } => name.as_str(),
                _ => "?",
            };
            return Err(Error::new(
                ErrorCode::Syntax,
                format!("misuse of window function {name}(): window functions are allowed only in the SELECT list and ORDER BY"),
            ));
        }
        Expr::Func {
            name,
            args,
            distinct,
            star,
        } => {
            if is_aggregate(name, args.len()) {
                let Some(group) = s.group else {
                    return Err(Error::new(
                        ErrorCode::Syntax,
                        format!("misuse of aggregate function {name}()"),
                    ));
                };
                return crate::sql::exec::group::aggregate(
                    ctx, name, args, *distinct, *star, group, s,
                );
            }
            let mut vals = Vec::with_capacity(args.len());
            for a in args {
                vals.push(eval(ctx, a, s)?);
            }
            if name.starts_with("json") {
                let raw: Vec<bool> = args.iter().map(returns_json).collect();
                if let Some(v) = crate::sql::datum::json::call(name, &vals, &raw)? {
                    return Ok(v);
                }
            }
            crate::sql::func::functions::scalar(name, &vals, ctx.now_micros())?
        }
    })
}

/// True when an expression's value is JSON text (a JSON function's result
/// or a cast to JSON), which JSON builders embed rather than quote.
pub fn returns_json(e: &Expr) -> bool {
    match e {
        Expr::Func { name, .. } => crate::sql::datum::json::RETURNS_JSON.contains(&name.as_str()),
        Expr::Cast(_, ty) => {
            crate::sql::datum::coltype::Kind::of(ty) == crate::sql::datum::coltype::Kind::Json
        }
        _ => false,
    }
}

/// A subquery used as a value (IN, scalar) must yield exactly one column.
fn one_column(kind: &str, n: usize) -> Result<()> {
    if n == 1 {
        return Ok(());
    }
    Err(Error::new(
        ErrorCode::Syntax,
        format!("{kind} subquery returns {n} columns - expected 1"),
    ))
}

/// `v IN vals` (or NOT IN) under three-valued logic: over an empty set the
/// answer is false (true for NOT IN) even when `v` is NULL.
fn in_values<'v>(v: &Value, vals: impl Iterator<Item = &'v Value>, negated: bool) -> Value {
    let mut vals = vals.peekable();
    if vals.peek().is_none() {
        return Value::bool(negated);
    }
    if v.is_null() {
        return Value::Null;
    }
    let mut saw_null = false;
    for x in vals {
        match v.sql_cmp(x) {
            Some(Ordering::Equal) => return Value::bool(!negated),
            None => saw_null = true,
            _ => {}
        }
    }
    if saw_null {
        Value::Null
    } else {
        Value::bool(negated)
    }
}

fn cast(v: Value, ty: &str) -> Value {
    if v.is_null() {
        return v;
    }
    match Affinity::of(ty) {
        Affinity::Integer => match v.numeric() {
            Value::Real(r) => Value::Int(r as i64),
            n => n,
        },
        Affinity::Real => Value::Real(v.numeric().as_f64().unwrap_or(0.0)),
        Affinity::Text => Value::Text(v.to_text().unwrap_or_default()),
        Affinity::Numeric => v.numeric(),
        Affinity::Blob => match v {
            Value::Text(t) => Value::Blob(t.into_bytes()),
            other => other,
        },
    }
}

/// A relation: column names and rows.
pub type Relation = (Vec<ColRef>, Vec<Vec<Value>>);

/// The select list as (expression, output name) pairs, `*` and `t.*`
/// expanded over `cols` (hidden period columns left out).
pub fn select_exprs(items: &[SelectItem], cols: &[ColRef]) -> Result<Vec<(Expr, String)>> {
    let mut exprs: Vec<(Expr, String)> = Vec::new();
    for it in items {
        match it {
            SelectItem::Expr(e, a) => exprs.push((e.clone(), item_name(e, a))),
            SelectItem::Star => {
                for (t, c) in cols
                    .iter()
                    .filter(|(_, c)| !crate::sql::syntax::names::is_hidden(c))
                {
                    exprs.push((Expr::Column(t.clone(), c.clone()), c.clone()));
                }
            }
            SelectItem::TableStar(tn) => {
                let mut any = false;
                for (t, c) in cols.iter().filter(|(t, c)| {
                    t.as_deref() == Some(tn.as_str()) && !crate::sql::syntax::names::is_hidden(c)
                }) {
                    any = true;
                    exprs.push((Expr::Column(t.clone(), c.clone()), c.clone()));
                }
                if !any {
                    return Err(Error::new(
                        ErrorCode::NoTable,
                        format!("no such table: {tn}"),
                    ));
                }
            }
        }
    }
    Ok(exprs)
}

/// A select item's output name.
pub fn item_name(e: &Expr, alias: &Option<String>) -> String {
    if let Some(a) = alias {
        return a.clone();
    }
    e.output_name()
}

/// Output rows plus, per row, the values ORDER BY sorts on.
type Projected = (Vec<String>, Vec<(Vec<Value>, Vec<Value>)>);

/// Fails with `TDB_NO_COLUMN` when an expression names a column that neither
/// the FROM relation nor an enclosing query has, even if no row is evaluated.
pub fn check_columns(e: &Expr, cols: &[ColRef], outer: Option<&Scope>) -> Result<()> {
    let mut refs = Vec::new();
    columns_of(e, &mut refs);
    for (t, c) in &refs {
        let mut found = resolve(cols, t, c)?.is_some();
        let mut sc = outer;
        while let (false, Some(s)) = (found, sc) {
            found = resolve(s.cols, t, c)?.is_some();
            sc = s.outer;
        }
        if !found {
            return Err(no_column(t, c, cols, outer));
        }
    }
    Ok(())
}

fn select(
    ctx: &Ctx,
    sel: &Select,
    order: &[OrderTerm],
    keep: Option<usize>,
    outer: Option<&Scope>,
) -> Result<Projected> {
    let tok = ctx.op_start("Select", || select_detail(sel, order));
    let res = select_inner(ctx, sel, order, keep, outer);
    ctx.op_end(tok, res.as_ref().map_or(0, |(_, r)| r.len()));
    res
}

fn select_detail(sel: &Select, order: &[OrderTerm]) -> String {
    let mut d = Vec::new();
    if sel.distinct {
        d.push("DISTINCT".to_string());
    }
    if !sel.group_by.is_empty() {
        d.push(format!("GROUP BY {} key(s)", sel.group_by.len()));
    }
    if sel.having.is_some() {
        d.push("HAVING".into());
    }
    if !order.is_empty() {
        d.push(format!("ORDER BY {} term(s)", order.len()));
    }
    d.join(", ")
}

/// `keep`: only the first `keep` rows in ORDER BY order are wanted (LIMIT
/// plus OFFSET), so the rows are cut down to them as they are produced.
fn select_inner(
    ctx: &Ctx,
    sel: &Select,
    order: &[OrderTerm],
    keep: Option<usize>,
    outer: Option<&Scope>,
) -> Result<Projected> {
    if let Some((names, row)) = crate::sql::exec::count::count_only(ctx, sel, order)? {
        return Ok((names, vec![(row, Vec::new())]));
    }
    if let Some(p) = crate::sql::exec::stream_agg::run(ctx, sel, order, outer)? {
        return Ok(p);
    }
    if let Some(k) = keep {
        if let Some(p) = crate::sql::exec::stream_topk::run(ctx, sel, order, k, outer)? {
            return Ok(p);
        }
    }
    let (cols, rows) = from_where(ctx, sel, outer)?;
    if ctx.plan_only() {
        for it in &sel.items {
            if let SelectItem::Expr(e, _) = it {
                plan_subqueries(ctx, e);
            }
        }
        for e in sel.filter.iter().chain(sel.having.iter()) {
            plan_subqueries(ctx, e);
        }
    }
    if rows.is_empty() && !ctx.plan_only() {
        for it in &sel.items {
            if let SelectItem::Expr(e, _) = it {
                check_columns(e, &cols, outer)?;
            }
        }
        if let Some(f) = &sel.filter {
            check_columns(f, &cols, outer)?;
        }
    }
    let exprs = select_exprs(&sel.items, &cols)?;
    let names: Vec<String> = exprs.iter().map(|(_, n)| n.clone()).collect();
    let group_by = crate::sql::exec::group::group_terms(&sel.group_by, &exprs, &sel.items, &cols)?;
    let aggregate_query = !sel.group_by.is_empty()
        || exprs.iter().any(|(e, _)| has_aggregate(e))
        || sel.having.as_ref().is_some_and(has_aggregate);
    // Window calls become computed columns appended to each row.
    let mut calls = Vec::new();
    let exprs: Vec<Expr> = exprs
        .iter()
        .map(|(e, _)| crate::sql::exec::window::extract(e, &mut calls))
        .collect();
    let order: Vec<OrderTerm> = order
        .iter()
        .map(|o| OrderTerm {
            expr: crate::sql::exec::window::extract(&o.expr, &mut calls),
            ..o.clone()
        })
        .collect();
    let agg_tok = if aggregate_query {
        ctx.op_start("Aggregate", || {
            if sel.group_by.is_empty() {
                "whole input".to_string()
            } else {
                format!("hash on {} key(s)", sel.group_by.len())
            }
        })
    } else {
        None
    };
    // Without aggregates each row stands alone (`plain`); no per-row group.
    let (groups, plain): (Vec<Vec<Vec<Value>>>, Vec<Vec<Value>>) = if aggregate_query {
        let groups = if sel.group_by.is_empty() {
            vec![rows]
        } else {
            crate::sql::exec::group::group_rows(ctx, rows, &group_by, &cols, outer)?
        };
        (groups, Vec::new())
    } else {
        (Vec::new(), rows)
    };
    let units: Vec<&[Vec<Value>]> = if aggregate_query {
        groups.iter().map(Vec::as_slice).collect()
    } else {
        plain.iter().map(std::slice::from_ref).collect()
    };
    ctx.op_end(agg_tok, units.len());
    let empty = vec![Value::Null; cols.len()];
    fn scope_of<'s>(
        cols: &'s [ColRef],
        g: &'s [Vec<Value>],
        empty: &'s [Value],
        aggregate_query: bool,
        outer: Option<&'s Scope<'s>>,
    ) -> Scope<'s> {
        Scope {
            cols,
            row: g.first().map_or(empty, |r| r.as_slice()),
            group: aggregate_query.then_some(g),
            outer,
        }
    }
    // HAVING drops whole groups before window functions see the rows.
    let mut kept: Vec<&[Vec<Value>]> = Vec::with_capacity(units.len());
    for g in units {
        if let Some(h) = &sel.having {
            if eval(ctx, h, &scope_of(&cols, g, &empty, aggregate_query, outer))?.truth()
                != Some(true)
            {
                continue;
            }
        }
        kept.push(g);
    }
    let window_vals = if calls.is_empty() {
        Vec::new()
    } else {
        let scopes: Vec<Scope> = kept
            .iter()
            .map(|g| scope_of(&cols, g, &empty, aggregate_query, outer))
            .collect();
        let tok = ctx.op_start("Window", || format!("{} function(s)", calls.len()));
        let vals = crate::sql::exec::window::compute(ctx, &calls, &scopes)?;
        ctx.op_end(tok, vals.len());
        vals
    };
    let mut all_cols = cols.clone();
    for i in 0..calls.len() {
        all_cols.push((
            Some(crate::sql::exec::window::WINDOW_LABEL.into()),
            i.to_string(),
        ));
    }
    // Plain column outputs: positions found once, not per row.
    let slots: Vec<Option<usize>> = exprs
        .iter()
        .map(|e| match e {
            Expr::Column(t, c) => resolve(&all_cols, t, c).ok().flatten(),
            _ => None,
        })
        .collect();
    let mut out = Vec::with_capacity(kept.len());
    for (i, g) in kept.iter().enumerate() {
        let first = g.first().unwrap_or(&empty);
        let extended: Vec<Value>;
        let row: &[Value] = if calls.is_empty() {
            first
        } else {
            extended = first.iter().chain(&window_vals[i]).cloned().collect();
            &extended
        };
        let sc = Scope {
            cols: &all_cols,
            row,
            group: aggregate_query.then_some(*g),
            outer,
        };
        let mut vals = Vec::with_capacity(exprs.len());
        for (e, slot) in exprs.iter().zip(&slots) {
            vals.push(match slot {
                Some(i) => row[*i].clone(),
                None => eval(ctx, e, &sc)?,
            });
        }
        let mut keys = Vec::with_capacity(order.len());
        for o in &order {
            keys.push(order_key(ctx, o, &names, &vals, &sc)?);
        }
        crate::sql::func::control::charge(
            crate::sql::func::control::row_bytes(&vals)
                + crate::sql::func::control::row_bytes(&keys),
            "the select list's rows",
        )?;
        out.push((vals, keys));
        if let Some(k) = keep.filter(|k| out.len() >= k.saturating_mul(2).max(1024)) {
            out = crate::sql::exec::order::cut_to(out, k, &order);
        }
    }
    Ok((names, out))
}

/// The value an ORDER BY term sorts a result row on (ordinal, output
/// name, or an expression over the row).
pub fn order_key(
    ctx: &Ctx,
    o: &OrderTerm,
    names: &[String],
    vals: &[Value],
    sc: &Scope,
) -> Result<Value> {
    if let Expr::Lit(Value::Int(n)) = &o.expr {
        return vals
            .get((*n as usize).wrapping_sub(1))
            .cloned()
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::Syntax,
                    format!("ORDER BY term {n} is out of range"),
                )
            });
    }
    if let Expr::Column(None, c) = &o.expr {
        // A result column name (or alias) wins over a source column.
        if let Some(v) = names.iter().position(|n| n == c).and_then(|i| vals.get(i)) {
            return Ok(v.clone());
        }
    }
    eval(ctx, &o.expr, sc)
}

/// A row's identity for DISTINCT / UNION (numerically equal values match).
pub fn row_key(r: &[Value]) -> Vec<u8> {
    let mut k = Vec::new();
    for v in r {
        encode_key_value(&numeric_norm(v), &mut k);
    }
    k
}

fn body(
    ctx: &Ctx,
    b: &Body,
    order: &[OrderTerm],
    keep: Option<usize>,
    outer: Option<&Scope>,
) -> Result<Projected> {
    match b {
        Body::Select(s) => select(ctx, s, order, keep, outer),
        Body::Query(q) => {
            let (names, rows) = run_query(ctx, q, outer)?;
            Ok(with_output_keys(names, rows, order)?)
        }
        Body::Values(rows) => {
            let empty = Scope {
                cols: &[],
                row: &[],
                group: None,
                outer,
            };
            let mut out = Vec::new();
            for r in rows {
                let mut vals = Vec::with_capacity(r.len());
                for e in r {
                    vals.push(eval(ctx, e, &empty)?);
                }
                out.push(vals);
            }
            let names = (1..=out.first().map_or(0, |r| r.len()))
                .map(|i| format!("column{i}"))
                .collect();
            with_output_keys(names, out, order)
        }
        Body::Set(l, op, all, r) => {
            let tok = ctx.op_start(
                match op {
                    SetOp::Union if *all => "Union all",
                    SetOp::Union => "Union",
                    SetOp::Except => "Except",
                    SetOp::Intersect => "Intersect",
                },
                String::new,
            );
            let res = set_op(ctx, l, *op, *all, r, order, outer);
            ctx.op_end(tok, res.as_ref().map_or(0, |(_, r)| r.len()));
            res
        }
    }
}

fn set_op(
    ctx: &Ctx,
    l: &Body,
    op: SetOp,
    all: bool,
    r: &Body,
    order: &[OrderTerm],
    outer: Option<&Scope>,
) -> Result<Projected> {
    {
        {
            let (names, left) = body(ctx, l, &[], None, outer)?;
            let (_, right) = body(ctx, r, &[], None, outer)?;
            let left: Vec<Vec<Value>> = left.into_iter().map(|(v, _)| v).collect();
            let right: Vec<Vec<Value>> = right.into_iter().map(|(v, _)| v).collect();
            if !left.is_empty() && !right.is_empty() && left[0].len() != right[0].len() {
                return Err(Error::new(ErrorCode::Syntax, "SELECTs to the left and right of a set operation do not have the same number of result columns"));
            }
            let rows = match (op, all) {
                (SetOp::Union, true) => left.into_iter().chain(right).collect(),
                (SetOp::Union, false) => dedup(left.into_iter().chain(right), "UNION")?,
                (SetOp::Except, _) => {
                    let r = key_set(&right, "EXCEPT")?;
                    dedup(
                        left.into_iter().filter(|x| !r.contains(&row_key(x))),
                        "EXCEPT",
                    )?
                }
                (SetOp::Intersect, _) => {
                    let r = key_set(&right, "INTERSECT")?;
                    dedup(
                        left.into_iter().filter(|x| r.contains(&row_key(x))),
                        "INTERSECT",
                    )?
                }
            };
            with_output_keys(names, rows, order)
        }
    }
}

/// The distinct rows of `rows`, first occurrence first; the hash set's keys
/// count against the memory budget as `what`'s.
fn dedup(rows: impl Iterator<Item = Vec<Value>>, what: &str) -> Result<Vec<Vec<Value>>> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for r in rows {
        let k = row_key(&r);
        crate::sql::func::control::charge(32 + k.len(), what)?;
        if seen.insert(k) {
            out.push(r);
        }
    }
    Ok(out)
}

/// The keys of `rows` as a hash set, counted against the memory budget.
fn key_set(rows: &[Vec<Value>], what: &str) -> Result<HashSet<Vec<u8>>> {
    let mut set = HashSet::with_capacity(rows.len());
    for r in rows {
        let k = row_key(r);
        crate::sql::func::control::charge(32 + k.len(), what)?;
        set.insert(k);
    }
    Ok(set)
}

/// Sort keys for queries whose ORDER BY can only name output columns.
fn with_output_keys(
    names: Vec<String>,
    rows: Vec<Vec<Value>>,
    order: &[OrderTerm],
) -> Result<Projected> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let mut keys = Vec::with_capacity(order.len());
        for o in order {
            let i = match &o.expr {
                Expr::Lit(Value::Int(n)) if *n >= 1 && (*n as usize) <= r.len() => *n as usize - 1,
                Expr::Column(_, c) => names.iter().position(|n| n == c).ok_or_else(|| {
                    Error::new(
                        ErrorCode::Syntax,
                        format!("ORDER BY term `{c}` does not match any result column"),
                    )
                })?,
                _ => {
                    return Err(Error::new(
                        ErrorCode::Syntax,
                        "ORDER BY term does not match any result column",
                    ))
                }
            };
            keys.push(r[i].clone());
        }
        out.push((r, keys));
    }
    Ok((names, out))
}

/// Runs a query; `outer` is the enclosing row for correlated subqueries.
pub fn run_query(
    ctx: &Ctx,
    q: &Query,
    outer: Option<&Scope>,
) -> Result<(Vec<String>, Vec<Vec<Value>>)> {
    let tok = ctx.op_start("Query", || {
        let mut d = Vec::new();
        if !q.order_by.is_empty() {
            d.push("sort");
        }
        if q.limit.is_some() || q.offset.is_some() {
            d.push("limit");
        }
        d.join(", ")
    });
    let mark = crate::sql::func::control::mark();
    let res = run_query_with(ctx, q, outer);
    crate::sql::func::control::release_to(mark);
    ctx.op_end(tok, res.as_ref().map_or(0, |(_, r)| r.len()));
    let (names, rows) = res?;
    crate::sql::func::control::charge(
        crate::sql::func::control::rows_bytes(&rows),
        "a query's result",
    )?;
    Ok((names, rows))
}

fn run_query_with(
    ctx: &Ctx,
    q: &Query,
    outer: Option<&Scope>,
) -> Result<(Vec<String>, Vec<Vec<Value>>)> {
    if q.with.is_empty() {
        return run_query_body(ctx, q, outer);
    }
    let mark = ctx.cte_mark();
    let res = (|| {
        for c in &q.with {
            let want = crate::sql::exec::cte::rows_wanted(ctx, q, &c.name)?;
            let rows = crate::sql::exec::cte::materialize(ctx, c, outer, want)?;
            ctx.push_cte(&c.name, rows);
        }
        run_query_body(ctx, q, outer)
    })();
    ctx.pop_ctes(mark);
    res
}

fn run_query_body(
    ctx: &Ctx,
    q: &Query,
    outer: Option<&Scope>,
) -> Result<(Vec<String>, Vec<Vec<Value>>)> {
    let empty = Scope {
        cols: &[],
        row: &[],
        group: None,
        outer,
    };
    let offset = match &q.offset {
        Some(e) => int_arg(eval(ctx, e, &empty)?, "OFFSET")?,
        None => 0,
    };
    let limit = match &q.limit {
        Some(e) => int_arg(eval(ctx, e, &empty)?, "LIMIT")?,
        None => usize::MAX,
    };
    // ORDER BY … LIMIT over one SELECT (no DISTINCT): the select keeps only
    // the rows that can still be among the first `offset + limit`.
    let keep = match &q.body {
        Body::Select(s) if !s.distinct && !q.order_by.is_empty() && limit != usize::MAX => {
            Some(offset.saturating_add(limit))
        }
        _ => None,
    };
    let (names, mut rows) = body(ctx, &q.body, &q.order_by, keep, outer)?;
    if let Body::Select(s) = &q.body {
        if s.distinct {
            let mut seen = HashSet::new();
            let mut res = Ok(());
            rows.retain(|(v, _)| {
                let k = row_key(v);
                if res.is_ok() {
                    res = crate::sql::func::control::charge(32 + k.len(), "DISTINCT");
                }
                seen.insert(k)
            });
            res?;
        }
    }
    if !q.order_by.is_empty() {
        // Scratch space of the sort (or selection): a slot per row.
        crate::sql::func::control::charge(rows.len() * 8, "ORDER BY's sort")?;
        let wanted = offset.saturating_add(limit);
        rows = crate::sql::exec::order::first_k(rows, wanted, |(_, a), (_, b)| {
            cmp_keys(&q.order_by, a, b)
        });
    }
    let rows = rows
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|(v, _)| v)
        .collect();
    Ok((names, rows))
}

fn int_arg(v: Value, what: &str) -> Result<usize> {
    match v.numeric() {
        Value::Int(i) if i < 0 => Ok(usize::MAX),
        Value::Int(i) => Ok(i as usize),
        _ => Err(Error::invalid(format!("{what} must be an integer"))),
    }
}
