//! EXPLAIN shows the executor's own decisions: the access path chosen by
//! cost for each table (with estimates), join strategies and the operators
//! above them; EXPLAIN ANALYZE adds what each operator produced. ANALYZE
//! statistics change the estimates, and with them the chosen path.
use std::sync::Arc;
use tensordb::sql::{SqlResult, Value};
use tensordb::{Database, ErrorCode, MemBackend, Options};

/// (plan line without indentation, est_rows, actual_rows)
fn plan(r: &SqlResult) -> Vec<(String, Value, Value)> {
    r.rows
        .iter()
        .map(|row| match &row[2] {
            Value::Text(t) => (t.trim().to_string(), row[3].clone(), row[5].clone()),
            other => panic!("plan column holds {other:?}"),
        })
        .collect()
}

fn has(r: &SqlResult, line: &str) -> bool {
    plan(r).iter().any(|(l, _, _)| l == line)
}

fn setup() -> Database {
    let db = Database::open_with_backend(Arc::new(MemBackend::new()), "/ex", Options::default())
        .unwrap();
    db.sql(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, flag INTEGER, name TEXT); \
         CREATE INDEX t_k ON t (k); CREATE INDEX t_flag ON t (flag); \
         CREATE TABLE u (id INTEGER PRIMARY KEY, tid INTEGER, x INTEGER)",
        &[],
    )
    .unwrap();
    for i in 0..200 {
        db.sql(
            "INSERT INTO t VALUES ($1, $2, $3, $4); INSERT INTO u VALUES ($1, $5, $1)",
            &[
                Value::Int(i),
                Value::Int(i % 20),
                Value::Int(i % 2),
                Value::Text(format!("n{i}")),
                Value::Int(i % 50),
            ],
        )
        .unwrap();
    }
    db
}

#[test]
fn explain_shows_the_chosen_paths_with_estimates() {
    let db = setup();
    let r = db
        .sql("EXPLAIN SELECT name FROM t WHERE id = 5", &[])
        .unwrap();
    assert_eq!(r.columns[2], "plan");
    let p = plan(&r);
    assert_eq!(p[0].0, "Query");
    assert!(has(&r, "Primary key lookup: t (id = 5)"), "{p:?}");
    assert!(
        p.iter().all(|(_, _, actual)| actual.is_null()),
        "no actuals without ANALYZE"
    );

    let r = db
        .sql("EXPLAIN SELECT name FROM t WHERE k = 3", &[])
        .unwrap();
    assert!(
        has(&r, "Index lookup: t USING t_k (k = 3)"),
        "{:?}",
        plan(&r)
    );
    let r = db
        .sql(
            "EXPLAIN SELECT name FROM t WHERE k >= 3 AND k < 5 ORDER BY name LIMIT 2",
            &[],
        )
        .unwrap();
    assert!(has(&r, "Query: sort, limit"), "{:?}", plan(&r));
    assert!(
        has(&r, "Index range: t USING t_k (k >= 3 AND k < 5)"),
        "{:?}",
        plan(&r)
    );
    let r = db
        .sql("EXPLAIN SELECT count(*) FROM u JOIN t ON t.id = u.tid", &[])
        .unwrap();
    assert!(
        has(&r, "Hash join: Inner with t (1 condition(s), 1 hashed)"),
        "{:?}",
        plan(&r)
    );
    let r = db
        .sql(
            "EXPLAIN SELECT name FROM t WHERE id IN (SELECT tid FROM u WHERE x = 3)",
            &[],
        )
        .unwrap();
    assert!(has(&r, "Subquery: IN"), "{:?}", plan(&r));
    // `x = 3` binds no key or index of u: the subquery scans it.
    assert!(has(&r, "Scan: u"), "{:?}", plan(&r));
    let e = db.sql("EXPLAIN DELETE FROM t", &[]).unwrap_err();
    assert_eq!(e.code, ErrorCode::NotSupported);
}

#[test]
fn statistics_change_the_choice_by_cost() {
    let db = setup();
    // Without statistics an equality on an index is assumed to match 10
    // rows: the index wins over a scan of the assumed 1,000 rows.
    let q = "EXPLAIN SELECT count(*) FROM t WHERE flag = 1";
    assert!(has(
        &db.sql(q, &[]).unwrap(),
        "Index lookup: t USING t_flag (flag = 1)"
    ));
    // ANALYZE learns there are 200 rows and 2 flag values: 100 rows per
    // value through the index costs more than scanning all 200.
    db.sql("ANALYZE t", &[]).unwrap();
    let r = db.sql(q, &[]).unwrap();
    let p = plan(&r);
    assert!(has(&r, "Scan: t"), "{p:?}");
    let scan = p.iter().find(|(l, _, _)| l == "Scan: t").unwrap();
    assert_eq!(scan.1, Value::Real(200.0));
    // The selective index keeps winning (10 rows per k value).
    assert!(has(
        &db.sql("EXPLAIN SELECT name FROM t WHERE k = 4", &[])
            .unwrap(),
        "Index lookup: t USING t_k (k = 4)"
    ));
    // Either way the answer is the same.
    let n = db
        .sql("SELECT count(*) FROM t WHERE flag = 1", &[])
        .unwrap();
    assert_eq!(n.rows, vec![vec![Value::Int(100)]]);
}

#[test]
fn explain_analyze_reports_actual_rows_per_operator() {
    let db = setup();
    let r = db
        .sql(
            "EXPLAIN ANALYZE SELECT t.k, count(*) FROM u JOIN t ON t.id = u.tid GROUP BY t.k",
            &[],
        )
        .unwrap();
    let p = plan(&r);
    let actual = |line: &str| p.iter().find(|(l, _, _)| l == line).map(|x| x.2.clone());
    assert_eq!(actual("Scan: u"), Some(Value::Int(200)), "{p:?}");
    assert_eq!(actual("Scan: t"), Some(Value::Int(200)));
    assert_eq!(
        actual("Hash join: Inner with t (1 condition(s), 1 hashed)"),
        Some(Value::Int(200))
    );
    assert_eq!(actual("Aggregate: hash on 1 key(s)"), Some(Value::Int(20)));
    assert_eq!(actual("Query"), Some(Value::Int(20)));
    // A correlated subquery runs once per outer row: loops say so.
    let r = db
        .sql(
            "EXPLAIN ANALYZE SELECT name FROM t WHERE id < 10 AND EXISTS (SELECT 1 FROM u WHERE u.id = t.id)",
            &[],
        )
        .unwrap();
    let sub = r
        .rows
        .iter()
        .find(|row| matches!(&row[2], Value::Text(t) if t.trim() == "Subquery: EXISTS, correlated"))
        .expect("the subquery is in the plan");
    assert_eq!(sub[6], Value::Int(10), "one loop per outer row");
    assert!(has(&r, "Primary key range: t (id < 10)"), "{:?}", plan(&r));
}
