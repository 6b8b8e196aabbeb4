//! Date and time. A TIMESTAMP is stored as canonical UTC text,
//! `YYYY-MM-DD HH:MM:SS[.ffffff]` (fraction without trailing zeros), which
//! sorts correctly as text; a DATE as `YYYY-MM-DD`. Input accepts ISO-8601
//! (`T` or space, optional seconds and fraction, `Z` or a `±HH:MM` offset,
//! which is converted to UTC) and `'now'`. Internally a time is microseconds
//! since the Unix epoch; calendar math is proleptic Gregorian.

use crate::error::{Error, ErrorCode, Result};
use crate::sql::datum::value::Value;

const US_PER_SEC: i64 = 1_000_000;
const US_PER_DAY: i64 = 86_400 * US_PER_SEC;

/// Days since 1970-01-01 of a civil date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number (days since 1970-01-01).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Broken-down UTC time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parts {
    /// Year.
    pub year: i64,
    /// Month 1–12.
    pub month: u32,
    /// Day 1–31.
    pub day: u32,
    /// Hour 0–23.
    pub hour: u32,
    /// Minute 0–59.
    pub minute: u32,
    /// Second 0–59.
    pub second: u32,
    /// Microseconds 0–999,999.
    pub micros: u32,
}

/// Splits microseconds since the epoch into UTC parts.
pub fn parts(us: i64) -> Parts {
    let days = us.div_euclid(US_PER_DAY);
    let rem = us.rem_euclid(US_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let secs = rem / US_PER_SEC;
    Parts {
        year,
        month,
        day,
        hour: (secs / 3600) as u32,
        minute: (secs / 60 % 60) as u32,
        second: (secs % 60) as u32,
        micros: (rem % US_PER_SEC) as u32,
    }
}

/// Joins UTC parts into microseconds since the epoch.
pub fn from_parts(p: &Parts) -> i64 {
    days_from_civil(p.year, p.month, p.day) * US_PER_DAY
        + (p.hour as i64 * 3600 + p.minute as i64 * 60 + p.second as i64) * US_PER_SEC
        + p.micros as i64
}

fn digits(b: &[u8], i: &mut usize, n: usize) -> Option<u32> {
    let s = b.get(*i..*i + n)?;
    if !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    *i += n;
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// Parses ISO-8601 text into microseconds since the epoch (UTC).
pub fn parse(text: &str) -> Option<i64> {
    let b = text.trim().as_bytes();
    let mut i = 0;
    let year = digits(b, &mut i, 4)? as i64;
    (b.get(i) == Some(&b'-')).then_some(())?;
    i += 1;
    let month = digits(b, &mut i, 2)?;
    (b.get(i) == Some(&b'-')).then_some(())?;
    i += 1;
    let day = digits(b, &mut i, 2)?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let mut p = Parts {
        year,
        month,
        day,
        hour: 0,
        minute: 0,
        second: 0,
        micros: 0,
    };
    let mut offset_us = 0i64;
    if matches!(b.get(i), Some(b'T' | b't' | b' ')) {
        i += 1;
        p.hour = digits(b, &mut i, 2)?;
        (b.get(i) == Some(&b':')).then_some(())?;
        i += 1;
        p.minute = digits(b, &mut i, 2)?;
        if b.get(i) == Some(&b':') {
            i += 1;
            p.second = digits(b, &mut i, 2)?;
            if b.get(i) == Some(&b'.') {
                i += 1;
                let start = i;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                let frac = std::str::from_utf8(&b[start..i]).ok()?;
                if frac.is_empty() {
                    return None;
                }
                let six: String = frac.chars().chain("000000".chars()).take(6).collect();
                p.micros = six.parse().ok()?;
            }
        }
        if p.hour > 23 || p.minute > 59 || p.second > 59 {
            return None;
        }
        while b.get(i) == Some(&b' ') {
            i += 1;
        }
        match b.get(i) {
            Some(b'Z' | b'z') => i += 1,
            Some(&c @ (b'+' | b'-')) => {
                i += 1;
                let h = digits(b, &mut i, 2)? as i64;
                if b.get(i) == Some(&b':') {
                    i += 1;
                }
                let m = digits(b, &mut i, 2).unwrap_or(0) as i64;
                let sign = if c == b'+' { 1 } else { -1 };
                offset_us = sign * (h * 3600 + m * 60) * US_PER_SEC;
            }
            _ => {}
        }
    }
    (i == b.len()).then_some(from_parts(&p) - offset_us)
}

/// Canonical TIMESTAMP text for microseconds since the epoch.
pub fn format_ts(us: i64) -> Result<String> {
    let p = parts(us);
    if !(0..=9999).contains(&p.year) {
        return Err(Error::new(
            ErrorCode::TypeMismatch,
            "timestamp out of range (years 0000-9999)",
        ));
    }
    let mut s = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        p.year, p.month, p.day, p.hour, p.minute, p.second
    );
    if p.micros != 0 {
        let f = format!("{:06}", p.micros);
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
    Ok(s)
}

fn format_date(us: i64) -> String {
    let p = parts(us);
    format!("{:04}-{:02}-{:02}", p.year, p.month, p.day)
}

fn mismatch(v: &Value, what: &str) -> Error {
    Error::new(
        ErrorCode::TypeMismatch,
        format!(
            "expected {what} (ISO-8601 text such as '2024-05-01 12:30:00'), got {}",
            match v.to_text() {
                Some(t) => format!("'{t}'"),
                None => v.type_name().to_string(),
            }
        ),
    )
}

/// Reads a value as a time (`'now'` is the statement's time).
pub fn time_of(v: &Value, now: i64) -> Result<Option<i64>> {
    match v {
        Value::Null => Ok(None),
        Value::Text(t) if t.eq_ignore_ascii_case("now") => Ok(Some(now)),
        Value::Text(t) => parse(t).map(Some).ok_or_else(|| mismatch(v, "a timestamp")),
        other => Err(mismatch(other, "a timestamp")),
    }
}

/// Normalizes a value written to a TIMESTAMP column.
pub fn to_timestamp_value(v: Value, now: i64) -> Result<Value> {
    match time_of(&v, now)? {
        None => Ok(Value::Null),
        Some(us) => Ok(Value::Text(format_ts(us)?)),
    }
}

/// Normalizes a value written to a DATE column.
pub fn to_date_value(v: Value, now: i64) -> Result<Value> {
    match time_of(&v, now)? {
        None => Ok(Value::Null),
        Some(us) => Ok(Value::Text(format_date(us))),
    }
}

fn field_value(field: &str, us: i64) -> Result<Value> {
    let p = parts(us);
    let days = us.div_euclid(US_PER_DAY);
    let dow = (days + 4).rem_euclid(7); // 1970-01-01 was a Thursday
    let doy = days - days_from_civil(p.year, 1, 1) + 1;
    Ok(Value::Int(match field {
        "year" | "years" => p.year,
        "month" | "months" => p.month as i64,
        "day" | "days" => p.day as i64,
        "hour" | "hours" => p.hour as i64,
        "minute" | "minutes" => p.minute as i64,
        "second" | "seconds" if p.micros != 0 => {
            return Ok(Value::Real(p.second as f64 + p.micros as f64 / 1e6))
        }
        "second" | "seconds" => p.second as i64,
        "millisecond" | "milliseconds" => p.second as i64 * 1000 + p.micros as i64 / 1000,
        "microsecond" | "microseconds" => p.second as i64 * 1_000_000 + p.micros as i64,
        "dow" => dow,
        "isodow" => (dow + 6) % 7 + 1,
        "doy" => doy,
        "quarter" => (p.month as i64 - 1) / 3 + 1,
        "week" => iso_week(us).1,
        "isoyear" => iso_week(us).0,
        "decade" => p.year.div_euclid(10),
        "century" => (p.year - 1).div_euclid(100) + 1,
        "millennium" => (p.year - 1).div_euclid(1000) + 1,
        "epoch" => return Ok(epoch_value(us)),
        other => {
            return Err(Error::new(
                ErrorCode::NotSupported,
                format!("the date/time field `{other}`"),
            ))
        }
    }))
}

fn epoch_value(us: i64) -> Value {
    if us % US_PER_SEC == 0 {
        Value::Int(us / US_PER_SEC)
    } else {
        Value::Real(us as f64 / 1e6)
    }
}

/// ISO year and week number.
fn iso_week(us: i64) -> (i64, i64) {
    let days = us.div_euclid(US_PER_DAY);
    let isodow = (days + 3).rem_euclid(7); // Monday = 0
    let thursday = days - isodow + 3;
    let (y, _, _) = civil_from_days(thursday);
    let week = (thursday - days_from_civil(y, 1, 1)) / 7 + 1;
    (y, week)
}

fn trunc(unit: &str, us: i64) -> Result<i64> {
    let mut p = parts(us);
    let zero_time = |p: &mut Parts| {
        p.hour = 0;
        p.minute = 0;
        p.second = 0;
        p.micros = 0;
    };
    match unit {
        "microsecond" | "microseconds" => {}
        "millisecond" | "milliseconds" => p.micros -= p.micros % 1000,
        "second" | "seconds" => p.micros = 0,
        "minute" | "minutes" => {
            p.second = 0;
            p.micros = 0;
        }
        "hour" | "hours" => {
            p.minute = 0;
            p.second = 0;
            p.micros = 0;
        }
        "day" | "days" => zero_time(&mut p),
        "week" | "weeks" => {
            let days = us.div_euclid(US_PER_DAY);
            let monday = days - (days + 3).rem_euclid(7);
            return Ok(monday * US_PER_DAY);
        }
        "month" | "months" => {
            zero_time(&mut p);
            p.day = 1;
        }
        "quarter" => {
            zero_time(&mut p);
            p.day = 1;
            p.month = (p.month - 1) / 3 * 3 + 1;
        }
        "year" | "years" => {
            zero_time(&mut p);
            p.day = 1;
            p.month = 1;
        }
        "decade" | "century" | "millennium" => {
            zero_time(&mut p);
            p.day = 1;
            p.month = 1;
            p.year = match unit {
                "decade" => p.year - p.year.rem_euclid(10),
                "century" => (p.year - 1).div_euclid(100) * 100 + 1,
                _ => (p.year - 1).div_euclid(1000) * 1000 + 1,
            };
        }
        other => {
            return Err(Error::new(
                ErrorCode::NotSupported,
                format!("date_trunc to `{other}`"),
            ))
        }
    }
    Ok(from_parts(&p))
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

fn cased(s: &str, pattern: &str) -> String {
    if pattern.chars().all(|c| c.is_ascii_uppercase()) {
        s.to_ascii_uppercase()
    } else if pattern.chars().all(|c| c.is_ascii_lowercase()) {
        s.to_ascii_lowercase()
    } else {
        s.to_string()
    }
}

/// Postgres `to_char(timestamp, format)` for the common patterns.
fn to_char(us: i64, fmt: &str) -> String {
    let p = parts(us);
    let dow = (us.div_euclid(US_PER_DAY) + 4).rem_euclid(7) as usize;
    let doy = us.div_euclid(US_PER_DAY) - days_from_civil(p.year, 1, 1) + 1;
    let h12 = match p.hour % 12 {
        0 => 12,
        h => h,
    };
    let mut out = String::new();
    let mut rest = fmt;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('"') {
            let end = r.find('"').unwrap_or(r.len());
            out.push_str(&r[..end]);
            rest = r.get(end + 1..).unwrap_or("");
            continue;
        }
        // Longest pattern first.
        let pats: [(&str, String); 30] = [
            ("MONTH", cased(MONTHS[p.month as usize - 1], "MONTH")),
            ("Month", MONTHS[p.month as usize - 1].into()),
            ("month", cased(MONTHS[p.month as usize - 1], "month")),
            ("YYYY", format!("{:04}", p.year)),
            ("HH24", format!("{:02}", p.hour)),
            ("HH12", format!("{:02}", h12)),
            ("DAY", cased(DAYS[dow], "DAY")),
            ("Day", DAYS[dow].into()),
            ("day", cased(DAYS[dow], "day")),
            ("MON", cased(&MONTHS[p.month as usize - 1][..3], "MON")),
            ("Mon", MONTHS[p.month as usize - 1][..3].into()),
            ("mon", cased(&MONTHS[p.month as usize - 1][..3], "mon")),
            ("DDD", format!("{doy:03}")),
            ("YY", format!("{:02}", p.year.rem_euclid(100))),
            ("MM", format!("{:02}", p.month)),
            ("DD", format!("{:02}", p.day)),
            ("HH", format!("{:02}", h12)),
            ("MI", format!("{:02}", p.minute)),
            ("SS", format!("{:02}", p.second)),
            ("MS", format!("{:03}", p.micros / 1000)),
            ("US", format!("{:06}", p.micros)),
            ("DY", cased(&DAYS[dow][..3], "DY")),
            ("Dy", DAYS[dow][..3].into()),
            ("dy", cased(&DAYS[dow][..3], "dy")),
            ("AM", if p.hour < 12 { "AM" } else { "PM" }.into()),
            ("PM", if p.hour < 12 { "AM" } else { "PM" }.into()),
            ("am", if p.hour < 12 { "am" } else { "pm" }.into()),
            ("pm", if p.hour < 12 { "am" } else { "pm" }.into()),
            ("Q", ((p.month - 1) / 3 + 1).to_string()),
            ("D", (dow + 1).to_string()),
        ];
        match pats.iter().find(|(k, _)| rest.starts_with(k)) {
            Some((k, v)) => {
                out.push_str(v);
                rest = &rest[k.len()..];
            }
            None => {
                let c = rest.chars().next().unwrap_or(' ');
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out
}

/// SQLite `strftime(format, time)`.
fn strftime(fmt: &str, us: i64) -> Result<String> {
    let p = parts(us);
    let days = us.div_euclid(US_PER_DAY);
    let mut out = String::new();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('Y') => out.push_str(&format!("{:04}", p.year)),
            Some('m') => out.push_str(&format!("{:02}", p.month)),
            Some('d') => out.push_str(&format!("{:02}", p.day)),
            Some('H') => out.push_str(&format!("{:02}", p.hour)),
            Some('M') => out.push_str(&format!("{:02}", p.minute)),
            Some('S') => out.push_str(&format!("{:02}", p.second)),
            Some('f') => out.push_str(&format!("{:02}.{:03}", p.second, p.micros / 1000)),
            Some('j') => out.push_str(&format!("{:03}", days - days_from_civil(p.year, 1, 1) + 1)),
            Some('w') => out.push_str(&(days + 4).rem_euclid(7).to_string()),
            Some('s') => out.push_str(&us.div_euclid(US_PER_SEC).to_string()),
            Some('%') => out.push('%'),
            other => {
                return Err(Error::new(
                    ErrorCode::NotSupported,
                    format!("strftime format %{}", other.unwrap_or(' ')),
                ))
            }
        }
    }
    Ok(out)
}

/// Evaluates a date/time function (`None`: `name` is not one); `now` is the
/// statement's time (µs).
pub fn call(name: &str, args: &[Value], now: i64) -> Result<Option<Value>> {
    let arity = |n: usize| -> Result<()> {
        if args.len() != n {
            return Err(Error::new(
                ErrorCode::Syntax,
                format!("{name}() takes {n} argument(s)"),
            ));
        }
        Ok(())
    };
    let text = |i: usize| -> Result<String> {
        args[i]
            .to_text()
            .map(|t| t.to_ascii_lowercase())
            .ok_or_else(|| Error::invalid(format!("{name}(): argument {} is NULL", i + 1)))
    };
    // One-time-argument functions return NULL for a NULL time.
    macro_rules! time_arg {
        ($i:expr) => {
            match time_of(&args[$i], now)? {
                Some(t) => t,
                None => return Ok(Some(Value::Null)),
            }
        };
    }
    Ok(Some(match name {
        "now" | "current_timestamp" | "localtimestamp" => {
            arity(0)?;
            Value::Text(format_ts(now)?)
        }
        "current_date" => {
            arity(0)?;
            Value::Text(format_date(now))
        }
        "current_time" => {
            arity(0)?;
            Value::Text(format_ts(now)?[11..].to_string())
        }
        "date_part" => {
            arity(2)?;
            let t = time_arg!(1);
            field_value(&text(0)?, t)?
        }
        "date_trunc" => {
            arity(2)?;
            let t = time_arg!(1);
            Value::Text(format_ts(trunc(&text(0)?, t)?)?)
        }
        "to_char" => {
            arity(2)?;
            let t = time_arg!(0);
            let fmt = args[1].to_text().unwrap_or_default();
            Value::Text(to_char(t, &fmt))
        }
        "to_timestamp" => {
            arity(1)?;
            match args[0].numeric() {
                Value::Null => Value::Null,
                Value::Int(s) => Value::Text(format_ts(s.saturating_mul(US_PER_SEC))?),
                Value::Real(s) => Value::Text(format_ts((s * 1e6).round() as i64)?),
                _ => return Err(mismatch(&args[0], "seconds since the Unix epoch")),
            }
        }
        "epoch_us" => {
            arity(1)?;
            Value::Int(time_arg!(0))
        }
        "from_epoch_us" => {
            arity(1)?;
            match args[0].numeric() {
                Value::Null => Value::Null,
                Value::Int(us) => Value::Text(format_ts(us)?),
                _ => return Err(mismatch(&args[0], "microseconds since the Unix epoch")),
            }
        }
        "epoch" | "unixepoch" => {
            arity(1)?;
            let t = time_arg!(0);
            if name == "unixepoch" {
                Value::Int(t.div_euclid(US_PER_SEC))
            } else {
                epoch_value(t)
            }
        }
        "date" | "time" | "datetime" => {
            if args.len() > 1 {
                return Err(Error::new(
                    ErrorCode::NotSupported,
                    format!("{name}() modifiers (use date_trunc or arithmetic on epoch())"),
                ));
            }
            let t = if args.is_empty() { now } else { time_arg!(0) };
            let p = parts(t);
            Value::Text(match name {
                "date" => format_date(t),
                "time" => format!("{:02}:{:02}:{:02}", p.hour, p.minute, p.second),
                _ => format!(
                    "{} {:02}:{:02}:{:02}",
                    format_date(t),
                    p.hour,
                    p.minute,
                    p.second
                ),
            })
        }
        "strftime" => {
            if args.len() != 2 {
                return Err(Error::new(
                    ErrorCode::NotSupported,
                    "strftime() takes exactly (format, time); modifiers are not supported",
                ));
            }
            let t = time_arg!(1);
            Value::Text(strftime(&args[0].to_text().unwrap_or_default(), t)?)
        }
        "make_timestamp" => {
            arity(6)?;
            let mut n = [0i64; 5];
            for (i, slot) in n.iter_mut().enumerate() {
                *slot = match args[i].numeric() {
                    Value::Int(x) => x,
                    _ => return Err(mismatch(&args[i], "an integer")),
                };
            }
            let secs = args[5].numeric().as_f64().unwrap_or(0.0);
            let text = format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                n[0],
                n[1],
                n[2],
                n[3],
                n[4],
                secs.trunc() as i64
            );
            let us = parse(&text).ok_or_else(|| {
                Error::new(
                    ErrorCode::TypeMismatch,
                    format!("make_timestamp: no such time {text}"),
                )
            })?;
            Value::Text(format_ts(us + (secs.fract() * 1e6).round() as i64)?)
        }
        "age_seconds" => {
            arity(2)?;
            let a = time_arg!(0);
            let b = time_arg!(1);
            epoch_value(a - b)
        }
        _ => return Ok(None),
    }))
}

/// Converts a time value: an integer is microseconds since the Unix epoch
/// (a system time as writes return it), text a timestamp or date.
pub fn micros(v: &Value, what: &str) -> Result<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Text(s) => parse(s).ok_or_else(|| {
            Error::new(
                ErrorCode::TypeMismatch,
                format!("{what}: `{s}` is not a timestamp or date"),
            )
        }),
        Value::Null => Err(Error::invalid(format!("{what} cannot be NULL"))),
        other => Err(Error::new(
            ErrorCode::TypeMismatch,
            format!(
                "{what} takes an integer (µs since the Unix epoch), a TIMESTAMP or a DATE, not {}",
                other.type_name()
            ),
        )),
    }
}
