//! Model-based test of bitemporal SQL: random interleavings of inserts for
//! valid periods, FOR PORTION OF updates and deletes, and plain UPDATE /
//! DELETE (which apply from now on), checked against a plain in-memory
//! bitemporal model — a list of facts and the read rule — at random
//! (system time, valid time) points, through `FOR SYSTEM_TIME AS OF …
//! FOR VALID_TIME AS OF …`, and through the hidden period columns.
mod common;
use common::{mem_db, small_options, Rng};
use tensordb::sql::Value;
use tensordb::Database;

/// Valid times used: tiny µs values (1970), far before any commit time, so
/// plain writes (valid from their commit time on) never overlap them.
const SPAN: i64 = 40;

#[derive(Clone)]
struct Fact {
    key: i64,
    value: Option<i64>,
    sys: u64,
    from: i64,
    to: i64,
}

/// The read rule: the newest fact (by system time, then order written)
/// known at `t` whose period contains `v`.
fn model_at(facts: &[Fact], key: i64, t: u64, v: i64) -> Option<i64> {
    facts
        .iter()
        .rev()
        .find(|f| f.key == key && f.sys <= t && f.from <= v && v < f.to)
        .and_then(|f| f.value)
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        other => panic!("expected an integer, got {other:?}"),
    }
}

fn run(db: &Database, sql: &str) -> tensordb::Result<tensordb::sql::SqlResult> {
    db.sql(sql, &[])
}

fn check_point(db: &Database, facts: &[Fact], keys: i64, t: u64, v: i64) {
    let r = run(
        db,
        &format!(
            "SELECT id, n, _valid_from, _valid_to FROM m FOR SYSTEM_TIME AS OF {t} \
             FOR VALID_TIME AS OF {v} ORDER BY id"
        ),
    )
    .unwrap();
    let mut got = Vec::new();
    for row in &r.rows {
        let (id, n) = (int(&row[0]), int(&row[1]));
        got.push((id, n));
        // The version's period holds the value at both of its ends.
        let from = int(&row[2]);
        assert!(from <= v, "version starts after the point read");
        assert_eq!(
            model_at(facts, id, t, from),
            Some(n),
            "value at _valid_from"
        );
        if let Value::Int(to) = row[3] {
            assert!(v < to);
            assert_eq!(
                model_at(facts, id, t, to - 1),
                Some(n),
                "value before _valid_to"
            );
        }
    }
    let want: Vec<(i64, i64)> = (0..keys)
        .filter_map(|k| model_at(facts, k, t, v).map(|n| (k, n)))
        .collect();
    assert_eq!(got, want, "rows at system time {t}, valid time {v}");
    // The plain point read (no hidden columns) agrees.
    let r = run(
        db,
        &format!(
            "SELECT id, n FROM m FOR SYSTEM_TIME AS OF {t} FOR VALID_TIME AS OF {v} ORDER BY id"
        ),
    )
    .unwrap();
    let plain: Vec<(i64, i64)> = r.rows.iter().map(|r| (int(&r[0]), int(&r[1]))).collect();
    assert_eq!(plain, want, "plain read at {t}, {v}");
}

