//! Table references at other times: `AS OF`, `FOR SYSTEM_TIME …`,
//! `FOR VALID_TIME …`, and the hidden period columns.
//!
//! A reference at one (system time, valid time) point reads like any table,
//! through the usual access paths, with the schema as of that system time.
//! Anything else — a range or `ALL` on either axis, or a statement that
//! names a hidden column — reads the table's facts and turns each key's
//! facts into bitemporal versions (`ledger::timeline`), keeping those that
//! overlap the requested periods; each version is one row, with its periods
//! in `_system_from`, `_system_to`, `_valid_from`, `_valid_to`
//! (microseconds since the Unix epoch; NULL for an open end).

use crate::engine::commit::WriteOp;
use crate::engine::db::ReadAt;
use crate::error::{Error, ErrorCode, Result};
use crate::ledger::fact::{VALID_END, VALID_START};
use crate::ledger::timeline::{self, SYSTEM_END};
use crate::sql::catalog::ctx::Ctx;
use crate::sql::catalog::tables::{self, rows_prefix, Table};
use crate::sql::datum::datetime::micros;
use crate::sql::datum::value::Value;
use crate::sql::exec::query::{ColRef, Relation, EMPTY_SCOPE};
use crate::sql::plan::paths::How;
use crate::sql::syntax::ast::{Expr, Temporal, TimeSpec};
use crate::sql::syntax::names::HIDDEN;

/// Which part of one time axis a reference selects.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Sel<T> {
    /// One point.
    At(T),
    /// Versions overlapping `[a, b)` (`FROM a TO b`).
    FromTo(T, T),
    /// Versions overlapping `[a, b]` (`BETWEEN a AND b`).
    Between(T, T),
    /// Every version.
    All,
}

impl<T: PartialOrd + Copy> Sel<T> {
    /// True when the period `[from, to)` is selected.
    pub fn keeps(&self, from: T, to: T) -> bool {
        match *self {
            Sel::At(t) => from <= t && t < to,
            Sel::FromTo(a, b) => from < b && a < to,
            Sel::Between(a, b) => from <= b && a < to,
            Sel::All => true,
        }
    }
}

fn value_of(ctx: &Ctx, e: &Expr, what: &str) -> Result<i64> {
    micros(&crate::sql::exec::query::eval(ctx, e, &EMPTY_SCOPE)?, what)
}

fn system_time(ctx: &Ctx, e: &Expr) -> Result<u64> {
    let t = value_of(ctx, e, "a system time")?;
    u64::try_from(t).map_err(|_| Error::invalid("a system time cannot be negative"))
}

fn epoch_time(ctx: &Ctx, e: &Expr) -> Result<u64> {
    match crate::sql::exec::query::eval(ctx, e, &EMPTY_SCOPE)? {
        Value::Int(n) if n >= 0 && ctx.memory_only() => ctx.db.epoch_time_cached(n as u64),
        Value::Int(n) if n >= 0 => ctx.db.epoch_time(n as u64),
        other => Err(Error::invalid(format!(
            "AS OF EPOCH takes an epoch number, not {other:?}"
        ))),
    }
}

/// Resolves one system-time clause (`None`: the statement's time `now`).
pub fn system_sel(ctx: &Ctx, spec: Option<&TimeSpec>, now: u64) -> Result<Sel<u64>> {
    Ok(match spec {
        None => Sel::At(now),
        Some(TimeSpec::AsOf(e)) => Sel::At(system_time(ctx, e)?.min(now)),
        Some(TimeSpec::AsOfEpoch(e)) => Sel::At(epoch_time(ctx, e)?),
        Some(TimeSpec::Between(a, b)) => Sel::Between(system_time(ctx, a)?, system_time(ctx, b)?),
        Some(TimeSpec::FromTo(a, b)) => Sel::FromTo(system_time(ctx, a)?, system_time(ctx, b)?),
        Some(TimeSpec::All) => Sel::All,
    })
}

/// Resolves one valid-time clause (`None`: the statement's valid time).
pub fn valid_sel(ctx: &Ctx, spec: Option<&TimeSpec>, now: i64) -> Result<Sel<i64>> {
    let v = |e| value_of(ctx, e, "a valid time");
    Ok(match spec {
        None => Sel::At(now),
        Some(TimeSpec::AsOf(e)) => Sel::At(v(e)?),
        Some(TimeSpec::AsOfEpoch(_)) => {
            return Err(Error::new(
                ErrorCode::Syntax,
                "AS OF EPOCH applies to system time only",
            ))
        }
        Some(TimeSpec::Between(a, b)) => Sel::Between(v(a)?, v(b)?),
        Some(TimeSpec::FromTo(a, b)) => Sel::FromTo(v(a)?, v(b)?),
        Some(TimeSpec::All) => Sel::All,
    })
}

