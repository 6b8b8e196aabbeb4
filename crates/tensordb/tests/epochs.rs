//! Epochs name cross-shard consistent points in system time; they persist
//! across reopen and keep counting.
mod common;
use common::{mem_db, reopen, small_options};
use tensordb::{ErrorCode, ReadAt, ScanRange, WriteOp};

#[test]
fn epochs_give_consistent_snapshots() {
    let (db, backend) = mem_db(small_options());
    // Batches spanning every shard are atomic.
    let batch = |v: &str| {
        (0..64)
            .map(|i| WriteOp::put(format!("acct{i:02}"), v))
            .collect()
    };
    db.write(batch("a")).unwrap();
    let (e1, t1) = db.advance_epoch().unwrap();
    db.write(batch("b")).unwrap();
    let (e2, _) = db.advance_epoch().unwrap();
    assert_eq!((e1, e2), (1, 2));
    assert_eq!(db.epoch_time(1).unwrap(), t1);
    let at1 = ReadAt {
        epoch: Some(1),
        ..Default::default()
    };
    let rows = db.scan(&ScanRange::default(), &at1).unwrap();
    assert_eq!(rows.len(), 64);
    assert!(rows.iter().all(|(_, v)| v == b"a"));
    db.close().unwrap();
    let db = reopen(&backend, small_options());
    let rows = db
        .scan(
            &ScanRange::default(),
            &ReadAt {
                epoch: Some(2),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(rows.iter().all(|(_, v)| v == b"b"));
    assert_eq!(db.advance_epoch().unwrap().0, 3);
    let err = db
        .get(
            b"x",
            &ReadAt {
                epoch: Some(99),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidArgument);
}
