//! Window functions (`f(…) OVER (PARTITION BY … ORDER BY … frame)`).
//!
//! A SELECT first replaces each window call in its list and ORDER BY by a
//! reference to a computed column (`extract`). After WHERE, GROUP BY and
//! HAVING, `compute` evaluates every call once per output row: rows are split
//! into partitions, each partition is sorted by the window's ORDER BY, and
//! the function runs over the sorted partition (ranking, offsets) or over
//! each row's frame (aggregates, first/last/nth value). Aggregates over a
//! frame that only grows are folded incrementally, so the default frame
//! costs O(n) per partition.

use crate::error::{Error, ErrorCode, Result};
use crate::sql::catalog::ctx::Ctx;
use crate::sql::datum::value::{encode_key_value, Value};
use crate::sql::exec::order::cmp_keys;
use crate::sql::exec::query::{eval, Scope};
use crate::sql::func::aggregate::{is_aggregate, Acc};
use crate::sql::syntax::ast::{Expr, FrameBound, FrameUnits, OrderTerm, Window};
use std::cmp::Ordering;
use std::collections::HashMap;

/// Table label of the computed window columns; it holds a control character,
/// so no user-written name can refer to it.
pub const WINDOW_LABEL: &str = "\u{1}window";

/// Replaces each window call in `e` by a reference to its computed column
/// and collects the calls (equal calls share a column).
pub fn extract(e: &Expr, calls: &mut Vec<Expr>) -> Expr {
    let mut bx = |x: &Expr| Box::new(extract(x, calls));
    match e {
        Expr::Window(..) => {
            let i = match calls.iter().position(|c| c == e) {
                Some(i) => i,
                None => {
                    calls.push(e.clone());
                    calls.len() - 1
                }
            };
            Expr::Column(Some(WINDOW_LABEL.into()), i.to_string())
        }
        Expr::Unary(op, a) => Expr::Unary(*op, bx(a)),
        Expr::Binary(a, op, b) => {
            let a = bx(a);
            Expr::Binary(a, *op, Box::new(extract(b, calls)))
        }
        Expr::IsNull(a, n) => Expr::IsNull(bx(a), *n),
        Expr::Cast(a, t) => Expr::Cast(bx(a), t.clone()),
        Expr::Between(a, b, c, n) => {
            let a = bx(a);
            let b = Box::new(extract(b, calls));
            Expr::Between(a, b, Box::new(extract(c, calls)), *n)
        }
        Expr::InList(a, l, n) => {
            let a = bx(a);
            Expr::InList(a, l.iter().map(|x| extract(x, calls)).collect(), *n)
        }
        Expr::InQuery(a, q, n) => Expr::InQuery(bx(a), q.clone(), *n),
        Expr::Case(o, w, el) => {
            let o = o.as_deref().map(|x| Box::new(extract(x, calls)));
            let w = w
                .iter()
                .map(|(a, b)| (extract(a, calls), extract(b, calls)))
                .collect();
            let el = el.as_deref().map(|x| Box::new(extract(x, calls)));
            Expr::Case(o, w, el)
        }
        Expr::Func {
            name,
            args,
            distinct,
            star,
        } => Expr::Func {
            name: name.clone(),
            args: args.iter().map(|x| extract(x, calls)).collect(),
            distinct: *distinct,
            star: *star,
        },
        other => other.clone(),
    }
}

/// One row's inputs to a window call.
struct RowIn {
    order: Vec<Value>,
    args: Vec<Value>,
}

/// Evaluates every window call for each output row (`scopes[i]` is output
/// row i). Returns, per row, one value per call.
pub fn compute(ctx: &Ctx, calls: &[Expr], scopes: &[Scope]) -> Result<Vec<Vec<Value>>> {
    let mut out: Vec<Vec<Value>> = vec![Vec::with_capacity(calls.len()); scopes.len()];
    for call in calls {
        let Expr::Window(func, w) = call else {
            return Err(Error::internal("a window column without a window call"));
        };
        let vals = one_call(ctx, func, w, scopes)?;
        for (row, v) in out.iter_mut().zip(vals) {
            row.push(v);
        }
    }
    Ok(out)
}

