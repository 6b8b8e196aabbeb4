//! SQL engine benchmarks without Node: where a statement's time goes
//! (parse, execute) for a primary-key point query, an indexed range of 100
//! rows, and an INSERT inside a transaction.
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use tensordb::sql::{Session, Value};
use tensordb::{Database, Options, ReadAt};

const ROWS: i64 = 100_000;

fn setup() -> (Database, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("tdb-sqlbench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = Database::open_unshared(&dir, Options::default()).expect("open");
    db.sql(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, a TEXT, b REAL, c INTEGER)",
        &[],
    )
    .expect("create");
    db.sql("CREATE INDEX t_k ON t(k)", &[]).expect("index");
    for chunk in (0..ROWS).collect::<Vec<_>>().chunks(1000) {
        let values: Vec<String> = chunk
            .iter()
            .map(|i| {
                format!(
                    "({i}, {}, 'name-{i}', {}, {})",
                    (i * 7919) % ROWS,
                    i % 1000,
                    i % 100
                )
            })
            .collect();
        db.sql(&format!("INSERT INTO t VALUES {}", values.join(",")), &[])
            .expect("insert");
    }
    db.flush().expect("flush");
    (db, dir)
}

fn bench(c: &mut Criterion) {
    let (db, dir) = setup();
    let mut g = c.benchmark_group("sql");
    g.sample_size(20);
    let point = db
        .prepare("SELECT id, k, a, b, c FROM t WHERE id = $1")
        .expect("prepare");
    let mut i = 0i64;
    g.bench_function("parse point query", |b| {
        b.iter(|| black_box(db.prepare("SELECT id, k, a, b, c FROM t WHERE id = $1")))
    });
    g.bench_function("point query, prepared", |b| {
        b.iter(|| {
            i = (i + 7919) % ROWS;
            black_box(db.run_prepared(&point, &[Value::Int(i)], ReadAt::default()))
        })
    });
    let range = db
        .prepare("SELECT id, k, a, b, c FROM t WHERE k >= $1 AND k < $2")
        .expect("prepare");
    g.bench_function("100-row index range, prepared", |b| {
        b.iter(|| {
            i = (i + 7919) % (ROWS - 200);
            black_box(db.run_prepared(
                &range,
                &[Value::Int(i), Value::Int(i + 100)],
                ReadAt::default(),
            ))
        })
    });
    let insert = db
        .prepare("INSERT INTO t (k, a, b, c) VALUES ($1, 'x', 1.5, 3)")
        .expect("prepare");
    let mut s = Session::new();
    s.run(&db, "BEGIN", &[], ReadAt::default()).expect("begin");
    g.bench_function("INSERT in a transaction, prepared", |b| {
        b.iter(|| black_box(s.run_prepared(&db, &insert, &[Value::Int(i)], ReadAt::default())))
    });
    s.rollback();
    g.finish();
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
