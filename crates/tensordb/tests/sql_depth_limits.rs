//! Deeply nested statements (issue #15): every construct up to the
//! documented depth works, and past it fails with `TDB_LIMIT` — never a
//! stack overflow. Run on a thread with Rust's default 2 MiB stack, as a
//! Rust caller's thread would be; deep statements move to a big stack.
use std::sync::Arc;
use tensordb::sql::syntax::limits::MAX_DEPTH;
use tensordb::{Database, MemBackend, Options};

fn db() -> Database {
    let db = Database::open_with_backend(Arc::new(MemBackend::new()), "/deep", Options::default())
        .unwrap();
    db.sql("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)", &[])
        .unwrap();
    db.sql("INSERT INTO t VALUES (1, 1), (2, 2)", &[]).unwrap();
    db
}

/// (name, SQL for n levels, a depth that must work, a depth that must fail)
fn cases() -> Vec<(&'static str, fn(usize) -> String, usize, usize)> {
    vec![
        (
            "plus",
            |n| format!("SELECT 1{}", "+1".repeat(n)),
            950,
            1_200,
        ),
        (
            "and",
            |n| format!("SELECT 1{}", " AND 1".repeat(n)),
            950,
            1_500,
        ),
        (
            "or",
            |n| format!("SELECT id FROM t WHERE v = 0{}", " OR v = 1".repeat(n)),
            950,
            1_500,
        ),
        (
            "concat",
            |n| format!("SELECT 'a'{}", " || 'b'".repeat(n)),
            950,
            1_500,
        ),
        (
            "parens",
            |n| format!("SELECT {}1{}", "(".repeat(n), ")".repeat(n)),
            950,
            1_100,
        ),
        (
            "not",
            |n| format!("SELECT {}1", "NOT ".repeat(n)),
            950,
            1_100,
        ),
        (
            "negation",
            |n| format!("SELECT {}1", "- ".repeat(n)),
            950,
            1_100,
        ),
        (
            "case",
            |n| {
                format!(
                    "SELECT {}1{}",
                    "CASE WHEN 1 THEN ".repeat(n),
                    " END".repeat(n)
                )
            },
            300,
            1_100,
        ),
        (
            "subquery",
            |n| format!("SELECT {}1{}", "(SELECT ".repeat(n), ")".repeat(n)),
            300,
            1_100,
        ),
        (
            "union all",
            |n| format!("SELECT 1{}", " UNION ALL SELECT 1".repeat(n)),
            950,
            3_000,
        ),
        (
            "where",
            |n| {
                format!(
                    "SELECT id FROM t WHERE {}v = 1{}",
                    "(".repeat(n),
                    ")".repeat(n)
                )
            },
            950,
            1_100,
        ),
    ]
}

#[test]
fn every_construct_works_to_the_limit_and_fails_cleanly_past_it() {
    let h = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let db = db();
            for (name, make, ok, bad) in cases() {
                assert!(ok <= MAX_DEPTH && bad > MAX_DEPTH);
                let r = db.sql(&make(ok), &[]);
                assert!(r.is_ok(), "{name} at {ok}: {:?}", r.err());
                let p = db.prepare(&make(ok)).unwrap();
                assert!(
                    db.run_prepared(&p, &[], Default::default()).is_ok(),
                    "{name} prepared"
                );
                let e = db.sql(&make(bad), &[]).unwrap_err();
                assert_eq!(e.code.as_str(), "TDB_LIMIT", "{name} at {bad}: {e:?}");
                let e = db.prepare(&make(bad)).unwrap_err();
                assert_eq!(
                    e.code.as_str(),
                    "TDB_LIMIT",
                    "{name} prepared at {bad}: {e:?}"
                );
            }
            // Far past the limit, and much longer texts, still end in an error.
            for sql in [
                format!("SELECT 1{}", "+1".repeat(200_000)),
                format!("SELECT {}1{}", "(".repeat(100_000), ")".repeat(100_000)),
                format!("SELECT 1{}", " UNION ALL SELECT 1".repeat(50_000)),
            ] {
                assert_eq!(db.sql(&sql, &[]).unwrap_err().code.as_str(), "TDB_LIMIT");
            }
        })
        .unwrap();
    h.join().unwrap();
}

#[test]
fn moderate_nesting_parses_on_any_thread() {
    // SQLite's own test files hold WHERE clauses ~27 parentheses deep; the
    // old parser limit (50) refused them.
    let db = db();
    let sql = format!(
        "SELECT id FROM t WHERE {}v = 1{}",
        "(".repeat(40),
        ")".repeat(40)
    );
    assert_eq!(db.sql(&sql, &[]).unwrap().rows.len(), 1);
    let sum = format!(
        "SELECT {}",
        (0..200).map(|_| "1").collect::<Vec<_>>().join(" + ")
    );
    assert_eq!(
        db.sql(&sum, &[]).unwrap().rows,
        vec![vec![tensordb::sql::Value::Int(200)]]
    );
}
