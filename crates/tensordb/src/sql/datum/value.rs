//! SQL values with SQLite-compatible semantics: NULL, 64-bit integers, reals,
//! text and blobs; booleans are the integers 0 and 1; comparisons across types
//! order NULL < numbers < text < blob; arithmetic promotes integers to reals
//! and yields NULL for NULL operands or division by zero.

use crate::error::{Error, Result};
use std::cmp::Ordering;

/// One SQL value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// A 64-bit signed integer (also booleans: 0/1).
    Int(i64),
    /// A double.
    Real(f64),
    /// UTF-8 text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

fn class(v: &Value) -> u8 {
    match v {
        Value::Null => 0,
        Value::Int(_) | Value::Real(_) => 1,
        Value::Text(_) => 2,
        Value::Blob(_) => 3,
    }
}

impl Value {
    /// A boolean as SQL sees it.
    pub fn bool(b: bool) -> Value {
        Value::Int(b as i64)
    }

    /// True for NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Three-valued truth: `None` for NULL; numbers are true when non-zero;
    /// text is read as a number (SQLite).
    pub fn truth(&self) -> Option<bool> {
        match self {
            Value::Null => None,
            Value::Int(i) => Some(*i != 0),
            Value::Real(r) => Some(*r != 0.0),
            Value::Text(t) => Some(text_to_number(t).as_f64().unwrap_or(0.0) != 0.0),
            Value::Blob(_) => Some(false),
        }
    }

    /// The numeric value, if this is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Real(r) => Some(*r),
            _ => None,
        }
    }

    /// Total order used by ORDER BY, DISTINCT and GROUP BY (NULLs first).
    pub fn total_cmp(&self, other: &Value) -> Ordering {
        match (self, other) {
            (Value::Int(a), Value::Int(b)) => a.cmp(b),
            // Integers and reals compare exactly, as in SQLite (through a
            // float, 2^53 + 1 would equal 2^53).
            (Value::Int(i), Value::Real(r)) => int_real_cmp(*i, *r),
            (Value::Real(r), Value::Int(i)) => int_real_cmp(*i, *r).reverse(),
            (a, b) if class(a) == 1 && class(b) == 1 => {
                let (x, y) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
                x.partial_cmp(&y).unwrap_or(Ordering::Equal)
            }
            (Value::Text(a), Value::Text(b)) => a.cmp(b),
            (Value::Blob(a), Value::Blob(b)) => a.cmp(b),
            (a, b) => class(a).cmp(&class(b)),
        }
    }

    /// SQL comparison: `None` when either side is NULL.
    pub fn sql_cmp(&self, other: &Value) -> Option<Ordering> {
        if self.is_null() || other.is_null() {
            None
        } else {
            Some(self.total_cmp(other))
        }
    }

    /// Numeric view for arithmetic: text is parsed as a number (SQLite), NULL stays NULL.
    pub fn numeric(&self) -> Value {
        match self {
            Value::Text(t) => text_to_number(t),
            Value::Blob(_) => Value::Int(0),
            v => v.clone(),
        }
    }

    /// Renders for display and text conversion.
    pub fn to_text(&self) -> Option<String> {
        match self {
            Value::Null => None,
            Value::Int(i) => Some(i.to_string()),
            Value::Real(r) => Some(format_real(*r)),
            Value::Text(t) => Some(t.clone()),
            Value::Blob(b) => Some(String::from_utf8_lossy(b).into_owned()),
        }
    }

    /// The SQL type name (`typeof`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Int(_) => "integer",
            Value::Real(_) => "real",
            Value::Text(_) => "text",
            Value::Blob(_) => "blob",
        }
    }
}

/// Formats a real the way SQLite does for whole numbers (`2.0`), else shortest.
pub fn format_real(r: f64) -> String {
    if !r.is_finite() {
        return if r.is_nan() {
            "NaN".into()
        } else if r > 0.0 {
            "Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if r == 0.0 {
        return "0.0".into(); // -0.0 too, as SQLite prints it
    }
    if r.fract() == 0.0 && r.abs() < 1e15 {
        return format!("{r:.1}");
    }
    // SQLite's "%!.15g": 15 significant digits, trailing zeros dropped,
    // at least one digit after the point, exponent form outside 1e-4..1e15.
    let sci = format!("{r:.14e}");
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mant) = match mant.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mant),
    };
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let trimmed = digits.trim_end_matches('0');
    let digits = if trimmed.is_empty() { "0" } else { trimmed };
    if !(-4..15).contains(&exp) {
        let frac = if digits.len() > 1 { &digits[1..] } else { "0" };
        let es = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{}.{frac}e{es}{:02}", &digits[..1], exp.abs());
    }
    let (int, frac) = if exp >= 0 {
        let e = exp as usize + 1;
        let padded = format!("{digits:0<e$}");
        (padded[..e].to_string(), padded[e..].to_string())
    } else {
        (
            "0".to_string(),
            format!("{}{digits}", "0".repeat((-exp - 1) as usize)),
        )
    };
    let frac = if frac.is_empty() {
        "0".to_string()
    } else {
        frac
    };
    format!("{sign}{int}.{frac}")
}

