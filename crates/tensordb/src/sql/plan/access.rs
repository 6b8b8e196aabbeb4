//! Access paths: instead of loading a whole table, equality predicates on
//! constants (`col = 5`, `$1 = col`) are matched against the primary key
//! (a point read) or a secondary index whose columns are all bound (an index
//! lookup, then point reads). Callers still apply every predicate afterwards,
//! so a path only has to return a superset of the matching rows.

use crate::engine::read::ScanRange;
use crate::error::Result;
use crate::sql::catalog::ctx::Ctx;
use crate::sql::catalog::tables::{rows_prefix, Table};
use crate::sql::datum::value::Value;
use crate::sql::plan::paths::{Candidate, How};
use crate::sql::syntax::ast::Expr;

/// How rows of a table were found (for tests and EXPLAIN).
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

impl Path {
    /// The operator name EXPLAIN shows.
    pub fn operator(&self) -> &'static str {
        match self {
            Path::FullScan => "Scan",
            Path::PrimaryKey => "Primary key lookup",
            Path::Index(_) => "Index lookup",
            Path::PrimaryKeyRange => "Primary key range",
            Path::IndexRange(_) => "Index range",
        }
    }
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

/// Rows as (storage key, values).
pub type KeyedRows = Vec<(Vec<u8>, Vec<Value>)>;

/// Rows of `t` (with their storage keys) that may satisfy `conds`, read by
/// the cheapest path (`plan::choose`).
pub fn rows(ctx: &Ctx, t: &Table, label: &str, conds: &[Expr]) -> Result<(Path, KeyedRows)> {
    read(ctx, t, label, conds, true)
}

/// `rows` for a reader that needs no storage keys: a whole-table scan then
/// copies none (the keys come back empty).
pub fn values(ctx: &Ctx, t: &Table, label: &str, conds: &[Expr]) -> Result<Vec<Vec<Value>>> {
    let (_, rows) = read(ctx, t, label, conds, false)?;
    Ok(rows.into_iter().map(|(_, r)| r).collect())
}

/// How EXPLAIN names a chosen path: the table, its alias, the index and
/// what bounds the read.
fn describe(t: &Table, label: &str, c: &Candidate) -> String {
    let mut d = t.name.clone();
    if label != t.name {
        d.push_str(&format!(" AS {label}"));
    }
    if let Path::Index(ix) | Path::IndexRange(ix) = &c.path {
        d.push_str(&format!(" USING {ix}"));
    }
    if !c.detail.is_empty() {
        d.push_str(&format!(" ({})", c.detail));
    }
    d
}

fn read(
    ctx: &Ctx,
    t: &Table,
    label: &str,
    conds: &[Expr],
    keys: bool,
) -> Result<(Path, KeyedRows)> {
    let c = crate::sql::plan::paths::choose(ctx, t, label, conds)?;
    let tok = ctx.op_start(c.path.operator(), || describe(t, label, &c));
    ctx.op_estimate(&tok, c.rows, c.cost);
    let rows = if ctx.plan_only() {
        Vec::new()
    } else {
        fetch(ctx, t, &c, keys)?
    };
    ctx.op_end(tok, rows.len());
    Ok((c.path, rows))
}

/// Rows of `t` that may satisfy `conds`, read by the cheapest path and
/// handed to `f` one at a time (a whole-table scan or key ranges hold no
/// rows; other paths read theirs first). Only the columns the statement
/// needs are decoded (`Ctx::mask`).
pub fn for_each(
    ctx: &Ctx,
    t: &Table,
    label: &str,
    conds: &[Expr],
    mut f: impl FnMut(Vec<Value>) -> Result<()>,
) -> Result<Path> {
    let c = crate::sql::plan::paths::choose(ctx, t, label, conds)?;
    let tok = ctx.op_start(c.path.operator(), || describe(t, label, &c));
    ctx.op_estimate(&tok, c.rows, c.cost);
    let mut n = 0;
    if !ctx.plan_only() {
        let mask = ctx.mask(t);
        let mut each = |v: &[u8]| {
            n += 1;
            f(t.decode_masked(v, 0, mask.as_deref())?)
        };
        match &c.how {
            How::Scan => {
                let range = ScanRange {
                    prefix: Some(rows_prefix(t.id)),
                    ..Default::default()
                };
                ctx.scan_each(&range, |_, v| each(v))?;
            }
            How::RowRanges(ranges) => {
                for r in ranges {
                    ctx.scan_each(r, |_, v| each(v))?;
                }
            }
            _ => {
                for (_, row) in fetch(ctx, t, &c, false)? {
                    n += 1;
                    f(row)?;
                }
            }
        }
    }
    ctx.op_end(tok, n);
    Ok(c.path)
}

