//! sqlparser AST -> TensorDB AST. The only module that touches
//! `sqlparser::ast`; anything it does not translate is rejected here by name
//! with `TDB_NOT_SUPPORTED`, never silently ignored.

use crate::error::{Error, ErrorCode, Result};
use crate::sql::datum::value::{Arith, Value};
use crate::sql::syntax::ast::*;
use sqlparser::ast as sp;

mod trigger;

fn unsupported(what: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorCode::NotSupported,
        format!("{what} is not supported yet"),
    )
}

fn ident(i: &sp::Ident) -> String {
    if i.quote_style.is_some() {
        i.value.clone()
    } else {
        i.value.to_ascii_lowercase()
    }
}

fn object_name(n: &sp::ObjectName) -> Result<String> {
    match n.0.last() {
        Some(sp::ObjectNamePart::Identifier(i)) => Ok(ident(i)),
        _ => Err(unsupported(format!("the name `{n}`"))),
    }
}

fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Func {
        name: name.to_string(),
        args,
        distinct: false,
        star: false,
    }
}

fn like(
    name: &str,
    negated: bool,
    x: &sp::Expr,
    pattern: &sp::Expr,
    escape: Option<&sp::Expr>,
) -> Result<Expr> {
    let mut args = vec![expr(pattern)?, expr(x)?];
    if let Some(e) = escape {
        args.push(expr(e)?);
    }
    let f = call(name, args);
    Ok(if negated {
        Expr::Unary(UnOp::Not, Box::new(f))
    } else {
        f
    })
}

