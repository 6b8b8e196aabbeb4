//! Numeric functions. Integer arguments stay integers where the result is
//! exact (ceil, floor, mod, sign, abs); the rest compute in f64. NULL in gives
//! NULL out; a math domain error (sqrt(-1), ln(0)) gives NULL as in SQLite.

use crate::error::{Error, Result};
use crate::sql::datum::value::Value;
use std::sync::atomic::{AtomicU64, Ordering};

fn num(v: Option<&Value>) -> Option<Value> {
    match v.map(Value::numeric) {
        None | Some(Value::Null) => None,
        Some(v) => Some(v),
    }
}

fn real(v: Option<&Value>) -> Option<f64> {
    num(v).and_then(|v| v.as_f64())
}

fn finite(x: f64) -> Value {
    if x.is_finite() {
        Value::Real(x)
    } else {
        Value::Null
    }
}

/// A xorshift64* generator seeded from the clock, shared by the process.
fn next_random() -> i64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let step = |mut x: u64| {
        if x == 0 {
            x = crate::engine::clock::now_micros() | 1;
        }
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        x
    };
    let mut seen = STATE.load(Ordering::Relaxed);
    loop {
        let x = step(seen);
        match STATE.compare_exchange_weak(seen, x, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return x.wrapping_mul(0x2545_F491_4F6C_DD1D) as i64,
            Err(now) => seen = now,
        }
    }
}

/// Calls numeric function `name`; `None` when the name is not one.
pub fn call(name: &str, args: &[Value]) -> Result<Option<Value>> {
    let a0 = || num(args.first());
    let null = Value::Null;
    Ok(Some(match name {
        "ceil" | "ceiling" | "floor" | "trunc" => match a0() {
            Some(Value::Int(i)) => Value::Int(i),
            Some(v) => {
                let x = v.as_f64().unwrap_or(0.0);
                let digits = real(args.get(1)).unwrap_or(0.0) as i32;
                let m = 10f64.powi(digits);
                finite(match name {
                    "floor" => (x * m).floor() / m,
                    "trunc" => (x * m).trunc() / m,
                    _ => (x * m).ceil() / m,
                })
            }
            None => null,
        },
        "mod" => match (a0(), num(args.get(1))) {
            (Some(Value::Int(a)), Some(Value::Int(b))) => {
                if b == 0 {
                    null
                } else {
                    Value::Int(a.wrapping_rem(b))
                }
            }
            (Some(a), Some(b)) => {
                let (a, b) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
                if b == 0.0 {
                    null
                } else {
                    finite(a % b)
                }
            }
            _ => null,
        },
        "power" | "pow" => match (real(args.first()), real(args.get(1))) {
            (Some(a), Some(b)) => finite(a.powf(b)),
            _ => null,
        },
        "sqrt" => match real(args.first()) {
            Some(x) if x >= 0.0 => Value::Real(x.sqrt()),
            _ => null,
        },
        "ln" => match real(args.first()) {
            Some(x) if x > 0.0 => Value::Real(x.ln()),
            _ => null,
        },
        "log10" => match real(args.first()) {
            Some(x) if x > 0.0 => Value::Real(x.log10()),
            _ => null,
        },
        "log" => match args.len() {
            // log(x) is base 10 (as in Postgres and SQLite); log(b, x) base b.
            1 => match real(args.first()) {
                Some(x) if x > 0.0 => Value::Real(x.log10()),
                _ => null,
            },
            _ => match (real(args.first()), real(args.get(1))) {
                (Some(b), Some(x)) if b > 0.0 && b != 1.0 && x > 0.0 => {
                    Value::Real(x.ln() / b.ln())
                }
                _ => null,
            },
        },
        "log2" => match real(args.first()) {
            Some(x) if x > 0.0 => Value::Real(x.log2()),
            _ => null,
        },
        "exp" => match real(args.first()) {
            Some(x) => finite(x.exp()),
            None => null,
        },
        "sign" => match a0() {
            Some(Value::Int(i)) => Value::Int(i.signum()),
            Some(v) => {
                let x = v.as_f64().unwrap_or(0.0);
                Value::Int(if x > 0.0 {
                    1
                } else if x < 0.0 {
                    -1
                } else {
                    0
                })
            }
            None => null,
        },
        "degrees" => real(args.first())
            .map(|x| Value::Real(x.to_degrees()))
            .unwrap_or(null),
        "radians" => real(args.first())
            .map(|x| Value::Real(x.to_radians()))
            .unwrap_or(null),
        "sin" | "cos" | "tan" | "asin" | "acos" | "atan" => match real(args.first()) {
            Some(x) => finite(match name {
                "sin" => x.sin(),
                "cos" => x.cos(),
                "tan" => x.tan(),
                "asin" => x.asin(),
                "acos" => x.acos(),
                _ => x.atan(),
            }),
            None => null,
        },
        "atan2" => match (real(args.first()), real(args.get(1))) {
            (Some(y), Some(x)) => Value::Real(y.atan2(x)),
            _ => null,
        },
        "random" => {
            if !args.is_empty() {
                return Err(Error::invalid("random() takes no arguments"));
            }
            Value::Int(next_random())
        }
        "pi" => Value::Real(std::f64::consts::PI),
        _ => return Ok(None),
    }))
}
