//! Projection pushdown (issue #16): a query statement decodes only the
//! columns it names somewhere. Every way a query can reach a column — outer
//! references from subqueries, self-joins sharing one load, views, USING
//! and NATURAL joins, ORDER BY on unselected columns, windows, CTEs — still
//! sees the real values: each query is compared with SQLite's answer.
use std::sync::Arc;
use tensordb::sql::Value;
use tensordb::{Database, MemBackend, Options};

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

fn to_sqlite(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Int(i) => i.to_string(),
        Value::Real(r) => format!("{r:?}"),
        Value::Text(t) => format!("'{t}'"),
        Value::Blob(b) => format!("{b:?}"),
    }
}

#[test]
fn queries_see_every_column_they_reach() {
    let db = Database::open_with_backend(Arc::new(MemBackend::new()), "/proj", Options::default())
        .unwrap();
    let conn = rusqlite::Connection::open_in_memory().unwrap();
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
    for s in &stmts {
        db.sql(s, &[]).unwrap();
        conn.execute(s, []).unwrap();
    }
    for q in QUERIES {
        let ours: Vec<Vec<String>> = db
            .sql(q, &[])
            .unwrap_or_else(|e| panic!("{q}: {e:?}"))
            .rows
            .iter()
            .map(|r| r.iter().map(to_sqlite).collect())
            .collect();
        let mut st = conn.prepare(q).unwrap();
        let n = st.column_count();
        let theirs: Vec<Vec<String>> = st
            .query_map([], |row| {
                Ok((0..n)
                    .map(|i| match row.get_ref(i).unwrap() {
                        rusqlite::types::ValueRef::Null => "NULL".to_string(),
                        rusqlite::types::ValueRef::Integer(i) => i.to_string(),
                        rusqlite::types::ValueRef::Real(r) => format!("{r:?}"),
                        rusqlite::types::ValueRef::Text(t) => {
                            format!("'{}'", String::from_utf8_lossy(t))
                        }
                        rusqlite::types::ValueRef::Blob(b) => format!("{b:?}"),
                    })
                    .collect())
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(ours, theirs, "{q}");
    }
}
