//! Statement execution: DDL and DML build one atomic write batch per
//! statement (committed under one system time); queries read at `at`.

use crate::engine::commit::WriteOp;
use crate::engine::read::ScanRange;
use crate::error::{Error, ErrorCode, Result};
use crate::sql::catalog::ctx::Ctx;
use crate::sql::catalog::index;
use crate::sql::catalog::tables::{self, catalog_key, rows_prefix, Table};
use crate::sql::datum::value::Value;
use crate::sql::dml::fire;
use crate::sql::exec::query::{eval, run_query, Scope};
use crate::sql::syntax::ast::TriggerTiming::{After, Before};
use crate::sql::syntax::ast::{Expr, SelectItem, Statement};

/// Runs a trigger body's statement (see `fire::Exec`).
pub fn run_body(ctx: &Ctx, s: &Statement) -> Result<()> {
    execute(ctx, s, "").map(|_| ())
}

/// What a statement produced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SqlResult {
    /// Result column names (queries).
    pub columns: Vec<String>,
    /// Result rows (queries).
    pub rows: Vec<Vec<Value>>,
    /// Rows inserted, updated or deleted.
    pub changes: u64,
    /// The row id (or integer primary key) of the last inserted row.
    pub last_insert_rowid: Option<i64>,
    /// The system time of the statement's commit, for writes.
    pub system_time: Option<u64>,
    /// Per result column, its strict type when known: "BOOLEAN",
    /// "TIMESTAMP", "DATE", "JSON", or "" (see `sql::types`).
    pub types: Vec<&'static str>,
}

/// The error of a second row taking a primary key.
pub fn pk_clash(t: &Table) -> Error {
    constraint(format!("UNIQUE constraint failed: {} primary key", t.name))
}

/// A `TDB_CONSTRAINT` error.
pub fn constraint(msg: String) -> Error {
    Error::new(ErrorCode::Constraint, msg)
}

