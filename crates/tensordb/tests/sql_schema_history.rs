//! The catalog is versioned like every other fact: a query read at a system
//! time before an ALTER TABLE or CREATE VIEW sees the schema of that time,
//! and rows written before ADD COLUMN read the column's DEFAULT.
use std::sync::Arc;
use tensordb::sql::Value;
use tensordb::{Database, ErrorCode, MemBackend, Options, ReadAt};

fn at(t: u64) -> ReadAt {
    ReadAt {
        as_of: Some(t),
        ..Default::default()
    }
}

#[test]
fn queries_in_the_past_see_the_schema_of_their_time() {
    let db = Database::open_with_backend(Arc::new(MemBackend::new()), "/sh", Options::default())
        .unwrap();
    db.sql(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER)",
        &[],
    )
    .unwrap();
    let t0 = db
        .sql("INSERT INTO t VALUES (1, 'x', 10), (2, 'y', 20)", &[])
        .unwrap()
        .system_time
        .unwrap();
    let t1 = db
        .sql("ALTER TABLE t ADD COLUMN c INTEGER DEFAULT 7", &[])
        .unwrap()
        .system_time
        .unwrap();
    let t2 = db
        .sql("ALTER TABLE t DROP COLUMN a", &[])
        .unwrap()
        .system_time
        .unwrap();
    let t3 = db
        .sql("CREATE VIEW big AS SELECT id FROM t WHERE b > 15", &[])
        .unwrap()
        .system_time
        .unwrap();

    // Now: b and c, no a; the old rows read c's default.
    let now = db.sql("SELECT * FROM t ORDER BY id", &[]).unwrap();
    assert_eq!(now.columns, vec!["id", "b", "c"]);
    assert_eq!(
        now.rows[0],
        vec![Value::Int(1), Value::Int(10), Value::Int(7)]
    );

    // Before ADD COLUMN: the original three columns.
    let r = db
        .sql_at("SELECT * FROM t ORDER BY id", &[], at(t0))
        .unwrap();
    assert_eq!(r.columns, vec!["id", "a", "b"]);
    assert_eq!(
        r.rows[1],
        vec![Value::Int(2), Value::Text("y".into()), Value::Int(20)]
    );

    // Between ADD and DROP: four columns, `a` still there.
    let r = db
        .sql_at("SELECT a, c FROM t WHERE id = 2", &[], at(t1))
        .unwrap();
    assert_eq!(r.rows, vec![vec![Value::Text("y".into()), Value::Int(7)]]);

    // A valid-time read of the past at the current system time meets the
    // rows as first written; they must decode under today's schema (this
    // misaligned columns when DROP COLUMN rewrote rows).
    let r = db
        .sql_at(
            "SELECT * FROM t WHERE id = 2",
            &[],
            ReadAt {
                valid_at: Some(t0 as i64),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(r.columns, vec!["id", "b", "c"]);
    assert_eq!(
        r.rows,
        vec![vec![Value::Int(2), Value::Int(20), Value::Int(7)]]
    );
    // A column added after a drop takes a new slot: old rows read its default.
    db.sql("ALTER TABLE t ADD COLUMN a TEXT DEFAULT 'fresh'", &[])
        .unwrap();
    let r = db.sql("SELECT a FROM t WHERE id = 1", &[]).unwrap();
    assert_eq!(r.rows, vec![vec![Value::Text("fresh".into())]]);
    db.sql("INSERT INTO t (id, b, a) VALUES (3, 30, 'new')", &[])
        .unwrap();
    let r = db
        .sql("SELECT id, b, c, a FROM t WHERE id = 3", &[])
        .unwrap();
    assert_eq!(
        r.rows,
        vec![vec![
            Value::Int(3),
            Value::Int(30),
            Value::Int(7),
            Value::Text("new".into())
        ]]
    );
    db.sql("ALTER TABLE t DROP COLUMN a", &[]).unwrap();

    // After DROP, `a` is unknown.
    let e = db.sql_at("SELECT a FROM t", &[], at(t2)).unwrap_err();
    assert_eq!(e.code, ErrorCode::NoColumn);

    // The view exists from t3 on, not before.
    let e = db.sql_at("SELECT * FROM big", &[], at(t2)).unwrap_err();
    assert_eq!(e.code, ErrorCode::NoTable);
    let r = db.sql_at("SELECT * FROM big", &[], at(t3)).unwrap();
    assert_eq!(r.rows, vec![vec![Value::Int(2)]]);

    // Renaming moves the name; the old name reads the old table in the past.
    let t4 = db
        .sql("ALTER TABLE t RENAME TO u", &[])
        .unwrap()
        .system_time
        .unwrap();
    assert_eq!(
        db.sql("SELECT count(*) FROM t", &[]).unwrap_err().code,
        ErrorCode::NoTable
    );
    let r = db
        .sql_at("SELECT count(*) FROM t", &[], at(t4 - 1))
        .unwrap();
    assert_eq!(r.rows, vec![vec![Value::Int(3)]]);
    let r = db.sql("SELECT count(*) FROM u", &[]).unwrap();
    assert_eq!(r.rows, vec![vec![Value::Int(3)]]);
}
