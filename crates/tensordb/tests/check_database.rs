//! `Database::check` (issue #15): a healthy database reports nothing; every
//! single-byte flip in a table file — data blocks, bloom filter, index
//! block, footer — is found (or refused at open with `TDB_CORRUPT`); an
//! index that disagrees with its table is reported; nothing panics.
mod common;
use common::{mem_db, reopen, small_options};
use std::path::Path;
use std::sync::Arc;
use tensordb::{Backend, Database, ScanRange};

fn build() -> tensordb::MemBackend {
    let (db, backend) = mem_db(small_options());
    db.sql(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT, n INTEGER)",
        &[],
    )
    .unwrap();
    db.sql("CREATE INDEX t_n ON t (n)", &[]).unwrap();
    for i in 0..40 {
        let values: Vec<String> = (0..50)
            .map(|j| {
                format!(
                    "({}, '{}', {})",
                    i * 50 + j,
                    "s".repeat(20),
                    (i * 50 + j) % 97
                )
            })
            .collect();
        db.sql(&format!("INSERT INTO t VALUES {}", values.join(", ")), &[])
            .unwrap();
    }
    db.close().unwrap();
    backend
}

#[test]
fn a_healthy_database_checks_clean_with_progress() {
    let backend = build();
    let db = reopen(&backend, small_options());
    let mut calls = 0;
    let r = db
        .check(&mut |done, total| {
            assert!(done <= total);
            calls += 1;
        })
        .unwrap();
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert!(
        r.tables > 0 && r.blocks > r.tables && r.indexes == 1,
        "{r:?}"
    );
    assert_eq!(calls, r.tables);
    let sql = db.sql("CHECK DATABASE", &[]).unwrap();
    assert_eq!(
        sql.rows,
        vec![vec![tensordb::sql::Value::Text("ok".into())]]
    );
}

#[test]
fn every_byte_flip_in_a_table_file_is_found() {
    let backend = build();
    // The folder as the closed database left it; every flip starts from a
    // copy of it (opening may compact, which rewrites tables).
    let files: Vec<(std::path::PathBuf, Vec<u8>)> = backend
        .list(Path::new("/db"))
        .unwrap()
        .into_iter()
        .map(|n| Path::new("/db").join(n))
        .filter_map(|p| backend.file_bytes(&p).map(|b| (p, b)))
        .collect();
    let tables: Vec<&(std::path::PathBuf, Vec<u8>)> = files
        .iter()
        .filter(|(p, _)| p.extension().is_some_and(|e| e == "sst"))
        .collect();
    assert!(!tables.is_empty());
    let mut flips = 0;
    for (path, good) in tables.iter().take(3) {
        let len = good.len();
        // Spread over the file, plus every byte of the 48-byte footer.
        let mut at: Vec<usize> = (0..40).map(|i| i * len / 40).collect();
        at.extend(len - 48..len);
        for pos in at {
            let copy = tensordb::MemBackend::new();
            for (p, b) in &files {
                copy.set_file_bytes(p, b.clone());
            }
            let mut bad = good.clone();
            bad[pos] ^= 0x10;
            copy.set_file_bytes(path, bad);
            match Database::open_with_backend(Arc::new(copy), "/db", small_options()) {
                Err(e) => assert_eq!(e.code.as_str(), "TDB_CORRUPT", "flip at {pos}: {e:?}"),
                Ok(db) => {
                    let r = db.check(&mut |_, _| {}).unwrap();
                    assert!(
                        !r.problems.is_empty(),
                        "{}: flip at {pos} of {len} went unnoticed",
                        path.display()
                    );
                    let _ = db.close();
                }
            }
            flips += 1;
        }
    }
    assert!(flips >= 45);
}

#[test]
fn an_index_that_disagrees_with_its_table_is_reported() {
    let backend = build();
    let db = reopen(&backend, small_options());
    // Remove one index entry behind SQL's back (the engine API sees every key).
    let entries = db
        .scan_rows(
            &ScanRange {
                prefix: Some(vec![0xFF, 0xFE, b'i']),
                limit: Some(1),
                ..Default::default()
            },
            &Default::default(),
        )
        .unwrap();
    let (k, _) = entries.get(0).unwrap();
    db.delete(k).unwrap();
    let r = db.check(&mut |_, _| {}).unwrap();
    assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
    assert!(
        r.problems[0].contains("1 row(s) without an entry"),
        "{}",
        r.problems[0]
    );
    let sql = db.sql("CHECK DATABASE", &[]).unwrap();
    assert_eq!(sql.rows.len(), 1);
}
