//! What stops a running statement: its timeout, its cancellation flag,
//! its memory budget and the longest value it may build, held per thread
//! for the statement running on it.
//!
//! The memory budget counts bytes of rows the statement holds: scan buffers
//! while they are read, tables loaded for it, join output and hash tables,
//! GROUP BY groups, DISTINCT and set-operation hash sets, window partitions,
//! sort keys, recursive CTE rows and the rows each query level produces.
//! A query level gives back what it counted when it returns (its caller
//! counts the rows it hands up), so a correlated subquery run once per
//! outer row does not add up; within one level, counts only grow.

use crate::error::{Error, ErrorCode, Result};
use std::cell::{Cell, RefCell};

/// What may stop a running statement: a deadline (statement timeout), a
/// cancellation flag (an `AbortSignal` from Node, or any caller's) and a
/// memory budget; plus the longest value it may build.
#[derive(Clone, Debug, Default)]
pub struct Control {
    /// The statement fails with `TDB_LIMIT` once this instant passes.
    pub deadline: Option<std::time::Instant>,
    /// The timeout the deadline came from, for the message.
    pub timeout: Option<std::time::Duration>,
    /// Set from outside to cancel the statement (`TDB_LIMIT`, "cancelled").
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// Bytes of rows the statement may hold (see `charge`).
    pub memory: Option<usize>,
    /// Longest text or blob the statement may build (`None`:
    /// `MAX_LENGTH`).
    pub max_length: Option<usize>,
}

impl Control {
    /// A control whose deadline is `timeout` from now (none for `None`).
    pub fn new(
        timeout: Option<std::time::Duration>,
        cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    ) -> Control {
        Control {
            deadline: timeout.map(|t| std::time::Instant::now() + t),
            timeout,
            cancel,
            ..Control::default()
        }
    }

    /// The same control with a memory budget (`None`: unbounded).
    pub fn with_memory(mut self, bytes: Option<usize>) -> Control {
        self.memory = bytes;
        self
    }

    /// The same control with a maximum value length (`None`: the default).
    pub fn with_max_length(mut self, bytes: Option<usize>) -> Control {
        self.max_length = bytes;
        self
    }
}

thread_local! {
    /// The control of the statement running on this thread.
    static CONTROL: RefCell<Option<Control>> = const { RefCell::new(None) };
    /// Calls of `tick` since the last real check.
    static TICKS: Cell<u32> = const { Cell::new(0) };
    /// Bytes of rows the running statement holds (see `charge`).
    static CHARGED: Cell<usize> = const { Cell::new(0) };
}

/// Runs `f` under `control` (restoring the previous one after).
pub fn with_control<T>(control: Control, f: impl FnOnce() -> T) -> T {
    let prev = CONTROL.with(|c| c.replace(Some(control)));
    let charged = CHARGED.with(|c| c.replace(0));
    let out = f();
    CONTROL.with(|c| *c.borrow_mut() = prev);
    CHARGED.with(|c| c.set(charged));
    out
}

/// The running statement's control and count, to carry onto another thread
/// (see `resume`).
pub struct Carried(Option<Control>, usize);

/// Takes what `resume` needs to continue this thread's statement elsewhere.
pub fn carry() -> Carried {
    Carried(
        CONTROL.with(|c| c.borrow().clone()),
        CHARGED.with(|c| c.get()),
    )
}

/// Runs `f` under a control carried from another thread.
pub fn resume<T>(carried: Carried, f: impl FnOnce() -> T) -> T {
    match carried.0 {
        Some(c) => with_control(c, || {
            CHARGED.with(|x| x.set(carried.1));
            f()
        }),
        None => f(),
    }
}

