//! BACKUP / VERIFY BACKUP / RESTORE and RESTORE TABLE: a full backup plus
//! two incrementals restore into a new database that answers exactly like
//! the source — every table compared at every epoch, and every bitemporal
//! version compared — while damaged, truncated or out-of-order backups are
//! refused with stable codes.
mod common;
use common::{mem_db, small_options, TempDir};
use tensordb::sql::Value;
use tensordb::{Database, ErrorCode};

fn sql(db: &Database, text: &str) -> tensordb::sql::SqlResult {
    db.sql(text, &[]).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        other => panic!("expected an integer, got {other:?}"),
    }
}

/// Epoch of a BACKUP result row.
fn backup(db: &Database, text: &str) -> (u64, i64, i64) {
    let r = sql(db, text);
    assert_eq!(r.columns, ["since", "to", "epoch", "commits", "facts"]);
    (
        int(&r.rows[0][2]) as u64,
        int(&r.rows[0][3]),
        int(&r.rows[0][4]),
    )
}

fn writes(db: &Database, round: i64) {
    for i in 0..20 {
        let id = round * 7 + i;
        sql(
            db,
            &format!("INSERT INTO acct (id, owner, bal) VALUES ({id}, 'owner{id}', {}) ON CONFLICT DO NOTHING", i * 10),
        );
    }
    sql(
        db,
        &format!("UPDATE acct SET bal = bal + 1 WHERE id % 3 = {}", round % 3),
    );
    sql(db, &format!("DELETE FROM acct WHERE id = {}", round * 5));
    sql(
        db,
        &format!(
            "UPDATE acct FOR PORTION OF VALID_TIME FROM '2020-01-0{}' TO '2021-01-01' SET bal = -{round} WHERE id < 10",
            round + 1
        ),
    );
    sql(
        db,
        &format!(
            "INSERT INTO ev (id, what, _valid_from, _valid_to) VALUES ({round}, 'e{round}', '201{round}-01-01', '201{round}-06-01')"
        ),
    );
}

/// Everything a query can see, at every epoch, plus every version.
fn snapshot(db: &Database, epochs: u64) -> Vec<Vec<Vec<Value>>> {
    let mut out = Vec::new();
    for e in 1..=epochs {
        for q in [
            "SELECT * FROM acct AS OF EPOCH {e} ORDER BY id",
            "SELECT id, owner FROM acct AS OF EPOCH {e} WHERE owner = 'owner3'",
            "SELECT * FROM ev AS OF EPOCH {e} FOR VALID_TIME ALL ORDER BY id",
        ] {
            out.push(sql(db, &q.replace("{e}", &e.to_string())).rows);
        }
    }
    out.push(
        sql(
            db,
            "SELECT *, _system_from, _system_to, _valid_from, _valid_to FROM acct \
             FOR SYSTEM_TIME ALL FOR VALID_TIME ALL ORDER BY id, _system_from, _valid_from",
        )
        .rows,
    );
    out
}

#[test]
fn full_and_incremental_backups_restore_exactly() {
    let dir = TempDir::new("backup");
    let (src, _b) = mem_db(small_options());
    sql(
        &src,
        "CREATE TABLE acct (id INTEGER PRIMARY KEY, owner TEXT, bal INTEGER)",
    );
    sql(&src, "CREATE INDEX acct_owner ON acct(owner)");
    sql(&src, "CREATE TABLE ev (id INTEGER PRIMARY KEY, what TEXT)");
    writes(&src, 0);
    src.advance_epoch().unwrap();
    writes(&src, 1);
    let full = dir.0.join("full.tdbbak");
    let (e_full, commits, facts) = backup(&src, &format!("BACKUP TO '{}'", full.display()));
    assert!(commits > 0 && facts > commits);
    writes(&src, 2);
    src.advance_epoch().unwrap();
    let inc1 = dir.0.join("inc1.tdbbak");
    let (e1, _, _) = backup(
        &src,
        &format!("BACKUP TO '{}' SINCE EPOCH {e_full}", inc1.display()),
    );
    writes(&src, 3);
    sql(&src, "ALTER TABLE acct ADD COLUMN note TEXT DEFAULT 'n'");
    writes(&src, 4);
    let inc2 = dir.0.join("inc2.tdbbak");
    let (e2, _, _) = backup(
        &src,
        &format!("BACKUP TO '{}' SINCE EPOCH {e1}", inc2.display()),
    );
    // VERIFY reads counts without restoring.
    let v = sql(&src, &format!("VERIFY BACKUP '{}'", full.display()));
    assert_eq!((int(&v.rows[0][3]), int(&v.rows[0][4])), (commits, facts));
    // Overwriting a file is refused.
    let err = src
        .sql(&format!("BACKUP TO '{}'", full.display()), &[])
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidArgument);

    let (dst, _b2) = mem_db(small_options());
    // An incremental first, or out of order, is refused.
    let err = dst
        .sql(&format!("RESTORE FROM '{}'", inc1.display()), &[])
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidArgument, "{err}");
    sql(&dst, &format!("RESTORE FROM '{}'", full.display()));
    let err = dst
        .sql(&format!("RESTORE FROM '{}'", inc2.display()), &[])
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidArgument, "{err}");
    sql(&dst, &format!("RESTORE FROM '{}'", inc1.display()));
    sql(&dst, &format!("RESTORE FROM '{}'", inc2.display()));
    assert_eq!(
        dst.now(),
        src.now(),
        "restored up to the last backup's epoch"
    );
    assert_eq!(snapshot(&dst, e2), snapshot(&src, e2));
    // The restored database keeps working: new writes, new epochs.
    sql(
        &dst,
        "INSERT INTO acct (id, owner, bal) VALUES (1000, 'new', 1)",
    );
    assert_eq!(dst.advance_epoch().unwrap().0, e2 + 1);
    // A full backup into a database that has data is refused.
    let err = dst
        .sql(&format!("RESTORE FROM '{}'", full.display()), &[])
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidArgument);
}