fn one_call(ctx: &Ctx, func: &Expr, w: &Window, scopes: &[Scope]) -> Result<Vec<Value>> {
    let Expr::Func { args, .. } = func else {
        return Err(Error::internal("a window call that is not a function"));
    };
    // Partition, then sort each partition by the window's ORDER BY.
    let mut parts: Vec<Vec<usize>> = Vec::new();
    let mut by_key: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut inputs = Vec::with_capacity(scopes.len());
    for (i, s) in scopes.iter().enumerate() {
        let mut key = Vec::new();
        for p in &w.partition_by {
            encode_key_value(&eval(ctx, p, s)?, &mut key);
        }
        let slot = *by_key.entry(key).or_insert_with(|| {
            parts.push(Vec::new());
            parts.len() - 1
        });
        parts[slot].push(i);
        let order = w
            .order_by
            .iter()
            .map(|o| eval(ctx, &o.expr, s))
            .collect::<Result<_>>()?;
        let args = args
            .iter()
            .map(|a| eval(ctx, a, s))
            .collect::<Result<_>>()?;
        let input = RowIn { order, args };
        crate::sql::func::control::charge(
            crate::sql::func::control::row_bytes(&input.order)
                + crate::sql::func::control::row_bytes(&input.args),
            "a window's partitions",
        )?;
        inputs.push(input);
    }
    let mut result = vec![Value::Null; scopes.len()];
    for mut idx in parts {
        idx.sort_by(|&a, &b| cmp_keys(&w.order_by, &inputs[a].order, &inputs[b].order));
        let p = Partition::new(&idx, &inputs, &w.order_by);
        p.run(ctx, func, w, scopes, &mut result)?;
    }
    Ok(result)
}

/// A sorted partition with its peer groups.
struct Partition<'a> {
    idx: &'a [usize],
    inputs: &'a [RowIn],
    order: &'a [OrderTerm],
    /// Peer group of each position.
    gid: Vec<usize>,
    /// First position of each peer group.
    gstart: Vec<usize>,
    /// One past the last position of each peer group.
    gend: Vec<usize>,
}

impl<'a> Partition<'a> {
    fn new(idx: &'a [usize], inputs: &'a [RowIn], order: &'a [OrderTerm]) -> Self {
        let mut gid = Vec::with_capacity(idx.len());
        let (mut gstart, mut gend) = (Vec::new(), Vec::new());
        for p in 0..idx.len() {
            let new_group = p == 0
                || cmp_keys(order, &inputs[idx[p - 1]].order, &inputs[idx[p]].order)
                    != Ordering::Equal;
            if new_group {
                if p > 0 {
                    gend.push(p);
                }
                gstart.push(p);
            }
            gid.push(gstart.len() - 1);
        }
        if !idx.is_empty() {
            gend.push(idx.len());
        }
        Partition {
            idx,
            inputs,
            order,
            gid,
            gstart,
            gend,
        }
    }

    fn arg(&self, p: usize, i: usize) -> Value {
        self.inputs[self.idx[p]]
            .args
            .get(i)
            .cloned()
            .unwrap_or(Value::Null)
    }

