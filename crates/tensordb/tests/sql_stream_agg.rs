//! Streamed hash aggregation (issue #16): one-table aggregate queries feed
//! rows straight into per-group accumulators. Every shape that path takes —
//! no rows, no groups, bare columns, HAVING and ORDER BY on aggregates not
//! selected, ordinals and aliases, DISTINCT aggregates, group_concat
//! separators, NULL keys, expressions over aggregates, index and key-range
//! reads — is compared with SQLite's answer.
mod common;

const SETUP: &[&str] = &[
    "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, grp INTEGER, note TEXT, v REAL)",
    "CREATE TABLE u (id INTEGER PRIMARY KEY, name TEXT, w INTEGER)",
    "CREATE INDEX t_grp ON t (grp)",
    "CREATE VIEW tv AS SELECT id, name, note FROM t WHERE v > 1",
];

const QUERIES: &[&str] = &[
    "SELECT count(*), sum(v), min(name), max(note) FROM t",
    "SELECT count(*), sum(v), avg(v), max(note), group_concat(name) FROM t WHERE id > 100",
    "SELECT grp, count(*) FROM t WHERE id > 100 GROUP BY grp",
    "SELECT grp, count(*), sum(v) FROM t GROUP BY grp ORDER BY grp",
    "SELECT grp AS g, count(*) AS n FROM t GROUP BY g ORDER BY n DESC, g",
    "SELECT grp, name, count(*) FROM t GROUP BY 1, 2 ORDER BY 1, 2",
    "SELECT note IS NULL, count(*) FROM t GROUP BY note IS NULL ORDER BY 1",
    "SELECT grp, count(DISTINCT name), total(v) FROM t GROUP BY grp ORDER BY 1",
    "SELECT grp, group_concat(name, '|') FROM t GROUP BY grp ORDER BY grp",
    "SELECT grp FROM t GROUP BY grp HAVING max(v) > 3 ORDER BY min(id) DESC",
    "SELECT grp, sum(v) * 2 + count(*) AS x FROM t GROUP BY grp ORDER BY x, grp",
    "SELECT grp, count(*) FROM t GROUP BY grp ORDER BY count(*) DESC, grp LIMIT 2",
    "SELECT max(id), min(id) FROM t WHERE id BETWEEN 3 AND 8",
    "SELECT count(*) FROM t WHERE grp = 1 AND v > 1",
    "SELECT grp, max(v) FROM t WHERE note LIKE 'note%' GROUP BY grp HAVING count(*) > 1 ORDER BY 2, 1",
    "SELECT u.w % 3, count(*) FROM u GROUP BY u.w % 3 ORDER BY 1",
    "SELECT count(*) FROM u WHERE id IN (1, 3, 99)",
    "SELECT grp, count(*) FROM t WHERE id < 0 GROUP BY grp",
    "SELECT sum(v), count(note) FROM t WHERE id < 0",
    "SELECT coalesce(note, 'none'), count(*) FROM t GROUP BY 1 ORDER BY 1",
];

#[test]
fn streamed_aggregates_agree_with_sqlite() {
    let mut stmts: Vec<String> = SETUP.iter().map(|s| s.to_string()).collect();
    for i in 1..=12 {
        stmts.push(format!(
            "INSERT INTO t VALUES ({i}, 'n{}', {}, {}, {}.5)",
            i % 4,
            i % 3,
            if i % 4 == 0 {
                "NULL".to_string()
            } else {
                format!("'note{}'", (i * 7) % 10)
            },
            i % 5
        ));
        stmts.push(format!(
            "INSERT INTO u VALUES ({i}, 'n{}', {})",
            i % 5,
            13 - i
        ));
    }
    let (db, conn) = common::oracle::pair(&stmts);
    common::oracle::same_rows(&db, &conn, QUERIES);
}
