//! A folder held by another live process cannot be opened (TDB_LOCKED);
//! opening it twice in one process shares one engine.
mod common;
use common::{small_options, TempDir};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use tensordb::{Database, ErrorCode, ReadAt};

#[test]
fn lock_holder_child() {
    let Ok(dir) = std::env::var("TDB_LOCK_CHILD") else {
        return;
    };
    let _db = Database::open(&dir, small_options()).unwrap();
    println!("opened");
    std::thread::sleep(std::time::Duration::from_secs(30));
}

#[test]
fn other_process_gets_locked_error() {
    if std::env::var("TDB_LOCK_CHILD").is_ok() {
        return;
    }
    let dir = TempDir::new("lock");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "lock_holder_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("TDB_LOCK_CHILD", &dir.0)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while let Some(Ok(l)) = lines.next() {
        if l.contains("opened") {
            break;
        }
    }
    let err = Database::open(&dir.0, small_options())
        .err()
        .expect("must be locked");
    assert_eq!(err.code, ErrorCode::Locked);
    assert!(err.message.contains("another process"), "{}", err.message);
    child.kill().unwrap();
    child.wait().unwrap();
    let db = Database::open(&dir.0, small_options()).unwrap();
    db.close().unwrap();
}

#[test]
fn same_process_shares_one_engine() {
    let dir = TempDir::new("share");
    let a = Database::open(&dir.0, small_options()).unwrap();
    let b = Database::open(&dir.0, small_options()).unwrap();
    a.put(b"k", b"from a").unwrap();
    assert_eq!(
        b.get(b"k", &ReadAt::default()).unwrap().as_deref(),
        Some(&b"from a"[..])
    );
    a.close().unwrap();
    assert_eq!(
        a.get(b"k", &ReadAt::default()).unwrap_err().code,
        ErrorCode::Closed
    );
    b.put(b"k2", b"still open").unwrap();
    b.close().unwrap();
    let c = Database::open(&dir.0, small_options()).unwrap();
    assert_eq!(
        c.get(b"k2", &ReadAt::default()).unwrap().as_deref(),
        Some(&b"still open"[..])
    );
}
