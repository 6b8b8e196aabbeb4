//! `AS OF EPOCH n` in SQL: a cross-shard consistent snapshot. Rows of one
//! table hash to every shard; a transaction moving money between them
//! commits atomically, so every epoch sees the same total, for the whole
//! table, for joins of two tables read at different epochs, and in a
//! history query.
mod common;
use common::{mem_db, small_options};
use tensordb::sql::Value;

fn int(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        other => panic!("expected an integer, got {other:?}"),
    }
}

#[test]
fn sql_as_of_epoch_is_consistent_across_shards() {
    let (db, _backend) = mem_db(small_options());
    db.sql(
        "CREATE TABLE acct (id INTEGER PRIMARY KEY, bal INTEGER)",
        &[],
    )
    .unwrap();
    let values: Vec<String> = (0..64).map(|i| format!("({i}, 100)")).collect();
    db.sql(
        &format!("INSERT INTO acct VALUES {}", values.join(", ")),
        &[],
    )
    .unwrap();
    let mut epochs = Vec::new();
    for round in 0..20i64 {
        let (from, to) = (round % 64, (round * 7 + 3) % 64);
        db.sql(
            &format!(
                "BEGIN; UPDATE acct SET bal = bal - 10 WHERE id = {from}; \
                 UPDATE acct SET bal = bal + 10 WHERE id = {to}; COMMIT"
            ),
            &[],
        )
        .unwrap();
        if round % 4 == 0 {
            epochs.push((db.advance_epoch().unwrap().0, round));
        }
    }
    for &(e, _) in &epochs {
        let r = db
            .sql(
                &format!("SELECT sum(bal), count(*) FROM acct AS OF EPOCH {e}"),
                &[],
            )
            .unwrap();
        assert_eq!((int(&r.rows[0][0]), int(&r.rows[0][1])), (6400, 64));
    }
    // Account 1 paid 10 in round 1: 100 at the first epoch (round 0), 90 at
    // the last (round 16); a join reads each side at its own epoch.
    let (first, last) = (epochs[0].0, epochs.last().unwrap().0);
    let r = db
        .sql(
            &format!(
                "SELECT a.bal, b.bal FROM acct AS OF EPOCH {first} a \
                 JOIN acct FOR SYSTEM_TIME AS OF EPOCH {last} b ON a.id = b.id WHERE a.id = 1"
            ),
            &[],
        )
        .unwrap();
    assert_eq!((int(&r.rows[0][0]), int(&r.rows[0][1])), (100, 90));
    // An unknown epoch is an error, not an empty answer.
    let err = db
        .sql("SELECT * FROM acct AS OF EPOCH 999", &[])
        .unwrap_err();
    assert_eq!(err.code, tensordb::ErrorCode::InvalidArgument, "{err}");
    // History of one key: every version with its system period, newest
    // last; the periods chain without gaps.
    let r = db
        .sql(
            "SELECT bal, _system_from, _system_to FROM acct FOR SYSTEM_TIME ALL \
             WHERE id = 3 ORDER BY _system_from",
            &[],
        )
        .unwrap();
    assert!(r.rows.len() >= 2);
    for w in r.rows.windows(2) {
        assert_eq!(int(&w[0][2]), int(&w[1][1]));
    }
    assert_eq!(r.rows.last().unwrap()[2], Value::Null);
}