/// Compares an integer with a real exactly (NaN compares equal, as a
/// failed float comparison always did here).
fn int_real_cmp(i: i64, r: f64) -> Ordering {
    if r.is_nan() {
        return Ordering::Equal;
    }
    // Reals at or past 2^63 (either way) lie beyond every integer.
    if r >= 9_223_372_036_854_775_808.0 {
        return Ordering::Less;
    }
    if r < -9_223_372_036_854_775_808.0 {
        return Ordering::Greater;
    }
    let floor = r.floor();
    let f = floor as i64; // exact: |floor| < 2^63
    match i.cmp(&f) {
        Ordering::Equal if r > floor => Ordering::Less,
        o => o,
    }
}

/// Reads the longest numeric prefix of text (SQLite's conversion); 0 if none.
pub fn text_to_number(t: &str) -> Value {
    let s = t.trim_start();
    let mut end = 0;
    let b = s.as_bytes();
    if end < b.len() && (b[end] == b'+' || b[end] == b'-') {
        end += 1;
    }
    let digits_start = end;
    while end < b.len() && b[end].is_ascii_digit() {
        end += 1;
    }
    let mut is_real = false;
    if end < b.len() && b[end] == b'.' {
        is_real = true;
        end += 1;
        while end < b.len() && b[end].is_ascii_digit() {
            end += 1;
        }
    }
    if end > digits_start && end < b.len() && (b[end] == b'e' || b[end] == b'E') {
        let mut e = end + 1;
        if e < b.len() && (b[e] == b'+' || b[e] == b'-') {
            e += 1;
        }
        if e < b.len() && b[e].is_ascii_digit() {
            while e < b.len() && b[e].is_ascii_digit() {
                e += 1;
            }
            is_real = true;
            end = e;
        }
    }
    let num = &s[..end];
    if !is_real {
        if let Ok(i) = num.parse::<i64>() {
            return Value::Int(i);
        }
    }
    num.parse::<f64>().map(Value::Real).unwrap_or(Value::Int(0))
}

/// Binary arithmetic operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arith {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
}

/// Applies an arithmetic operator with SQLite's rules.
pub fn arith(op: Arith, a: &Value, b: &Value) -> Value {
    let (a, b) = (a.numeric(), b.numeric());
    match (&a, &b) {
        (Value::Null, _) | (_, Value::Null) => Value::Null,
        (Value::Int(x), Value::Int(y)) => {
            let (x, y) = (*x, *y);
            let r = match op {
                Arith::Add => x.checked_add(y),
                Arith::Sub => x.checked_sub(y),
                Arith::Mul => x.checked_mul(y),
                Arith::Div => {
                    if y == 0 {
                        return Value::Null;
                    }
                    x.checked_div(y)
                }
                Arith::Rem => {
                    if y == 0 {
                        return Value::Null;
                    }
                    x.checked_rem(y)
                }
            };
            match r {
                Some(v) => Value::Int(v),
                None => arith_real(op, x as f64, y as f64),
            }
        }
        _ => arith_real(op, a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0)),
    }
}

fn arith_real(op: Arith, x: f64, y: f64) -> Value {
    match op {
        Arith::Add => Value::Real(x + y),
        Arith::Sub => Value::Real(x - y),
        Arith::Mul => Value::Real(x * y),
        Arith::Div if y == 0.0 => Value::Null,
        Arith::Div => Value::Real(x / y),
        // SQLite: both operands are cast to INTEGER first; a zero divisor
        // gives NULL; the result is REAL because an operand was.
        Arith::Rem => match (x as i64, y as i64) {
            (_, 0) => Value::Null,
            (a, b) => Value::Real(a.checked_rem(b).unwrap_or(0) as f64),
        },
    }
}

/// Column type affinity (SQLite's rules, from the declared type name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Affinity {
    /// INT in the name.
    Integer,
    /// CHAR, CLOB or TEXT.
    Text,
    /// BLOB or no type.
    Blob,
    /// REAL, FLOA or DOUB.
    Real,
    /// Anything else (NUMERIC, DECIMAL, BOOLEAN, TIMESTAMP…).
    Numeric,
}