/// Executes one statement.
pub fn execute(ctx: &Ctx, s: &Statement, text: &str) -> Result<SqlResult> {
    if let Statement::Insert { table, .. }
    | Statement::Update { table, .. }
    | Statement::Delete { table, .. } = s
    {
        // A write to a view runs its INSTEAD OF triggers.
        if !tables::exists(ctx, table)? {
            if let Some(v) = crate::sql::catalog::view::lookup(ctx, table)? {
                let changes = crate::sql::dml::instead::write(ctx, &v, s, &run_body)?;
                return Ok(SqlResult {
                    changes,
                    ..Default::default()
                });
            }
        }
    }
    match s {
        Statement::Query(q) => {
            // Columns the query never names are not decoded. Views are
            // read through queries whose names the statement does not hold,
            // so only a query over tables and its own CTEs qualifies.
            if let Some(u) = crate::sql::syntax::columns::used(q) {
                let mut plain = true;
                for t in &u.tables {
                    plain &= u.ctes.contains(t) || tables::exists(ctx, t)?;
                }
                if plain {
                    ctx.set_needed(Some(u.columns));
                }
            }
            let (columns, rows) = run_query(ctx, q, None)?;
            let mut types: Vec<&'static str> = crate::sql::catalog::types::of_query(ctx, q)
                .into_iter()
                .map(|k| k.name())
                .collect();
            if types.len() != columns.len() {
                types = vec![""; columns.len()];
            }
            Ok(SqlResult {
                columns,
                rows,
                types,
                ..Default::default()
            })
        }
        Statement::CreateTable {
            name,
            if_not_exists,
            columns,
            ..
        } => {
            for c in columns {
                crate::sql::syntax::names::check_column_name(&c.name)?;
            }
            if crate::sql::catalog::view::lookup(ctx, name)?.is_some() {
                return Err(Error::new(
                    ErrorCode::Constraint,
                    format!("a view named {name} already exists"),
                ));
            }
            if tables::exists(ctx, name)? {
                if *if_not_exists {
                    return Ok(SqlResult::default());
                }
                return Err(Error::new(
                    ErrorCode::Constraint,
                    format!("table {name} already exists"),
                ));
            }
            let id = crate::engine::clock::now_micros()
                ^ (crate::storage::hash::hash64(name.as_bytes()) << 40);
            let table = Table::from_statement(id, s)?;
            let mut value = id.to_le_bytes().to_vec();
            value.extend_from_slice(text.as_bytes());
            let mut ops = vec![WriteOp::put(catalog_key(name), value)];
            if let Statement::CreateTable { unique, .. } = s {
                for (n, cols) in unique.iter().enumerate() {
                    for c in cols {
                        if table.column(c).is_none() {
                            return Err(Error::new(
                                ErrorCode::NoColumn,
                                format!("UNIQUE names unknown column `{c}`"),
                            ));
                        }
                    }
                    let ix_name = format!("{name}_{}_key{n}", cols.join("_"));
                    let quoted: Vec<String> = cols.iter().map(|c| format!("\"{c}\"")).collect();
                    let ix_text = format!(
                        "CREATE UNIQUE INDEX \"{ix_name}\" ON \"{name}\" ({})",
                        quoted.join(", ")
                    );
                    let ix_id = id ^ (crate::storage::hash::hash64(ix_name.as_bytes()) << 20);
                    let mut def = ix_id.to_le_bytes().to_vec();
                    def.extend_from_slice(ix_text.as_bytes());
                    ops.push(WriteOp::put(index::def_key(name, &ix_name), def));
                }
            }
            commit(ctx, ops, 0, None)
        }
        Statement::DropTable { names, if_exists } => {
            let mut ops = Vec::new();
            for n in names {
                if !tables::exists(ctx, n)? {
                    if crate::sql::catalog::view::lookup(ctx, n)?.is_some() {
                        return Err(Error::new(
                            ErrorCode::NoTable,
                            format!("{n} is a view, not a table (use DROP VIEW)"),
                        ));
                    }
                    if *if_exists {
                        continue;
                    }
                    return Err(Error::new(
                        ErrorCode::NoTable,
                        format!("no such table: {n}"),
                    ));
                }
                ops.push(WriteOp::delete(catalog_key(n)));
                ops.push(WriteOp::delete(crate::sql::catalog::trigger::key(n)));
                let t = tables::lookup(ctx, n)?;
                for ix in index::of_table(ctx, &t)? {
                    ops.push(WriteOp::delete(index::def_key(n, &ix.name)));
                }
            }
            commit(ctx, ops, 0, None)
        }
        Statement::CreateIndex {
            name,
            table,
            columns,
            unique,
            if_not_exists,
        } => create_index(ctx, text, name, table, columns, *unique, *if_not_exists),
        Statement::DropIndex { names, if_exists } => {
            let mut ops = Vec::new();
            for n in names {
                match index::find(ctx, n)? {
                    Some(k) => ops.push(WriteOp::delete(k)),
                    None if *if_exists => {}
                    None => {
                        return Err(Error::new(
                            ErrorCode::NoTable,
                            format!("no such index: {n}"),
                        ))
                    }
                }
            }
            commit(ctx, ops, 0, None)
        }
        Statement::Insert {
            table,
            columns,
            source,
            on_conflict,
            returning,
        } => crate::sql::dml::insert::insert(
            ctx,
            table,
            columns,
            source,
            on_conflict.as_ref(),
            returning,
        ),
        Statement::Update {
            table,
            set,
            filter,
            returning,
            portion: None,
        } => update(ctx, table, set, filter.as_ref(), returning),
        Statement::Update {
            table,
            set,
            filter,
            returning,
            portion: Some(p),
        } => crate::sql::dml::portion::update(ctx, table, set, filter.as_ref(), returning, p),
        Statement::Delete {
            table,
            filter,
            returning,
            portion: None,
        } => delete(ctx, table, filter.as_ref(), returning),
        Statement::Delete {
            table,
            filter,
            returning,
            portion: Some(p),
        } => crate::sql::dml::portion::delete(ctx, table, filter.as_ref(), returning, p),
        Statement::RestoreTable { table, to } => {
            crate::sql::dml::restore::restore_table(ctx, table, to)
        }
        Statement::Backup { .. }
        | Statement::Restore(_)
        | Statement::VerifyBackup(_)
        | Statement::AdvanceEpoch => Err(Error::internal(
            "BACKUP / RESTORE reached the statement executor",
        )),
        Statement::SetTime { .. } | Statement::SetTimeout(_) | Statement::CheckDatabase => Err(
            Error::internal("SET SYSTEM_TIME / VALID_TIME reached the statement executor"),
        ),
        Statement::Reindex(target) => crate::sql::dml::reindex::reindex(ctx, target.as_deref()),
        Statement::CreateTrigger(def) => commit(
            ctx,
            crate::sql::catalog::trigger::create(ctx, def, text)?,
            0,
            None,
        ),
        Statement::DropTrigger { name, if_exists } => commit(
            ctx,
            crate::sql::catalog::trigger::drop(ctx, name, *if_exists)?,
            0,
            None,
        ),
        Statement::CreateView { .. } => match crate::sql::catalog::view::create(ctx, s, text)? {
            Some(ops) => commit(ctx, ops, 0, None),
            None => Ok(SqlResult::default()),
        },
        Statement::Explain { analyze, statement } => {
            let Statement::Query(q) = statement.as_ref() else {
                return Err(Error::new(
                    ErrorCode::NotSupported,
                    "EXPLAIN of a statement other than a query",
                ));
            };
            ctx.start_trace(*analyze);
            let res = run_query(ctx, q, None);
            let trace = ctx.take_trace();
            res?;
            let trace = trace.ok_or_else(|| Error::internal("EXPLAIN lost its trace"))?;
            let columns = trace.columns();
            Ok(SqlResult {
                types: vec![""; columns.len()],
                columns,
                rows: trace.rows(),
                ..Default::default()
            })
        }
        Statement::Analyze(table) => commit(
            ctx,
            crate::sql::catalog::stats::analyze(ctx, table.as_deref())?,
            0,
            None,
        ),
        Statement::DropView { names, if_exists } => commit(
            ctx,
            crate::sql::catalog::view::drop(ctx, names, *if_exists)?,
            0,
            None,
        ),
        Statement::AlterTable {
            table,
            if_exists,
            op,
        } => crate::sql::dml::alter::alter(ctx, table, *if_exists, op),
        Statement::Begin
        | Statement::Commit
        | Statement::Rollback
        | Statement::Savepoint(_)
        | Statement::Release(_)
        | Statement::RollbackTo(_) => Err(Error::internal(
            "transaction control reached the statement executor",
        )),
    }
}

