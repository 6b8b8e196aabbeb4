//! SQL fuzzer (issue #15): mutations of the project's own `.slt`
//! statements, long chains, deep nesting and huge literals, run against a
//! database with a few tables. Every statement must end in a result or an
//! error with a stable code that is not `TDB_INTERNAL` — never a panic,
//! never a stack overflow (which would abort this test binary).
//!
//! `FUZZ_SECS` (default 20) bounds the run, `FUZZ_SEED` picks the start;
//! `scripts/fuzz.sh` runs it for as long as asked. Inputs that failed are
//! kept in `tests/fuzz-regressions/*.sql` and replayed first, every run.
mod common;
use common::Rng;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tensordb::sql::Value;
use tensordb::{Database, MemBackend, Options};

fn corpus() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/slt");
    let mut files: Vec<PathBuf> = Vec::new();
    for sub in ["tensordb", "sqlite"] {
        if let Ok(rd) = std::fs::read_dir(root.join(sub)) {
            files.extend(rd.filter_map(|e| e.ok().map(|e| e.path())));
        }
    }
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let mut sql = String::new();
        let mut in_stmt = false;
        for line in text.lines() {
            if line.starts_with("statement") || line.starts_with("query") {
                in_stmt = true;
                sql.clear();
            } else if line.trim().is_empty() || line == "----" {
                if in_stmt && !sql.trim().is_empty() && sql.len() < 4000 {
                    out.push(sql.trim().to_string());
                }
                in_stmt = false;
            } else if in_stmt {
                sql.push_str(line);
                sql.push('\n');
            }
        }
    }
    out
}

const SETUP: &[&str] = &[
    "CREATE TABLE t1 (a INTEGER, b INTEGER, c INTEGER, d INTEGER, e INTEGER)",
    "CREATE TABLE t (id INTEGER PRIMARY KEY, g TEXT, v REAL, j JSON, ts TIMESTAMP)",
    "CREATE INDEX t_g ON t (g)",
    "INSERT INTO t1 VALUES (1, 2, 3, 4, 5), (NULL, -1, 0, 7, 'x')",
    "INSERT INTO t VALUES (1, 'a', 1.5, '{\"k\": 1}', '2026-01-01 00:00:00')",
];

const PIECES: &[&str] = &[
    "(",
    ")",
    ",",
    " + ",
    " - ",
    " * ",
    " / ",
    " % ",
    " || ",
    " AND ",
    " OR ",
    " NOT ",
    " = ",
    " < ",
    " IS NULL",
    " IN (",
    " BETWEEN ",
    " LIKE ",
    " GLOB ",
    " CASE WHEN ",
    " THEN ",
    " ELSE ",
    " END",
    " SELECT ",
    " FROM ",
    " WHERE ",
    " GROUP BY ",
    " ORDER BY ",
    " LIMIT ",
    " UNION ALL ",
    " AS OF ",
    " FOR SYSTEM_TIME ALL ",
    " NULL",
    " 1",
    " -9223372036854775808",
    " 1e308",
    " 'x'",
    " ?",
    " $1",
    " $999999",
    " X'00'",
    " printf('%d', ",
    " substr(",
    " json_extract(",
    " CAST(",
    " AS INTEGER)",
    " count(*)",
    " sum(",
    " OVER (",
    " t1",
    " t",
    " a",
    " g",
    " ;",
    " WITH RECURSIVE r(x) AS (",
    " RETURNING *",
    " EXPLAIN ",
];

