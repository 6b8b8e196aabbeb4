//! Access paths: instead of loading a whole table, equality predicates on
//! constants (`col = 5`, `$1 = col`) are matched against the primary key
//! (a point read) or a secondary index whose columns are all bound (an index
//! lookup, then point reads). Callers still apply every predicate afterwards,
//! so a path only has to return a superset of the matching rows.

use super::ast::{BinOp, Expr};
use super::catalog::{rows_prefix, Table};
use super::exec::{eval, Ctx, Scope};
use super::index;
use super::value::{encode_key_value, Value};
use crate::engine::read::ScanRange;
use crate::error::Result;
use std::collections::HashMap;

/// How rows of a table were found (for tests and, later, EXPLAIN).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Path {
    /// Every row.
    FullScan,
    /// One primary-key point read.
    PrimaryKey,
    /// Lookup in the named index.
    Index(String),
    /// A key range of the primary key.
    PrimaryKeyRange,
    /// A key range of the named index.
    IndexRange(String),
}

/// Length of one encoded key value at the start of `b` (see
/// `encode_key_value`), or `None` if malformed.
fn skip_value(b: &[u8]) -> Option<usize> {
    match b.first()? {
        0x05 => Some(1),
        0x10 | 0x11 => (b.len() >= 9).then_some(9),
        0x20 | 0x30 => {
            let mut i = 1;
            while i + 1 < b.len() {
                match (b[i], b[i + 1]) {
                    (0x00, 0x01) => return Some(i + 2),
                    (0x00, _) => i += 2,
                    _ => i += 1,
                }
            }
            None
        }
        _ => None,
    }
}

fn constant(e: &Expr) -> bool {
    matches!(e, Expr::Lit(_) | Expr::Param(_))
}

/// Column = constant pairs among `conds` that name a column of `t` (qualified
/// by `label` or unqualified), with the column's affinity applied.
fn equalities(ctx: &Ctx, t: &Table, label: &str, conds: &[Expr]) -> Result<HashMap<usize, Value>> {
    let mut eqs = HashMap::new();
    let empty = Scope {
        cols: &[],
        row: &[],
        group: None,
        outer: None,
    };
    for c in conds {
        let Expr::Binary(a, BinOp::Eq, b) = c else {
            continue;
        };
        let (col, k) = match (a.as_ref(), b.as_ref()) {
            (Expr::Column(q, n), k) if constant(k) => ((q, n), k),
            (k, Expr::Column(q, n)) if constant(k) => ((q, n), k),
            _ => continue,
        };
        if col.0.as_deref().is_some_and(|q| q != label) {
            continue;
        }
        if let Some(i) = t.column(col.1) {
            let v = eval(ctx, k, &empty)?;
            eqs.insert(i, t.columns[i].affinity.apply(v));
        }
    }
    Ok(eqs)
}

/// Rows as (storage key, values).
pub type KeyedRows = Vec<(Vec<u8>, Vec<Value>)>;

/// Rows of `t` (with their storage keys) that may satisfy `conds`, read by
/// the cheapest available path.
pub fn rows(ctx: &Ctx, t: &Table, label: &str, conds: &[Expr]) -> Result<(Path, KeyedRows)> {
    let eqs = equalities(ctx, t, label, conds)?;
    if eqs.values().any(Value::is_null) {
        return Ok((Path::PrimaryKey, Vec::new())); // `col = NULL` is never true
    }
    if !t.pk.is_empty() && t.pk.iter().all(|i| eqs.contains_key(i)) {
        let mut probe = vec![Value::Null; t.columns.len()];
        for &i in &t.pk {
            probe[i] = eqs[&i].clone();
        }
        let key = t.row_key(&probe, 0);
        let found = match ctx.get(&key)? {
            Some(v) => vec![(key, t.decode(&v)?)],
            None => Vec::new(),
        };
        return Ok((Path::PrimaryKey, found));
    }
    let indexes = index::of_table(ctx, t)?;
    if !eqs.is_empty() {
        if let Some(ix) = indexes
            .iter()
            .find(|ix| ix.columns.iter().all(|c| eqs.contains_key(c)))
        {
            let mut prefix = ix.entries_prefix();
            for c in &ix.columns {
                encode_key_value(&eqs[c], &mut prefix);
            }
            let mut row_keys = Vec::new();
            ctx.scan_each(
                &ScanRange {
                    prefix: Some(prefix.clone()),
                    ..Default::default()
                },
                |k, _| {
                    let mut row_key = rows_prefix(t.id);
                    row_key.extend_from_slice(&k[prefix.len()..]);
                    row_keys.push(row_key);
                    Ok(())
                },
            )?;
            let mut out = Vec::with_capacity(row_keys.len());
            for row_key in row_keys {
                if let Some(v) = ctx.get(&row_key)? {
                    out.push((row_key, t.decode(&v)?));
                }
            }
            return Ok((Path::Index(ix.name.clone()), out));
        }
    }
    // Ranges: the INTEGER PRIMARY KEY, then an index on the bounded column.
    if let Some(pk) = t.int_pk() {
        let b = super::range::bounds(ctx, t, label, pk, conds)?;
        if let Some(ranges) = super::range::key_ranges(&rows_prefix(t.id), &b) {
            let mut out = Vec::new();
            for r in &ranges {
                ctx.scan_each(r, |k, v| {
                    out.push((k.to_vec(), t.decode(v)?));
                    Ok(())
                })?;
            }
            return Ok((Path::PrimaryKeyRange, out));
        }
    }
    for ix in &indexes {
        let Some(&first) = ix.columns.first() else {
            continue;
        };
        let b = super::range::bounds(ctx, t, label, first, conds)?;
        let prefix = ix.entries_prefix();
        let Some(ranges) = super::range::key_ranges(&prefix, &b) else {
            continue;
        };
        let mut row_keys = Vec::new();
        for r in &ranges {
            ctx.scan_each(r, |k, _| {
                let mut at = prefix.len();
                for _ in &ix.columns {
                    at += skip_value(&k[at..]).ok_or_else(|| {
                        crate::error::Error::corrupt(format!(
                            "malformed entry in index {}",
                            ix.name
                        ))
                    })?;
                }
                let mut row_key = rows_prefix(t.id);
                row_key.extend_from_slice(&k[at..]);
                row_keys.push(row_key);
                Ok(())
            })?;
        }
        let mut out = Vec::with_capacity(row_keys.len());
        for row_key in row_keys {
            if let Some(v) = ctx.get(&row_key)? {
                out.push((row_key, t.decode(&v)?));
            }
        }
        return Ok((Path::IndexRange(ix.name.clone()), out));
    }
    let loaded = ctx.table(&t.name)?;
    Ok((Path::FullScan, loaded.1.clone()))
}
