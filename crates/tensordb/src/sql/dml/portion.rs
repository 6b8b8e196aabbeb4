//! `UPDATE … FOR PORTION OF VALID_TIME FROM a TO b` and `DELETE … FOR
//! PORTION OF VALID_TIME FROM a TO b`: SQL:2011 splitting semantics on the
//! fact model.
//!
//! Each current version of a row that overlaps `[a, b)` is clipped to it;
//! where the WHERE clause holds (evaluated on the version's values and
//! clipped period), a fact for exactly the clipped period is written — the
//! updated row, or a delete — with the index entries changed for the same
//! period. The parts of the row outside `[a, b)` are not written at all: by
//! the read rule they keep their old values.

use crate::engine::commit::WriteOp;
use crate::error::{Error, ErrorCode, Result};
use crate::ledger::timeline::SYSTEM_END;
use crate::sql::catalog::ctx::Ctx;
use crate::sql::catalog::index;
use crate::sql::catalog::tables;
use crate::sql::datum::datetime::micros;
use crate::sql::datum::value::Value;
use crate::sql::dml::statement::{apply_set, commit, returning, set_targets, SqlResult};
use crate::sql::exec::query::{eval, ColRef, Scope, EMPTY_SCOPE};
use crate::sql::exec::temporal::{period_values, set_period, versions_of};
use crate::sql::syntax::ast::{Expr, SelectItem};
use crate::sql::syntax::names::HIDDEN;

/// The period `[a, b)` of a FOR PORTION OF clause, in µs.
fn period(ctx: &Ctx, p: &(Expr, Expr)) -> Result<(i64, i64)> {
    let a = micros(&eval(ctx, &p.0, &EMPTY_SCOPE)?, "FOR PORTION OF … FROM")?;
    let b = micros(&eval(ctx, &p.1, &EMPTY_SCOPE)?, "FOR PORTION OF … TO")?;
    if a >= b {
        return Err(Error::invalid(
            "FOR PORTION OF needs FROM before TO (an empty period changes nothing)",
        ));
    }
    Ok((a, b))
}

/// A version of a row clipped to the portion: key, values followed by the
/// hidden period columns (for the clipped period), and that period.
type Piece = (Vec<u8>, Vec<Value>, i64, i64);

/// The current versions of the table's rows clipped to `[a, b)` where
/// `filter` holds.
fn pieces(
    ctx: &Ctx,
    t: &tables::Table,
    cols: &[ColRef],
    filter: Option<&Expr>,
    (a, b): (i64, i64),
) -> Result<Vec<Piece>> {
    let (now_t, _) = ctx.db.resolve(&ctx.at)?;
    let mut conds = Vec::new();
    if let Some(f) = filter {
        crate::sql::exec::query::split_and(f, &mut conds);
    }
    let table_cols = &cols[..t.columns.len()];
    conds.retain(|c| crate::sql::exec::query::refs_resolve(c, table_cols));
    let mut out = Vec::new();
    versions_of(ctx, t, &t.name, &conds, now_t, |key, row, v| {
        if v.system_to != SYSTEM_END || v.valid_to <= a || b <= v.valid_from {
            return Ok(());
        }
        let (from, to) = (v.valid_from.max(a), v.valid_to.min(b));
        let mut clipped = *v;
        clipped.valid_from = from;
        clipped.valid_to = to;
        let mut full = row.clone();
        full.extend(period_values(&clipped));
        let keep = match filter {
            None => true,
            Some(f) => {
                let sc = Scope {
                    cols,
                    row: &full,
                    group: None,
                    outer: None,
                };
                eval(ctx, f, &sc)?.truth() == Some(true)
            }
        };
        if keep {
            out.push((key.to_vec(), full, from, to));
        }
        Ok(())
    })?;
    Ok(out)
}

/// What both statements work from: the table's columns with the hidden
/// ones, its indexes, and the clipped versions where `filter` holds.
type Target = (Vec<ColRef>, Vec<index::Index>, Vec<Piece>);

