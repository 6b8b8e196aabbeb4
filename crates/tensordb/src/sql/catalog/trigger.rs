//! Triggers as catalog facts: one entry per table, `RESERVED | 'g' |
//! enc(table)` → the CREATE TRIGGER texts of its triggers (each a `u32` LE
//! length then the text), in creation order — the order they fire in. A
//! write reads its table's entry once (through the schema cache), so tables
//! without triggers pay one cached lookup. Dropping a table or view drops
//! its triggers. BEFORE / AFTER triggers belong to tables, INSTEAD OF
//! triggers to views.

use crate::engine::commit::WriteOp;
use crate::engine::read::ScanRange;
use crate::error::{Error, ErrorCode, Result};
use crate::sql::catalog::ctx::Ctx;
use crate::sql::catalog::tables::{self, RESERVED};
use crate::sql::syntax::ast::{Statement, TriggerDef};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The catalog key of a table's triggers.
pub fn key(table: &str) -> Vec<u8> {
    let mut k = RESERVED.to_vec();
    k.push(b'g');
    crate::ledger::keys::encode_into(&mut k, table.as_bytes());
    k
}

fn texts(value: &[u8]) -> Result<Vec<&str>> {
    let bad = || Error::corrupt("malformed trigger entry");
    let mut out = Vec::new();
    let mut p = 0;
    while p < value.len() {
        let n = value.get(p..p + 4).ok_or_else(bad)?;
        let n = u32::from_le_bytes([n[0], n[1], n[2], n[3]]) as usize;
        let t = value.get(p + 4..p + 4 + n).ok_or_else(bad)?;
        out.push(std::str::from_utf8(t).map_err(|_| bad())?);
        p += 4 + n;
    }
    Ok(out)
}

fn encode(texts: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    for t in texts {
        out.extend_from_slice(&(t.len() as u32).to_le_bytes());
        out.extend_from_slice(t.as_bytes());
    }
    out
}

/// Parsed entries, by their stored bytes.
type Parsed = Arc<Vec<(String, Arc<TriggerDef>)>>;

fn cache() -> &'static Mutex<HashMap<Vec<u8>, Parsed>> {
    static C: OnceLock<Mutex<HashMap<Vec<u8>, Parsed>>> = OnceLock::new();
    C.get_or_init(|| Mutex::new(HashMap::new()))
}

fn parse(value: &[u8]) -> Result<Parsed> {
    if let Some(p) = cache().lock().unwrap_or_else(|p| p.into_inner()).get(value) {
        return Ok(p.clone());
    }
    let mut out = Vec::new();
    for text in texts(value)? {
        let Some(Statement::CreateTrigger(def)) =
            crate::sql::syntax::parse::parse(text)?.into_iter().next()
        else {
            return Err(Error::corrupt("malformed trigger entry"));
        };
        out.push((text.to_string(), Arc::new(*def)));
    }
    let parsed = Arc::new(out);
    let mut c = cache().lock().unwrap_or_else(|p| p.into_inner());
    if c.len() > 1024 {
        c.clear();
    }
    c.insert(value.to_vec(), parsed.clone());
    Ok(parsed)
}

/// The triggers of `table`, in firing order (empty when none).
pub fn of_table(ctx: &Ctx, table: &str) -> Result<Vec<Arc<TriggerDef>>> {
    match ctx.get_meta(&key(table))? {
        None => Ok(Vec::new()),
        Some(v) => Ok(parse(&v)?.iter().map(|(_, d)| d.clone()).collect()),
    }
}

/// Every table's trigger entry: (table key, parsed entry).
fn all(ctx: &Ctx) -> Result<Vec<(Vec<u8>, Parsed)>> {
    let mut prefix = RESERVED.to_vec();
    prefix.push(b'g');
    let mut out = Vec::new();
    ctx.scan_meta(
        &ScanRange {
            prefix: Some(prefix),
            ..Default::default()
        },
        |k, v| {
            out.push((k.to_vec(), parse(v)?));
            Ok(())
        },
    )?;
    Ok(out)
}

/// CREATE TRIGGER: the catalog write. The table (BEFORE / AFTER) or view
/// (INSTEAD OF) must exist; trigger names are unique in the database.
pub fn create(ctx: &Ctx, def: &TriggerDef, text: &str) -> Result<Vec<WriteOp>> {
    let view = crate::sql::catalog::view::lookup(ctx, &def.table)?.is_some();
    let instead = def.timing == crate::sql::syntax::ast::TriggerTiming::InsteadOf;
    let table = tables::exists(ctx, &def.table)?;
    if !view && !table {
        return Err(Error::new(
            ErrorCode::NoTable,
            format!("no such table: {}", def.table),
        ));
    }
    if view != instead {
        let what = if view {
            "is a view: only INSTEAD OF triggers apply to views"
        } else {
            "is a table: INSTEAD OF triggers apply to views"
        };
        return Err(Error::new(
            ErrorCode::Constraint,
            format!("{} {what}", def.table),
        ));
    }
    // A view's columns are known when its query runs: its NEW / OLD names
    // are checked when the trigger fires.
    if table {
        let t = tables::lookup(ctx, &def.table)?;
        if let crate::sql::syntax::ast::TriggerEvent::Update(cols) = &def.event {
            for c in cols {
                if t.column(c).is_none() {
                    return Err(Error::new(
                        ErrorCode::NoColumn,
                        format!("no such column: {c}"),
                    ));
                }
            }
        }
        for (is_new, c) in &def.binds {
            if t.column(c).is_none() {
                let side = if *is_new { "new" } else { "old" };
                return Err(Error::new(
                    ErrorCode::NoColumn,
                    format!("no such column: {side}.{c}"),
                ));
            }
        }
    }
    if all(ctx)?
        .iter()
        .any(|(_, p)| p.iter().any(|(_, d)| d.name == def.name))
    {
        return Err(Error::new(
            ErrorCode::Constraint,
            format!("trigger {} already exists", def.name),
        ));
    }
    let mut list: Vec<String> = match ctx.get_meta(&key(&def.table))? {
        Some(v) => texts(&v)?.into_iter().map(str::to_string).collect(),
        None => Vec::new(),
    };
    list.push(text.to_string());
    Ok(vec![WriteOp::put(key(&def.table), encode(&list))])
}

/// DROP TRIGGER [IF EXISTS]: the catalog write.
pub fn drop(ctx: &Ctx, name: &str, if_exists: bool) -> Result<Vec<WriteOp>> {
    for (k, parsed) in all(ctx)? {
        if parsed.iter().any(|(_, d)| d.name == name) {
            let rest: Vec<String> = parsed
                .iter()
                .filter(|(_, d)| d.name != name)
                .map(|(t, _)| t.clone())
                .collect();
            return Ok(vec![if rest.is_empty() {
                WriteOp::delete(k)
            } else {
                WriteOp::put(k, encode(&rest))
            }]);
        }
    }
    if if_exists {
        return Ok(Vec::new());
    }
    Err(Error::new(
        ErrorCode::NoTable,
        format!("no such trigger: {name}"),
    ))
}
