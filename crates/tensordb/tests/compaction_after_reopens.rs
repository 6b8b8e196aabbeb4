//! Level 0 does not grow without bound across explicit flushes and
//! close/reopen cycles: compaction is scheduled after flushes and on open.
mod common;
use common::{small_options, TempDir};
use tensordb::{Database, ReadAt};

#[test]
fn level0_stays_bounded_across_reopens() {
    let dir = TempDir::new("l0");
    let opts = small_options();
    for round in 0..12u32 {
        let db = Database::open_unshared(&dir.0, opts.clone()).unwrap();
        for i in 0..200u32 {
            db.put(
                format!("k{i:04}").as_bytes(),
                format!("r{round}").as_bytes(),
            )
            .unwrap();
        }
        db.flush().unwrap();
        db.close().unwrap();
    }
    let db = Database::open_unshared(&dir.0, opts.clone()).unwrap();
    // Give the background compaction started by open a moment, then check.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let worst = db.level_counts().iter().map(|s| s[0]).max().unwrap();
        if worst < opts.store.l0_trigger || std::time::Instant::now() > deadline {
            assert!(worst < opts.store.l0_trigger, "level 0 has {worst} tables");
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(
        db.get(b"k0007", &ReadAt::default()).unwrap().as_deref(),
        Some(&b"r11"[..])
    );
    assert_eq!(db.history(b"k0007").unwrap().len(), 12);
}
