//! JSON documents in SQL: a strict RFC 8259 parser, a minified serializer,
//! paths (`$.a.b[0]`, `$[#-1]`, or a bare key / index as `->` takes them) and
//! the JSON functions. JSON lives in TEXT values (a JSON column stores the
//! minified text), as in SQLite.

use crate::error::{Error, ErrorCode, Result};
use crate::sql::datum::value::{format_real, Value};

/// A parsed JSON value. Objects keep their key order.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// Any other number.
    Real(f64),
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<Json>),
    /// An object.
    Obj(Vec<(String, Json)>),
}

/// Nesting deeper than this is rejected (keeps parsing off the stack limit).
const MAX_DEPTH: usize = 512;

fn malformed(what: &str) -> Error {
    Error::new(ErrorCode::TypeMismatch, format!("malformed JSON: {what}"))
}

/// Parses JSON text.
pub fn parse(text: &str) -> Result<Json> {
    let mut p = Parser {
        b: text.as_bytes(),
        i: 0,
    };
    let v = p.value(0)?;
    p.ws();
    if p.i != p.b.len() {
        return Err(malformed("trailing characters"));
    }
    Ok(v)
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn eat(&mut self, lit: &str) -> bool {
        if self.b[self.i..].starts_with(lit.as_bytes()) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json> {
        if depth > MAX_DEPTH {
            return Err(malformed("nested too deeply"));
        }
        self.ws();
        let Some(&c) = self.b.get(self.i) else {
            return Err(malformed("unexpected end"));
        };
        match c {
            b'{' => {
                self.i += 1;
                let mut fields = Vec::new();
                self.ws();
                if self.eat("}") {
                    return Ok(Json::Obj(fields));
                }
                loop {
                    self.ws();
                    if self.b.get(self.i) != Some(&b'"') {
                        return Err(malformed("object key must be a string"));
                    }
                    let k = self.string()?;
                    self.ws();
                    if !self.eat(":") {
                        return Err(malformed("expected `:`"));
                    }
                    let v = self.value(depth + 1)?;
                    fields.push((k, v));
                    self.ws();
                    if self.eat(",") {
                        continue;
                    }
                    if self.eat("}") {
                        return Ok(Json::Obj(fields));
                    }
                    return Err(malformed("expected `,` or `}`"));
                }
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.eat("]") {
                    return Ok(Json::Arr(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    if self.eat(",") {
                        continue;
                    }
                    if self.eat("]") {
                        return Ok(Json::Arr(items));
                    }
                    return Err(malformed("expected `,` or `]`"));
                }
            }
            b'"' => Ok(Json::Str(self.string()?)),
            b't' if self.eat("true") => Ok(Json::Bool(true)),
            b'f' if self.eat("false") => Ok(Json::Bool(false)),
            b'n' if self.eat("null") => Ok(Json::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(malformed(&format!("unexpected `{}`", c as char))),
        }
    }

    fn number(&mut self) -> Result<Json> {
        let start = self.i;
        if self.b[self.i] == b'-' {
            self.i += 1;
        }
        let digits = |p: &mut Self| {
            let s = p.i;
            while p.i < p.b.len() && p.b[p.i].is_ascii_digit() {
                p.i += 1;
            }
            p.i - s
        };
        let int_digits = digits(self);
        if int_digits == 0 || (int_digits > 1 && self.b[self.i - int_digits] == b'0') {
            return Err(malformed("bad number"));
        }
        let mut real = false;
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            real = true;
            if digits(self) == 0 {
                return Err(malformed("bad number"));
            }
        }
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            real = true;
            if matches!(self.b.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return Err(malformed("bad number"));
            }
        }
        let s = std::str::from_utf8(&self.b[start..self.i]).map_err(|_| malformed("bad number"))?;
        if !real {
            if let Ok(i) = s.parse::<i64>() {
                return Ok(Json::Int(i));
            }
        }
        s.parse::<f64>()
            .map(Json::Real)
            .map_err(|_| malformed("bad number"))
    }

    fn hex4(&mut self) -> Result<u32> {
        let h = self
            .b
            .get(self.i..self.i + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or_else(|| malformed("bad \\u escape"))?;
        self.i += 4;
        Ok(h)
    }

    fn string(&mut self) -> Result<String> {
        self.i += 1; // the opening quote
        let mut out = String::new();
        loop {
            let start = self.i;
            while self.i < self.b.len() && !matches!(self.b[self.i], b'"' | b'\\' | 0..=0x1F) {
                self.i += 1;
            }
            out.push_str(
                std::str::from_utf8(&self.b[start..self.i]).map_err(|_| malformed("bad UTF-8"))?,
            );
            match self.b.get(self.i) {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let Some(&e) = self.b.get(self.i) else {
                        return Err(malformed("unterminated string"));
                    };
                    self.i += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let mut c = self.hex4()?;
                            if (0xD800..0xDC00).contains(&c) && self.eat("\\u") {
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
                                }
                            }
                            out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
                        }
                        _ => return Err(malformed("bad escape")),
                    }
                }
                Some(_) => return Err(malformed("control character in string")),
                None => return Err(malformed("unterminated string")),
            }
        }
    }
}

