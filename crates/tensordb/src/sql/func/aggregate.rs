//! Aggregate functions as accumulators: values are added one at a time, so
//! GROUP BY folds a group in one pass and a window frame that only grows
//! (the default `UNBOUNDED PRECEDING … CURRENT ROW`) is folded incrementally.

use crate::error::{Error, ErrorCode, Result};
use crate::sql::datum::value::{arith, encode_key_value, Arith, Value};
use std::collections::HashSet;

/// Names of the aggregate functions (min/max only with one argument).
pub const AGGREGATES: [&str; 16] = [
    "count",
    "sum",
    "total",
    "avg",
    "min",
    "max",
    "group_concat",
    "string_agg",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "variance",
    "var_pop",
    "var_samp",
    "bool_and",
    "bool_or",
];

/// True when a call of `name` with `args` arguments is an aggregate.
pub fn is_aggregate(name: &str, args: usize) -> bool {
    AGGREGATES.contains(&name) && !((name == "min" || name == "max") && args > 1)
}

/// The running state of one aggregate call.
pub struct Acc {
    name: &'static str,
    distinct: bool,
    seen: HashSet<Vec<u8>>,
    count: i64,
    sum: Value,
    best: Option<Value>,
    texts: Vec<String>,
    /// Bytes `texts` joined will take (checked against `control::max_length`).
    text_bytes: usize,
    /// Bytes `add` kept (DISTINCT keys, group_concat texts) not yet
    /// charged to the statement's memory budget.
    unbilled: usize,
    /// Bytes charged, given back when the accumulator is dropped.
    billed: usize,
    sep: String,
    // Welford's running mean and sum of squared deviations.
    mean: f64,
    m2: f64,
    fsum: f64,
    all: Option<bool>,
    any: Option<bool>,
}

impl Drop for Acc {
    fn drop(&mut self) {
        crate::sql::func::control::release(self.billed);
    }
}

impl Acc {
    /// A fresh accumulator for `name` (`sep` is the group_concat separator).
    pub fn new(name: &str, distinct: bool, sep: String) -> Result<Acc> {
        let name = AGGREGATES
            .iter()
            .find(|n| **n == name)
            .copied()
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::Syntax,
                    format!("{name}() is not an aggregate function"),
                )
            })?;
        Ok(Acc {
            name,
            distinct,
            seen: HashSet::new(),
            count: 0,
            sum: Value::Int(0),
            best: None,
            texts: Vec::new(),
            text_bytes: 0,
            unbilled: 0,
            billed: 0,
            sep,
            mean: 0.0,
            m2: 0.0,
            fsum: 0.0,
            all: None,
            any: None,
        })
    }

    /// Fails with `TDB_LIMIT` once the values added would build a result
    /// longer than `control::max_length` (group_concat), or the values it
    /// keeps go past the statement's memory budget; call after `add`.
    pub fn check(&mut self) -> Result<()> {
        if self.text_bytes == 0 && self.unbilled == 0 {
            return Ok(());
        }
        crate::sql::func::control::check_length(self.text_bytes, "group_concat()")?;
        if self.unbilled > 0 {
            let what = if self.distinct {
                "an aggregate's DISTINCT values"
            } else {
                "group_concat()'s texts"
            };
            let n = std::mem::take(&mut self.unbilled);
            self.billed += n;
            crate::sql::func::control::charge(n, what)?;
        }
        Ok(())
    }

    /// Adds one value; NULLs are skipped, as are repeats under DISTINCT.
    pub fn add(&mut self, v: &Value) {
        if v.is_null() {
            return;
        }
        if self.distinct {
            let mut k = Vec::new();
            encode_key_value(v, &mut k);
            let n = 32 + k.len();
            if !self.seen.insert(k) {
                return;
            }
            self.unbilled += n;
        }
        self.count += 1;
        match self.name {
            "count" => {}
            "min" => {
                if self.best.as_ref().is_none_or(|b| v.total_cmp(b).is_lt()) {
                    self.best = Some(v.clone());
                }
            }
            "max" => {
                if self.best.as_ref().is_none_or(|b| !v.total_cmp(b).is_lt()) {
                    self.best = Some(v.clone());
                }
            }
            "sum" | "total" => self.sum = arith(Arith::Add, &self.sum, v),
            "group_concat" | "string_agg" => {
                let t = v.to_text().unwrap_or_default();
                self.text_bytes += t.len() + self.sep.len();
                if self.text_bytes <= crate::sql::func::control::max_length() {
                    self.unbilled += 24 + t.len();
                    self.texts.push(t)
                }
            }
            "bool_and" | "bool_or" => {
                let b = v.truth().unwrap_or(false);
                self.all = Some(self.all.unwrap_or(true) && b);
                self.any = Some(self.any.unwrap_or(false) || b);
            }
            _ => {
                // avg and the variance family.
                let x = v.numeric().as_f64().unwrap_or(0.0);
                self.fsum += x;
                let d = x - self.mean;
                self.mean += d / self.count as f64;
                self.m2 += d * (x - self.mean);
            }
        }
    }

    /// The aggregate's value for what was added so far.
    pub fn result(&self) -> Value {
        let n = self.count;
        match self.name {
            "count" => Value::Int(n),
            "min" | "max" => self.best.clone().unwrap_or(Value::Null),
            "sum" if n == 0 => Value::Null,
            "sum" => self.sum.clone(),
            "total" => Value::Real(self.sum.as_f64().unwrap_or(0.0)),
            "group_concat" | "string_agg" if n == 0 => Value::Null,
            "group_concat" | "string_agg" => Value::Text(self.texts.join(&self.sep)),
            "bool_and" => self.all.map_or(Value::Null, Value::bool),
            "bool_or" => self.any.map_or(Value::Null, Value::bool),
            _ if n == 0 => Value::Null,
            "avg" => Value::Real(self.fsum / n as f64),
            "var_pop" => Value::Real(self.m2 / n as f64),
            "stddev_pop" => Value::Real((self.m2 / n as f64).sqrt()),
            _ if n < 2 => Value::Null,
            "variance" | "var_samp" => Value::Real(self.m2 / (n - 1) as f64),
            _ => Value::Real((self.m2 / (n - 1) as f64).sqrt()),
        }
    }
}
