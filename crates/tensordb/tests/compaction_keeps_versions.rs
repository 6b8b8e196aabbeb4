//! Flushes and leveled compaction keep every version of every key: history
//! and time travel return the same answers before and after.
mod common;
use common::{mem_db, reopen, small_options};
use tensordb::{ReadAt, ScanRange};

#[test]
fn compaction_keeps_all_versions() {
    let (db, backend) = mem_db(small_options());
    let mut times = Vec::new();
    for version in 0..20u32 {
        for k in 0..300u32 {
            let t = db
                .put(
                    format!("k{k:04}").as_bytes(),
                    format!("v{version}-{k}").as_bytes(),
                )
                .unwrap();
            if k == 0 {
                times.push(t);
            }
        }
    }
    db.flush().unwrap();
    let before: Vec<_> = (0..300u32)
        .map(|k| db.history(format!("k{k:04}").as_bytes()).unwrap())
        .collect();
    db.compact().unwrap();
    let counts = db.level_counts();
    assert!(
        counts.iter().all(|s| s[0] == 0),
        "level 0 compacted away: {counts:?}"
    );
    for k in 0..300u32 {
        let h = db.history(format!("k{k:04}").as_bytes()).unwrap();
        assert_eq!(h.len(), 20);
        assert_eq!(h, before[k as usize]);
    }
    // Time travel to each version of key 0.
    for (version, &t) in times.iter().enumerate() {
        let at = ReadAt {
            as_of: Some(t),
            ..Default::default()
        };
        let v = db.get(b"k0000", &at).unwrap().unwrap();
        assert_eq!(v, format!("v{version}-0").into_bytes());
    }
    db.close().unwrap();
    let db = reopen(&backend, small_options());
    assert_eq!(db.history(b"k0123").unwrap().len(), 20);
    let rows = db.scan(&ScanRange::default(), &ReadAt::default()).unwrap();
    assert_eq!(rows.len(), 300);
    assert!(rows
        .iter()
        .all(|(k, v)| v.starts_with(b"v19-") && k.starts_with(b"k")));
}
