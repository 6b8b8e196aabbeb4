//! Point-in-time recovery of one table, and the SQL side of backups.
//!
//! `RESTORE TABLE t TO EPOCH n` (or `TO <system time>`) makes the table's
//! current knowledge equal what it was then — over all valid time, so later
//! retroactive corrections are undone too — by writing new facts: for each
//! row and each stretch of valid time where the value then and the value now
//! differ, a put of the old value (or a delete) for exactly that stretch,
//! with its index entries. History is kept: the restore is itself a commit.

use crate::engine::backup::BackupInfo;
use crate::engine::commit::WriteOp;
use crate::engine::db::ReadAt;
use crate::error::{Error, ErrorCode, Result};
use crate::ledger::timeline::SYSTEM_END;
use crate::sql::catalog::ctx::Ctx;
use crate::sql::catalog::index;
use crate::sql::catalog::tables;
use crate::sql::datum::value::Value;
use crate::sql::dml::statement::{commit, SqlResult};
use crate::sql::exec::query::{eval, EMPTY_SCOPE};
use crate::sql::exec::temporal::{set_period, system_sel, versions_of, Sel};
use crate::sql::syntax::ast::{Expr, TimeSpec};
use std::collections::BTreeMap;

/// One row's valid-time timeline: (from, to, values), sorted, disjoint.
type Timeline = Vec<(i64, i64, Vec<Value>)>;

fn timelines(ctx: &Ctx, t: &tables::Table, max_sys: u64) -> Result<BTreeMap<Vec<u8>, Timeline>> {
    let mut out: BTreeMap<Vec<u8>, Timeline> = BTreeMap::new();
    versions_of(ctx, t, &t.name, &[], max_sys, |key, row, v| {
        if v.system_to == SYSTEM_END {
            out.entry(key.to_vec())
                .or_default()
                .push((v.valid_from, v.valid_to, row));
        }
        Ok(())
    })?;
    for tl in out.values_mut() {
        tl.sort_by_key(|x| x.0);
    }
    Ok(out)
}

fn value_at(tl: &Timeline, v: i64) -> Option<&Vec<Value>> {
    tl.iter().find(|x| x.0 <= v && v < x.1).map(|x| &x.2)
}

/// `RESTORE TABLE name TO …`.
pub fn restore_table(ctx: &Ctx, name: &str, to: &TimeSpec) -> Result<SqlResult> {
    let (now_t, _) = ctx.db.resolve(&ctx.at)?;
    let Sel::At(then) = system_sel(ctx, Some(to), now_t)? else {
        return Err(Error::invalid(
            "RESTORE TABLE takes one point in system time",
        ));
    };
    let t = tables::lookup(ctx, name)?;
    let old_ctx = ctx.at_time(ReadAt {
        as_of: Some(then),
        epoch: None,
        valid_at: None,
    });
    if !tables::exists(&old_ctx, name)? {
        return Err(Error::new(
            ErrorCode::NoTable,
            format!("table {name} did not exist at system time {then}"),
        ));
    }
    if tables::lookup(&old_ctx, name)?.id != t.id {
        return Err(Error::new(
            ErrorCode::NotSupported,
            format!("table {name} was dropped and created again since then; restore it by hand"),
        ));
    }
    let old = timelines(ctx, &t, then)?;
    let cur = timelines(ctx, &t, now_t)?;
    let indexes = index::of_table(ctx, &t)?;
    let mut pending = crate::sql::catalog::index::Pending::default();
    let mut ops: Vec<WriteOp> = Vec::new();
    let mut changes = 0u64;
    let empty = Timeline::new();
    let keys: std::collections::BTreeSet<&Vec<u8>> = old.keys().chain(cur.keys()).collect();
    for key in keys {
        let (o, c) = (
            old.get(key).unwrap_or(&empty),
            cur.get(key).unwrap_or(&empty),
        );
        let mut cuts: Vec<i64> = o.iter().chain(c).flat_map(|x| [x.0, x.1]).collect();
        cuts.sort_unstable();
        cuts.dedup();
        let mut changed = false;
        // Stretches between cuts; neighbours with the same (old, now) pair merge.
        let mut i = 0;
        while i + 1 < cuts.len() {
            let (from, pair) = (cuts[i], (value_at(o, cuts[i]), value_at(c, cuts[i])));
            let mut j = i + 1;
            while j + 1 < cuts.len() && (value_at(o, cuts[j]), value_at(c, cuts[j])) == pair {
                j += 1;
            }
            let to = cuts[j];
            i = j;
            let (was, is) = pair;
            if was == is {
                continue;
            }
            changed = true;
            let start = ops.len();
            index::maintain(
                ctx,
                &t,
                &indexes,
                is.map(|r| (r.as_slice(), key.as_slice())),
                was.map(|r| (r.as_slice(), key.as_slice())),
                &mut pending,
                &mut ops,
            )?;
            ops.push(match was {
                Some(r) => WriteOp::put(key.clone(), t.encode(r)),
                None => WriteOp::delete(key.clone()),
            });
            set_period(&mut ops[start..], Some(from), Some(to));
        }
        changes += changed as u64;
    }
    commit(ctx, ops, changes, None)
}

fn text(ctx: &Ctx, e: &Expr, what: &str) -> Result<String> {
    match eval(ctx, e, &EMPTY_SCOPE)? {
        Value::Text(s) if !s.is_empty() => Ok(s),
        other => Err(Error::invalid(format!(
            "{what} takes a file path (text), not {other:?}"
        ))),
    }
}

fn info_result(info: BackupInfo) -> SqlResult {
    let columns: Vec<String> = ["since", "to", "epoch", "commits", "facts"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let row = [info.since, info.to, info.epoch, info.commits, info.facts]
        .iter()
        .map(|&v| Value::Int(v as i64))
        .collect();
    SqlResult {
        types: vec![""; columns.len()],
        columns,
        rows: vec![row],
        ..Default::default()
    }
}

/// `BACKUP TO path [SINCE EPOCH n]`: one row (since, to, epoch, commits, facts).
pub fn backup(ctx: &Ctx, path: &Expr, since: Option<&Expr>) -> Result<SqlResult> {
    let p = text(ctx, path, "BACKUP TO")?;
    let since = match since.map(|e| eval(ctx, e, &EMPTY_SCOPE)).transpose()? {
        None => None,
        Some(Value::Int(n)) if n >= 1 => Some(n as u64),
        Some(other) => {
            return Err(Error::invalid(format!(
                "SINCE EPOCH takes an epoch number, not {other:?}"
            )))
        }
    };
    Ok(info_result(ctx.db.backup(std::path::Path::new(&p), since)?))
}

/// `RESTORE FROM path`.
pub fn restore(ctx: &Ctx, path: &Expr) -> Result<SqlResult> {
    let p = text(ctx, path, "RESTORE FROM")?;
    Ok(info_result(ctx.db.restore(std::path::Path::new(&p))?))
}

/// `VERIFY BACKUP path`.
pub fn verify(ctx: &Ctx, path: &Expr) -> Result<SqlResult> {
    let p = text(ctx, path, "VERIFY BACKUP")?;
    Ok(info_result(crate::engine::backup::verify(
        std::path::Path::new(&p),
    )?))
}
