//! Differential testing against SQLite (issue #15): a seeded generator of
//! schemas, data (NULLs, duplicates, mixed types) and queries (joins, GROUP
//! BY with ordinals and aliases, HAVING, subqueries, ORDER BY / LIMIT /
//! OFFSET with `?` and `$n` parameters, CASE, CAST, string and numeric
//! functions, set operations) runs every query on TensorDB and on SQLite
//! (rusqlite, bundled) and compares the rows.
//!
//! `DIFF_CASES` (default 3000, about a minute in CI) sets how many queries
//! run, `DIFF_SEED` the first seed; `scripts/differential.sh` runs it for as
//! long as asked. Rows are compared as multisets unless the query orders
//! every output column. Intended differences (see `KNOWN` and the README)
//! are skipped by shape, never by result.
mod common;
use common::Rng;
use rusqlite::types::ValueRef;
use std::sync::Arc;
use tensordb::sql::Value;
use tensordb::{Database, MemBackend, Options};

/// A generated case: schema + data statements, then one query and its params.
struct Case {
    setup: Vec<String>,
    query: String,
    params: Vec<Value>,
    /// True when ORDER BY covers every output column (compare in order).
    ordered: bool,
}

fn pick<'a, T>(r: &mut Rng, xs: &'a [T]) -> &'a T {
    &xs[r.below(xs.len() as u64) as usize]
}

/// One stored value for a column of the given declared type: mostly of
/// that type, sometimes NULL, sometimes another type (affinity at work).
fn cell(r: &mut Rng, ty: &str) -> String {
    if r.below(7) == 0 {
        return "NULL".into();
    }
    if r.below(12) == 0 {
        return pick(r, &["'x'", "'12'", "1.5", "-3", "'2.0'"]).to_string();
    }
    match ty {
        "INTEGER" => format!("{}", r.below(9) as i64 - 3),
        "REAL" => pick(r, &["0.5", "-1.25", "2.0", "3.75", "10.0", "-0.5"]).to_string(),
        _ => pick(r, &["'a'", "'b'", "'A'", "'ab'", "''", "'b c'", "'Zz'"]).to_string(),
    }
}

const TABLES: [(&str, [(&str, &str); 3]); 2] = [
    ("t1", [("a", "INTEGER"), ("b", "TEXT"), ("c", "REAL")]),
    ("t2", [("a", "INTEGER"), ("d", "TEXT"), ("e", "INTEGER")]),
];

fn setup(r: &mut Rng) -> Vec<String> {
    let mut out = Vec::new();
    for (t, cols) in TABLES {
        let defs: Vec<String> = cols.iter().map(|(c, ty)| format!("{c} {ty}")).collect();
        out.push(format!(
            "CREATE TABLE {t} (id INTEGER PRIMARY KEY, {})",
            defs.join(", ")
        ));
        // Secondary indexes on some columns, so access paths (ranges, IN
        // lists, lookups) answer some of the predicates.
        for (c, _) in cols.iter().filter(|_| r.below(2) == 0) {
            out.push(format!("CREATE INDEX {t}_{c} ON {t} ({c})"));
        }
        let n = 3 + r.below(10);
        for id in 1..=n {
            let vals: Vec<String> = cols.iter().map(|(_, ty)| cell(r, ty)).collect();
            out.push(format!(
                "INSERT INTO {t} VALUES ({id}, {})",
                vals.join(", ")
            ));
        }
    }
    out
}

/// Whether a column holds numbers (INTEGER / REAL) or text.
fn is_text_col(c: &str) -> bool {
    c.ends_with(".b") || c.ends_with(".d")
}

/// A numeric literal or NULL.
fn num_literal(r: &mut Rng) -> String {
    match r.below(8) {
        0 => "NULL".into(),
        1..=4 => format!("{}", r.below(11) as i64 - 5),
        5 => pick(r, &["0.5", "-1.25", "2.0", "3.75"]).to_string(),
        _ => format!("{}", r.below(3)),
    }
}

/// A text literal or NULL.
fn text_literal(r: &mut Rng) -> String {
    if r.below(8) == 0 {
        return "NULL".into();
    }
    pick(r, &["'a'", "'b'", "'A'", "'ab'", "''", "'7'", "'b c'"]).to_string()
}

/// A scalar expression over `cols` (qualified names), at most `depth`
/// deep, of either kind (numeric or text).
fn expr(r: &mut Rng, cols: &[String], depth: u32) -> String {
    if r.below(3) == 0 {
        text_expr(r, cols, depth)
    } else {
        num_expr(r, cols, depth)
    }
}

