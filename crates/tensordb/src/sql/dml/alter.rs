//! ALTER TABLE: ADD / DROP / RENAME COLUMN and RENAME TO. The catalog entry
//! is rewritten as a new fact (same table id, new CREATE TABLE text), so a
//! query `asOf` an earlier time still sees the table as it was.
//!
//! - ADD COLUMN writes no rows: rows stored before it are shorter than the
//!   schema and read the column's constant DEFAULT (`Table::decode`).
//! - DROP COLUMN writes no rows either: the column's slot in stored rows is
//!   simply no longer read (`Column::slot`). Rewriting rows would be wrong
//!   in a bitemporal store: the rewritten versions would be valid only from
//!   now on, so a valid-time read of the past would still meet the old rows.
//! - RENAME COLUMN rewrites CHECK texts and the table's index definitions;
//!   RENAME TO moves the catalog entry and the index definitions. Rows stay
//!   where they are (they are stored under the table id, not its name).
//!   Views that name the old column or table are not rewritten.

use crate::engine::commit::WriteOp;
use crate::error::{Error, ErrorCode, Result};
use crate::sql::catalog::ctx::Ctx;
use crate::sql::catalog::index::{self, Index};
use crate::sql::catalog::tables::{self, catalog_key, constant, Table};
use crate::sql::datum::value::Value;
use crate::sql::dml::statement::{commit, constraint, SqlResult};
use crate::sql::syntax::ast::AlterOp;
use crate::sql::syntax::names::quote_ident;

/// Executes `ALTER TABLE table op`.
pub fn alter(ctx: &Ctx, table: &str, if_exists: bool, op: &AlterOp) -> Result<SqlResult> {
    if !tables::exists(ctx, table)? {
        if !if_exists || crate::sql::catalog::view::lookup(ctx, table)?.is_some() {
            tables::lookup(ctx, table)?; // the precise error: a view, or no such table
        }
        return Ok(SqlResult::default());
    }
    let old = tables::lookup(ctx, table)?;
    let mut t: Table = (*old).clone();
    let indexes = index::of_table(ctx, &old)?;
    if !matches!(op, AlterOp::AddColumn(..))
        && !crate::sql::catalog::trigger::of_table(ctx, &old.name)?.is_empty()
    {
        return Err(Error::new(
            ErrorCode::NotSupported,
            format!(
                "renaming or dropping columns of, or renaming, table {} while it has triggers                  (drop them first, then create them again)",
                old.name
            ),
        ));
    }
    let mut ops = Vec::new();
    let mut index_names_change = false;
    match op {
        AlterOp::AddColumn(def, if_not_exists) => {
            crate::sql::syntax::names::check_column_name(&def.name)?;
            if t.column(&def.name).is_some() {
                if *if_not_exists {
                    return Ok(SqlResult::default());
                }
                return Err(constraint(format!("duplicate column name: {}", def.name)));
            }
            if def.primary_key || def.unique {
                return Err(Error::new(
                    ErrorCode::NotSupported,
                    "ADD COLUMN with PRIMARY KEY or UNIQUE (add the column, then CREATE UNIQUE INDEX)",
                ));
            }
            let default = match &def.default {
                None => Value::Null,
                Some(d) => constant(d).ok_or_else(|| {
                    Error::new(
                        ErrorCode::NotSupported,
                        "ADD COLUMN with a non-constant DEFAULT (existing rows read the default)",
                    )
                })?,
            };
            if def.not_null && default.is_null() {
                return Err(constraint(format!(
                    "cannot add NOT NULL column {} without a non-NULL DEFAULT",
                    def.name
                )));
            }
            let mut col = tables::column(def);
            col.slot = t.next_slot();
            t.columns.push(col);
            t.checks.extend(def.checks.iter().cloned());
        }
        AlterOp::DropColumn(name, if_exists) => {
            let Some(pos) = t.column(name) else {
                if *if_exists {
                    return Ok(SqlResult::default());
                }
                return Err(Error::new(
                    ErrorCode::NoColumn,
                    format!("no such column: {name}"),
                ));
            };
            if t.pk.contains(&pos) {
                return Err(constraint(format!("cannot drop PRIMARY KEY column {name}")));
            }
            if let Some(ix) = indexes.iter().find(|ix| ix.columns.contains(&pos)) {
                return Err(constraint(format!(
                    "cannot drop column {name}: index {} uses it (drop the index first)",
                    ix.name
                )));
            }
            for (_, text) in &t.checks {
                if crate::sql::syntax::parse::mentions_ident(text, name)? {
                    return Err(constraint(format!(
                        "cannot drop column {name}: CHECK ({text}) uses it"
                    )));
                }
            }
            if t.columns.len() == 1 {
                return Err(constraint(format!(
                    "cannot drop column {name}: it is the only column"
                )));
            }
            t.columns.remove(pos);
            for i in t.pk.iter_mut() {
                if *i > pos {
                    *i -= 1;
                }
            }
        }
        AlterOp::RenameColumn(from, to) => {
            crate::sql::syntax::names::check_column_name(to)?;
            let Some(pos) = t.column(from) else {
                return Err(Error::new(
                    ErrorCode::NoColumn,
                    format!("no such column: {from}"),
                ));
            };
            if t.column(to).is_some() {
                return Err(constraint(format!("duplicate column name: {to}")));
            }
            t.columns[pos].name = to.clone();
            for (_, text) in t.checks.iter_mut() {
                *text = crate::sql::syntax::parse::rename_ident(text, from, to)?;
            }
            index_names_change = true;
        }
        AlterOp::RenameTo(new) => {
            if tables::exists(ctx, new)? || crate::sql::catalog::view::lookup(ctx, new)?.is_some() {
                return Err(constraint(format!(
                    "there is already a table or view named {new}"
                )));
            }
            t.name = new.clone();
            ops.push(WriteOp::delete(catalog_key(table)));
            for ix in &indexes {
                ops.push(WriteOp::delete(index::def_key(table, &ix.name)));
            }
            index_names_change = true;
        }
    }
    if index_names_change {
        for ix in &indexes {
            ops.push(WriteOp::put(
                index::def_key(&t.name, &ix.name),
                index_def(ix, &t),
            ));
        }
    }
    let value = t.catalog_value();
    // The rewritten text must read back as this schema.
    tables::decode_entry(&value)?;
    ops.push(WriteOp::put(catalog_key(&t.name), value));
    commit(ctx, ops, 0, None)
}

/// An index definition value (`id | CREATE INDEX text`) for table `t`.
fn index_def(ix: &Index, t: &Table) -> Vec<u8> {
    let cols: Vec<String> = ix
        .columns
        .iter()
        .map(|&i| quote_ident(&t.columns[i].name))
        .collect();
    let text = format!(
        "CREATE {}INDEX {} ON {} ({})",
        if ix.unique { "UNIQUE " } else { "" },
        quote_ident(&ix.name),
        quote_ident(&t.name),
        cols.join(", ")
    );
    let mut v = ix.id.to_le_bytes().to_vec();
    v.extend_from_slice(text.as_bytes());
    v
}
