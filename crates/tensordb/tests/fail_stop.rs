//! A failed fsync or a full disk fails the write with TDB_IO and stops
//! further writes (fail-stop) instead of writing on over a broken state.
//! Reads keep working; after a reopen, acknowledged data is intact.
mod common;
use common::{mem_db, reopen, small_options};
use tensordb::{ErrorCode, ReadAt};

#[test]
fn failed_sync_fail_stops() {
    let (db, backend) = mem_db(small_options());
    db.put(b"ok", b"1").unwrap();
    backend.set_fail_sync(true);
    let err = db.put(b"bad", b"2").unwrap_err();
    assert_eq!(err.code, ErrorCode::Io);
    backend.set_fail_sync(false);
    let err = db.put(b"later", b"3").unwrap_err();
    assert_eq!(
        err.code,
        ErrorCode::Io,
        "stays stopped after the fault clears"
    );
    assert_eq!(
        db.get(b"ok", &ReadAt::default()).unwrap().as_deref(),
        Some(&b"1"[..])
    );
    let backend = backend.crash();
    std::mem::forget(db);
    let db = reopen(&backend, small_options());
    assert_eq!(
        db.get(b"ok", &ReadAt::default()).unwrap().as_deref(),
        Some(&b"1"[..])
    );
    db.put(b"again", b"4").unwrap();
}

#[test]
fn full_disk_is_an_io_error() {
    let (db, backend) = mem_db(small_options());
    db.put(b"ok", b"1").unwrap();
    backend.set_space_left(Some(10));
    // The WAL is preallocated in 1 MiB steps: a write past that must extend it.
    let err = db.put(b"big", &vec![7u8; 2 << 20]).unwrap_err();
    assert_eq!(err.code, ErrorCode::Io);
    assert!(err.message.contains("no space"), "{}", err.message);
    assert_eq!(
        db.get(b"ok", &ReadAt::default()).unwrap().as_deref(),
        Some(&b"1"[..])
    );
}
