//! A sqllogictest runner over `Database` sessions. Format notes: one value
//! per line; `hash-threshold` (default 8) turns long results into an md5 of
//! `value\n` strings; `skipif/onlyif` name engines (this one is `tensordb`);
//! reals print with three decimals, NULL as `NULL`, '' as `(empty)`.
//! Extensions for TensorDB's own files: `statement error <text>` / `query
//! error <text>` expect an error whose `CODE: message` contains the text, and
//! `connection <name>` switches to another session (for transactions),
//! `database <name>` to another (new, in-memory) database with its own
//! sessions, and `__TMP__` in SQL text names a temporary folder of the file
//! (for backup files).
use md5::{Digest, Md5};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use tensordb::sql::{Session, Value};
use tensordb::{Database, MemBackend, Options, ReadAt};

fn fail(out: &mut Outcome, sql: &str, why: &str) {
    if out.first_failures.len() < 5 {
        out.first_failures
            .push(format!("{}: {}", sql.trim().replace('\n', " "), why));
    }
}

pub struct Outcome {
    pub passed: usize,
    pub total: usize,
    pub first_failures: Vec<String>,
}

fn format_value(v: &Value, ty: char) -> String {
    let s = match (ty, v) {
        (_, Value::Null) => return "NULL".into(),
        ('I', Value::Int(i)) => i.to_string(),
        ('I', Value::Real(r)) => (*r as i64).to_string(),
        ('I', Value::Text(t)) => match tensordb::sql::datum::value::text_to_number(t) {
            Value::Int(i) => i.to_string(),
            Value::Real(r) => (r as i64).to_string(),
            _ => "0".into(),
        },
        ('R', v) => format!("{:.3}", v.numeric().as_f64().unwrap_or(0.0)),
        (_, v) => tensordb::sql::datum::value::display(v),
    };
    if s.is_empty() {
        "(empty)".into()
    } else {
        s
    }
}

pub fn run_file(path: &Path) -> Outcome {
    let text = std::fs::read_to_string(path).unwrap();
    let open = || {
        Database::open_with_backend(Arc::new(MemBackend::new()), "/slt", Options::default())
            .unwrap()
    };
    let mut dbs: HashMap<String, Database> = HashMap::new();
    let mut current_db = String::from("default");
    let tmp = super::TempDir::new("slt");
    let tmp_path = tmp.0.display().to_string();
    let mut out = Outcome {
        passed: 0,
        total: 0,
        first_failures: Vec::new(),
    };
    let mut sessions: HashMap<(String, String), Session> = HashMap::new();
    let mut current = String::from("default");
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
            // Results are hashed exactly when the file expects a hash.
            "hash-threshold" => continue,
            // `onlyif other` / `skipif tensordb` in front of `halt` guard it.
            "halt" if std::mem::take(&mut skip) => continue,
            "halt" => break,
            "connection" => {
                current = words.get(1).unwrap_or(&"default").to_string();
                continue;
            }
            "database" => {
                current_db = words.get(1).unwrap_or(&"default").to_string();
                current = String::from("default");
                continue;
            }
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
        let sql = sql.replace("__TMP__", &tmp_path);
        let db = dbs.entry(current_db.clone()).or_insert_with(open);
        let session = sessions
            .entry((current_db.clone(), current.clone()))
            .or_default();
        let mut run = |sql: &str| session.run(db, sql, &[], ReadAt::default());
        let pattern = words.get(2..).map(|w| w.join(" ")).unwrap_or_default();
        let ok = match words[0] {
            "statement" if words.get(1) == Some(&"ok") => match run(&sql) {
                Ok(_) => true,
                Err(e) => {
                    fail(&mut out, &sql, &e.to_string());
                    false
                }
            },
            "statement" | "query" if words.get(1) == Some(&"error") => match run(&sql) {
                Ok(_) => {
                    fail(&mut out, &sql, "succeeded but an error was expected");
                    false
                }
                Err(e) => {
                    let hit = pattern.is_empty() || e.to_string().contains(&pattern);
                    if !hit {
                        fail(&mut out, &sql, &format!("{e} does not match `{pattern}`"));
                    }
                    hit
                }
            },
            "query" => {
                let types: Vec<char> = words.get(1).unwrap_or(&"").chars().collect();
                let sort = words.get(2).copied().unwrap_or("nosort");
                match run(&sql) {
                    Err(e) => {
                        fail(&mut out, &sql, &e.to_string());
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
                        let pass = if hashed {
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
                        if !pass {
                            let got = values.join(" ");
                            fail(&mut out, &sql, &format!("wrong result: {got}"));
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
