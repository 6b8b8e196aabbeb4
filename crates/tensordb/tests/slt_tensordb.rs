//! TensorDB's own sqllogictest files (`tests/slt/tensordb/*.slt`): SQL the
//! SQLite corpus does not cover. Every record must pass.
mod common;
use common::slt::run_file;
use std::path::Path;

#[test]
fn own_sqllogictest_files_pass() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/slt/tensordb");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "slt"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .slt files in {}", dir.display());
    let mut failed = Vec::new();
    for f in &files {
        let o = run_file(f);
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        println!("slt {name}: {}/{} records pass", o.passed, o.total);
        for e in &o.first_failures {
            println!("    {e}");
        }
        if o.passed < o.total {
            failed.push(name);
        }
    }
    assert!(failed.is_empty(), "failing .slt files: {failed:?}");
}

#[test]
fn a_guarded_halt_stops_only_the_engines_it_names() {
    let f = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/slt/tensordb/halt_guarded.slt");
    let o = run_file(&f);
    assert_eq!(
        (o.passed, o.total),
        (3, 3),
        "records after guarded halts must run"
    );
}
