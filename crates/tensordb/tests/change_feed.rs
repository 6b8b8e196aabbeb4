//! Change feeds: every committed change exactly once, in commit order, with
//! old and new values; filtered by key prefix; read in small batches while
//! writers keep going (a slow consumer loses nothing and the engine buffers
//! nothing for it); durable cursors resume after a reopen and after a crash
//! that loses unsynced bytes.
mod common;
use common::{mem_db, reopen, small_options};
use std::sync::Arc;
use tensordb::{Database, FactKind, Position, WriteOp};

fn pos(c: &tensordb::Change) -> Position {
    Position {
        sys: c.sys,
        seq: c.seq,
    }
}

fn drain(
    db: &Database,
    after: Position,
    prefix: &[u8],
    max: usize,
) -> (Vec<tensordb::Change>, Position) {
    let mut all = Vec::new();
    let mut pos = after;
    loop {
        let b = db.changes(pos, prefix, max).unwrap();
        let done = b.changes.is_empty() && b.next == pos;
        all.extend(b.changes);
        pos = b.next;
        if done {
            return (all, pos);
        }
    }
}

#[test]
fn changes_arrive_in_commit_order_with_old_values() {
    let (db, _b) = mem_db(small_options());
    let t1 = db.put(b"a:1", b"one").unwrap();
    let t2 = db
        .write(vec![WriteOp::put("a:2", "two"), WriteOp::put("b:1", "x")])
        .unwrap();
    let t3 = db.put(b"a:1", b"uno").unwrap();
    db.advance_epoch().unwrap();
    let t4 = db.delete(b"a:2").unwrap();
    let (all, end) = drain(&db, Position::default(), b"a:", 2);
    let seen: Vec<_> = all
        .iter()
        .map(|c| {
            (
                c.sys,
                c.key.as_slice(),
                c.kind,
                c.value.as_deref(),
                c.old.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (t1, &b"a:1"[..], FactKind::Put, Some(&b"one"[..]), None),
            (t2, &b"a:2"[..], FactKind::Put, Some(&b"two"[..]), None),
            (
                t3,
                &b"a:1"[..],
                FactKind::Put,
                Some(&b"uno"[..]),
                Some(&b"one"[..])
            ),
            (t4, &b"a:2"[..], FactKind::Delete, None, Some(&b"two"[..])),
        ]
    );
    assert_eq!(end, Position::after_commit(db.now()));
    // From a position: only what came after it — after a whole commit, or
    // after one change of it.
    let (rest, _) = drain(&db, Position::after_commit(t2), b"", 100);
    assert_eq!(rest.iter().map(|c| c.sys).collect::<Vec<_>>(), vec![t3, t4]);
    let (rest, _) = drain(&db, Position { sys: t2, seq: 0 }, b"", 100);
    assert_eq!(
        rest.iter().map(|c| c.key.as_slice()).collect::<Vec<_>>(),
        vec![&b"b:1"[..], b"a:1", b"a:2"]
    );
}

#[test]
fn concurrent_writers_and_a_slow_consumer_lose_nothing() {
    let (db, _b) = mem_db(small_options());
    let db = Arc::new(db);
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let db = db.clone();
            std::thread::spawn(move || {
                for i in 0..300 {
                    db.put(format!("w{w}:{i:04}").as_bytes(), b"v").unwrap();
                }
            })
        })
        .collect();
    // Consume in batches of 7 while the writers run (flushes happen too:
    // the options use tiny memtables).
    let mut got = Vec::new();
    let mut pos = Position::default();
    while got.len() < 1200 {
        let b = db.changes(pos, b"w", 7).unwrap();
        assert!(b.next >= pos);
        assert!(b.changes.len() <= 7);
        pos = b.next;
        got.extend(b.changes);
        std::thread::yield_now();
    }
    for w in writers {
        w.join().unwrap();
    }
    let (tail, _) = drain(&db, pos, b"w", 50);
    got.extend(tail);
    assert_eq!(got.len(), 1200, "every change exactly once");
    assert!(got
        .windows(2)
        .all(|w| (w[0].sys, w[0].seq) < (w[1].sys, w[1].seq)));
    // Per writer, its own order is kept.
    for w in 0..4 {
        let keys: Vec<_> = got
            .iter()
            .filter(|c| c.key.starts_with(format!("w{w}:").as_bytes()))
            .map(|c| c.key.clone())
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        assert_eq!(keys.len(), 300);
    }
}

