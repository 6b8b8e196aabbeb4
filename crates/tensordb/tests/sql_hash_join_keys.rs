//! Hash joins compare their equality keys exactly as `=` does (issue #16
//! checks the keys on values already computed instead of re-evaluating the
//! condition per candidate): integers past 2^53 that share a float hash
//! stay apart, an integer equals the same real, text equals only the same
//! text, NULL equals nothing, and the other ON conditions still apply.
use std::sync::Arc;
use tensordb::sql::Value;
use tensordb::{Database, MemBackend, Options};

fn count(db: &Database, sql: &str) -> i64 {
    match db.sql(sql, &[]).unwrap().rows[0][0] {
        Value::Int(n) => n,
        ref v => panic!("{v:?}"),
    }
}

#[test]
fn hash_join_keys_follow_sql_equality() {
    let db = Database::open_with_backend(Arc::new(MemBackend::new()), "/hj", Options::default())
        .unwrap();
    db.sql(
        "CREATE TABLE l (id INTEGER PRIMARY KEY, k ANY, tag TEXT); \
         CREATE TABLE r (id INTEGER PRIMARY KEY, k ANY, w INTEGER)",
        &[],
    )
    .unwrap();
    db.sql(
        "INSERT INTO l VALUES (1, 9007199254740993, 'a'), (2, 3, 'b'), (3, 'k1', 'c'), (4, NULL, 'd'), (5, 7, 'e'); \
         INSERT INTO r VALUES (1, 9007199254740992, 1), (2, 3.0, 1), (3, 'k2', 1), (4, NULL, 1), (5, 'k1', 1), (6, 7, 0), (7, 9007199254740993, 1)",
        &[],
    )
    .unwrap();
    let pairs = |on: &str| -> Vec<(i64, i64)> {
        db.sql(
            &format!("SELECT l.id, r.id FROM l JOIN r ON {on} ORDER BY l.id, r.id"),
            &[],
        )
        .unwrap()
        .rows
        .iter()
        .map(|row| match (&row[0], &row[1]) {
            (Value::Int(a), Value::Int(b)) => (*a, *b),
            other => panic!("{other:?}"),
        })
        .collect()
    };
    // 2^53 + 1 meets only itself (not 2^53, whose float is the same); 3
    // meets 3.0; 'k1' meets 'k1'; NULL meets nothing; 7 meets 7.
    assert_eq!(pairs("l.k = r.k"), vec![(1, 7), (2, 2), (3, 5), (5, 6)]);
    assert_eq!(pairs("r.k = l.k"), vec![(1, 7), (2, 2), (3, 5), (5, 6)]);
    // Other conditions still filter.
    assert_eq!(pairs("l.k = r.k AND r.w = 1"), vec![(1, 7), (2, 2), (3, 5)]);
    // LEFT JOIN keeps the unmatched left rows.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM l LEFT JOIN r ON l.k = r.k AND r.w = 1"
        ),
        5
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM l LEFT JOIN r ON l.k = r.k WHERE r.id IS NULL"
        ),
        1
    );
}