thread_local! {
    /// The number the last plain `?` of the statement being translated got.
    static NEXT_QMARK: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// Temporal clauses the front pass lifted from the text being
    /// translated, and whether a table reference claimed each.
    static LIFTED: std::cell::RefCell<Vec<(crate::sql::syntax::front::Lifted, bool)>> =
        const { std::cell::RefCell::new(Vec::new()) };
    /// The text being translated names a hidden period column.
    static HIDDEN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// The front pass's numbers for plain `?` placeholders, by position.
    static QMARKS: std::cell::RefCell<Vec<(sqlparser::tokenizer::Location, usize)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Translates `f` with the front pass's lifted clauses available to table
/// references; fails if a clause was not claimed by any.
pub fn with_lifted<T>(
    lifted: Vec<crate::sql::syntax::front::Lifted>,
    hidden: bool,
    qmarks: Vec<(sqlparser::tokenizer::Location, usize)>,
    f: impl FnOnce() -> Result<T>,
) -> Result<T> {
    LIFTED.with(|l| *l.borrow_mut() = lifted.into_iter().map(|x| (x, false)).collect());
    HIDDEN.with(|h| h.set(hidden));
    QMARKS.with(|q| *q.borrow_mut() = qmarks);
    let res = f();
    HIDDEN.with(|h| h.set(false));
    QMARKS.with(|q| q.borrow_mut().clear());
    let left = LIFTED.with(|l| {
        let v = std::mem::take(&mut *l.borrow_mut());
        v.into_iter()
            .find(|(_, claimed)| !claimed)
            .map(|(x, _)| x.at)
    });
    let out = res?;
    if let Some(at) = left {
        return Err(Error::new(
            ErrorCode::Syntax,
            format!(
                "this temporal clause does not follow a table name at Line: {}, Column: {}",
                at.line, at.column
            ),
        ));
    }
    Ok(out)
}

/// The clauses lifted from right after this table reference, if any.
fn lifted_for(
    name: &sp::ObjectName,
    alias: Option<&sp::Ident>,
) -> Option<crate::sql::syntax::front::Lifted> {
    let mut anchors = Vec::new();
    if let Some(sp::ObjectNamePart::Identifier(i)) = name.0.last() {
        anchors.push(i.span.start);
    }
    if let Some(a) = alias {
        anchors.push(a.span.start);
    }
    LIFTED.with(|l| {
        let mut l = l.borrow_mut();
        let hit = l
            .iter_mut()
            .find(|(x, claimed)| !claimed && anchors.contains(&x.anchor))?;
        hit.1 = true;
        Some(hit.0.clone())
    })
}

/// Translates a backup / restore statement.
pub fn admin(a: &crate::sql::syntax::front::Admin) -> Result<Statement> {
    use crate::sql::syntax::front::Admin as A;
    Ok(match a {
        A::Backup { path, since } => Statement::Backup {
            path: expr(path)?,
            since: since.as_ref().map(expr).transpose()?,
        },
        A::Restore { path } => Statement::Restore(expr(path)?),
        A::Verify { path } => Statement::VerifyBackup(expr(path)?),
        A::AdvanceEpoch => Statement::AdvanceEpoch,
        A::CheckDatabase => Statement::CheckDatabase,
        A::Reindex { target } => Statement::Reindex(target.clone()),
        A::RestoreTable { table, to } => Statement::RestoreTable {
            table: table.clone(),
            to: time_spec(to)?,
        },
    })
}

/// Translates a lifted time clause.
pub fn time_spec(s: &crate::sql::syntax::front::RawSpec) -> Result<TimeSpec> {
    use crate::sql::syntax::front::RawSpec as R;
    Ok(match s {
        R::AsOf(e) => TimeSpec::AsOf(expr(e)?),
        R::AsOfEpoch(e) => TimeSpec::AsOfEpoch(expr(e)?),
        R::Between(a, b) => TimeSpec::Between(expr(a)?, expr(b)?),
        R::FromTo(a, b) => TimeSpec::FromTo(expr(a)?, expr(b)?),
        R::All => TimeSpec::All,
    })
}

fn temporal(l: &crate::sql::syntax::front::Lifted) -> Result<Option<Box<Temporal>>> {
    if l.portion.is_some() {
        return Err(Error::new(
            ErrorCode::Syntax,
            "FOR PORTION OF belongs after the table of an UPDATE or DELETE",
        ));
    }
    Ok(Some(Box::new(Temporal {
        system: l.system.as_ref().map(time_spec).transpose()?,
        valid: l.valid.as_ref().map(time_spec).transpose()?,
        hidden: HIDDEN.with(|h| h.get()),
    })))
}

fn table_temporal(
    name: &sp::ObjectName,
    alias: Option<&sp::Ident>,
) -> Result<Option<Box<Temporal>>> {
    match lifted_for(name, alias) {
        Some(l) => temporal(&l),
        None if HIDDEN.with(|h| h.get()) => Ok(Some(Box::new(Temporal {
            hidden: true,
            ..Default::default()
        }))),
        None => Ok(None),
    }
}

/// `SET statement_timeout = <ms>` (0: none) or `= DEFAULT`.
fn statement_timeout(values: &[sp::Expr]) -> Result<Statement> {
    let bad = || Error::invalid("SET statement_timeout takes milliseconds (0: none) or DEFAULT");
    match values {
        [sp::Expr::Identifier(i)] if i.value.eq_ignore_ascii_case("default") => {
            Ok(Statement::SetTimeout(None))
        }
        [e] => match expr(e)? {
            Expr::Lit(Value::Int(n)) if n >= 0 => Ok(Statement::SetTimeout(Some(n as u64))),
            Expr::Lit(Value::Text(t)) => t
                .trim()
                .trim_end_matches("ms")
                .trim()
                .parse()
                .map(|n| Statement::SetTimeout(Some(n)))
                .map_err(|_| bad()),
            _ => Err(bad()),
        },
        _ => Err(bad()),
    }
}

/// Translates one parsed statement.
pub fn statement(s: &sp::Statement) -> Result<Statement> {
    NEXT_QMARK.with(|c| c.set(0));
    match s {
        sp::Statement::Query(q) => Ok(Statement::Query(Box::new(query(q)?))),
        sp::Statement::CreateTable(ct) => create_table(ct),
        sp::Statement::Drop {
            object_type: sp::ObjectType::Table,
            if_exists,
            names,
            ..
        } => Ok(Statement::DropTable {
            names: names.iter().map(object_name).collect::<Result<_>>()?,
            if_exists: *if_exists,
        }),
        sp::Statement::Insert(ins) => insert(ins),
        sp::Statement::Set(sp::Set::SingleAssignment {
            variable, values, ..
        }) if object_name(variable)?.eq_ignore_ascii_case("statement_timeout") => {
            statement_timeout(values)
        }
        sp::Statement::AlterTable(at) => alter_table(at),
        sp::Statement::Explain {
            analyze,
            statement,
            verbose: false,
            query_plan: false,
            estimate: false,
            format: None,
            options: None,
            ..
        } => {
            let inner = match statement.as_ref() {
                sp::Statement::Query(q) => Statement::Query(Box::new(query(q)?)),
                _ => return Err(unsupported("EXPLAIN of a statement other than a query")),
            };
            Ok(Statement::Explain {
                analyze: *analyze,
                statement: Box::new(inner),
            })
        }
        sp::Statement::Analyze(a) => {
            if a.partitions.is_some() || a.for_columns || !a.columns.is_empty() || a.noscan {
                return Err(unsupported("this form of ANALYZE (write ANALYZE [table])"));
            }
            Ok(Statement::Analyze(
                a.table_name.as_ref().map(object_name).transpose()?,
            ))
        }
        sp::Statement::CreateTrigger(ct) => trigger::create(ct),
        sp::Statement::DropTrigger(d) => trigger::drop(d),
        sp::Statement::CreateView(v) => {
            if v.materialized || v.temporary || v.to.is_some() || v.params.is_some() {
                return Err(unsupported(
                    "materialized, temporary or parameterized views",
                ));
            }
            Ok(Statement::CreateView {
                name: object_name(&v.name)?,
                columns: v.columns.iter().map(|c| ident(&c.name)).collect(),
                query: Box::new(query(&v.query)?),
                if_not_exists: v.if_not_exists,
                or_replace: v.or_replace,
            })
        }
        sp::Statement::Drop {
            object_type: sp::ObjectType::View,
            if_exists,
            names,
            ..
        } => Ok(Statement::DropView {
            names: names.iter().map(object_name).collect::<Result<_>>()?,
            if_exists: *if_exists,
        }),
        sp::Statement::StartTransaction {
            modes, statements, ..
        } => {
            if !modes.is_empty() {
                return Err(unsupported(
                    "transaction modes (every transaction is snapshot isolated)",
                ));
            }
            if !statements.is_empty() {
                return Err(unsupported("BEGIN … END blocks"));
            }
            Ok(Statement::Begin)
        }
        sp::Statement::Commit { chain: false, .. } => Ok(Statement::Commit),
        sp::Statement::Rollback {
            chain: false,
            savepoint,
        } => Ok(match savepoint {
            Some(n) => Statement::RollbackTo(ident(n)),
            None => Statement::Rollback,
        }),
        sp::Statement::Savepoint { name } => Ok(Statement::Savepoint(ident(name))),
        sp::Statement::ReleaseSavepoint { name } => Ok(Statement::Release(ident(name))),
        sp::Statement::Update(u) => update(u),
        sp::Statement::Delete(d) => delete(d),
        sp::Statement::CreateIndex(ci) => {
            if ci.predicate.is_some() || !ci.include.is_empty() || ci.using.is_some() {
                return Err(unsupported("partial, covering or typed indexes"));
            }
            let name = match &ci.name {
                Some(n) => object_name(n)?,
                None => return Err(Error::new(ErrorCode::Syntax, "CREATE INDEX needs a name")),
            };
            let mut columns = Vec::new();
            for c in &ci.columns {
                match &c.column.expr {
                    sp::Expr::Identifier(i) => columns.push(ident(i)),
                    other => {
                        return Err(unsupported(format!("indexes on expressions (`{other}`)")))
                    }
                }
            }
            Ok(Statement::CreateIndex {
                name,
                table: object_name(&ci.table_name)?,
                columns,
                unique: ci.unique,
                if_not_exists: ci.if_not_exists,
            })
        }
        sp::Statement::Drop {
            object_type: sp::ObjectType::Index,
            if_exists,
            names,
            ..
        } => Ok(Statement::DropIndex {
            names: names.iter().map(object_name).collect::<Result<_>>()?,
            if_exists: *if_exists,
        }),
        other => {
            let text = other.to_string();
            let head: String = text
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ");
            Err(unsupported(format!("the statement `{head}`")))
        }
    }
}

fn column_def(c: &sp::ColumnDef) -> Result<ColumnDef> {
    let mut def = ColumnDef {
        name: ident(&c.name),
        decl_type: c.data_type.to_string(),
        not_null: false,
        primary_key: false,
        default: None,
        default_text: None,
        checks: Vec::new(),
        unique: false,
    };
    for o in &c.options {
        match &o.option {
            sp::ColumnOption::NotNull => def.not_null = true,
            sp::ColumnOption::Null => {}
            sp::ColumnOption::PrimaryKey(_) => {
                def.primary_key = true;
                def.not_null = true;
            }
            sp::ColumnOption::Default(e) => {
                def.default = Some(expr(e)?);
                def.default_text = Some(e.to_string());
            }
            sp::ColumnOption::Unique(_) => def.unique = true,
            sp::ColumnOption::Check(c) => def.checks.push((expr(&c.expr)?, c.expr.to_string())),
            other => return Err(unsupported(format!("the column option `{other}`"))),
        }
    }
    Ok(def)
}

fn create_table(ct: &sp::CreateTable) -> Result<Statement> {
    let mut columns = Vec::new();
    let mut unique: Vec<Vec<String>> = Vec::new();
    let mut checks: Vec<(Expr, String)> = Vec::new();
    for c in &ct.columns {
        let mut def = column_def(c)?;
        if def.unique {
            unique.push(vec![def.name.clone()]);
        }
        checks.append(&mut def.checks);
        columns.push(def);
    }
    let mut primary_key = Vec::new();
    for tc in &ct.constraints {
        match tc {
            sp::TableConstraint::PrimaryKey(pk) => {
                for col in &pk.columns {
                    primary_key.push(match &col.column.expr {
                        sp::Expr::Identifier(i) => ident(i),
                        other => other.to_string().to_ascii_lowercase(),
                    });
                }
            }
            sp::TableConstraint::Unique(u) => unique.push(
                u.columns
                    .iter()
                    .map(|c| match &c.column.expr {
                        sp::Expr::Identifier(i) => Ok(ident(i)),
                        other => Err(unsupported(format!("UNIQUE on the expression `{other}`"))),
                    })
                    .collect::<Result<_>>()?,
            ),
            sp::TableConstraint::Check(c) => checks.push((expr(&c.expr)?, c.expr.to_string())),
            other => return Err(unsupported(format!("the table constraint `{other}`"))),
        }
    }
    Ok(Statement::CreateTable {
        name: object_name(&ct.name)?,
        columns,
        primary_key,
        unique,
        checks,
        if_not_exists: ct.if_not_exists,
    })
}

fn alter_table(at: &sp::AlterTable) -> Result<Statement> {
    if at.table_type.is_some() || at.on_cluster.is_some() || at.location.is_some() {
        return Err(unsupported("this form of ALTER TABLE"));
    }
    let [op] = at.operations.as_slice() else {
        return Err(unsupported(
            "several operations in one ALTER TABLE (write one per statement)",
        ));
    };
    let op = match op {
        sp::AlterTableOperation::AddColumn {
            if_not_exists,
            column_def: def,
            column_position: None,
            ..
        } => AlterOp::AddColumn(column_def(def)?, *if_not_exists),
        sp::AlterTableOperation::DropColumn {
            column_names,
            if_exists,
            drop_behavior: None,
            ..
        } => match column_names.as_slice() {
            [c] => AlterOp::DropColumn(ident(c), *if_exists),
            _ => return Err(unsupported("dropping several columns in one statement")),
        },
        sp::AlterTableOperation::RenameColumn {
            old_column_name,
            new_column_name,
        } => AlterOp::RenameColumn(ident(old_column_name), ident(new_column_name)),
        sp::AlterTableOperation::RenameTable { table_name } => match table_name {
            sp::RenameTableNameKind::To(n) | sp::RenameTableNameKind::As(n) => {
                AlterOp::RenameTo(object_name(n)?)
            }
        },
        other => return Err(unsupported(format!("ALTER TABLE … {other}"))),
    };
    Ok(Statement::AlterTable {
        table: object_name(&at.name)?,
        if_exists: at.if_exists,
        op,
    })
}

fn insert(ins: &sp::Insert) -> Result<Statement> {
    let table = match &ins.table {
        sp::TableObject::TableName(n) => object_name(n)?,
        other => return Err(unsupported(format!("INSERT into `{other}`"))),
    };
    let source = match &ins.source {
        Some(q) => query(q)?,
        None => return Err(unsupported("INSERT without VALUES or SELECT")),
    };
    Ok(Statement::Insert {
        table,
        columns: ins.columns.iter().map(object_name).collect::<Result<_>>()?,
        source: Box::new(source),
        on_conflict: insert_conflict(ins)?,
        returning: returning(&ins.returning)?,
    })
}

/// The conflict rule of an INSERT: `OR REPLACE` / `REPLACE INTO`, `OR
/// IGNORE`, `OR ABORT` (the default), or an `ON CONFLICT` clause.
fn insert_conflict(ins: &sp::Insert) -> Result<Option<OnConflict>> {
    if ins.overwrite || ins.partitioned.is_some() || !ins.after_columns.is_empty() {
        return Err(unsupported("INSERT OVERWRITE / PARTITION"));
    }
    if ins.by_name || !ins.assignments.is_empty() || ins.overriding.is_some() {
        return Err(unsupported("INSERT … BY NAME / SET / OVERRIDING"));
    }
    if ins.table_alias.is_some() || ins.insert_alias.is_some() || ins.output.is_some() {
        return Err(unsupported("an INSERT target alias or OUTPUT clause"));
    }
    let rule = match (&ins.or, ins.replace_into, ins.ignore) {
        (None, false, false) | (Some(sp::SqliteOnConflict::Abort), false, false) => None,
        (Some(sp::SqliteOnConflict::Replace), false, false) | (None, true, false) => {
            Some(ConflictAction::Replace)
        }
        (Some(sp::SqliteOnConflict::Ignore), false, false) | (None, false, true) => {
            Some(ConflictAction::Nothing)
        }
        (Some(other), _, _) => {
            return Err(unsupported(format!(
                "INSERT OR {other} (supported: OR REPLACE, OR IGNORE, OR ABORT)"
            )))
        }
        _ => return Err(unsupported("this combination of INSERT conflict rules")),
    };
    match (rule, on_conflict(&ins.on)?) {
        (None, oc) => Ok(oc),
        (Some(action), None) => Ok(Some(OnConflict {
            target: Vec::new(),
            action,
        })),
        (Some(_), Some(_)) => Err(unsupported(
            "INSERT OR … together with an ON CONFLICT clause",
        )),
    }
}

type Portion = Option<(Expr, Expr)>;

fn single_table(t: &sp::TableWithJoins) -> Result<(String, Portion)> {
    if !t.joins.is_empty() {
        return Err(unsupported("UPDATE/DELETE with joins"));
    }
    match &t.relation {
        sp::TableFactor::Table { name, alias, .. } => {
            let portion = match lifted_for(name, alias.as_ref().map(|a| &a.name)) {
                None => None,
                Some(l) if l.system.is_some() || l.valid.is_some() => {
                    return Err(Error::new(
                        ErrorCode::Syntax,
                        "UPDATE and DELETE write at the current system time; to change a \
                         valid-time period use FOR PORTION OF VALID_TIME FROM … TO …",
                    ))
                }
                Some(l) => match &l.portion {
                    Some((a, b)) => Some((expr(a)?, expr(b)?)),
                    None => None,
                },
            };
            Ok((object_name(name)?, portion))
        }
        other => Err(unsupported(format!("`{other}` as a target"))),
    }
}

fn update(u: &sp::Update) -> Result<Statement> {
    if u.from.is_some() {
        return Err(unsupported("UPDATE … FROM"));
    }
    if !u.order_by.is_empty() || u.limit.is_some() {
        return Err(unsupported("UPDATE … ORDER BY / LIMIT"));
    }
    if u.output.is_some() || u.settings.is_some() || u.on_cluster.is_some() {
        return Err(unsupported("UPDATE … OUTPUT / SETTINGS / ON CLUSTER"));
    }
    if let Some(or) = u.or.as_ref().filter(|o| **o != sp::SqliteOnConflict::Abort) {
        return Err(unsupported(format!("UPDATE OR {or}")));
    }
    let (table, portion) = single_table(&u.table)?;
    let set = assignments(&u.assignments)?;
    Ok(Statement::Update {
        table,
        set,
        filter: u.selection.as_ref().map(expr).transpose()?,
        returning: returning(&u.returning)?,
        portion,
    })
}

fn delete(d: &sp::Delete) -> Result<Statement> {
    if d.using.is_some() {
        return Err(unsupported("DELETE … USING"));
    }
    if !d.order_by.is_empty() || d.limit.is_some() {
        return Err(unsupported("DELETE … ORDER BY / LIMIT"));
    }
    if !d.tables.is_empty() || d.output.is_some() || d.settings.is_some() || d.on_cluster.is_some()
    {
        return Err(unsupported(
            "DELETE of several tables / OUTPUT / SETTINGS / ON CLUSTER",
        ));
    }
    let tables = match &d.from {
        sp::FromTable::WithFromKeyword(t) | sp::FromTable::WithoutKeyword(t) => t,
    };
    let [t] = tables.as_slice() else {
        return Err(unsupported("DELETE from several tables"));
    };
    let (table, portion) = single_table(t)?;
    Ok(Statement::Delete {
        table,
        filter: d.selection.as_ref().map(expr).transpose()?,
        returning: returning(&d.returning)?,
        portion,
    })
}

/// Translates a query.
/// Clauses sqlparser can hand over that TensorDB does not run: refused, so
/// that none is silently dropped (a dropped FETCH FIRST would return wrong
/// rows).
fn refuse_query_extras(q: &sp::Query) -> Result<()> {
    if q.fetch.is_some() {
        return Err(unsupported("FETCH FIRST … ROWS (write LIMIT)"));
    }
    if !q.locks.is_empty() {
        return Err(unsupported(
            "FOR UPDATE / FOR SHARE (transactions are snapshot-isolated)",
        ));
    }
    if q.for_clause.is_some() || q.settings.is_some() || q.format_clause.is_some() {
        return Err(unsupported("FOR XML/JSON, SETTINGS and FORMAT clauses"));
    }
    if !q.pipe_operators.is_empty() {
        return Err(unsupported("pipe operators (|>)"));
    }
    if let Some(sp::LimitClause::LimitOffset { limit_by, .. }) = &q.limit_clause {
        if !limit_by.is_empty() {
            return Err(unsupported("LIMIT … BY"));
        }
    }
    Ok(())
}

/// SELECT clauses of other dialects that TensorDB does not run (see
/// `refuse_query_extras`).
fn refuse_select_extras(s: &sp::Select) -> Result<()> {
    let what = if s.top.is_some() {
        "TOP (write LIMIT)"
    } else if s.select_modifiers.is_some() {
        "SELECT modifiers"
    } else if s.exclude.is_some() {
        "SELECT * EXCLUDE"
    } else if s.into.is_some() {
        "SELECT … INTO (write CREATE TABLE … then INSERT … SELECT)"
    } else if !s.lateral_views.is_empty() {
        "LATERAL VIEW"
    } else if s.prewhere.is_some() {
        "PREWHERE"
    } else if !s.connect_by.is_empty() {
        "CONNECT BY (write WITH RECURSIVE)"
    } else if !s.cluster_by.is_empty() || !s.distribute_by.is_empty() || !s.sort_by.is_empty() {
        "CLUSTER / DISTRIBUTE / SORT BY"
    } else if s.value_table_mode.is_some() {
        "SELECT AS STRUCT / VALUE"
    } else if !matches!(s.flavor, sp::SelectFlavor::Standard) {
        "FROM-first SELECT"
    } else {
        return Ok(());
    };
    Err(unsupported(what))
}

/// Translates a query (WITH, body, ORDER BY, LIMIT / OFFSET).
pub fn query(q: &sp::Query) -> Result<Query> {
    refuse_query_extras(q)?;
    let mut with = Vec::new();
    if let Some(w) = &q.with {
        for c in &w.cte_tables {
            if c.from.is_some() {
                return Err(unsupported("CTE … FROM"));
            }
            with.push(Cte {
                name: ident(&c.alias.name),
                columns: c.alias.columns.iter().map(|c| ident(&c.name)).collect(),
                query: Box::new(query(&c.query)?),
                recursive: w.recursive,
            });
        }
    }
    let mut order_by = Vec::new();
    if let Some(ob) = &q.order_by {
        match &ob.kind {
            sp::OrderByKind::Expressions(list) => order_by = order_terms(list)?,
            sp::OrderByKind::All(_) => return Err(unsupported("ORDER BY ALL")),
        }
    }
    let (limit, offset) = match &q.limit_clause {
        None => (None, None),
        Some(sp::LimitClause::LimitOffset { limit, offset, .. }) => (
            limit.as_ref().map(expr).transpose()?,
            offset.as_ref().map(|o| expr(&o.value)).transpose()?,
        ),
        Some(sp::LimitClause::OffsetCommaLimit { offset, limit }) => {
            (Some(expr(limit)?), Some(expr(offset)?))
        }
    };
    Ok(Query {
        with,
        body: body(&q.body)?,
        order_by,
        limit,
        offset,
    })
}

fn body(b: &sp::SetExpr) -> Result<Body> {
    let _level = crate::sql::syntax::limits::DepthGuard::enter()?;
    match b {
        sp::SetExpr::Select(s) => Ok(Body::Select(Box::new(select(s)?))),
        sp::SetExpr::Query(q) => Ok(Body::Query(Box::new(query(q)?))),
        sp::SetExpr::SetOperation {
            left,
            op,
            set_quantifier,
            right,
        } => {
            let op = match op {
                sp::SetOperator::Union => SetOp::Union,
                sp::SetOperator::Except | sp::SetOperator::Minus => SetOp::Except,
                sp::SetOperator::Intersect => SetOp::Intersect,
            };
            let all = match set_quantifier {
                sp::SetQuantifier::All => true,
                sp::SetQuantifier::Distinct | sp::SetQuantifier::None => false,
                other => return Err(unsupported(format!("the set quantifier `{other}`"))),
            };
            Ok(Body::Set(
                Box::new(body(left)?),
                op,
                all,
                Box::new(body(right)?),
            ))
        }
        sp::SetExpr::Values(v) => Ok(Body::Values(
            v.rows
                .iter()
                .map(|r| r.content.iter().map(expr).collect::<Result<Vec<_>>>())
                .collect::<Result<_>>()?,
        )),
        other => Err(unsupported(format!("the query form `{other}`"))),
    }
}

fn select_items(list: &[sp::SelectItem]) -> Result<Vec<SelectItem>> {
    let mut items = Vec::new();
    for it in list {
        items.push(match it {
            sp::SelectItem::UnnamedExpr(e) => SelectItem::Expr(expr(e)?, None),
            sp::SelectItem::ExprWithAlias { expr: e, alias } => {
                SelectItem::Expr(expr(e)?, Some(ident(alias)))
            }
            sp::SelectItem::Wildcard(_) => SelectItem::Star,
            sp::SelectItem::QualifiedWildcard(
                sp::SelectItemQualifiedWildcardKind::ObjectName(n),
                _,
            ) => SelectItem::TableStar(object_name(n)?),
            other => return Err(unsupported(format!("the select item `{other}`"))),
        });
    }
    Ok(items)
}

fn returning(r: &Option<Vec<sp::SelectItem>>) -> Result<Vec<SelectItem>> {
    match r {
        Some(list) => select_items(list),
        None => Ok(Vec::new()),
    }
}

fn assignments(list: &[sp::Assignment]) -> Result<Vec<(String, Expr)>> {
    let mut set = Vec::new();
    for a in list {
        match &a.target {
            sp::AssignmentTarget::ColumnName(n) => set.push((object_name(n)?, expr(&a.value)?)),
            sp::AssignmentTarget::Tuple(_) => return Err(unsupported("tuple assignment")),
        }
    }
    Ok(set)
}

fn on_conflict(on: &Option<sp::OnInsert>) -> Result<Option<OnConflict>> {
    let Some(on) = on else { return Ok(None) };
    let sp::OnInsert::OnConflict(c) = on else {
        return Err(unsupported(
            "ON DUPLICATE KEY UPDATE (write ON CONFLICT … DO UPDATE)",
        ));
    };
    let target = match &c.conflict_target {
        None => Vec::new(),
        Some(sp::ConflictTarget::Columns {
            columns,
            predicate: None,
        }) => columns.iter().map(ident).collect(),
        Some(other) => return Err(unsupported(format!("the conflict target `{other}`"))),
    };
    let action = match &c.action {
        sp::OnConflictAction::DoNothing => ConflictAction::Nothing,
        sp::OnConflictAction::DoUpdate(u) => ConflictAction::Update {
            set: assignments(&u.assignments)?,
            filter: u.selection.as_ref().map(expr).transpose()?,
        },
    };
    Ok(Some(OnConflict { target, action }))
}

fn select(s: &sp::Select) -> Result<Select> {
    refuse_select_extras(s)?;
    let distinct = match &s.distinct {
        None | Some(sp::Distinct::All) => false,
        Some(sp::Distinct::Distinct) => true,
        Some(other) => return Err(unsupported(format!("`{other}`"))),
    };
    if !s.named_window.is_empty() {
        return Err(unsupported("the WINDOW clause; write each window inline"));
    }
    if s.qualify.is_some() {
        return Err(unsupported("QUALIFY"));
    }
    let items = select_items(&s.projection)?;
    let mut from = Vec::new();
    for t in &s.from {
        let mut f = factor(&t.relation)?;
        for j in &t.joins {
            f = join(f, j)?;
        }
        from.push(f);
    }
    let group_by = match &s.group_by {
        sp::GroupByExpr::Expressions(list, mods) if mods.is_empty() => {
            list.iter().map(expr).collect::<Result<_>>()?
        }
        other => return Err(unsupported(format!("`{other}`"))),
    };
    Ok(Select {
        distinct,
        items,
        from,
        filter: s.selection.as_ref().map(expr).transpose()?,
        group_by,
        having: s.having.as_ref().map(expr).transpose()?,
    })
}

/// How a join's two sides are matched.
enum JoinOn {
    On(Option<Expr>),
    Using(Option<Vec<String>>),
}

fn join(left: From, j: &sp::Join) -> Result<From> {
    let right = factor(&j.relation)?;
    let (kind, on) = join_op(&j.join_operator)?;
    Ok(match on {
        JoinOn::On(e) => From::Join(Box::new(left), Box::new(right), kind, e),
        JoinOn::Using(cols) => From::JoinUsing(Box::new(left), Box::new(right), kind, cols),
    })
}

fn join_op(op: &sp::JoinOperator) -> Result<(JoinKind, JoinOn)> {
    let (kind, c) = match op {
        sp::JoinOperator::Join(c) | sp::JoinOperator::Inner(c) | sp::JoinOperator::CrossJoin(c) => {
            (JoinKind::Inner, c)
        }
        sp::JoinOperator::Left(c) | sp::JoinOperator::LeftOuter(c) => (JoinKind::Left, c),
        sp::JoinOperator::Right(c) | sp::JoinOperator::RightOuter(c) => (JoinKind::Right, c),
        sp::JoinOperator::FullOuter(c) => (JoinKind::Full, c),
        other => return Err(unsupported(format!("the join `{other:?}`"))),
    };
    let on = match c {
        sp::JoinConstraint::On(e) => JoinOn::On(Some(expr(e)?)),
        sp::JoinConstraint::None => JoinOn::On(None),
        sp::JoinConstraint::Using(cols) => {
            JoinOn::Using(Some(cols.iter().map(object_name).collect::<Result<_>>()?))
        }
        sp::JoinConstraint::UsingAlias(..) => return Err(unsupported("JOIN … USING (…) AS alias")),
        sp::JoinConstraint::Natural => JoinOn::Using(None),
    };
    Ok((kind, on))
}

fn factor(t: &sp::TableFactor) -> Result<From> {
    match t {
        sp::TableFactor::Table {
            name,
            alias,
            args: None,
            version: None,
            ..
        } => Ok(From::Table(
            object_name(name)?,
            alias.as_ref().map(|a| ident(&a.name)),
            table_temporal(name, alias.as_ref().map(|a| &a.name))?,
        )),
        sp::TableFactor::Derived {
            subquery, alias, ..
        } => {
            let alias = alias
                .as_ref()
                .map(|a| ident(&a.name))
                .unwrap_or_else(|| "subquery".into());
            Ok(From::Subquery(Box::new(query(subquery)?), alias))
        }
        sp::TableFactor::NestedJoin {
            table_with_joins,
            alias: None,
        } => {
            let mut f = factor(&table_with_joins.relation)?;
            for j in &table_with_joins.joins {
                f = join(f, j)?;
            }
            Ok(f)
        }
        other => Err(unsupported(format!("the table reference `{other}`"))),
    }
}

fn number(s: &str) -> Result<Value> {
    if !s.contains(['.', 'e', 'E']) {
        if let Ok(i) = s.parse::<i64>() {
            return Ok(Value::Int(i));
        }
    }
    s.parse::<f64>()
        .map(Value::Real)
        .map_err(|_| Error::new(ErrorCode::Syntax, format!("bad number `{s}`")))
}

/// A literal at a known position: a plain `?` takes the number the front
/// pass gave it in text order (so `WHERE id >= ? LIMIT ?` binds in that
/// order, whichever clause translation reaches first).
fn literal_at(v: &sp::ValueWithSpan) -> Result<Expr> {
    if matches!(&v.value, sp::Value::Placeholder(p) if p == "?") {
        let start = v.span.start;
        let n = QMARKS.with(|q| {
            let q = q.borrow();
            // In text order, so sorted by position.
            q.binary_search_by(|(at, _)| (at.line, at.column).cmp(&(start.line, start.column)))
                .ok()
                .map(|i| q[i].1)
        });
        if let Some(n) = n {
            NEXT_QMARK.with(|c| c.set(c.get().max(n)));
            return Ok(Expr::Param(n - 1));
        }
    }
    literal(&v.value)
}

fn literal(v: &sp::Value) -> Result<Expr> {
    Ok(match v {
        sp::Value::Number(n, _) => Expr::Lit(number(n)?),
        sp::Value::SingleQuotedString(s) => Expr::Lit(Value::Text(s.clone())),
        sp::Value::Boolean(b) => Expr::Lit(Value::bool(*b)),
        sp::Value::HexStringLiteral(h) => {
            let bytes = (0..h.len())
                .step_by(2)
                .map(|i| h.get(i..i + 2).and_then(|x| u8::from_str_radix(x, 16).ok()))
                .collect::<Option<Vec<u8>>>()
                .filter(|_| h.len() % 2 == 0)
                .ok_or_else(|| {
                    Error::new(ErrorCode::Syntax, format!("malformed blob literal X'{h}'"))
                })?;
            Expr::Lit(Value::Blob(bytes))
        }
        sp::Value::Null => Expr::Lit(Value::Null),
        sp::Value::Placeholder(p) => {
            let n = if p == "?" {
                // A plain `?` takes the largest number used so far plus one (as in SQLite).
                Some(NEXT_QMARK.with(|c| {
                    c.set(c.get() + 1);
                    c.get()
                }))
            } else {
                p.trim_start_matches(['$', '?'])
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n >= 1)
            };
            if let Some(n) = n {
                NEXT_QMARK.with(|c| c.set(c.get().max(n)));
            }
            match n {
                Some(n) => Expr::Param(n - 1),
                None => {
                    return Err(Error::new(
                        ErrorCode::Syntax,
                        format!("bad parameter `{p}`"),
                    ))
                }
            }
        }
        other => return Err(unsupported(format!("the literal `{other}`"))),
    })
}

