//! Strict column types on top of SQLite-style affinity: BOOLEAN, TIMESTAMP,
//! DATE and JSON columns check and normalize what is written to them (and
//! `CAST(x AS …)` to them), failing with `TDB_TYPE_MISMATCH` instead of
//! storing a value of another type. Other declared types keep SQLite's
//! lenient affinity rules, which the sqllogictest corpus depends on.

use crate::error::{Error, ErrorCode, Result};
use crate::sql::datum::value::Value;

/// The strict kind of a declared column type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Affinity only (INTEGER, REAL, TEXT, BLOB, NUMERIC, …).
    Plain,
    /// BOOLEAN / BOOL: stored as the integers 0 and 1.
    Boolean,
    /// TIMESTAMP / DATETIME: canonical UTC text (see `datetime`).
    Timestamp,
    /// DATE: `YYYY-MM-DD`.
    Date,
    /// JSON / JSONB: minified JSON text.
    Json,
}

impl Kind {
    /// The kind of a declared type name.
    pub fn of(decl: &str) -> Kind {
        let d = decl.to_ascii_uppercase();
        if d.contains("BOOL") {
            Kind::Boolean
        } else if d.contains("TIMESTAMP") || d.contains("DATETIME") {
            Kind::Timestamp
        } else if d == "DATE" {
            Kind::Date
        } else if d.contains("JSON") {
            Kind::Json
        } else {
            Kind::Plain
        }
    }

    /// The type name results report for columns of this kind ("" for plain).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Plain => "",
            Kind::Boolean => "BOOLEAN",
            Kind::Timestamp => "TIMESTAMP",
            Kind::Date => "DATE",
            Kind::Json => "JSON",
        }
    }

    /// Checks and normalizes a value of this kind; `now` (µs) is what the
    /// text `'now'` means for times.
    pub fn normalize(self, v: Value, now: i64) -> Result<Value> {
        if v.is_null() {
            return Ok(v);
        }
        match self {
            Kind::Plain => Ok(v),
            Kind::Boolean => boolean(v),
            Kind::Timestamp => crate::sql::datum::datetime::to_timestamp_value(v, now),
            Kind::Date => crate::sql::datum::datetime::to_date_value(v, now),
            Kind::Json => match &v {
                Value::Text(t) => Ok(Value::Text(crate::sql::datum::json::parse(t)?.to_text())),
                Value::Int(_) | Value::Real(_) => Ok(Value::Text(
                    crate::sql::datum::json::Json::from_sql(&v, false)?.to_text(),
                )),
                _ => Err(Error::new(
                    ErrorCode::TypeMismatch,
                    "a BLOB cannot be stored as JSON",
                )),
            },
        }
    }
}

fn boolean(v: Value) -> Result<Value> {
    let b = match &v {
        Value::Int(i) => *i != 0,
        Value::Real(r) => *r != 0.0,
        Value::Text(t) => match t.trim().to_ascii_lowercase().as_str() {
            "true" | "t" | "yes" | "y" | "on" | "1" => true,
            "false" | "f" | "no" | "n" | "off" | "0" => false,
            _ => return Err(mismatch(&v)),
        },
        _ => return Err(mismatch(&v)),
    };
    Ok(Value::bool(b))
}

fn mismatch(v: &Value) -> Error {
    Error::new(
        ErrorCode::TypeMismatch,
        format!(
            "expected a boolean (true/false, 1/0, 'yes'/'no'), got {}",
            match v {
                Value::Text(t) => format!("'{t}'"),
                other => other.type_name().to_string(),
            }
        ),
    )
}
