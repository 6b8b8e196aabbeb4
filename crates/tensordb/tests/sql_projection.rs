//! Projection pushdown (issue #16): a query statement decodes only the
//! columns it names somewhere. Every way a query can reach a column — outer
//! references from subqueries, self-joins sharing one load, views, USING
//! and NATURAL joins, ORDER BY on unselected columns, windows, CTEs — still
//! sees the real values: each query is compared with SQLite's answer.
mod common;

const SETUP: &[&str] = &[
    "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, grp INTEGER, note TEXT, v REAL)",
    "CREATE TABLE u (id INTEGER PRIMARY KEY, name TEXT, w INTEGER)",
    "CREATE INDEX t_grp ON t (grp)",
    "CREATE VIEW tv AS SELECT id, name, note FROM t WHERE v > 1",
];

const QUERIES: &[&str] = &[
    "SELECT id FROM t WHERE EXISTS (SELECT 1 FROM t t2 WHERE t2.name = t.name AND t2.id <> t.id) ORDER BY id",
    "SELECT a.id, b.note FROM t a JOIN t b ON a.grp = b.grp AND a.id < b.id ORDER BY 1, 2",
    "SELECT id, (SELECT max(note) FROM t t2 WHERE t2.grp = t.grp) FROM t ORDER BY id",
    "SELECT name FROM tv ORDER BY name",
    "SELECT * FROM tv ORDER BY id",
    "SELECT id, w FROM t JOIN u USING (id) ORDER BY id",
    "SELECT * FROM t NATURAL JOIN u ORDER BY id",
    "SELECT id FROM t ORDER BY note DESC, id",
    "SELECT id, sum(v) OVER (PARTITION BY grp ORDER BY id) FROM t ORDER BY id",
    "WITH c AS (SELECT grp, note FROM t WHERE id > 2) SELECT note FROM c WHERE grp = 1 ORDER BY note",
    "SELECT grp, group_concat(note, ',') FROM (SELECT grp, note FROM t ORDER BY id) GROUP BY grp ORDER BY grp",
    "SELECT t.id, u.name FROM t, u WHERE t.id = u.w ORDER BY 1",
    "SELECT count(*), count(note), max(name) FROM t",
    "SELECT id FROM t WHERE id IN (SELECT w FROM u WHERE name = t.name) ORDER BY id",
    "SELECT note FROM t WHERE grp = 2 ORDER BY note",
    "SELECT id FROM t WHERE id = 3",
];

#[test]
fn queries_see_every_column_they_reach() {
    let mut stmts: Vec<String> = SETUP.iter().map(|s| s.to_string()).collect();
    for i in 1..=12 {
        stmts.push(format!(
            "INSERT INTO t VALUES ({i}, 'n{}', {}, 'note{}', {}.5)",
            i % 4,
            i % 3,
            (i * 7) % 10,
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
