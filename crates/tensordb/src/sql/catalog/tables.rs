//! The SQL catalog, kept as facts in the ledger like everything else: table
//! `name` is the key `CATALOG | enc(name)` whose value is `table id (u64 LE) |
//! CREATE TABLE text`. Rows live under `ROWS | BE(table id) | key`, so a
//! dropped table's rows stay in history and a new table of the same name
//! starts empty. Keys starting with 0xFF 0xFE are reserved for SQL.

use crate::error::{Error, ErrorCode, Result};
use crate::sql::catalog::ctx::Ctx;
use crate::sql::datum::value::{encode_key_value, Affinity, Value};
use crate::sql::syntax::ast::{ColumnDef, Expr, Statement};
use crate::sql::syntax::names::quote_ident;
use crate::storage::coding::{get_u32_le, get_u64_le};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Prefix of every SQL key.
pub const RESERVED: [u8; 2] = crate::engine::schema_watch::SCHEMA_PREFIX;

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
    /// Strict kind (BOOLEAN, TIMESTAMP, DATE, JSON) checked on write.
    pub kind: crate::sql::datum::coltype::Kind,
    /// NOT NULL.
    pub not_null: bool,
    /// DEFAULT.
    pub default: Option<Expr>,
    /// DEFAULT as SQL text.
    pub default_text: Option<String>,
    /// Position of the column's value in stored rows. Slots are never reused:
    /// DROP COLUMN leaves its slot unread and ADD COLUMN takes a new one, so
    /// every row version ever written decodes under the current schema.
    pub slot: usize,
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
        let mut cols: Vec<Column> = columns.iter().map(column).collect();
        for (i, c) in cols.iter_mut().enumerate() {
            c.slot = i;
        }
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

    /// Decodes a stored row. Rows written before an `ADD COLUMN` are shorter
    /// than the schema: the missing columns read as their (constant) DEFAULT.
    pub fn decode(&self, bytes: &[u8]) -> Result<Vec<Value>> {
        self.decode_with_room(bytes, 0)
    }

    /// `decode`, leaving capacity for `room` more values (hidden columns).
    pub fn decode_with_room(&self, bytes: &[u8], room: usize) -> Result<Vec<Value>> {
        self.decode_masked(bytes, room, None)
    }

    /// Which stored slots hold a column named in `names` (see
    /// `decode_masked`); `None` when every column is.
    pub fn slot_mask(&self, names: &std::collections::HashSet<String>) -> Option<Vec<bool>> {
        if self.columns.iter().all(|c| names.contains(&c.name)) {
            return None;
        }
        let width = self.columns.iter().map(|c| c.slot + 1).max().unwrap_or(0);
        let mut keep = vec![false; width];
        for c in &self.columns {
            keep[c.slot] = names.contains(&c.name);
        }
        Some(keep)
    }

    /// `decode_with_room` decoding only the slots `keep` marks (the other
    /// columns come back NULL): for readers that never look at them.
    pub fn decode_masked(
        &self,
        bytes: &[u8],
        room: usize,
        keep: Option<&[bool]>,
    ) -> Result<Vec<Value>> {
        let mut row = crate::sql::datum::value::decode_row_masked(bytes, room, keep)?;
        let missing = |c: &Column| {
            let v = c.default.as_ref().and_then(constant).unwrap_or(Value::Null);
            c.affinity.apply(v)
        };
        if self.dense() {
            if row.len() < self.columns.len() {
                for c in &self.columns[row.len()..] {
                    row.push(missing(c));
                }
            }
            return Ok(row);
        }
        let mut out = Vec::with_capacity(self.columns.len() + room);
        out.extend(self.columns.iter().map(|c| match row.get_mut(c.slot) {
            Some(v) => std::mem::replace(v, Value::Null),
            None => missing(c),
        }));
        Ok(out)
    }

    /// The table's columns as a relation's column references, under
    /// `label` (its name or alias).
    pub fn column_refs(&self, label: &str) -> Vec<(Option<String>, String)> {
        self.columns
            .iter()
            .map(|c| (Some(label.to_string()), c.name.clone()))
            .collect()
    }

    /// Encodes a row (values in column order) into its stored form.
    pub fn encode(&self, row: &[Value]) -> Vec<u8> {
        let mut out = Vec::new();
        if self.dense() {
            crate::sql::datum::value::encode_row(row, &mut out);
        } else {
            let width = self.columns.iter().map(|c| c.slot + 1).max().unwrap_or(0);
            let mut phys = vec![Value::Null; width];
            for (c, v) in self.columns.iter().zip(row) {
                phys[c.slot] = v.clone();
            }
            crate::sql::datum::value::encode_row(&phys, &mut out);
        }
        out
    }

    /// True when column i is stored in slot i (no column was ever dropped).
    fn dense(&self) -> bool {
        self.columns.iter().enumerate().all(|(i, c)| c.slot == i)
    }

    /// The slot a newly added column takes.
    pub fn next_slot(&self) -> usize {
        self.columns.iter().map(|c| c.slot + 1).max().unwrap_or(0)
    }

    /// The catalog value of this schema: `id | CREATE TABLE text` while every
    /// column sits in its own position, else `id | 0xFF | u32 text length |
    /// text | u32 slot per column` (all little-endian).
    pub fn catalog_value(&self) -> Vec<u8> {
        let text = self.create_sql();
        let mut v = self.id.to_le_bytes().to_vec();
        if self.dense() {
            v.extend_from_slice(text.as_bytes());
        } else {
            v.push(0xFF);
            v.extend_from_slice(&(text.len() as u32).to_le_bytes());
            v.extend_from_slice(text.as_bytes());
            for c in &self.columns {
                v.extend_from_slice(&(c.slot as u32).to_le_bytes());
            }
        }
        v
    }

    /// The CREATE TABLE text of this schema (what the catalog stores after
    /// an ALTER TABLE). UNIQUE constraints live on as their indexes.
    pub fn create_sql(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        for c in &self.columns {
            let mut p = quote_ident(&c.name);
            if !c.decl_type.is_empty() {
                p.push(' ');
                p.push_str(&c.decl_type);
            }
            if c.not_null {
                p.push_str(" NOT NULL");
            }
            if let Some(d) = &c.default_text {
                p.push_str(&format!(" DEFAULT ({d})"));
            }
            parts.push(p);
        }
        if !self.pk.is_empty() {
            let cols: Vec<String> = self
                .pk
                .iter()
                .map(|&i| quote_ident(&self.columns[i].name))
                .collect();
            parts.push(format!("PRIMARY KEY ({})", cols.join(", ")));
        }
        for (_, text) in &self.checks {
            parts.push(format!("CHECK ({text})"));
        }
        format!(
            "CREATE TABLE {} ({})",
            quote_ident(&self.name),
            parts.join(", ")
        )
    }

    /// True when the single INTEGER PRIMARY KEY column is the row id.
    pub fn int_pk(&self) -> Option<usize> {
        match self.pk.as_slice() {
            [i] if self.columns[*i].affinity == Affinity::Integer => Some(*i),
            _ => None,
        }
    }

    /// The storage key of a row (primary-key values, or the row id).
    pub fn row_key(&self, row: &[crate::sql::datum::value::Value], rowid: i64) -> Vec<u8> {
        let mut k = rows_prefix(self.id);
        if self.pk.is_empty() {
            encode_key_value(&crate::sql::datum::value::Value::Int(rowid), &mut k);
        } else {
            for &i in &self.pk {
                encode_key_value(&row[i], &mut k);
            }
        }
        k
    }
}

