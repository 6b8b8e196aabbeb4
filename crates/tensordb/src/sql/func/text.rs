//! String functions and pattern matching (LIKE, ILIKE, GLOB). Text is handled
//! as Unicode characters; a NULL argument gives NULL unless noted.

use crate::error::{Error, ErrorCode, Result};
use crate::sql::datum::value::Value;

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::to_text)
}

fn int(v: Option<&Value>) -> Option<i64> {
    match v.map(Value::numeric) {
        Some(Value::Int(i)) => Some(i),
        Some(Value::Real(r)) => Some(r as i64),
        _ => None,
    }
}

fn pad(s: &str, width: i64, fill: &str, left: bool) -> String {
    let chars: Vec<char> = s.chars().collect();
    let width = width.max(0) as usize;
    if chars.len() >= width {
        return chars[..width].iter().collect();
    }
    let fill: Vec<char> = fill.chars().collect();
    if fill.is_empty() {
        return s.to_string();
    }
    let padding: String = fill.iter().cycle().take(width - chars.len()).collect();
    if left {
        padding + s
    } else {
        s.to_string() + &padding
    }
}

fn trim(s: &str, chars: Option<&str>, left: bool, right: bool) -> String {
    let set: Vec<char> = chars.unwrap_or(" ").chars().collect();
    let mut out = s;
    if left {
        out = out.trim_start_matches(|c| set.contains(&c));
    }
    if right {
        out = out.trim_end_matches(|c| set.contains(&c));
    }
    out.to_string()
}

/// SQL LIKE: `%` any run, `_` one character, `escape` makes the next
/// character literal. `fold` compares case-insensitively (ILIKE).
pub fn like(pattern: &str, s: &str, escape: Option<char>, fold: bool) -> bool {
    let norm = |t: &str| -> Vec<char> {
        if fold {
            t.chars().flat_map(char::to_lowercase).collect()
        } else {
            t.chars().collect()
        }
    };
    // Tokens: Some(c) literal, None for `_`, and '%' as a separate marker.
    enum Tok {
        Lit(char),
        One,
        Any,
    }
    let mut toks = Vec::new();
    let mut it = norm(pattern).into_iter();
    while let Some(c) = it.next() {
        if Some(c) == escape {
            if let Some(n) = it.next() {
                toks.push(Tok::Lit(n));
            }
        } else if c == '%' {
            toks.push(Tok::Any);
        } else if c == '_' {
            toks.push(Tok::One);
        } else {
            toks.push(Tok::Lit(c));
        }
    }
    let s = norm(s);
    // Iterative matching with backtracking to the last `%`.
    let (mut p, mut i) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        match toks.get(p) {
            Some(Tok::Lit(c)) if *c == s[i] => {
                p += 1;
                i += 1;
            }
            Some(Tok::One) => {
                p += 1;
                i += 1;
            }
            Some(Tok::Any) => {
                star = Some((p, i));
                p += 1;
            }
            _ => match star {
                Some((sp, si)) => {
                    p = sp + 1;
                    i = si + 1;
                    star = Some((sp, si + 1));
                }
                None => return false,
            },
        }
    }
    toks[p..].iter().all(|t| matches!(t, Tok::Any))
}

