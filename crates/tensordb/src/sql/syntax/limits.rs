//! Bounds on every recursive pass over a statement, and the big stack that
//! deep statements run on.
//!
//! One documented limit, `MAX_DEPTH` (SQLite's default expression depth),
//! applies to parsing, translation, planning, evaluation and dropping: the
//! front pass estimates a statement's nesting from its tokens and refuses
//! deeper ones before sqlparser builds a tree; sqlparser's own recursion
//! limit and the translator's depth guard back that estimate up. Statements
//! nested deeper than `SHALLOW` run on a thread with `BIG_STACK` bytes of
//! stack (engine threads have it already), so neither Node's main thread nor
//! a Rust caller's thread can overflow.

use crate::error::{Error, ErrorCode, Result};
use std::cell::Cell;

/// Deepest nesting of expressions, subqueries and compound SELECT arms a
/// statement may have (SQLite: "Expression tree is too large (maximum
/// depth 1000)").
pub const MAX_DEPTH: usize = 1000;

/// sqlparser's recursion limit: it counts about two units per nesting level
/// of parentheses and three per subquery.
pub const PARSER_RECURSION: usize = 2 * MAX_DEPTH + 10;

/// Nesting up to which a statement parses and runs on any thread.
pub const SHALLOW: usize = 24;

/// Stack of engine threads and of the helper thread deep statements use
/// (virtual: pages are committed only when touched). Parsing 660 nested
/// subqueries alone takes ~24 MiB of sqlparser's stack.
pub const BIG_STACK: usize = 256 << 20;

