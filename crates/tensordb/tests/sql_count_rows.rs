//! `SELECT count(*) FROM t` counts rows without decoding them (issue #16),
//! and counts what a full read would: the transaction's own writes, the
//! read time, several count(*) columns and their names.
use std::sync::Arc;
use tensordb::sql::{Session, Value};
use tensordb::{Database, MemBackend, Options, ReadAt};

fn open() -> Database {
    let db = Database::open_with_backend(Arc::new(MemBackend::new()), "/count", Options::default())
        .unwrap();
    db.sql("CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT)", &[])
        .unwrap();
    let rows: Vec<String> = (0..500).map(|i| format!("({i}, 'r{i}')")).collect();
    db.sql(&format!("INSERT INTO t VALUES {}", rows.join(",")), &[])
        .unwrap();
    db
}

#[test]
fn count_star_counts_what_a_read_would_see() {
    let db = open();
    let r = db
        .sql("SELECT count(*), count(*) AS n FROM t", &[])
        .unwrap();
    assert_eq!(r.columns, vec!["count".to_string(), "n".to_string()]);
    assert_eq!(r.rows, vec![vec![Value::Int(500), Value::Int(500)]]);
    // Earlier times count what was there then.
    let before = db
        .sql("DELETE FROM t WHERE id >= 400", &[])
        .unwrap()
        .system_time
        .unwrap();
    assert_eq!(
        db.sql("SELECT count(*) FROM t", &[]).unwrap().rows[0][0],
        Value::Int(400)
    );
    let then = db
        .sql_at(
            "SELECT count(*) FROM t",
            &[],
            ReadAt {
                as_of: Some(before - 1),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(then.rows[0][0], Value::Int(500));
    // A transaction counts its own inserts and deletes.
    let mut s = Session::new();
    let q = |s: &mut Session, sql: &str| s.run(&db, sql, &[], ReadAt::default()).unwrap().rows;
    q(&mut s, "BEGIN");
    q(&mut s, "INSERT INTO t VALUES (1000, 'x'), (1001, 'y')");
    q(&mut s, "DELETE FROM t WHERE id < 10");
    assert_eq!(q(&mut s, "SELECT count(*) FROM t")[0][0], Value::Int(392));
    q(&mut s, "ROLLBACK");
    assert_eq!(q(&mut s, "SELECT count(*) FROM t")[0][0], Value::Int(400));
    // Other shapes take the general path and agree with it.
    assert_eq!(
        db.sql("SELECT count(*) FROM t WHERE id < 100", &[])
            .unwrap()
            .rows[0][0],
        Value::Int(100)
    );
    assert_eq!(
        db.sql("SELECT count(*) FROM (SELECT * FROM t)", &[])
            .unwrap()
            .rows[0][0],
        Value::Int(400)
    );
    assert_eq!(
        db.sql(
            "CREATE VIEW v AS SELECT * FROM t WHERE id % 2 = 0; SELECT count(*) FROM v",
            &[]
        )
        .unwrap()
        .rows[0][0],
        Value::Int(200)
    );
    assert_eq!(
        db.sql("WITH t AS (SELECT 1) SELECT count(*) FROM t", &[])
            .unwrap()
            .rows[0][0],
        Value::Int(1)
    );
    assert_eq!(
        db.sql("SELECT count(*) FROM nope", &[])
            .unwrap_err()
            .code
            .as_str(),
        "TDB_NO_TABLE"
    );
}

#[test]
fn explain_analyze_shows_the_count_without_a_scan() {
    let db = open();
    let r = db
        .sql("EXPLAIN ANALYZE SELECT count(*) FROM t", &[])
        .unwrap();
    let lines: Vec<String> = r
        .rows
        .iter()
        .map(|row| match &row[2] {
            Value::Text(t) => t.trim().to_string(),
            v => panic!("{v:?}"),
        })
        .collect();
    assert!(
        lines.iter().any(|l| l == "Count rows: t (no row decoded)"),
        "{lines:?}"
    );
    assert!(!lines.iter().any(|l| l.starts_with("Scan")), "{lines:?}");
}
