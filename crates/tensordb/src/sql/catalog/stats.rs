//! Table statistics for the planner, gathered by `ANALYZE [table]` and kept
//! as a fact like the rest of the catalog: `RESERVED | 's' | enc(table)` →
//! `table id u64 | rows u64 | then per index: name length u32 | name |
//! distinct keys u64` (little-endian). Statistics of a dropped table are
//! ignored by id when a new table takes its name. They are a snapshot:
//! writes after ANALYZE do not update them (run it again).

use crate::engine::commit::WriteOp;
use crate::error::{Error, Result};
use crate::sql::catalog::ctx::Ctx;
use crate::sql::catalog::tables::{self, Table, RESERVED};
use crate::storage::coding::{get_u32_le, get_u64_le};
use std::collections::HashSet;

/// What ANALYZE recorded for one table.
#[derive(Clone, Debug, PartialEq)]
pub struct Stats {
    /// Rows in the table.
    pub rows: u64,
    /// Distinct index keys, per index name.
    pub distinct: Vec<(String, u64)>,
}

impl Stats {
    /// Average rows per key of an index.
    pub fn per_value(&self, index: &str) -> Option<f64> {
        let (_, d) = self.distinct.iter().find(|(n, _)| n == index)?;
        Some(self.rows as f64 / (*d).max(1) as f64)
    }
}

fn key(table: &str) -> Vec<u8> {
    let mut k = RESERVED.to_vec();
    k.push(b's');
    crate::ledger::keys::encode_into(&mut k, table.as_bytes());
    k
}

/// The statistics of `t`, if ANALYZE recorded them for this table.
pub fn load(ctx: &Ctx, t: &Table) -> Result<Option<Stats>> {
    let Some(v) = ctx.get_meta(&key(&t.name))? else {
        return Ok(None);
    };
    let bad = || Error::corrupt("malformed table statistics");
    let u64_at = |i: usize| get_u64_le(&v, i).ok_or_else(bad);
    if u64_at(0)? != t.id {
        return Ok(None);
    }
    let rows = u64_at(8)?;
    let mut distinct = Vec::new();
    let mut i = 16;
    while i < v.len() {
        let len = get_u32_le(&v, i).ok_or_else(bad)? as usize;
        let name = v.get(i + 4..i + 4 + len).ok_or_else(bad)?;
        let d = u64_at(i + 4 + len)?;
        distinct.push((String::from_utf8_lossy(name).into_owned(), d));
        i += 4 + len + 8;
    }
    Ok(Some(Stats { rows, distinct }))
}

/// `ANALYZE [table]`: counts rows and distinct index keys; returns the
/// statistics facts to write.
pub fn analyze(ctx: &Ctx, table: Option<&str>) -> Result<Vec<WriteOp>> {
    let names = match table {
        Some(t) => vec![t.to_string()],
        None => tables::names(ctx)?
            .into_iter()
            .filter(|n| matches!(tables::exists(ctx, n), Ok(true)))
            .collect(),
    };
    let mut ops = Vec::new();
    for name in names {
        let loaded = ctx.table(&name)?;
        let t = &loaded.0;
        let mut v = t.id.to_le_bytes().to_vec();
        v.extend_from_slice(&(loaded.1.len() as u64).to_le_bytes());
        for ix in crate::sql::catalog::index::of_table(ctx, t)? {
            let mut seen = HashSet::new();
            for (_, row) in &loaded.1 {
                let mut k = Vec::new();
                for &c in &ix.columns {
                    crate::sql::datum::value::encode_key_value(&row[c], &mut k);
                }
                seen.insert(k);
            }
            v.extend_from_slice(&(ix.name.len() as u32).to_le_bytes());
            v.extend_from_slice(ix.name.as_bytes());
            v.extend_from_slice(&(seen.len() as u64).to_le_bytes());
        }
        ops.push(WriteOp::put(key(&name), v));
    }
    Ok(ops)
}
