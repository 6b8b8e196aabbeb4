//! Period predicates on half-open `[from, to)` pairs, as SQL:2011 defines
//! them: `(a, b) OVERLAPS (c, d)`, `CONTAINS` (a period or a point),
//! `EQUALS`, `PRECEDES`, `SUCCEEDS`, `IMMEDIATELY PRECEDES`, `IMMEDIATELY
//! SUCCEEDS`. The front pass rewrites each into a call of the function of
//! the same name with a `period_` prefix (also callable directly).
//!
//! Bounds are integers (µs since the Unix epoch, like the hidden period
//! columns) or timestamp / date text; a NULL start means -∞ and a NULL end
//! +∞, which is how the hidden columns show open ends.

use crate::error::{Error, ErrorCode, Result};
use crate::sql::datum::datetime::micros;
use crate::sql::datum::value::Value;

/// The predicate keywords the front pass recognizes (after `IMMEDIATELY`
/// for the last two).
pub const KEYWORDS: [&str; 5] = ["OVERLAPS", "CONTAINS", "EQUALS", "PRECEDES", "SUCCEEDS"];

fn bound(v: &Value, open: i64) -> Result<i64> {
    if v.is_null() {
        Ok(open)
    } else {
        micros(v, "a period bound")
    }
}

fn period(args: &[Value], at: usize, name: &str) -> Result<(i64, i64)> {
    let (a, b) = (bound(&args[at], i64::MIN)?, bound(&args[at + 1], i64::MAX)?);
    if a > b {
        return Err(Error::invalid(format!(
            "{name}: a period's start is after its end"
        )));
    }
    Ok((a, b))
}

/// Evaluates `period_<name>(from1, to1, from2, to2)` (or, for `contains`,
/// `(from1, to1, point)`); `None` when `name` is not a period predicate.
pub fn call(name: &str, args: &[Value]) -> Result<Option<Value>> {
    let Some(op) = name.strip_prefix("period_") else {
        return Ok(None);
    };
    let known = [
        "overlaps",
        "contains",
        "equals",
        "precedes",
        "succeeds",
        "immediately_precedes",
        "immediately_succeeds",
    ];
    if !known.contains(&op) {
        return Ok(None);
    }
    let (s1, e1) = match args.len() {
        3 if op == "contains" => period(args, 0, name)?,
        4 => period(args, 0, name)?,
        _ => {
            return Err(Error::new(
                ErrorCode::Syntax,
                format!("{name} compares two (from, to) periods"),
            ))
        }
    };
    if args.len() == 3 {
        if args[2].is_null() {
            return Ok(Some(Value::Null));
        }
        let x = micros(&args[2], "a point in time")?;
        return Ok(Some(Value::bool(s1 <= x && x < e1)));
    }
    let (s2, e2) = period(args, 2, name)?;
    Ok(Some(Value::bool(match op {
        "overlaps" => s1 < e2 && s2 < e1,
        "contains" => s1 <= s2 && e2 <= e1,
        "equals" => s1 == s2 && e1 == e2,
        "precedes" => e1 <= s2,
        "succeeds" => s1 >= e2,
        "immediately_precedes" => e1 == s2,
        _ => s1 == e2,
    })))
}
