//! The SQL catalog, kept as facts in the ledger like everything else: table
//! `name` is the key `CATALOG | enc(name)` whose value is `table id (u64 LE) |
//! CREATE TABLE text`. Rows live under `ROWS | BE(table id) | key`, so a
//! dropped table's rows stay in history and a new table of the same name
//! starts empty. Keys starting with 0xFF 0xFE are reserved for SQL.

use super::ast::{ColumnDef, Expr, Statement};
use super::exec::Ctx;
use super::value::{encode_key_value, Affinity};
use crate::error::{Error, ErrorCode, Result};
use crate::storage::coding::get_u64_le;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Prefix of every SQL key.
pub const RESERVED: [u8; 2] = [0xFF, 0xFE];

/// The key of a table's catalog entry.
pub fn catalog_key(name: &str) -> Vec<u8> {
    let mut k = RESERVED.to_vec();
    k.push(b'c');
    crate::ledger::keys::encode_into(&mut k, name.as_bytes());
    k
}

/// The key prefix of a table's rows.
pub fn rows_prefix(id: u64) -> Vec<u8> {
    let mut k = RESERVED.to_vec();
    k.push(b'r');
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// A column.
#[derive(Clone, Debug)]
pub struct Column {
    /// Lower-case name.
    pub name: String,
    /// Declared type.
    pub decl_type: String,
    /// Storage affinity.
    pub affinity: Affinity,
    /// NOT NULL.
    pub not_null: bool,
    /// DEFAULT.
    pub default: Option<Expr>,
}

/// A table's schema.
#[derive(Clone, Debug)]
pub struct Table {
    /// Name.
    pub name: String,
    /// Unique id (rows are stored under it).
    pub id: u64,
    /// Columns in order.
    pub columns: Vec<Column>,
    /// Primary-key column positions (empty: a hidden row id keys the rows).
    pub pk: Vec<usize>,
    /// CHECK constraints: expression and SQL text.
    pub checks: Vec<(Expr, String)>,
}

impl Table {
    /// Builds a schema from a CREATE TABLE statement.
    pub fn from_statement(id: u64, s: &Statement) -> Result<Table> {
        let Statement::CreateTable {
            name,
            columns,
            primary_key,
            checks,
            ..
        } = s
        else {
            return Err(Error::corrupt("catalog entry is not a CREATE TABLE"));
        };
        let cols: Vec<Column> = columns.iter().map(column).collect();
        let mut pk: Vec<usize> = Vec::new();
        for (i, c) in columns.iter().enumerate() {
            if c.primary_key {
                pk.push(i);
            }
        }
        for name_ in primary_key {
            let i = cols.iter().position(|c| &c.name == name_).ok_or_else(|| {
                Error::new(
                    ErrorCode::NoColumn,
                    format!("PRIMARY KEY names unknown column `{name_}`"),
                )
            })?;
            pk.push(i);
        }
        if pk.len() > 1 && columns.iter().any(|c| c.primary_key) && !primary_key.is_empty() {
            return Err(Error::new(ErrorCode::Syntax, "a table has one PRIMARY KEY"));
        }
        let mut seen = std::collections::HashSet::new();
        for c in &cols {
            if !seen.insert(c.name.clone()) {
                return Err(Error::new(
                    ErrorCode::Syntax,
                    format!("duplicate column `{}`", c.name),
                ));
            }
        }
        Ok(Table {
            name: name.clone(),
            id,
            columns: cols,
            pk,
            checks: checks.clone(),
        })
    }

    /// Position of a column by name.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// True when the single INTEGER PRIMARY KEY column is the row id.
    pub fn int_pk(&self) -> Option<usize> {
        match self.pk.as_slice() {
            [i] if self.columns[*i].affinity == Affinity::Integer => Some(*i),
            _ => None,
        }
    }

    /// The storage key of a row (primary-key values, or the row id).
    pub fn row_key(&self, row: &[crate::sql::value::Value], rowid: i64) -> Vec<u8> {
        let mut k = rows_prefix(self.id);
        if self.pk.is_empty() {
            encode_key_value(&crate::sql::value::Value::Int(rowid), &mut k);
        } else {
            for &i in &self.pk {
                encode_key_value(&row[i], &mut k);
            }
        }
        k
    }
}

fn column(c: &ColumnDef) -> Column {
    Column {
        name: c.name.clone(),
        decl_type: c.decl_type.clone(),
        affinity: Affinity::of(&c.decl_type),
        not_null: c.not_null,
        default: c.default.clone(),
    }
}

fn cache() -> &'static Mutex<HashMap<Vec<u8>, Arc<Table>>> {
    static C: OnceLock<Mutex<HashMap<Vec<u8>, Arc<Table>>>> = OnceLock::new();
    C.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Decodes a catalog value (`id | CREATE TABLE text`), caching parsed schemas.
pub fn decode_entry(value: &[u8]) -> Result<Arc<Table>> {
    if let Some(t) = cache().lock().unwrap_or_else(|p| p.into_inner()).get(value) {
        return Ok(t.clone());
    }
    let id = get_u64_le(value, 0).ok_or_else(|| Error::corrupt("malformed catalog entry"))?;
    let text =
        std::str::from_utf8(&value[8..]).map_err(|_| Error::corrupt("malformed catalog entry"))?;
    let stmt = super::parse::parse(text)?;
    let [s] = stmt.as_slice() else {
        return Err(Error::corrupt("malformed catalog entry"));
    };
    let t = Arc::new(Table::from_statement(id, s)?);
    cache()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(value.to_vec(), t.clone());
    Ok(t)
}

/// Looks up a table as the statement sees the catalog.
pub fn lookup(ctx: &Ctx, name: &str) -> Result<Arc<Table>> {
    match ctx.get(&catalog_key(name))? {
        Some(v) => decode_entry(&v),
        None => Err(Error::new(
            ErrorCode::NoTable,
            format!("no such table: {name}"),
        )),
    }
}

/// True when a table exists as the statement sees the catalog.
pub fn exists(ctx: &Ctx, name: &str) -> Result<bool> {
    Ok(ctx.get(&catalog_key(name))?.is_some())
}
