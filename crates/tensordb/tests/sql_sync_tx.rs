//! Statements inside an open transaction answered from memory
//! (`Session::run_cached_in_tx`): writes buffer in the transaction as usual
//! and commit with it; an error or a decline (too much work) leaves nothing
//! behind, so the statement can be re-run normally.
use std::sync::Arc;
use tensordb::sql::{Session, Value};
use tensordb::{Database, ErrorCode, MemBackend, Options, ReadAt};

#[test]
fn transaction_statements_run_from_memory_and_decline_cleanly() {
    let db = Database::open_with_backend(Arc::new(MemBackend::new()), "/stx", Options::default())
        .unwrap();
    db.sql(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER, tag TEXT); CREATE INDEX t_v ON t (v)",
        &[],
    )
    .unwrap();
    let mut s = Session::new();
    let insert = db.prepare("INSERT INTO t VALUES ($1, $2, $3)").unwrap();
    // Outside a transaction nothing is attempted (autocommit needs a sync).
    assert!(s
        .run_cached_in_tx(&db, &insert, &[Value::Int(0), Value::Int(0), Value::Null])
        .unwrap()
        .is_none());
    s.begin(&db).unwrap();
    for i in 0..300 {
        let r = s
            .run_cached_in_tx(
                &db,
                &insert,
                &[
                    Value::Int(i),
                    Value::Int(i % 7),
                    Value::Text(format!("t{i}")),
                ],
            )
            .unwrap()
            .unwrap_or_else(|| panic!("insert {i} declined"));
        assert_eq!(r.changes, 1);
    }
    // A clash is a real error, and the transaction goes on without it.
    let e = s
        .run_cached_in_tx(&db, &insert, &[Value::Int(5), Value::Int(1), Value::Null])
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Constraint);
    // Reads see the transaction's own writes.
    let get = db.prepare("SELECT tag FROM t WHERE id = $1").unwrap();
    let r = s.run_cached_in_tx(&db, &get, &[Value::Int(42)]).unwrap();
    assert_eq!(
        r.map(|r| r.rows),
        Some(vec![vec![Value::Text("t42".into())]])
    );
    // Touching 300 rows is more than a synchronous attempt may do: it
    // declines and keeps none of its writes.
    let bump = db.prepare("UPDATE t SET v = v + 100").unwrap();
    assert!(s.run_cached_in_tx(&db, &bump, &[]).unwrap().is_none());
    let commit = db.prepare("COMMIT").unwrap();
    assert!(
        s.run_cached_in_tx(&db, &commit, &[]).unwrap().is_none(),
        "COMMIT needs the engine"
    );
    s.run(&db, "COMMIT", &[], ReadAt::default()).unwrap();
    let r = db
        .sql("SELECT count(*), max(v), sum(id) FROM t", &[])
        .unwrap();
    assert_eq!(
        r.rows,
        vec![vec![
            Value::Int(300),
            Value::Int(6),
            Value::Int((0..300).sum())
        ]]
    );
}

#[test]
fn statements_that_read_fact_histories_decline_and_then_run_normally() {
    let db = Database::open_with_backend(Arc::new(MemBackend::new()), "/stx2", Options::default())
        .unwrap();
    db.sql(
        "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO p VALUES (1, 'a')",
        &[],
    )
    .unwrap();
    let mut s = Session::new();
    s.begin(&db).unwrap();
    // FOR PORTION OF reads the row's facts from the store: no memory-only
    // attempt may do that, so it declines and leaves nothing behind.
    let portion = db
        .prepare("UPDATE p FOR PORTION OF VALID_TIME FROM '2030-03-01' TO '2030-04-01' SET name = 'x' WHERE id = 1")
        .unwrap();
    assert!(s.run_cached_in_tx(&db, &portion, &[]).unwrap().is_none());
    let r = s
        .run_prepared(&db, &portion, &[], ReadAt::default())
        .unwrap();
    assert_eq!(r.changes, 1);
    s.run(&db, "COMMIT", &[], ReadAt::default()).unwrap();
    let all = db
        .sql("SELECT name FROM p FOR VALID_TIME ALL ORDER BY name", &[])
        .unwrap();
    assert!(
        all.rows.contains(&vec![Value::Text("x".into())]),
        "{:?}",
        all.rows
    );
}