/// Counts `bytes` more held by `what` (an operator, named in the error) and
/// fails with `TDB_LIMIT` once the statement holds more than its budget.
pub fn charge(bytes: usize, what: &str) -> Result<()> {
    let total = CHARGED.with(|c| {
        let n = c.get().saturating_add(bytes);
        c.set(n);
        n
    });
    CONTROL.with(|c| match c.borrow().as_ref().and_then(|c| c.memory) {
        Some(budget) if total > budget => Err(Error::new(
            ErrorCode::Limit,
            format!(
                "the statement went past its memory budget of {budget} bytes \
                 (statementMemoryBytes) in {what}: {total} bytes of rows held"
            ),
        )),
        _ => Ok(()),
    })
}

/// Gives back `bytes` charged for rows that were dropped (a scan's buffer
/// once its rows were visited).
pub fn release(bytes: usize) {
    CHARGED.with(|c| c.set(c.get().saturating_sub(bytes)));
}

/// The bytes counted so far, to give back later with `release_to`.
pub fn mark() -> usize {
    CHARGED.with(|c| c.get())
}

/// Gives back everything counted since `mark` (a query level returning).
pub fn release_to(mark: usize) {
    CHARGED.with(|c| c.set(c.get().min(mark)));
}

/// Approximate heap bytes of a row of values.
pub fn row_bytes(row: &[crate::sql::datum::value::Value]) -> usize {
    use crate::sql::datum::value::Value as V;
    24 + row
        .iter()
        .map(|v| {
            32 + match v {
                V::Text(t) => t.len(),
                V::Blob(b) => b.len(),
                _ => 0,
            }
        })
        .sum::<usize>()
}

/// Approximate heap bytes of rows.
pub fn rows_bytes<'r>(
    rows: impl IntoIterator<Item = &'r Vec<crate::sql::datum::value::Value>>,
) -> usize {
    rows.into_iter().map(|r| row_bytes(r)).sum()
}

/// Longest text or blob any function or operator may build (bytes;
/// SQLite's default `SQLITE_MAX_LENGTH`) unless the database sets its own.
pub const MAX_LENGTH: usize = crate::engine::options::DEFAULT_MAX_LENGTH;

/// Fails with `TDB_LIMIT` when a value of `n` bytes built by `what` would
/// exceed the running statement's maximum length (`max_length`); call it
/// before allocating.
pub fn check_length(n: usize, what: &str) -> Result<()> {
    let max = max_length();
    if n > max {
        return Err(Error::new(
            ErrorCode::Limit,
            format!(
                "{what}: a result of {n} bytes exceeds the maximum length of {max} (maxLength)"
            ),
        ));
    }
    Ok(())
}

/// The longest text or blob the running statement may build: the
/// database's `max_length` option, `MAX_LENGTH` by default.
pub fn max_length() -> usize {
    current_max_length().unwrap_or(MAX_LENGTH)
}

/// The maximum value length of the running statement, if it set one.
pub fn current_max_length() -> Option<usize> {
    CONTROL.with(|c| c.borrow().as_ref().and_then(|c| c.max_length))
}

/// Fails with `TDB_LIMIT` when the running statement was cancelled or ran
/// past its timeout.
pub fn check() -> Result<()> {
    CONTROL.with(|c| {
        let c = c.borrow();
        let Some(c) = c.as_ref() else { return Ok(()) };
        if c.cancel
            .as_ref()
            .is_some_and(|f| f.load(std::sync::atomic::Ordering::Relaxed))
        {
            return Err(Error::new(ErrorCode::Limit, "the statement was cancelled"));
        }
        if c.deadline.is_some_and(|d| std::time::Instant::now() >= d) {
            let ms = c.timeout.map_or(0, |t| t.as_millis());
            return Err(Error::new(
                ErrorCode::Limit,
                format!("the statement ran past its timeout of {ms} ms (statement_timeout)"),
            ));
        }
        Ok(())
    })
}

/// `check`, but only every 1024th call: cheap enough for per-row loops.
pub fn tick() -> Result<()> {
    let n = TICKS.with(|t| {
        let n = t.get().wrapping_add(1);
        t.set(n);
        n
    });
    if n.is_multiple_of(1024) {
        check()
    } else {
        Ok(())
    }
}