/// The relation of table `name` under `temporal`, restricted (at least) by
/// `conds`, the WHERE conjuncts that name only this table. `None` when the
/// name is not a table (a view, say).
pub fn relation(
    ctx: &Ctx,
    name: &str,
    label: &str,
    temporal: &Temporal,
    conds: &[Expr],
) -> Result<Option<Relation>> {
    let (now_t, now_v) = ctx.db.resolve(&ctx.at)?;
    let sys = system_sel(ctx, temporal.system.as_ref(), now_t)?;
    let valid = valid_sel(ctx, temporal.valid.as_ref(), now_v)?;
    // The schema as of the system time read (the statement's for ranges).
    let schema_t = match sys {
        Sel::At(t) => t,
        _ => now_t,
    };
    let point = ctx.at_time(ReadAt {
        as_of: Some(schema_t),
        epoch: None,
        valid_at: Some(match valid {
            Sel::At(v) => v,
            _ => now_v,
        }),
    });
    if !tables::exists(&point, name)? {
        if tables::exists(ctx, name)? {
            return Err(Error::new(
                ErrorCode::NoTable,
                format!("table {name} did not exist at system time {schema_t}"),
            ));
        }
        return Ok(None);
    }
    let t = tables::lookup(&point, name)?;
    let mut cols: Vec<ColRef> = t
        .columns
        .iter()
        .map(|c| (Some(label.to_string()), c.name.clone()))
        .collect();
    let table_conds: Vec<Expr> = conds
        .iter()
        .filter(|c| crate::sql::exec::query::refs_resolve(c, &cols))
        .cloned()
        .collect();
    if !temporal.hidden {
        if let (Sel::At(_), Sel::At(_)) = (sys, valid) {
            let (_, rows) = crate::sql::plan::access::rows(&point, &t, label, &table_conds)?;
            return Ok(Some((cols, rows.into_iter().map(|(_, r)| r).collect())));
        }
    }
    cols.extend(
        HIDDEN
            .iter()
            .map(|h| (Some(label.to_string()), h.to_string())),
    );
    let tok = ctx.op_start("History scan", || {
        format!("{} ({:?} × {:?})", t.name, sys, valid)
    });
    let mut rows = Vec::new();
    if !ctx.plan_only() {
        let max_sys = match sys {
            Sel::At(t) => t,
            _ => now_t,
        };
        versions_of(ctx, &t, label, &table_conds, max_sys, |_, row, v| {
            if sys.keeps(v.system_from, v.system_to) && valid.keeps(v.valid_from, v.valid_to) {
                let mut row = row;
                row.extend(period_values(v));
                rows.push(row);
            }
            Ok(())
        })?;
    }
    ctx.op_end(tok, rows.len());
    Ok(Some((cols, rows)))
}

/// Every version of the rows of `t` known at system time `max_sys`: calls
/// `f(row key, values, version)`. `conds` (conjuncts on `t`'s columns) only
/// narrow the keys read — a primary-key equality reads one key's facts —
/// callers still filter.
pub fn versions_of(
    ctx: &Ctx,
    t: &Table,
    label: &str,
    conds: &[Expr],
    max_sys: u64,
    mut f: impl FnMut(&[u8], Vec<Value>, &timeline::Version) -> Result<()>,
) -> Result<()> {
    if ctx.memory_only() {
        // Fact histories are read from the store directly, outside the
        // memory-only budget: such statements run on an engine thread.
        return Err(Ctx::would_block());
    }
    if ctx.has_own_writes(&rows_prefix(t.id)) {
        return Err(Error::new(
            ErrorCode::NotSupported,
            "reading periods or hidden columns of a table this transaction has written \
             (commit first)",
        ));
    }
    let plan = crate::sql::plan::paths::choose(ctx, t, label, conds)?;
    let (prefix, exact) = match &plan.how {
        How::Point(key) => (key.clone(), true),
        _ => (rows_prefix(t.id), false),
    };
    ctx.db.facts(&prefix, exact, max_sys, |key, facts| {
        for v in timeline::versions(facts) {
            if let Some(bytes) = &facts[v.fact].value {
                f(key, t.decode_with_room(bytes, HIDDEN.len())?, &v)?;
            }
        }
        Ok(())
    })
}

/// True when row `key` currently has a value somewhere in `[from, to)`.
pub fn key_taken(ctx: &Ctx, key: &[u8], from: i64, to: i64) -> Result<bool> {
    if !ctx.historical_read() && ctx.own_write(key) == Some(true) {
        return Ok(true);
    }
    if ctx.memory_only() {
        return Err(Ctx::would_block());
    }
    let (now_t, _) = ctx.db.resolve(&ctx.at)?;
    let mut taken = false;
    ctx.db.facts(key, true, now_t, |_, facts| {
        taken = timeline::versions(facts).iter().any(|v| {
            v.system_to == SYSTEM_END
                && facts[v.fact].value.is_some()
                && v.valid_from < to
                && from < v.valid_to
        });
        Ok(())
    })?;
    Ok(taken)
}

/// Gives every operation in `ops` the valid period `[from, to)` (`None`:
/// the default — the commit time, and open).
pub fn set_period(ops: &mut [WriteOp], from: Option<i64>, to: Option<i64>) {
    for op in ops {
        op.valid_from = from;
        op.valid_to = to;
    }
}

/// The hidden column values of a version.
pub fn period_values(v: &timeline::Version) -> [Value; 4] {
    let sys = |t: u64| {
        if t == SYSTEM_END {
            Value::Null
        } else {
            Value::Int(t as i64)
        }
    };
    let valid = |t: i64| {
        if t == VALID_END || t == VALID_START {
            Value::Null
        } else {
            Value::Int(t)
        }
    };
    [
        sys(v.system_from),
        sys(v.system_to),
        valid(v.valid_from),
        valid(v.valid_to),
    ]
}