/// One fuzz input from the corpus, mutated, or a generated extreme.
fn input(r: &mut Rng, corpus: &[String]) -> String {
    match r.below(10) {
        // Long chains and deep nesting just past and under the limit.
        0 => {
            let n = [10usize, 999, 1001, 5000][r.below(4) as usize];
            let op = ["+1", " AND 1", " || 'a'", " UNION ALL SELECT 1"][r.below(4) as usize];
            format!("SELECT 1{}", op.repeat(n))
        }
        1 => {
            let n = [30usize, 990, 1010, 20_000][r.below(4) as usize];
            let (open, close) =
                [("(", ")"), ("(SELECT ", ")"), ("abs(", ")"), ("-(", ")")][r.below(4) as usize];
            format!("SELECT {}1{}", open.repeat(n), close.repeat(n))
        }
        // Huge literals.
        2 => {
            let n = [1usize << 10, 1 << 20, 1 << 24][r.below(3) as usize];
            match r.below(3) {
                0 => format!("SELECT length('{}')", "x".repeat(n)),
                1 => format!("SELECT X'{}'", "ab".repeat(n / 2)),
                _ => format!("SELECT {}", "9".repeat(n.min(100_000))),
            }
        }
        // Mutations of real statements.
        _ => {
            let mut s = corpus[r.below(corpus.len() as u64) as usize].clone();
            for _ in 0..1 + r.below(4) {
                let chars: Vec<char> = s.chars().collect();
                if chars.is_empty() {
                    break;
                }
                let at = r.below(chars.len() as u64 + 1) as usize;
                let head: String = chars[..at].iter().collect();
                let tail: String = chars[at..].iter().collect();
                s = match r.below(4) {
                    0 => format!(
                        "{head}{}{tail}",
                        PIECES[r.below(PIECES.len() as u64) as usize]
                    ),
                    1 => {
                        let cut = (at + 1 + r.below(8) as usize).min(chars.len());
                        format!("{head}{}", chars[cut..].iter().collect::<String>())
                    }
                    2 => format!("{head}{head}{tail}"),
                    _ => format!("{tail} {head}"),
                };
            }
            s
        }
    }
}

fn regression_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions")
}

/// Runs one input; `Some(reason)` when it broke a rule.
fn run(db: &Database, sql: &str) -> Option<String> {
    // BACKUP TO writes a real file wherever its mutated path points (one
    // landed in the source tree): not fuzzed here.
    if sql.to_ascii_uppercase().contains("BACKUP") {
        return None;
    }
    let params = [Value::Int(1), Value::Text("p".into())];
    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| db.sql(sql, &params)));
    match res {
        Err(_) => Some("panicked".into()),
        Ok(Err(e)) if e.code.as_str() == "TDB_INTERNAL" => {
            Some(format!("TDB_INTERNAL: {}", e.message))
        }
        Ok(_) => None,
    }
}

fn fresh() -> Database {
    let db = Database::open_with_backend(Arc::new(MemBackend::new()), "/fuzz", Options::default())
        .unwrap();
    for s in SETUP {
        db.sql(s, &[]).unwrap();
    }
    db
}

#[test]
fn fuzzed_sql_never_panics_or_reports_internal_errors() {
    let secs: u64 = std::env::var("FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED);
    let mut failures = Vec::new();
    // Earlier findings first.
    if let Ok(rd) = std::fs::read_dir(regression_dir()) {
        let db = fresh();
        for f in rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        {
            let sql = std::fs::read_to_string(&f).unwrap();
            if let Some(why) = run(&db, &sql) {
                failures.push(format!("{}: {why}", f.display()));
            }
        }
    }
    let corpus = corpus();
    assert!(corpus.len() > 100, "corpus too small: {}", corpus.len());
    let mut r = Rng(seed | 1);
    let until = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    let mut db = fresh();
    let mut n = 0u64;
    while std::time::Instant::now() < until && failures.len() < 10 {
        let sql = input(&mut r, &corpus);
        if let Some(why) = run(&db, &sql) {
            let name = format!("found-{seed}-{n}.sql");
            if std::env::var("FUZZ_SAVE").is_ok() {
                std::fs::create_dir_all(regression_dir()).unwrap();
                std::fs::write(regression_dir().join(&name), &sql).unwrap();
            }
            let shown: String = sql.chars().take(300).collect();
            failures.push(format!("{why}\n    input: {shown}"));
        }
        n += 1;
        // A fresh database now and then (inputs drop and alter tables).
        if n.is_multiple_of(500) {
            db = fresh();
        }
    }
    eprintln!(
        "fuzz_sql: {n} inputs in {secs} s from seed {seed}, {} failure(s)",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