fn binop(op: &sp::BinaryOperator) -> Result<BinOp> {
    use sp::BinaryOperator as B;
    Ok(match op {
        B::Plus => BinOp::Arith(Arith::Add),
        B::Minus => BinOp::Arith(Arith::Sub),
        B::Multiply => BinOp::Arith(Arith::Mul),
        B::Divide => BinOp::Arith(Arith::Div),
        B::Modulo => BinOp::Arith(Arith::Rem),
        B::Eq => BinOp::Eq,
        B::NotEq => BinOp::NotEq,
        B::Lt => BinOp::Lt,
        B::LtEq => BinOp::LtEq,
        B::Gt => BinOp::Gt,
        B::GtEq => BinOp::GtEq,
        B::And => BinOp::And,
        B::Or => BinOp::Or,
        B::StringConcat => BinOp::Concat,
        other => return Err(unsupported(format!("the operator `{other}`"))),
    })
}

/// Translates an expression.
pub fn expr(e: &sp::Expr) -> Result<Expr> {
    let _level = crate::sql::syntax::limits::DepthGuard::enter()?;
    use sp::Expr as E;
    let b = |e: &sp::Expr| expr(e).map(Box::new);
    Ok(match e {
        E::Identifier(i) => Expr::Column(None, ident(i)),
        E::CompoundIdentifier(parts) => match parts.as_slice() {
            [t, c] => Expr::Column(Some(ident(t)), ident(c)),
            _ => return Err(unsupported(format!("the name `{e}`"))),
        },
        E::Value(v) => literal_at(v)?,
        E::Nested(inner) => expr(inner)?,
        E::BinaryOp { left, op, right } => match op {
            sp::BinaryOperator::Arrow => call("json_arrow", vec![expr(left)?, expr(right)?]),
            sp::BinaryOperator::LongArrow => {
                call("json_long_arrow", vec![expr(left)?, expr(right)?])
            }
            sp::BinaryOperator::Glob => call("glob", vec![expr(right)?, expr(left)?]),
            _ => Expr::Binary(b(left)?, binop(op)?, b(right)?),
        },
        E::Extract { field, expr: x, .. } => call(
            "date_part",
            vec![
                Expr::Lit(Value::Text(field.to_string().to_ascii_lowercase())),
                expr(x)?,
            ],
        ),
        E::TypedString(ts) => Expr::Cast(
            Box::new(literal(&ts.value.value)?),
            ts.data_type.to_string(),
        ),
        E::UnaryOp { op, expr: inner } => {
            let op = match op {
                sp::UnaryOperator::Minus => UnOp::Neg,
                sp::UnaryOperator::Plus => UnOp::Plus,
                sp::UnaryOperator::Not => UnOp::Not,
                other => return Err(unsupported(format!("the operator `{other}`"))),
            };
            Expr::Unary(op, b(inner)?)
        }
        E::IsNull(x) => Expr::IsNull(b(x)?, false),
        E::IsNotNull(x) => Expr::IsNull(b(x)?, true),
        E::Between {
            expr: x,
            negated,
            low,
            high,
        } => Expr::Between(b(x)?, b(low)?, b(high)?, *negated),
        E::In {
            expr: x,
            target,
            negated,
            ..
        } => match target {
            sp::InTarget::List(list) => Expr::InList(
                b(x)?,
                list.iter().map(expr).collect::<Result<_>>()?,
                *negated,
            ),
            sp::InTarget::Subquery(q) => Expr::InQuery(b(x)?, Box::new(query(q)?), *negated),
            sp::InTarget::Table { .. } | sp::InTarget::Unnest(_) => {
                return Err(unsupported(format!("the IN form `{e}`")))
            }
        },
        E::Exists { subquery, negated } => Expr::Exists(Box::new(query(subquery)?), *negated),
        E::Subquery(q) => Expr::Scalar(Box::new(query(q)?)),
        E::Case {
            operand,
            conditions,
            else_result,
            ..
        } => Expr::Case(
            operand.as_deref().map(expr).transpose()?.map(Box::new),
            conditions
                .iter()
                .map(|w| Ok((expr(&w.condition)?, expr(&w.result)?)))
                .collect::<Result<_>>()?,
            else_result.as_deref().map(expr).transpose()?.map(Box::new),
        ),
        E::Cast {
            expr: x, data_type, ..
        } => Expr::Cast(b(x)?, data_type.to_string()),
        E::Function(f) => function(f)?,
        E::Like {
            negated,
            any: false,
            expr: x,
            pattern,
            escape_char,
        } => like("like", *negated, x, pattern, escape_char.as_deref())?,
        E::ILike {
            negated,
            any: false,
            expr: x,
            pattern,
            escape_char,
        } => like("ilike", *negated, x, pattern, escape_char.as_deref())?,
        E::IsDistinctFrom(a, c) => call("is_distinct_from", vec![expr(a)?, expr(c)?]),
        E::IsNotDistinctFrom(a, c) => Expr::Unary(
            UnOp::Not,
            Box::new(call("is_distinct_from", vec![expr(a)?, expr(c)?])),
        ),
        E::IsTrue(x) => call("is_true", vec![expr(x)?]),
        E::IsNotTrue(x) => Expr::Unary(UnOp::Not, Box::new(call("is_true", vec![expr(x)?]))),
        E::IsFalse(x) => call("is_false", vec![expr(x)?]),
        E::IsNotFalse(x) => Expr::Unary(UnOp::Not, Box::new(call("is_false", vec![expr(x)?]))),
        E::Position { expr: needle, r#in } => call("strpos", vec![expr(r#in)?, expr(needle)?]),
        E::Substring {
            expr: x,
            substring_from,
            substring_for,
            ..
        } => {
            let mut args = vec![expr(x)?];
            args.push(match substring_from {
                Some(f) => expr(f)?,
                None => Expr::Lit(Value::Int(1)),
            });
            if let Some(n) = substring_for {
                args.push(expr(n)?);
            }
            call("substr", args)
        }
        E::Trim {
            trim_where,
            trim_what,
            expr: x,
            trim_characters,
        } => {
            let chars = match trim_characters.as_deref() {
                None => None,
                Some([c]) => Some(expr(c)?),
                Some(_) => return Err(unsupported("TRIM with several character lists")),
            };
            let name = match trim_where {
                Some(sp::TrimWhereField::Leading) => "ltrim",
                Some(sp::TrimWhereField::Trailing) => "rtrim",
                _ => "trim",
            };
            let mut args = vec![expr(x)?];
            if let Some(w) = trim_what {
                args.push(expr(w)?);
            }
            args.extend(chars);
            call(name, args)
        }
        E::Ceil { expr: x, field } | E::Floor { expr: x, field } => {
            let name = if matches!(e, E::Ceil { .. }) {
                "ceil"
            } else {
                "floor"
            };
            match field {
                sp::CeilFloorKind::DateTimeField(sp::DateTimeField::NoDateTime) => {
                    call(name, vec![expr(x)?])
                }
                sp::CeilFloorKind::Scale(v) => call(name, vec![expr(x)?, literal(&v.value)?]),
                sp::CeilFloorKind::DateTimeField(f) => {
                    return Err(unsupported(format!("{name}(… TO {f})")))
                }
            }
        }
        other => return Err(unsupported(format!("the expression `{other}`"))),
    })
}

fn function(f: &sp::Function) -> Result<Expr> {
    let name = object_name(&f.name)?;
    if f.filter.is_some() {
        return Err(unsupported(
            "FILTER (WHERE …) on aggregates (use CASE inside the call)",
        ));
    }
    if !f.within_group.is_empty() {
        return Err(unsupported("WITHIN GROUP"));
    }
    if f.null_treatment.is_some() {
        return Err(unsupported("IGNORE / RESPECT NULLS"));
    }
    let (args, distinct, star) = match &f.args {
        sp::FunctionArguments::None => (Vec::new(), false, false),
        sp::FunctionArguments::List(list) => {
            let distinct = matches!(
                list.duplicate_treatment,
                Some(sp::DuplicateTreatment::Distinct)
            );
            let mut args = Vec::new();
            let mut star = false;
            for a in &list.args {
                match a {
                    sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Expr(e)) => args.push(expr(e)?),
                    sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Wildcard) => star = true,
                    other => return Err(unsupported(format!("the argument `{other}`"))),
                }
            }
            (args, distinct, star)
        }
        sp::FunctionArguments::Subquery(_) => {
            return Err(unsupported("a subquery as function arguments"))
        }
    };
    let call = Expr::Func {
        name,
        args,
        distinct,
        star,
    };
    match &f.over {
        None => Ok(call),
        Some(sp::WindowType::NamedWindow(n)) => Err(unsupported(format!(
            "named windows (`OVER {n}`); write the window inline"
        ))),
        Some(sp::WindowType::WindowSpec(spec)) => {
            Ok(Expr::Window(Box::new(call), Box::new(window(spec)?)))
        }
    }
}

