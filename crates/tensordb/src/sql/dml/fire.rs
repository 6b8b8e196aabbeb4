//! Firing triggers (`CREATE TRIGGER`): for each row an INSERT, UPDATE or
//! DELETE writes, its table's BEFORE triggers run before the row is written
//! and its AFTER triggers after, in creation order, each only when its
//! `WHEN` condition holds (and, for `UPDATE OF cols`, when the statement
//! assigns one of them). A body's statements run in the writing statement's
//! transaction with `NEW.c` / `OLD.c` bound, so their writes are facts of
//! the same commit; an error in one fails the whole statement. As in SQLite
//! (recursive_triggers off), a trigger does not fire while it is running.

use crate::error::{Error, ErrorCode, Result};
use crate::sql::catalog::ctx::Ctx;
use crate::sql::catalog::tables::Table;
use crate::sql::datum::value::Value;
use crate::sql::exec::query::{eval, EMPTY_SCOPE};
use crate::sql::syntax::ast::{Statement, TriggerDef, TriggerEvent, TriggerTiming};
use std::cell::RefCell;
use std::sync::Arc;

/// Runs one statement of a trigger body (the statement executor, passed
/// in so this module does not import it).
pub type Exec<'x> = &'x dyn Fn(&Ctx, &Statement) -> Result<()>;

/// Triggers nested deeper than this fail the statement.
pub const MAX_DEPTH: usize = 64;

thread_local! {
    /// Names of the triggers running on this thread, innermost last.
    static ACTIVE: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// The kind of write, to pick the triggers it fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// INSERT.
    Insert,
    /// UPDATE.
    Update,
    /// DELETE.
    Delete,
}

/// A table's triggers for one kind of write, with its column names.
pub struct Armed {
    defs: Vec<Arc<TriggerDef>>,
    names: Vec<String>,
}

impl Armed {
    /// The triggers a write of `kind` to table `t` may fire.
    pub fn of(ctx: &Ctx, t: &Table, kind: Kind) -> Result<Armed> {
        let defs = load(ctx, &t.name, kind)?;
        let names = if defs.is_empty() {
            Vec::new()
        } else {
            t.columns.iter().map(|c| c.name.clone()).collect()
        };
        Ok(Armed { defs, names })
    }

    /// One row's firing with `timing` (see `fire`). First the statement's
    /// pending writes go to its transaction, so the bodies see every row
    /// written before this one. Nothing at all when the table has none.
    #[allow(clippy::too_many_arguments)]
    pub fn fire_row(
        &self,
        ctx: &Ctx,
        ops: &mut Vec<crate::engine::commit::WriteOp>,
        timing: TriggerTiming,
        old: Option<&[Value]>,
        new: Option<&[Value]>,
        assigned: &[usize],
        exec: Exec,
    ) -> Result<()> {
        if self.defs.is_empty() {
            return Ok(());
        }
        ctx.write(std::mem::take(ops))?;
        fire(
            ctx,
            &self.names,
            &self.defs,
            timing,
            old,
            new,
            assigned,
            exec,
        )
    }
}

/// The triggers a write of `kind` to table or view `target` may fire (none
/// running already).
pub fn load(ctx: &Ctx, target: &str, kind: Kind) -> Result<Vec<Arc<TriggerDef>>> {
    let all = crate::sql::catalog::trigger::of_table(ctx, target)?;
    if all.is_empty() {
        return Ok(all);
    }
    Ok(ACTIVE.with(|a| {
        let a = a.borrow();
        all.into_iter()
            .filter(|d| {
                let k = match d.event {
                    TriggerEvent::Insert => Kind::Insert,
                    TriggerEvent::Update(_) => Kind::Update,
                    TriggerEvent::Delete => Kind::Delete,
                };
                k == kind && !a.contains(&d.name)
            })
            .collect()
    }))
}

/// Pops the running trigger when its body ends, however it ends.
struct Running;

impl Drop for Running {
    fn drop(&mut self) {
        ACTIVE.with(|a| a.borrow_mut().pop());
    }
}

/// One row's firing: the triggers of `defs` with `timing`, given the
/// target's column names, the row's old and new values and, for an UPDATE,
/// the columns it assigns.
#[allow(clippy::too_many_arguments)]
pub fn fire(
    ctx: &Ctx,
    names: &[String],
    defs: &[Arc<TriggerDef>],
    timing: TriggerTiming,
    old: Option<&[Value]>,
    new: Option<&[Value]>,
    assigned: &[usize],
    exec: Exec,
) -> Result<()> {
    let mut fired = false;
    for d in defs.iter().filter(|d| d.timing == timing) {
        if let TriggerEvent::Update(cols) = &d.event {
            if !cols.is_empty()
                && !cols.iter().any(|c| {
                    names
                        .iter()
                        .position(|n| n == c)
                        .is_some_and(|i| assigned.contains(&i))
                })
            {
                continue;
            }
        }
        let mut params = Vec::with_capacity(d.binds.len());
        for (is_new, c) in &d.binds {
            let row = if *is_new { new } else { old };
            let v = names
                .iter()
                .position(|n| n == c)
                .and_then(|i| row.and_then(|r| r.get(i)))
                .cloned()
                .ok_or_else(|| {
                    Error::new(
                        ErrorCode::NoColumn,
                        format!("no such column: {c} (in trigger {})", d.name),
                    )
                })?;
            params.push(v);
        }
        let sub = ctx.with_params(&params);
        if let Some(w) = &d.when {
            if eval(&sub, w, &EMPTY_SCOPE)?.truth() != Some(true) {
                continue;
            }
        }
        let depth = ACTIVE.with(|a| {
            let mut a = a.borrow_mut();
            a.push(d.name.clone());
            a.len()
        });
        let _running = Running;
        if depth > MAX_DEPTH {
            return Err(Error::new(
                ErrorCode::Limit,
                format!(
                    "triggers nested deeper than {MAX_DEPTH} (at trigger {})",
                    d.name
                ),
            ));
        }
        for s in &d.body {
            exec(&sub, s).map_err(|e| {
                Error::new(e.code, format!("{} (in trigger {})", e.message, d.name))
            })?;
        }
        fired = true;
    }
    if fired {
        // The bodies may have written: forget what this statement loaded.
        ctx.invalidate();
    }
    Ok(())
}
