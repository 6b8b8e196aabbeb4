//! Access paths: instead of loading a whole table, equality predicates on
//! constants (`col = 5`, `$1 = col`) are matched against the primary key
//! (a point read) or a secondary index whose columns are all bound (an index
//! lookup, then point reads). Callers still apply every predicate afterwards,
//! so a path only has to return a superset of the matching rows.

use super::ast::{BinOp, Expr};
use super::catalog::{rows_prefix, Table, RESERVED};
use super::exec::{eval, Ctx, Scope};
use super::index;
use super::value::{decode_row, encode_key_value, Value};
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
            Some(v) => vec![(key, decode_row(&v)?)],
            None => Vec::new(),
        };
        return Ok((Path::PrimaryKey, found));
    }
    if !eqs.is_empty() {
        let indexes = index::of_table(ctx, t)?;
        if let Some(ix) = indexes
            .iter()
            .find(|ix| ix.columns.iter().all(|c| eqs.contains_key(c)))
        {
            let mut prefix = RESERVED.to_vec();
            prefix.push(b'i');
            prefix.extend_from_slice(&ix.id.to_be_bytes());
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
                    out.push((row_key, decode_row(&v)?));
                }
            }
            return Ok((Path::Index(ix.name.clone()), out));
        }
    }
    let loaded = ctx.table(&t.name)?;
    Ok((Path::FullScan, loaded.1.clone()))
}
