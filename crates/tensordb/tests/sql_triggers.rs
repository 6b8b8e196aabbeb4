//! Triggers (issue #16): CREATE TRIGGER BEFORE / AFTER on INSERT, UPDATE
//! [OF cols] and DELETE, FOR EACH ROW, WHEN, NEW / OLD, RAISE, DROP
//! TRIGGER. Each scenario runs the same statements on TensorDB and on
//! SQLite and compares every table afterwards (and which statements fail).
mod common;
use std::sync::Arc;
use tensordb::sql::Value;
use tensordb::{Database, ErrorCode, MemBackend, Options};

/// Runs `steps` on both; `tables` are compared after every step.
fn same_as_sqlite(steps: &[&str], tables: &[&str]) {
    let mut n = 0;
    let seen = &mut n;
    let db = Database::open_with_backend(Arc::new(MemBackend::new()), "/trg", Options::default())
        .unwrap();
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    for s in steps {
        let ours = db.sql(s, &[]);
        let sqlite = conn.execute_batch(s);
        assert_eq!(
            ours.is_ok(),
            sqlite.is_ok(),
            "{s}\n  tensordb: {ours:?}\n  sqlite: {sqlite:?}"
        );
        for t in tables {
            let q = format!("SELECT * FROM {t} ORDER BY 1, 2");
            let exists = conn.prepare(&q).is_ok();
            let r = db.sql(&q, &[]);
            assert_eq!(r.is_ok(), exists, "after: {s}\n  table {t}: {r:?}");
            let Ok(r) = r else { continue };
            let mine: Vec<Vec<String>> = r
                .rows
                .iter()
                .map(|r| r.iter().map(common::oracle::render).collect())
                .collect();
            assert_eq!(
                mine,
                common::oracle::sqlite_rows(&conn, &q),
                "after: {s}\n  table {t}"
            );
            *seen += mine.len();
        }
    }
    assert!(n > steps.len(), "the scenario compared only {n} rows");
}

#[test]
fn after_insert_update_delete_keep_an_audit_log() {
    same_as_sqlite(
        &[
            "CREATE TABLE acct (id INTEGER PRIMARY KEY, owner TEXT, balance INTEGER)",
            "CREATE TABLE log (n INTEGER PRIMARY KEY, what TEXT, id INTEGER, old INTEGER, new INTEGER)",
            "CREATE TRIGGER acct_ins AFTER INSERT ON acct BEGIN \
               INSERT INTO log (what, id, new) VALUES ('insert', NEW.id, NEW.balance); END",
            "CREATE TRIGGER acct_upd AFTER UPDATE OF balance ON acct FOR EACH ROW \
               WHEN NEW.balance <> OLD.balance BEGIN \
               INSERT INTO log (what, id, old, new) VALUES ('update', OLD.id, OLD.balance, NEW.balance); END",
            "CREATE TRIGGER acct_del AFTER DELETE ON acct BEGIN \
               INSERT INTO log (what, id, old) VALUES ('delete', OLD.id, OLD.balance); END",
            "INSERT INTO acct VALUES (1, 'ann', 100), (2, 'bob', 50), (3, 'cy', 0)",
            "UPDATE acct SET balance = balance + 10 WHERE id <= 2",
            "UPDATE acct SET owner = 'cyd' WHERE id = 3",
            "UPDATE acct SET balance = balance WHERE id = 1",
            "DELETE FROM acct WHERE balance < 100",
            "DROP TRIGGER acct_upd",
            "UPDATE acct SET balance = 0",
            "INSERT INTO acct VALUES (4, 'dee', 7)",
        ],
        &["acct", "log"],
    );
}

#[test]
fn before_triggers_validate_with_raise_and_the_statement_is_atomic() {
    same_as_sqlite(
        &[
            "CREATE TABLE item (id INTEGER PRIMARY KEY, qty INTEGER)",
            "CREATE TABLE seen (id INTEGER, qty INTEGER)",
            "CREATE TRIGGER item_check BEFORE INSERT ON item WHEN NEW.qty < 0 BEGIN \
               SELECT RAISE(ABORT, 'qty must not be negative'); END",
            "CREATE TRIGGER item_seen BEFORE INSERT ON item BEGIN \
               INSERT INTO seen VALUES (NEW.id, NEW.qty); END",
            "INSERT INTO item VALUES (1, 5)",
            // The second row fails: nothing of the statement stays.
            "INSERT INTO item VALUES (2, 3), (3, -1)",
            "INSERT INTO item VALUES (4, 0)",
            "CREATE TRIGGER item_upd BEFORE UPDATE ON item BEGIN \
               SELECT RAISE(FAIL, 'frozen') WHERE OLD.qty = 0; END",
            "UPDATE item SET qty = 9 WHERE id = 4",
            "UPDATE item SET qty = 9 WHERE id = 1",
        ],
        &["item", "seen"],
    );
}