fn window(spec: &sp::WindowSpec) -> Result<Window> {
    if spec.window_name.is_some() {
        return Err(unsupported("named windows; write the window inline"));
    }
    let frame = match &spec.window_frame {
        None => None,
        Some(f) => Some(Frame {
            units: match f.units {
                sp::WindowFrameUnits::Rows => FrameUnits::Rows,
                sp::WindowFrameUnits::Range => FrameUnits::Range,
                sp::WindowFrameUnits::Groups => FrameUnits::Groups,
            },
            start: frame_bound(&f.start_bound, true)?,
            end: match &f.end_bound {
                Some(b) => frame_bound(b, false)?,
                None => FrameBound::CurrentRow,
            },
        }),
    };
    Ok(Window {
        partition_by: spec.partition_by.iter().map(expr).collect::<Result<_>>()?,
        order_by: order_terms(&spec.order_by)?,
        frame,
    })
}

fn frame_bound(b: &sp::WindowFrameBound, start: bool) -> Result<FrameBound> {
    Ok(match b {
        sp::WindowFrameBound::CurrentRow => FrameBound::CurrentRow,
        sp::WindowFrameBound::Preceding(None) if start => FrameBound::UnboundedPreceding,
        sp::WindowFrameBound::Following(None) if !start => FrameBound::UnboundedFollowing,
        sp::WindowFrameBound::Preceding(Some(n)) => FrameBound::Preceding(Box::new(expr(n)?)),
        sp::WindowFrameBound::Following(Some(n)) => FrameBound::Following(Box::new(expr(n)?)),
        other => {
            return Err(Error::new(
                ErrorCode::Syntax,
                format!(
                    "a window frame cannot {} at {other}",
                    if start { "start" } else { "end" }
                ),
            ))
        }
    })
}

fn order_terms(list: &[sp::OrderByExpr]) -> Result<Vec<OrderTerm>> {
    list.iter()
        .map(|o| {
            Ok(OrderTerm {
                expr: expr(&o.expr)?,
                desc: matches!(o.options.sort, Some(sp::OrderBySort::Desc)),
                nulls_first: o.options.nulls_first,
            })
        })
        .collect()
}
