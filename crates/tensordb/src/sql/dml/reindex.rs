//! `REINDEX [name]`: rebuilds secondary indexes from their tables' rows —
//! every index, those of table `name`, or index `name` — in one atomic
//! write: entries no row accounts for are deleted, missing ones added. It
//! is the repair for what `CHECK DATABASE` reports about an index. A UNIQUE
//! index whose rows hold a duplicate fails with `TDB_CONSTRAINT` and
//! changes nothing (as in SQLite).

use crate::engine::commit::WriteOp;
use crate::engine::read::ScanRange;
use crate::error::{Error, ErrorCode, Result};
use crate::sql::catalog::ctx::Ctx;
use crate::sql::catalog::index::{self, Index};
use crate::sql::catalog::tables::{self, Table};
use crate::sql::dml::statement::{commit, SqlResult};
use std::collections::HashSet;
use std::sync::Arc;

/// Runs `REINDEX` over `target` (`None`: every index); `changes` counts the
/// index entries written or deleted.
pub fn reindex(ctx: &Ctx, target: Option<&str>) -> Result<SqlResult> {
    let mut work: Vec<(Arc<Table>, Vec<Index>)> = Vec::new();
    let mut names = tables::names(ctx)?;
    names.sort();
    for name in names {
        let Some(t) = tables::find(ctx, &name)? else {
            continue; // a view
        };
        let indexes = index::of_table(ctx, &t)?;
        let chosen: Vec<Index> = match target {
            None => indexes,
            Some(n) if n == t.name => indexes,
            Some(n) => indexes.into_iter().filter(|ix| ix.name == n).collect(),
        };
        if !chosen.is_empty() || target == Some(t.name.as_str()) {
            work.push((t, chosen));
        }
    }
    if let (Some(n), true) = (target, work.is_empty()) {
        return Err(Error::new(
            ErrorCode::NoTable,
            format!("no such table or index: {n}"),
        ));
    }
    let mut ops = Vec::new();
    for (t, indexes) in &work {
        rebuild(ctx, t, indexes, &mut ops)?;
    }
    let changes = ops.len() as u64;
    commit(ctx, ops, changes, None)
}

/// Adds the writes that make `indexes` of `t` agree with its rows.
fn rebuild(ctx: &Ctx, t: &Table, indexes: &[Index], ops: &mut Vec<WriteOp>) -> Result<()> {
    if indexes.is_empty() {
        return Ok(());
    }
    let mut want: Vec<HashSet<Vec<u8>>> = vec![HashSet::new(); indexes.len()];
    let mut seen: Vec<HashSet<Vec<u8>>> = vec![HashSet::new(); indexes.len()];
    let rows = ScanRange {
        prefix: Some(tables::rows_prefix(t.id)),
        ..Default::default()
    };
    ctx.scan_each(&rows, |k, v| {
        let row = t.decode(v)?;
        for (i, ix) in indexes.iter().enumerate() {
            let entry = ix.entry_key(t, &row, k);
            crate::sql::func::control::charge(32 + entry.len(), "REINDEX")?;
            if ix.unique && ix.columns.iter().all(|&c| !row[c].is_null()) {
                // The entry without its row key: the indexed values.
                let values =
                    entry[..entry.len() - (k.len() - tables::rows_prefix(t.id).len())].to_vec();
                if !seen[i].insert(values) {
                    return Err(ix.unique_error(t));
                }
            }
            want[i].insert(entry);
        }
        Ok(())
    })?;
    for (ix, mut want) in indexes.iter().zip(want) {
        let entries = ScanRange {
            prefix: Some(ix.entries_prefix()),
            ..Default::default()
        };
        ctx.scan_each(&entries, |k, _| {
            if !want.remove(k) {
                ops.push(WriteOp::delete(k.to_vec()));
            }
            Ok(())
        })?;
        let mut missing: Vec<Vec<u8>> = want.into_iter().collect();
        missing.sort();
        ops.extend(missing.into_iter().map(|k| WriteOp::put(k, Vec::new())));
    }
    Ok(())
}