/// The (column index, expression) pairs of an UPDATE's SET list.
pub fn set_targets<'e>(t: &Table, set: &'e [(String, Expr)]) -> Result<Vec<(usize, &'e Expr)>> {
    set.iter()
        .map(|(c, e)| {
            t.column(c)
                .map(|i| (i, e))
                .ok_or_else(|| no_set_column(t, c))
        })
        .collect()
}

/// `row` with the SET expressions applied — evaluated over `scope_row`,
/// the row as `cols` name it — and made ready to store.
pub fn apply_set(
    ctx: &Ctx,
    t: &Table,
    targets: &[(usize, &Expr)],
    cols: &[crate::sql::exec::query::ColRef],
    scope_row: &[Value],
    row: &[Value],
) -> Result<Vec<Value>> {
    let sc = Scope {
        cols,
        row: scope_row,
        group: None,
        outer: None,
    };
    let mut new = row.to_vec();
    for (i, e) in targets {
        new[*i] = eval(ctx, e, &sc)?;
    }
    prepare_row(ctx, t, new)
}

/// The error for SET of a column the table does not have (the hidden period
/// columns are not writable that way).
pub fn no_set_column(t: &Table, c: &str) -> Error {
    if crate::sql::syntax::names::is_hidden(c) {
        return Error::invalid(format!(
            "{c} cannot be set: system time is never writable, and a valid period is \
             changed with UPDATE … FOR PORTION OF VALID_TIME FROM … TO …"
        ));
    }
    Error::new(
        ErrorCode::NoColumn,
        crate::sql::syntax::hint::with_suggestion(
            format!("no such column: {c}"),
            c,
            t.columns.iter().map(|x| x.name.as_str()),
        ),
    )
}

/// Buffers a statement's writes in its transaction (the session commits).
pub fn commit(ctx: &Ctx, ops: Vec<WriteOp>, changes: u64, rowid: Option<i64>) -> Result<SqlResult> {
    ctx.write(ops)?;
    Ok(SqlResult {
        changes,
        last_insert_rowid: rowid,
        ..Default::default()
    })
}

/// The row id the next row without an explicit key gets.
pub fn next_rowid(ctx: &Ctx, t: &Table) -> Result<i64> {
    let range = ScanRange {
        prefix: Some(rows_prefix(t.id)),
        limit: Some(1),
        reverse: true,
        ..Default::default()
    };
    let mut found = None;
    ctx.scan_each(&range, |k, v| {
        found = Some((k.to_vec(), v.to_vec()));
        Ok(())
    })?;
    let last = match found {
        Some((k, v)) => match t.int_pk() {
            Some(i) => match crate::sql::datum::value::decode_row(&v)?.get(i) {
                Some(Value::Int(x)) => *x,
                _ => 0,
            },
            None => {
                let tail = k.get(k.len().saturating_sub(8)..).unwrap_or_default();
                let mut a = [0u8; 8];
                a.copy_from_slice(tail);
                (u64::from_be_bytes(a) ^ (1 << 63)) as i64
            }
        },
        None => 0,
    };
    Ok(last + 1)
}