/// A numeric expression (it may still see stored text: columns hold mixed
/// types on purpose).
fn num_expr(r: &mut Rng, cols: &[String], depth: u32) -> String {
    let nums: Vec<String> = cols.iter().filter(|c| !is_text_col(c)).cloned().collect();
    if depth == 0 || r.below(3) == 0 {
        return if r.below(3) == 0 {
            num_literal(r)
        } else {
            pick(r, &nums).clone()
        };
    }
    let a = num_expr(r, cols, depth - 1);
    let b = num_expr(r, cols, depth - 1);
    match r.below(14) {
        0 => format!("({a} + {b})"),
        1 => format!("({a} - {b})"),
        2 => format!("({a} * {b})"),
        3 => format!("({a} / {b})"),
        4 => format!("({a} % {b})"),
        5 => format!("abs({a})"),
        6 => format!("coalesce({a}, {b})"),
        7 => format!(
            "CASE WHEN {} THEN {a} ELSE {b} END",
            pred(r, cols, depth - 1)
        ),
        8 => format!("CAST({a} AS {})", pick(r, &["INTEGER", "REAL"])),
        9 => format!("length({})", text_expr(r, cols, depth - 1)),
        10 => format!("nullif({a}, {b})"),
        11 => format!("-({a})"),
        12 => format!(
            "({} + {a})",
            pick(r, &["x.id", "1"]).replace("x.id", &nums[0])
        ),
        _ => format!("ifnull({a}, {b})"),
    }
}

/// A text expression.
fn text_expr(r: &mut Rng, cols: &[String], depth: u32) -> String {
    let texts: Vec<String> = cols.iter().filter(|c| is_text_col(c)).cloned().collect();
    if depth == 0 || r.below(3) == 0 {
        return if r.below(3) == 0 {
            text_literal(r)
        } else {
            pick(r, &texts).clone()
        };
    }
    let a = text_expr(r, cols, depth - 1);
    let b = text_expr(r, cols, depth - 1);
    match r.below(8) {
        0 => format!("({a} || {b})"),
        1 => format!("({a} || {})", num_expr(r, cols, depth - 1)),
        2 => format!("{}({a})", pick(r, &["upper", "lower"])),
        3 => format!(
            "substr({a}, {}, {})",
            r.below(5) as i64 - 2,
            r.below(5) as i64 - 1
        ),
        4 => format!("coalesce({a}, {b})"),
        5 => format!("CAST({} AS TEXT)", num_expr(r, cols, depth - 1)),
        6 => format!(
            "CASE WHEN {} THEN {a} ELSE {b} END",
            pred(r, cols, depth - 1)
        ),
        _ => format!("nullif({a}, {b})"),
    }
}

/// A boolean expression comparing values of one kind (see `KNOWN`).
fn pred(r: &mut Rng, cols: &[String], depth: u32) -> String {
    let text = r.below(3) == 0;
    let side = |r: &mut Rng| {
        if text {
            text_expr(r, cols, depth.min(1))
        } else {
            num_expr(r, cols, depth.min(1))
        }
    };
    let lit = |r: &mut Rng| {
        if text {
            text_literal(r)
        } else {
            num_literal(r)
        }
    };
    let (a, b) = (side(r), side(r));
    let base = match r.below(8) {
        0 => format!("{a} = {b}"),
        1 => format!("{a} < {b}"),
        2 => format!("{a} >= {b}"),
        3 => format!("{a} <> {b}"),
        4 => format!("{a} IS NULL"),
        5 => format!("{a} IS NOT NULL"),
        6 => format!("{a} BETWEEN {} AND {}", lit(r), lit(r)),
        _ => format!("{a} IN ({}, {}, {})", lit(r), lit(r), lit(r)),
    };
    if depth > 0 && r.below(3) == 0 {
        let other = pred(r, cols, depth - 1);
        match r.below(3) {
            0 => format!("({base} AND {other})"),
            1 => format!("({base} OR {other})"),
            _ => format!("NOT ({base})"),
        }
    } else {
        base
    }
}

fn columns(t: &str, alias: &str) -> Vec<String> {
    let cols = TABLES
        .iter()
        .find(|(n, _)| *n == t)
        .map(|(_, c)| c)
        .unwrap();
    std::iter::once(format!("{alias}.id"))
        .chain(cols.iter().map(|(c, _)| format!("{alias}.{c}")))
        .collect()
}

