//! Time-travel costs (issue #4's targets): a query AS OF an old epoch on a
//! 100k-row table with 10 versions per row against the same query now, and
//! the history of one key with 1,000 versions.
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use tensordb::sql::Value;
use tensordb::{Database, Options};

const ROWS: i64 = 100_000;

fn setup() -> (Database, std::path::PathBuf, u64) {
    let dir = std::env::temp_dir().join(format!("tdb-tempbench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = Database::open_unshared(&dir, Options::default()).expect("open");
    db.sql(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER, s TEXT)",
        &[],
    )
    .expect("create");
    for chunk in (0..ROWS).collect::<Vec<_>>().chunks(5000) {
        let values: Vec<String> = chunk
            .iter()
            .map(|i| format!("({i}, 0, 'row-{i}')"))
            .collect();
        db.sql(&format!("INSERT INTO t VALUES {}", values.join(",")), &[])
            .expect("insert");
    }
    let (epoch, _) = db.advance_epoch().expect("epoch");
    // Nine more versions of every row.
    for _ in 0..9 {
        for lo in (0..ROWS).step_by(10_000) {
            db.sql(
                &format!(
                    "UPDATE t SET v = v + 1 WHERE id >= {lo} AND id < {}",
                    lo + 10_000
                ),
                &[],
            )
            .expect("update");
        }
    }
    // One key with 1,000 versions.
    db.sql("CREATE TABLE h (id INTEGER PRIMARY KEY, v INTEGER)", &[])
        .expect("create h");
    db.sql("INSERT INTO h VALUES (1, 0), (2, 0)", &[])
        .expect("insert h");
    for _ in 0..999 {
        db.sql("UPDATE h SET v = v + 1 WHERE id = 1", &[])
            .expect("update h");
    }
    db.flush().expect("flush");
    db.compact().expect("compact");
    (db, dir, epoch)
}

fn bench(c: &mut Criterion) {
    let (db, dir, epoch) = setup();
    let mut g = c.benchmark_group("temporal");
    g.sample_size(10);
    let now = db
        .prepare("SELECT count(*), sum(v) FROM t")
        .expect("prepare");
    let old = db
        .prepare(&format!(
            "SELECT count(*), sum(v) FROM t AS OF EPOCH {epoch}"
        ))
        .expect("prepare");
    let range_now = db
        .prepare("SELECT * FROM t WHERE id >= 5000 AND id < 5100")
        .expect("prepare");
    let range_old = db
        .prepare(&format!(
            "SELECT * FROM t AS OF EPOCH {epoch} WHERE id >= 5000 AND id < 5100"
        ))
        .expect("prepare");
    let at = tensordb::ReadAt::default();
    g.bench_function("full scan aggregate, now (100k rows, 10 versions)", |b| {
        b.iter(|| black_box(db.run_prepared(&now, &[], at).expect("now")))
    });
    g.bench_function("full scan aggregate, AS OF the first epoch", |b| {
        b.iter(|| black_box(db.run_prepared(&old, &[], at).expect("old")))
    });
    g.bench_function("100-row range, now", |b| {
        b.iter(|| black_box(db.run_prepared(&range_now, &[], at).expect("range")))
    });
    g.bench_function("100-row range, AS OF the first epoch", |b| {
        b.iter(|| black_box(db.run_prepared(&range_old, &[], at).expect("range")))
    });
    g.bench_function("history of one key, 1,000 versions (db.row_history)", |b| {
        b.iter(|| {
            let r = db.row_history("h", &[Value::Int(1)]).expect("history");
            assert_eq!(r.rows.len(), 1000);
            black_box(r)
        })
    });
    g.finish();
    drop(db);
    let _ = std::fs::remove_dir_all(dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