    fn run(
        &self,
        ctx: &Ctx,
        func: &Expr,
        w: &Window,
        scopes: &[Scope],
        result: &mut [Value],
    ) -> Result<()> {
        let Expr::Func {
            name,
            args,
            distinct,
            star,
        } = func
        else {
            return Err(Error::internal("a window call that is not a function"));
        };
        let m = self.idx.len();
        let need = |n: usize| -> Result<()> {
            if args.len() < n {
                return Err(Error::new(
                    ErrorCode::Syntax,
                    format!("{name}() needs {n} argument(s)"),
                ));
            }
            Ok(())
        };
        // Incremental aggregate state: the frame it covers.
        let mut acc: Option<(Acc, usize, usize)> = None;
        for p in 0..m {
            let g = self.gid[p];
            let v = match name.as_str() {
                "row_number" => Value::Int(p as i64 + 1),
                "rank" => Value::Int(self.gstart[g] as i64 + 1),
                "dense_rank" => Value::Int(g as i64 + 1),
                "percent_rank" if m <= 1 => Value::Real(0.0),
                "percent_rank" => Value::Real(self.gstart[g] as f64 / (m - 1) as f64),
                "cume_dist" => Value::Real(self.gend[g] as f64 / m as f64),
                "ntile" => {
                    need(1)?;
                    let k = positive(&self.arg(p, 0), "ntile() argument")?;
                    let (q, r) = (m / k, m % k);
                    let bucket = if p < r * (q + 1) {
                        p / (q + 1)
                    } else {
                        r + (p - r * (q + 1)) / q.max(1)
                    };
                    Value::Int(bucket as i64 + 1)
                }
                "lag" | "lead" => {
                    need(1)?;
                    let off = match args.len() {
                        1 => 1,
                        _ => non_negative(&self.arg(p, 1), "lag/lead offset")?,
                    };
                    let target = if name == "lag" {
                        p.checked_sub(off)
                    } else {
                        Some(p + off).filter(|t| *t < m)
                    };
                    match target {
                        Some(t) => self.arg(t, 0),
                        None => self.arg(p, 2),
                    }
                }
                "first_value" | "last_value" | "nth_value" => {
                    need(if name == "nth_value" { 2 } else { 1 })?;
                    let (s, e) = self.frame(ctx, w, p, &scopes[self.idx[p]])?;
                    let at = match name.as_str() {
                        "first_value" => Some(s),
                        "last_value" => e.checked_sub(1),
                        _ => {
                            let n = positive(&self.arg(p, 1), "nth_value() position")?;
                            Some(s + n - 1)
                        }
                    };
                    match at {
                        Some(a) if a >= s && a < e => self.arg(a, 0),
                        _ => Value::Null,
                    }
                }
                n if is_aggregate(n, args.len()) => {
                    let (s, e) = self.frame(ctx, w, p, &scopes[self.idx[p]])?;
                    let reuse = matches!(&acc, Some((_, a, b)) if *a == s && *b <= e);
                    if !reuse {
                        let sep = match args.get(1) {
                            Some(_) => self.arg(p, 1).to_text().unwrap_or_default(),
                            None => ",".into(),
                        };
                        acc = Some((Acc::new(n, *distinct, sep)?, s, s));
                    }
                    let Some((a, _, covered)) = acc.as_mut() else {
                        return Err(Error::internal("window accumulator missing"));
                    };
                    for q in *covered..e.max(*covered) {
                        if *star {
                            a.add(&Value::Int(1));
                        } else {
                            need(1)?;
                            a.add(&self.arg(q, 0));
                        }
                    }
                    *covered = e.max(*covered);
                    a.check()?;
                    a.result()
                }
                other => {
                    return Err(Error::new(
                        ErrorCode::NotSupported,
                        format!("{other}() is not a window function"),
                    ))
                }
            };
            result[self.idx[p]] = v;
        }
        Ok(())
    }

