//! SQLite's sqllogictest corpus (select1-5) through `Database::sql`.
//! Prints the pass rate per file; fails if any file passes fewer records than
//! `tests/slt/baseline.txt` records (a regression). Format notes: one value
//! per line; `hash-threshold` (default 8) turns long results into an md5 of
//! `value\n` strings; `skipif/onlyif` name engines (this one is `tensordb`);
//! reals print with three decimals, NULL as `NULL`, '' as `(empty)`.
use md5::{Digest, Md5};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use tensordb::sql::Value;
use tensordb::{Database, MemBackend, Options};

struct Outcome {
    passed: usize,
    total: usize,
    first_failures: Vec<String>,
}

fn format_value(v: &Value, ty: char) -> String {
    let s = match (ty, v) {
        (_, Value::Null) => return "NULL".into(),
        ('I', Value::Int(i)) => i.to_string(),
        ('I', Value::Real(r)) => (*r as i64).to_string(),
        ('I', Value::Text(t)) => match tensordb::sql::value::text_to_number(t) {
            Value::Int(i) => i.to_string(),
            Value::Real(r) => (r as i64).to_string(),
            _ => "0".into(),
        },
        ('R', v) => format!("{:.3}", v.numeric().as_f64().unwrap_or(0.0)),
        (_, v) => tensordb::sql::exec::display(v),
    };
    if s.is_empty() {
        "(empty)".into()
    } else {
        s
    }
}

fn run_file(path: &Path) -> Outcome {
    let text = std::fs::read_to_string(path).unwrap();
    let db = Database::open_with_backend(Arc::new(MemBackend::new()), "/slt", Options::default())
        .unwrap();
    let mut out = Outcome {
        passed: 0,
        total: 0,
        first_failures: Vec::new(),
    };
    let mut threshold = 8usize;
    let mut lines = text.lines().peekable();
    let mut skip = false;
    while let Some(line) = lines.next() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        match words[0] {
            "skipif" => {
                skip |= words.get(1) == Some(&"tensordb");
                continue;
            }
            "onlyif" => {
                skip |= words.get(1) != Some(&"tensordb");
                continue;
            }
            "hash-threshold" => {
                threshold = words.get(1).and_then(|n| n.parse().ok()).unwrap_or(8);
                continue;
            }
            "halt" => break,
            _ => {}
        }
        let mut sql = String::new();
        let mut expected = Vec::new();
        let mut in_result = false;
        while let Some(l) = lines.peek() {
            if l.trim().is_empty() {
                break;
            }
            let l = lines.next().unwrap_or_default();
            if l == "----" {
                in_result = true;
            } else if in_result {
                expected.push(l.to_string());
            } else {
                sql.push_str(l);
                sql.push('\n');
            }
        }
        if std::mem::take(&mut skip) {
            continue;
        }
        out.total += 1;
        if std::env::var("SLT_TRACE").is_ok() {
            eprintln!("[{}] {}", out.total, sql.trim().replace('\n', " "));
        }
        let ok = match words[0] {
            "statement" => {
                let res = db.sql(&sql, &[]);
                (words.get(1) == Some(&"ok")) == res.is_ok()
            }
            "query" => {
                let types: Vec<char> = words.get(1).unwrap_or(&"").chars().collect();
                let sort = words.get(2).copied().unwrap_or("nosort");
                match db.sql(&sql, &[]) {
                    Err(e) => {
                        if out.first_failures.len() < 3 {
                            out.first_failures.push(format!("{}: {}", sql.trim(), e));
                        }
                        false
                    }
                    Ok(r) => {
                        let mut rows: Vec<Vec<String>> = r
                            .rows
                            .iter()
                            .map(|row| {
                                row.iter()
                                    .enumerate()
                                    .map(|(i, v)| {
                                        format_value(v, types.get(i).copied().unwrap_or('T'))
                                    })
                                    .collect()
                            })
                            .collect();
                        let mut values: Vec<String> = match sort {
                            "rowsort" => {
                                rows.sort();
                                rows.concat()
                            }
                            "valuesort" => {
                                let mut v = rows.concat();
                                v.sort();
                                v
                            }
                            _ => rows.concat(),
                        };
                        if r.rows.first().is_some_and(|row| row.len() != types.len()) {
                            values.clear();
                            values.push("<column count mismatch>".into());
                        }
                        let hashed =
                            expected.len() == 1 && expected[0].contains(" values hashing to ");
                        let pass = if hashed || values.len() > threshold {
                            let mut h = Md5::new();
                            for v in &values {
                                h.update(v.as_bytes());
                                h.update(b"\n");
                            }
                            let got =
                                format!("{} values hashing to {:x}", values.len(), h.finalize());
                            expected.first() == Some(&got)
                        } else {
                            values == expected
                        };
                        if !pass && out.first_failures.len() < 3 {
                            out.first_failures
                                .push(format!("{}: wrong result", sql.trim()));
                        }
                        pass
                    }
                }
            }
            _ => false,
        };
        if ok {
            out.passed += 1;
        }
    }
    out
}

#[test]
fn sqllogictest_select1_to_5() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/slt");
    let baseline: BTreeMap<String, usize> = std::fs::read_to_string(dir.join("baseline.txt"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let (f, n) = l.split_once(' ')?;
            Some((f.to_string(), n.trim().parse().ok()?))
        })
        .collect();
    let mut regressions = Vec::new();
    let (mut all_pass, mut all_total) = (0, 0);
    let only = std::env::var("SLT_ONLY").ok();
    for i in 1..=5 {
        let name = format!("select{i}.test");
        if only.as_ref().is_some_and(|o| o != &name) {
            continue;
        }
        let o = run_file(&dir.join("sqlite").join(&name));
        all_pass += o.passed;
        all_total += o.total;
        println!(
            "slt {name}: {}/{} records pass ({:.1}%)",
            o.passed,
            o.total,
            100.0 * o.passed as f64 / o.total.max(1) as f64
        );
        for f in &o.first_failures {
            println!("    e.g. {}", f.replace('\n', " "));
        }
        if let Some(&b) = baseline.get(&name) {
            if o.passed < b {
                regressions.push(format!("{name}: {} < baseline {b}", o.passed));
            }
        }
    }
    println!(
        "slt total: {all_pass}/{all_total} ({:.1}%)",
        100.0 * all_pass as f64 / all_total.max(1) as f64
    );
    assert!(
        regressions.is_empty(),
        "sqllogictest regressions: {regressions:?}"
    );
}
