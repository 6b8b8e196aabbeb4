//! `Database::check` for SQL: every secondary index agrees with its table —
//! each row has its entry in every index, and every entry belongs to a row
//! that still holds those values — on top of the storage checks.

use crate::engine::db::{Database, ReadAt};
use crate::engine::read::ScanRange;
use crate::error::Result;
use crate::sql::catalog::ctx::Ctx;
use crate::sql::catalog::index;
use crate::sql::catalog::tables;
use crate::storage::store::CheckReport;
use std::collections::HashSet;

/// Compares every index of every table with the table's rows, adding what
/// disagrees to `report`. Holds each index's expected entries in memory.
pub fn check_indexes(db: &Database, report: &mut CheckReport) -> Result<()> {
    let tx = std::cell::RefCell::new(super::session::fresh(db)?);
    let ctx = Ctx::new(db, ReadAt::default(), &[], &tx);
    let mut names = tables::names(&ctx)?;
    names.sort();
    for name in names {
        let Some(t) = tables::find(&ctx, &name)? else {
            continue; // a view
        };
        let indexes = index::of_table(&ctx, &t)?;
        if indexes.is_empty() {
            continue;
        }
        let mut expected: Vec<HashSet<Vec<u8>>> = vec![HashSet::new(); indexes.len()];
        let rows = ScanRange {
            prefix: Some(tables::rows_prefix(t.id)),
            ..Default::default()
        };
        ctx.scan_each(&rows, |k, v| {
            let row = t.decode(v)?;
            for (ix, set) in indexes.iter().zip(expected.iter_mut()) {
                set.insert(ix.entry_key(&t, &row, k));
            }
            Ok(())
        })?;
        for (ix, mut want) in indexes.iter().zip(expected) {
            let mut extra = 0u64;
            let entries = ScanRange {
                prefix: Some(ix.entries_prefix()),
                ..Default::default()
            };
            ctx.scan_each(&entries, |k, _| {
                if !want.remove(k) {
                    extra += 1;
                }
                Ok(())
            })?;
            report.indexes += 1;
            if extra > 0 || !want.is_empty() {
                report.problems.push(format!(
                    "index {} of table {}: {} row(s) without an entry, {} entr(y/ies) without a \
                     matching row",
                    ix.name,
                    t.name,
                    want.len(),
                    extra
                ));
            }
        }
    }
    Ok(())
}
