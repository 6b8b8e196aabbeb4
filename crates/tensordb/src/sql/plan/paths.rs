//! Access-path planning by cost. For one table and the predicates that name
//! only it, every usable path is priced — a primary-key point read, an
//! index lookup on all of an index's columns, a key range on the INTEGER
//! PRIMARY KEY or on an index's first column, or a full scan — and the
//! cheapest is chosen. `fetch` then reads the rows; EXPLAIN shows the choice
//! without reading.
//!
//! Estimates come from `ANALYZE` statistics when the table has them (row
//! count, distinct keys per index), else from defaults in the spirit of
//! SQLite's planner without statistics: 1,000 rows per table, 10 rows per
//! value of a non-unique index, a third of the rows per range bound.
//!
//! Cost units: reading one row sequentially costs 1; a seek (a point read
//! or the start of a range) costs 2; an index entry costs 0.5 plus a seek
//! for its row.

use crate::engine::read::ScanRange;
use crate::error::Result;
use crate::sql::catalog::ctx::Ctx;
use crate::sql::catalog::index::{self, Index};
use crate::sql::catalog::tables::{rows_prefix, Table};
use crate::sql::datum::value::{encode_key_value, Value};
use crate::sql::plan::range::{constant, Bounds};
use crate::sql::syntax::ast::{BinOp, Expr};
use std::collections::HashMap;

/// Rows assumed for a table without statistics.
pub const DEFAULT_ROWS: f64 = 1000.0;
/// Rows assumed per value of a non-unique index without statistics.
const DEFAULT_PER_VALUE: f64 = 10.0;
const SEEK: f64 = 2.0;
const ROW: f64 = 1.0;
const ENTRY: f64 = 0.5;

/// How a path reads its rows.
#[derive(Clone, Debug)]
pub enum How {
    /// No row can match (`col = NULL`).
    Nothing,
    /// One point read of this row key.
    Point(Vec<u8>),
    /// Index entries under these key ranges, then a point read per row.
    /// An entry's row key suffix starts after `skip` bytes and then `values`
    /// encoded key values.
    IndexEntries {
        /// Key ranges of index entries.
        ranges: Vec<ScanRange>,
        /// Leading bytes to skip.
        skip: usize,
        /// Encoded values to skip after them.
        values: usize,
    },
    /// Rows under these key ranges of the table.
    RowRanges(Vec<ScanRange>),
    /// Every row.
    Scan,
}

/// A priced way to read a table's candidate rows.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// What EXPLAIN and the tests see.
    pub path: crate::sql::plan::access::Path,
    /// Estimated rows read.
    pub rows: f64,
    /// Estimated cost.
    pub cost: f64,
    /// How to read them.
    pub how: How,
    /// A human-readable description of the bound predicates.
    pub detail: String,
}

/// Column = constant pairs among `conds` that name a column of `t` (qualified
/// by `label` or unqualified), with the column's affinity applied.
pub fn equalities(
    ctx: &Ctx,
    t: &Table,
    label: &str,
    conds: &[Expr],
) -> Result<HashMap<usize, Value>> {
    let mut eqs = HashMap::new();
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
            let v = crate::sql::plan::range::constant_value(ctx, k)?;
            eqs.insert(i, t.columns[i].affinity.apply(v));
        }
    }
    Ok(eqs)
}

fn bound_count(b: &Bounds) -> usize {
    usize::from(b.lower.is_some()) + usize::from(b.upper.is_some())
}

fn range_fraction(b: &Bounds) -> f64 {
    match bound_count(b) {
        0 => 1.0,
        1 => 1.0 / 3.0,
        _ => 1.0 / 9.0,
    }
}