#[test]
fn durable_cursors_resume_after_reopen_and_crash() {
    let (db, backend) = mem_db(small_options());
    for i in 0..10 {
        db.put(format!("k{i}").as_bytes(), b"v").unwrap();
    }
    assert_eq!(db.cursor_position("billing").unwrap(), Position::default());
    let (first, _) = drain(&db, Position::default(), b"k", 4);
    assert_eq!(first.len(), 10);
    // Acknowledge the first six; the cursor's own write is not a change.
    db.cursor_ack("billing", pos(&first[5])).unwrap();
    db.put(b"k10", b"v").unwrap();
    db.close().unwrap();
    let db = reopen(&backend, small_options());
    let at = db.cursor_position("billing").unwrap();
    let (again, _) = drain(&db, at, b"", 100);
    let keys: Vec<_> = again
        .iter()
        .map(|c| String::from_utf8_lossy(&c.key).to_string())
        .collect();
    assert_eq!(keys, ["k6", "k7", "k8", "k9", "k10"]);
    // A crash that loses unsynced bytes keeps every acknowledged position
    // (acks are durable writes).
    db.cursor_ack("billing", pos(&again[2])).unwrap();
    let backend = backend.crash();
    std::mem::forget(db);
    let db = reopen(&backend, small_options());
    let at = db.cursor_position("billing").unwrap();
    let (after_crash, _) = drain(&db, at, b"", 100);
    let keys: Vec<_> = after_crash
        .iter()
        .map(|c| String::from_utf8_lossy(&c.key).to_string())
        .collect();
    assert_eq!(keys, ["k9", "k10"]);
    assert!(db.cursor_position("").is_err());
}

#[test]
fn sql_table_changes_decode_rows_and_old_rows() {
    use tensordb::sql::Value;
    let (db, _b) = mem_db(small_options());
    db.sql("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)", &[])
        .unwrap();
    db.sql("CREATE TABLE other (id INTEGER PRIMARY KEY)", &[])
        .unwrap();
    db.sql("INSERT INTO t VALUES (1, 'a'), (2, 'b')", &[])
        .unwrap();
    db.sql("INSERT INTO other VALUES (9)", &[]).unwrap();
    db.sql("UPDATE t SET v = 'a2' WHERE id = 1", &[]).unwrap();
    db.sql("DELETE FROM t WHERE id = 2", &[]).unwrap();
    let (r, next) = db.table_changes("t", Position::default(), 100).unwrap();
    assert_eq!(
        r.columns,
        [
            "_op",
            "_system_time",
            "_seq",
            "_valid_from",
            "_valid_to",
            "_has_old",
            "id",
            "v",
            "id",
            "v"
        ]
    );
    let text = |v: &Value| match v {
        Value::Text(s) => s.clone(),
        Value::Null => "-".into(),
        other => format!("{other:?}"),
    };
    let got: Vec<String> = r
        .rows
        .iter()
        .map(|row| {
            format!(
                "{} {} {} {}",
                text(&row[0]),
                text(&row[7]),
                row[5] == Value::Int(1),
                text(&row[9])
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "put a false -",
            "put b false -",
            "put a2 true a",
            "delete - true b"
        ]
    );
    // Nothing more; the position moved past the other table's commit too.
    let (r, _) = db.table_changes("t", next, 100).unwrap();
    assert!(r.rows.is_empty());
    assert_eq!(
        db.table_changes("nope", Position::default(), 1)
            .unwrap_err()
            .code,
        tensordb::ErrorCode::NoTable
    );
}
