//! Joining two relations: a hash join when the conditions hold an equality
//! between a column expression of each side, a nested loop otherwise; inner,
//! LEFT, RIGHT and FULL outer. Hash keys are only a pre-filter: every
//! candidate pair is re-checked with the full SQL comparison, so affinity and
//! collation rules stay those of `eval`.

use crate::error::{Error, ErrorCode, Result};
use crate::sql::catalog::ctx::Ctx;
use crate::sql::datum::value::Value;
use crate::sql::exec::query::{columns_of, eval, refs_resolve, resolve, ColRef, Scope};
use crate::sql::syntax::ast::{BinOp, Expr, JoinKind};
use std::cmp::Ordering;
use std::collections::HashMap;

/// A hashable stand-in for a value that two SQL-equal values always share
/// (`Value::sql_cmp`: integers and reals compare as numbers, text only with
/// text, blobs only with blobs). Candidates are re-checked in full.
#[derive(Hash, PartialEq, Eq)]
enum HashKey {
    Num(u64),
    Text(String),
    Blob(Vec<u8>),
}

impl HashKey {
    /// Approximate heap bytes, for the statement's memory budget.
    fn bytes(&self) -> usize {
        40 + match self {
            HashKey::Num(_) => 0,
            HashKey::Text(t) => t.len(),
            HashKey::Blob(b) => b.len(),
        }
    }
}

fn hash_key(v: &Value) -> Option<HashKey> {
    let num = |x: f64| Some(HashKey::Num((x + 0.0).to_bits()));
    match v {
        Value::Null => None,
        Value::Int(i) => num(*i as f64),
        Value::Real(r) => num(*r),
        // Text equals only the same text (`Value::sql_cmp`): hashing its
        // numeric prefix put every non-numeric key in one bucket (0), so a
        // join on text keys degraded to a nested loop.
        Value::Text(t) => Some(HashKey::Text(t.clone())),
        Value::Blob(b) => Some(HashKey::Blob(b.clone())),
    }
}

/// Equalities `l = r` with `l` over the left columns only and `r` over the
/// right ones only (either way round), with the condition's position.
fn equi_pairs(conds: &[Expr], left: &[ColRef], right: &[ColRef]) -> Vec<(Expr, Expr, usize)> {
    let mut out = Vec::new();
    for (i, c) in conds.iter().enumerate() {
        if let Expr::Binary(a, BinOp::Eq, b) = c {
            if refs_resolve(a, left) && refs_resolve(b, right) {
                out.push(((**a).clone(), (**b).clone(), i));
            } else if refs_resolve(b, left) && refs_resolve(a, right) {
                out.push(((**b).clone(), (**a).clone(), i));
            }
        }
    }
    out
}

/// True when every column `e` names is found at the same place in the
/// joined row (`cols`, the side starting at `offset`) as in its side
/// (`side`), unambiguously: `e` then has the same value on either.
fn same_columns(e: &Expr, side: &[ColRef], cols: &[ColRef], offset: usize) -> bool {
    let mut refs = Vec::new();
    columns_of(e, &mut refs)
        && refs.iter().all(|(t, n)| {
            matches!(
                (resolve(side, t, n), resolve(cols, t, n)),
                (Ok(Some(i)), Ok(Some(j))) if i + offset == j
            )
        })
}

/// The values of `exprs` for one row, with their hash keys; `None` when one
/// is NULL (NULL never equals anything).
fn keys(
    ctx: &Ctx,
    exprs: &[&Expr],
    cols: &[ColRef],
    row: &[Value],
    outer: Option<&Scope>,
) -> Result<Option<(Vec<HashKey>, Vec<Value>)>> {
    let sc = Scope {
        cols,
        row,
        group: None,
        outer,
    };
    let mut k = Vec::with_capacity(exprs.len());
    let mut vals = Vec::with_capacity(exprs.len());
    for e in exprs {
        let v = eval(ctx, e, &sc)?;
        match hash_key(&v) {
            Some(h) => k.push(h),
            None => return Ok(None),
        }
        vals.push(v);
    }
    Ok(Some((k, vals)))
}