fn scenario(seed: u64) {
    let mut rng = Rng(seed);
    let (db, _backend) = mem_db(small_options());
    run(&db, "CREATE TABLE m (id INTEGER PRIMARY KEY, n INTEGER)").unwrap();
    run(&db, "CREATE INDEX m_n ON m(n)").unwrap();
    let keys = 4;
    let mut facts: Vec<Fact> = Vec::new();
    let mut times: Vec<u64> = Vec::new();
    for step in 0..150 {
        let k = rng.below(keys as u64) as i64;
        let a = rng.below(SPAN as u64) as i64;
        let b = a + 1 + rng.below((SPAN - a) as u64) as i64;
        let n = rng.below(100) as i64;
        let now = db.now();
        match rng.below(10) {
            0..=2 => {
                let clash = (a..b).any(|v| model_at(&facts, k, now, v).is_some());
                let r = run(
                    &db,
                    &format!(
                        "INSERT INTO m (id, n, _valid_from, _valid_to) VALUES ({k}, {n}, {a}, {b})"
                    ),
                );
                if clash {
                    assert_eq!(r.unwrap_err().code, tensordb::ErrorCode::Constraint);
                    continue;
                }
                let sys = r.unwrap().system_time.unwrap();
                facts.push(Fact {
                    key: k,
                    value: Some(n),
                    sys,
                    from: a,
                    to: b,
                });
                times.push(sys);
            }
            3..=5 => {
                let r = run(
                    &db,
                    &format!(
                        "UPDATE m FOR PORTION OF VALID_TIME FROM {a} TO {b} SET n = n + {n} \
                         WHERE id = {k}"
                    ),
                )
                .unwrap();
                let old: Vec<(i64, Option<i64>)> =
                    (a..b).map(|v| (v, model_at(&facts, k, now, v))).collect();
                if let Some(sys) = r.system_time {
                    for (v, o) in old {
                        if let Some(o) = o {
                            facts.push(Fact {
                                key: k,
                                value: Some(o + n),
                                sys,
                                from: v,
                                to: v + 1,
                            });
                        }
                    }
                    times.push(sys);
                } else {
                    assert!(
                        old.iter().all(|(_, o)| o.is_none()),
                        "step {step}: no write"
                    );
                }
            }
            6..=7 => {
                let r = run(
                    &db,
                    &format!(
                        "DELETE FROM m FOR PORTION OF VALID_TIME FROM {a} TO {b} WHERE id = {k}"
                    ),
                )
                .unwrap();
                if let Some(sys) = r.system_time {
                    facts.push(Fact {
                        key: k,
                        value: None,
                        sys,
                        from: a,
                        to: b,
                    });
                    times.push(sys);
                }
            }
            8 => {
                // A plain UPDATE applies from its commit time on.
                let r = run(&db, &format!("UPDATE m SET n = {n} WHERE id = {k}")).unwrap();
                if let Some(sys) = r.system_time {
                    facts.push(Fact {
                        key: k,
                        value: Some(n),
                        sys,
                        from: sys as i64,
                        to: i64::MAX,
                    });
                    times.push(sys);
                }
            }
            _ => {
                let r = run(&db, &format!("DELETE FROM m WHERE id = {k}")).unwrap();
                if let Some(sys) = r.system_time {
                    facts.push(Fact {
                        key: k,
                        value: None,
                        sys,
                        from: sys as i64,
                        to: i64::MAX,
                    });
                    times.push(sys);
                }
            }
        }
        if step % 7 == 0 && !times.is_empty() {
            let t = times[rng.below(times.len() as u64) as usize];
            let t = if rng.below(3) == 0 { t - 1 } else { t };
            check_point(&db, &facts, keys, t, rng.below(SPAN as u64) as i64);
        }
    }
    // Final sweep: every recorded system time, many valid times, plus "now".
    let far = 4_102_444_800_000_000; // 2100-01-01
    for &t in times.iter().step_by(3) {
        for v in (0..SPAN).step_by(3) {
            check_point(&db, &facts, keys, t, v);
        }
        check_point(&db, &facts, keys, t, far);
    }
    // The index agrees with the rows at a past valid time.
    let t = *times.last().unwrap();
    for v in (0..SPAN).step_by(5) {
        for k in 0..keys {
            if let Some(n) = model_at(&facts, k, t, v) {
                let r = run(
                    &db,
                    &format!("SELECT id FROM m FOR VALID_TIME AS OF {v} WHERE n = {n}"),
                )
                .unwrap();
                assert!(
                    r.rows.iter().any(|r| int(&r[0]) == k),
                    "index lookup n = {n} at valid time {v} misses id {k}"
                );
            }
        }
    }
}

#[test]
fn bitemporal_sql_matches_model() {
    for seed in [0x0B17_E4A1, 0x5EED_0002, 0xDEAD_BEEF_0003, 0x1234_5678_9ABC] {
        scenario(seed);
    }
}
