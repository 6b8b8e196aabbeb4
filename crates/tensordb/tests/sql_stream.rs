//! `Database::stream` (issue #16): a query over one table is produced a
//! chunk at a time, every chunk at one snapshot, and gives exactly the rows
//! (in the same order) that running it whole gives — for every access path,
//! key type and query shape, streamed or not.
use std::sync::Arc;
use tensordb::sql::stream::CHUNK_ROWS;
use tensordb::sql::{RowStream, Value};
use tensordb::{Database, MemBackend, Options, ReadAt};

const N: usize = 10_000;

fn open() -> Database {
    let db =
        Database::open_with_backend(Arc::new(MemBackend::new()), "/stream", Options::default())
            .unwrap();
    db.sql(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT, v REAL)",
        &[],
    )
    .unwrap();
    db.sql(
        "CREATE TABLE w (k TEXT, n INTEGER, x TEXT, PRIMARY KEY (k, n))",
        &[],
    )
    .unwrap();
    db.sql("CREATE TABLE nokey (a INTEGER, b TEXT)", &[])
        .unwrap();
    db.sql("CREATE INDEX t_v ON t (v)", &[]).unwrap();
    for start in (0..N).step_by(2_000) {
        let t: Vec<String> = (start..start + 2_000)
            .map(|i| {
                let s = if i % 7 == 0 {
                    "NULL".to_string()
                } else {
                    format!("'r{i}'")
                };
                format!("({i}, {s}, {}.5)", i % 100)
            })
            .collect();
        db.sql(&format!("INSERT INTO t VALUES {}", t.join(",")), &[])
            .unwrap();
        let w: Vec<String> = (start..start + 2_000)
            .map(|i| format!("('k{}', {}, 'x{i}')", i % 50, i))
            .collect();
        db.sql(&format!("INSERT INTO w VALUES {}", w.join(",")), &[])
            .unwrap();
        let n: Vec<String> = (start..start + 2_000)
            .map(|i| format!("({}, 'b{i}')", i % 13))
            .collect();
        db.sql(&format!("INSERT INTO nokey VALUES {}", n.join(",")), &[])
            .unwrap();
    }
    db
}

fn drain(db: &Database, s: &mut RowStream) -> Vec<Vec<Value>> {
    let mut out = Vec::new();
    loop {
        let rows = s.next_rows(db, 1000).unwrap();
        if rows.is_empty() {
            return out;
        }
        assert!(rows.len() <= 1000);
        out.extend(rows);
    }
}

fn same_as_whole(db: &Database, sql: &str, params: &[Value]) -> usize {
    let whole = db.sql(sql, params).unwrap();
    let p = db.prepare(sql).unwrap();
    let mut s = db.stream(&p, params, ReadAt::default()).unwrap();
    assert_eq!(s.columns(), whole.columns.as_slice(), "{sql}");
    assert_eq!(s.types(), whole.types.as_slice(), "{sql}");
    let got = drain(db, &mut s);
    assert_eq!(got.len(), whole.rows.len(), "{sql}");
    assert!(got == whole.rows, "{sql}: streamed rows differ");
    got.len()
}

#[test]
fn streamed_rows_equal_the_whole_result() {
    let db = open();
    let i = |n: i64| Value::Int(n);
    let cases: &[(&str, Vec<Value>)] = &[
        ("SELECT * FROM t", vec![]),
        (
            "SELECT id, s || '!' AS s2, v * 2 FROM t WHERE s IS NOT NULL",
            vec![],
        ),
        (
            "SELECT id FROM t WHERE id % 3 = 0 AND v > $1",
            vec![Value::Real(20.0)],
        ),
        // Primary-key ranges (one range: windowed; several: read whole).
        ("SELECT id, s FROM t WHERE id >= $1", vec![i(2_500)]),
        ("SELECT id FROM t WHERE id BETWEEN 4000 AND 9100", vec![]),
        ("SELECT id FROM t WHERE id < 5 OR id > 9990", vec![]),
        (
            "SELECT id FROM t WHERE id IN (1, 5000, 9999, 20000)",
            vec![],
        ),
        // A point read and an index path: read whole by the first chunk.
        ("SELECT * FROM t WHERE id = 4096", vec![]),
        ("SELECT id FROM t WHERE v = 42.5", vec![]),
        // Composite text keys, a table without a primary key.
        ("SELECT * FROM w WHERE n % 2 = 1", vec![]),
        ("SELECT k, x FROM w WHERE k >= 'k3'", vec![]),
        ("SELECT * FROM nokey", vec![]),
        ("SELECT b FROM nokey WHERE a = 3", vec![]),
        // Shapes that are not streamed run whole and still answer.
        (
            "SELECT s, count(*) FROM t GROUP BY s ORDER BY 2 DESC, 1 LIMIT 5",
            vec![],
        ),
        (
            "SELECT id FROM t ORDER BY v DESC, id LIMIT 20 OFFSET 3",
            vec![],
        ),
        (
            "SELECT id FROM t WHERE id IN (SELECT n FROM w WHERE n < 30)",
            vec![],
        ),
        ("SELECT DISTINCT v FROM t", vec![]),
        (
            "SELECT t.id, w.k FROM t JOIN w ON w.n = t.id WHERE t.id < 300",
            vec![],
        ),
        (
            "SELECT id, row_number() OVER (ORDER BY id) FROM t WHERE id < 50",
            vec![],
        ),
        ("VALUES (1), (2)", vec![]),
        ("SELECT * FROM t WHERE 0", vec![]),
    ];
    let mut total = 0;
    for (sql, params) in cases {
        total += same_as_whole(&db, sql, params);
    }
    assert!(total > 3 * N);
}

