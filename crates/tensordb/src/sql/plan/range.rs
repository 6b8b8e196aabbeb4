//! Range access paths: `col > c`, `col <= c`, `col BETWEEN a AND b` on a
//! constant become key ranges over an index's entries (or over the rows of a
//! table keyed by a single INTEGER PRIMARY KEY). Keys order values by type
//! (NULL, integers, reals, text, blobs — see `encode_key_value`), so a numeric
//! range is scanned in both the integer and the real parts, and an open end
//! toward larger values also covers every text and blob (which compare above
//! numbers). Callers re-check every predicate: ranges only need to be a
//! superset of the matching rows.

use crate::engine::read::ScanRange;
use crate::error::Result;
use crate::sql::catalog::ctx::Ctx;
use crate::sql::catalog::tables::Table;
use crate::sql::datum::value::{encode_key_value, numeric_norm, Value};
use crate::sql::syntax::ast::{BinOp, Expr};
use crate::storage::iter::prefix_successor;

/// Bounds on one column: (value, inclusive) at each end.
#[derive(Clone, Debug, Default)]
pub struct Bounds {
    /// Lower bound.
    pub lower: Option<(Value, bool)>,
    /// Upper bound.
    pub upper: Option<(Value, bool)>,
}

/// True for a literal or a parameter (a value known before any row is read).
pub fn constant(e: &Expr) -> bool {
    matches!(e, Expr::Lit(_) | Expr::Param(_))
}

/// The value of a `constant` expression.
pub fn constant_value(ctx: &Ctx, e: &Expr) -> Result<Value> {
    match e {
        Expr::Lit(v) => Ok(v.clone()),
        Expr::Param(i) => ctx.param(*i),
        _ => Err(crate::error::Error::internal(
            "a planner bound that is neither a literal nor a parameter",
        )),
    }
}

/// Most values an IN list (or OR of equalities) may hold to be read as
/// point lookups; longer lists scan.
const MAX_POINTS: usize = 1000;

/// The distinct values column `col` of `t` is compared with by the first
/// `col IN (c, …)` or `col = c OR col = d …` among `conds` whose items are
/// all literals or parameters: each converted to the column's affinity,
/// NULLs dropped (they match nothing), in key order. `None` when there is
/// no such condition.
pub fn in_values(
    ctx: &Ctx,
    t: &Table,
    label: &str,
    col: usize,
    conds: &[Expr],
) -> Result<Option<Vec<Value>>> {
    let is_col = |e: &Expr| match e {
        Expr::Column(q, n) => q.as_deref().is_none_or(|q| q == label) && t.column(n) == Some(col),
        _ => false,
    };
    // `col = c` (either way round) as its constant side.
    fn eq_side<'e>(e: &'e Expr, is_col: &dyn Fn(&Expr) -> bool) -> Option<&'e Expr> {
        match e {
            Expr::Binary(a, BinOp::Eq, b) if is_col(a) && constant(b) => Some(b),
            Expr::Binary(a, BinOp::Eq, b) if is_col(b) && constant(a) => Some(a),
            _ => None,
        }
    }
    // The constants of an OR chain of equalities on the column.
    fn or_items<'e>(e: &'e Expr, is_col: &dyn Fn(&Expr) -> bool, out: &mut Vec<&'e Expr>) -> bool {
        match e {
            Expr::Binary(a, BinOp::Or, b) => or_items(a, is_col, out) && or_items(b, is_col, out),
            other => match eq_side(other, is_col) {
                Some(k) => {
                    out.push(k);
                    true
                }
                None => false,
            },
        }
    }
    for c in conds {
        let items: Vec<&Expr> = match c {
            Expr::InList(x, list, false) if is_col(x) && list.iter().all(constant) => {
                list.iter().collect()
            }
            Expr::Binary(_, BinOp::Or, _) => {
                let mut out = Vec::new();
                if !or_items(c, &is_col, &mut out) {
                    continue;
                }
                out
            }
            _ => continue,
        };
        if items.len() > MAX_POINTS {
            continue;
        }
        let aff = t.columns[col].affinity;
        let mut keyed: Vec<(Vec<u8>, Value)> = Vec::with_capacity(items.len());
        for e in items {
            let v = numeric_norm(&aff.apply(constant_value(ctx, e)?));
            // Integers past 2^53 have no exact real twin: leave them to a scan.
            if matches!(v, Value::Int(i) if i.unsigned_abs() > 1 << 53) {
                return Ok(None);
            }
            if v.is_null() {
                continue;
            }
            let mut k = Vec::new();
            encode_key_value(&v, &mut k);
            keyed.push((k, v));
        }
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        keyed.dedup_by(|a, b| a.0 == b.0);
        return Ok(Some(keyed.into_iter().map(|(_, v)| v).collect()));
    }
    Ok(None)
}

/// Bounds holding exactly `v`.
pub fn point(v: Value) -> Bounds {
    Bounds {
        lower: Some((v.clone(), true)),
        upper: Some((v, true)),
    }
}

