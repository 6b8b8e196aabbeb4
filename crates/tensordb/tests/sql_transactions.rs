//! Transactions: snapshot reads, own writes visible, atomic commit under one
//! system time, rollback and savepoints, write-write conflicts (rows and
//! UNIQUE values), and autocommit statements that never lose updates.
use std::sync::Arc;
use tensordb::sql::{Session, Value};
use tensordb::{Database, ErrorCode, MemBackend, Options, ReadAt};

fn open() -> Database {
    let db = Database::open_with_backend(Arc::new(MemBackend::new()), "/tx", Options::default())
        .unwrap();
    db.sql(
        "CREATE TABLE acct (id INTEGER PRIMARY KEY, owner TEXT, balance INTEGER)",
        &[],
    )
    .unwrap();
    db.sql("CREATE UNIQUE INDEX acct_owner ON acct(owner)", &[])
        .unwrap();
    db.sql(
        "INSERT INTO acct VALUES (1, 'ann', 100), (2, 'bob', 50)",
        &[],
    )
    .unwrap();
    db
}

fn query(s: &mut Session, db: &Database, sql: &str) -> Vec<Vec<Value>> {
    s.run(db, sql, &[], ReadAt::default()).unwrap().rows
}

fn int(db: &Database, sql: &str) -> i64 {
    match db.sql(sql, &[]).unwrap().rows[0][0] {
        Value::Int(i) => i,
        ref v => panic!("not an integer: {v:?}"),
    }
}

fn at(db: &Database, sql: &str, t: u64) -> i64 {
    let at = ReadAt {
        as_of: Some(t),
        ..Default::default()
    };
    match db.sql_at(sql, &[], at).unwrap().rows[0][0] {
        Value::Int(i) => i,
        ref v => panic!("not an integer: {v:?}"),
    }
}

#[test]
fn commit_is_atomic_under_one_system_time() {
    let db = open();
    let mut a = Session::new();
    let mut b = Session::new();
    query(&mut a, &db, "BEGIN");
    query(&mut a, &db, "INSERT INTO acct VALUES (3, 'cy', 10)");
    query(
        &mut a,
        &db,
        "UPDATE acct SET balance = balance - 30 WHERE id = 1",
    );
    query(
        &mut a,
        &db,
        "UPDATE acct SET balance = balance + 30 WHERE id = 2",
    );
    // Own writes are visible inside; nothing is visible outside.
    let inside = query(&mut a, &db, "SELECT sum(balance), count(*) FROM acct");
    assert_eq!(inside[0], vec![Value::Int(160), Value::Int(3)]);
    let outside = query(&mut b, &db, "SELECT sum(balance), count(*) FROM acct");
    assert_eq!(outside[0], vec![Value::Int(150), Value::Int(2)]);
    let sys = a
        .run(&db, "COMMIT", &[], ReadAt::default())
        .unwrap()
        .system_time
        .expect("a commit with writes has a system time");
    assert_eq!(int(&db, "SELECT balance FROM acct WHERE id = 1"), 70);
    assert_eq!(int(&db, "SELECT count(*) FROM acct"), 3);
    // One system time: just before it, none of the writes; at it, all.
    assert_eq!(at(&db, "SELECT count(*) FROM acct", sys - 1), 2);
    assert_eq!(
        at(&db, "SELECT balance FROM acct WHERE id = 2", sys - 1),
        50
    );
    assert_eq!(at(&db, "SELECT count(*) FROM acct", sys), 3);
    assert_eq!(at(&db, "SELECT balance FROM acct WHERE id = 2", sys), 80);
}

#[test]
fn reads_see_a_stable_snapshot() {
    let db = open();
    let mut a = Session::new();
    query(&mut a, &db, "BEGIN");
    assert_eq!(
        query(&mut a, &db, "SELECT count(*) FROM acct")[0][0],
        Value::Int(2)
    );
    db.sql("INSERT INTO acct VALUES (9, 'zed', 1)", &[])
        .unwrap();
    assert_eq!(
        query(&mut a, &db, "SELECT count(*) FROM acct")[0][0],
        Value::Int(2),
        "a transaction keeps reading its snapshot"
    );
    query(&mut a, &db, "COMMIT");
    assert_eq!(int(&db, "SELECT count(*) FROM acct"), 3);
}

