//! Secondary indexes, stored as facts like rows and maintained in the same
//! atomic batch as the row writes.
//!
//! Definition: `0xFF 0xFE 'x' | enc(table) | enc(index)` → `index id (u64 LE)
//! | CREATE INDEX text`. Entry: `0xFF 0xFE 'i' | BE(index id) | key(indexed
//! values) | row key suffix` → empty. A UNIQUE index rejects a second row with
//! the same non-NULL values (NULLs are distinct, as in SQL).

use crate::engine::commit::WriteOp;
use crate::engine::read::ScanRange;
use crate::error::{Error, ErrorCode, Result};
use crate::sql::catalog::ctx::Ctx;
use crate::sql::catalog::tables::{rows_prefix, Table, RESERVED};
use crate::sql::datum::value::{encode_key_value, Value};
use crate::sql::syntax::ast::Statement;
use crate::storage::coding::get_u64_le;

/// A secondary index.
#[derive(Clone, Debug)]
pub struct Index {
    /// Name.
    pub name: String,
    /// Table name.
    pub table: String,
    /// Unique id (entries are stored under it).
    pub id: u64,
    /// Positions of the indexed columns in the table.
    pub columns: Vec<usize>,
    /// UNIQUE.
    pub unique: bool,
}

fn table_defs_prefix(table: &str) -> Vec<u8> {
    let mut k = RESERVED.to_vec();
    k.push(b'x');
    crate::ledger::keys::encode_into(&mut k, table.as_bytes());
    k
}

/// The catalog key of an index definition.
pub fn def_key(table: &str, index: &str) -> Vec<u8> {
    let mut k = table_defs_prefix(table);
    crate::ledger::keys::encode_into(&mut k, index.as_bytes());
    k
}

fn all_defs_prefix() -> Vec<u8> {
    let mut k = RESERVED.to_vec();
    k.push(b'x');
    k
}

/// A parsed index definition: (name, column names, unique).
type Def = (String, Vec<String>, bool);

fn def_cache() -> &'static std::sync::Mutex<std::collections::HashMap<Vec<u8>, std::sync::Arc<Def>>>
{
    static C: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<Vec<u8>, std::sync::Arc<Def>>>,
    > = std::sync::OnceLock::new();
    C.get_or_init(Default::default)
}

/// Parses a definition's text, once per distinct stored value.
fn parse_def(value: &[u8]) -> Result<std::sync::Arc<Def>> {
    if let Some(d) = def_cache()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(value)
    {
        return Ok(d.clone());
    }
    let bad = || Error::corrupt("malformed index definition");
    let text = std::str::from_utf8(value.get(8..).ok_or_else(bad)?).map_err(|_| bad())?;
    let parsed = crate::sql::syntax::parse::parse(text)?;
    let Some(Statement::CreateIndex {
        name,
        columns,
        unique,
        ..
    }) = parsed.into_iter().next()
    else {
        return Err(bad());
    };
    let d = std::sync::Arc::new((name, columns, unique));
    def_cache()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(value.to_vec(), d.clone());
    Ok(d)
}

fn decode_def(value: &[u8], table: &Table) -> Result<Index> {
    let bad = || Error::corrupt("malformed index definition");
    let id = get_u64_le(value, 0).ok_or_else(bad)?;
    let def = parse_def(value)?;
    let (name, columns, unique) = def.as_ref();
    let columns = columns
        .iter()
        .map(|c| table.column(c).ok_or_else(bad))
        .collect::<Result<_>>()?;
    Ok(Index {
        name: name.clone(),
        table: table.name.clone(),
        id,
        columns,
        unique: *unique,
    })
}

/// Every index of `table` as the statement sees the catalog.
pub fn of_table(ctx: &Ctx, table: &Table) -> Result<Vec<Index>> {
    let range = ScanRange {
        prefix: Some(table_defs_prefix(&table.name)),
        ..Default::default()
    };
    let mut out = Vec::new();
    ctx.scan_meta(&range, |_, v| {
        out.push(decode_def(v, table)?);
        Ok(())
    })?;
    Ok(out)
}

/// Finds the table an index named `name` belongs to.
pub fn find(ctx: &Ctx, name: &str) -> Result<Option<Vec<u8>>> {
    let range = ScanRange {
        prefix: Some(all_defs_prefix()),
        ..Default::default()
    };
    let suffix = {
        let mut s = Vec::new();
        crate::ledger::keys::encode_into(&mut s, name.as_bytes());
        s
    };
    let mut found = None;
    ctx.scan_meta(&range, |k, _| {
        if found.is_none() && k.ends_with(&suffix) {
            found = Some(k.to_vec());
        }
        Ok(())
    })?;
    Ok(found)
}

impl Index {
    /// The prefix every entry of this index starts with.
    pub fn entries_prefix(&self) -> Vec<u8> {
        let mut k = RESERVED.to_vec();
        k.push(b'i');
        k.extend_from_slice(&self.id.to_be_bytes());
        k
    }

