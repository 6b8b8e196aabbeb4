//! Statements that used to run away (issue #15): huge values built by
//! functions end in `TDB_LIMIT` before allocating; GLOB matches without
//! exponential backtracking; a recursive CTE without a stop condition stops
//! at the LIMIT of the query reading it; oversized keys and values are
//! refused before they reach the log.
use std::sync::Arc;
use tensordb::sql::Value;
use tensordb::{Database, MemBackend, Options};

fn db() -> Database {
    Database::open_with_backend(Arc::new(MemBackend::new()), "/run", Options::default()).unwrap()
}

fn code(db: &Database, sql: &str) -> String {
    match db.sql(sql, &[]) {
        Ok(_) => "ok".into(),
        Err(e) => e.code.as_str().into(),
    }
}

#[test]
fn value_builders_stop_at_the_maximum_length() {
    let db = db();
    for sql in [
        "SELECT printf('%2000000000d', 1)",
        "SELECT printf('%.2000000000f', 1)",
        "SELECT lpad('x', 2000000000)",
        "SELECT rpad('x', 1500000000, 'ab')",
        "SELECT repeat('ab', 600000000)",
    ] {
        assert_eq!(code(&db, sql), "TDB_LIMIT", "{sql}");
    }
    assert_eq!(
        db.sql("SELECT length(printf('%20d', 1)), lpad('x', 3, '-')", &[])
            .unwrap()
            .rows,
        vec![vec![Value::Int(20), Value::Text("--x".into())]]
    );
}

#[test]
fn glob_is_linear_and_correct() {
    let db = db();
    let a40 = "a".repeat(40);
    let q = |p: &str, s: &str| {
        db.sql(
            "SELECT $1 GLOB $2",
            &[Value::Text(s.into()), Value::Text(p.into())],
        )
        .unwrap()
        .rows[0][0]
            .clone()
    };
    // Exponential for a recursive matcher: C(40, 12) ways to place the stars.
    assert_eq!(q(&"*a".repeat(12), &a40), Value::Int(1));
    assert_eq!(q(&format!("{}b", "*a".repeat(12)), &a40), Value::Int(0));
    for (p, s, want) in [
        ("a*c", "abbbc", 1),
        ("a?c", "abc", 1),
        ("a?c", "ac", 0),
        ("[a-c]x", "bx", 1),
        ("[^a-c]x", "bx", 0),
        ("[]]", "]", 1),
        ("*[0-9]", "abc7", 1),
        ("a[", "a[", 0),
        ("", "", 1),
        ("*", "", 1),
        ("A*", "abc", 0),
    ] {
        assert_eq!(q(p, s), Value::Int(want), "{p} GLOB {s}");
    }
}

#[test]
fn recursive_cte_stops_at_the_outer_limit() {
    let db = db();
    let r = db
        .sql(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c LIMIT 10",
            &[],
        )
        .unwrap();
    assert_eq!(r.rows.len(), 10);
    assert_eq!(r.rows[9][0], Value::Int(10));
    let r = db
        .sql(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) \
             SELECT x * 2 FROM c LIMIT ? OFFSET ?",
            &[Value::Int(3), Value::Int(5)],
        )
        .unwrap();
    assert_eq!(
        r.rows,
        vec![
            vec![Value::Int(12)],
            vec![Value::Int(14)],
            vec![Value::Int(16)]
        ]
    );
    // A window function anywhere in the list sees every row: no early stop.
    let r = db
        .sql(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5) \
             SELECT x, 1 + count(*) OVER () FROM c LIMIT 2",
            &[],
        )
        .unwrap();
    assert_eq!(r.rows[0][1], Value::Int(6));
}

#[test]
fn oversized_keys_and_values_are_refused() {
    let db = db();
    let e = db.put(&vec![b'k'; 70 << 10], b"v").unwrap_err();
    assert_eq!(e.code.as_str(), "TDB_LIMIT");
    let e = db.put(b"k", &vec![0u8; 300 << 20]).unwrap_err();
    assert_eq!(e.code.as_str(), "TDB_LIMIT");
    db.put(b"k", b"small").unwrap();
    assert_eq!(
        db.get(b"k", &Default::default()).unwrap().as_deref(),
        Some(&b"small"[..])
    );
}