#[test]
fn rollback_and_savepoints() {
    let db = open();
    let mut s = Session::new();
    for sql in ["BEGIN", "INSERT INTO acct VALUES (3, 'cy', 10)", "ROLLBACK"] {
        query(&mut s, &db, sql);
    }
    assert_eq!(int(&db, "SELECT count(*) FROM acct"), 2);

    for sql in [
        "BEGIN",
        "INSERT INTO acct VALUES (3, 'cy', 10)",
        "SAVEPOINT a",
        "INSERT INTO acct VALUES (4, 'di', 10)",
        "SAVEPOINT b",
        "DELETE FROM acct WHERE id = 1",
        "ROLLBACK TO b",
    ] {
        query(&mut s, &db, sql);
    }
    assert_eq!(
        query(&mut s, &db, "SELECT group_concat(id) FROM acct")[0][0],
        Value::Text("1,2,3,4".into())
    );
    query(&mut s, &db, "ROLLBACK TO SAVEPOINT a");
    assert_eq!(
        query(&mut s, &db, "SELECT group_concat(id) FROM acct")[0][0],
        Value::Text("1,2,3".into())
    );
    query(&mut s, &db, "RELEASE a");
    query(&mut s, &db, "COMMIT");
    assert_eq!(int(&db, "SELECT count(*) FROM acct"), 3);

    // SAVEPOINT outside a transaction begins one; releasing it commits.
    query(&mut s, &db, "SAVEPOINT outer_sp");
    query(&mut s, &db, "INSERT INTO acct VALUES (5, 'ed', 1)");
    assert!(s.in_transaction());
    query(&mut s, &db, "RELEASE SAVEPOINT outer_sp");
    assert!(!s.in_transaction());
    assert_eq!(int(&db, "SELECT count(*) FROM acct"), 4);

    let e = s
        .run(&db, "ROLLBACK TO nope", &[], ReadAt::default())
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument);
    let e = s.run(&db, "COMMIT", &[], ReadAt::default()).unwrap_err();
    assert!(e.message.contains("no transaction"), "{e}");
}

#[test]
fn a_failed_statement_leaves_the_transaction_usable() {
    let db = open();
    let mut s = Session::new();
    query(&mut s, &db, "BEGIN");
    query(&mut s, &db, "INSERT INTO acct VALUES (3, 'cy', 10)");
    let e = s
        .run(
            &db,
            "INSERT INTO acct VALUES (4, 'di', 1), (1, 'dup', 1)",
            &[],
            ReadAt::default(),
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Constraint);
    query(&mut s, &db, "COMMIT");
    assert_eq!(int(&db, "SELECT count(*) FROM acct"), 3);
    assert_eq!(int(&db, "SELECT count(*) FROM acct WHERE id = 4"), 0);
}

#[test]
fn write_write_conflicts_are_detected() {
    let db = open();
    let mut a = Session::new();
    let mut b = Session::new();
    query(&mut a, &db, "BEGIN");
    query(&mut b, &db, "BEGIN");
    query(&mut a, &db, "UPDATE acct SET balance = 1 WHERE id = 1");
    query(&mut b, &db, "UPDATE acct SET balance = 2 WHERE id = 1");
    query(&mut b, &db, "COMMIT");
    let e = a.run(&db, "COMMIT", &[], ReadAt::default()).unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    assert!(!a.in_transaction(), "a conflicted transaction is over");
    assert_eq!(int(&db, "SELECT balance FROM acct WHERE id = 1"), 2);

    // Disjoint rows do not conflict.
    query(&mut a, &db, "BEGIN");
    query(&mut b, &db, "BEGIN");
    query(&mut a, &db, "UPDATE acct SET balance = 10 WHERE id = 1");
    query(&mut b, &db, "UPDATE acct SET balance = 20 WHERE id = 2");
    query(&mut a, &db, "COMMIT");
    query(&mut b, &db, "COMMIT");
    assert_eq!(int(&db, "SELECT sum(balance) FROM acct"), 30);

    // Two transactions claiming the same UNIQUE value under different keys.
    query(&mut a, &db, "BEGIN");
    query(&mut b, &db, "BEGIN");
    query(&mut a, &db, "INSERT INTO acct VALUES (7, 'same', 0)");
    query(&mut b, &db, "INSERT INTO acct VALUES (8, 'same', 0)");
    query(&mut a, &db, "COMMIT");
    let e = b.run(&db, "COMMIT", &[], ReadAt::default()).unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    assert_eq!(
        int(&db, "SELECT count(*) FROM acct WHERE owner = 'same'"),
        1
    );
}

