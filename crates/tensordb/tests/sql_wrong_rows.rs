//! Regressions for silently wrong rows found by the outside trial (issue
//! #15): `?` numbering, GROUP BY / ORDER BY ordinals and aliases, INSERT OR
//! REPLACE, NULL IN an empty subquery, a two-column IN subquery.
use std::sync::Arc;
use tensordb::sql::Value;
use tensordb::{Database, MemBackend, Options};

fn db() -> Database {
    let db = Database::open_with_backend(Arc::new(MemBackend::new()), "/wr", Options::default())
        .unwrap();
    db.sql(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, g TEXT, v INTEGER)",
        &[],
    )
    .unwrap();
    db.sql(
        "INSERT INTO t VALUES (1, 'a', 10), (2, 'b', 20), (3, 'a', 30), (4, 'b', 40), (5, 'c', 50)",
        &[],
    )
    .unwrap();
    db
}

fn ints(db: &Database, sql: &str, params: &[Value]) -> Vec<Vec<Value>> {
    db.sql(sql, params).unwrap().rows
}

fn i(n: i64) -> Value {
    Value::Int(n)
}

#[test]
fn plain_question_marks_number_in_text_order() {
    let db = db();
    // LIMIT / OFFSET used to take the first numbers.
    assert_eq!(
        ints(
            &db,
            "SELECT id FROM t WHERE id >= ? ORDER BY id LIMIT ?",
            &[i(2), i(3)]
        ),
        vec![vec![i(2)], vec![i(3)], vec![i(4)]]
    );
    assert_eq!(
        ints(
            &db,
            "SELECT id FROM t WHERE id > ? ORDER BY id LIMIT ? OFFSET ?",
            &[i(1), i(2), i(1)]
        ),
        vec![vec![i(3)], vec![i(4)]]
    );
    // Every clause, in text order: select list, FROM subquery, WHERE,
    // GROUP BY, HAVING, ORDER BY, LIMIT.
    assert_eq!(
        ints(
            &db,
            "SELECT g, sum(v) + ? FROM (SELECT * FROM t WHERE v > ?) WHERE id < ? \
             GROUP BY g HAVING count(*) >= ? ORDER BY g LIMIT ?",
            &[i(1000), i(10), i(5), i(1), i(1)]
        ),
        vec![vec![Value::Text("a".into()), i(1030)]]
    );
    // Numbered and plain mixed: `?` continues after the largest number.
    assert_eq!(
        ints(
            &db,
            "SELECT id FROM t WHERE id = ?2 OR id = ? LIMIT ?1",
            &[i(9), i(1), i(4)]
        ),
        vec![vec![i(1)], vec![i(4)]]
    );
    // Per statement in a multi-statement text.
    assert_eq!(
        ints(
            &db,
            "SELECT ?; SELECT id FROM t WHERE id = ? LIMIT ?",
            &[i(5), i(9)]
        ),
        vec![vec![i(5)]]
    );
    // UPDATE: SET before WHERE.
    db.sql("UPDATE t SET v = ? WHERE id = ?", &[i(11), i(1)])
        .unwrap();
    assert_eq!(
        ints(&db, "SELECT v FROM t WHERE id = 1", &[]),
        vec![vec![i(11)]]
    );
}

#[test]
fn group_by_and_order_by_ordinals_and_aliases() {
    let db = db();
    let want = vec![
        vec![Value::Text("a".into()), i(40)],
        vec![Value::Text("b".into()), i(60)],
        vec![Value::Text("c".into()), i(50)],
    ];
    assert_eq!(
        ints(&db, "SELECT g, sum(v) FROM t GROUP BY 1 ORDER BY 1", &[]),
        want
    );
    assert_eq!(
        ints(
            &db,
            "SELECT g AS k, sum(v) FROM t GROUP BY k ORDER BY k",
            &[]
        ),
        want
    );
    assert_eq!(
        ints(
            &db,
            "SELECT upper(g) AS k, sum(v) AS s FROM t GROUP BY k ORDER BY s DESC",
            &[]
        ),
        vec![
            vec![Value::Text("B".into()), i(60)],
            vec![Value::Text("C".into()), i(50)],
            vec![Value::Text("A".into()), i(40)],
        ]
    );
    // A real column wins over a select alias of the same name (as in SQLite).
    assert_eq!(
        ints(
            &db,
            "SELECT g AS v, count(*) FROM t GROUP BY v ORDER BY 1",
            &[]
        )
        .len(),
        5
    );
    let e = db.sql("SELECT g FROM t GROUP BY 3", &[]).unwrap_err();
    assert_eq!(e.code.as_str(), "TDB_SYNTAX", "{e:?}");
    let e = db
        .sql("SELECT count(*) AS n FROM t GROUP BY n", &[])
        .unwrap_err();
    assert_eq!(e.code.as_str(), "TDB_SYNTAX", "{e:?}");
}

