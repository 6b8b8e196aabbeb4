//! A join on the right table's primary key reads that table by point
//! lookups when it is much bigger than the left side, and by a hash join
//! otherwise; both give the same rows (INNER and LEFT, NULL and missing
//! keys, extra ON conditions).
use std::sync::Arc;
use tensordb::sql::{SqlResult, Value};
use tensordb::{Database, MemBackend, Options};

fn ran(r: &SqlResult, op: &str) -> bool {
    r.rows
        .iter()
        .any(|row| matches!(&row[2], Value::Text(t) if t.trim().starts_with(op)))
}

#[test]
fn lookup_and_hash_joins_agree() {
    let db = Database::open_with_backend(Arc::new(MemBackend::new()), "/lj", Options::default())
        .unwrap();
    db.sql(
        "CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE small (id INTEGER PRIMARY KEY, ref INTEGER, w INTEGER)",
        &[],
    )
    .unwrap();
    let values: Vec<String> = (0..1000).map(|i| format!("({i}, 'v{i}')")).collect();
    db.sql(&format!("INSERT INTO big VALUES {}", values.join(",")), &[])
        .unwrap();
    // refs: present, missing (5000), NULL, and a text that converts ('7').
    db.sql(
        "INSERT INTO small VALUES (1, 10, 1), (2, 5000, 2), (3, NULL, 3), (4, 999, 4), (5, '7', 5), (6, 10, 6)",
        &[],
    )
    .unwrap();
    let queries = [
        "SELECT s.id, b.v FROM small s JOIN big b ON b.id = s.ref ORDER BY s.id",
        "SELECT s.id, b.v FROM small s LEFT JOIN big b ON b.id = s.ref ORDER BY s.id",
        "SELECT s.id, b.v FROM small s LEFT JOIN big b ON s.ref = b.id AND s.w > 2 ORDER BY s.id",
        "SELECT count(*), max(b.v) FROM small s JOIN big b ON b.id = s.ref + 1",
    ];
    for q in queries {
        let plan = db.sql(&format!("EXPLAIN ANALYZE {q}"), &[]).unwrap();
        assert!(ran(&plan, "Lookup join"), "{q}: {:?}", plan.rows);
        let by_lookup = db.sql(q, &[]).unwrap().rows;
        // The same join with the sides' sizes reversed in spirit: a comma
        // join with the condition in WHERE runs as a hash join.
        let hashed = db
            .sql(
                &q.replace("JOIN big b ON", "JOIN (SELECT * FROM big) b ON"),
                &[],
            )
            .unwrap()
            .rows;
        assert_eq!(by_lookup, hashed, "{q}");
    }
    let left = db
        .sql(
            "SELECT s.id, b.v FROM small s LEFT JOIN big b ON b.id = s.ref ORDER BY s.id",
            &[],
        )
        .unwrap()
        .rows;
    assert_eq!(left.len(), 6);
    assert_eq!(left[0], vec![Value::Int(1), Value::Text("v10".into())]);
    assert_eq!(left[1], vec![Value::Int(2), Value::Null]);
    assert_eq!(left[2], vec![Value::Int(3), Value::Null]);
    assert_eq!(left[4], vec![Value::Int(5), Value::Text("v7".into())]);

    // When the right table is not much bigger than the left side, it is
    // loaded and hashed instead.
    let plan = db
        .sql(
            "EXPLAIN ANALYZE SELECT count(*) FROM big a JOIN big b ON b.id = a.id",
            &[],
        )
        .unwrap();
    assert!(ran(&plan, "Hash join"), "{:?}", plan.rows);
    assert!(!ran(&plan, "Lookup join"));
}
