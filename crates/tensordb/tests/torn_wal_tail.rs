//! A WAL whose last record is torn at any byte offset (or followed by garbage)
//! opens cleanly: the torn record is cut off and reported, never replayed,
//! never a panic; every earlier record survives.
mod common;
use common::{mem_db, reopen, small_options};
use std::path::Path;
use tensordb::storage::wal::read_segment;
use tensordb::ReadAt;

fn wal_file(backend: &tensordb::MemBackend) -> std::path::PathBuf {
    use tensordb::Backend;
    let mut names: Vec<String> = backend
        .list(Path::new("/db"))
        .unwrap()
        .into_iter()
        .filter(|n| n.starts_with("wal-"))
        .collect();
    names.sort();
    // The newest non-empty segment holds the writes.
    for n in names.iter().rev() {
        let p = Path::new("/db").join(n);
        if !backend.file_bytes(&p).unwrap().is_empty() {
            return p;
        }
    }
    panic!("no WAL with data");
}

#[test]
fn torn_tail_at_every_offset() {
    let (db, backend) = mem_db(small_options());
    db.put(b"a", b"first").unwrap();
    db.put(b"b", b"second").unwrap();
    db.put(b"c", b"the last record, which will be torn")
        .unwrap();
    let backend = backend.crash();
    std::mem::forget(db);
    let path = wal_file(&backend);
    let full = backend.file_bytes(&path).unwrap();
    let recs = read_segment(&full);
    assert_eq!(recs.records.len(), 3);
    assert_eq!(
        recs.damaged_len, 0,
        "the preallocated tail is zeros, not damage"
    );
    let end = recs.valid_len;
    let start = end - (recs.records[2].len() + 8);
    for cut in start..end {
        let b2 = tensordb::MemBackend::new();
        // Copy every file, then tear the WAL at `cut`.
        use tensordb::Backend;
        for n in backend.list(Path::new("/db")).unwrap() {
            let p = Path::new("/db").join(&n);
            b2.set_file_bytes(&p, backend.file_bytes(&p).unwrap());
        }
        b2.set_file_bytes(&path, full[..cut].to_vec());
        let db = reopen(&b2, small_options());
        let r = db.replay_report();
        assert_eq!(r.records, 2, "cut at {cut}");
        // Damage is counted up to the last non-zero byte of the torn record.
        let damaged = full[start..cut]
            .iter()
            .rposition(|&b| b != 0)
            .map_or(0, |i| i + 1);
        assert_eq!(r.truncated_bytes as usize, damaged, "cut at {cut}");
        let at = ReadAt::default();
        assert_eq!(db.get(b"a", &at).unwrap().as_deref(), Some(&b"first"[..]));
        assert_eq!(db.get(b"b", &at).unwrap().as_deref(), Some(&b"second"[..]));
        assert_eq!(db.get(b"c", &at).unwrap(), None, "cut at {cut}");
        db.close().unwrap();
    }
}

#[test]
fn garbage_and_bit_flips_in_tail_are_cut() {
    let (db, backend) = mem_db(small_options());
    db.put(b"a", b"1").unwrap();
    db.put(b"b", b"2").unwrap();
    let backend = backend.crash();
    std::mem::forget(db);
    let path = wal_file(&backend);
    let full = backend.file_bytes(&path).unwrap();
    // Flip each bit of the last record's bytes in turn.
    let recs = read_segment(&full);
    let start = recs.valid_len - (recs.records[1].len() + 8);
    for i in start..recs.valid_len {
        for bit in [0x01u8, 0x80] {
            let b2 = tensordb::MemBackend::new();
            use tensordb::Backend;
            for n in backend.list(Path::new("/db")).unwrap() {
                let p = Path::new("/db").join(&n);
                b2.set_file_bytes(&p, backend.file_bytes(&p).unwrap());
            }
            let mut bytes = full.clone();
            bytes[i] ^= bit;
            b2.set_file_bytes(&path, bytes);
            let db = reopen(&b2, small_options());
            let at = ReadAt::default();
            assert_eq!(db.get(b"a", &at).unwrap().as_deref(), Some(&b"1"[..]));
            assert_eq!(db.get(b"b", &at).unwrap(), None, "flip at {i}");
            db.close().unwrap();
        }
    }
    // Garbage right after the intact records, inside the preallocated zeros.
    let mut bytes = full.clone();
    bytes[recs.valid_len..recs.valid_len + 37].copy_from_slice(&[0xAB; 37]);
    let b2 = tensordb::MemBackend::new();
    use tensordb::Backend;
    for n in backend.list(Path::new("/db")).unwrap() {
        let p = Path::new("/db").join(&n);
        b2.set_file_bytes(&p, backend.file_bytes(&p).unwrap());
    }
    b2.set_file_bytes(&path, bytes);
    let db = reopen(&b2, small_options());
    assert_eq!(db.replay_report().truncated_bytes, 37);
    assert_eq!(
        db.get(b"b", &ReadAt::default()).unwrap().as_deref(),
        Some(&b"2"[..])
    );
}