#[test]
fn insert_or_replace_replaces() {
    let db = db();
    db.sql("INSERT OR REPLACE INTO t VALUES (1, 'z', 99)", &[])
        .unwrap();
    db.sql("REPLACE INTO t VALUES (2, 'y', 98), (6, 'x', 97)", &[])
        .unwrap();
    assert_eq!(
        ints(
            &db,
            "SELECT id, g, v FROM t WHERE id IN (1, 2, 6) ORDER BY id",
            &[]
        ),
        vec![
            vec![i(1), Value::Text("z".into()), i(99)],
            vec![i(2), Value::Text("y".into()), i(98)],
            vec![i(6), Value::Text("x".into()), i(97)],
        ]
    );
    // A UNIQUE index conflict replaces the row that held the value.
    db.sql(
        "CREATE TABLE u (id INTEGER PRIMARY KEY, e TEXT UNIQUE)",
        &[],
    )
    .unwrap();
    db.sql("INSERT INTO u VALUES (1, 'a'), (2, 'b')", &[])
        .unwrap();
    db.sql("INSERT OR REPLACE INTO u VALUES (3, 'a')", &[])
        .unwrap();
    assert_eq!(
        ints(&db, "SELECT id, e FROM u ORDER BY id", &[]),
        vec![
            vec![i(2), Value::Text("b".into())],
            vec![i(3), Value::Text("a".into())]
        ]
    );
    // Within one statement the later row replaces the earlier one.
    db.sql("REPLACE INTO u VALUES (7, 'q'), (7, 'r'), (8, 'r')", &[])
        .unwrap();
    assert_eq!(
        ints(&db, "SELECT id, e FROM u WHERE id > 3 ORDER BY id", &[]),
        vec![vec![i(8), Value::Text("r".into())]]
    );
    assert_eq!(
        ints(&db, "SELECT id FROM u WHERE e = 'r'", &[]),
        vec![vec![i(8)]]
    );
    db.sql("DELETE FROM u WHERE id = 8", &[]).unwrap();
    db.sql("INSERT OR IGNORE INTO u VALUES (4, 'a')", &[])
        .unwrap();
    assert_eq!(ints(&db, "SELECT count(*) FROM u", &[]), vec![vec![i(2)]]);
}

#[test]
fn null_in_empty_subquery_and_row_subqueries() {
    let db = db();
    assert_eq!(
        ints(
            &db,
            "SELECT NULL IN (SELECT v FROM t WHERE 0), NULL NOT IN (SELECT v FROM t WHERE 0), \
             NULL IN (SELECT v FROM t)",
            &[]
        ),
        vec![vec![i(0), i(1), Value::Null]]
    );
    let e = db
        .sql("SELECT id FROM t WHERE id IN (SELECT id, v FROM t)", &[])
        .unwrap_err();
    assert_eq!(e.code.as_str(), "TDB_SYNTAX", "{e:?}");
}

#[test]
fn clauses_that_are_not_run_are_refused() {
    let db = db();
    for sql in [
        "DELETE FROM t WHERE v > 0 LIMIT 1",
        "DELETE FROM t ORDER BY id LIMIT 1",
        "UPDATE t SET v = 0 LIMIT 1",
        "UPDATE OR REPLACE t SET id = 1 WHERE id = 2",
        "INSERT OR FAIL INTO t VALUES (1, 'a', 1)",
        "INSERT OR ROLLBACK INTO t VALUES (1, 'a', 1)",
        "SELECT id FROM t FETCH FIRST 2 ROWS ONLY",
        "SELECT id FROM t FOR UPDATE",
    ] {
        match db.sql(sql, &[]) {
            Err(e) => assert!(
                matches!(e.code.as_str(), "TDB_NOT_SUPPORTED" | "TDB_SYNTAX"),
                "{sql}: {e:?}"
            ),
            Ok(r) => panic!("{sql} ran: {:?}", r.rows),
        }
    }
    // Nothing was deleted or changed by the refused statements.
    assert_eq!(
        ints(&db, "SELECT count(*), sum(v) FROM t", &[]),
        vec![vec![i(5), i(150)]]
    );
}

/// Integers and reals compare exactly, as in SQLite (found by the
/// differential test once it stored integers past 2^53: through a float,
/// 2^53 + 1 equalled 2^53.0 and rows were kept that SQLite drops).
#[test]
fn integers_and_reals_compare_exactly() {
    let db = db();
    let r = db
        .sql(
            "SELECT 9007199254740993 = 9007199254740992.0, \
             -9007199254740993 >= CAST(-9007199254740993 AS REAL), \
             9007199254740993 > 9007199254740992.0, 3 = 3.0, 2 < 2.5, \
             9223372036854775807 < 9.3e18, -9223372036854775808 > -9.3e18",
            &[],
        )
        .unwrap();
    assert_eq!(
        r.rows[0],
        vec![i(0), i(0), i(1), i(1), i(1), i(1), i(1)],
        "SQLite: 0, 0, 1, 1, 1, 1, 1"
    );
}