    fn values_prefix(&self, row: &[Value]) -> Vec<u8> {
        let mut k = self.entries_prefix();
        for &c in &self.columns {
            encode_key_value(&row[c], &mut k);
        }
        k
    }

    /// The index entry key of a row stored under `row_key`.
    pub fn entry_key(&self, table: &Table, row: &[Value], row_key: &[u8]) -> Vec<u8> {
        let mut k = self.values_prefix(row);
        k.extend_from_slice(&row_key[rows_prefix(table.id).len()..]);
        k
    }

    /// For a UNIQUE index: the key of another row (not `row_key`) holding
    /// the same non-NULL values, as the statement sees the table or among
    /// `pending` (entries this statement adds).
    pub fn holder(
        &self,
        ctx: &Ctx,
        table: &Table,
        row: &[Value],
        row_key: &[u8],
        pending: &Pending,
    ) -> Result<Option<Vec<u8>>> {
        let deleted = &pending.deleted_rows;
        if !self.unique || self.columns.iter().any(|&c| row[c].is_null()) {
            return Ok(None);
        }
        let prefix = self.values_prefix(row);
        let own = self.entry_key(table, row, row_key);
        let row_key_of = |k: &[u8]| {
            let mut rk = rows_prefix(table.id);
            rk.extend_from_slice(&k[prefix.len()..]);
            rk
        };
        let mut found: Option<Vec<u8>> = None;
        // Entries of rows the statement deleted are still stored; a few
        // more than them are read so a live holder is not missed.
        ctx.scan_each(
            &ScanRange {
                prefix: Some(prefix.clone()),
                limit: Some(2 + deleted.len()),
                ..Default::default()
            },
            |k, _| {
                if found.is_none() && k != own.as_slice() {
                    let rk = row_key_of(k);
                    if !deleted.contains(&rk) {
                        found = Some(rk);
                    }
                }
                Ok(())
            },
        )?;
        if found.is_none() {
            found = pending
                .entries
                .iter()
                .find(|k| k.starts_with(&prefix) && **k != own)
                .map(|k| row_key_of(k));
        }
        Ok(found)
    }

    /// For a UNIQUE index: fails if another row (not `row_key`) holds the
    /// same non-NULL values as the statement sees them, or in `pending`
    /// (entries this statement adds). Claims the values as a conflict token,
    /// so two transactions taking the same value cannot both commit.
    pub fn check_unique(
        &self,
        ctx: &Ctx,
        table: &Table,
        row: &[Value],
        row_key: &[u8],
        pending: &Pending,
    ) -> Result<()> {
        if !self.unique || self.columns.iter().any(|&c| row[c].is_null()) {
            return Ok(());
        }
        let taken = self.holder(ctx, table, row, row_key, pending)?.is_some();
        ctx.claim(self.values_prefix(row));
        if taken {
            return Err(self.unique_error(table));
        }
        Ok(())
    }

    /// The `TDB_CONSTRAINT` error of a second row taking this index's values.
    pub fn unique_error(&self, table: &Table) -> Error {
        let cols: Vec<&str> = self
            .columns
            .iter()
            .map(|&c| table.columns[c].name.as_str())
            .collect();
        Error::new(
            ErrorCode::Constraint,
            format!(
                "UNIQUE constraint failed: {}.{} (index {})",
                table.name,
                cols.join(", "),
                self.name
            ),
        )
    }
}

/// What a statement has done to indexes so far, beyond what its snapshot
/// shows: the entries it added, and the rows it deleted (whose stored
/// entries it still sees, so they must not count as holders of a value).
#[derive(Default)]
pub struct Pending {
    /// Index entry keys this statement added.
    entries: std::collections::HashSet<Vec<u8>>,
    /// Row keys of stored rows this statement deleted (`OR REPLACE`).
    pub deleted_rows: std::collections::HashSet<Vec<u8>>,
}

/// Adds the index maintenance of one row change to `ops`: the old entry goes,
/// the new one comes (either may be absent). UNIQUE indexes are checked.
pub fn maintain(
    ctx: &Ctx,
    table: &Table,
    indexes: &[Index],
    old: Option<(&[Value], &[u8])>,
    new: Option<(&[Value], &[u8])>,
    pending: &mut Pending,
    ops: &mut Vec<WriteOp>,
) -> Result<()> {
    for ix in indexes {
        let old_key = old.map(|(r, k)| ix.entry_key(table, r, k));
        let new_key = new.map(|(r, k)| ix.entry_key(table, r, k));
        if old_key == new_key {
            continue;
        }
        if let Some(k) = old_key {
            pending.entries.remove(&k);
            ops.push(WriteOp::delete(k));
        }
        if let (Some(k), Some((row, row_key))) = (new_key, new) {
            ix.check_unique(ctx, table, row, row_key, pending)?;
            pending.entries.insert(k.clone());
            ops.push(WriteOp::put(k, Vec::new()));
        }
    }
    Ok(())
}
