//! Uncorrelated subqueries run once per statement (issue #16: nested
//! `IN (SELECT …)` re-run per outer row took one SQLite test query 416 s);
//! correlated ones still see each outer row. Results are checked against
//! answers computed by hand, and EXPLAIN ANALYZE shows how often each
//! subquery ran.
use std::sync::Arc;
use tensordb::sql::{SqlResult, Value};
use tensordb::{Database, MemBackend, Options};

fn setup() -> Database {
    let db = Database::open_with_backend(Arc::new(MemBackend::new()), "/sq", Options::default())
        .unwrap();
    db.sql(
        "CREATE TABLE a (id INTEGER PRIMARY KEY, x INTEGER); \
         CREATE TABLE b (id INTEGER PRIMARY KEY, y INTEGER)",
        &[],
    )
    .unwrap();
    let a: Vec<String> = (0..1000).map(|i| format!("({i}, {})", i % 50)).collect();
    let b: Vec<String> = (0..1000).map(|i| format!("({i}, {})", i % 7)).collect();
    db.sql(&format!("INSERT INTO a VALUES {}", a.join(",")), &[])
        .unwrap();
    db.sql(&format!("INSERT INTO b VALUES {}", b.join(",")), &[])
        .unwrap();
    db
}

fn one(db: &Database, sql: &str) -> Value {
    db.sql(sql, &[]).unwrap().rows[0][0].clone()
}

/// (operator text, loops) of every Subquery line.
fn subquery_loops(r: &SqlResult) -> Vec<(String, Value)> {
    r.rows
        .iter()
        .filter_map(|row| match &row[2] {
            Value::Text(t) if t.trim().starts_with("Subquery") => {
                Some((t.trim().to_string(), row[6].clone()))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn uncorrelated_subqueries_give_the_same_answers_and_run_once() {
    let db = setup();
    // a.x in 0..50; b.y in 0..7: x IN (0..7) for 7 of 50 values of x.
    assert_eq!(
        one(&db, "SELECT count(*) FROM a WHERE x IN (SELECT y FROM b)"),
        Value::Int(7 * 20)
    );
    assert_eq!(
        one(
            &db,
            "SELECT count(*) FROM a WHERE x NOT IN (SELECT y FROM b)"
        ),
        Value::Int(43 * 20)
    );
    assert_eq!(
        one(
            &db,
            "SELECT count(*) FROM a WHERE x IN (SELECT y FROM b WHERE y IN (SELECT x FROM a WHERE x < 3))"
        ),
        Value::Int(3 * 20)
    );
    assert_eq!(
        one(&db, "SELECT sum(x > (SELECT avg(y) FROM b)) FROM a"),
        // avg(y) = 2.997 (1000 rows of i % 7): x >= 3 for 47 of 50 values.
        Value::Int(47 * 20)
    );
    assert_eq!(
        one(
            &db,
            "SELECT count(*) FROM a WHERE EXISTS (SELECT 1 FROM b WHERE y = 6)"
        ),
        Value::Int(1000)
    );
    let r = db
        .sql(
            "EXPLAIN ANALYZE SELECT count(*) FROM a WHERE x IN (SELECT y FROM b WHERE y IN (SELECT x FROM a WHERE x < 3))",
            &[],
        )
        .unwrap();
    let loops = subquery_loops(&r);
    assert_eq!(loops.len(), 2, "{loops:?}");
    for (op, n) in &loops {
        assert!(op.contains("runs once"), "{op}");
        assert_eq!(*n, Value::Int(1), "{op}");
    }
}

#[test]
fn correlated_subqueries_still_see_each_outer_row() {
    let db = setup();
    // For each a row: the b rows with y = a.x % 7 (143 for y < 6, 142 for 6).
    let per_x: i64 = (0..1000)
        .map(|i| {
            let y = (i % 50) % 7;
            (0..1000).filter(|j| j % 7 == y).count() as i64
        })
        .sum();
    assert_eq!(
        one(
            &db,
            "SELECT sum((SELECT count(*) FROM b WHERE b.y = a.x % 7)) FROM a"
        ),
        Value::Int(per_x)
    );
    assert_eq!(
        one(
            &db,
            "SELECT count(*) FROM a WHERE EXISTS (SELECT 1 FROM b WHERE b.id = a.id AND b.y = 0)"
        ),
        Value::Int((0..1000).filter(|i| i % 7 == 0).count() as i64)
    );
    // The outer column is read only in a branch that no row takes: the
    // subquery does not depend on the outer row, and the answer is the same.
    assert_eq!(
        one(
            &db,
            "SELECT sum((SELECT count(*) FROM b WHERE CASE WHEN b.y > 100 THEN a.x ELSE 1 END = 1)) FROM a"
        ),
        Value::Int(1000 * 1000)
    );
    // An outer column read in a branch some rows take: per outer row.
    assert_eq!(
        one(
            &db,
            "SELECT sum((SELECT count(*) FROM b WHERE CASE WHEN b.y = 0 THEN a.x = 0 ELSE 0 END)) FROM a"
        ),
        // a.x = 0 for 20 a rows; b.y = 0 for 143 b rows.
        Value::Int(20 * 143)
    );
    let r = db
        .sql(
            "EXPLAIN ANALYZE SELECT sum((SELECT count(*) FROM b WHERE b.y = a.x % 7)) FROM a",
            &[],
        )
        .unwrap();
    let loops = subquery_loops(&r);
    assert!(
        loops
            .iter()
            .any(|(op, n)| op.contains("correlated") && *n == Value::Int(1000)),
        "{loops:?}"
    );
}

#[test]
fn subqueries_over_a_recursive_cte_see_each_step() {
    let db = setup();
    // Each step's subquery reads the CTE's rows of that step (SQLite
    // refuses a second recursive reference; TensorDB gives each step its
    // working set): n doubles.
    assert_eq!(
        one(
            &db,
            "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + (SELECT max(n) FROM c) FROM c WHERE n < 100) SELECT group_concat(n) FROM c"
        ),
        Value::Text("1,2,4,8,16,32,64,128".into())
    );
    // A write between two reads in one transaction is seen by the second.
    db.sql(
        "BEGIN; INSERT INTO b VALUES (5000, 99); SELECT 1; COMMIT",
        &[],
    )
    .unwrap();
    assert_eq!(
        one(&db, "SELECT count(*) FROM a WHERE x IN (SELECT y FROM b)"),
        Value::Int(7 * 20)
    );
    assert_eq!(
        one(
            &db,
            "SELECT count(*) FROM b WHERE y IN (SELECT max(y) FROM b)"
        ),
        Value::Int(1)
    );
}
