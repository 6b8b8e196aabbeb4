//! INSERT: rows from VALUES or a query, defaults, row ids, constraint checks,
//! `ON CONFLICT [(cols)] DO NOTHING | DO UPDATE SET … [WHERE …]` (the proposed
//! row is `excluded`), and RETURNING.

use crate::engine::commit::WriteOp;
use crate::error::{Error, ErrorCode, Result};
use crate::sql::catalog::ctx::Ctx;
use crate::sql::catalog::index::{self, Index};
use crate::sql::catalog::tables::{self, Table};
use crate::sql::datum::value::Value;
use crate::sql::dml::fire;
use crate::sql::dml::statement::{
    commit, constraint, next_rowid, pk_clash, prepare_row, returning, rewrite_row, run_body,
    SqlResult,
};
use crate::sql::exec::query::{eval, run_query, Scope, EMPTY_SCOPE};
use crate::sql::syntax::ast::TriggerTiming::{After, Before};
use crate::sql::syntax::ast::{ConflictAction, OnConflict, Query, SelectItem};
use std::collections::HashSet;

/// The next automatic row id: one past the table's largest (read once per
/// statement, into `db_next`) or past what the statement used (`floor`).
fn auto_rowid(ctx: &Ctx, t: &Table, db_next: &mut Option<i64>, floor: i64) -> Result<i64> {
    let base = match *db_next {
        Some(v) => v,
        None => {
            let v = next_rowid(ctx, t)?;
            *db_next = Some(v);
            v
        }
    };
    Ok(base.max(floor))
}

/// Which constraint a proposed row clashes with, and the holder's row key.
enum Clash {
    PrimaryKey(Vec<u8>),
    Unique(usize, Vec<u8>),
}

fn clash_error(t: &Table, indexes: &[Index], c: &Clash) -> Error {
    match c {
        Clash::PrimaryKey(_) => pk_clash(t),
        Clash::Unique(i, _) => indexes[*i].unique_error(t),
    }
}

/// True when the conflict target names exactly the constraint's columns.
fn covers(target: &[usize], cols: &[usize]) -> bool {
    let mut a = target.to_vec();
    let mut b = cols.to_vec();
    a.sort_unstable();
    b.sort_unstable();
    a == b
}

/// Rows this statement wrote or deleted, for clashes within the statement.
#[derive(Default)]
struct Mine {
    /// Keys of the rows this statement wrote.
    written: HashSet<Vec<u8>>,
    /// Their values, kept only for `OR REPLACE` (which may delete them again).
    rows: std::collections::HashMap<Vec<u8>, Vec<Value>>,
}

fn find_clash(
    ctx: &Ctx,
    t: &Table,
    indexes: &[Index],
    row: &[Value],
    key: &[u8],
    mine: &Mine,
    pending: &index::Pending,
) -> Result<Option<Clash>> {
    if mine.written.contains(key)
        || (!pending.deleted_rows.contains(key) && ctx.get(key)?.is_some())
    {
        return Ok(Some(Clash::PrimaryKey(key.to_vec())));
    }
    for (i, ix) in indexes.iter().enumerate() {
        if let Some(holder) = ix.holder(ctx, t, row, key, pending)? {
            return Ok(Some(Clash::Unique(i, holder)));
        }
    }
    Ok(None)
}

/// `OR REPLACE`: deletes the row `holder` (stored, or written earlier by
/// this statement) with its index entries.
fn replace_holder(
    ctx: &Ctx,
    t: &Table,
    indexes: &[Index],
    holder: Vec<u8>,
    mine: &mut Mine,
    pending: &mut index::Pending,
    ops: &mut Vec<WriteOp>,
) -> Result<()> {
    let old = match mine.rows.remove(&holder) {
        Some(r) => r,
        None => match ctx.get(&holder)? {
            Some(v) => t.decode(&v)?,
            None => return Err(Error::internal("conflicting row vanished")),
        },
    };
    index::maintain(ctx, t, indexes, Some((&old, &holder)), None, pending, ops)?;
    ops.push(WriteOp::delete(holder.clone()));
    mine.written.remove(&holder);
    pending.deleted_rows.insert(holder);
    Ok(())
}