fn target(
    ctx: &Ctx,
    t: &tables::Table,
    filter: Option<&Expr>,
    portion: &(Expr, Expr),
) -> Result<Target> {
    let span = period(ctx, portion)?;
    let cols = columns(t);
    let indexes = index::of_table(ctx, t)?;
    let found = pieces(ctx, t, &cols, filter, span)?;
    Ok((cols, indexes, found))
}

fn columns(t: &tables::Table) -> Vec<ColRef> {
    t.columns
        .iter()
        .map(|c| c.name.clone())
        .chain(HIDDEN.iter().map(|h| h.to_string()))
        .map(|n| (Some(t.name.clone()), n))
        .collect()
}

/// FOR PORTION OF writes do not fire triggers yet: refused on tables that
/// have any, rather than skipping them silently.
fn no_triggers(ctx: &Ctx, t: &crate::sql::catalog::tables::Table) -> Result<()> {
    if crate::sql::catalog::trigger::of_table(ctx, &t.name)?.is_empty() {
        return Ok(());
    }
    Err(crate::error::Error::new(
        crate::error::ErrorCode::NotSupported,
        format!("FOR PORTION OF on table {}, which has triggers", t.name),
    ))
}

/// `UPDATE t FOR PORTION OF VALID_TIME FROM a TO b SET … [WHERE …]`.
pub fn update(
    ctx: &Ctx,
    table: &str,
    set: &[(String, Expr)],
    filter: Option<&Expr>,
    ret: &[SelectItem],
    portion: &(Expr, Expr),
) -> Result<SqlResult> {
    let t = tables::lookup(ctx, table)?;
    no_triggers(ctx, &t)?;
    let targets = set_targets(&t, set)?;
    if targets.iter().any(|(i, _)| t.pk.contains(i)) {
        return Err(Error::new(
            ErrorCode::NotSupported,
            "changing the primary key FOR PORTION OF a period (update it for all time instead)",
        ));
    }
    let (cols, indexes, found) = target(ctx, &t, filter, portion)?;
    let n = t.columns.len();
    let mut pending = crate::sql::catalog::index::Pending::default();
    let mut ops: Vec<WriteOp> = Vec::new();
    let mut written = Vec::new();
    for (key, full, from, to) in &found {
        let row = &full[..n];
        let new = apply_set(ctx, &t, &targets, &cols, full, row)?;
        let start = ops.len();
        index::maintain(
            ctx,
            &t,
            &indexes,
            Some((row, key)),
            Some((&new, key)),
            &mut pending,
            &mut ops,
        )?;
        ops.push(WriteOp::put(key.clone(), t.encode(&new)));
        set_period(&mut ops[start..], Some(*from), Some(*to));
        if !ret.is_empty() {
            written.push(new);
        }
    }
    let mut r = commit(ctx, ops, found.len() as u64, None)?;
    if !ret.is_empty() {
        (r.columns, r.rows) = returning(ctx, &t, ret, &written)?;
    }
    Ok(r)
}

/// `DELETE FROM t FOR PORTION OF VALID_TIME FROM a TO b [WHERE …]`.
pub fn delete(
    ctx: &Ctx,
    table: &str,
    filter: Option<&Expr>,
    ret: &[SelectItem],
    portion: &(Expr, Expr),
) -> Result<SqlResult> {
    let t = tables::lookup(ctx, table)?;
    no_triggers(ctx, &t)?;
    let (_, indexes, found) = target(ctx, &t, filter, portion)?;
    let n = t.columns.len();
    let mut pending = crate::sql::catalog::index::Pending::default();
    let mut ops: Vec<WriteOp> = Vec::new();
    for (key, full, from, to) in &found {
        let start = ops.len();
        index::maintain(
            ctx,
            &t,
            &indexes,
            Some((&full[..n], key)),
            None,
            &mut pending,
            &mut ops,
        )?;
        ops.push(WriteOp::delete(key.clone()));
        set_period(&mut ops[start..], Some(*from), Some(*to));
    }
    let mut r = commit(ctx, ops, found.len() as u64, None)?;
    if !ret.is_empty() {
        let old: Vec<Vec<Value>> = found
            .into_iter()
            .map(|(_, mut r, _, _)| {
                r.truncate(n);
                r
            })
            .collect();
        (r.columns, r.rows) = returning(ctx, &t, ret, &old)?;
    }
    Ok(r)
}
