//! Compiled primary-key reads. A prepared `SELECT` whose plan is one
//! primary-key point read with plain columns out — `SELECT a, b FROM t
//! WHERE id = $1`, the most common statement of an OLTP program — keeps that
//! plan between runs: the table schema, the key's parameter positions, the
//! output columns and their types. A run then encodes the key, makes one
//! memory-only read and picks the columns, skipping parse-tree walks,
//! planning and the generic operators.
//!
//! The plan belongs to one open folder and one schema generation (see
//! `engine::schema_watch`): after any DDL it is rebuilt from a normal run.
//! It is built only from a normal run's own answer (names and types) and
//! the planner's choice (a primary-key lookup is always the cheapest path),
//! and runs only where that answer cannot differ: reads of now, key values
//! whose type already matches the column (no affinity conversion), no
//! hidden or computed columns.

use crate::engine::db::{Database, ReadAt};
use crate::error::Result;
use crate::sql::catalog::tables::Table;
use crate::sql::datum::value::{Affinity, Value};
use crate::sql::dml::statement::SqlResult;
use crate::sql::syntax::ast::{BinOp, Body, Expr, From, Query, SelectItem, Statement};
use std::sync::Arc;

/// What the statement's text says, before any schema is known.
#[derive(Clone, Debug)]
pub struct Shape {
    table: String,
    /// Output columns by name; `None` for `*`.
    items: Vec<Option<String>>,
    /// `column = key` conjuncts of the WHERE clause.
    keys: Vec<(String, Expr)>,
}

/// A compiled read for one folder and schema generation.
#[derive(Debug)]
pub struct Plan {
    /// Identity of the folder's schema cache (`MetaCache::id`).
    pub cache_id: u64,
    /// Schema generation the plan was built under.
    pub generation: u64,
    table: Arc<Table>,
    /// Per primary-key column (in key order): where its value comes from.
    key: Vec<Expr>,
    /// Positions of the output columns in a decoded row.
    project: Vec<usize>,
    columns: Vec<String>,
    types: Vec<&'static str>,
}

fn column_of<'e>(e: &'e Expr, label: &str) -> Option<&'e str> {
    match e {
        Expr::Column(q, n) if q.as_deref().is_none_or(|q| q == label) => Some(n),
        _ => None,
    }
}

fn conjuncts<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::Binary(a, BinOp::And, b) => {
            conjuncts(a, out);
            conjuncts(b, out);
        }
        other => out.push(other),
    }
}

impl Shape {
    /// The shape of `s` when it may compile to a point read.
    pub fn of(s: &Statement) -> Option<Shape> {
        let Statement::Query(q) = s else {
            return None;
        };
        let Query {
            with,
            body: Body::Select(sel),
            order_by,
            limit: None,
            offset: None,
        } = q.as_ref()
        else {
            return None;
        };
        if !with.is_empty() || !order_by.is_empty() || sel.distinct {
            return None;
        }
        if !sel.group_by.is_empty() || sel.having.is_some() {
            return None;
        }
        let [From::Table(table, alias, None)] = sel.from.as_slice() else {
            return None;
        };
        let label = alias.clone().unwrap_or_else(|| table.clone());
        let mut items = Vec::new();
        for it in &sel.items {
            match it {
                SelectItem::Star => items.push(None),
                SelectItem::TableStar(t) if *t == label => items.push(None),
                SelectItem::Expr(e, _) => items.push(Some(column_of(e, &label)?.to_string())),
                SelectItem::TableStar(_) => return None,
            }
        }
        let mut parts = Vec::new();
        conjuncts(sel.filter.as_ref()?, &mut parts);
        let mut keys = Vec::new();
        for p in parts {
            let Expr::Binary(a, BinOp::Eq, b) = p else {
                return None;
            };
            let (col, k) = match (a.as_ref(), b.as_ref()) {
                (c, k @ (Expr::Param(_) | Expr::Lit(_))) => (column_of(c, &label)?, k),
                (k @ (Expr::Param(_) | Expr::Lit(_)), c) => (column_of(c, &label)?, k),
                _ => return None,
            };
            keys.push((col.to_string(), k.clone()));
        }
        Some(Shape {
            table: table.clone(),
            items,
            keys,
        })
    }

    /// Compiles against `table` and a normal run's `answer`; `None` when the
    /// predicates are not exactly one equality per primary-key column or an
    /// output is not a plain column.
    pub fn compile(
        &self,
        table: Arc<Table>,
        answer: &SqlResult,
        cache_id: u64,
        generation: u64,
    ) -> Option<Plan> {
        if table.pk.is_empty() || self.keys.len() != table.pk.len() {
            return None;
        }
        let mut key = Vec::with_capacity(table.pk.len());
        for &i in &table.pk {
            let name = &table.columns[i].name;
            let mut found = self.keys.iter().filter(|(c, _)| c == name);
            let (Some((_, e)), None) = (found.next(), found.next()) else {
                return None;
            };
            key.push(e.clone());
        }
        let mut project = Vec::new();
        for it in &self.items {
            match it {
                None => project.extend(0..table.columns.len()),
                Some(n) => project.push(table.column(n)?),
            }
        }
        if project.len() != answer.columns.len() || answer.types.len() != project.len() {
            return None;
        }
        Some(Plan {
            cache_id,
            generation,
            table,
            key,
            project,
            columns: answer.columns.clone(),
            types: answer.types.clone(),
        })
    }

    /// The table the statement reads.
    pub fn table(&self) -> &str {
        &self.table
    }
}

/// A key value the plan may use as it is: already of the column's type.
fn key_value(col: Affinity, v: &Value) -> bool {
    matches!(
        (col, v),
        (Affinity::Integer, Value::Int(_)) | (Affinity::Text, Value::Text(_))
    )
}

impl Plan {
    /// Runs the plan from memory: `Ok(None)` when it cannot answer (a key
    /// value needing conversion, a missing parameter, the row not in memory,
    /// the schema moved on) — run the statement normally then.
    pub fn run(&self, db: &Database, params: &[Value]) -> Result<Option<SqlResult>> {
        let t = &self.table;
        let mut probe = vec![Value::Null; t.columns.len()];
        for (e, &i) in self.key.iter().zip(&t.pk) {
            let v = match e {
                Expr::Param(n) => match params.get(*n) {
                    Some(v) => v,
                    None => return Ok(None),
                },
                Expr::Lit(v) => v,
                _ => return Ok(None),
            };
            if !key_value(t.columns[i].affinity, v) {
                return Ok(None);
            }
            probe[i] = v.clone();
        }
        // Snapshot first, then the schema state: the plan holds when the
        // generation is unchanged and the snapshot is not older than it.
        let (snapshot, valid_at) = db.resolve(&ReadAt::default())?;
        match db.schema_state() {
            Some(s) if s.generation == self.generation && snapshot >= s.last_sys => {}
            _ => return Ok(None),
        }
        let at = ReadAt {
            as_of: Some(snapshot),
            epoch: None,
            valid_at: Some(valid_at),
        };
        let key = t.row_key(&probe, 0);
        let rows = match db.get_cached(&key, &at)? {
            None => return Ok(None),
            Some(None) => Vec::new(),
            Some(Some(bytes)) => {
                let row = t.decode(&bytes)?;
                vec![self.project.iter().map(|&i| row[i].clone()).collect()]
            }
        };
        Ok(Some(SqlResult {
            columns: self.columns.clone(),
            types: self.types.clone(),
            rows,
            ..SqlResult::default()
        }))
    }
}
