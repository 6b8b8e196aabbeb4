//! IN lists and ORs of equalities on a primary key or an index's first
//! column are read as one lookup per value (issue #16: they scanned the whole
//! table) and return exactly the rows a scan returns: duplicates and NULLs
//! in the list, integers and reals that are equal, text, parameters.
use std::sync::Arc;
use tensordb::sql::{SqlResult, Value};
use tensordb::{Database, MemBackend, Options};

fn open() -> Database {
    let db = Database::open_with_backend(Arc::new(MemBackend::new()), "/in", Options::default())
        .unwrap();
    db.sql(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, s TEXT, r ANY); \
         CREATE INDEX t_k ON t (k); CREATE INDEX t_s ON t (s); CREATE INDEX t_r ON t (r, k)",
        &[],
    )
    .unwrap();
    let rows: Vec<String> = (0..300)
        .map(|i| {
            let r = match i % 4 {
                0 => format!("{}", i % 7),
                1 => format!("{}.0", i % 7),
                2 => format!("'{}'", i % 7),
                _ => "NULL".into(),
            };
            format!("({i}, {}, 's{}', {r})", i % 30, i % 11)
        })
        .collect();
    db.sql(&format!("INSERT INTO t VALUES {}", rows.join(",")), &[])
        .unwrap();
    db.sql(
        "INSERT INTO t VALUES (9007199254740993, 1, 'big', 1), (9007199254740992, 1, 'big2', 1)",
        &[],
    )
    .unwrap();
    db
}

fn plan(db: &Database, sql: &str) -> String {
    let r = db.sql(&format!("EXPLAIN {sql}"), &[]).unwrap();
    r.rows
        .iter()
        .map(|row| match &row[2] {
            Value::Text(t) => t.trim().to_string(),
            v => panic!("{v:?}"),
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

fn rows(r: SqlResult) -> Vec<Vec<Value>> {
    r.rows
}

#[test]
fn in_lists_use_lookups_and_return_what_a_scan_returns() {
    let db = open();
    // (predicate with a path, the same predicate hiding the column from
    // the planner, the expected path in EXPLAIN)
    let cases = [
        (
            "id IN (5, 1, 9, 5, NULL, 7.0)",
            "id + 0 IN (5, 1, 9, 5, NULL, 7.0)",
            "Primary key range",
        ),
        (
            "id = 3 OR id = 250 OR 17 = id",
            "id + 0 = 3 OR id + 0 = 250 OR 17 = id + 0",
            "Primary key range",
        ),
        ("k IN (2, 29, 2)", "k + 0 IN (2, 29, 2)", "Index range"),
        (
            "s IN ('s3', 's10', 'nope')",
            "s || '' IN ('s3', 's10', 'nope')",
            "Index range",
        ),
        ("r IN (1, 2.0, '3')", "(r) IN (1, 2.0, '3')", ""),
        (
            "id IN (9007199254740993)",
            "id + 0 IN (9007199254740993)",
            "Scan",
        ),
        (
            "id IN (1, 2) AND k = 1",
            "id + 0 IN (1, 2) AND k + 0 = 1",
            "",
        ),
    ];
    for (fast, slow, path) in cases {
        let q = |w: &str| format!("SELECT id, k, s, r FROM t WHERE {w} ORDER BY id");
        let got = rows(db.sql(&q(fast), &[]).unwrap());
        let want = rows(db.sql(&q(slow), &[]).unwrap());
        assert_eq!(got, want, "{fast}");
        let p = plan(&db, &format!("SELECT * FROM t WHERE {fast}"));
        assert!(p.contains(path), "{fast}: {p}");
    }
    // The same rows without ORDER BY, and none twice.
    let r = rows(
        db.sql("SELECT id FROM t WHERE id IN (3, 3, 3.0, 4)", &[])
            .unwrap(),
    );
    assert_eq!(r, vec![vec![Value::Int(3)], vec![Value::Int(4)]]);
    // Parameters.
    let r = db
        .sql(
            "SELECT count(*) FROM t WHERE k IN ($1, $2)",
            &[Value::Int(4), Value::Int(5)],
        )
        .unwrap();
    assert_eq!(r.rows[0][0], Value::Int(20));
    let p = db
        .sql(
            "EXPLAIN SELECT * FROM t WHERE k IN ($1, $2)",
            &[Value::Int(4), Value::Int(5)],
        )
        .unwrap();
    assert!(
        format!("{:?}", p.rows).contains("Index range"),
        "{:?}",
        p.rows
    );
    // An OR over two columns cannot use one lookup list: a scan.
    assert!(plan(&db, "SELECT * FROM t WHERE id = 3 OR k = 7").contains("Scan"));
    // NOT IN is not a lookup.
    assert!(plan(&db, "SELECT * FROM t WHERE id NOT IN (1, 2)").contains("Scan"));
}

/// Range paths compared integer bounds through a float, so past 2^53 they
/// lost rows (`id >= 9007199254740995` found nothing). Answers as SQLite
/// gives them.
#[test]
fn ranges_past_2_pow_53_keep_their_rows() {
    let db = Database::open_with_backend(Arc::new(MemBackend::new()), "/big", Options::default())
        .unwrap();
    db.sql(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER); CREATE INDEX t_k ON t (k); \
         INSERT INTO t VALUES (9007199254740993, 9007199254740993), \
         (9007199254740992, 9007199254740992), (9007199254740995, 9007199254740995), (1, 1)",
        &[],
    )
    .unwrap();
    let ids = |w: &str| -> Vec<i64> {
        db.sql(&format!("SELECT id FROM t WHERE {w} ORDER BY id"), &[])
            .unwrap()
            .rows
            .iter()
            .map(|r| match r[0] {
                Value::Int(i) => i,
                ref v => panic!("{v:?}"),
            })
            .collect()
    };
    assert_eq!(
        ids("id BETWEEN 9007199254740993 AND 9007199254740993"),
        vec![9007199254740993]
    );
    assert_eq!(
        ids("id <= 9007199254740993 AND id > 9007199254740992"),
        vec![9007199254740993]
    );
    assert_eq!(
        ids("k <= 9007199254740993 AND k >= 9007199254740993"),
        vec![9007199254740993]
    );
    assert_eq!(ids("id >= 9007199254740995"), vec![9007199254740995]);
    assert_eq!(ids("id < 9007199254740993"), vec![1, 9007199254740992]);
    assert_eq!(
        ids("k > 9007199254740992"),
        vec![9007199254740993, 9007199254740995]
    );
}