/// Adds ORDER BY every output column and maybe LIMIT / OFFSET as params.
fn tail(r: &mut Rng, n_out: usize, params: &mut Vec<Value>, qmarks: bool) -> (String, bool) {
    if r.below(2) == 0 {
        return (String::new(), false);
    }
    let order: Vec<String> = (1..=n_out)
        .map(|i| format!("{i}{}", if r.below(3) == 0 { " DESC" } else { "" }))
        .collect();
    let mut s = format!(" ORDER BY {}", order.join(", "));
    if r.below(2) == 0 {
        let (l, o) = (r.below(6) as i64, r.below(3) as i64);
        if qmarks {
            s.push_str(" LIMIT ? OFFSET ?");
            params.push(Value::Int(l));
            params.push(Value::Int(o));
        } else {
            let k = params.len();
            s.push_str(&format!(" LIMIT ${} OFFSET ${}", k + 1, k + 2));
            params.push(Value::Int(l));
            params.push(Value::Int(o));
        }
    }
    (s, true)
}

fn query(r: &mut Rng) -> (String, Vec<Value>, bool) {
    let mut params = Vec::new();
    let qmarks = r.below(2) == 0;
    let c1 = columns("t1", "x");
    let c2 = columns("t2", "y");
    let mut both = c1.clone();
    both.extend(c2.iter().cloned());
    let (sql, n_out) = match r.below(8) {
        // Filter + projection.
        0 | 1 => {
            let n = 1 + r.below(3) as usize;
            let items: Vec<String> = (0..n).map(|_| expr(r, &c1, 2)).collect();
            (
                format!(
                    "SELECT {} FROM t1 x WHERE {}",
                    items.join(", "),
                    pred(r, &c1, 2)
                ),
                n,
            )
        }
        // Joins.
        2 => {
            let kind = pick(r, &["JOIN", "LEFT JOIN", "CROSS JOIN"]);
            let on = if *kind == "CROSS JOIN" {
                String::new()
            } else {
                let on = pick(r, &["x.a = y.a", "x.a = y.e", "x.b = y.d"]);
                format!(" ON {on}")
            };
            let items = [expr(r, &both, 1), expr(r, &both, 1)];
            (
                format!(
                    "SELECT {} FROM t1 x {kind} t2 y{on} WHERE {}",
                    items.join(", "),
                    pred(r, &both, 1)
                ),
                2,
            )
        }
        // Grouping by ordinal or alias, with HAVING.
        3 | 4 => {
            let key = expr(r, &c1, 1);
            let agg = pick(
                r,
                &[
                    "count(*)",
                    "count(x.a)",
                    "sum(x.a)",
                    "max(x.b)",
                    "min(x.c)",
                    "total(x.c)",
                    "avg(x.a)",
                ],
            );
            let by = if r.below(2) == 0 { "1" } else { "k" };
            let having = if r.below(2) == 0 {
                format!(" HAVING count(*) > {}", r.below(3))
            } else {
                String::new()
            };
            (
                format!("SELECT {key} AS k, {agg} FROM t1 x GROUP BY {by}{having}"),
                2,
            )
        }
        // Subqueries.
        5 => {
            let sub = match r.below(3) {
                0 => format!(
                    "x.a IN (SELECT y.{} FROM t2 y WHERE {})",
                    pick(r, &["a", "e"]),
                    pred(r, &c2, 1)
                ),
                1 => format!(
                    "{}EXISTS (SELECT 1 FROM t2 y WHERE y.a = x.a AND {})",
                    if r.below(2) == 0 { "NOT " } else { "" },
                    pred(r, &c2, 1)
                ),
                _ => format!(
                    "x.a {} (SELECT {}(y.e) FROM t2 y)",
                    pick(r, &["=", "<", ">="]),
                    pick(r, &["max", "min", "count"])
                ),
            };
            (
                format!("SELECT x.id, {} FROM t1 x WHERE {sub}", expr(r, &c1, 1)),
                2,
            )
        }
        // Set operations.
        6 => {
            let op = pick(r, &["UNION", "UNION ALL", "EXCEPT", "INTERSECT"]);
            (
                format!(
                    "SELECT {} FROM t1 x WHERE {} {op} SELECT {} FROM t2 y",
                    expr(r, &c1, 1),
                    pred(r, &c1, 1),
                    expr(r, &c2, 1)
                ),
                1,
            )
        }
        // DISTINCT and a parameter in the select list.
        _ => {
            let k = params.len();
            params.push(Value::Int(r.below(5) as i64 - 2));
            let p = if qmarks {
                "?".to_string()
            } else {
                format!("${}", k + 1)
            };
            (
                format!(
                    "SELECT DISTINCT {} , x.a + {p} FROM t1 x WHERE {}",
                    expr(r, &c1, 2),
                    pred(r, &c1, 1)
                ),
                2,
            )
        }
    };
    let (t, ordered) = tail(r, n_out, &mut params, qmarks);
    (format!("{sql}{t}"), params, ordered)
}

