//! Random puts, deletes and valid-time corrections, with flushes, compactions
//! and reopens mixed in, checked against a plain in-memory model of the read
//! rule at random (system time, valid time) points, for point reads and
//! forward/reverse range scans.
mod common;
use common::{mem_db, reopen, small_options, Rng};
use std::collections::BTreeSet;
use tensordb::{ReadAt, ScanRange, WriteOp};

#[derive(Clone)]
struct Fact {
    key: Vec<u8>,
    value: Option<Vec<u8>>,
    sys: u64,
    seq: u32,
    from: i64,
    to: i64,
}

fn model_get(facts: &[Fact], key: &[u8], t: u64, v: i64) -> Option<Vec<u8>> {
    facts
        .iter()
        .filter(|f| f.key == key && f.sys <= t && f.from <= v && v < f.to)
        .max_by_key(|f| (f.sys, f.seq))
        .and_then(|f| f.value.clone())
}

#[test]
fn engine_matches_model() {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let (mut db, backend) = mem_db(small_options());
    let mut facts: Vec<Fact> = Vec::new();
    let mut keys = BTreeSet::new();
    let mut times = vec![0u64];
    for round in 0..400u32 {
        let n = 1 + rng.below(6) as usize;
        let mut ops = Vec::new();
        for _ in 0..n {
            let key = format!("k{:03}", rng.below(60)).into_bytes();
            keys.insert(key.clone());
            let (from, to) = match rng.below(3) {
                0 => (None, None),
                _ => {
                    let a = rng.below(1000) as i64;
                    (Some(a), Some(a + 1 + rng.below(300) as i64))
                }
            };
            let op = if rng.below(5) == 0 {
                WriteOp::delete(key.clone())
            } else {
                WriteOp::put(key.clone(), format!("v{round}-{}", rng.below(1000)))
            };
            ops.push(op.valid(from, to));
        }
        let sys = db.write(ops.clone()).unwrap();
        times.push(sys);
        for (seq, op) in ops.into_iter().enumerate() {
            facts.push(Fact {
                key: op.key,
                value: (op.kind == tensordb::OpKind::Put).then_some(op.value),
                sys,
                seq: seq as u32,
                from: op.valid_from.unwrap_or(sys as i64),
                to: op.valid_to.unwrap_or(i64::MAX),
            });
        }
        match rng.below(40) {
            0 => db.flush().unwrap(),
            1 => db.compact().unwrap(),
            2 => {
                db.close().unwrap();
                db = reopen(&backend, small_options());
            }
            _ => {}
        }
        if round % 20 != 19 {
            continue;
        }
        for _ in 0..30 {
            let t = times[rng.below(times.len() as u64) as usize];
            let v = match rng.below(3) {
                0 => tensordb::now_micros() as i64,
                _ => rng.below(1400) as i64,
            };
            let at = ReadAt {
                as_of: Some(t),
                epoch: None,
                valid_at: Some(v),
            };
            for key in &keys {
                assert_eq!(
                    db.get(key, &at).unwrap(),
                    model_get(&facts, key, t, v),
                    "get {key:?} at t={t} v={v}"
                );
            }
            let a = format!("k{:03}", rng.below(60)).into_bytes();
            let b = format!("k{:03}", rng.below(60)).into_bytes();
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let reverse = rng.below(2) == 0;
            let limit = rng.below(20) as usize + 1;
            let got = db
                .scan(
                    &ScanRange {
                        start: Some(lo.clone()),
                        end: Some(hi.clone()),
                        limit: Some(limit),
                        reverse,
                        prefix: None,
                    },
                    &at,
                )
                .unwrap();
            let mut want: Vec<(Vec<u8>, Vec<u8>)> = keys
                .iter()
                .filter(|k| **k >= lo && **k < hi)
                .filter_map(|k| model_get(&facts, k, t, v).map(|val| (k.clone(), val)))
                .collect();
            if reverse {
                want.reverse();
            }
            want.truncate(limit);
            assert_eq!(got, want, "scan [{lo:?},{hi:?}) rev={reverse} t={t} v={v}");
        }
    }
    let h = db.history(b"k001").unwrap();
    assert_eq!(h.len(), facts.iter().filter(|f| f.key == b"k001").count());
}
