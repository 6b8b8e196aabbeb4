//! One key's facts as bitemporal versions: rectangles of (system period ×
//! valid period) inside which the key has one value.
//!
//! Facts are replayed oldest first. Each fact asserts (or, for a delete,
//! retracts) a value for its valid period from its system time on; the
//! parts of older versions it covers end at that system time, the parts it
//! does not cover live on unchanged. So the version containing a point
//! (T, V) is exactly what the read rule returns at (T, V), and a retroactive
//! correction for a sub-period splits the older version around it.

/// The open end of a system period.
pub const SYSTEM_END: u64 = u64::MAX;

/// A fact, decoded (what `timeline` consumes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fact {
    /// Commit time.
    pub sys: u64,
    /// Position in its commit (orders facts of one commit).
    pub seq: u32,
    /// `Some(value)` for a put, `None` for a delete.
    pub value: Option<Vec<u8>>,
    /// Valid period start (inclusive).
    pub valid_from: i64,
    /// Valid period end (exclusive).
    pub valid_to: i64,
}

/// A bitemporal version: the value of fact `fact` holds for valid times in
/// `[valid_from, valid_to)` as known at system times in
/// `[system_from, system_to)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Version {
    /// Index of the fact (a put) whose value this is.
    pub fact: usize,
    /// When the database learned it.
    pub system_from: u64,
    /// When a newer fact replaced it (`SYSTEM_END` while current).
    pub system_to: u64,
    /// Valid period start.
    pub valid_from: i64,
    /// Valid period end (exclusive; `VALID_END` when open).
    pub valid_to: i64,
}

#[derive(Clone, Copy)]
struct Segment {
    from: i64,
    to: i64,
    since: u64,
    fact: usize,
}

/// The versions of one key's facts, given oldest first (by system time,
/// then sequence). Output: closed versions in the order they closed, then
/// the open ones by valid time.
pub fn versions(facts: &[Fact]) -> Vec<Version> {
    // Live segments: disjoint, sorted by valid time.
    let mut live: Vec<Segment> = Vec::new();
    let mut out = Vec::new();
    let mut replace: Vec<Segment> = Vec::with_capacity(4);
    for (i, f) in facts.iter().enumerate() {
        if f.valid_from >= f.valid_to {
            continue;
        }
        // The live segments overlapping [from, to): a contiguous run.
        let lo = live.partition_point(|s| s.to <= f.valid_from);
        let hi = lo + live[lo..].partition_point(|s| s.from < f.valid_to);
        replace.clear();
        for s in &live[lo..hi] {
            if s.from < f.valid_from {
                replace.push(Segment {
                    to: f.valid_from,
                    ..*s
                });
            }
            if s.since < f.sys {
                out.push(Version {
                    fact: s.fact,
                    system_from: s.since,
                    system_to: f.sys,
                    valid_from: s.from.max(f.valid_from),
                    valid_to: s.to.min(f.valid_to),
                });
            }
        }
        if f.value.is_some() {
            replace.push(Segment {
                from: f.valid_from,
                to: f.valid_to,
                since: f.sys,
                fact: i,
            });
        }
        if let Some(s) = live[lo..hi].last() {
            if f.valid_to < s.to {
                replace.push(Segment {
                    from: f.valid_to,
                    ..*s
                });
            }
        }
        live.splice(lo..hi, replace.drain(..));
    }
    out.extend(live.into_iter().map(|s| Version {
        fact: s.fact,
        system_from: s.since,
        system_to: SYSTEM_END,
        valid_from: s.from,
        valid_to: s.to,
    }));
    out
}

/// The version containing (system time `t`, valid time `v`), if any: the
/// read rule, answered from versions.
pub fn at(versions: &[Version], t: u64, v: i64) -> Option<&Version> {
    versions
        .iter()
        .find(|x| x.system_from <= t && t < x.system_to && x.valid_from <= v && v < x.valid_to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::fact::VALID_END;

    fn put(sys: u64, from: i64, to: i64, v: u8) -> Fact {
        Fact {
            sys,
            seq: 0,
            value: Some(vec![v]),
            valid_from: from,
            valid_to: to,
        }
    }

    /// The read rule over raw facts, for comparison.
    fn rule(facts: &[Fact], t: u64, v: i64) -> Option<u8> {
        facts
            .iter()
            .rev()
            .find(|f| f.sys <= t && f.valid_from <= v && v < f.valid_to)
            .and_then(|f| f.value.as_ref().map(|x| x[0]))
    }

    #[test]
    fn correction_splits_the_older_version() {
        let facts = vec![put(10, 0, VALID_END, 1), put(20, 5, 8, 2)];
        let vs = versions(&facts);
        assert_eq!(vs.len(), 4);
        assert!(vs.contains(&Version {
            fact: 0,
            system_from: 10,
            system_to: 20,
            valid_from: 5,
            valid_to: 8
        }));
        assert!(vs.contains(&Version {
            fact: 0,
            system_from: 10,
            system_to: SYSTEM_END,
            valid_from: 8,
            valid_to: VALID_END
        }));
    }

    #[test]
    fn matches_the_read_rule_everywhere() {
        let mut facts = vec![
            put(10, 0, 100, 1),
            put(20, 50, 200, 2),
            Fact {
                sys: 30,
                seq: 0,
                value: None,
                valid_from: 40,
                valid_to: 60,
            },
            put(30, 150, 160, 3),
            put(40, 0, 10, 4),
        ];
        facts[3].seq = 1;
        let vs = versions(&facts);
        for t in [5, 10, 15, 20, 25, 30, 35, 40, 50] {
            for v in (-10..220).step_by(5) {
                let got = at(&vs, t, v).map(|x| facts[x.fact].value.as_ref().unwrap()[0]);
                assert_eq!(got, rule(&facts, t, v), "t={t} v={v}");
            }
        }
    }

    #[test]
    fn random_facts_match_the_read_rule() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        for _ in 0..200 {
            let mut facts = Vec::new();
            for i in 0..(1 + next(30)) {
                let a = next(50) as i64;
                let b = if next(4) == 0 {
                    VALID_END
                } else {
                    a + 1 + next(20) as i64
                };
                facts.push(Fact {
                    sys: 10 + i / 2,
                    seq: (i % 2) as u32,
                    value: (next(5) != 0).then(|| vec![next(200) as u8]),
                    valid_from: a,
                    valid_to: b,
                });
            }
            let vs = versions(&facts);
            for t in 9..30 {
                for v in -1..80 {
                    let got = at(&vs, t, v).map(|x| facts[x.fact].value.as_ref().unwrap()[0]);
                    assert_eq!(got, rule(&facts, t, v), "t={t} v={v}");
                }
            }
            // Versions never overlap.
            for (i, p) in vs.iter().enumerate() {
                for q in &vs[i + 1..] {
                    let sys = p.system_from < q.system_to && q.system_from < p.system_to;
                    let valid = p.valid_from < q.valid_to && q.valid_from < p.valid_to;
                    assert!(!(sys && valid), "{p:?} overlaps {q:?}");
                }
            }
        }
    }
}