impl Json {
    /// Minified JSON text.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        self.write(&mut s);
        s
    }

    fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Int(i) => out.push_str(&i.to_string()),
            Json::Real(r) if r.is_finite() => out.push_str(&format_real(*r)),
            Json::Real(_) => out.push_str("null"),
            Json::Str(s) => quote(s, out),
            Json::Arr(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out);
                }
                out.push(']');
            }
            Json::Obj(fields) => {
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    quote(k, out);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    /// The SQL value `->>` / json_extract give: strings unquoted, numbers
    /// as numbers, true/false as 1/0, null as NULL, containers as JSON text.
    pub fn to_sql(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::bool(*b),
            Json::Int(i) => Value::Int(*i),
            Json::Real(r) => Value::Real(*r),
            Json::Str(s) => Value::Text(s.clone()),
            other => Value::Text(other.to_text()),
        }
    }

    /// The `json_type` name.
    pub fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(true) => "true",
            Json::Bool(false) => "false",
            Json::Int(_) => "integer",
            Json::Real(_) => "real",
            Json::Str(_) => "text",
            Json::Arr(_) => "array",
            Json::Obj(_) => "object",
        }
    }

    /// Follows a path; `None` when it leads nowhere.
    pub fn at(&self, path: &[Step]) -> Option<&Json> {
        let mut cur = self;
        for step in path {
            cur = match (step, cur) {
                (Step::Key(k), Json::Obj(fields)) => fields
                    .iter()
                    .rev()
                    .find(|(fk, _)| fk == k)
                    .map(|(_, v)| v)?,
                (Step::Index(i), Json::Arr(items)) => items.get(*i)?,
                (Step::FromEnd(n), Json::Arr(items)) => items.get(items.len().checked_sub(*n)?)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    /// A SQL value as JSON: text is a JSON string unless `raw` says the text
    /// already is JSON (the result of a JSON function).
    pub fn from_sql(v: &Value, raw: bool) -> Result<Json> {
        Ok(match v {
            Value::Null => Json::Null,
            Value::Int(i) => Json::Int(*i),
            Value::Real(r) => Json::Real(*r),
            Value::Text(t) if raw => parse(t)?,
            Value::Text(t) => Json::Str(t.clone()),
            Value::Blob(_) => {
                return Err(Error::new(
                    ErrorCode::TypeMismatch,
                    "a BLOB cannot be a JSON value",
                ))
            }
        })
    }
}

fn quote(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// One step of a JSON path.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// `.key`
    Key(String),
    /// `[n]`
    Index(usize),
    /// `[#-n]`
    FromEnd(usize),
}

fn bad_path(p: &str) -> Error {
    Error::invalid(format!(
        "bad JSON path `{p}` (write `$.key`, `$[0]` or `$[#-1]`)"
    ))
}

/// Parses a path: `$`, `$.a.b`, `$."a b"`, `$[0]`, `$[#-1]`.
pub fn parse_path(p: &str) -> Result<Vec<Step>> {
    let b = p.as_bytes();
    if b.first() != Some(&b'$') {
        return Err(bad_path(p));
    }
    let mut i = 1;
    let mut out = Vec::new();
    while i < b.len() {
        match b[i] {
            b'.' => {
                i += 1;
                if b.get(i) == Some(&b'"') {
                    let end = p[i + 1..].find('"').ok_or_else(|| bad_path(p))? + i + 1;
                    out.push(Step::Key(p[i + 1..end].to_string()));
                    i = end + 1;
                } else {
                    let end = p[i..].find(['.', '[']).map_or(p.len(), |e| e + i);
                    if end == i {
                        return Err(bad_path(p));
                    }
                    out.push(Step::Key(p[i..end].to_string()));
                    i = end;
                }
            }
            b'[' => {
                let end = p[i..].find(']').ok_or_else(|| bad_path(p))? + i;
                let inner = p[i + 1..end].trim();
                if let Some(n) = inner.strip_prefix("#-") {
                    out.push(Step::FromEnd(n.trim().parse().map_err(|_| bad_path(p))?));
                } else {
                    out.push(Step::Index(inner.parse().map_err(|_| bad_path(p))?));
                }
                i = end + 1;
            }
            _ => return Err(bad_path(p)),
        }
    }
    Ok(out)
}

/// The path the right side of `->` / `->>` names: a `$…` path, an array
/// index (an integer), or an object key (any other text).
pub fn arrow_path(v: &Value) -> Result<Vec<Step>> {
    Ok(match v {
        Value::Text(t) if t.starts_with('$') => parse_path(t)?,
        Value::Text(t) => vec![Step::Key(t.clone())],
        Value::Int(i) if *i >= 0 => vec![Step::Index(*i as usize)],
        Value::Int(i) => vec![Step::FromEnd(i.unsigned_abs() as usize)],
        other => {
            return Err(Error::invalid(format!(
                "a JSON path must be text or an integer, not {}",
                other.type_name()
            )))
        }
    })
}

/// Parses a SQL value holding JSON text (NULL stays `None`).
pub fn doc(v: &Value) -> Result<Option<Json>> {
    match v {
        Value::Null => Ok(None),
        Value::Text(t) => parse(t).map(Some),
        Value::Int(i) => Ok(Some(Json::Int(*i))),
        Value::Real(r) => Ok(Some(Json::Real(*r))),
        Value::Blob(_) => Err(Error::new(
            ErrorCode::TypeMismatch,
            "a BLOB is not JSON text",
        )),
    }
}

/// The JSON scalar functions. `raw[i]` marks arguments that are themselves
/// JSON (results of JSON functions), which json_array / json_object embed
/// instead of quoting. `None` when `name` is not a JSON function.
pub fn call(name: &str, args: &[Value], raw: &[bool]) -> Result<Option<Value>> {
    let arg = |i: usize| args.get(i).unwrap_or(&Value::Null);
    let needs = |n: usize| -> Result<()> {
        if args.len() < n {
            return Err(Error::new(
                ErrorCode::Syntax,
                format!("{name}() needs {n} argument(s)"),
            ));
        }
        Ok(())
    };
    Ok(Some(match name {
        "json_arrow" | "json_long_arrow" => {
            needs(2)?;
            let Some(d) = doc(arg(0))? else {
                return Ok(Some(Value::Null));
            };
            if arg(1).is_null() {
                return Ok(Some(Value::Null));
            }
            match d.at(&arrow_path(arg(1))?) {
                None => Value::Null,
                Some(j) if name == "json_arrow" => Value::Text(j.to_text()),
                Some(j) => j.to_sql(),
            }
        }
        "json_extract" => {
            needs(2)?;
            let Some(d) = doc(arg(0))? else {
                return Ok(Some(Value::Null));
            };
            if args.len() == 2 {
                match arg(1) {
                    Value::Null => Value::Null,
                    p => match d.at(&parse_path(&p.to_text().unwrap_or_default())?) {
                        Some(j) => j.to_sql(),
                        None => Value::Null,
                    },
                }
            } else {
                let mut items = Vec::new();
                for p in &args[1..] {
                    let path = parse_path(&p.to_text().unwrap_or_default())?;
                    items.push(d.at(&path).cloned().unwrap_or(Json::Null));
                }
                Value::Text(Json::Arr(items).to_text())
            }
        }
        "json" => {
            needs(1)?;
            match doc(arg(0))? {
                Some(d) => Value::Text(d.to_text()),
                None => Value::Null,
            }
        }
        "json_valid" => {
            needs(1)?;
            match arg(0) {
                Value::Null => Value::Null,
                Value::Text(t) => Value::bool(parse(t).is_ok()),
                Value::Int(_) | Value::Real(_) => Value::bool(true),
                Value::Blob(_) => Value::bool(false),
            }
        }
        "json_type" | "json_array_length" => {
            needs(1)?;
            let Some(d) = doc(arg(0))? else {
                return Ok(Some(Value::Null));
            };
            let j = match args.get(1) {
                None => Some(&d),
                Some(p) => d.at(&parse_path(&p.to_text().unwrap_or_default())?),
            };
            match (name, j) {
                (_, None) => Value::Null,
                ("json_type", Some(j)) => Value::Text(j.type_name().into()),
                (_, Some(Json::Arr(items))) => Value::Int(items.len() as i64),
                (_, Some(_)) => Value::Int(0),
            }
        }
        "json_array" => {
            let items = args
                .iter()
                .enumerate()
                .map(|(i, v)| Json::from_sql(v, raw.get(i).copied().unwrap_or(false)))
                .collect::<Result<_>>()?;
            Value::Text(Json::Arr(items).to_text())
        }
        "json_object" => {
            if !args.len().is_multiple_of(2) {
                return Err(Error::new(
                    ErrorCode::Syntax,
                    "json_object() takes key, value pairs",
                ));
            }
            let mut fields = Vec::new();
            for (i, pair) in args.chunks(2).enumerate() {
                let Value::Text(k) = &pair[0] else {
                    return Err(Error::invalid("json_object() keys must be text"));
                };
                let raw_v = raw.get(2 * i + 1).copied().unwrap_or(false);
                fields.push((k.clone(), Json::from_sql(&pair[1], raw_v)?));
            }
            Value::Text(Json::Obj(fields).to_text())
        }
        "json_quote" => {
            needs(1)?;
            Value::Text(Json::from_sql(arg(0), false)?.to_text())
        }
        _ => return Ok(None),
    }))
}

/// Functions whose result is JSON text (so enclosing JSON builders embed it).
pub const RETURNS_JSON: [&str; 5] = [
    "json",
    "json_array",
    "json_object",
    "json_arrow",
    "json_quote",
];