#[test]
fn a_stream_holds_at_most_a_chunk_and_reads_one_snapshot() {
    let db = open();
    let p = db.prepare("SELECT id, s FROM t").unwrap();
    let mut s = db.stream(&p, &[], ReadAt::default()).unwrap();
    // Only the first chunk was read.
    let first = s.take(usize::MAX);
    assert_eq!(first.len(), CHUNK_ROWS);
    assert!(!s.is_ready());
    // Writes after the stream opened are not seen by it.
    db.sql("DELETE FROM t WHERE id >= 5000", &[]).unwrap();
    db.sql("INSERT INTO t VALUES (20000, 'late', 0.0)", &[])
        .unwrap();
    db.sql("UPDATE t SET s = 'changed' WHERE id = 4500", &[])
        .unwrap();
    let mut rest = drain(&db, &mut s);
    let mut all = first;
    all.append(&mut rest);
    assert_eq!(all.len(), N);
    assert!(all
        .iter()
        .enumerate()
        .all(|(n, r)| r[0] == Value::Int(n as i64)));
    assert_eq!(all[4500][1], Value::Text("r4500".into()));
    // A new stream sees them.
    let mut now = db.stream(&p, &[], ReadAt::default()).unwrap();
    let rows = drain(&db, &mut now);
    assert_eq!(rows.len(), 5001);
    assert_eq!(rows[4500][1], Value::Text("changed".into()));
}

#[test]
fn streams_read_at_an_earlier_time_and_report_errors() {
    let db = open();
    let before = db.now();
    db.sql("DELETE FROM t WHERE id % 2 = 0", &[]).unwrap();
    let p = db.prepare("SELECT id FROM t").unwrap();
    let mut s = db
        .stream(
            &p,
            &[],
            ReadAt {
                as_of: Some(before),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(drain(&db, &mut s).len(), N);
    let mut s = db.stream(&p, &[], ReadAt::default()).unwrap();
    assert_eq!(drain(&db, &mut s).len(), N / 2);
    // Errors surface when the stream opens, with their usual codes.
    let bad = db.prepare("SELECT nope FROM t").unwrap();
    let e = db.stream(&bad, &[], ReadAt::default()).err().unwrap();
    assert_eq!(e.code, tensordb::ErrorCode::NoColumn);
    let missing = db.prepare("SELECT * FROM missing").unwrap();
    let e = db.stream(&missing, &[], ReadAt::default()).err().unwrap();
    assert_eq!(e.code, tensordb::ErrorCode::NoTable);
    // A row that fails late (a runtime error in chunk 3) fails that read.
    let late = db
        .prepare("SELECT CASE WHEN id = 9000 THEN json_extract('{', '$') ELSE id END FROM t")
        .unwrap();
    let mut s = db.stream(&late, &[], ReadAt::default()).unwrap();
    let mut failed = false;
    for _ in 0..10 {
        match s.next_rows(&db, 5000) {
            Ok(r) if r.is_empty() => break,
            Ok(_) => {}
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    let whole = db.sql(
        "SELECT CASE WHEN id = 9000 THEN json_extract('{', '$') ELSE id END FROM t",
        &[],
    );
    assert_eq!(failed, whole.is_err());
}