/// Joins `(lc, lr)` with `(rc, rr)` on `conds` (all must be true). Returns
/// the joined column list and rows (left columns first).
#[allow(clippy::too_many_arguments)]
pub fn join(
    ctx: &Ctx,
    lc: Vec<ColRef>,
    lr: Vec<Vec<Value>>,
    rc: Vec<ColRef>,
    rr: &[Vec<Value>],
    conds: &[Expr],
    kind: JoinKind,
    outer: Option<&Scope>,
) -> Result<(Vec<ColRef>, Vec<Vec<Value>>)> {
    let pairs = equi_pairs(conds, &lc, &rc);
    let tok = if lc.is_empty() {
        None // the first input of a FROM list: nothing to join yet
    } else {
        ctx.op_start(
            if pairs.is_empty() {
                "Nested loop join"
            } else {
                "Hash join"
            },
            || {
                let mut labels: Vec<&str> = Vec::new();
                for (l, _) in &rc {
                    if let Some(l) = l.as_deref() {
                        if !labels.contains(&l) {
                            labels.push(l);
                        }
                    }
                }
                format!(
                    "{kind:?} with {} ({} condition(s), {} hashed)",
                    labels.join(", "),
                    conds.len(),
                    pairs.len()
                )
            },
        )
    };
    let res = join_rows(ctx, lc, lr, rc, rr, conds, kind, outer, &pairs);
    ctx.op_end(tok, res.as_ref().map_or(0, |(_, r)| r.len()));
    res
}

/// The join itself (`join` wraps it to report it to EXPLAIN).
#[allow(clippy::too_many_arguments)]
fn join_rows(
    ctx: &Ctx,
    lc: Vec<ColRef>,
    lr: Vec<Vec<Value>>,
    rc: Vec<ColRef>,
    rr: &[Vec<Value>],
    conds: &[Expr],
    kind: JoinKind,
    outer: Option<&Scope>,
    pairs: &[(Expr, Expr, usize)],
) -> Result<(Vec<ColRef>, Vec<Vec<Value>>)> {
    let (width_l, width_r) = (lc.len(), rc.len());
    let mut cols = lc;
    cols.extend(rc.iter().cloned());
    // Candidate right rows per left row, with the right rows' key values.
    let mut right_keys: Vec<Vec<Value>> = Vec::new();
    let index: Option<HashMap<Vec<HashKey>, Vec<usize>>> = if pairs.is_empty() {
        None
    } else {
        let right_exprs: Vec<&Expr> = pairs.iter().map(|p| &p.1).collect();
        let mut m: HashMap<Vec<HashKey>, Vec<usize>> = HashMap::new();
        right_keys = vec![Vec::new(); rr.len()];
        for (i, r) in rr.iter().enumerate() {
            if let Some((k, vals)) = keys(ctx, &right_exprs, &rc, r, outer)? {
                crate::sql::func::control::charge(
                    48 + k.iter().map(HashKey::bytes).sum::<usize>(),
                    "a hash join's table",
                )?;
                m.entry(k).or_default().push(i);
                right_keys[i] = vals;
            }
        }
        Some(m)
    };
    // The hashed equalities are checked on the key values already computed
    // (`=` is `sql_cmp` equality, as `eval` has it) when every column they
    // name resolves unambiguously in the joined row too; the other
    // conditions are evaluated on the joined row.
    let by_keys = !pairs.is_empty()
        && pairs.iter().all(|(a, b, _)| {
            same_columns(a, &cols[..width_l], &cols, 0) && same_columns(b, &rc, &cols, width_l)
        });
    let rest: Vec<&Expr> = if by_keys {
        conds
            .iter()
            .enumerate()
            .filter(|(i, _)| !pairs.iter().any(|p| p.2 == *i))
            .map(|(_, c)| c)
            .collect()
    } else {
        conds.iter().collect()
    };
    let left_exprs: Vec<&Expr> = pairs.iter().map(|p| &p.0).collect();
    let left_cols = &cols[..width_l];
    let all: Vec<usize> = if index.is_none() {
        (0..rr.len()).collect()
    } else {
        Vec::new()
    };
    let mut right_matched = vec![false; rr.len()];
    let mut rows = Vec::new();
    let empty: Vec<usize> = Vec::new();
    for a in lr {
        let mut left_vals = Vec::new();
        let candidates: &[usize] = match &index {
            None => &all,
            Some(m) => match keys(ctx, &left_exprs, left_cols, &a, outer)? {
                Some((k, vals)) => {
                    left_vals = vals;
                    m.get(&k).map(Vec::as_slice).unwrap_or(&empty)
                }
                None => &empty,
            },
        };
        let mut matched = false;
        'pair: for &j in candidates {
            crate::sql::func::control::tick()?;
            if by_keys
                && !left_vals
                    .iter()
                    .zip(&right_keys[j])
                    .all(|(x, y)| x.sql_cmp(y) == Some(Ordering::Equal))
            {
                continue;
            }
            let mut row = Vec::with_capacity(width_l + width_r);
            row.extend(a.iter().cloned());
            row.extend(rr[j].iter().cloned());
            let sc = Scope {
                cols: &cols,
                row: &row,
                group: None,
                outer,
            };
            for c in &rest {
                if eval(ctx, c, &sc)?.truth() != Some(true) {
                    continue 'pair;
                }
            }
            matched = true;
            right_matched[j] = true;
            crate::sql::func::control::charge(
                crate::sql::func::control::row_bytes(&row),
                "a join's output",
            )?;
            rows.push(row);
        }
        if !matched && matches!(kind, JoinKind::Left | JoinKind::Full) {
            let mut row = a;
            row.extend(std::iter::repeat_n(Value::Null, width_r));
            rows.push(row);
        }
    }
    if matches!(kind, JoinKind::Right | JoinKind::Full) {
        for (j, r) in rr.iter().enumerate() {
            if !right_matched[j] {
                let mut row = vec![Value::Null; width_l];
                row.extend(r.iter().cloned());
                rows.push(row);
            }
        }
    }
    Ok((cols, rows))
}

