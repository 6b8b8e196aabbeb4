//! Scalar SQL functions. An unknown name is `TDB_NOT_SUPPORTED` naming it.

use crate::error::{Error, ErrorCode, Result};
use crate::sql::datum::value::{format_real, Value};
use std::cmp::Ordering;

fn arity(name: &str, args: &[Value], n: usize) -> Result<()> {
    if args.len() == n {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::Syntax,
            format!("wrong number of arguments to function {name}()"),
        ))
    }
}

/// Calls scalar function `name`.
pub fn scalar(name: &str, args: &[Value], now: i64) -> Result<Value> {
    Ok(match name {
        "abs" => {
            arity(name, args, 1)?;
            // SQLite: text and blobs are read as REAL (0.0 when not numeric).
            if matches!(args[0], Value::Text(_) | Value::Blob(_)) {
                return Ok(Value::Real(args[0].numeric().as_f64().unwrap_or(0.0).abs()));
            }
            match args[0].numeric() {
                Value::Int(i) => Value::Int(
                    i.checked_abs()
                        .ok_or_else(|| Error::invalid("integer overflow in abs()"))?,
                ),
                Value::Real(r) => Value::Real(r.abs()),
                other => other,
            }
        }
        // A trigger's RAISE(ABORT | FAIL | ROLLBACK, message): the statement
        // fails with the message and every write of it is undone.
        "raise" => {
            arity(name, args, 2)?;
            let kind = args[0].to_text().unwrap_or_default().to_ascii_lowercase();
            if !matches!(kind.as_str(), "abort" | "fail" | "rollback") {
                return Err(Error::new(
                    ErrorCode::NotSupported,
                    format!(
                        "RAISE({}) is not supported yet (ABORT, FAIL and ROLLBACK are)",
                        kind
                    ),
                ));
            }
            return Err(Error::new(
                ErrorCode::Constraint,
                args[1].to_text().unwrap_or_default(),
            ));
        }
        "coalesce" | "ifnull" => args
            .iter()
            .find(|v| !v.is_null())
            .cloned()
            .unwrap_or(Value::Null),
        "nullif" => {
            arity(name, args, 2)?;
            if args[0].sql_cmp(&args[1]) == Some(Ordering::Equal) {
                Value::Null
            } else {
                args[0].clone()
            }
        }
        "iif" | "if" => {
            arity(name, args, 3)?;
            if args[0].truth() == Some(true) {
                args[1].clone()
            } else {
                args[2].clone()
            }
        }
        "typeof" => {
            arity(name, args, 1)?;
            Value::Text(args[0].type_name().into())
        }
        "length" => {
            arity(name, args, 1)?;
            match &args[0] {
                Value::Null => Value::Null,
                Value::Blob(b) => Value::Int(b.len() as i64),
                v => Value::Int(v.to_text().unwrap_or_default().chars().count() as i64),
            }
        }
        "upper" | "lower" => {
            arity(name, args, 1)?;
            match args[0].to_text() {
                None => Value::Null,
                Some(t) => Value::Text(if name == "upper" {
                    t.to_uppercase()
                } else {
                    t.to_lowercase()
                }),
            }
        }
        "min" | "max" => {
            if args.iter().any(Value::is_null) {
                return Ok(Value::Null);
            }
            let pick = args.iter().cloned().reduce(|a, b| {
                let o = a.total_cmp(&b);
                if (name == "min") == (o == Ordering::Greater) {
                    b
                } else {
                    a
                }
            });
            pick.unwrap_or(Value::Null)
        }
        "round" => {
            let digits = match args.get(1) {
                Some(v) => v.numeric().as_f64().unwrap_or(0.0) as i32,
                None => 0,
            };
            match args.first().map(Value::numeric) {
                None | Some(Value::Null) => Value::Null,
                Some(v) => {
                    let x = v.as_f64().unwrap_or(0.0);
                    let m = 10f64.powi(digits);
                    Value::Real((x * m).round() / m)
                }
            }
        }
        "substr" | "substring" => {
            let Some(t) = args.first().and_then(Value::to_text) else {
                return Ok(Value::Null);
            };
            if args.iter().skip(1).any(Value::is_null) {
                return Ok(Value::Null);
            }
            // SQLite's rules (func.c, substrFunc): a start of 0 is the
            // position before the first character, a negative start counts
            // from the end, a negative length takes characters before start.
            let as_int = |v: Option<&Value>| v.and_then(|v| v.numeric().as_f64()).map(|f| f as i64);
            let chars: Vec<char> = t.chars().collect();
            let n = chars.len() as i64;
            let mut p1 = as_int(args.get(1)).unwrap_or(1);
            let (mut p2, neg) = match as_int(args.get(2)) {
                Some(l) if l < 0 => (l.saturating_neg(), true),
                Some(l) => (l, false),
                None => (i64::MAX / 2, false),
            };
            if p1 < 0 {
                p1 += n;
                if p1 < 0 {
                    p2 = (p2 + p1).max(0);
                    p1 = 0;
                }
            } else if p1 > 0 {
                p1 -= 1;
            } else if p2 > 0 {
                p2 -= 1;
            }
            if neg {
                p1 -= p2;
                if p1 < 0 {
                    p2 += p1;
                    p1 = 0;
                }
            }
            let from = p1.clamp(0, n) as usize;
            let to = p1.saturating_add(p2.max(0)).clamp(0, n) as usize;
            Value::Text(chars[from..to.max(from)].iter().collect())
        }
        "quote" => match args.first() {
            Some(Value::Text(t)) => Value::Text(format!("'{}'", t.replace('\'', "''"))),
            Some(Value::Real(r)) => Value::Text(format_real(*r)),
            Some(v) => Value::Text(v.to_text().unwrap_or_else(|| "NULL".into())),
            None => Value::Null,
        },
        "is_distinct_from" => {
            arity(name, args, 2)?;
            Value::bool(match (args[0].is_null(), args[1].is_null()) {
                (true, true) => false,
                (false, false) => args[0].sql_cmp(&args[1]) != Some(Ordering::Equal),
                _ => true,
            })
        }
        "is_true" | "is_false" => {
            arity(name, args, 1)?;
            Value::bool(args[0].truth() == Some(name == "is_true"))
        }
        "greatest" | "least" => {
            // NULLs are ignored (as in Postgres); all NULL gives NULL.
            let pick = args
                .iter()
                .filter(|v| !v.is_null())
                .cloned()
                .reduce(|a, b| {
                    let o = a.total_cmp(&b);
                    if (name == "least") == (o == Ordering::Greater) {
                        b
                    } else {
                        a
                    }
                });
            pick.unwrap_or(Value::Null)
        }
        other => {
            if let Some(v) = crate::sql::func::text::call(other, args)? {
                return Ok(v);
            }
            if let Some(v) = crate::sql::func::math::call(other, args)? {
                return Ok(v);
            }
            if let Some(v) = crate::sql::datum::datetime::call(other, args, now)? {
                return Ok(v);
            }
            if let Some(v) = crate::sql::func::period::call(other, args)? {
                return Ok(v);
            }
            return Err(Error::new(
                ErrorCode::NotSupported,
                format!("the function {other}() is not supported yet"),
            ));
        }
    })
}
