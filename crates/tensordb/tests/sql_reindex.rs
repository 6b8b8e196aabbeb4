//! REINDEX (issue #16): rebuilds secondary indexes from their tables' rows,
//! repairing what CHECK DATABASE reports — a missing entry, an entry no row
//! accounts for — for every index, one table's, or one index; a UNIQUE index
//! whose rows hold a duplicate is refused with TDB_CONSTRAINT.
use std::sync::Arc;
use tensordb::sql::Value;
use tensordb::{Database, MemBackend, Options, ScanRange};

fn open() -> Database {
    let db = Database::open_with_backend(Arc::new(MemBackend::new()), "/ri", Options::default())
        .unwrap();
    db.sql(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, email TEXT); \
         CREATE INDEX t_k ON t (k); CREATE UNIQUE INDEX t_email ON t (email); \
         CREATE TABLE u (id INTEGER PRIMARY KEY, x INTEGER); CREATE INDEX u_x ON u (x)",
        &[],
    )
    .unwrap();
    let rows: Vec<String> = (0..200)
        .map(|i| format!("({i}, {}, 'user{i}@example.com')", i % 10))
        .collect();
    db.sql(&format!("INSERT INTO t VALUES {}", rows.join(",")), &[])
        .unwrap();
    db.sql("INSERT INTO u VALUES (1, 1), (2, 2)", &[]).unwrap();
    db
}

/// Every index entry key (all indexes).
fn entries(db: &Database) -> Vec<Vec<u8>> {
    let rows = db
        .scan_rows(
            &ScanRange {
                prefix: Some(vec![0xFF, 0xFE, b'i']),
                ..Default::default()
            },
            &Default::default(),
        )
        .unwrap();
    rows.iter().map(|(k, _)| k.to_vec()).collect()
}

fn check(db: &Database) -> Vec<String> {
    db.check(&mut |_, _| {}).unwrap().problems
}

fn count(db: &Database, sql: &str) -> i64 {
    match db.sql(sql, &[]).unwrap().rows[0][0] {
        Value::Int(n) => n,
        ref v => panic!("{v:?}"),
    }
}

#[test]
fn reindex_repairs_what_check_reports() {
    let db = open();
    let before = entries(&db);
    assert_eq!(before.len(), 200 + 200 + 2);
    assert!(check(&db).is_empty());
    // Behind SQL's back: drop one entry of each t index, add a stray one.
    let t_entries: Vec<&Vec<u8>> = before.iter().take(400).collect();
    db.delete(t_entries[3]).unwrap();
    db.delete(t_entries[250]).unwrap();
    let mut stray = t_entries[5].clone();
    stray.extend_from_slice(&[0x80, 0x7f]);
    db.put(&stray, b"").unwrap();
    assert_eq!(check(&db).len(), 2, "{:?}", check(&db));
    // An index lookup misses the row whose entry is gone.
    let r = db.sql("REINDEX t", &[]).unwrap();
    assert_eq!(r.changes, 3, "two entries added, one deleted");
    assert!(check(&db).is_empty(), "{:?}", check(&db));
    assert_eq!(entries(&db), before);
    assert_eq!(count(&db, "SELECT count(*) FROM t WHERE k = 3"), 20);
    // Nothing to do: no changes.
    assert_eq!(db.sql("REINDEX", &[]).unwrap().changes, 0);
    assert_eq!(db.sql("REINDEX t_k", &[]).unwrap().changes, 0);
    // One index only: u's stays as it is.
    let u_entry = before.last().unwrap().clone();
    db.delete(&u_entry).unwrap();
    assert_eq!(db.sql("REINDEX t_k", &[]).unwrap().changes, 0);
    assert_eq!(check(&db).len(), 1);
    assert_eq!(db.sql("REINDEX u_x", &[]).unwrap().changes, 1);
    assert!(check(&db).is_empty());
    // Unknown names.
    let e = db.sql("REINDEX nope", &[]).unwrap_err();
    assert_eq!(e.code.as_str(), "TDB_NO_TABLE", "{e:?}");
    assert_eq!(
        db.sql("REINDEX t extra", &[]).unwrap_err().code.as_str(),
        "TDB_SYNTAX"
    );
}

#[test]
fn reindex_refuses_a_unique_index_over_duplicate_rows() {
    let db = open();
    // Remove user7's UNIQUE entry so a duplicate email slips in unchecked.
    let email_entry = entries(&db)
        .into_iter()
        .find(|k| k.windows(6).any(|w| w == b"user7@"))
        .unwrap();
    db.delete(&email_entry).unwrap();
    db.sql("INSERT INTO t VALUES (1000, 1, 'user7@example.com')", &[])
        .unwrap();
    let e = db.sql("REINDEX t_email", &[]).unwrap_err();
    assert_eq!(e.code.as_str(), "TDB_CONSTRAINT", "{e:?}");
    assert!(e.message.contains("UNIQUE"), "{}", e.message);
    // Nothing was written: the index still misses the original entry.
    assert_eq!(check(&db).len(), 1, "{:?}", check(&db));
    db.sql("DELETE FROM t WHERE id = 1000", &[]).unwrap();
    db.sql("REINDEX t_email", &[]).unwrap();
    assert!(check(&db).is_empty(), "{:?}", check(&db));
}