/// `JOIN … USING (columns)` and NATURAL JOIN (`using` is `None`: every
/// column name both sides have): an equi-join on those columns whose result
/// holds each join column once, at the left side's position — for RIGHT and
/// FULL joins with the right side's value where the left has none. The
/// right side's copies are dropped, so a join column is referred to
/// unqualified or through the left table.
#[allow(clippy::too_many_arguments)]
pub fn join_using(
    ctx: &Ctx,
    lc: Vec<ColRef>,
    lr: Vec<Vec<Value>>,
    rc: Vec<ColRef>,
    rr: Vec<Vec<Value>>,
    using: Option<&[String]>,
    kind: JoinKind,
    outer: Option<&Scope>,
) -> Result<(Vec<ColRef>, Vec<Vec<Value>>)> {
    let names: Vec<String> = match using {
        Some(u) => u.to_vec(),
        None => {
            let mut n: Vec<String> = Vec::new();
            for (_, c) in &lc {
                if rc.iter().any(|(_, r)| r == c) && !n.contains(c) {
                    n.push(c.clone());
                }
            }
            n
        }
    };
    let find = |cols: &[ColRef], n: &str, side: &str| -> Result<usize> {
        let hits: Vec<usize> = (0..cols.len()).filter(|&i| cols[i].1 == n).collect();
        match hits.as_slice() {
            [i] => Ok(*i),
            [] => Err(Error::new(
                ErrorCode::NoColumn,
                format!("cannot join USING ({n}): the {side} side has no column {n}"),
            )),
            _ => Err(Error::new(
                ErrorCode::Syntax,
                format!("cannot join USING ({n}): the {side} side has several columns {n}"),
            )),
        }
    };
    let mut pairs = Vec::with_capacity(names.len());
    let mut conds = Vec::with_capacity(names.len());
    for n in &names {
        let (li, ri) = (find(&lc, n, "left")?, find(&rc, n, "right")?);
        pairs.push((li, ri));
        conds.push(Expr::Binary(
            Box::new(Expr::Column(lc[li].0.clone(), n.clone())),
            BinOp::Eq,
            Box::new(Expr::Column(rc[ri].0.clone(), n.clone())),
        ));
    }
    let width_l = lc.len();
    let (cols, rows) = join(ctx, lc, lr, rc, &rr, &conds, kind, outer)?;
    let dropped: Vec<usize> = pairs.iter().map(|&(_, ri)| width_l + ri).collect();
    let keep: Vec<usize> = (0..cols.len()).filter(|i| !dropped.contains(i)).collect();
    let out_cols = keep.iter().map(|&i| cols[i].clone()).collect();
    let out_rows = rows
        .into_iter()
        .map(|mut row| {
            for &(li, ri) in &pairs {
                if row[li].is_null() {
                    row[li] = std::mem::replace(&mut row[width_l + ri], Value::Null);
                }
            }
            keep.iter()
                .map(|&i| std::mem::replace(&mut row[i], Value::Null))
                .collect()
        })
        .collect();
    Ok((out_cols, out_rows))
}