#[test]
fn triggers_cascade_chain_and_see_earlier_rows() {
    same_as_sqlite(
        &[
            "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT)",
            "CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER, name TEXT)",
            "CREATE TABLE counts (tbl TEXT PRIMARY KEY, n INTEGER)",
            "INSERT INTO counts VALUES ('child', 0)",
            "CREATE TRIGGER parent_del AFTER DELETE ON parent BEGIN \
               DELETE FROM child WHERE parent = OLD.id; END",
            "CREATE TRIGGER child_ins AFTER INSERT ON child BEGIN \
               UPDATE counts SET n = (SELECT count(*) FROM child) WHERE tbl = 'child'; END",
            "CREATE TRIGGER child_del AFTER DELETE ON child BEGIN \
               UPDATE counts SET n = n - 1 WHERE tbl = 'child'; END",
            "INSERT INTO parent VALUES (1, 'a'), (2, 'b')",
            "INSERT INTO child VALUES (10, 1, 'x'), (11, 1, 'y'), (12, 2, 'z')",
            "DELETE FROM parent WHERE id = 1",
            // A trigger does not fire itself (SQLite's default).
            "CREATE TRIGGER parent_self AFTER INSERT ON parent BEGIN \
               INSERT INTO parent VALUES (NEW.id + 100, NEW.name || '+'); END",
            "INSERT INTO parent VALUES (3, 'c')",
        ],
        &["parent", "child", "counts"],
    );
}

