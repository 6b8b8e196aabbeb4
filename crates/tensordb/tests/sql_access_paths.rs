//! Access paths: primary-key equality is a point read, equality on every
//! column of an index is an index lookup, anything else scans, and all three
//! give the same rows as a scan would.
use std::sync::Arc;
use tensordb::sql::catalog::ctx::Ctx;
use tensordb::sql::catalog::tables;
use tensordb::sql::plan::access::{rows, Path};
use tensordb::sql::state::txn::TxState;
use tensordb::sql::syntax::ast::{BinOp, Expr};
use tensordb::sql::Value;
use tensordb::{Database, MemBackend, Options, ReadAt};

fn eq(col: &str, v: Value) -> Expr {
    Expr::Binary(
        Box::new(Expr::Column(None, col.into())),
        BinOp::Eq,
        Box::new(Expr::Lit(v)),
    )
}

#[test]
fn paths_are_chosen_and_agree_with_scans() {
    let db = Database::open_with_backend(Arc::new(MemBackend::new()), "/ap", Options::default())
        .unwrap();
    db.sql(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT, v INTEGER)",
        &[],
    )
    .unwrap();
    for chunk in 0..10 {
        let values: Vec<String> = (0..100)
            .map(|i| {
                let id = chunk * 100 + i;
                format!("({id}, 'k{}', {})", id % 7, id % 13)
            })
            .collect();
        db.sql(&format!("INSERT INTO t VALUES {}", values.join(",")), &[])
            .unwrap();
    }
    db.sql("CREATE INDEX t_k ON t(k)", &[]).unwrap();
    let params: Vec<Value> = Vec::new();
    let (t, v) = db.resolve(&ReadAt::default()).unwrap();
    let tx = std::cell::RefCell::new(TxState::new(t, v));
    let ctx = Ctx::new(&db, ReadAt::default(), &params, &tx);
    let t = tables::lookup(&ctx, "t").unwrap();

    let (p, r) = rows(&ctx, &t, "t", &[eq("id", Value::Int(421))]).unwrap();
    assert_eq!(p, Path::PrimaryKey);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].1[0], Value::Int(421));
    // Affinity applies to the probe: '421' finds the INTEGER key 421.
    let (_, r) = rows(&ctx, &t, "t", &[eq("id", Value::Text("421".into()))]).unwrap();
    assert_eq!(r.len(), 1);

    let (p, r) = rows(&ctx, &t, "t", &[eq("k", Value::Text("k3".into()))]).unwrap();
    assert_eq!(p, Path::Index("t_k".into()));
    assert_eq!(r.len(), (0..1000).filter(|i| i % 7 == 3).count());

    let (p, r) = rows(&ctx, &t, "t", &[eq("v", Value::Int(5))]).unwrap();
    assert_eq!(p, Path::FullScan);
    assert_eq!(
        r.len(),
        1000,
        "a scan returns every row; the caller filters"
    );

    let range = |col: &str, op: BinOp, v: i64| {
        Expr::Binary(
            Box::new(Expr::Column(None, col.into())),
            op,
            Box::new(Expr::Lit(Value::Int(v))),
        )
    };
    let (p, r) = rows(
        &ctx,
        &t,
        "t",
        &[range("id", BinOp::GtEq, 100), range("id", BinOp::Lt, 110)],
    )
    .unwrap();
    assert_eq!(p, Path::PrimaryKeyRange);
    assert_eq!(
        r.len(),
        10,
        "an INTEGER PRIMARY KEY range reads only its rows"
    );
    db.sql("CREATE INDEX t_v ON t(v)", &[]).unwrap();
    let (now_t, now_v) = db.resolve(&ReadAt::default()).unwrap();
    let tx2 = std::cell::RefCell::new(TxState::new(now_t, now_v));
    let ctx2 = Ctx::new(&db, ReadAt::default(), &params, &tx2);
    let (p, r) = rows(&ctx2, &t, "t", &[range("v", BinOp::LtEq, 1)]).unwrap();
    assert_eq!(p, Path::IndexRange("t_v".into()));
    assert_eq!(r.len(), (0..1000).filter(|i| i % 13 <= 1).count());

    // Through SQL, every path gives the rows a scan gives.
    let by_index = db
        .sql("SELECT id FROM t WHERE k = 'k3' ORDER BY id", &[])
        .unwrap();
    let by_scan = db
        .sql("SELECT id FROM t WHERE k || '' = 'k3' ORDER BY id", &[])
        .unwrap();
    assert_eq!(by_index.rows, by_scan.rows);
    let one = db
        .sql("SELECT v FROM t WHERE id = $1", &[Value::Int(999)])
        .unwrap();
    assert_eq!(one.rows, vec![vec![Value::Int(999 % 13)]]);
    // UPDATE and DELETE use the same paths.
    assert_eq!(
        db.sql("UPDATE t SET v = -1 WHERE id = 5", &[])
            .unwrap()
            .changes,
        1
    );
    assert_eq!(
        db.sql("DELETE FROM t WHERE k = 'k0'", &[]).unwrap().changes,
        (0..1000).filter(|i| i % 7 == 0).count() as u64
    );
    let left = db.sql("SELECT count(*) FROM t", &[]).unwrap();
    assert_eq!(
        left.rows[0][0],
        Value::Int((0..1000).filter(|i| i % 7 != 0).count() as i64)
    );
    assert!(
        db.sql("SELECT * FROM t WHERE k = 'k0'", &[])
            .unwrap()
            .rows
            .is_empty(),
        "index entries were removed"
    );
}
