//! Opening never loses data silently (issue #15): a folder whose MANIFEST
//! is gone, or whose WAL has a damaged record with intact records after it,
//! refuses to open with `TDB_CORRUPT` and deletes nothing; opening with
//! `repair` rebuilds the manifest from the table files / cuts the log at the
//! damage, keeps everything it can, and reports what it did.
mod common;
use common::{mem_db, small_options, Rng};
use std::path::Path;
use std::sync::Arc;
use tensordb::storage::wal::read_segment;
use tensordb::{Backend, Database, MemBackend, Options, ReadAt};

fn try_open(backend: &MemBackend, opts: Options) -> tensordb::Result<Database> {
    Database::open_with_backend(Arc::new(backend.clone()), "/db", opts)
}

fn repair_opts() -> Options {
    Options {
        repair: true,
        ..small_options()
    }
}

fn files(backend: &MemBackend) -> Vec<String> {
    let mut v = backend.list(Path::new("/db")).unwrap();
    v.sort();
    v
}

#[test]
fn missing_manifest_refuses_then_repair_rebuilds_it() {
    let (db, backend) = mem_db(small_options());
    let mut rng = Rng(7);
    let mut want = std::collections::BTreeMap::new();
    // Enough writes for several flushes and compactions, with keys
    // overwritten across tables (their current records differ per table).
    for round in 0..6 {
        for _ in 0..1500 {
            let k = format!("key{:05}", rng.below(3000));
            let v = format!("{k}-round{round}-{}", "x".repeat(40));
            db.put(k.as_bytes(), v.as_bytes()).unwrap();
            want.insert(k, v);
        }
    }
    db.delete(b"key00001").unwrap();
    want.remove("key00001");
    let deleted_before = db.history(b"key00001").unwrap().len();
    // A crash: some data is in tables, the rest only in the WAL.
    let backend = backend.crash();
    std::mem::forget(db);
    let tables = files(&backend)
        .iter()
        .filter(|n| n.ends_with(".sst"))
        .count();
    assert!(tables >= 3, "the test needs several tables, got {tables}");
    backend.remove(Path::new("/db/MANIFEST")).unwrap();
    let before = files(&backend);

    let e = try_open(&backend, small_options())
        .err()
        .expect("must refuse");
    assert_eq!(e.code.as_str(), "TDB_CORRUPT", "{e:?}");
    assert!(e.message.contains("MANIFEST"), "{}", e.message);
    assert_eq!(files(&backend), before, "a refused open changes no file");

    let db = try_open(&backend, repair_opts()).unwrap();
    let r = db.replay_report();
    let rebuilt = r.manifest_rebuilt.expect("rebuilt");
    assert_eq!(rebuilt.tables + rebuilt.unfinished, tables as u64);
    assert!(rebuilt.tables > 0);
    let at = ReadAt::default();
    for (k, v) in &want {
        assert_eq!(
            db.get(k.as_bytes(), &at).unwrap().as_deref(),
            Some(v.as_bytes()),
            "{k}"
        );
    }
    assert_eq!(db.get(b"key00001", &at).unwrap(), None);
    assert_eq!(db.history(b"key00001").unwrap().len(), deleted_before);
    db.close().unwrap();
    // The old table files were set aside, not deleted.
    let aside = rebuilt.aside.expect("a folder for the old tables");
    assert_eq!(backend.list(&aside).unwrap().len(), tables);
    // The rebuilt manifest opens normally, with the same answers.
    let db = try_open(&backend, small_options()).unwrap();
    assert!(!db.replay_report().changed_anything());
    for (k, v) in want.iter().take(200) {
        assert_eq!(
            db.get(k.as_bytes(), &at).unwrap().as_deref(),
            Some(v.as_bytes())
        );
    }
}

fn newest_wal(backend: &MemBackend) -> std::path::PathBuf {
    let names = files(backend);
    for n in names.iter().rev().filter(|n| n.starts_with("wal-")) {
        let p = Path::new("/db").join(n);
        if !read_segment(&backend.file_bytes(&p).unwrap())
            .records
            .is_empty()
        {
            return p;
        }
    }
    panic!("no WAL with records");
}

/// A database that wrote `n` keys (`k0000`, …) and crashed: its backend,
/// the WAL segment holding them and that segment's bytes.
fn crashed_with_keys(n: u32) -> (MemBackend, std::path::PathBuf, Vec<u8>) {
    let (db, backend) = mem_db(Options::default());
    for i in 0..n {
        db.put(format!("k{i:04}").as_bytes(), b"value").unwrap();
    }
    let backend = backend.crash();
    std::mem::forget(db);
    let path = newest_wal(&backend);
    let bytes = backend.file_bytes(&path).unwrap();
    (backend, path, bytes)
}

#[test]
fn corrupt_wal_record_refuses_then_repair_cuts_and_reports() {
    let (backend, path, bytes) = crashed_with_keys(500);
    let read = read_segment(&bytes);
    assert_eq!(read.records.len(), 500);
    // Flip one byte inside record 100's payload.
    let mut off = 0;
    for r in &read.records[..100] {
        off += 8 + r.len();
    }
    let mut bad = bytes.clone();
    bad[off + 8 + 3] ^= 0x5A;
    backend.set_file_bytes(&path, bad.clone());

    let e = try_open(&backend, Options::default())
        .err()
        .expect("must refuse");
    assert_eq!(e.code.as_str(), "TDB_CORRUPT", "{e:?}");
    assert!(e.message.contains("399 intact"), "{}", e.message);
    assert_eq!(
        backend.file_bytes(&path).unwrap(),
        bad,
        "a refused open changes nothing"
    );

    let db = try_open(
        &backend,
        Options {
            repair: true,
            ..Options::default()
        },
    )
    .unwrap();
    let r = db.replay_report();
    assert!(r.corrupt);
    assert_eq!(r.records, 100);
    assert_eq!(r.dropped_records, 399);
    assert_eq!(r.truncated_offset, off as u64);
    assert_eq!(
        r.truncated_segment,
        Some(
            tensordb::storage::wal::parse_segment_name(path.file_name().unwrap().to_str().unwrap())
                .unwrap()
        )
    );
    let at = ReadAt::default();
    assert!(db.get(b"k0099", &at).unwrap().is_some());
    assert!(db.get(b"k0100", &at).unwrap().is_none());
}

#[test]
fn a_torn_tail_is_still_cut_without_repair() {
    let (backend, path, bytes) = crashed_with_keys(50);
    let read = read_segment(&bytes);
    // Cut the last record in half: a torn write.
    let last = read.records[49].len() + 8;
    backend.set_file_bytes(&path, bytes[..read.valid_len - last / 2].to_vec());
    let db = try_open(&backend, Options::default()).unwrap();
    let r = db.replay_report();
    assert!(
        !r.corrupt && r.truncated_bytes > 0 && r.dropped_records == 0,
        "{r:?}"
    );
    assert_eq!(r.records, 49);
}
