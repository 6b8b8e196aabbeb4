//! Writes to a view: INSERT, UPDATE and DELETE on a view run its INSTEAD OF
//! triggers, once per row the statement names — each new row of an INSERT
//! (`NEW`), each view row an UPDATE or DELETE matches (`OLD`, and `NEW` with
//! the SET applied) — and write nothing themselves. A view without such a
//! trigger for the statement stays read-only.

use crate::error::{Error, ErrorCode, Result};
use crate::sql::catalog::ctx::Ctx;
use crate::sql::catalog::view::View;
use crate::sql::datum::value::Value;
use crate::sql::dml::fire::{self, Exec, Kind};
use crate::sql::exec::query::{eval, run_query, ColRef, Scope};
use crate::sql::syntax::ast::{Expr, Statement, TriggerTiming};

/// Runs INSERT / UPDATE / DELETE statement `s` on view `v`; returns the
/// number of rows it handed to the triggers.
pub fn write(ctx: &Ctx, v: &View, s: &Statement, exec: Exec) -> Result<u64> {
    let (kind, returning) = match s {
        Statement::Insert { returning, .. } => (Kind::Insert, returning),
        Statement::Update {
            returning,
            portion: None,
            ..
        } => (Kind::Update, returning),
        Statement::Delete {
            returning,
            portion: None,
            ..
        } => (Kind::Delete, returning),
        _ => return Err(read_only(&v.name, "this statement")),
    };
    if !returning.is_empty() {
        return Err(Error::new(
            ErrorCode::NotSupported,
            format!(
                "RETURNING on view {} (writes to views run their triggers)",
                v.name
            ),
        ));
    }
    let triggers: Vec<_> = fire::load(ctx, &v.name, kind)?
        .into_iter()
        .filter(|d| d.timing == TriggerTiming::InsteadOf)
        .collect();
    if triggers.is_empty() {
        let what = match kind {
            Kind::Insert => "INSERT",
            Kind::Update => "UPDATE",
            Kind::Delete => "DELETE",
        };
        return Err(read_only(&v.name, what));
    }
    let (names, rows) = crate::sql::exec::views::relation(ctx, v, &None)?;
    let names: Vec<String> = names.into_iter().map(|(_, n)| n).collect();
    let label = Some(v.name.clone());
    let cols: Vec<ColRef> = names.iter().map(|n| (label.clone(), n.clone())).collect();
    let mut changes = 0u64;
    let mut one = |old: Option<&[Value]>, new: Option<&[Value]>, assigned: &[usize]| {
        changes += 1;
        fire::fire(
            ctx,
            &names,
            &triggers,
            TriggerTiming::InsteadOf,
            old,
            new,
            assigned,
            exec,
        )
    };
    match s {
        Statement::Insert {
            columns, source, ..
        } => {
            let targets: Vec<usize> = if columns.is_empty() {
                (0..names.len()).collect()
            } else {
                columns
                    .iter()
                    .map(|c| position(&names, c, &v.name))
                    .collect::<Result<_>>()?
            };
            let (_, src) = run_query(ctx, source, None)?;
            for r in src {
                if r.len() != targets.len() {
                    return Err(Error::invalid(format!(
                        "{} values for {} columns",
                        r.len(),
                        targets.len()
                    )));
                }
                let mut new = vec![Value::Null; names.len()];
                for (val, &i) in r.into_iter().zip(&targets) {
                    new[i] = val;
                }
                one(None, Some(&new), &[])?;
            }
        }
        Statement::Update { set, filter, .. } => {
            let targets: Vec<(usize, &Expr)> = set
                .iter()
                .map(|(c, e)| Ok((position(&names, c, &v.name)?, e)))
                .collect::<Result<_>>()?;
            let assigned: Vec<usize> = targets.iter().map(|t| t.0).collect();
            // As in SQLite: an UPDATE no trigger's `OF` columns cover is refused.
            let covered = triggers.iter().any(|d| match &d.event {
                crate::sql::syntax::ast::TriggerEvent::Update(of) => {
                    of.is_empty()
                        || of.iter().any(|c| {
                            names
                                .iter()
                                .position(|n| n == c)
                                .is_some_and(|i| assigned.contains(&i))
                        })
                }
                _ => false,
            });
            if !covered {
                return Err(read_only(&v.name, "UPDATE"));
            }
            for row in &rows {
                let sc = Scope {
                    cols: &cols,
                    row,
                    group: None,
                    outer: None,
                };
                if !matches(ctx, filter.as_ref(), &sc)? {
                    continue;
                }
                let mut new = row.clone();
                for (i, e) in &targets {
                    new[*i] = eval(ctx, e, &sc)?;
                }
                one(Some(row), Some(&new), &assigned)?;
            }
        }
        Statement::Delete { filter, .. } => {
            for row in &rows {
                let sc = Scope {
                    cols: &cols,
                    row,
                    group: None,
                    outer: None,
                };
                if matches(ctx, filter.as_ref(), &sc)? {
                    one(Some(row), None, &[])?;
                }
            }
        }
        _ => {}
    }
    Ok(changes)
}

fn matches(ctx: &Ctx, filter: Option<&Expr>, sc: &Scope) -> Result<bool> {
    Ok(match filter {
        Some(f) => eval(ctx, f, sc)?.truth() == Some(true),
        None => true,
    })
}

fn position(names: &[String], c: &str, view: &str) -> Result<usize> {
    names.iter().position(|n| n == c).ok_or_else(|| {
        Error::new(
            ErrorCode::NoColumn,
            format!("no such column: {c} (view {view})"),
        )
    })
}

fn read_only(view: &str, what: &str) -> Error {
    Error::new(
        ErrorCode::NotSupported,
        format!("cannot {what} view {view}: views are read-only unless an INSTEAD OF trigger handles the statement"),
    )
}