/// Applies column affinities, NOT NULL and CHECK constraints to a row being
/// written.
pub fn prepare_row(ctx: &Ctx, t: &Table, mut row: Vec<Value>) -> Result<Vec<Value>> {
    let now = ctx.now_micros();
    for (i, c) in t.columns.iter().enumerate() {
        let v = std::mem::replace(&mut row[i], Value::Null);
        row[i] = c.kind.normalize(c.affinity.apply(v), now).map_err(|e| {
            Error::new(
                e.code,
                format!("{} (column {}.{})", e.message, t.name, c.name),
            )
        })?;
        if row[i].is_null() && c.not_null && t.int_pk() != Some(i) {
            return Err(constraint(format!(
                "NOT NULL constraint failed: {}.{}",
                t.name, c.name
            )));
        }
    }
    if !t.checks.is_empty() {
        let cols: Vec<_> = t.column_refs(&t.name);
        let sc = Scope {
            cols: &cols,
            row: &row,
            group: None,
            outer: None,
        };
        for (e, text) in &t.checks {
            // NULL passes a CHECK, as in SQL.
            if eval(ctx, e, &sc)?.truth() == Some(false) {
                return Err(constraint(format!(
                    "CHECK constraint failed: {} ({text})",
                    t.name
                )));
            }
        }
    }
    Ok(row)
}

fn matching_rows(
    ctx: &Ctx,
    table: &str,
    filter: Option<&Expr>,
) -> Result<crate::sql::catalog::ctx::LoadedTable> {
    let t = tables::lookup(ctx, table)?;
    let cols: Vec<_> = t.column_refs(&t.name);
    let mut conds = Vec::new();
    if let Some(f) = filter {
        crate::sql::exec::query::split_and(f, &mut conds);
    }
    let (_, candidates) = crate::sql::plan::access::rows(ctx, &t, &t.name, &conds)?;
    let mut out = Vec::new();
    for (k, row) in candidates {
        let keep = match filter {
            Some(f) => {
                eval(
                    ctx,
                    f,
                    &Scope {
                        cols: &cols,
                        row: &row,
                        group: None,
                        outer: None,
                    },
                )?
                .truth()
                    == Some(true)
            }
            None => true,
        };
        if keep {
            out.push((k, row));
        }
    }
    Ok((t, out))
}

/// Writes `new` over the row stored under `key` (old values `old`): moves
/// the row if its primary key changed and maintains the indexes. Returns the
/// row's (possibly new) key.
#[allow(clippy::too_many_arguments)]
pub fn rewrite_row(
    ctx: &Ctx,
    t: &Table,
    indexes: &[index::Index],
    key: &[u8],
    old: &[Value],
    new: &[Value],
    pending: &mut crate::sql::catalog::index::Pending,
    ops: &mut Vec<WriteOp>,
) -> Result<Vec<u8>> {
    let new_key = if t.pk.is_empty() {
        key.to_vec()
    } else {
        t.row_key(new, 0) /* row id unused: keyed by primary key */
    };
    if new_key != key {
        if ctx.get(&new_key)?.is_some() {
            return Err(pk_clash(t));
        }
        ops.push(WriteOp::delete(key.to_vec()));
    }
    index::maintain(
        ctx,
        t,
        indexes,
        Some((old, key)),
        Some((new, &new_key)),
        pending,
        ops,
    )?;
    ops.push(WriteOp::put(new_key.clone(), t.encode(new)));
    Ok(new_key)
}