#[test]
fn damaged_backups_are_refused() {
    let dir = TempDir::new("backup-bad");
    let (src, _b) = mem_db(small_options());
    sql(&src, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
    for i in 0..50 {
        sql(&src, &format!("INSERT INTO t VALUES ({i}, 'value {i}')"));
    }
    let path = dir.0.join("b.tdbbak");
    sql(&src, &format!("BACKUP TO '{}'", path.display()));
    let bytes = std::fs::read(&path).unwrap();
    let check = |b: &[u8], name: &str| {
        let p = dir.0.join(name);
        std::fs::write(&p, b).unwrap();
        src.sql(&format!("VERIFY BACKUP '{}'", p.display()), &[])
            .unwrap_err()
    };
    // A flipped bit anywhere: header, a frame, the trailer.
    for at in [12, bytes.len() / 2, bytes.len() - 6] {
        let mut b = bytes.clone();
        b[at] ^= 0x10;
        let e = check(&b, &format!("flip{at}"));
        assert_eq!(e.code, ErrorCode::Corrupt, "flip at {at}: {e}");
    }
    // Truncated anywhere.
    for cut in [10, 60, bytes.len() / 3, bytes.len() - 1] {
        let e = check(&bytes[..cut], &format!("cut{cut}"));
        assert!(
            matches!(e.code, ErrorCode::Corrupt | ErrorCode::InvalidArgument),
            "cut at {cut}: {e}"
        );
    }
    // Not a backup at all; missing file.
    let e = check(
        b"hello, world, this is not a backup file at all......",
        "junk",
    );
    assert_eq!(e.code, ErrorCode::InvalidArgument);
    let e = src
        .sql("VERIFY BACKUP '/nonexistent/x.tdbbak'", &[])
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument);
    // A damaged file restores nothing.
    let (dst, _b2) = mem_db(small_options());
    let mut b = bytes.clone();
    let mid = b.len() / 2;
    b[mid] ^= 1;
    let p = dir.0.join("damaged");
    std::fs::write(&p, &b).unwrap();
    assert!(dst
        .sql(&format!("RESTORE FROM '{}'", p.display()), &[])
        .is_err());
    assert_eq!(dst.now(), 0);
}

#[test]
fn restore_table_brings_back_an_epoch_as_new_facts() {
    let (db, _b) = mem_db(small_options());
    sql(
        &db,
        "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER)",
    );
    sql(&db, "CREATE INDEX p_name ON p(name)");
    sql(
        &db,
        "INSERT INTO p VALUES (1, 'a', 10), (2, 'b', 20), (3, 'c', 30)",
    );
    sql(
        &db,
        "INSERT INTO p (id, name, qty, _valid_from, _valid_to) VALUES (4, 'd', 40, '2020-01-01', '2021-01-01')",
    );
    let (e, _) = db.advance_epoch().unwrap();
    let before = snapshot_p(&db, &format!("AS OF EPOCH {e}"));
    // Damage: updates, a delete, an insert, a retroactive correction.
    sql(&db, "UPDATE p SET qty = 0");
    sql(&db, "DELETE FROM p WHERE id = 2");
    sql(&db, "INSERT INTO p VALUES (5, 'e', 50)");
    sql(
        &db,
        "UPDATE p FOR PORTION OF VALID_TIME FROM '2020-03-01' TO '2020-04-01' SET name = 'x' WHERE id = 4",
    );
    assert_ne!(snapshot_p(&db, ""), before);
    let r = sql(&db, &format!("RESTORE TABLE p TO EPOCH {e}"));
    assert_eq!(r.changes, 5, "rows 1-5 all changed");
    assert_eq!(snapshot_p(&db, ""), before);
    // The index agrees, at now and in the corrected past.
    let q = |t: &str| sql(&db, t).rows.len();
    assert_eq!(q("SELECT id FROM p WHERE name = 'b'"), 1);
    assert_eq!(q("SELECT id FROM p WHERE name = 'e'"), 0);
    assert_eq!(
        q("SELECT id FROM p FOR VALID_TIME AS OF '2020-03-15' WHERE name = 'd'"),
        1
    );
    assert_eq!(
        q("SELECT id FROM p FOR VALID_TIME AS OF '2020-03-15' WHERE name = 'x'"),
        0
    );
    // History is kept: the damage is still visible in system time.
    assert!(q("SELECT id FROM p FOR SYSTEM_TIME ALL WHERE qty = 0") >= 3);
    // Restoring again changes nothing.
    assert_eq!(
        sql(&db, &format!("RESTORE TABLE p TO EPOCH {e}")).changes,
        0
    );
}

/// Every row's valid-time timeline, adjacent periods with equal values
/// merged (a restore may split a period where the damage had split it).
fn snapshot_p(db: &Database, clause: &str) -> Vec<Vec<Value>> {
    let rows = sql(
        db,
        &format!(
            "SELECT id, name, qty, _valid_from, _valid_to FROM p {clause} FOR VALID_TIME ALL \
             ORDER BY id, _valid_from"
        ),
    )
    .rows;
    let mut out: Vec<Vec<Value>> = Vec::new();
    for r in rows {
        if let Some(last) = out.last_mut() {
            if last[..3] == r[..3] && last[4] == r[3] {
                last[4] = r[4].clone();
                continue;
            }
        }
        out.push(r);
    }
    out
}