#[test]
fn concurrent_autocommit_updates_lose_nothing() {
    let db = Arc::new(open());
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let db = db.clone();
            std::thread::spawn(move || {
                for _ in 0..25 {
                    db.sql("UPDATE acct SET balance = balance + 1 WHERE id = 2", &[])
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(int(&db, "SELECT balance FROM acct WHERE id = 2"), 150);
}

#[test]
fn a_call_cannot_leave_a_transaction_open() {
    let db = open();
    let e = db
        .sql("BEGIN; INSERT INTO acct VALUES (3, 'cy', 1)", &[])
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument);
    assert_eq!(int(&db, "SELECT count(*) FROM acct"), 2);
    // A whole transaction in one call is fine.
    db.sql(
        "BEGIN; INSERT INTO acct VALUES (3, 'cy', 1); INSERT INTO acct VALUES (4, 'di', 1); COMMIT",
        &[],
    )
    .unwrap();
    assert_eq!(int(&db, "SELECT count(*) FROM acct"), 4);
}

#[test]
fn many_inserts_in_one_transaction() {
    let db = open();
    let mut s = Session::new();
    query(&mut s, &db, "BEGIN");
    let p = db
        .prepare("INSERT INTO acct (owner, balance) VALUES ($1, $2)")
        .unwrap();
    for i in 0..2000 {
        s.run_prepared(
            &db,
            &p,
            &[Value::Text(format!("u{i}")), Value::Int(i)],
            ReadAt::default(),
        )
        .unwrap();
    }
    let r = query(&mut s, &db, "SELECT count(*), max(id) FROM acct");
    assert_eq!(r[0], vec![Value::Int(2002), Value::Int(2002)]);
    query(&mut s, &db, "COMMIT");
    assert_eq!(
        int(&db, "SELECT count(*) FROM acct WHERE owner = 'u1999'"),
        1
    );
    assert_eq!(int(&db, "SELECT count(*) FROM acct"), 2002);
}

#[test]
fn question_mark_parameters_number_like_sqlite() {
    let db = open();
    let r = db
        .sql(
            "SELECT ? AS a, ?1 AS b, ? AS c FROM acct WHERE id = ?",
            &[Value::Int(10), Value::Int(20), Value::Int(1)],
        )
        .unwrap();
    assert_eq!(
        r.rows,
        vec![vec![Value::Int(10), Value::Int(10), Value::Int(20)]],
        "`?` takes the largest number so far plus one, `?N` a given one"
    );
}

#[test]
fn statements_read_in_the_past_cannot_write() {
    let db = open();
    let at = ReadAt {
        as_of: Some(db.now()),
        ..Default::default()
    };
    let e = db
        .sql_at("UPDATE acct SET balance = 0 WHERE id = 1", &[], at)
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument);
    assert_eq!(int(&db, "SELECT balance FROM acct WHERE id = 1"), 100);
    // Reading in the past is fine.
    assert_eq!(
        db.sql_at("SELECT count(*) FROM acct", &[], at)
            .unwrap()
            .rows[0][0],
        Value::Int(2)
    );
}