/// Runs an INSERT.
pub fn insert(
    ctx: &Ctx,
    table: &str,
    columns: &[String],
    source: &Query,
    on_conflict: Option<&OnConflict>,
    ret: &[SelectItem],
) -> Result<SqlResult> {
    let t = tables::lookup(ctx, table)?;
    // `_valid_from` / `_valid_to` in the column list give each row's valid
    // period; they map to the slots past the table's columns.
    let (vf_slot, vt_slot) = (t.columns.len(), t.columns.len() + 1);
    let targets: Vec<usize> = if columns.is_empty() {
        (0..t.columns.len()).collect()
    } else {
        columns
            .iter()
            .map(|c| {
                if c.eq_ignore_ascii_case("_valid_from") {
                    return Ok(vf_slot);
                }
                if c.eq_ignore_ascii_case("_valid_to") {
                    return Ok(vt_slot);
                }
                if crate::sql::syntax::names::is_hidden(c) {
                    return Err(Error::invalid(format!(
                        "{c} cannot be written: system time is assigned by the database"
                    )));
                }
                t.column(c).ok_or_else(|| {
                    Error::new(
                        ErrorCode::NoColumn,
                        crate::sql::syntax::hint::with_suggestion(
                            format!(
                                "no such column: {c} (table {} has no column named {c})",
                                t.name
                            ),
                            c,
                            t.columns.iter().map(|x| x.name.as_str()),
                        ),
                    )
                })
            })
            .collect::<Result<_>>()?
    };
    let indexes = index::of_table(ctx, &t)?;
    // A conflict target must name the primary key or a UNIQUE index.
    let target: Option<Vec<usize>> = match on_conflict {
        Some(oc) if !oc.target.is_empty() => {
            let cols = oc
                .target
                .iter()
                .map(|c| {
                    t.column(c).ok_or_else(|| {
                        Error::new(
                            ErrorCode::NoColumn,
                            crate::sql::syntax::hint::with_suggestion(
                                format!("no such column: {c}"),
                                c,
                                t.columns.iter().map(|x| x.name.as_str()),
                            ),
                        )
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let pk = !t.pk.is_empty() && covers(&cols, &t.pk);
            if !pk
                && !indexes
                    .iter()
                    .any(|ix| ix.unique && covers(&cols, &ix.columns))
            {
                return Err(Error::invalid(
                    "ON CONFLICT target does not match a PRIMARY KEY or UNIQUE index",
                ));
            }
            Some(cols)
        }
        _ => None,
    };
    let triggers = fire::Armed::of(ctx, &t, fire::Kind::Insert)?;
    if on_conflict.is_some_and(|oc| matches!(oc.action, ConflictAction::Update { .. }))
        && !fire::load(ctx, &t.name, fire::Kind::Update)?.is_empty()
    {
        return Err(Error::new(
            ErrorCode::NotSupported,
            format!(
                "ON CONFLICT DO UPDATE on table {}, which has UPDATE triggers",
                t.name
            ),
        ));
    }
    let periods = targets.iter().any(|&i| i >= vf_slot);
    if periods && on_conflict.is_some() {
        return Err(Error::new(
            ErrorCode::NotSupported,
            "ON CONFLICT together with _valid_from / _valid_to",
        ));
    }
    // Valid periods this statement wrote, per row key.
    let mut periods_written: std::collections::HashMap<Vec<u8>, Vec<(i64, i64)>> =
        std::collections::HashMap::new();
    let (_, rows) = run_query(ctx, source, None)?;
    // The next automatic row id is read (a reverse scan) only when a row
    // needs one; `floor` is one past the largest id this statement used.
    let mut db_next: Option<i64> = None;
    let mut floor = i64::MIN;
    let mut pending = index::Pending::default();
    let mut ops = Vec::with_capacity(rows.len());
    let mut mine = Mine::default();
    let replace = on_conflict.is_some_and(|oc| oc.action == ConflictAction::Replace);
    let mut out_rows = Vec::new();
    let mut last = None;
    let mut changes = 0u64;
    let table_cols: Vec<_> = t
        .columns
        .iter()
        .map(|c| (Some(t.name.clone()), c.name.clone()))
        .chain(
            t.columns
                .iter()
                .map(|c| (Some("excluded".to_string()), c.name.clone())),
        )
        .collect();
    for src in rows {
        if src.len() != targets.len() {
            return Err(Error::invalid(format!(
                "{} values for {} columns",
                src.len(),
                targets.len()
            )));
        }
        let mut row = Vec::with_capacity(t.columns.len());
        for c in &t.columns {
            row.push(match &c.default {
                Some(d) => eval(ctx, d, &EMPTY_SCOPE)?,
                None => Value::Null,
            });
        }
        let (mut vf, mut vt) = (None, None);
        for (v, &i) in src.into_iter().zip(&targets) {
            if i == vf_slot {
                vf = (!v.is_null())
                    .then(|| crate::sql::datum::datetime::micros(&v, "_valid_from"))
                    .transpose()?;
            } else if i == vt_slot {
                vt = (!v.is_null())
                    .then(|| crate::sql::datum::datetime::micros(&v, "_valid_to"))
                    .transpose()?;
            } else {
                row[i] = v;
            }
        }
        let mut row = prepare_row(ctx, &t, row)?;
        if let Some(i) = t.int_pk() {
            match &row[i] {
                Value::Null => {
                    let v = auto_rowid(ctx, &t, &mut db_next, floor)?;
                    row[i] = Value::Int(v);
                }
                Value::Int(x) => floor = floor.max(x.saturating_add(1)),
                _ => {
                    return Err(Error::invalid(format!(
                        "datatype mismatch: {}.{} is an INTEGER PRIMARY KEY",
                        t.name, t.columns[i].name
                    )))
                }
            }
        }
        for &i in &t.pk {
            if row[i].is_null() {
                return Err(constraint(format!(
                    "NOT NULL constraint failed: {}.{}",
                    t.name, t.columns[i].name
                )));
            }
        }
        let rowid = if t.pk.is_empty() {
            auto_rowid(ctx, &t, &mut db_next, floor)?
        } else {
            0
        };
        let key = t.row_key(&row, rowid);
        // A row for a valid period clashes only with a current value of its
        // key inside that period (or with this statement's own periods).
        let period = if periods {
            let from = vf.unwrap_or_else(|| ctx.now_micros());
            let to = vt.unwrap_or(crate::ledger::fact::VALID_END);
            if from >= to {
                return Err(Error::invalid(
                    "_valid_from must be before _valid_to (the period is half-open)",
                ));
            }
            let mine = periods_written.entry(key.clone()).or_default();
            if mine.iter().any(|&(a, b)| a < to && from < b)
                || crate::sql::exec::temporal::key_taken(ctx, &key, from, to)?
            {
                return Err(constraint(format!(
                    "{} (a row with this key exists during that valid period)",
                    pk_clash(&t).message
                )));
            }
            mine.push((from, to));
            Some((vf, vt))
        } else {
            None
        };
        let mut clash = match period {
            Some(_) => None,
            None => find_clash(ctx, &t, &indexes, &row, &key, &mine, &pending)?,
        };
        if replace {
            while let Some(Clash::PrimaryKey(holder) | Clash::Unique(_, holder)) = clash {
                replace_holder(ctx, &t, &indexes, holder, &mut mine, &mut pending, &mut ops)?;
                clash = find_clash(ctx, &t, &indexes, &row, &key, &mine, &pending)?;
            }
        }
        if let Some(clash) = clash {
            let handled = match (&clash, &target) {
                (_, None) => on_conflict.is_some(),
                (Clash::PrimaryKey(_), Some(cols)) => covers(cols, &t.pk),
                (Clash::Unique(i, _), Some(cols)) => covers(cols, &indexes[*i].columns),
            };
            let Some(oc) = on_conflict.filter(|_| handled) else {
                return Err(clash_error(&t, &indexes, &clash));
            };
            let (Clash::PrimaryKey(holder) | Clash::Unique(_, holder)) = clash;
            let ConflictAction::Update { set, filter } = &oc.action else {
                continue; // DO NOTHING
            };
            if mine.written.contains(&holder) {
                return Err(Error::invalid(
                    "ON CONFLICT DO UPDATE cannot change a row the same statement inserted",
                ));
            }
            let old = match ctx.get(&holder)? {
                Some(v) => t.decode(&v)?,
                None => return Err(Error::internal("conflicting row vanished")),
            };
            let mut both = old.clone();
            both.extend(row.iter().cloned());
            let sc = Scope {
                cols: &table_cols,
                row: &both,
                group: None,
                outer: None,
            };
            if let Some(f) = filter {
                if eval(ctx, f, &sc)?.truth() != Some(true) {
                    continue;
                }
            }
            let mut new = old.clone();
            for (c, e) in set {
                let i = t.column(c).ok_or_else(|| {
                    Error::new(
                        ErrorCode::NoColumn,
                        crate::sql::syntax::hint::with_suggestion(
                            format!("no such column: {c}"),
                            c,
                            t.columns.iter().map(|x| x.name.as_str()),
                        ),
                    )
                })?;
                new[i] = eval(ctx, e, &sc)?;
            }
            let new = prepare_row(ctx, &t, new)?;
            let new_key = rewrite_row(
                ctx,
                &t,
                &indexes,
                &holder,
                &old,
                &new,
                &mut pending,
                &mut ops,
            )?;
            mine.written.insert(new_key);
            changes += 1;
            if !ret.is_empty() {
                out_rows.push(new);
            }
            continue;
        }
        let id = match t.int_pk() {
            Some(i) => match row[i] {
                Value::Int(x) => x,
                _ => rowid,
            },
            None if t.pk.is_empty() => rowid,
            // A table keyed by other columns still numbers its inserts.
            None => auto_rowid(ctx, &t, &mut db_next, floor)?,
        };
        floor = floor.max(id.saturating_add(1));
        last = Some(id);
        triggers.fire_row(ctx, &mut ops, Before, None, Some(&row), &[], &run_body)?;
        let start = ops.len();
        index::maintain(
            ctx,
            &t,
            &indexes,
            None,
            Some((&row, &key)),
            &mut pending,
            &mut ops,
        )?;
        ops.push(WriteOp::put(key.clone(), t.encode(&row)));
        if let Some((vf, vt)) = period {
            crate::sql::exec::temporal::set_period(&mut ops[start..], vf, vt);
        }
        triggers.fire_row(ctx, &mut ops, After, None, Some(&row), &[], &run_body)?;
        if replace {
            mine.rows.insert(key.clone(), row.clone());
        }
        mine.written.insert(key);
        changes += 1;
        if !ret.is_empty() {
            out_rows.push(row);
        }
    }
    let mut r = commit(ctx, ops, changes, last)?;
    if !ret.is_empty() {
        (r.columns, r.rows) = returning(ctx, &t, ret, &out_rows)?;
    }
    Ok(r)
}
