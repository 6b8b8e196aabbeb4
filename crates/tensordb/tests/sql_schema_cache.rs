//! The shared schema cache (`sql::meta_cache`) never shows a statement a
//! schema other than the one its snapshot sees: DDL by another session,
//! DDL inside the reader's own transaction, a transaction whose snapshot
//! predates a schema change, prepared statements run across DROP / CREATE,
//! indexes created and dropped, and reads in the past.
use std::sync::Arc;
use tensordb::sql::{Prepared, Session, Value};
use tensordb::{Database, ErrorCode, MemBackend, Options, ReadAt};

fn open() -> Database {
    let db = Database::open_with_backend(Arc::new(MemBackend::new()), "/sc", Options::default())
        .unwrap();
    db.sql("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)", &[])
        .unwrap();
    db.sql("INSERT INTO t VALUES (1, 'x'), (2, 'y')", &[])
        .unwrap();
    db
}

fn cols(db: &Database, sql: &str) -> Vec<String> {
    db.sql(sql, &[]).unwrap().columns
}

fn explain(db: &Database, sql: &str) -> String {
    let r = db.sql(&format!("EXPLAIN {sql}"), &[]).unwrap();
    format!("{:?}", r.rows)
}

#[test]
fn another_sessions_ddl_is_seen_by_the_next_statement() {
    let db = open();
    assert_eq!(cols(&db, "SELECT * FROM t"), ["id", "a"]);
    db.sql("ALTER TABLE t ADD COLUMN b INTEGER DEFAULT 7", &[])
        .unwrap();
    assert_eq!(cols(&db, "SELECT * FROM t"), ["id", "a", "b"]);
    db.sql("DROP TABLE t", &[]).unwrap();
    let e = db.sql("SELECT * FROM t", &[]).unwrap_err();
    assert_eq!(e.code, ErrorCode::NoTable);
    db.sql("CREATE TABLE t (z REAL)", &[]).unwrap();
    assert_eq!(cols(&db, "SELECT * FROM t"), ["z"]);
}

#[test]
fn a_transaction_keeps_the_schema_of_its_snapshot() {
    let db = open();
    let mut a = Session::new();
    a.run(&db, "BEGIN", &[], ReadAt::default()).unwrap();
    let before = a
        .run(&db, "SELECT * FROM t WHERE id = 1", &[], ReadAt::default())
        .unwrap();
    assert_eq!(before.columns, ["id", "a"]);
    db.sql("ALTER TABLE t ADD COLUMN b INTEGER", &[]).unwrap();
    // Fill the cache with the new schema from outside the transaction.
    assert_eq!(cols(&db, "SELECT * FROM t"), ["id", "a", "b"]);
    let inside = a
        .run(&db, "SELECT * FROM t WHERE id = 1", &[], ReadAt::default())
        .unwrap();
    assert_eq!(inside.columns, ["id", "a"]);
    a.run(&db, "ROLLBACK", &[], ReadAt::default()).unwrap();
}

#[test]
fn ddl_inside_a_transaction_is_seen_only_there() {
    let db = open();
    // Warm the cache.
    assert_eq!(cols(&db, "SELECT * FROM t"), ["id", "a"]);
    let mut a = Session::new();
    a.run(&db, "BEGIN", &[], ReadAt::default()).unwrap();
    a.run(
        &db,
        "ALTER TABLE t ADD COLUMN c TEXT",
        &[],
        ReadAt::default(),
    )
    .unwrap();
    a.run(&db, "CREATE INDEX t_a ON t(a)", &[], ReadAt::default())
        .unwrap();
    let inside = a
        .run(&db, "SELECT * FROM t", &[], ReadAt::default())
        .unwrap();
    assert_eq!(inside.columns, ["id", "a", "c"]);
    let plan = a
        .run(
            &db,
            "EXPLAIN SELECT * FROM t WHERE a = 'x'",
            &[],
            ReadAt::default(),
        )
        .unwrap();
    assert!(format!("{:?}", plan.rows).contains("t_a"), "{plan:?}");
    // Outside, nothing changed yet.
    assert_eq!(cols(&db, "SELECT * FROM t"), ["id", "a"]);
    assert!(!explain(&db, "SELECT * FROM t WHERE a = 'x'").contains("t_a"));
    a.run(&db, "COMMIT", &[], ReadAt::default()).unwrap();
    assert_eq!(cols(&db, "SELECT * FROM t"), ["id", "a", "c"]);
    assert!(explain(&db, "SELECT * FROM t WHERE a = 'x'").contains("t_a"));
    db.sql("DROP INDEX t_a", &[]).unwrap();
    assert!(!explain(&db, "SELECT * FROM t WHERE a = 'x'").contains("t_a"));
}

