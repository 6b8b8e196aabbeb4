//! Prepared single-table reads answered from memory on the caller's thread
//! (`run_prepared_cached`): the same rows as a normal run when memory and
//! a small work budget suffice, and `None` (run it normally) when the
//! statement would read too much, needs a subquery, or a disk read.
use std::sync::Arc;
use tensordb::sql::Value;
use tensordb::{Database, MemBackend, Options, ReadAt};

#[test]
fn point_reads_come_from_memory_and_everything_else_falls_back() {
    let backend = Arc::new(MemBackend::new());
    let db = Database::open_with_backend(backend.clone(), "/sync", Options::default()).unwrap();
    db.sql(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, n INTEGER); CREATE INDEX t_name ON t (name)",
        &[],
    )
    .unwrap();
    for i in 0..300 {
        db.sql(
            "INSERT INTO t VALUES ($1, $2, $3)",
            &[
                Value::Int(i),
                Value::Text(format!("n{i}")),
                Value::Int(i * 10),
            ],
        )
        .unwrap();
    }
    let at = ReadAt::default();
    let point = db.prepare("SELECT name, n FROM t WHERE id = $1").unwrap();
    let r = db
        .run_prepared_cached(&point, &[Value::Int(7)], at)
        .unwrap()
        .expect("a point read of memtable data needs no thread");
    assert_eq!(r.rows, vec![vec![Value::Text("n7".into()), Value::Int(70)]]);
    let missing = db
        .run_prepared_cached(&point, &[Value::Int(999)], at)
        .unwrap();
    assert_eq!(missing.map(|r| r.rows.len()), Some(0));

    // An index lookup and a small capped scan fit the budget.
    let by_name = db.prepare("SELECT id FROM t WHERE name = $1").unwrap();
    let r = db
        .run_prepared_cached(&by_name, &[Value::Text("n42".into())], at)
        .unwrap()
        .expect("an index lookup in memory needs no thread");
    assert_eq!(r.rows, vec![vec![Value::Int(42)]]);
    let few = db.prepare("SELECT id FROM t WHERE id < 5").unwrap();
    let r = db
        .run_prepared_cached(&few, &[], at)
        .unwrap()
        .expect("5 rows");
    assert_eq!(r.rows.len(), 5);
    // A scan of 300 rows exceeds the budget (256 reads); a subquery and a write are
    // never attempted synchronously.
    let scan = db.prepare("SELECT count(*) FROM t WHERE n > 100").unwrap();
    let got = db.run_prepared_cached(&scan, &[], at).unwrap();
    assert!(got.is_none(), "{got:?}");
    let sub = db
        .prepare("SELECT name FROM t WHERE id = (SELECT max(id) FROM t)")
        .unwrap();
    assert!(db.run_prepared_cached(&sub, &[], at).unwrap().is_none());
    let write = db.prepare("UPDATE t SET n = 0 WHERE id = 1").unwrap();
    assert!(db.run_prepared_cached(&write, &[], at).unwrap().is_none());
    assert_eq!(
        db.run_prepared(&scan, &[], at).unwrap().rows,
        vec![vec![Value::Int(289)]]
    );

    // Errors are real errors, not fallbacks.
    let bad = db.prepare("SELECT nope FROM t WHERE id = 1").unwrap();
    assert!(db.run_prepared_cached(&bad, &[], at).is_err());

    // After a flush and a reopen the rows are only on disk: the attempt
    // declines, the normal run reads them, and later attempts hit the cache.
    db.flush().unwrap();
    db.close().unwrap();
    drop(db);
    let db = Database::open_with_backend(backend, "/sync", Options::default()).unwrap();
    let point = db.prepare("SELECT name, n FROM t WHERE id = $1").unwrap();
    assert!(db
        .run_prepared_cached(&point, &[Value::Int(7)], at)
        .unwrap()
        .is_none());
    let r = db.run_prepared(&point, &[Value::Int(7)], at).unwrap();
    assert_eq!(r.rows, vec![vec![Value::Text("n7".into()), Value::Int(70)]]);
    let warm = db
        .run_prepared_cached(&point, &[Value::Int(7)], at)
        .unwrap()
        .expect("the blocks are cached now");
    assert_eq!(warm.rows, r.rows);
}

#[test]
fn reads_as_of_an_epoch_come_from_memory_and_history_reads_fall_back() {
    let db = Database::open_with_backend(Arc::new(MemBackend::new()), "/asof", Options::default())
        .unwrap();
    db.sql(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER); INSERT INTO t VALUES (1, 10), (2, 20)",
        &[],
    )
    .unwrap();
    let epoch = match &db.sql("ADVANCE EPOCH", &[]).unwrap().rows[0][0] {
        Value::Int(n) => *n,
        other => panic!("epoch {other:?}"),
    };
    db.sql("UPDATE t SET v = v + 1", &[]).unwrap();
    let at = ReadAt::default();
    let old = db
        .prepare(&format!(
            "SELECT id, v FROM t AS OF EPOCH {epoch} WHERE id >= $1 ORDER BY id"
        ))
        .unwrap();
    let r = db
        .run_prepared_cached(&old, &[Value::Int(1)], at)
        .unwrap()
        .expect("a point-in-time read of memtable data needs no thread");
    let want = vec![
        vec![Value::Int(1), Value::Int(10)],
        vec![Value::Int(2), Value::Int(20)],
    ];
    assert_eq!(r.rows, want);
    assert_eq!(
        db.run_prepared(&old, &[Value::Int(1)], at).unwrap().rows,
        want
    );
    // Period ranges read fact histories outside the budget: they decline.
    let all = db
        .prepare("SELECT id, v FROM t FOR SYSTEM_TIME ALL WHERE id = 1")
        .unwrap();
    assert!(db.run_prepared_cached(&all, &[], at).unwrap().is_none());
    assert_eq!(db.run_prepared(&all, &[], at).unwrap().rows.len(), 2);
    // A missing epoch is an error, not a fallback.
    let none = db.prepare("SELECT id FROM t AS OF EPOCH 999").unwrap();
    assert!(db.run_prepared_cached(&none, &[], at).is_err());
}