fn case(seed: u64) -> Case {
    let mut r = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let setup = setup(&mut r);
    let (query, params, ordered) = query(&mut r);
    Case {
        setup,
        query,
        params,
        ordered,
    }
}

/// A value as both engines can be compared: numbers by value (an integer
/// and a real that are equal match; reals within a relative 1e-9).
#[derive(Clone, Debug)]
enum V {
    Null,
    Num(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl PartialEq for V {
    fn eq(&self, o: &V) -> bool {
        match (self, o) {
            (V::Null, V::Null) => true,
            (V::Num(a), V::Num(b)) => a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()),
            (V::Text(a), V::Text(b)) => a == b,
            (V::Blob(a), V::Blob(b)) => a == b,
            _ => false,
        }
    }
}

fn key(row: &[V]) -> String {
    format!("{row:?}")
}

fn ours(db: &Database, c: &Case) -> Result<Vec<Vec<V>>, String> {
    let r = db.sql(&c.query, &c.params).map_err(|e| format!("{e:?}"))?;
    Ok(comparable(r.rows))
}

/// TensorDB rows as the comparison sees them (integers and reals alike).
fn comparable(rows: Vec<Vec<Value>>) -> Vec<Vec<V>> {
    rows.into_iter()
        .map(|row| {
            row.into_iter()
                .map(|v| match v {
                    Value::Null => V::Null,
                    Value::Int(i) => V::Num(i as f64),
                    Value::Real(f) => V::Num(f),
                    Value::Text(t) => V::Text(t),
                    Value::Blob(b) => V::Blob(b),
                })
                .collect()
        })
        .collect()
}

/// How `Database::stream` disagrees with `db.sql` on `c`, if it does.
fn streamed_differs(
    db: &Database,
    c: &Case,
    whole: &Result<Vec<Vec<V>>, String>,
) -> Option<String> {
    let streamed = (|| {
        let p = db.prepare(&c.query)?;
        let mut s = db.stream_chunked(&p, &c.params, tensordb::ReadAt::default(), 3)?;
        let mut rows = Vec::new();
        loop {
            let batch = s.next_rows(db, 2)?;
            if batch.is_empty() {
                return Ok::<_, tensordb::Error>(rows);
            }
            rows.extend(batch);
        }
    })();
    let streamed = streamed.map(comparable);
    match (whole, &streamed) {
        (Ok(x), Ok(y)) if x == y => None,
        (Err(_), Err(_)) => None,
        _ => Some(format!(
            "streamed rows differ\n  query: {}\n  whole: {whole:?}\n  streamed: {streamed:?}",
            c.query
        )),
    }
}

fn theirs(conn: &rusqlite::Connection, c: &Case) -> Result<Vec<Vec<V>>, String> {
    let mut st = conn.prepare(&c.query).map_err(|e| e.to_string())?;
    let n = st.column_count();
    let params: Vec<rusqlite::types::Value> = c
        .params
        .iter()
        .map(|p| match p {
            Value::Int(i) => rusqlite::types::Value::Integer(*i),
            Value::Real(f) => rusqlite::types::Value::Real(*f),
            Value::Text(t) => rusqlite::types::Value::Text(t.clone()),
            Value::Blob(b) => rusqlite::types::Value::Blob(b.clone()),
            Value::Null => rusqlite::types::Value::Null,
        })
        .collect();
    let mut rows = st
        .query(rusqlite::params_from_iter(params))
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(|e| e.to_string())? {
        let mut vals = Vec::with_capacity(n);
        for i in 0..n {
            vals.push(match row.get_ref(i).map_err(|e| e.to_string())? {
                ValueRef::Null => V::Null,
                ValueRef::Integer(i) => V::Num(i as f64),
                ValueRef::Real(f) => V::Num(f),
                ValueRef::Text(t) => V::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => V::Blob(b.to_vec()),
            });
        }
        out.push(vals);
    }
    Ok(out)
}

/// Shapes whose results differ on purpose (documented in the README under
/// "Differences from SQLite"); a case containing one is skipped.
///
/// Besides these, the generator compares only values of one kind (numeric
/// with numeric, text with text): TensorDB does not apply SQLite's
/// comparison affinity (a TEXT column compared with a number converts the
/// number to text, an INTEGER column compared with text converts the
/// text), so such comparisons may differ — listed in the README; the
/// binder of issue #16 is where it belongs.
const KNOWN: &[&str] = &[
    // LIKE is case-sensitive in TensorDB (as in PostgreSQL), not in SQLite.
    " LIKE ",
];

/// Cases where both engines returned rows / both failed (printed at the
/// end, so a generator that only produces errors is noticed).
static WITH_ROWS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
static BOTH_FAILED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Runs one case; `None` when both agree (or the shape is a known difference).
fn check(seed: u64) -> Option<String> {
    let c = case(seed);
    if KNOWN.iter().any(|k| c.query.contains(k)) {
        return None;
    }
    let db = Database::open_with_backend(Arc::new(MemBackend::new()), "/diff", Options::default())
        .unwrap();
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    for s in &c.setup {
        db.sql(s, &[]).unwrap();
        conn.execute(s, []).unwrap();
    }
    let (a, b) = (ours(&db, &c), theirs(&conn, &c));
    // The same query streamed in chunks of 3 storage rows gives the same
    // rows in the same order (or fails as well).
    if let Some(f) = streamed_differs(&db, &c, &a) {
        return Some(format!("seed {seed}: {f}"));
    }
    use std::sync::atomic::Ordering::Relaxed;
    match (&a, &b) {
        (Ok(x), Ok(_)) if !x.is_empty() => WITH_ROWS.fetch_add(1, Relaxed),
        (Err(_), Err(_)) => BOTH_FAILED.fetch_add(1, Relaxed),
        _ => 0,
    };
    let same = match (&a, &b) {
        (Ok(x), Ok(y)) if c.ordered => x == y,
        (Ok(x), Ok(y)) => {
            let mut x: Vec<String> = x.iter().map(|r| key(r)).collect();
            let mut y: Vec<String> = y.iter().map(|r| key(r)).collect();
            x.sort();
            y.sort();
            x.len() == y.len() && {
                // Sorted debug keys can order equal numbers differently
                // (1 vs 1.0); compare as multisets of rows by value.
                let xs: Vec<Vec<V>> = a.as_ref().unwrap().clone();
                let mut ys: Vec<Vec<V>> = b.as_ref().unwrap().clone();
                xs.iter().all(|r| {
                    ys.iter()
                        .position(|s| s == r)
                        .map(|i| ys.swap_remove(i))
                        .is_some()
                })
            }
        }
        (Err(_), Err(_)) => true,
        _ => false,
    };
    if same {
        return None;
    }
    Some(format!(
        "seed {seed}\n  query: {}\n  params: {:?}\n  tensordb: {a:?}\n  sqlite:   {b:?}\n  setup: {}",
        c.query,
        c.params,
        c.setup.join("; ")
    ))
}

#[test]
fn tensordb_agrees_with_sqlite_on_generated_queries() {
    let cases: u64 = std::env::var("DIFF_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000);
    let first: u64 = std::env::var("DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let mut failures = Vec::new();
    for seed in first..first + cases {
        if let Some(f) = check(seed) {
            eprintln!("{f}\n");
            failures.push(f);
            if failures.len() >= 20 {
                break;
            }
        }
        // Long runs (scripts/fuzz.sh diff) report as they go.
        if (seed - first + 1).is_multiple_of(50_000) {
            eprintln!(
                "differential: {} cases so far, {} disagreement(s)",
                seed - first + 1,
                failures.len()
            );
        }
    }
    use std::sync::atomic::Ordering::Relaxed;
    eprintln!(
        "differential: seeds {first}..{}: {} with rows, {} failed on both",
        first + cases,
        WITH_ROWS.load(Relaxed),
        BOTH_FAILED.load(Relaxed)
    );
    assert!(
        WITH_ROWS.load(Relaxed) * 2 > cases.min(100),
        "the generator produced too few results"
    );
    assert!(
        failures.is_empty(),
        "{} disagreement(s); first: {}",
        failures.len(),
        failures[0]
    );
}