const RUNAWAY: &str =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";

#[test]
fn statement_timeout_from_options_and_session() {
    let db = Database::open_with_backend(
        Arc::new(MemBackend::new()),
        "/timeout",
        Options {
            statement_timeout: Some(std::time::Duration::from_millis(200)),
            ..Options::default()
        },
    )
    .unwrap();
    let e = db.sql(RUNAWAY, &[]).unwrap_err();
    assert_eq!(e.code.as_str(), "TDB_LIMIT", "{e:?}");
    assert!(e.message.contains("timeout of 200 ms"), "{}", e.message);
    // A session sets its own (0: none for quick statements, then 100 ms).
    let mut s = tensordb::sql::Session::new();
    s.run(&db, "SET statement_timeout = 0", &[], Default::default())
        .unwrap();
    assert!(s.run(&db, "SELECT 1", &[], Default::default()).is_ok());
    s.run(&db, "SET statement_timeout = 100", &[], Default::default())
        .unwrap();
    let e = s.run(&db, RUNAWAY, &[], Default::default()).unwrap_err();
    assert!(e.message.contains("timeout of 100 ms"), "{}", e.message);
}

#[test]
fn a_running_statement_can_be_cancelled() {
    let db = Arc::new(db());
    let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let setter = {
        let flag = flag.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(100));
            flag.store(true, std::sync::atomic::Ordering::Relaxed);
        })
    };
    let e = db
        .sql_cancellable(RUNAWAY, &[], Default::default(), Some(flag))
        .unwrap_err();
    setter.join().unwrap();
    assert_eq!(e.code.as_str(), "TDB_LIMIT");
    assert!(e.message.contains("cancelled"), "{}", e.message);
}

#[test]
fn a_statement_past_its_memory_budget_fails_with_tdb_limit() {
    let db = Database::open_with_backend(
        Arc::new(MemBackend::new()),
        "/memory",
        Options {
            statement_memory: Some(1 << 20),
            ..Options::default()
        },
    )
    .unwrap();
    db.sql("CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT)", &[])
        .unwrap();
    for i in 0..10 {
        let rows: Vec<String> = (0..1000)
            .map(|j| format!("({}, '{}')", i * 1000 + j, "x".repeat(100)))
            .collect();
        db.sql(&format!("INSERT INTO t VALUES {}", rows.join(", ")), &[])
            .unwrap();
    }
    // A small read fits; the whole table (~1.2 MB of rows) does not, nor does
    // a join that multiplies it, nor a recursive CTE that grows past 1 MiB.
    // Counting the rows holds none of them, nor does an aggregate.
    assert_eq!(
        db.sql("SELECT s FROM t WHERE id = 5", &[])
            .unwrap()
            .rows
            .len(),
        1
    );
    assert_eq!(
        db.sql("SELECT count(*) FROM t", &[]).unwrap().rows[0][0],
        Value::Int(10_000)
    );
    // An aggregate over one table streams its rows into accumulators.
    assert_eq!(
        db.sql("SELECT max(s), count(s) FROM t", &[]).unwrap().rows[0][1],
        Value::Int(10_000)
    );
    for sql in [
        "SELECT s FROM t ORDER BY s DESC",
        "SELECT count(*) FROM t a JOIN t b ON a.id % 100 = b.id % 100 WHERE a.id < 300",
        "WITH RECURSIVE c(x, s) AS (SELECT 1, 'aaaaaaaaaa' UNION ALL SELECT x + 1, s FROM c WHERE x < 100000) SELECT count(*) FROM c",
    ] {
        let e = db.sql(sql, &[]).unwrap_err();
        assert_eq!(e.code.as_str(), "TDB_LIMIT", "{sql}: {e:?}");
        assert!(e.message.contains("memory budget"), "{}", e.message);
    }
}

