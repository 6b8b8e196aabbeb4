//! Consumer groups: members of one group share a feed, each change to
//! exactly one of them and every change of a key to the same member in
//! commit order; a member that leaves has its partitions (and whatever it
//! was handed but did not acknowledge) taken over by the others; positions
//! survive a reopen.
mod common;
use common::{mem_db, reopen, small_options};
use std::collections::{HashMap, HashSet};
use tensordb::{Database, Position};

fn put(db: &Database, n: usize, tag: &str) {
    for i in 0..n {
        db.put(
            format!("k{:03}", i % 40).as_bytes(),
            format!("{tag}{i}").as_bytes(),
        )
        .unwrap();
    }
}

type Seen = Vec<(u32, Position, Vec<u8>, Vec<u8>)>;

fn take(db: &Database, group: &str, member: u64, max: usize) -> Seen {
    let mut out = Vec::new();
    loop {
        let b = db.group_changes(group, member, b"k", max).unwrap();
        if b.changes.is_empty() {
            return out;
        }
        for (p, c) in b.changes {
            let pos = Position {
                sys: c.sys,
                seq: c.seq,
            };
            out.push((p, pos, c.key, c.value.unwrap_or_default()));
        }
    }
}

#[test]
fn members_share_the_feed_each_change_once_keys_in_order() {
    let (db, _b) = mem_db(small_options());
    let a = db.group_join("billing").unwrap();
    let b = db.group_join("billing").unwrap();
    let pa: HashSet<u32> = db
        .group_partitions("billing", a)
        .unwrap()
        .into_iter()
        .collect();
    let pb: HashSet<u32> = db
        .group_partitions("billing", b)
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(pa.len() + pb.len(), 16);
    assert!(pa.is_disjoint(&pb));
    put(&db, 400, "v");
    let sa = take(&db, "billing", a, 7);
    let sb = take(&db, "billing", b, 7);
    assert_eq!(sa.len() + sb.len(), 400, "every change once");
    let keys_a: HashSet<&Vec<u8>> = sa.iter().map(|s| &s.2).collect();
    let keys_b: HashSet<&Vec<u8>> = sb.iter().map(|s| &s.2).collect();
    assert!(keys_a.is_disjoint(&keys_b), "a key goes to one member");
    assert!(sa.iter().all(|s| pa.contains(&s.0)) && sb.iter().all(|s| pb.contains(&s.0)));
    for seen in [&sa, &sb] {
        let mut last: HashMap<&Vec<u8>, Position> = HashMap::new();
        for (_, pos, key, _) in seen.iter() {
            if let Some(prev) = last.insert(key, *pos) {
                assert!(prev < *pos, "commit order per key");
            }
        }
    }
    // Nothing more until new writes.
    assert!(take(&db, "billing", a, 7).is_empty());
    // Another group reads the same feed on its own.
    let c = db.group_join("audit").unwrap();
    assert_eq!(take(&db, "audit", c, 50).len(), 400);
}

#[test]
fn a_leaving_member_is_rebalanced_and_unacknowledged_changes_come_again() {
    let (db, backend) = mem_db(small_options());
    let a = db.group_join("g").unwrap();
    let b = db.group_join("g").unwrap();
    put(&db, 200, "v");
    let sa = take(&db, "g", a, 10);
    let sb = take(&db, "g", b, 10);
    assert_eq!(sa.len() + sb.len(), 200);
    // b acknowledges everything; a only the first half of what it got.
    for (p, pos, _, _) in &sb {
        db.group_ack("g", *p, *pos).unwrap();
    }
    let half = sa.len() / 2;
    for (p, pos, _, _) in &sa[..half] {
        db.group_ack("g", *p, *pos).unwrap();
    }
    db.group_leave("g", a).unwrap();
    assert_eq!(db.group_partitions("g", b).unwrap().len(), 16);
    // b takes over a's partitions from their acknowledged positions: exactly
    // what a was handed but did not acknowledge.
    let again = take(&db, "g", b, 10);
    let want: Vec<(u32, Position)> = sa[half..].iter().map(|s| (s.0, s.1)).collect();
    let mut got: Vec<(u32, Position)> = again.iter().map(|s| (s.0, s.1)).collect();
    let mut want_sorted = want.clone();
    want_sorted.sort();
    got.sort();
    // a's acknowledged positions are per partition: what a got after its
    // last acknowledged change of a partition comes again.
    let acked: HashMap<u32, Position> = sa[..half].iter().fold(HashMap::new(), |mut m, s| {
        let e = m.entry(s.0).or_insert(s.1);
        if s.1 > *e {
            *e = s.1;
        }
        m
    });
    let expect: Vec<(u32, Position)> = {
        let mut v: Vec<(u32, Position)> = sa
            .iter()
            .filter(|s| acked.get(&s.0).is_none_or(|a| s.1 > *a))
            .map(|s| (s.0, s.1))
            .collect();
        v.sort();
        v
    };
    assert_eq!(got, expect);
    assert!(
        want_sorted.iter().all(|w| got.contains(w)),
        "nothing unacknowledged is lost"
    );
    for (p, pos, _, _) in &again {
        db.group_ack("g", *p, *pos).unwrap();
    }
    // Positions are durable: after a reopen a new member resumes after them.
    drop(db);
    let db = reopen(&backend, small_options());
    let c = db.group_join("g").unwrap();
    assert!(take(&db, "g", c, 10).is_empty());
    put(&db, 5, "w");
    assert_eq!(take(&db, "g", c, 10).len(), 5);
    // Errors: not a member, bad names.
    assert!(db.group_changes("g", 999, b"k", 1).is_err());
    assert!(db.group_join("").is_err());
}

#[test]
fn a_sql_table_feed_is_shared_by_partition_with_rows_decoded() {
    let (db, _b) = mem_db(small_options());
    db.sql("CREATE TABLE jobs (id INTEGER PRIMARY KEY, who TEXT)", &[])
        .unwrap();
    for i in 0..30 {
        db.sql(&format!("INSERT INTO jobs VALUES ({i}, 'w{i}')"), &[])
            .unwrap();
    }
    let a = db.group_join("t").unwrap();
    let b = db.group_join("t").unwrap();
    let ra = db.table_group_changes("jobs", "t", a, 100).unwrap();
    let rb = db.table_group_changes("jobs", "t", b, 100).unwrap();
    assert_eq!(ra.columns[6], "_partition");
    assert_eq!(ra.rows.len() + rb.rows.len(), 30);
    let ids = |r: &tensordb::sql::SqlResult| -> Vec<i64> {
        r.rows
            .iter()
            .map(|row| match row[7] {
                tensordb::sql::Value::Int(i) => i,
                ref v => panic!("{v:?}"),
            })
            .collect()
    };
    let mut all: Vec<i64> = ids(&ra).into_iter().chain(ids(&rb)).collect();
    all.sort();
    assert_eq!(all, (0..30).collect::<Vec<_>>());
}
