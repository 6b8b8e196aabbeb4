//! CREATE TRIGGER / DROP TRIGGER, SQLite's form: `CREATE TRIGGER name
//! {BEFORE | AFTER} {INSERT | UPDATE [OF cols] | DELETE} ON table [FOR EACH
//! ROW] [WHEN cond] BEGIN stmt; … END`. `NEW.c` / `OLD.c` become parameters
//! bound per row (`TriggerDef::binds`); `RAISE(ABORT | FAIL | ROLLBACK,
//! msg)` becomes the `raise` function.

use super::{object_name, statement, unsupported};
use crate::error::{Error, ErrorCode, Result};
use crate::sql::datum::value::Value;
use crate::sql::syntax::ast::{Expr, Statement, TriggerDef, TriggerEvent, TriggerTiming};
use sqlparser::ast as sp;

/// Translates CREATE TRIGGER.
pub fn create(ct: &sp::CreateTrigger) -> Result<Statement> {
    if ct.or_alter || ct.or_replace || ct.temporary || ct.is_constraint {
        return Err(unsupported("CREATE OR REPLACE / TEMP / CONSTRAINT TRIGGER"));
    }
    if ct.referenced_table_name.is_some()
        || !ct.referencing.is_empty()
        || ct.characteristics.is_some()
        || ct.exec_body.is_some()
    {
        return Err(unsupported(
            "this form of CREATE TRIGGER (write BEGIN … END with SQL statements)",
        ));
    }
    if matches!(
        ct.trigger_object,
        Some(sp::TriggerObjectKind::ForEach(sp::TriggerObject::Statement))
            | Some(sp::TriggerObjectKind::For(sp::TriggerObject::Statement))
    ) {
        return Err(unsupported("FOR EACH STATEMENT triggers"));
    }
    let timing = match ct.period {
        Some(sp::TriggerPeriod::Before) => TriggerTiming::Before,
        Some(sp::TriggerPeriod::After) | None => TriggerTiming::After,
        Some(sp::TriggerPeriod::InsteadOf) => TriggerTiming::InsteadOf,
        Some(_) => return Err(unsupported("this trigger timing")),
    };
    let event = match ct.events.as_slice() {
        [sp::TriggerEvent::Insert] => TriggerEvent::Insert,
        [sp::TriggerEvent::Delete] => TriggerEvent::Delete,
        [sp::TriggerEvent::Update(cols)] => {
            TriggerEvent::Update(cols.iter().map(super::ident).collect())
        }
        _ => return Err(unsupported("a trigger on several events or on TRUNCATE")),
    };
    let statements = match &ct.statements {
        Some(sp::ConditionalStatements::BeginEnd(b)) => &b.statements,
        Some(sp::ConditionalStatements::Sequence { statements }) => statements,
        None => return Err(unsupported("a trigger without a body")),
    };
    let mut body = Vec::with_capacity(statements.len());
    for s in statements {
        let t = statement(s)?;
        if !matches!(
            t,
            Statement::Insert { .. }
                | Statement::Update { .. }
                | Statement::Delete { .. }
                | Statement::Query(_)
        ) {
            return Err(unsupported(
                "a trigger body statement other than INSERT, UPDATE, DELETE or SELECT",
            ));
        }
        body.push(t);
    }
    let mut def = TriggerDef {
        name: object_name(&ct.name)?,
        table: object_name(&ct.table_name)?,
        timing,
        event,
        when: ct.condition.as_ref().map(super::expr).transpose()?,
        body,
        binds: Vec::new(),
    };
    bind_rows(&mut def)?;
    Ok(Statement::CreateTrigger(Box::new(def)))
}

/// Turns `NEW.c` / `OLD.c` into parameters (and RAISE's first argument
/// into text); refuses parameters of its own and rows the event has not.
fn bind_rows(def: &mut TriggerDef) -> Result<()> {
    let mut binds: Vec<(bool, String)> = Vec::new();
    let mut bad: Option<Error> = None;
    let (has_new, has_old) = match def.event {
        TriggerEvent::Insert => (true, false),
        TriggerEvent::Update(_) => (true, true),
        TriggerEvent::Delete => (false, true),
    };
    let mut f = |e: &mut Expr| match e {
        Expr::Param(_) => {
            bad.get_or_insert(Error::invalid("a trigger cannot use parameters"));
        }
        Expr::Column(Some(t), c) if t == "new" || t == "old" => {
            let new = t == "new";
            if (new && !has_new) || (!new && !has_old) {
                bad.get_or_insert(Error::new(
                    ErrorCode::NoColumn,
                    format!("no such column: {t}.{c} (this trigger's event has no {t} row)"),
                ));
                return;
            }
            let key = (new, c.clone());
            let i = binds.iter().position(|b| *b == key).unwrap_or_else(|| {
                binds.push(key);
                binds.len() - 1
            });
            *e = Expr::Param(i);
        }
        Expr::Func { name, args, .. } if name == "raise" => {
            if let Some(Expr::Column(None, kind)) = args.first() {
                args[0] = Expr::Lit(Value::Text(kind.clone()));
            }
        }
        _ => {}
    };
    if let Some(w) = &mut def.when {
        crate::sql::syntax::walk::expr(w, &mut f);
    }
    for s in &mut def.body {
        crate::sql::syntax::walk::statement(s, &mut f);
    }
    if let Some(e) = bad {
        return Err(e);
    }
    def.binds = binds;
    Ok(())
}

/// Translates DROP TRIGGER.
pub fn drop(d: &sp::DropTrigger) -> Result<Statement> {
    if d.table_name.is_some() || d.option.is_some() {
        return Err(unsupported("DROP TRIGGER … ON table / CASCADE"));
    }
    Ok(Statement::DropTrigger {
        name: object_name(&d.trigger_name)?,
        if_exists: d.if_exists,
    })
}