#[test]
fn a_prepared_statement_follows_drop_and_create() {
    let db = open();
    let p = Prepared::new("SELECT * FROM t WHERE id = $1").unwrap();
    for _ in 0..3 {
        let r = db
            .run_prepared(&p, &[Value::Int(1)], ReadAt::default())
            .unwrap();
        assert_eq!(r.rows, vec![vec![Value::Int(1), Value::Text("x".into())]]);
    }
    db.sql("DROP TABLE t", &[]).unwrap();
    let e = db
        .run_prepared(&p, &[Value::Int(1)], ReadAt::default())
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NoTable);
    db.sql(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, m INTEGER)",
        &[],
    )
    .unwrap();
    db.sql("INSERT INTO t VALUES (1, 10, 20)", &[]).unwrap();
    let r = db
        .run_prepared(&p, &[Value::Int(1)], ReadAt::default())
        .unwrap();
    assert_eq!(r.columns, ["id", "n", "m"]);
    assert_eq!(
        r.rows,
        vec![vec![Value::Int(1), Value::Int(10), Value::Int(20)]]
    );
    let cached = db
        .run_prepared_cached(&p, &[Value::Int(1)], ReadAt::default())
        .unwrap()
        .expect("answered from memory");
    assert_eq!(cached.rows, r.rows);
}

#[test]
fn reads_in_the_past_use_the_schema_of_their_time() {
    let db = open();
    let t0 = db.now();
    assert_eq!(cols(&db, "SELECT * FROM t"), ["id", "a"]);
    db.sql("ALTER TABLE t ADD COLUMN b INTEGER", &[]).unwrap();
    assert_eq!(cols(&db, "SELECT * FROM t"), ["id", "a", "b"]);
    let old = db
        .sql_at(
            "SELECT * FROM t",
            &[],
            ReadAt {
                as_of: Some(t0),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(old.columns, ["id", "a"]);
}

#[test]
fn only_schema_writes_move_the_generation() {
    let db = open();
    db.sql("CREATE INDEX t_a ON t(a)", &[]).unwrap();
    let g = db.schema_state().unwrap().generation;
    // Rows and index entries are data.
    db.sql("INSERT INTO t VALUES (3, 'z')", &[]).unwrap();
    db.sql("UPDATE t SET a = 'w' WHERE id = 1", &[]).unwrap();
    db.sql("DELETE FROM t WHERE id = 2", &[]).unwrap();
    assert_eq!(db.schema_state().unwrap().generation, g);
    // Index definitions, views and statistics are schema.
    for ddl in [
        "CREATE VIEW v AS SELECT a FROM t",
        "ANALYZE t",
        "DROP INDEX t_a",
    ] {
        db.sql(ddl, &[]).unwrap();
        let now = db.schema_state().unwrap().generation;
        assert!(now > g, "{ddl} moved nothing");
    }
}

#[test]
fn index_changes_on_an_empty_table_are_seen() {
    let db = open();
    db.sql("CREATE TABLE e (id INTEGER PRIMARY KEY, v TEXT)", &[])
        .unwrap();
    let q = "SELECT * FROM e WHERE v = 'x'";
    assert!(!explain(&db, q).contains("e_v"));
    db.sql("CREATE INDEX e_v ON e(v)", &[]).unwrap();
    assert!(explain(&db, q).contains("e_v"));
    db.sql("DROP INDEX e_v", &[]).unwrap();
    assert!(!explain(&db, q).contains("e_v"));
}