/// A database whose statements may hold 1 MiB.
fn small_budget(max_length: usize) -> Database {
    Database::open_with_backend(
        Arc::new(MemBackend::new()),
        "/memory",
        Options {
            statement_memory: Some(1 << 20),
            max_length,
            ..Options::default()
        },
    )
    .unwrap()
}

#[test]
fn the_memory_budget_counts_hash_tables_groups_windows_and_results() {
    let db = small_budget(1_000_000_000);
    // 1,000 small rows (~60 KB held) feed operators that build large keys.
    let c = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) ";
    for (tail, what) in [
        (
            "SELECT count(*) FROM c GROUP BY printf('%02000d', x)",
            "GROUP BY",
        ),
        ("SELECT DISTINCT printf('%0600d', x) FROM c", "DISTINCT"),
        (
            "SELECT printf('%0600d', x) FROM c UNION SELECT 'a'",
            "UNION",
        ),
        (
            "SELECT printf('%0320d', x) FROM c INTERSECT SELECT printf('%0320d', x) FROM c",
            "INTERSECT",
        ),
        (
            "SELECT count(*) FROM c a JOIN c b ON 'k' || printf('%02000d', a.x) = 'k' || printf('%02000d', b.x)",
            "hash join",
        ),
        (
            "SELECT x, count(*) OVER (ORDER BY printf('%02000d', x)) FROM c",
            "window",
        ),
        (
            "SELECT count(DISTINCT printf('%02000d', x)) FROM c",
            "DISTINCT values",
        ),
        (
            "SELECT length(group_concat(printf('%02000d', x))) FROM c",
            "group_concat",
        ),
        ("SELECT printf('%02000d', x) FROM c", "select list"),
    ] {
        let sql = format!("{c}{tail}");
        let e = db.sql(&sql, &[]).unwrap_err();
        assert_eq!(e.code.as_str(), "TDB_LIMIT", "{sql}: {e:?}");
        assert!(
            e.message.contains("memory budget") && e.message.contains(what),
            "{sql}: {}",
            e.message
        );
    }
    // The same shapes over small keys fit, and give the right answers.
    let ok = |tail: &str| db.sql(&format!("{c}{tail}"), &[]).unwrap().rows;
    assert_eq!(
        ok("SELECT count(*) FROM (SELECT x % 7 g FROM c GROUP BY g)")[0][0],
        Value::Int(7)
    );
    assert_eq!(
        ok("SELECT count(DISTINCT x % 10) FROM c")[0][0],
        Value::Int(10)
    );
    assert_eq!(
        ok("SELECT count(*) FROM c a JOIN c b ON a.x = b.x")[0][0],
        Value::Int(1000)
    );
    // A correlated subquery run once per outer row does not add up.
    assert_eq!(
        ok("SELECT sum((SELECT length(group_concat(printf('%0100d', y.x))) FROM c y WHERE y.x <= 5 + o.x % 2)) FROM c o")[0][0],
        Value::Int(1000 / 2 * (5 * 101 - 1) + 1000 / 2 * (6 * 101 - 1))
    );
}

#[test]
fn the_maximum_length_is_an_option() {
    let db = small_budget(1000);
    for sql in [
        "SELECT repeat('a', 1001)",
        "SELECT printf('%01001d', 1)",
        "SELECT lpad('x', 1001)",
        "SELECT repeat('a', 600) || repeat('b', 600)",
    ] {
        let e = db.sql(sql, &[]).unwrap_err();
        assert_eq!(e.code.as_str(), "TDB_LIMIT", "{sql}");
        assert!(
            e.message.contains("maximum length of 1000"),
            "{}",
            e.message
        );
    }
    assert_eq!(
        db.sql("SELECT length(repeat('a', 1000))", &[])
            .unwrap()
            .rows[0][0],
        Value::Int(1000)
    );
}