/// The value of a constant expression (a literal, possibly signed).
pub fn constant(e: &Expr) -> Option<crate::sql::datum::value::Value> {
    use crate::sql::datum::value::{arith, Arith, Value};
    use crate::sql::syntax::ast::UnOp;
    match e {
        Expr::Lit(v) => Some(v.clone()),
        Expr::Unary(UnOp::Neg, x) => constant(x).map(|v| arith(Arith::Sub, &Value::Int(0), &v)),
        Expr::Unary(UnOp::Plus, x) => constant(x),
        _ => None,
    }
}

/// A schema column from its definition.
pub fn column(c: &ColumnDef) -> Column {
    Column {
        name: c.name.clone(),
        decl_type: c.decl_type.clone(),
        affinity: Affinity::of(&c.decl_type),
        kind: crate::sql::datum::coltype::Kind::of(&c.decl_type),
        not_null: c.not_null,
        default: c.default.clone(),
        default_text: c.default_text.clone(),
        slot: 0,
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
    let bad = || Error::corrupt("malformed catalog entry");
    let id = get_u64_le(value, 0).ok_or_else(bad)?;
    let rest = value.get(8..).ok_or_else(bad)?;
    // `0xFF` (never the first byte of UTF-8 text) marks an entry with slots.
    let (text, slots) = match rest.first() {
        Some(0xFF) => {
            let len = get_u32_le(rest, 1).ok_or_else(bad)? as usize;
            let text = rest.get(5..5 + len).ok_or_else(bad)?;
            let tail = &rest[5 + len..];
            if tail.len() % 4 != 0 {
                return Err(bad());
            }
            let slots: Vec<usize> = (0..tail.len() / 4)
                .map(|i| get_u32_le(tail, 4 * i).map(|s| s as usize).ok_or_else(bad))
                .collect::<Result<_>>()?;
            (text, Some(slots))
        }
        _ => (rest, None),
    };
    let text = std::str::from_utf8(text).map_err(|_| bad())?;
    let stmt = crate::sql::syntax::parse::parse(text)?;
    let [s] = stmt.as_slice() else {
        return Err(bad());
    };
    let mut table = Table::from_statement(id, s)?;
    if let Some(slots) = slots {
        if slots.len() != table.columns.len() {
            return Err(bad());
        }
        for (c, slot) in table.columns.iter_mut().zip(slots) {
            c.slot = slot;
        }
    }
    let t = Arc::new(table);
    cache()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(value.to_vec(), t.clone());
    Ok(t)
}

/// Looks up a table as the statement sees the catalog.
pub fn lookup(ctx: &Ctx, name: &str) -> Result<Arc<Table>> {
    match find(ctx, name)? {
        Some(t) => Ok(t),
        None if ctx
            .get_meta(&crate::sql::catalog::view::view_key(name))?
            .is_some() =>
        {
            Err(Error::new(
                ErrorCode::NotSupported,
                format!("{name} is a view; views are read-only"),
            ))
        }
        None => {
            let known = names(ctx)?;
            Err(Error::new(
                ErrorCode::NoTable,
                crate::sql::syntax::hint::with_suggestion(
                    format!("no such table: {name}"),
                    name,
                    known.iter().map(String::as_str),
                ),
            ))
        }
    }
}

/// The names of every table and view, as the statement sees the catalog.
pub fn names(ctx: &Ctx) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for kind in [b'c', b'v'] {
        let mut prefix = RESERVED.to_vec();
        prefix.push(kind);
        let range = crate::engine::read::ScanRange {
            prefix: Some(prefix.clone()),
            ..Default::default()
        };
        ctx.scan_meta(&range, |k, _| {
            let mut name = Vec::new();
            crate::ledger::keys::decode_into(&k[prefix.len()..], &mut name)
                .ok_or_else(|| Error::corrupt("malformed catalog key"))?;
            out.push(String::from_utf8_lossy(&name).into_owned());
            Ok(())
        })?;
    }
    Ok(out)
}

/// True when a table exists as the statement sees the catalog.
pub fn exists(ctx: &Ctx, name: &str) -> Result<bool> {
    Ok(find(ctx, name)?.is_some())
}

/// The table named `name`, if any; read once per statement (`Ctx` keeps
/// what it found until the statement writes).
pub fn find(ctx: &Ctx, name: &str) -> Result<Option<Arc<Table>>> {
    if let Some(hit) = ctx.schema_cached(name) {
        return Ok(hit);
    }
    // Decoded once per schema generation for every statement that may share
    // the folder's schema cache (see `Ctx::get_meta`).
    let shared = ctx.shared_generation();
    if let Some(hit) = shared.as_ref().and_then(|(c, g)| c.table(*g, name)) {
        ctx.cache_schema(name, hit.clone());
        return Ok(hit);
    }
    let t = match ctx.get_meta(&catalog_key(name))? {
        Some(v) => Some(decode_entry(&v)?),
        None => None,
    };
    if let Some((c, g)) = &shared {
        c.put_table(*g, name, t.clone());
    }
    ctx.cache_schema(name, t.clone());
    Ok(t)
}