/// SQLite GLOB: `*` any run, `?` one character, `[...]` a set (with ranges
/// and `^` negation); case-sensitive. Matched like LIKE: iteratively,
/// backtracking only to the last `*`, so no pattern takes exponential time
/// (or deep recursion).
pub fn glob(pattern: &str, s: &str) -> bool {
    enum Tok {
        Lit(char),
        One,
        Any,
        /// (ranges, negated)
        Set(Vec<(char, char)>, bool),
    }
    let p: Vec<char> = pattern.chars().collect();
    let mut toks = Vec::new();
    let mut j = 0;
    while j < p.len() {
        match p[j] {
            '*' => toks.push(Tok::Any),
            '?' => toks.push(Tok::One),
            '[' => {
                let mut k = j + 1;
                let negate = p.get(k) == Some(&'^');
                if negate {
                    k += 1;
                }
                let mut ranges = Vec::new();
                let mut first = true;
                while k < p.len() && (p[k] != ']' || first) {
                    if p.get(k + 1) == Some(&'-') && k + 2 < p.len() && p[k + 2] != ']' {
                        ranges.push((p[k], p[k + 2]));
                        k += 3;
                    } else {
                        ranges.push((p[k], p[k]));
                        k += 1;
                    }
                    first = false;
                }
                if k >= p.len() {
                    return false; // an unterminated set matches nothing
                }
                toks.push(Tok::Set(ranges, negate));
                j = k;
            }
            c => toks.push(Tok::Lit(c)),
        }
        j += 1;
    }
    let s: Vec<char> = s.chars().collect();
    let one = |t: &Tok, c: char| match t {
        Tok::Lit(l) => *l == c,
        Tok::One => true,
        Tok::Set(ranges, negate) => ranges.iter().any(|&(a, b)| a <= c && c <= b) != *negate,
        Tok::Any => false,
    };
    let (mut ti, mut i) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        match toks.get(ti) {
            Some(Tok::Any) => {
                star = Some((ti, i));
                ti += 1;
            }
            Some(t) if one(t, s[i]) => {
                ti += 1;
                i += 1;
            }
            _ => match star {
                Some((st, si)) => {
                    ti = st + 1;
                    i = si + 1;
                    star = Some((st, si + 1));
                }
                None => return false,
            },
        }
    }
    toks[ti..].iter().all(|t| matches!(t, Tok::Any))
}

fn printf(args: &[Value]) -> Result<Value> {
    let Some(fmt) = text(args.first()) else {
        return Ok(Value::Null);
    };
    let mut out = String::new();
    let mut next = 1;
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = String::new();
        while let Some(&d) = chars.peek() {
            if d.is_ascii_digit() || d == '.' || d == '-' {
                spec.push(d);
                chars.next();
            } else {
                break;
            }
        }
        let conv = chars.next().unwrap_or('%');
        if conv == '%' {
            out.push('%');
            continue;
        }
        let arg = args.get(next).cloned().unwrap_or(Value::Null);
        next += 1;
        let left = spec.starts_with('-');
        let spec = spec.trim_start_matches('-');
        let zero = spec.starts_with('0') && !left;
        let (width, prec) = match spec.split_once('.') {
            Some((w, p)) => (w.parse().unwrap_or(0usize), p.parse::<usize>().ok()),
            None => (spec.parse().unwrap_or(0usize), None),
        };
        // Width and precision of a huge number would allocate that much.
        crate::sql::func::control::check_length(
            out.len()
                .saturating_add(width)
                .saturating_add(if conv == 'f' { prec.unwrap_or(0) } else { 0 }),
            "printf()",
        )?;
        let body = match conv {
            'd' | 'i' => match arg.numeric() {
                Value::Null => String::new(),
                v => format!("{}", v.as_f64().unwrap_or(0.0) as i64),
            },
            'f' => format!(
                "{:.*}",
                prec.unwrap_or(6),
                arg.numeric().as_f64().unwrap_or(0.0)
            ),
            's' | 'q' => {
                let t = arg.to_text().unwrap_or_default();
                match prec {
                    Some(p) => t.chars().take(p).collect(),
                    None => t,
                }
            }
            'x' => format!("{:x}", arg.numeric().as_f64().unwrap_or(0.0) as i64),
            'X' => format!("{:X}", arg.numeric().as_f64().unwrap_or(0.0) as i64),
            'c' => arg
                .to_text()
                .and_then(|t| t.chars().next())
                .map(String::from)
                .unwrap_or_default(),
            other => {
                return Err(Error::new(
                    ErrorCode::NotSupported,
                    format!("printf() conversion %{other} is not supported"),
                ))
            }
        };
        let n = body.chars().count();
        if n < width {
            let numeric = matches!(conv, 'd' | 'i' | 'f' | 'x' | 'X');
            if zero && numeric {
                let (sign, digits) = match body.strip_prefix('-') {
                    Some(d) => ("-", d),
                    None => ("", body.as_str()),
                };
                out.push_str(sign);
                out.push_str(&"0".repeat(width - n));
                out.push_str(digits);
                continue;
            }
            let fill = " ".repeat(width - n);
            if left {
                out.push_str(&body);
                out.push_str(&fill);
            } else {
                out.push_str(&fill);
                out.push_str(&body);
            }
        } else {
            out.push_str(&body);
        }
    }
    crate::sql::func::control::check_length(out.len(), "printf()")?;
    Ok(Value::Text(out))
}