impl Affinity {
    /// The affinity's SQL name.
    pub fn name(self) -> &'static str {
        match self {
            Affinity::Integer => "INTEGER",
            Affinity::Text => "TEXT",
            Affinity::Blob => "BLOB",
            Affinity::Real => "REAL",
            Affinity::Numeric => "NUMERIC",
        }
    }
}

impl Affinity {
    /// Derives the affinity of a declared type name.
    pub fn of(decl: &str) -> Affinity {
        let d = decl.to_ascii_uppercase();
        if d.contains("INT") {
            Affinity::Integer
        } else if d.contains("CHAR")
            || d.contains("CLOB")
            || d.contains("TEXT")
            || d.contains("JSON")
        {
            Affinity::Text
        } else if d.is_empty() || d.contains("BLOB") {
            Affinity::Blob
        } else if d.contains("REAL") || d.contains("FLOA") || d.contains("DOUB") {
            Affinity::Real
        } else {
            Affinity::Numeric
        }
    }

    /// Converts a value being stored into a column of this affinity.
    pub fn apply(self, v: Value) -> Value {
        match (self, v) {
            (Affinity::Text, Value::Int(i)) => Value::Text(i.to_string()),
            (Affinity::Text, Value::Real(r)) => Value::Text(format_real(r)),
            // Text that is a well-formed number is stored as one; a real
            // that is an integer without loss becomes INTEGER (SQLite).
            (Affinity::Integer | Affinity::Numeric, Value::Text(t)) => match looks_numeric(&t) {
                Some(Value::Real(r)) if r.fract() == 0.0 && r.abs() < 9.0e15 => {
                    Value::Int(r as i64)
                }
                Some(n) => n,
                None => Value::Text(t),
            },
            (Affinity::Integer | Affinity::Numeric, Value::Real(r))
                if r.fract() == 0.0 && r.abs() < 9.0e15 =>
            {
                Value::Int(r as i64)
            }
            (Affinity::Real, Value::Int(i)) => Value::Real(i as f64),
            (Affinity::Real, Value::Text(t)) => match looks_numeric(&t) {
                Some(n) => Value::Real(n.as_f64().unwrap_or(0.0)),
                None => Value::Text(t),
            },
            (_, v) => v,
        }
    }
}

fn looks_numeric(t: &str) -> Option<Value> {
    let s = t.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(i) = s.parse::<i64>() {
        return Some(Value::Int(i));
    }
    s.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(Value::Real)
}

/// Encodes a row for storage: per value `tag | payload` (0 null, 1 int i64 LE,
/// 2 real f64 LE, 3 text varint len + UTF-8, 4 blob varint len + bytes).
pub fn encode_row(values: &[Value], out: &mut Vec<u8>) {
    use crate::storage::coding::put_varint;
    put_varint(out, values.len() as u64);
    for v in values {
        match v {
            Value::Null => out.push(0),
            Value::Int(i) => {
                out.push(1);
                out.extend_from_slice(&i.to_le_bytes());
            }
            Value::Real(r) => {
                out.push(2);
                out.extend_from_slice(&r.to_le_bytes());
            }
            Value::Text(t) => {
                out.push(3);
                put_varint(out, t.len() as u64);
                out.extend_from_slice(t.as_bytes());
            }
            Value::Blob(b) => {
                out.push(4);
                put_varint(out, b.len() as u64);
                out.extend_from_slice(b);
            }
        }
    }
}

/// Decodes a stored row; damage is `TDB_CORRUPT`.
pub fn decode_row(b: &[u8]) -> Result<Vec<Value>> {
    decode_row_with_room(b, 0)
}

/// `decode_row`, leaving capacity for `room` more values.
pub fn decode_row_with_room(b: &[u8], room: usize) -> Result<Vec<Value>> {
    decode_row_masked(b, room, None)
}

