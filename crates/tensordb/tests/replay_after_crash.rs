//! A crash (unsynced bytes lost) keeps every acknowledged write: the WAL is
//! replayed on open, including writes that were already partly flushed.
mod common;
use common::{mem_db, reopen, small_options};
use tensordb::{ReadAt, ScanRange};

#[test]
fn replay_after_crash() {
    let (db, backend) = mem_db(small_options());
    let mut last = 0;
    for i in 0..2000u32 {
        last = db
            .put(format!("k{i:05}").as_bytes(), &[i as u8; 40])
            .unwrap();
    }
    db.delete(b"k00010").unwrap();
    // Simulate kill -9 / power cut: do not close; drop only unsynced bytes.
    let backend = backend.crash();
    std::mem::forget(db);
    let db = reopen(&backend, small_options());
    assert!(db.replay_report().records > 0);
    let at = ReadAt::default();
    for i in (0..2000u32).filter(|&i| i != 10) {
        let v = db.get(format!("k{i:05}").as_bytes(), &at).unwrap();
        assert_eq!(v, Some(vec![i as u8; 40]), "key {i}");
    }
    assert_eq!(db.get(b"k00010", &at).unwrap(), None);
    let n = db.scan(&ScanRange::default(), &at).unwrap().len();
    assert_eq!(n, 1999);
    assert!(db.put(b"z", b"z").unwrap() > last);
}