/// Evaluates RETURNING items over rows of `t`.
pub fn returning(
    ctx: &Ctx,
    t: &Table,
    items: &[SelectItem],
    rows: &[Vec<Value>],
) -> Result<(Vec<String>, Vec<Vec<Value>>)> {
    let cols: Vec<_> = t.column_refs(&t.name);
    let mut names = Vec::new();
    for it in items {
        match it {
            SelectItem::Expr(e, alias) => {
                names.push(alias.clone().unwrap_or_else(|| e.output_name()))
            }
            SelectItem::Star | SelectItem::TableStar(_) => {
                names.extend(t.columns.iter().map(|c| c.name.clone()))
            }
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let sc = Scope {
            cols: &cols,
            row,
            group: None,
            outer: None,
        };
        let mut r = Vec::with_capacity(names.len());
        for it in items {
            match it {
                SelectItem::Expr(e, _) => r.push(eval(ctx, e, &sc)?),
                SelectItem::TableStar(n) if n != &t.name => {
                    return Err(Error::new(
                        ErrorCode::NoTable,
                        format!("no such table: {n}"),
                    ))
                }
                _ => r.extend(row.iter().cloned()),
            }
        }
        out.push(r);
    }
    Ok((names, out))
}

fn update(
    ctx: &Ctx,
    table: &str,
    set: &[(String, Expr)],
    filter: Option<&Expr>,
    ret: &[SelectItem],
) -> Result<SqlResult> {
    let (t, rows) = matching_rows(ctx, table, filter)?;
    let cols: Vec<_> = t.column_refs(&t.name);
    let targets = set_targets(&t, set)?;
    let indexes = index::of_table(ctx, &t)?;
    let triggers = fire::Armed::of(ctx, &t, fire::Kind::Update)?;
    let assigned: Vec<usize> = targets.iter().map(|x| x.0).collect();
    let mut pending = crate::sql::catalog::index::Pending::default();
    let mut ops = Vec::new();
    let mut written = Vec::new();
    for (key, row) in &rows {
        let new = apply_set(ctx, &t, &targets, &cols, row, row)?;
        let (old, new_row) = (Some(row.as_slice()), Some(new.as_slice()));
        triggers.fire_row(ctx, &mut ops, Before, old, new_row, &assigned, &run_body)?;
        rewrite_row(ctx, &t, &indexes, key, row, &new, &mut pending, &mut ops)?;
        triggers.fire_row(ctx, &mut ops, After, old, new_row, &assigned, &run_body)?;
        if !ret.is_empty() {
            written.push(new);
        }
    }
    let n = rows.len() as u64;
    let mut r = commit(ctx, ops, n, None)?;
    if !ret.is_empty() {
        (r.columns, r.rows) = returning(ctx, &t, ret, &written)?;
    }
    Ok(r)
}

fn delete(ctx: &Ctx, table: &str, filter: Option<&Expr>, ret: &[SelectItem]) -> Result<SqlResult> {
    let (t, rows) = matching_rows(ctx, table, filter)?;
    let indexes = index::of_table(ctx, &t)?;
    let triggers = fire::Armed::of(ctx, &t, fire::Kind::Delete)?;
    let mut pending = crate::sql::catalog::index::Pending::default();
    let mut ops = Vec::new();
    for (k, row) in &rows {
        triggers.fire_row(ctx, &mut ops, Before, Some(row), None, &[], &run_body)?;
        index::maintain(
            ctx,
            &t,
            &indexes,
            Some((row, k)),
            None,
            &mut pending,
            &mut ops,
        )?;
        ops.push(WriteOp::delete(k.clone()));
        triggers.fire_row(ctx, &mut ops, After, Some(row), None, &[], &run_body)?;
    }
    let mut r = commit(ctx, ops, rows.len() as u64, None)?;
    if !ret.is_empty() {
        let old: Vec<Vec<Value>> = rows.into_iter().map(|(_, v)| v).collect();
        (r.columns, r.rows) = returning(ctx, &t, ret, &old)?;
    }
    Ok(r)
}

#[allow(clippy::too_many_arguments)]
fn create_index(
    ctx: &Ctx,
    text: &str,
    name: &str,
    table: &str,
    columns: &[String],
    unique: bool,
    if_not_exists: bool,
) -> Result<SqlResult> {
    if index::find(ctx, name)?.is_some() {
        if if_not_exists {
            return Ok(SqlResult::default());
        }
        return Err(Error::new(
            ErrorCode::Constraint,
            format!("index {name} already exists"),
        ));
    }
    let loaded = ctx.table(table)?;
    let t = loaded.0.clone();
    for c in columns {
        if t.column(c).is_none() {
            return Err(Error::new(
                ErrorCode::NoColumn,
                format!("no such column: {c}"),
            ));
        }
    }
    let id =
        crate::engine::clock::now_micros() ^ (crate::storage::hash::hash64(name.as_bytes()) << 40);
    let mut def = id.to_le_bytes().to_vec();
    def.extend_from_slice(text.as_bytes());
    let mut ops = vec![WriteOp::put(index::def_key(table, name), def.clone())];
    // Index the rows already there (a new index has no entries to clash with
    // but its own, which `pending` tracks).
    let ix = index::Index {
        name: name.to_string(),
        table: table.to_string(),
        id,
        columns: columns.iter().filter_map(|c| t.column(c)).collect(),
        unique,
    };
    let mut pending = crate::sql::catalog::index::Pending::default();
    for (key, row) in &loaded.1 {
        index::maintain(
            ctx,
            &t,
            std::slice::from_ref(&ix),
            None,
            Some((row, key)),
            &mut pending,
            &mut ops,
        )?;
    }
    commit(ctx, ops, 0, None)
}
