//! Engine benchmarks without Node, so the binding's overhead is visible:
//! point reads and 1,000-key scans on keys with 1 version vs 50 versions
//! (current-time reads must not slow down as history grows), time-travel
//! reads, point reads of flushed keys with and without the row cache, and
//! durable writes.
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;
use tensordb::{Database, Options, ReadAt, ScanRange, WriteOp};

const KEYS: u32 = 20_000;

fn key(i: u32) -> Vec<u8> {
    format!("user:{i:08}").into_bytes()
}

fn load(versions: u32) -> (Database, std::path::PathBuf, Vec<u64>) {
    load_with(versions, Options::default(), "")
}

fn load_with(versions: u32, opts: Options, tag: &str) -> (Database, std::path::PathBuf, Vec<u64>) {
    let dir =
        std::env::temp_dir().join(format!("tdb-bench-{}-{versions}{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = Database::open_unshared(&dir, opts).expect("open");
    let mut times = Vec::new();
    for v in 0..versions {
        for chunk in (0..KEYS).collect::<Vec<_>>().chunks(2000) {
            let ops = chunk
                .iter()
                .map(|&i| WriteOp::put(key(i), vec![v as u8; 100]))
                .collect();
            times.push(db.write(ops).expect("write"));
        }
    }
    db.flush().expect("flush");
    db.compact().expect("compact");
    (db, dir, times)
}

fn reads(c: &mut Criterion) {
    let mut g = c.benchmark_group("current-time reads vs history depth");
    for versions in [1u32, 50] {
        let (db, dir, times) = load(versions);
        let now = ReadAt::default();
        let mut i = 0u32;
        g.bench_with_input(
            BenchmarkId::new("point get", versions),
            &versions,
            |b, _| {
                b.iter(|| {
                    i = (i.wrapping_mul(7919) + 1) % KEYS;
                    black_box(db.get(&key(i), &now).expect("get"))
                })
            },
        );
        g.bench_with_input(
            BenchmarkId::new("scan 1000", versions),
            &versions,
            |b, _| {
                b.iter(|| {
                    i = (i.wrapping_mul(7919) + 1) % (KEYS - 1000);
                    let r = ScanRange {
                        start: Some(key(i)),
                        limit: Some(1000),
                        ..Default::default()
                    };
                    black_box(db.scan(&r, &now).expect("scan"))
                })
            },
        );
        if versions > 1 {
            let old = ReadAt {
                as_of: Some(times[times.len() / 2]),
                ..Default::default()
            };
            g.bench_function("point get as of an old version (50 versions)", |b| {
                b.iter(|| {
                    i = (i.wrapping_mul(7919) + 1) % KEYS;
                    black_box(db.get(&key(i), &old).expect("get"))
                })
            });
            g.bench_function("history of one key (50 versions)", |b| {
                b.iter(|| black_box(db.history(&key(17)).expect("history")))
            });
        }
        db.close().expect("close");
        let _ = std::fs::remove_dir_all(dir);
    }
    g.finish();
}

/// Point reads of flushed keys (all blocks cached), with the default row
/// cache and with it disabled.
fn row_cache(c: &mut Criterion) {
    let mut g = c.benchmark_group("flushed point get");
    for (name, bytes) in [("row cache", None), ("no row cache", Some(0))] {
        let mut opts = Options::default();
        if let Some(b) = bytes {
            opts.store.row_cache_bytes = b;
        }
        let (db, dir, _) = load_with(1, opts, &name.replace(" ", "-"));
        let now = ReadAt::default();
        let mut i = 0u32;
        // One pass first: blocks into the block cache, rows into the row cache.
        for k in 0..KEYS {
            black_box(db.get(&key(k), &now).expect("get"));
        }
        g.bench_function(name, |b| {
            b.iter(|| {
                i = (i.wrapping_mul(7919) + 1) % KEYS;
                black_box(db.get(&key(i), &now).expect("get"))
            })
        });
        db.close().expect("close");
        let _ = std::fs::remove_dir_all(dir);
    }
    g.finish();
}

/// A 10-row prefix scan in a store of 1M other keys: iterators seek, so it
/// touches only the blocks that can hold those keys.
fn seek(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("tdb-bench-seek-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = Database::open_unshared(&dir, Options::default()).expect("open");
    for chunk in (0..1_000_000u32).collect::<Vec<_>>().chunks(10_000) {
        let ops = chunk
            .iter()
            .map(|&i| WriteOp::put(format!("other:{i:08}"), vec![0u8; 100]))
            .collect();
        db.write(ops).expect("write");
    }
    let ops = (0..10u32)
        .map(|i| WriteOp::put(format!("mine:{i}"), vec![1u8; 100]))
        .collect();
    db.write(ops).expect("write");
    db.flush().expect("flush");
    db.compact().expect("compact");
    let now = ReadAt::default();
    let r = ScanRange {
        prefix: Some(b"mine:".to_vec()),
        ..Default::default()
    };
    c.bench_function("scan 10 keys among 1M others", |b| {
        b.iter(|| {
            let rows = db.scan(&r, &now).expect("scan");
            assert_eq!(rows.len(), 10);
            black_box(rows)
        })
    });
    db.close().expect("close");
    let _ = std::fs::remove_dir_all(dir);
}

fn writes(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("tdb-bench-w-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = Database::open_unshared(&dir, Options::default()).expect("open");
    let mut i = 0u32;
    c.bench_function("durable put (fdatasync each)", |b| {
        b.iter(|| {
            i += 1;
            db.put(&key(i), &[1u8; 100]).expect("put")
        })
    });
    c.bench_function("durable batch of 64 puts", |b| {
        b.iter(|| {
            let ops = (0..64)
                .map(|j| WriteOp::put(key(i * 64 + j), vec![2u8; 100]))
                .collect();
            i += 1;
            db.write(ops).expect("write")
        })
    });
    db.close().expect("close");
    let _ = std::fs::remove_dir_all(dir);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = reads, row_cache, seek, writes
}
criterion_main!(benches);
