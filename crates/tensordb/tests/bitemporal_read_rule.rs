//! The read rule from DESIGN.md: as of system time T and valid time V, the
//! newest fact known at T whose valid period contains V decides. Includes a
//! retroactive correction of a past valid-time period and future-dated facts.
mod common;
use common::{mem_db, small_options};
use tensordb::{FactKind, ReadAt, WriteOp};

const DAY: i64 = 86_400_000_000;

fn at(t: Option<u64>, v: i64) -> ReadAt {
    ReadAt {
        as_of: t,
        epoch: None,
        valid_at: Some(v),
    }
}

#[test]
fn retroactive_correction_overrides_only_its_period() {
    let (db, _b) = mem_db(small_options());
    // Salary 100 valid from day 0 on.
    let t1 = db
        .write(vec![WriteOp::put("salary", "100").valid(Some(0), None)])
        .unwrap();
    // Later we learn it was 120 during days 10..20.
    let t2 = db
        .write(vec![
            WriteOp::put("salary", "120").valid(Some(10 * DAY), Some(20 * DAY))
        ])
        .unwrap();
    let g = |t: Option<u64>, v: i64| db.get(b"salary", &at(t, v)).unwrap();
    assert_eq!(g(None, 5 * DAY).as_deref(), Some(&b"100"[..]));
    assert_eq!(
        g(None, 10 * DAY).as_deref(),
        Some(&b"120"[..]),
        "start is inclusive"
    );
    assert_eq!(g(None, 19 * DAY).as_deref(), Some(&b"120"[..]));
    assert_eq!(
        g(None, 20 * DAY).as_deref(),
        Some(&b"100"[..]),
        "end is exclusive"
    );
    assert_eq!(g(None, -DAY), None, "before any valid period");
    // As of t1 (before the correction was known) day 15 was 100.
    assert_eq!(g(Some(t1), 15 * DAY).as_deref(), Some(&b"100"[..]));
    assert_eq!(g(Some(t2), 15 * DAY).as_deref(), Some(&b"120"[..]));
    assert_eq!(g(Some(t1 - 1), 15 * DAY), None, "nothing known before t1");
    // A delete for days 12..14 only.
    db.write(vec![
        WriteOp::delete("salary").valid(Some(12 * DAY), Some(14 * DAY))
    ])
    .unwrap();
    assert_eq!(g(None, 13 * DAY), None);
    assert_eq!(g(None, 11 * DAY).as_deref(), Some(&b"120"[..]));
    assert_eq!(g(None, 14 * DAY).as_deref(), Some(&b"120"[..]));
    assert_eq!(g(Some(t2), 13 * DAY).as_deref(), Some(&b"120"[..]));
    let h = db.history(b"salary").unwrap();
    assert_eq!(h.len(), 3);
    assert_eq!(h[0].kind, FactKind::Delete);
    assert_eq!((h[0].valid_from, h[0].valid_to), (12 * DAY, Some(14 * DAY)));
    assert_eq!(h[2].valid_to, None, "open-ended period");
    assert_eq!(
        h[2].system_to,
        Some(t2),
        "superseded in part by the correction"
    );
    assert_eq!(h[0].system_to, None);
}

#[test]
fn future_dated_fact_and_default_period() {
    let (db, _b) = mem_db(small_options());
    let now = tensordb::now_micros() as i64;
    db.write(vec![WriteOp::put("price", "10")]).unwrap();
    db.write(vec![
        WriteOp::put("price", "12").valid(Some(now + 30 * DAY), None)
    ])
    .unwrap();
    let d = ReadAt::default();
    assert_eq!(db.get(b"price", &d).unwrap().as_deref(), Some(&b"10"[..]));
    assert_eq!(
        db.get(b"price", &at(None, now + 31 * DAY))
            .unwrap()
            .as_deref(),
        Some(&b"12"[..])
    );
    // The default valid period starts at the commit: before it, nothing.
    assert_eq!(db.get(b"price", &at(None, now - DAY)).unwrap(), None);
    // An empty period is rejected.
    let err = db
        .write(vec![WriteOp::put("x", "1").valid(Some(5), Some(5))])
        .unwrap_err();
    assert_eq!(err.code, tensordb::ErrorCode::InvalidArgument);
}

#[test]
fn delete_then_reinsert_and_as_of() {
    let (db, _b) = mem_db(small_options());
    let t1 = db.put(b"k", b"one").unwrap();
    let t2 = db.delete(b"k").unwrap();
    let t3 = db.put(b"k", b"two").unwrap();
    let g = |t: u64| {
        db.get(
            b"k",
            &ReadAt {
                as_of: Some(t),
                ..Default::default()
            },
        )
        .unwrap()
    };
    assert_eq!(g(t1).as_deref(), Some(&b"one"[..]));
    assert_eq!(g(t2), None);
    assert_eq!(g(t3).as_deref(), Some(&b"two"[..]));
    assert!(t1 < t2 && t2 < t3);
}