/// Calls string function `name`; `None` when the name is not a string function.
pub fn call(name: &str, args: &[Value]) -> Result<Option<Value>> {
    let a0 = || text(args.first());
    let null = Value::Null;
    Ok(Some(match name {
        "trim" | "btrim" | "ltrim" | "rtrim" => {
            let Some(s) = a0() else { return Ok(Some(null)) };
            let chars = match args.get(1) {
                Some(v) => match v.to_text() {
                    Some(c) => Some(c),
                    None => return Ok(Some(null)),
                },
                None => None,
            };
            let (l, r) = match name {
                "ltrim" => (true, false),
                "rtrim" => (false, true),
                _ => (true, true),
            };
            Value::Text(trim(&s, chars.as_deref(), l, r))
        }
        "replace" => match (a0(), text(args.get(1)), text(args.get(2))) {
            (Some(s), Some(from), Some(to)) if !from.is_empty() => {
                Value::Text(s.replace(&from, &to))
            }
            (Some(s), Some(_), Some(_)) => Value::Text(s),
            _ => null,
        },
        "concat" => Value::Text(args.iter().filter_map(Value::to_text).collect()),
        "concat_ws" => match a0() {
            None => null,
            Some(sep) => Value::Text(
                args[1..]
                    .iter()
                    .filter_map(Value::to_text)
                    .collect::<Vec<_>>()
                    .join(&sep),
            ),
        },
        "left" | "right" => match (a0(), int(args.get(1))) {
            (Some(s), Some(n)) => {
                let chars: Vec<char> = s.chars().collect();
                let len = chars.len() as i64;
                let k = if n >= 0 { n.min(len) } else { (len + n).max(0) } as usize;
                Value::Text(if name == "left" {
                    chars[..k].iter().collect()
                } else {
                    chars[chars.len() - k..].iter().collect()
                })
            }
            _ => null,
        },
        "lpad" | "rpad" => match (a0(), int(args.get(1))) {
            (Some(s), Some(w)) => {
                let fill = match args.get(2) {
                    Some(v) => match v.to_text() {
                        Some(f) => f,
                        None => return Ok(Some(null)),
                    },
                    None => " ".to_string(),
                };
                let w4 = usize::try_from(w.max(0))
                    .unwrap_or(usize::MAX)
                    .saturating_mul(fill.len().max(1));
                crate::sql::func::control::check_length(w4.min(usize::MAX / 2), name)?;
                Value::Text(pad(&s, w, &fill, name == "lpad"))
            }
            _ => null,
        },
        "reverse" => match a0() {
            Some(s) => Value::Text(s.chars().rev().collect()),
            None => null,
        },
        "repeat" => match (a0(), int(args.get(1))) {
            (Some(s), Some(n)) => {
                let n = n.max(0) as usize;
                crate::sql::func::control::check_length(s.len().saturating_mul(n), "repeat()")?;
                Value::Text(s.repeat(n))
            }
            _ => null,
        },
        "split_part" => match (a0(), text(args.get(1)), int(args.get(2))) {
            (Some(s), Some(d), Some(n)) => {
                if n == 0 {
                    return Err(Error::invalid(
                        "split_part() field position must not be zero",
                    ));
                }
                let parts: Vec<&str> = if d.is_empty() {
                    vec![s.as_str()]
                } else {
                    s.split(d.as_str()).collect()
                };
                let idx = if n > 0 { n - 1 } else { parts.len() as i64 + n };
                Value::Text(
                    usize::try_from(idx)
                        .ok()
                        .and_then(|i| parts.get(i))
                        .map(|p| p.to_string())
                        .unwrap_or_default(),
                )
            }
            _ => null,
        },
        "strpos" | "instr" => match (a0(), text(args.get(1))) {
            (Some(s), Some(sub)) => Value::Int(match s.find(&sub) {
                Some(b) => s[..b].chars().count() as i64 + 1,
                None => 0,
            }),
            _ => null,
        },
        "initcap" => match a0() {
            Some(s) => {
                let mut out = String::with_capacity(s.len());
                let mut start = true;
                for c in s.chars() {
                    if c.is_alphanumeric() {
                        if start {
                            out.extend(c.to_uppercase());
                        } else {
                            out.extend(c.to_lowercase());
                        }
                        start = false;
                    } else {
                        out.push(c);
                        start = true;
                    }
                }
                Value::Text(out)
            }
            None => null,
        },
        "ascii" | "unicode" => match a0() {
            Some(s) => match s.chars().next() {
                Some(c) => Value::Int(c as i64),
                None => null,
            },
            None => null,
        },
        "chr" | "char" => {
            let mut out = String::new();
            for v in args {
                match int(Some(v))
                    .and_then(|i| u32::try_from(i).ok())
                    .and_then(char::from_u32)
                {
                    Some(c) => out.push(c),
                    None => return Ok(Some(null)),
                }
            }
            Value::Text(out)
        }
        "char_length" | "character_length" => match a0() {
            Some(s) => Value::Int(s.chars().count() as i64),
            None => null,
        },
        "octet_length" => match args.first() {
            Some(Value::Blob(b)) => Value::Int(b.len() as i64),
            Some(v) => match v.to_text() {
                Some(s) => Value::Int(s.len() as i64),
                None => null,
            },
            None => null,
        },
        "hex" => match args.first() {
            Some(Value::Blob(b)) => Value::Text(b.iter().map(|x| format!("{x:02X}")).collect()),
            Some(v) => Value::Text(
                v.to_text()
                    .unwrap_or_default()
                    .bytes()
                    .map(|x| format!("{x:02X}"))
                    .collect(),
            ),
            None => null,
        },
        "like" | "ilike" => {
            // like(pattern, text [, escape]) as in SQLite's function form.
            let esc = match args.get(2) {
                Some(v) => match v.to_text() {
                    Some(e) if e.chars().count() == 1 => e.chars().next(),
                    Some(_) => {
                        return Err(Error::invalid(
                            "ESCAPE expression must be a single character",
                        ))
                    }
                    None => return Ok(Some(null)),
                },
                None => None,
            };
            match (a0(), text(args.get(1))) {
                (Some(p), Some(s)) => Value::bool(like(&p, &s, esc, name == "ilike")),
                _ => null,
            }
        }
        "glob" => match (a0(), text(args.get(1))) {
            (Some(p), Some(s)) => Value::bool(glob(&p, &s)),
            _ => null,
        },
        "printf" | "format" => printf(args)?,
        _ => return Ok(None),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns() {
        assert!(like("a%c", "abbbc", None, false));
        assert!(like("a_c", "abc", None, false));
        assert!(!like("a_c", "abbc", None, false));
        assert!(like("%", "", None, false));
        assert!(!like("ABC", "abc", None, false));
        assert!(like("ABC", "abc", None, true));
        assert!(like("100!%", "100%", Some('!'), false));
        assert!(!like("100!%", "1000", Some('!'), false));
        assert!(like("%a%b%", "xxaxxbxx", None, false));
    }

    #[test]
    fn glob_patterns() {
        assert!(glob("a*c", "abbc"));
        assert!(glob("a?c", "abc"));
        assert!(glob("[a-c]x", "bx"));
        assert!(!glob("[^a-c]x", "bx"));
        assert!(!glob("A*", "abc"));
    }
}
