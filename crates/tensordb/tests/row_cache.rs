//! The row cache never answers with a value older than the tables' newest:
//! values cached before a flush of newer writes are not served after it,
//! deletes are seen, compaction changes nothing, time travel still reads
//! history, and concurrent readers never see a key's value go backwards
//! while a writer updates and flushes.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tensordb::{Database, MemBackend, Options, ReadAt};

fn key(i: u32) -> Vec<u8> {
    format!("k{i:05}").into_bytes()
}

fn open(dir: &str) -> Database {
    let mut o = Options::default();
    o.store.row_cache_bytes = std::env::var("RC0")
        .map(|_| 0)
        .unwrap_or(o.store.row_cache_bytes);
    Database::open_with_backend(Arc::new(MemBackend::new()), dir, o).unwrap()
}

#[test]
fn flushes_replace_cached_values() {
    let db = open("/rc1");
    let now = ReadAt::default();
    for i in 0..500 {
        db.put(&key(i), b"v1").unwrap();
    }
    db.flush().unwrap();
    for i in 0..500 {
        assert_eq!(db.get(&key(i), &now).unwrap().as_deref(), Some(&b"v1"[..]));
    }
    let before_v2 = db.now();
    for i in (0..500).step_by(3) {
        db.put(&key(i), b"v2").unwrap();
    }
    db.delete(&key(1)).unwrap();
    let check = |db: &Database| {
        for i in 0..500 {
            let want: Option<&[u8]> = match i {
                1 => None,
                i if i % 3 == 0 => Some(b"v2"),
                _ => Some(b"v1"),
            };
            assert_eq!(db.get(&key(i), &now).unwrap().as_deref(), want, "key {i}");
        }
    };
    check(&db);
    db.flush().unwrap();
    check(&db);
    db.compact().unwrap();
    check(&db);
    let past = ReadAt {
        as_of: Some(before_v2),
        ..ReadAt::default()
    };
    for i in [0, 1, 3] {
        assert_eq!(db.get(&key(i), &past).unwrap().as_deref(), Some(&b"v1"[..]));
    }
}

#[test]
fn concurrent_readers_never_go_backwards() {
    let db = Arc::new(open("/rc2"));
    const KEYS: u32 = 64;
    for i in 0..KEYS {
        db.put(&key(i), &0u32.to_be_bytes()).unwrap();
    }
    db.flush().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (db, stop) = (db.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut seen = vec![0u32; KEYS as usize];
                let mut reads = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    for i in 0..KEYS {
                        let v = db.get(&key(i), &ReadAt::default()).unwrap().unwrap();
                        let n = u32::from_be_bytes(v[..4].try_into().unwrap());
                        assert!(
                            n >= seen[i as usize],
                            "key {i}: {n} after {}",
                            seen[i as usize]
                        );
                        seen[i as usize] = n;
                        reads += 1;
                    }
                }
                reads
            })
        })
        .collect();
    for round in 1..=60u32 {
        for i in 0..KEYS {
            db.put(&key(i), &round.to_be_bytes()).unwrap();
        }
        if round % 2 == 0 {
            db.flush().unwrap();
        }
        if round % 20 == 0 {
            db.compact().unwrap();
        }
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        assert!(r.join().unwrap() > 0);
    }
    for i in 0..KEYS {
        let v = db.get(&key(i), &ReadAt::default()).unwrap().unwrap();
        assert_eq!(v, 60u32.to_be_bytes());
    }
}
