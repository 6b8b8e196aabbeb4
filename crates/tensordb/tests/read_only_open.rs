//! A read-only open (issue #15) works on a folder the process cannot write
//! (no LOCK file created, nothing truncated, no background work), answers
//! reads and SQL, and refuses every write with `TDB_READ_ONLY`.
mod common;
use common::TempDir;
use std::os::unix::fs::PermissionsExt;
use tensordb::{Database, Options, ReadAt};

fn set_mode(dir: &std::path::Path, mode: u32) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        std::fs::set_permissions(
            &p,
            std::fs::Permissions::from_mode(if p.is_dir() { mode | 0o111 } else { mode }),
        )
        .unwrap();
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode | 0o111)).unwrap();
}

#[test]
fn read_only_folder_opens_reads_and_refuses_writes() {
    let tmp = TempDir::new("ro");
    let dir = tmp.0.join("db");
    {
        let db = Database::open_unshared(&dir, Options::default()).unwrap();
        db.put(b"k", b"v").unwrap();
        db.sql("CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT)", &[])
            .unwrap();
        db.sql("INSERT INTO t VALUES (1, 'one')", &[]).unwrap();
        db.close().unwrap();
    }
    // A second writer-less copy also has unflushed WAL: write, then drop
    // without close (the WAL keeps the last write).
    {
        let db = Database::open_unshared(&dir, Options::default()).unwrap();
        db.put(b"w", b"in the wal").unwrap();
        std::mem::forget(db);
    }
    std::fs::remove_file(dir.join("LOCK")).ok();
    let before: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    set_mode(&dir, 0o444);
    let opts = Options {
        read_only: true,
        ..Options::default()
    };
    let db = Database::open_unshared(&dir, opts).unwrap();
    let at = ReadAt::default();
    assert_eq!(db.get(b"k", &at).unwrap().as_deref(), Some(&b"v"[..]));
    assert_eq!(
        db.get(b"w", &at).unwrap().as_deref(),
        Some(&b"in the wal"[..])
    );
    assert_eq!(db.sql("SELECT s FROM t", &[]).unwrap().rows.len(), 1);
    for e in [
        db.put(b"x", b"y").unwrap_err(),
        db.sql("INSERT INTO t VALUES (2, 'two')", &[]).unwrap_err(),
        db.sql("CREATE TABLE u (a INTEGER)", &[]).unwrap_err(),
        db.advance_epoch().unwrap_err(),
        db.compact().unwrap_err(),
    ] {
        assert_eq!(e.code.as_str(), "TDB_READ_ONLY", "{e:?}");
    }
    db.close().unwrap();
    set_mode(&dir, 0o755);
    let after: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(before, after, "a read-only open changes no file");
    // Repair cannot run read-only; a missing folder is not created.
    let e = Database::open_unshared(
        &dir,
        Options {
            read_only: true,
            repair: true,
            ..Options::default()
        },
    )
    .err()
    .unwrap();
    assert_eq!(e.code.as_str(), "TDB_INVALID_ARGUMENT");
    assert!(Database::open_unshared(
        tmp.0.join("missing"),
        Options {
            read_only: true,
            ..Options::default()
        }
    )
    .is_err());
    assert!(!tmp.0.join("missing").exists());
}
