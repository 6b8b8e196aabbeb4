//! Result column names of unaliased select items follow PostgreSQL: a
//! column's name, a function's (an aggregate's, a window function's), a
//! cast's operand's, `case`, `exists`; other expressions `?column?`. Rows
//! become JS objects keyed by these names, so `count(*), sum(v)` must not
//! both be called `?column?` (one would overwrite the other).
use std::sync::Arc;
use tensordb::{Database, MemBackend, Options};

#[test]
fn unaliased_items_are_named_like_postgres() {
    let db = Database::open_with_backend(Arc::new(MemBackend::new()), "/cn", Options::default())
        .unwrap();
    db.sql(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v REAL, s TEXT)",
        &[],
    )
    .unwrap();
    db.sql("INSERT INTO t VALUES (1, 1.5, 'a'), (2, 2.5, 'b')", &[])
        .unwrap();
    let cols = |sql: &str| db.sql(sql, &[]).unwrap().columns;
    assert_eq!(
        cols("SELECT count(*), sum(v), upper(s), id FROM t GROUP BY id, s"),
        ["count", "sum", "upper", "id"]
    );
    assert_eq!(
        cols(
            "SELECT CAST(v AS INTEGER), CAST(1 AS TEXT), CASE WHEN id = 1 THEN 1 END, v + 1 FROM t"
        ),
        ["v", "text", "case", "?column?"]
    );
    assert_eq!(
        cols("SELECT row_number() OVER (ORDER BY id), EXISTS (SELECT 1), id AS n FROM t"),
        ["row_number", "exists", "n"]
    );
    // The same names through the engine's other projection path (RETURNING).
    assert_eq!(
        db.sql(
            "INSERT INTO t VALUES (3, 3.5, 'c') RETURNING upper(s), id",
            &[]
        )
        .unwrap()
        .columns,
        ["upper", "id"]
    );
}