    /// The frame `[start, end)` of position `p`, in partition positions.
    fn frame(&self, ctx: &Ctx, w: &Window, p: usize, s: &Scope) -> Result<(usize, usize)> {
        let m = self.idx.len();
        let g = self.gid[p];
        let Some(f) = &w.frame else {
            // Standard default: RANGE UNBOUNDED PRECEDING … CURRENT ROW (the
            // whole partition when there is no ORDER BY: every row is a peer).
            return Ok((0, self.gend[g]));
        };
        let last_group = self.gstart.len() - 1;
        let bound = |b: &FrameBound, is_start: bool| -> Result<usize> {
            let off = |x: &Expr| eval(ctx, x, s);
            Ok(match (b, f.units) {
                (FrameBound::UnboundedPreceding, _) => 0,
                (FrameBound::UnboundedFollowing, _) => m,
                (FrameBound::CurrentRow, FrameUnits::Rows) => p + usize::from(!is_start),
                (FrameBound::CurrentRow, _) if is_start => self.gstart[g],
                (FrameBound::CurrentRow, _) => self.gend[g],
                (FrameBound::Preceding(x), FrameUnits::Rows) => {
                    let k = non_negative(&off(x)?, "frame offset")?;
                    (p + usize::from(!is_start)).saturating_sub(k)
                }
                (FrameBound::Following(x), FrameUnits::Rows) => {
                    let k = non_negative(&off(x)?, "frame offset")?;
                    (p + k + usize::from(!is_start)).min(m)
                }
                (FrameBound::Preceding(x), FrameUnits::Groups) => {
                    let k = non_negative(&off(x)?, "frame offset")?;
                    match (g.checked_sub(k), is_start) {
                        (Some(t), true) => self.gstart[t],
                        (Some(t), false) => self.gend[t],
                        (None, _) => 0,
                    }
                }
                (FrameBound::Following(x), FrameUnits::Groups) => {
                    let k = non_negative(&off(x)?, "frame offset")?;
                    let t = g + k;
                    match (t <= last_group, is_start) {
                        (true, true) => self.gstart[t],
                        (true, false) => self.gend[t],
                        (false, _) => m,
                    }
                }
                (FrameBound::Preceding(x), FrameUnits::Range) => {
                    self.range_bound(&off(x)?, true, is_start, p)?
                }
                (FrameBound::Following(x), FrameUnits::Range) => {
                    self.range_bound(&off(x)?, false, is_start, p)?
                }
            })
        };
        let start = bound(&f.start, true)?;
        let end = bound(&f.end, false)?;
        Ok((start, end.max(start)))
    }

    /// A RANGE bound `k PRECEDING/FOLLOWING`: rows whose single ORDER BY
    /// value lies within `k` of the current row's.
    fn range_bound(&self, k: &Value, preceding: bool, is_start: bool, p: usize) -> Result<usize> {
        let [term] = self.order else {
            return Err(Error::new(
                ErrorCode::Syntax,
                "RANGE with an offset needs exactly one ORDER BY term",
            ));
        };
        let k = match k.as_f64() {
            Some(k) if k >= 0.0 => k,
            _ => {
                return Err(Error::invalid(
                    "a RANGE frame offset must be a non-negative number",
                ))
            }
        };
        let key = |q: usize| &self.inputs[self.idx[q]].order[0];
        let Some(x) = key(p).as_f64() else {
            if key(p).is_null() {
                // NULLs are each other's peers.
                let g = self.gid[p];
                return Ok(if is_start {
                    self.gstart[g]
                } else {
                    self.gend[g]
                });
            }
            return Err(Error::invalid(
                "RANGE with an offset needs a numeric ORDER BY value",
            ));
        };
        let sign = if term.desc { -1.0 } else { 1.0 };
        let t = if preceding {
            x - sign * k
        } else {
            x + sign * k
        };
        let nulls_first = term.nulls_first.unwrap_or(!term.desc);
        // Positions before the bound form a prefix of the sorted partition.
        let before = |q: usize| -> Result<bool> {
            let v = key(q);
            if v.is_null() {
                return Ok(nulls_first);
            }
            let d = sign
                * (v.as_f64().ok_or_else(|| {
                    Error::invalid("RANGE with an offset needs a numeric ORDER BY value")
                })? - t);
            Ok(if is_start { d < 0.0 } else { d <= 0.0 })
        };
        let (mut lo, mut hi) = (0, self.idx.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if before(mid)? {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Ok(lo)
    }
}

fn non_negative(v: &Value, what: &str) -> Result<usize> {
    match v.numeric() {
        Value::Int(i) if i >= 0 => Ok(i as usize),
        _ => Err(Error::invalid(format!(
            "{what} must be a non-negative integer"
        ))),
    }
}

fn positive(v: &Value, what: &str) -> Result<usize> {
    match v.numeric() {
        Value::Int(i) if i > 0 => Ok(i as usize),
        _ => Err(Error::invalid(format!("{what} must be a positive integer"))),
    }
}
