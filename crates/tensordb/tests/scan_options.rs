//! Range and prefix scans: bounds, limit, reverse order, across shards,
//! memtables and tables, at a past system time.
mod common;
use common::{mem_db, small_options};
use tensordb::{ReadAt, ScanRange};

#[test]
fn range_prefix_limit_reverse() {
    let (db, _b) = mem_db(small_options());
    for i in 0..1000u32 {
        db.put(format!("user:{i:04}").as_bytes(), format!("{i}").as_bytes())
            .unwrap();
        if i == 500 {
            db.flush().unwrap();
        }
    }
    db.put(b"zzz", b"other").unwrap();
    let t_before = db.now();
    db.delete(b"user:0002").unwrap();
    db.put(b"user:0003", b"changed").unwrap();
    let at = ReadAt::default();
    let keys = |r: ScanRange, at: &ReadAt| {
        db.scan(&r, at)
            .unwrap()
            .into_iter()
            .map(|(k, _)| String::from_utf8(k).unwrap())
            .collect::<Vec<_>>()
    };
    let first = keys(
        ScanRange {
            prefix: Some(b"user:".to_vec()),
            limit: Some(3),
            ..Default::default()
        },
        &at,
    );
    assert_eq!(first, vec!["user:0000", "user:0001", "user:0003"]);
    let last = keys(
        ScanRange {
            prefix: Some(b"user:".to_vec()),
            limit: Some(2),
            reverse: true,
            ..Default::default()
        },
        &at,
    );
    assert_eq!(last, vec!["user:0999", "user:0998"]);
    let mid = keys(
        ScanRange {
            start: Some(b"user:0100".to_vec()),
            end: Some(b"user:0105".to_vec()),
            ..Default::default()
        },
        &at,
    );
    assert_eq!(
        mid,
        vec![
            "user:0100",
            "user:0101",
            "user:0102",
            "user:0103",
            "user:0104"
        ]
    );
    let mid_rev = keys(
        ScanRange {
            start: Some(b"user:0100".to_vec()),
            end: Some(b"user:0105".to_vec()),
            reverse: true,
            ..Default::default()
        },
        &at,
    );
    assert_eq!(
        mid_rev,
        vec![
            "user:0104",
            "user:0103",
            "user:0102",
            "user:0101",
            "user:0100"
        ]
    );
    assert_eq!(keys(ScanRange::default(), &at).len(), 1000);
    // As of before the delete, user:0002 is there with its old value.
    let past = ReadAt {
        as_of: Some(t_before),
        ..Default::default()
    };
    let rows = db
        .scan(
            &ScanRange {
                prefix: Some(b"user:000".to_vec()),
                ..Default::default()
            },
            &past,
        )
        .unwrap();
    assert_eq!(rows.len(), 10);
    assert_eq!(rows[3].1, b"3".to_vec());
    let empty = keys(
        ScanRange {
            start: Some(b"b".to_vec()),
            end: Some(b"a".to_vec()),
            ..Default::default()
        },
        &at,
    );
    assert!(empty.is_empty());
}
