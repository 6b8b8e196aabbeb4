//! WHERE and ON conjuncts pushed into join inputs (issue #16): a conjunct
//! bound by one input filters that input before the join when that cannot
//! change the result — both sides of an INNER join, the preserved side of a
//! LEFT join (and its optional side by its own ON conjuncts), never the
//! null-extended sides. Each shape is compared with SQLite's answer.
mod common;

const QUERIES: &[&str] = &[
    "SELECT a.id, b.id FROM a JOIN b ON b.aid = a.id WHERE a.x > 2 AND b.y < 5 ORDER BY 1, 2",
    "SELECT a.id, b.id FROM a LEFT JOIN b ON b.aid = a.id WHERE a.x > 2 ORDER BY 1, 2",
    "SELECT a.id, b.id FROM a LEFT JOIN b ON b.aid = a.id WHERE b.y IS NULL ORDER BY 1, 2",
    "SELECT a.id, b.id FROM a LEFT JOIN b ON b.aid = a.id AND b.y > 3 ORDER BY 1, 2",
    "SELECT a.id, b.id FROM a LEFT JOIN b ON b.aid = a.id AND a.x > 3 ORDER BY 1, 2",
    "SELECT a.id, b.id FROM a LEFT JOIN b ON b.aid = a.id WHERE coalesce(b.y, 0) = 0 ORDER BY 1, 2",
    "SELECT a.id, b.id FROM a RIGHT JOIN b ON b.aid = a.id WHERE a.x IS NULL ORDER BY 2",
    "SELECT a.id, b.id FROM a FULL JOIN b ON b.aid = a.id WHERE b.y > 1 OR a.x > 4 ORDER BY 1, 2",
    "SELECT a.id, b.id, c.id FROM a JOIN b ON b.aid = a.id LEFT JOIN c ON c.bid = b.id AND c.z > 1 WHERE a.x < 6 ORDER BY 1, 2, 3",
    "SELECT a.id, c.id FROM a JOIN (b JOIN c ON c.bid = b.id) ON b.aid = a.id WHERE c.z = 2 ORDER BY 1, 2",
    "SELECT a.id, b.id FROM a JOIN b ON b.aid = a.id AND b.y % 2 = 0 WHERE a.x BETWEEN 1 AND 5 ORDER BY 1, 2",
    "SELECT count(*), sum(b.y) FROM a JOIN b ON b.aid = a.id WHERE a.id IN (1, 2, 3) AND b.y <> 2",
    "SELECT a.id FROM a JOIN b ON b.aid = a.id WHERE b.y > (SELECT min(y) FROM b) ORDER BY 1",
    "SELECT a.id, b.id FROM a JOIN b ON b.aid = a.id WHERE a.x > b.y ORDER BY 1, 2",
    "SELECT a.id, b.id FROM a LEFT JOIN b ON b.aid = a.id WHERE a.id = 7 ORDER BY 1, 2",
];

#[test]
fn pushed_conjuncts_never_change_a_join() {
    let mut setup: Vec<String> = vec![
        "CREATE TABLE a (id INTEGER PRIMARY KEY, x INTEGER)".into(),
        "CREATE TABLE b (id INTEGER PRIMARY KEY, aid INTEGER, y INTEGER)".into(),
        "CREATE TABLE c (id INTEGER PRIMARY KEY, bid INTEGER, z INTEGER)".into(),
        "CREATE INDEX b_aid ON b (aid)".into(),
    ];
    for i in 1..=8 {
        let x = if i % 5 == 0 {
            "NULL".to_string()
        } else {
            (i % 7).to_string()
        };
        setup.push(format!("INSERT INTO a VALUES ({i}, {x})"));
    }
    for i in 1..=14 {
        let y = if i % 6 == 0 {
            "NULL".to_string()
        } else {
            (i % 6).to_string()
        };
        setup.push(format!("INSERT INTO b VALUES ({i}, {}, {y})", i % 10));
        setup.push(format!(
            "INSERT INTO c VALUES ({i}, {}, {})",
            (i * 3) % 15,
            i % 4
        ));
    }
    let (db, conn) = common::oracle::pair(&setup);
    common::oracle::same_rows(&db, &conn, QUERIES);
}