#[test]
fn trigger_ddl_errors_and_transactions() {
    let db = Database::open_with_backend(Arc::new(MemBackend::new()), "/trg2", Options::default())
        .unwrap();
    db.sql("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)", &[])
        .unwrap();
    db.sql("CREATE TABLE n (v INTEGER)", &[]).unwrap();
    let code = |sql: &str| db.sql(sql, &[]).unwrap_err().code;
    assert_eq!(
        code("CREATE TRIGGER a AFTER INSERT ON missing BEGIN INSERT INTO n VALUES (1); END"),
        ErrorCode::NoTable
    );
    assert_eq!(
        code("CREATE TRIGGER a AFTER DELETE ON t BEGIN INSERT INTO n VALUES (NEW.v); END"),
        ErrorCode::NoColumn
    );
    assert_eq!(
        code("CREATE TRIGGER a AFTER INSERT ON t BEGIN INSERT INTO n VALUES (NEW.nope); END"),
        ErrorCode::NoColumn
    );
    // INSTEAD OF belongs to views, BEFORE / AFTER to tables.
    assert_eq!(
        code("CREATE TRIGGER a INSTEAD OF INSERT ON t BEGIN INSERT INTO n VALUES (1); END"),
        ErrorCode::Constraint
    );
    db.sql("CREATE VIEW tv AS SELECT id FROM t", &[]).unwrap();
    assert_eq!(
        code("CREATE TRIGGER a AFTER INSERT ON tv BEGIN INSERT INTO n VALUES (1); END"),
        ErrorCode::Constraint
    );
    assert_eq!(code("INSERT INTO tv VALUES (1)"), ErrorCode::NotSupported);
    db.sql(
        "CREATE TRIGGER tv_ins INSTEAD OF INSERT ON tv BEGIN INSERT INTO n VALUES (NEW.id); END",
        &[],
    )
    .unwrap();
    assert_eq!(
        code("INSERT INTO tv VALUES (1) RETURNING id"),
        ErrorCode::NotSupported
    );
    assert_eq!(
        db.sql("INSERT INTO tv VALUES (5), (6)", &[])
            .unwrap()
            .changes,
        2
    );
    db.sql("DROP VIEW tv", &[]).unwrap();
    db.sql("DELETE FROM n", &[]).unwrap();
    assert_eq!(
        code("CREATE TRIGGER a AFTER INSERT ON t BEGIN CREATE TABLE x (a INTEGER); END"),
        ErrorCode::NotSupported
    );
    db.sql(
        "CREATE TRIGGER a AFTER INSERT ON t BEGIN INSERT INTO n VALUES (NEW.v); END",
        &[],
    )
    .unwrap();
    assert_eq!(
        code("CREATE TRIGGER a AFTER UPDATE ON t BEGIN INSERT INTO n VALUES (1); END"),
        ErrorCode::Constraint
    );
    assert_eq!(code("DROP TRIGGER nope"), ErrorCode::NoTable);
    db.sql("DROP TRIGGER IF EXISTS nope", &[]).unwrap();
    assert_eq!(code("ALTER TABLE t RENAME TO t2"), ErrorCode::NotSupported);
    // A rolled-back transaction keeps none of its triggers' writes.
    let mut s = tensordb::sql::Session::new();
    let at = tensordb::ReadAt::default();
    s.run(&db, "BEGIN", &[], at).unwrap();
    s.run(&db, "INSERT INTO t VALUES (1, 11)", &[], at).unwrap();
    assert_eq!(
        s.run(&db, "SELECT v FROM n", &[], at).unwrap().rows.len(),
        1
    );
    s.run(&db, "ROLLBACK", &[], at).unwrap();
    assert!(db.sql("SELECT v FROM n", &[]).unwrap().rows.is_empty());
    // Committed: the trigger's row is part of the same commit.
    let r = db.sql("INSERT INTO t VALUES (2, 22)", &[]).unwrap();
    let n = db.sql("SELECT v FROM n", &[]).unwrap();
    assert_eq!(n.rows, vec![vec![Value::Int(22)]]);
    let before = db
        .sql_at(
            "SELECT count(*) FROM n",
            &[],
            tensordb::ReadAt {
                as_of: Some(r.system_time.unwrap() - 1),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(before.rows[0][0], Value::Int(0));
    // Dropping the table drops its triggers.
    db.sql("DROP TABLE t", &[]).unwrap();
    db.sql("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)", &[])
        .unwrap();
    db.sql("INSERT INTO t VALUES (3, 33)", &[]).unwrap();
    assert_eq!(
        db.sql("SELECT count(*) FROM n", &[]).unwrap().rows[0][0],
        Value::Int(1)
    );
    db.sql(
        "CREATE TRIGGER a AFTER INSERT ON t BEGIN INSERT INTO n VALUES (NEW.v); END",
        &[],
    )
    .unwrap();
}

#[test]
fn instead_of_triggers_make_a_view_writable() {
    same_as_sqlite(
        &[
            "CREATE TABLE people (id INTEGER PRIMARY KEY, first TEXT, last TEXT)",
            "CREATE TABLE gone (id INTEGER, who TEXT)",
            "CREATE VIEW names AS SELECT id, first || ' ' || last AS full FROM people",
            "CREATE VIEW ro AS SELECT 1 AS x",
            "INSERT INTO ro VALUES (2)",
            "INSERT INTO names VALUES (9, 'no trigger yet')",
            "CREATE TRIGGER names_ins INSTEAD OF INSERT ON names BEGIN \
               INSERT INTO people VALUES (NEW.id, substr(NEW.full, 1, instr(NEW.full, ' ') - 1), \
               substr(NEW.full, instr(NEW.full, ' ') + 1)); END",
            "CREATE TRIGGER names_upd INSTEAD OF UPDATE OF full ON names BEGIN \
               UPDATE people SET first = substr(NEW.full, 1, instr(NEW.full, ' ') - 1), \
               last = substr(NEW.full, instr(NEW.full, ' ') + 1) WHERE id = OLD.id; END",
            "CREATE TRIGGER names_del INSTEAD OF DELETE ON names WHEN OLD.id > 0 BEGIN \
               INSERT INTO gone VALUES (OLD.id, OLD.full); DELETE FROM people WHERE id = OLD.id; END",
            "INSERT INTO names VALUES (1, 'ada lovelace'), (2, 'alan turing'), (3, 'edsger dijkstra')",
            "INSERT INTO names (full, id) VALUES ('grace hopper', 4)",
            "UPDATE names SET full = 'alan kay' WHERE id = 2",
            "UPDATE names SET id = id + 10 WHERE id = 3",
            "DELETE FROM names WHERE full LIKE 'ada%' OR id = 4",
            "DROP VIEW names",
            "INSERT INTO names VALUES (5, 'x y')",
        ],
        &["people", "gone"],
    );
}
