//! A flush puts the blocks it writes into the block cache: right after it,
//! memory-only reads (`get_cached`, the JS-thread fast path) still answer
//! the flushed keys; after a reopen (an empty cache) they decline until a
//! normal read has loaded the block.
use std::sync::Arc;
use tensordb::{Database, MemBackend, Options, ReadAt};

#[test]
fn flushed_blocks_are_cached() {
    let backend = Arc::new(MemBackend::new());
    let db = Database::open_with_backend(backend.clone(), "/fc", Options::default()).unwrap();
    for i in 0..2000u32 {
        db.put(format!("k{i:05}").as_bytes(), &[7u8; 64]).unwrap();
    }
    db.flush().unwrap();
    assert!(
        db.level_counts().iter().any(|l| l[0] > 0),
        "a table was written"
    );
    let at = ReadAt::default();
    for i in (0..2000u32).step_by(97) {
        let got = db.get_cached(format!("k{i:05}").as_bytes(), &at).unwrap();
        assert_eq!(
            got,
            Some(Some(vec![7u8; 64])),
            "key {i} answered from memory"
        );
    }
    db.close().unwrap();
    drop(db);
    let db = Database::open_with_backend(backend, "/fc", Options::default()).unwrap();
    let key = b"k00194";
    assert_eq!(db.get_cached(key, &at).unwrap(), None, "needs a disk read");
    assert_eq!(db.get(key, &at).unwrap(), Some(vec![7u8; 64]));
    assert_eq!(db.get_cached(key, &at).unwrap(), Some(Some(vec![7u8; 64])));
}