/// The one key-ordered range a stream's window can continue: a whole-table
/// scan or a single forward primary-key range, starting after `w.after`.
/// Other paths (point reads, index paths, several ranges) are read whole by
/// a stream's first chunk.
fn window_range(
    t: &Table,
    c: &Candidate,
    w: &crate::sql::catalog::ctx::Window,
) -> Option<ScanRange> {
    let mut r = match &c.how {
        How::Scan => ScanRange {
            prefix: Some(rows_prefix(t.id)),
            ..Default::default()
        },
        How::RowRanges(rs) if rs.len() == 1 && !rs[0].reverse && rs[0].limit.is_none() => {
            rs[0].clone()
        }
        // A continuing stream whose plan changed (statistics moved since
        // its first chunk) goes on with a scan: rows are filtered anyway.
        _ if w.after.is_some() => ScanRange {
            prefix: Some(rows_prefix(t.id)),
            ..Default::default()
        },
        _ => return None,
    };
    if let Some(after) = &w.after {
        // The smallest key after `after`.
        let mut next = after.clone();
        next.push(0);
        if r.start.as_ref().is_none_or(|s| *s < next) {
            r.start = Some(next);
        }
    }
    r.limit = Some(w.max);
    Some(r)
}

/// Reads one window of a stream's table and records where it ended.
fn windowed(
    ctx: &Ctx,
    t: &Table,
    range: &ScanRange,
    w: &crate::sql::catalog::ctx::Window,
) -> Result<KeyedRows> {
    let mut out = Vec::new();
    let mut last = Vec::new();
    let mask = ctx.mask(t);
    ctx.scan_each(range, |k, v| {
        out.push((Vec::new(), t.decode_masked(v, 0, mask.as_deref())?));
        last.clear();
        last.extend_from_slice(k);
        Ok(())
    })?;
    ctx.end_window(crate::sql::catalog::ctx::WindowEnd {
        more: out.len() >= w.max,
        last: (!out.is_empty()).then_some(last),
    });
    Ok(out)
}

/// Reads the rows a chosen path names (a whole-table scan leaves the keys
/// empty unless `keys`).
pub fn fetch(ctx: &Ctx, t: &Table, c: &Candidate, keys: bool) -> Result<KeyedRows> {
    if let Some(w) = ctx.take_window(&t.name) {
        if let Some(range) = window_range(t, c, &w) {
            return windowed(ctx, t, &range, &w);
        }
    }
    let mask = ctx.mask(t);
    let mask = mask.as_deref();
    Ok(match &c.how {
        How::Nothing => Vec::new(),
        How::Point(key) => match ctx.get(key)? {
            Some(v) => vec![(key.clone(), t.decode_masked(&v, 0, mask)?)],
            None => Vec::new(),
        },
        How::RowRanges(ranges) => {
            let mut out = Vec::new();
            for r in ranges {
                ctx.scan_each(r, |k, v| {
                    out.push((k.to_vec(), t.decode_masked(v, 0, mask)?));
                    Ok(())
                })?;
            }
            out
        }
        How::IndexEntries {
            ranges,
            skip,
            values,
        } => {
            let mut row_keys = Vec::new();
            let prefix = rows_prefix(t.id);
            for r in ranges {
                ctx.scan_each(r, |k, _| {
                    let mut at = *skip;
                    for _ in 0..*values {
                        at += k.get(at..).and_then(skip_value).ok_or_else(|| {
                            crate::error::Error::corrupt(format!(
                                "malformed index entry of table {}",
                                t.name
                            ))
                        })?;
                    }
                    let pk = k.get(at..).unwrap_or_default();
                    let mut row_key = Vec::with_capacity(prefix.len() + pk.len());
                    row_key.extend_from_slice(&prefix);
                    row_key.extend_from_slice(pk);
                    row_keys.push(row_key);
                    Ok(())
                })?;
            }
            if ranges.len() > 1 {
                // Several ranges (an IN list) must not yield a row twice;
                // the first sighting keeps its place.
                let mut seen = std::collections::HashSet::new();
                row_keys.retain(|k| seen.insert(k.clone()));
            }
            let mut found = Vec::with_capacity(row_keys.len());
            ctx.get_many(&row_keys, |i, v| {
                found.push((i, t.decode_masked(v, 0, mask)?));
                Ok(())
            })?;
            found
                .into_iter()
                .map(|(i, row)| (std::mem::take(&mut row_keys[i]), row))
                .collect()
        }
        How::Scan => ctx.table_owned(&t.name, keys)?.1,
    })
}