/// Range bounds on column `col` of `t` found among `conds`.
pub fn bounds(ctx: &Ctx, t: &Table, label: &str, col: usize, conds: &[Expr]) -> Result<Bounds> {
    let mut b = Bounds::default();
    let is_col = |e: &Expr| match e {
        Expr::Column(q, n) => q.as_deref().is_none_or(|q| q == label) && t.column(n) == Some(col),
        _ => false,
    };
    let aff = t.columns[col].affinity;
    let mut set = |lower: bool, v: Value, inclusive: bool| {
        let v = aff.apply(v);
        if lower {
            b.lower = Some((v, inclusive));
        } else {
            b.upper = Some((v, inclusive));
        }
    };
    for c in conds {
        match c {
            Expr::Binary(x, op, y) => {
                let (op, k) = if is_col(x) && constant(y) {
                    (*op, y)
                } else if is_col(y) && constant(x) {
                    let flipped = match op {
                        BinOp::Lt => BinOp::Gt,
                        BinOp::LtEq => BinOp::GtEq,
                        BinOp::Gt => BinOp::Lt,
                        BinOp::GtEq => BinOp::LtEq,
                        other => *other,
                    };
                    (flipped, x)
                } else {
                    continue;
                };
                let v = constant_value(ctx, k)?;
                match op {
                    BinOp::Gt => set(true, v, false),
                    BinOp::GtEq => set(true, v, true),
                    BinOp::Lt => set(false, v, false),
                    BinOp::LtEq => set(false, v, true),
                    _ => {}
                }
            }
            Expr::Between(x, lo, hi, false) if is_col(x) && constant(lo) && constant(hi) => {
                set(true, constant_value(ctx, lo)?, true);
                set(false, constant_value(ctx, hi)?, true);
            }
            _ => {}
        }
    }
    Ok(b)
}

fn tagged(prefix: &[u8], tag: u8) -> Vec<u8> {
    let mut k = prefix.to_vec();
    k.push(tag);
    k
}

fn key(prefix: &[u8], v: &Value) -> Vec<u8> {
    let mut k = prefix.to_vec();
    encode_key_value(v, &mut k);
    k
}

/// The integer a real bound starts (`lower`) or ends an integer range at:
/// `ceil` / `floor` where reals are exact, widened by the real's spacing
/// past 2^53 (an integer compares with a real through a float, so one a
/// little beyond the bound can equal it).
fn int_floor(x: f64, lower: bool) -> i64 {
    let spacing = if x.abs() >= 9_007_199_254_740_992.0 {
        x.abs() * f64::EPSILON * 2.0
    } else {
        0.0
    };
    let v = if lower {
        (x - spacing).ceil()
    } else {
        (x + spacing).floor()
    };
    v.clamp(i64::MIN as f64, i64::MAX as f64) as i64
}

/// Key ranges under `prefix` (an index id or a table's rows) holding every
/// value within `b`. `None` when the bounds cannot narrow the scan.
pub fn key_ranges(prefix: &[u8], b: &Bounds) -> Option<Vec<ScanRange>> {
    let num = |v: &Value| {
        v.as_f64()
            .filter(|_| matches!(v, Value::Int(_) | Value::Real(_)))
    };
    let mut out = Vec::new();
    let range = |start: Vec<u8>, end: Option<Vec<u8>>| ScanRange {
        prefix: Some(prefix.to_vec()),
        start: Some(start),
        end,
        ..Default::default()
    };
    match (&b.lower, &b.upper) {
        (None, None) => return None,
        // Numeric bounds: the integer part and the real part.
        (lo, hi)
            if lo.as_ref().is_none_or(|(v, _)| num(v).is_some())
                && hi.as_ref().is_none_or(|(v, _)| num(v).is_some()) =>
        {
            let lo_f = lo.as_ref().and_then(|(v, _)| num(v));
            let hi_f = hi.as_ref().and_then(|(v, _)| num(v));
            // Integers. An integer bound is used as it is (integers compare
            // exactly; through a float, bounds past 2^53 lost rows); a real
            // bound past 2^53 is widened by its spacing, since an integer
            // compares with it through a float (the filter re-checks).
            let int_start = match lo.as_ref().map(|(v, _)| v) {
                Some(Value::Int(i)) => key(prefix, &Value::Int(*i)),
                Some(_) => key(prefix, &Value::Int(int_floor(lo_f.unwrap_or(0.0), true))),
                None => tagged(prefix, 0x10),
            };
            let hi_exclusive = hi.as_ref().is_some_and(|(_, inclusive)| !inclusive);
            let int_end = match hi.as_ref().map(|(v, _)| v) {
                Some(Value::Int(i)) if hi_exclusive => Some(key(prefix, &Value::Int(*i))),
                Some(Value::Int(i)) => prefix_successor(&key(prefix, &Value::Int(*i))),
                Some(_) => prefix_successor(&key(
                    prefix,
                    &Value::Int(int_floor(hi_f.unwrap_or(0.0), false)),
                )),
                None => prefix_successor(&tagged(prefix, 0x10)),
            };
            out.push(range(int_start, int_end));
            // Reals.
            let real_start = match lo_f {
                Some(x) => key(prefix, &Value::Real(x)),
                None => tagged(prefix, 0x11),
            };
            let real_end = match hi_f {
                Some(x) => prefix_successor(&key(prefix, &Value::Real(x))),
                None => prefix_successor(&tagged(prefix, 0x11)),
            };
            out.push(range(real_start, real_end));
            if hi.is_none() {
                // Text and blobs compare above every number.
                out.push(range(tagged(prefix, 0x20), prefix_successor(prefix)));
            }
        }
        // Text bounds on both ends (or text below, nothing above).
        (Some((lo, _)), hi) if matches!(lo, Value::Text(_)) => {
            let end = match hi {
                Some((v @ Value::Text(_), _)) => prefix_successor(&key(prefix, v)),
                Some(_) => return None,
                None => prefix_successor(prefix),
            };
            out.push(range(key(prefix, lo), end));
        }
        _ => return None,
    }
    Some(out)
}
