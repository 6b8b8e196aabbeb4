//! SQLite as the oracle: run the same statements on TensorDB and on SQLite
//! (rusqlite, bundled) and compare rows rendered alike.

use std::sync::Arc;
use tensordb::sql::Value;
use tensordb::{Database, MemBackend, Options};

/// A TensorDB value as the oracle renders it.
pub fn render(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Int(i) => i.to_string(),
        Value::Real(r) => format!("{r:?}"),
        Value::Text(t) => format!("'{t}'"),
        Value::Blob(b) => format!("{b:?}"),
    }
}

/// SQLite's rows for `q`, rendered like `render`.
pub fn sqlite_rows(conn: &rusqlite::Connection, q: &str) -> Vec<Vec<String>> {
    let mut st = conn.prepare(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    let n = st.column_count();
    st.query_map([], |row| {
        Ok((0..n)
            .map(|i| match row.get_ref(i).unwrap() {
                rusqlite::types::ValueRef::Null => "NULL".to_string(),
                rusqlite::types::ValueRef::Integer(i) => i.to_string(),
                rusqlite::types::ValueRef::Real(r) => format!("{r:?}"),
                rusqlite::types::ValueRef::Text(t) => format!("'{}'", String::from_utf8_lossy(t)),
                rusqlite::types::ValueRef::Blob(b) => format!("{b:?}"),
            })
            .collect())
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// A TensorDB database and an SQLite connection with `setup` run on both.
pub fn pair(setup: &[String]) -> (Database, rusqlite::Connection) {
    let db =
        Database::open_with_backend(Arc::new(MemBackend::new()), "/oracle", Options::default())
            .unwrap();
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    for s in setup {
        db.sql(s, &[]).unwrap_or_else(|e| panic!("{s}: {e:?}"));
        conn.execute_batch(s).unwrap();
    }
    (db, conn)
}

/// Asserts that every query of `queries` gives SQLite's rows, in order.
pub fn same_rows(db: &Database, conn: &rusqlite::Connection, queries: &[&str]) {
    for q in queries {
        let ours: Vec<Vec<String>> = db
            .sql(q, &[])
            .unwrap_or_else(|e| panic!("{q}: {e:?}"))
            .rows
            .iter()
            .map(|r| r.iter().map(render).collect())
            .collect();
        assert_eq!(ours, sqlite_rows(conn, q), "{q}");
    }
}
