//! A key being overwritten never reads as absent: readers racing the writer
//! see the old or the new value, and scans never skip it. (Found by the SQL
//! concurrency test: the skip list's replace unlinks the old node before the
//! new one is linked.)
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tensordb::{Database, MemBackend, Options, ReadAt, ScanRange};

#[test]
fn overwritten_keys_never_vanish() {
    let db = Arc::new(
        Database::open_with_backend(Arc::new(MemBackend::new()), "/ow", Options::default())
            .unwrap(),
    );
    for i in 0..8u8 {
        db.put(&[b'k', i], b"0").unwrap();
    }
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (db, stop) = (db.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut reads = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    for i in 0..8u8 {
                        let v = db.get(&[b'k', i], &ReadAt::default()).unwrap();
                        assert!(v.is_some(), "key k{i} read as absent during an overwrite");
                    }
                    let all = db
                        .scan(
                            &ScanRange {
                                prefix: Some(b"k".to_vec()),
                                ..Default::default()
                            },
                            &ReadAt::default(),
                        )
                        .unwrap();
                    assert_eq!(all.len(), 8, "a scan skipped a key being overwritten");
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    for n in 0..3000u32 {
        let i = (n % 8) as u8;
        db.put(&[b'k', i], n.to_string().as_bytes()).unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        assert!(r.join().unwrap() > 0);
    }
}
