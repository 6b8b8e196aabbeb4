//! Streamed top-k (issue #16): `ORDER BY … LIMIT` over one table keeps only
//! the rows that can still be among the first ones. Compared with SQLite
//! (orders made total with a unique last term), and, for ties, with the
//! general path's stable sort (the same query over a derived table).
mod common;

const QUERIES: &[&str] = &[
    "SELECT id, score FROM t ORDER BY score DESC, id LIMIT 10",
    "SELECT id, score FROM t ORDER BY score, id LIMIT 7 OFFSET 1500",
    "SELECT * FROM t ORDER BY grp DESC, id DESC LIMIT 5",
    "SELECT id, name AS n FROM t WHERE grp = 3 ORDER BY n, id LIMIT 4",
    "SELECT id, score * 2 AS s2 FROM t ORDER BY 2 DESC, 1 LIMIT 6",
    "SELECT id, note FROM t ORDER BY note NULLS FIRST, id LIMIT 5",
    "SELECT id, note FROM t ORDER BY note DESC NULLS LAST, id DESC LIMIT 5",
    "SELECT id FROM t WHERE id > 2990 ORDER BY id DESC LIMIT 100",
    "SELECT id, grp FROM t ORDER BY grp % 4, score DESC, id LIMIT 12",
    "SELECT name FROM t WHERE score < 50 ORDER BY score, id LIMIT 3000",
    "SELECT id FROM t WHERE id < 0 ORDER BY score LIMIT 3",
];

#[test]
fn streamed_top_k_agrees_with_sqlite() {
    let mut setup: Vec<String> = vec![
        "CREATE TABLE t (id INTEGER PRIMARY KEY, grp INTEGER, score INTEGER, name TEXT, note TEXT)"
            .into(),
    ];
    let rows: Vec<String> = (1..=3000)
        .map(|i: i64| {
            let note = if i % 7 == 0 {
                "NULL".to_string()
            } else {
                format!("'n{}'", (i * 13) % 97)
            };
            format!(
                "({i}, {}, {}, 'name{}', {note})",
                i % 10,
                (i * 7919) % 1000,
                i % 50
            )
        })
        .collect();
    setup.push(format!("INSERT INTO t VALUES {}", rows.join(",")));
    let (db, conn) = common::oracle::pair(&setup);
    common::oracle::same_rows(&db, &conn, QUERIES);
    // Ties keep the table's order, as the general path's stable sort does.
    for (streamed, general) in [
        (
            "SELECT id FROM t ORDER BY grp LIMIT 40 OFFSET 1290",
            "SELECT id FROM (SELECT * FROM t) ORDER BY grp LIMIT 40 OFFSET 1290",
        ),
        (
            "SELECT id, score FROM t ORDER BY score DESC LIMIT 2100",
            "SELECT id, score FROM (SELECT * FROM t) ORDER BY score DESC LIMIT 2100",
        ),
    ] {
        let a = db.sql(streamed, &[]).unwrap().rows;
        let b = db.sql(general, &[]).unwrap().rows;
        assert_eq!(a, b, "{streamed}");
        assert!(!a.is_empty());
    }
}
