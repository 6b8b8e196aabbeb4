//! A flipped bit in an SSTable data block is reported as TDB_CORRUPT naming
//! the file — never returned as data, never a panic.
mod common;
use common::{mem_db, reopen, small_options};
use std::path::Path;
use tensordb::{Backend, ErrorCode, ReadAt, ScanRange};

#[test]
fn bit_flip_in_block_is_corrupt() {
    let (db, backend) = mem_db(small_options());
    for i in 0..200u32 {
        db.put(
            format!("key{i:04}").as_bytes(),
            format!("value number {i}").as_bytes(),
        )
        .unwrap();
    }
    db.flush().unwrap();
    db.close().unwrap();
    let tables: Vec<String> = backend
        .list(Path::new("/db"))
        .unwrap()
        .into_iter()
        .filter(|n| n.ends_with(".sst"))
        .collect();
    assert!(!tables.is_empty());
    let mut corrupt_seen = 0;
    for name in &tables {
        let path = Path::new("/db").join(name);
        let original = backend.file_bytes(&path).unwrap();
        // Byte 20 lies inside the first data block.
        let mut bytes = original.clone();
        bytes[20] ^= 0x04;
        backend.set_file_bytes(&path, bytes);
        // Opening reads shard 0's tables (epochs, the change log), so the
        // damage may already show there; otherwise the scan meets it.
        let err = match tensordb::Database::open_with_backend(
            std::sync::Arc::new(backend.clone()),
            "/db",
            small_options(),
        ) {
            Err(e) => e,
            Ok(db) => {
                let e = db
                    .scan(&ScanRange::default(), &ReadAt::default())
                    .expect_err("a scan over a damaged block must fail");
                db.close().unwrap();
                e
            }
        };
        assert_eq!(err.code, ErrorCode::Corrupt);
        assert!(err.message.contains(name.as_str()), "{}", err.message);
        corrupt_seen += 1;
        backend.set_file_bytes(&path, original);
    }
    assert_eq!(corrupt_seen, tables.len());
    // With every file restored, everything reads again.
    let db = reopen(&backend, small_options());
    let rows = db.scan(&ScanRange::default(), &ReadAt::default()).unwrap();
    assert_eq!(rows.len(), 200);
}

#[test]
fn damaged_footer_fails_open_with_corrupt() {
    let (db, backend) = mem_db(small_options());
    db.put(b"a", b"b").unwrap();
    db.close().unwrap();
    let name = backend
        .list(Path::new("/db"))
        .unwrap()
        .into_iter()
        .find(|n| n.ends_with(".sst"))
        .unwrap();
    let path = Path::new("/db").join(&name);
    let mut bytes = backend.file_bytes(&path).unwrap();
    let n = bytes.len();
    bytes[n - 20] ^= 1;
    backend.set_file_bytes(&path, bytes);
    let err = tensordb::Database::open_with_backend(
        std::sync::Arc::new(backend.clone()),
        "/db",
        small_options(),
    )
    .err()
    .unwrap();
    assert_eq!(err.code, ErrorCode::Corrupt);
    assert!(err.message.contains(&name));
}