fn describe(t: &Table, cols: &[usize], eqs: &HashMap<usize, Value>) -> String {
    cols.iter()
        .map(|c| {
            let v = eqs
                .get(c)
                .map(crate::sql::datum::value::display)
                .unwrap_or_else(|| "?".into());
            format!("{} = {v}", t.columns[*c].name)
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

fn describe_range(t: &Table, col: usize, b: &Bounds) -> String {
    let name = &t.columns[col].name;
    let mut parts = Vec::new();
    if let Some((v, inc)) = &b.lower {
        parts.push(format!(
            "{name} {} {}",
            if *inc { ">=" } else { ">" },
            crate::sql::datum::value::display(v)
        ));
    }
    if let Some((v, inc)) = &b.upper {
        parts.push(format!(
            "{name} {} {}",
            if *inc { "<=" } else { "<" },
            crate::sql::datum::value::display(v)
        ));
    }
    parts.join(" AND ")
}

/// Rows one value of `ix` finds: one when it is unique, else what ANALYZE
/// counted (a default without statistics), at most the table's `n`.
fn per_value(
    ix: &Index,
    unique: bool,
    st: Option<&crate::sql::catalog::stats::Stats>,
    n: f64,
) -> f64 {
    if unique {
        return 1.0;
    }
    st.and_then(|s| s.per_value(&ix.name))
        .unwrap_or(DEFAULT_PER_VALUE)
        .min(n)
}

/// A candidate reading `ranges` of index `ix`'s entries, then the rows.
fn index_range(
    ix: &Index,
    ranges: Vec<ScanRange>,
    rows: f64,
    detail: impl FnOnce() -> String,
    ctx: &Ctx,
) -> Candidate {
    Candidate {
        path: crate::sql::plan::access::Path::IndexRange(ix.name.clone()),
        rows,
        cost: SEEK * ranges.len() as f64 + rows * (ENTRY + SEEK),
        how: How::IndexEntries {
            ranges,
            skip: ix.entries_prefix().len(),
            values: ix.columns.len(),
        },
        detail: traced(ctx, detail),
    }
}

/// The key ranges under `prefix` holding each of `vals` (distinct, in key
/// order, so the ranges are disjoint and ascending).
fn point_ranges(prefix: &[u8], vals: &[Value]) -> Vec<ScanRange> {
    vals.iter()
        .filter_map(|v| {
            crate::sql::plan::range::key_ranges(prefix, &crate::sql::plan::range::point(v.clone()))
        })
        .flatten()
        .collect()
}

fn describe_in(t: &Table, col: usize, vals: &[Value]) -> String {
    let shown: Vec<String> = vals
        .iter()
        .take(5)
        .map(crate::sql::datum::value::display)
        .collect();
    let more = if vals.len() > 5 { ", …" } else { "" };
    format!("{} IN ({}{more})", t.columns[col].name, shown.join(", "))
}

/// A candidate's description, built only when EXPLAIN records it (the
/// formatting cost a measurable share of a short statement).
fn traced(ctx: &Ctx, f: impl FnOnce() -> String) -> String {
    if ctx.tracing() {
        f()
    } else {
        String::new()
    }
}

/// Every usable path for `t` under `conds`, priced.
pub fn candidates(ctx: &Ctx, t: &Table, label: &str, conds: &[Expr]) -> Result<Vec<Candidate>> {
    use crate::sql::plan::access::Path;
    let eqs = equalities(ctx, t, label, conds)?;
    if eqs.values().any(Value::is_null) {
        return Ok(vec![Candidate {
            path: Path::PrimaryKey,
            rows: 0.0,
            cost: 0.0,
            how: How::Nothing,
            detail: "a column compared with NULL".into(),
        }]);
    }
    if !t.pk.is_empty() && t.pk.iter().all(|i| eqs.contains_key(i)) {
        // One seek for at most one row: no other path can cost less, so the
        // others are not priced (this keeps point reads free of catalog scans).
        let mut probe = vec![Value::Null; t.columns.len()];
        for &i in &t.pk {
            probe[i] = eqs[&i].clone();
        }
        return Ok(vec![Candidate {
            path: Path::PrimaryKey,
            rows: 1.0,
            cost: SEEK,
            how: How::Point(t.row_key(&probe, 0)),
            detail: traced(ctx, || describe(t, &t.pk, &eqs)),
        }]);
    }
    let st = crate::sql::catalog::stats::load(ctx, t)?;
    let n = st.as_ref().map_or(DEFAULT_ROWS, |s| s.rows as f64).max(1.0);
    let mut out = vec![Candidate {
        path: Path::FullScan,
        rows: n,
        cost: n * ROW,
        how: How::Scan,
        detail: String::new(),
    }];
    let indexes: Vec<Index> = index::of_table(ctx, t)?;
    for ix in &indexes {
        if !eqs.is_empty() && ix.columns.iter().all(|c| eqs.contains_key(c)) {
            let per_value = per_value(ix, ix.unique, st.as_ref(), n);
            let mut prefix = ix.entries_prefix();
            for c in &ix.columns {
                encode_key_value(&eqs[c], &mut prefix);
            }
            out.push(Candidate {
                path: Path::Index(ix.name.clone()),
                rows: per_value,
                cost: SEEK + per_value * (ENTRY + SEEK),
                how: How::IndexEntries {
                    skip: prefix.len(),
                    values: 0,
                    ranges: vec![ScanRange {
                        prefix: Some(prefix),
                        ..Default::default()
                    }],
                },
                detail: traced(ctx, || describe(t, &ix.columns, &eqs)),
            });
        }
    }
    if let Some(pk) = t.int_pk() {
        let b = crate::sql::plan::range::bounds(ctx, t, label, pk, conds)?;
        if let Some(ranges) = crate::sql::plan::range::key_ranges(&rows_prefix(t.id), &b) {
            let rows = n * range_fraction(&b);
            out.push(Candidate {
                path: Path::PrimaryKeyRange,
                rows,
                cost: SEEK * ranges.len() as f64 + rows * ROW,
                how: How::RowRanges(ranges),
                detail: traced(ctx, || describe_range(t, pk, &b)),
            });
        }
    }
    // `col IN (…)` / `col = a OR col = b …`: one lookup per value.
    if let Some(pk) = t.int_pk() {
        if let Some(vals) = crate::sql::plan::range::in_values(ctx, t, label, pk, conds)? {
            let ranges = point_ranges(&rows_prefix(t.id), &vals);
            out.push(Candidate {
                path: Path::PrimaryKeyRange,
                rows: (vals.len() as f64).min(n),
                cost: SEEK * ranges.len() as f64 + vals.len() as f64 * ROW,
                how: How::RowRanges(ranges),
                detail: traced(ctx, || describe_in(t, pk, &vals)),
            });
        }
    }
    // An index's first column: an IN list (one lookup per value), a range.
    for ix in &indexes {
        let Some(&first) = ix.columns.first() else {
            continue;
        };
        let prefix = ix.entries_prefix();
        if let Some(vals) = crate::sql::plan::range::in_values(ctx, t, label, first, conds)? {
            let unique = ix.unique && ix.columns.len() == 1;
            let rows = (vals.len() as f64 * per_value(ix, unique, st.as_ref(), n)).min(n);
            let ranges = point_ranges(&prefix, &vals);
            out.push(index_range(
                ix,
                ranges,
                rows,
                || describe_in(t, first, &vals),
                ctx,
            ));
        }
        let b = crate::sql::plan::range::bounds(ctx, t, label, first, conds)?;
        if let Some(ranges) = crate::sql::plan::range::key_ranges(&prefix, &b) {
            let rows = n * range_fraction(&b);
            out.push(index_range(
                ix,
                ranges,
                rows,
                || describe_range(t, first, &b),
                ctx,
            ));
        }
    }
    Ok(out)
}

/// Estimated rows and cost of reading the whole table.
pub fn scan_estimate(ctx: &Ctx, t: &Table) -> Result<(f64, f64)> {
    let n = crate::sql::catalog::stats::load(ctx, t)?.map_or(DEFAULT_ROWS, |s| s.rows as f64);
    Ok((n, n * ROW))
}

/// The cheapest path (ties go to the earlier candidate, so a full scan only
/// wins when nothing is cheaper).
pub fn choose(ctx: &Ctx, t: &Table, label: &str, conds: &[Expr]) -> Result<Candidate> {
    let all = candidates(ctx, t, label, conds)?;
    let mut best: Option<Candidate> = None;
    for c in all {
        if best.as_ref().is_none_or(|b| c.cost < b.cost) {
            best = Some(c);
        }
    }
    best.ok_or_else(|| crate::error::Error::internal("no access path (not even a scan)"))
}
