//! Keys containing 0x00, and keys that are prefixes of other keys, never read
//! another key's value, in point reads, prefix scans and history — both from
//! memtables and, after a reopen, from SSTables.
mod common;
use common::{mem_db, reopen, small_options};
use tensordb::{Database, ReadAt, ScanRange};

const KEYS: [&[u8]; 9] = [
    b"", b"\0", b"\0\0", b"a", b"a\0", b"a\0b", b"a\x01", b"ab", b"\xff",
];

fn check(db: &Database) {
    let at = ReadAt::default();
    for (i, k) in KEYS.iter().enumerate() {
        assert_eq!(
            db.get(k, &at).unwrap(),
            Some(format!("v{i}").into_bytes()),
            "{k:?}"
        );
        assert_eq!(db.history(k).unwrap().len(), 1, "{k:?}");
    }
    assert_eq!(db.get(b"a\0\0", &at).unwrap(), None);
    assert_eq!(db.get(b"abc", &at).unwrap(), None);
    let pref = |p: &[u8]| {
        db.scan(
            &ScanRange {
                prefix: Some(p.to_vec()),
                ..Default::default()
            },
            &at,
        )
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect::<Vec<_>>()
    };
    let v = |ks: &[&[u8]]| ks.iter().map(|k| k.to_vec()).collect::<Vec<_>>();
    assert_eq!(pref(b"a"), v(&[b"a", b"a\0", b"a\0b", b"a\x01", b"ab"]));
    assert_eq!(pref(b"a\0"), v(&[b"a\0", b"a\0b"]));
    assert_eq!(pref(b"\0"), v(&[b"\0", b"\0\0"]));
    assert_eq!(pref(b"").len(), KEYS.len());
}

#[test]
fn zero_bytes_and_prefix_keys_stay_apart() {
    let (db, backend) = mem_db(small_options());
    for (i, k) in KEYS.iter().enumerate() {
        db.put(k, format!("v{i}").as_bytes()).unwrap();
    }
    check(&db);
    db.close().unwrap();
    let db = reopen(&backend, small_options());
    check(&db);
}