/// `decode_row_with_room` that decodes only the slots `keep` marks (slots
/// past its end are kept): the others come back NULL without being copied.
pub fn decode_row_masked(b: &[u8], room: usize, keep: Option<&[bool]>) -> Result<Vec<Value>> {
    use crate::storage::coding::{get_u64_le, get_varint};
    let bad = || Error::corrupt("malformed SQL row");
    let mut p = 0usize;
    let n = get_varint(b, &mut p).ok_or_else(bad)? as usize;
    let mut out = Vec::with_capacity(n.min(4096) + room);
    for slot in 0..n {
        let tag = *b.get(p).ok_or_else(bad)?;
        p += 1;
        if keep.is_some_and(|k| k.get(slot) == Some(&false)) {
            match tag {
                0 => {}
                1 | 2 => p += 8,
                3 | 4 => {
                    let len = get_varint(b, &mut p).ok_or_else(bad)? as usize;
                    p = p.checked_add(len).ok_or_else(bad)?;
                }
                _ => return Err(bad()),
            }
            if p > b.len() {
                return Err(bad());
            }
            out.push(Value::Null);
            continue;
        }
        out.push(match tag {
            0 => Value::Null,
            1 => {
                let v = get_u64_le(b, p).ok_or_else(bad)? as i64;
                p += 8;
                Value::Int(v)
            }
            2 => {
                let v = f64::from_bits(get_u64_le(b, p).ok_or_else(bad)?);
                p += 8;
                Value::Real(v)
            }
            3 | 4 => {
                let len = get_varint(b, &mut p).ok_or_else(bad)? as usize;
                let bytes = b
                    .get(p..p.checked_add(len).ok_or_else(bad)?)
                    .ok_or_else(bad)?;
                p += len;
                if tag == 3 {
                    Value::Text(String::from_utf8(bytes.to_vec()).map_err(|_| bad())?)
                } else {
                    Value::Blob(bytes.to_vec())
                }
            }
            _ => return Err(bad()),
        });
    }
    Ok(out)
}

/// Appends an order-preserving encoding of a key value (integers and reals
/// as sign-flipped big-endian, text and blobs escaped and terminated).
pub fn encode_key_value(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.push(0x05),
        Value::Int(i) => {
            out.push(0x10);
            out.extend_from_slice(&((*i as u64) ^ (1 << 63)).to_be_bytes());
        }
        Value::Real(r) => {
            out.push(0x11);
            let bits = r.to_bits();
            let k = if *r < 0.0 { !bits } else { bits ^ (1 << 63) };
            out.extend_from_slice(&k.to_be_bytes());
        }
        Value::Text(t) => {
            out.push(0x20);
            crate::ledger::keys::encode_into(out, t.as_bytes());
        }
        Value::Blob(b) => {
            out.push(0x30);
            crate::ledger::keys::encode_into(out, b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_and_nulls() {
        assert_eq!(
            arith(Arith::Div, &Value::Int(7), &Value::Int(2)),
            Value::Int(3)
        );
        assert_eq!(
            arith(Arith::Div, &Value::Int(7), &Value::Int(0)),
            Value::Null
        );
        assert_eq!(
            arith(Arith::Add, &Value::Int(1), &Value::Real(0.5)),
            Value::Real(1.5)
        );
        assert_eq!(arith(Arith::Mul, &Value::Null, &Value::Int(2)), Value::Null);
        assert_eq!(Value::Int(1).sql_cmp(&Value::Null), None);
        assert!(Value::Int(5).total_cmp(&Value::Text("a".into())).is_lt());
    }

    #[test]
    fn rows_round_trip() {
        let row = vec![
            Value::Null,
            Value::Int(-3),
            Value::Real(2.5),
            Value::Text("é".into()),
            Value::Blob(vec![0, 1]),
        ];
        let mut b = Vec::new();
        encode_row(&row, &mut b);
        assert_eq!(decode_row(&b).unwrap(), row);
        assert!(decode_row(&b[..b.len() - 1]).is_err());
    }

    #[test]
    fn key_encoding_orders() {
        let vals = [Value::Int(-5), Value::Int(0), Value::Int(7)];
        let enc: Vec<Vec<u8>> = vals
            .iter()
            .map(|v| {
                let mut b = Vec::new();
                encode_key_value(v, &mut b);
                b
            })
            .collect();
        assert!(enc[0] < enc[1] && enc[1] < enc[2]);
    }
}

#[cfg(test)]
mod format_tests {
    use super::format_real;

    #[test]
    fn reals_print_as_sqlite_prints_them() {
        for (r, want) in [
            (2.0, "2.0"),
            (1.0666666666666667, "1.06666666666667"),
            (0.1, "0.1"),
            (-0.25, "-0.25"),
            (1e20, "1.0e+20"),
            (1.5e-7, "1.5e-07"),
            (0.0001, "0.0001"),
            (123456.789, "123456.789"),
            (1e15 + 0.5, "1.0e+15"),
            (3.14159265358979, "3.14159265358979"),
            (-0.0, "0.0"),
        ] {
            assert_eq!(format_real(r), want, "{r}");
        }
    }
}

/// Renders a value as text the way the sqllogictest format expects.
pub fn display(v: &Value) -> String {
    match v {
        Value::Real(r) => format_real(*r),
        other => other.to_text().unwrap_or_else(|| "NULL".into()),
    }
}

/// A real with an integral value as an integer, so 1 and 1.0 group and
/// compare as one key.
pub fn numeric_norm(v: &Value) -> Value {
    match v {
        Value::Real(r) if r.fract() == 0.0 && r.abs() < 9e15 => Value::Int(*r as i64),
        other => other.clone(),
    }
}
