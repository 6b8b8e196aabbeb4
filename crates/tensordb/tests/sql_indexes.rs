//! Secondary indexes: created over existing rows, maintained by INSERT,
//! UPDATE and DELETE in the same atomic batch, UNIQUE enforced (NULLs
//! distinct), dropped with DROP INDEX or with their table.
use std::sync::Arc;
use tensordb::sql::Value;
use tensordb::{Database, ErrorCode, MemBackend, Options};

fn db() -> Database {
    Database::open_with_backend(Arc::new(MemBackend::new()), "/ix", Options::default()).unwrap()
}

#[test]
fn unique_index_is_enforced_and_maintained() {
    let db = db();
    db.sql(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, team INTEGER)",
        &[],
    )
    .unwrap();
    db.sql(
        "INSERT INTO users VALUES (1, 'a@x', 1), (2, 'b@x', 1), (3, NULL, 2), (4, NULL, 2)",
        &[],
    )
    .unwrap();
    db.sql("CREATE UNIQUE INDEX users_email ON users(email)", &[])
        .unwrap();
    db.sql("CREATE INDEX users_team ON users(team)", &[])
        .unwrap();
    let dup = db
        .sql("INSERT INTO users VALUES (5, 'a@x', 3)", &[])
        .unwrap_err();
    assert_eq!(dup.code, ErrorCode::Constraint, "{}", dup.message);
    assert!(dup.message.contains("users_email"));
    // NULLs are distinct; a failed statement wrote nothing.
    db.sql("INSERT INTO users VALUES (5, NULL, 3)", &[])
        .unwrap();
    let n = db.sql("SELECT count(*) FROM users", &[]).unwrap();
    assert_eq!(n.rows[0][0], Value::Int(5));
    // UPDATE onto a taken value fails; onto a free one moves the entry.
    let err = db
        .sql("UPDATE users SET email = 'b@x' WHERE id = 1", &[])
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Constraint);
    db.sql("UPDATE users SET email = 'c@x' WHERE id = 1", &[])
        .unwrap();
    db.sql("INSERT INTO users VALUES (6, 'a@x', 3)", &[])
        .unwrap();
    // DELETE frees the value.
    db.sql("DELETE FROM users WHERE id = 6", &[]).unwrap();
    db.sql("INSERT INTO users VALUES (7, 'a@x', 3)", &[])
        .unwrap();
    // Two rows with one value in one statement clash too.
    let err = db
        .sql("INSERT INTO users VALUES (8, 'z@x', 1), (9, 'z@x', 1)", &[])
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Constraint);
    // A unique index over existing duplicates cannot be created.
    let err = db
        .sql("CREATE UNIQUE INDEX users_team_u ON users(team)", &[])
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Constraint);
    // DROP INDEX lifts the constraint.
    db.sql("DROP INDEX users_email", &[]).unwrap();
    db.sql("INSERT INTO users VALUES (10, 'a@x', 1)", &[])
        .unwrap();
    assert_eq!(
        db.sql("DROP INDEX users_email", &[]).unwrap_err().code,
        ErrorCode::NoTable
    );
    db.sql("DROP INDEX IF EXISTS users_email", &[]).unwrap();
    // Dropping the table drops its indexes: a new table of that name starts clean.
    db.sql("DROP TABLE users", &[]).unwrap();
    db.sql(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, team INTEGER)",
        &[],
    )
    .unwrap();
    db.sql("CREATE INDEX users_team ON users(team)", &[])
        .unwrap();
    let r = db.sql("SELECT count(*) FROM users", &[]).unwrap();
    assert_eq!(r.rows[0][0], Value::Int(0));
    assert_eq!(
        db.sql("CREATE INDEX bad ON users(nope)", &[])
            .unwrap_err()
            .code,
        ErrorCode::NoColumn
    );
}