thread_local! {
    /// True on threads started with `BIG_STACK`.
    static BIG: Cell<bool> = const { Cell::new(false) };
    /// Current nesting of the translator on this thread.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Marks the calling thread as having `BIG_STACK` (engine threads call it
/// first thing).
pub fn mark_big_stack() {
    BIG.with(|b| b.set(true));
}

/// The `TDB_LIMIT` error of a statement nested too deeply.
pub fn too_deep() -> Error {
    Error::new(
        ErrorCode::Limit,
        format!(
            "the statement is nested too deeply: expressions, subqueries and compound \
             SELECT arms may nest at most {MAX_DEPTH} levels"
        ),
    )
}

/// One level of the translator's recursion; fails past `MAX_DEPTH`. The
/// level ends when the guard is dropped.
pub struct DepthGuard(());

impl DepthGuard {
    /// Enters one more level.
    pub fn enter() -> Result<DepthGuard> {
        let d = DEPTH.with(|d| {
            let n = d.get() + 1;
            d.set(n);
            n
        });
        let g = DepthGuard(());
        if d > MAX_DEPTH {
            return Err(too_deep());
        }
        Ok(g)
    }
}

impl Drop for DepthGuard {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// Runs `f` on a thread with `BIG_STACK` bytes of stack when `depth` is
/// beyond `SHALLOW` and the calling thread is not such a thread already;
/// otherwise runs it here. A panic in `f` becomes `TDB_INTERNAL`.
pub fn with_stack_for<T: Send>(depth: usize, f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    if depth <= SHALLOW || BIG.with(|b| b.get()) {
        return f();
    }
    let carried = crate::sql::func::control::carry();
    std::thread::scope(|s| {
        let h = std::thread::Builder::new()
            .name("tensordb-deep".into())
            .stack_size(BIG_STACK)
            .spawn_scoped(s, || {
                mark_big_stack();
                crate::sql::func::control::resume(carried, f)
            })
            .map_err(|e| Error::io("start a thread for a deeply nested statement", e))?;
        h.join()
            .unwrap_or_else(|_| Err(Error::internal("a deeply nested statement panicked")))
    })
}

/// Clause keywords that start a new expression at the same parenthesis level.
const RESTARTS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP",
    "HAVING",
    "ORDER",
    "LIMIT",
    "OFFSET",
    "VALUES",
    "SET",
    "ON",
    "USING",
    "RETURNING",
    "WHEN",
    "THEN",
    "ELSE",
    "AS",
    "BY",
    "JOIN",
    "WINDOW",
];

/// Operator classes of one precedence level each; a chain of one class is a
/// tree as deep as the chain is long.
const CLASSES: usize = 10;
const SET_OPS: usize = 9;

/// The class of an operator token, if it is one.
fn class_of(t: &sqlparser::tokenizer::Token) -> Option<usize> {
    use sqlparser::tokenizer::Token as T;
    Some(match t {
        T::Word(w) if w.quote_style.is_none() => match w.value.to_ascii_uppercase().as_str() {
            "OR" => 0,
            "AND" => 1,
            "NOT" | "EXISTS" => 2,
            "IS" | "LIKE" | "GLOB" | "REGEXP" | "MATCH" | "BETWEEN" | "IN" | "ESCAPE" => 3,
            "COLLATE" => 8,
            "UNION" | "EXCEPT" | "INTERSECT" => SET_OPS,
            _ => return None,
        },
        T::Eq | T::DoubleEq | T::Neq | T::Lt | T::Gt | T::LtEq | T::GtEq => 3,
        T::Ampersand | T::Pipe | T::Tilde | T::ShiftLeft | T::ShiftRight => 4,
        T::Plus | T::Minus => 5,
        T::Mul | T::Div | T::Mod => 6,
        T::StringConcat | T::Arrow | T::LongArrow => 7,
        _ => return None,
    })
}

/// Operators seen at one parenthesis level.
#[derive(Clone, Copy, Default)]
struct Level {
    counts: [usize; CLASSES],
}

impl Level {
    /// Depth this level adds: its longest chain, plus one per other class
    /// present (an operand of one chain may be a chain of another class).
    fn depth(&self) -> usize {
        let max = self.counts.iter().copied().max().unwrap_or(0);
        let classes = self.counts.iter().filter(|&&c| c > 0).count();
        max + classes.saturating_sub(1)
    }

    /// A new expression starts: the chains end, compound SELECT arms stay.
    fn restart(&mut self) {
        let sets = self.counts[SET_OPS];
        *self = Level::default();
        self.counts[SET_OPS] = sets;
    }
}

/// Estimates how deeply the statements in `tokens` nest, from the tokens
/// alone (before sqlparser builds a tree): each open parenthesis, each
/// operator in a chain of one precedence class (`a + b + …` is a tree as
/// deep as the chain is long), each compound SELECT arm and each open CASE
/// adds a level. Fails with `TDB_LIMIT` past `MAX_DEPTH`; returns the
/// deepest level seen. Mixed chains can nest deeper than estimated; the
/// translator's `DepthGuard` holds the exact limit, and the estimate keeps
/// sqlparser's tree within a small multiple of it.
pub fn estimate_depth<'t>(
    tokens: impl Iterator<Item = &'t sqlparser::tokenizer::Token>,
) -> Result<usize> {
    use sqlparser::tokenizer::Token as T;
    let mut levels: Vec<Level> = vec![Level::default()];
    // Sum of `depth()` over `levels`, kept up to date.
    let mut sum = 0usize;
    let mut cases = 0usize;
    let mut max = 0usize;
    for t in tokens {
        let top = levels.len() - 1;
        let before = levels[top].depth();
        match t {
            T::LParen => levels.push(Level::default()),
            T::RParen if levels.len() > 1 => {
                levels.pop();
                sum -= before;
            }
            T::Comma => levels[top].restart(),
            T::SemiColon => {
                levels = vec![Level::default()];
                sum = 0;
                cases = 0;
            }
            T::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("CASE") => {
                cases += 1
            }
            T::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("END") => {
                cases = cases.saturating_sub(1)
            }
            T::Word(w)
                if w.quote_style.is_none()
                    && RESTARTS.iter().any(|k| w.value.eq_ignore_ascii_case(k)) =>
            {
                levels[top].restart()
            }
            other => {
                if let Some(c) = class_of(other) {
                    levels[top].counts[c] += 1;
                }
            }
        }
        if !matches!(t, T::LParen | T::RParen | T::SemiColon) {
            sum = sum - before + levels[top].depth();
        }
        let depth = levels.len() + sum + cases;
        max = max.max(depth);
        if depth > MAX_DEPTH {
            return Err(too_deep());
        }
    }
    Ok(max)
}