/// An index nested-loop join on the right table's primary key: for an
/// INNER or LEFT join whose ON condition binds every primary-key column of
/// the right table to an expression of the left side, each left row costs
/// one point read instead of loading the right table whole. Chosen at run
/// time: the right table is probed with a scan capped at about twice the
/// left side's rows, and only a table bigger than that is joined by lookups
/// (a smaller one is joined by hashing as before, so at most that many rows
/// are read in vain). `None` when the join does not qualify.
#[allow(clippy::too_many_arguments)]
pub fn lookup_join(
    ctx: &Ctx,
    lc: &[ColRef],
    lr: &[Vec<Value>],
    name: &str,
    alias: &Option<String>,
    conds: &[Expr],
    kind: JoinKind,
    outer: Option<&Scope>,
) -> Result<Option<crate::sql::exec::query::Relation>> {
    if !matches!(kind, JoinKind::Inner | JoinKind::Left) || lr.is_empty() {
        return Ok(None);
    }
    let Some(t) = crate::sql::catalog::tables::find(ctx, name)? else {
        return Ok(None);
    };
    if t.pk.is_empty() {
        return Ok(None);
    }
    let label = alias.clone().unwrap_or_else(|| name.to_string());
    let rc: Vec<ColRef> = t.column_refs(&label);
    // A left-side expression for every primary-key column.
    let mut keys: Vec<&Expr> = Vec::with_capacity(t.pk.len());
    for &pk in &t.pk {
        let col = &t.columns[pk].name;
        let is_pk = |e: &Expr| {
            matches!(e, Expr::Column(q, c) if c == col
                && q.as_deref().is_none_or(|q| q == label)
                && (q.is_some() || !lc.iter().any(|(_, n)| n == c)))
        };
        let found = conds.iter().find_map(|c| match c {
            Expr::Binary(a, BinOp::Eq, b) if is_pk(a) && refs_resolve(b, lc) => Some(b.as_ref()),
            Expr::Binary(a, BinOp::Eq, b) if is_pk(b) && refs_resolve(a, lc) => Some(a.as_ref()),
            _ => None,
        });
        match found {
            Some(e) => keys.push(e),
            None => return Ok(None),
        }
    }
    // Probe: is the right table bigger than the lookups would read?
    let cap = lr.len().saturating_mul(2).saturating_add(64);
    let mut seen = 0usize;
    ctx.scan_each(
        &crate::engine::read::ScanRange {
            prefix: Some(crate::sql::catalog::tables::rows_prefix(t.id)),
            limit: Some(cap),
            ..Default::default()
        },
        |_, _| {
            seen += 1;
            Ok(())
        },
    )?;
    if seen < cap {
        return Ok(None);
    }
    let tok = ctx.op_start("Lookup join", || {
        format!("{kind:?} with {label} by primary key")
    });
    let mut cols = lc.to_vec();
    cols.extend(rc.iter().cloned());
    let mut out = Vec::new();
    let mut probe = vec![Value::Null; t.columns.len()];
    let mask = ctx.mask(&t);
    for left in lr {
        let ls = Scope {
            cols: lc,
            row: left,
            group: None,
            outer,
        };
        let mut null_key = false;
        for (&pk, e) in t.pk.iter().zip(&keys) {
            let v = t.columns[pk].affinity.apply(eval(ctx, e, &ls)?);
            null_key |= v.is_null();
            probe[pk] = v;
        }
        let mut matched = false;
        if !null_key {
            if let Some(bytes) = ctx.get(&t.row_key(&probe, 0))? {
                let mut row = left.clone();
                row.extend(t.decode_masked(&bytes, 0, mask.as_deref())?);
                let s = Scope {
                    cols: &cols,
                    row: &row,
                    group: None,
                    outer,
                };
                let mut ok = true;
                for c in conds {
                    if eval(ctx, c, &s)?.truth() != Some(true) {
                        ok = false;
                        break;
                    }
                }
                if ok {
                    matched = true;
                    out.push(row);
                }
            }
        }
        if !matched && kind == JoinKind::Left {
            let mut row = left.clone();
            row.extend(std::iter::repeat_n(Value::Null, rc.len()));
            out.push(row);
        }
    }
    ctx.op_end(tok, out.len());
    Ok(Some((cols, out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_keys_hash_apart_and_numbers_hash_together() {
        let k = |v: Value| hash_key(&v).unwrap();
        // Distinct texts land in distinct buckets (they used to share the
        // bucket of their numeric prefix, 0).
        assert!(k(Value::Text("k1".into())) != k(Value::Text("k2".into())));
        assert!(k(Value::Text("12a".into())) != k(Value::Text("12b".into())));
        // Values SQL calls equal share a bucket.
        assert!(k(Value::Int(3)) == k(Value::Real(3.0)));
        assert!(k(Value::Real(0.0)) == k(Value::Real(-0.0)));
        assert!(k(Value::Text("x".into())) == k(Value::Text("x".into())));
        assert!(hash_key(&Value::Null).is_none());
    }
}
