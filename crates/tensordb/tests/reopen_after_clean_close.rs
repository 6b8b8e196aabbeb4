//! Data written, flushed to tables or left in the WAL, survives a clean close
//! and reopen, on the real file system; the clock keeps increasing.
mod common;
use common::{small_options, TempDir};
use tensordb::{Database, ReadAt, ScanRange};

#[test]
fn reopen_after_clean_close() {
    let dir = TempDir::new("reopen");
    let last;
    {
        let db = Database::open_unshared(&dir.0, small_options()).unwrap();
        for i in 0..3000u32 {
            db.put(
                format!("user:{i:08}").as_bytes(),
                format!("value-{i}").as_bytes(),
            )
            .unwrap();
        }
        db.delete(b"user:00000007").unwrap();
        last = db.put(b"last", b"x").unwrap();
        db.close().unwrap();
    }
    let db = Database::open_unshared(&dir.0, small_options()).unwrap();
    assert_eq!(
        db.replay_report().records,
        0,
        "close flushes, so nothing replays"
    );
    let at = ReadAt::default();
    assert_eq!(
        db.get(b"user:00000042", &at).unwrap().as_deref(),
        Some(&b"value-42"[..])
    );
    assert_eq!(db.get(b"user:00000007", &at).unwrap(), None);
    let all = db
        .scan(
            &ScanRange {
                prefix: Some(b"user:".to_vec()),
                ..Default::default()
            },
            &at,
        )
        .unwrap();
    assert_eq!(all.len(), 2999);
    assert!(db.now() >= last);
    let t = db.put(b"after", b"y").unwrap();
    assert!(t > last, "system time never goes back across reopen");
    db.close().unwrap();
}
