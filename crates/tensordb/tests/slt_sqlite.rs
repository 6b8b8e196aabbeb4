//! SQLite's sqllogictest corpus (select1-5) through `Database` sessions.
//! Prints the pass rate per file; fails if any file passes fewer records than
//! `tests/slt/baseline.txt` records (a regression).
mod common;
use common::slt::run_file;
use std::collections::BTreeMap;
use std::path::Path;

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
