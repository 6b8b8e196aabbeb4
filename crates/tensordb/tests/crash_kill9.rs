//! kill -9 at random moments: a child process writes (single puts and atomic
//! multi-key batches from several threads) and prints each acknowledgement;
//! the parent kills it with SIGKILL, reopens, and checks that every
//! acknowledged write is present, every present value is intact, and every
//! batch is all-or-nothing. Cycles: `TDB_CRASH_CYCLES` (default 50).
mod common;
use common::{small_options, Rng, TempDir};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tensordb::{Database, ReadAt, ScanRange, WriteOp};

fn value_for(key: &str) -> Vec<u8> {
    format!("{key}|{}", "x".repeat(key.len() * 3)).into_bytes()
}

/// The child's body; a no-op unless run by the parent test.
#[test]
fn crash_child_writer() {
    let Ok(dir) = std::env::var("TDB_CRASH_CHILD") else {
        return;
    };
    let cycle: u64 = std::env::var("TDB_CRASH_CYCLE").unwrap().parse().unwrap();
    let db = Arc::new(Database::open_unshared(&dir, small_options()).unwrap());
    let out = Arc::new(Mutex::new(std::io::stdout()));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let db = db.clone();
            let out = out.clone();
            std::thread::spawn(move || {
                for i in 0.. {
                    let key = format!("c{cycle:03}-t{t}-{i:06}");
                    if i % 5 == 0 {
                        let keys: Vec<String> = (0..4).map(|j| format!("{key}-b{j}")).collect();
                        let ops = keys
                            .iter()
                            .map(|k| WriteOp::put(k.as_str(), value_for(k)))
                            .collect();
                        db.write(ops).unwrap();
                        let mut o = out.lock().unwrap();
                        for k in keys {
                            writeln!(o, "ack {k}").unwrap();
                        }
                        o.flush().unwrap();
                    } else {
                        db.put(key.as_bytes(), &value_for(&key)).unwrap();
                        let mut o = out.lock().unwrap();
                        writeln!(o, "ack {key}").unwrap();
                        o.flush().unwrap();
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn kill9_never_loses_acknowledged_writes() {
    if std::env::var("TDB_CRASH_CHILD").is_ok() {
        return;
    }
    let cycles: u64 = std::env::var("TDB_CRASH_CYCLES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(50);
    let dir = TempDir::new("kill9");
    let mut rng = Rng(0xC0FF_EE00_1234_5678 ^ std::process::id() as u64);
    let mut acked: Vec<String> = Vec::new();
    let exe = std::env::current_exe().unwrap();
    for cycle in 0..cycles {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash_child_writer",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("TDB_CRASH_CHILD", &dir.0)
            .env("TDB_CRASH_CYCLE", cycle.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| l.strip_prefix("ack ").map(str::to_string))
                .collect::<Vec<_>>()
        });
        std::thread::sleep(Duration::from_millis(30 + rng.below(120)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        acked.extend(reader.join().unwrap());

        let db = Database::open_unshared(&dir.0, small_options()).unwrap();
        let at = ReadAt::default();
        for key in &acked {
            let v = db.get(key.as_bytes(), &at).unwrap();
            assert_eq!(
                v.as_deref(),
                Some(value_for(key).as_slice()),
                "cycle {cycle}: acknowledged {key} lost"
            );
        }
        let rows = db.scan(&ScanRange::default(), &at).unwrap();
        let mut batches = std::collections::HashMap::<String, usize>::new();
        for (k, v) in &rows {
            let k = String::from_utf8(k.clone()).unwrap();
            assert_eq!(v, &value_for(&k), "cycle {cycle}: torn value for {k}");
            if let Some((base, _)) = k.rsplit_once("-b") {
                *batches.entry(base.to_string()).or_default() += 1;
            }
        }
        for (base, n) in batches {
            assert_eq!(n, 4, "cycle {cycle}: batch {base} only partly present");
        }
        assert!(rows.len() >= acked.len());
        db.close().unwrap();
    }
    assert!(
        acked.len() > cycles as usize,
        "children acknowledged too few writes to test anything"
    );
}
