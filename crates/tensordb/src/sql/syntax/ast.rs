//! TensorDB's own SQL syntax tree. `translate.rs` builds it from sqlparser's;
//! nothing else in the engine sees sqlparser types.

use crate::sql::datum::value::{Arith, Value};

/// Comparison and logic operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// Arithmetic.
    Arith(Arith),
    /// `=`
    Eq,
    /// `<>` / `!=`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
    /// `AND`
    And,
    /// `OR`
    Or,
    /// `||`
    Concat,
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    /// `-x`
    Neg,
    /// `+x`
    Plus,
    /// `NOT x`
    Not,
}

/// An expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A literal.
    Lit(Value),
    /// A `$n` / `?` parameter (0-based).
    Param(usize),
    /// A column, optionally qualified by a table name or alias.
    Column(Option<String>, String),
    /// A unary operation.
    Unary(UnOp, Box<Expr>),
    /// A binary operation.
    Binary(Box<Expr>, BinOp, Box<Expr>),
    /// `x IS [NOT] NULL`
    IsNull(Box<Expr>, bool),
    /// `x [NOT] BETWEEN lo AND hi`
    Between(Box<Expr>, Box<Expr>, Box<Expr>, bool),
    /// `x [NOT] IN (list)`
    InList(Box<Expr>, Vec<Expr>, bool),
    /// `x [NOT] IN (subquery)`
    InQuery(Box<Expr>, Box<Query>, bool),
    /// `[NOT] EXISTS (subquery)`
    Exists(Box<Query>, bool),
    /// A scalar subquery.
    Scalar(Box<Query>),
    /// `CASE [operand] WHEN … THEN … [ELSE …] END`
    Case(Option<Box<Expr>>, Vec<(Expr, Expr)>, Option<Box<Expr>>),
    /// A function call; `star` for `count(*)`.
    Func {
        /// Lower-case name.
        name: String,
        /// Arguments.
        args: Vec<Expr>,
        /// `DISTINCT` inside the call.
        distinct: bool,
        /// `f(*)`.
        star: bool,
    },
    /// `CAST(x AS type)` (the declared type name).
    Cast(Box<Expr>, String),
    /// A window function call: `func(…) OVER (window)`.
    Window(Box<Expr>, Box<Window>),
}

impl Expr {
    /// The result column name of an unaliased select item, as PostgreSQL
    /// names it: a column's name, a function's (also under OVER), a cast's
    /// operand's (else its type), `case`, `exists`; anything else
    /// `?column?`.
    pub fn output_name(&self) -> String {
        match self {
            Expr::Column(_, c) => c.clone(),
            Expr::Func { name, .. } => name.clone(),
            Expr::Window(f, _) => f.output_name(),
            Expr::Cast(x, ty) => match x.output_name() {
                n if n == "?column?" => ty.to_lowercase(),
                n => n,
            },
            Expr::Case(..) => "case".into(),
            Expr::Exists(..) => "exists".into(),
            _ => "?column?".into(),
        }
    }
}

/// The unit a window frame counts in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameUnits {
    /// Physical rows.
    Rows,
    /// Rows whose ORDER BY value lies within a distance of the current one.
    Range,
    /// Peer groups (rows with equal ORDER BY values).
    Groups,
}

/// One end of a window frame.
#[derive(Clone, Debug, PartialEq)]
pub enum FrameBound {
    /// `UNBOUNDED PRECEDING`.
    UnboundedPreceding,
    /// `n PRECEDING`.
    Preceding(Box<Expr>),
    /// `CURRENT ROW`.
    CurrentRow,
    /// `n FOLLOWING`.
    Following(Box<Expr>),
    /// `UNBOUNDED FOLLOWING`.
    UnboundedFollowing,
}

/// A window frame: `units BETWEEN start AND end`.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    /// What the bounds count.
    pub units: FrameUnits,
    /// The first row of the frame.
    pub start: FrameBound,
    /// The last row of the frame.
    pub end: FrameBound,
}

/// A window: `PARTITION BY … ORDER BY … [frame]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    /// Partitioning expressions.
    pub partition_by: Vec<Expr>,
    /// Order within a partition.
    pub order_by: Vec<OrderTerm>,
    /// The frame (default: the SQL standard's, which depends on ORDER BY).
    pub frame: Option<Frame>,
}

/// One item of a SELECT list.
#[derive(Clone, Debug, PartialEq)]
pub enum SelectItem {
    /// `expr [AS alias]`.
    Expr(Expr, Option<String>),
    /// `*`.
    Star,
    /// `t.*`.
    TableStar(String),
}

/// Join kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinKind {
    /// INNER / CROSS / comma.
    Inner,
    /// LEFT OUTER.
    Left,
    /// RIGHT OUTER.
    Right,
    /// FULL OUTER.
    Full,
}

/// A FROM item.
#[derive(Clone, Debug, PartialEq)]
pub enum From {
    /// A named table with an optional alias and temporal clauses.
    Table(String, Option<String>, Option<Box<Temporal>>),
    /// A derived table.
    Subquery(Box<Query>, String),
    /// A join.
    Join(Box<From>, Box<From>, JoinKind, Option<Expr>),
    /// `JOIN … USING (columns)`, or NATURAL JOIN when the list is `None`
    /// (every column name the two sides share).
    JoinUsing(Box<From>, Box<From>, JoinKind, Option<Vec<String>>),
}

/// Which times of one axis a temporal clause selects.
#[derive(Clone, Debug, PartialEq)]
pub enum TimeSpec {
    /// `AS OF x`: one point.
    AsOf(Expr),
    /// `AS OF EPOCH n` (system time only): the time epoch `n` recorded.
    AsOfEpoch(Expr),
    /// `BETWEEN a AND b`: versions overlapping `[a, b]`.
    Between(Expr, Expr),
    /// `FROM a TO b`: versions overlapping `[a, b)`.
    FromTo(Expr, Expr),
    /// `ALL`: every version.
    All,
}

/// The temporal clauses of one table reference (`None`: the statement's
/// default, normally "now").
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Temporal {
    /// `AS OF …` / `FOR SYSTEM_TIME …`.
    pub system: Option<TimeSpec>,
    /// `FOR VALID_TIME …` / `FOR APPLICATION_TIME …`.
    pub valid: Option<TimeSpec>,
    /// The statement names a hidden period column, so the reference must
    /// provide them.
    pub hidden: bool,
}

/// A SELECT core.
#[derive(Clone, Debug, PartialEq)]
pub struct Select {
    /// `DISTINCT`.
    pub distinct: bool,
    /// The select list.
    pub items: Vec<SelectItem>,
    /// FROM items (comma-separated = cross joins).
    pub from: Vec<From>,
    /// WHERE.
    pub filter: Option<Expr>,
    /// GROUP BY.
    pub group_by: Vec<Expr>,
    /// HAVING.
    pub having: Option<Expr>,
}

/// Set operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetOp {
    /// UNION.
    Union,
    /// EXCEPT.
    Except,
    /// INTERSECT.
    Intersect,
}

/// A query body.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    /// A SELECT.
    Select(Box<Select>),
    /// `left op [ALL] right`.
    Set(Box<Body>, SetOp, bool, Box<Body>),
    /// `VALUES (…), (…)`.
    Values(Vec<Vec<Expr>>),
    /// A parenthesized query with its own ORDER BY / LIMIT.
    Query(Box<Query>),
}

/// One ORDER BY term.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderTerm {
    /// The expression (an integer literal means a result column number).
    pub expr: Expr,
    /// Descending.
    pub desc: bool,
    /// NULLS FIRST (Some(true)) / LAST (Some(false)); default: NULLs sort low.
    pub nulls_first: Option<bool>,
}

/// A common table expression: `name [(columns)] AS (query)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Cte {
    /// The name queries refer to.
    pub name: String,
    /// Column names (empty: the query's own).
    pub columns: Vec<String>,
    /// The defining query.
    pub query: Box<Query>,
    /// Declared in a `WITH RECURSIVE`.
    pub recursive: bool,
}

/// A full query.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// `WITH` common table expressions, in order.
    pub with: Vec<Cte>,
    /// The body.
    pub body: Body,
    /// ORDER BY.
    pub order_by: Vec<OrderTerm>,
    /// LIMIT.
    pub limit: Option<Expr>,
    /// OFFSET.
    pub offset: Option<Expr>,
}

/// A column definition.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnDef {
    /// Name.
    pub name: String,
    /// Declared type (as written).
    pub decl_type: String,
    /// NOT NULL.
    pub not_null: bool,
    /// PRIMARY KEY on the column.
    pub primary_key: bool,
    /// DEFAULT expression.
    pub default: Option<Expr>,
    /// The DEFAULT expression's SQL text (for rewriting the stored schema).
    pub default_text: Option<String>,
    /// CHECK constraints written on the column: expression and SQL text.
    pub checks: Vec<(Expr, String)>,
    /// UNIQUE written on the column.
    pub unique: bool,
}

/// One ALTER TABLE operation.
#[derive(Clone, Debug, PartialEq)]
pub enum AlterOp {
    /// `ADD [COLUMN] [IF NOT EXISTS] def`.
    AddColumn(ColumnDef, bool),
    /// `DROP [COLUMN] [IF EXISTS] name`.
    DropColumn(String, bool),
    /// `RENAME [COLUMN] old TO new`.
    RenameColumn(String, String),
    /// `RENAME TO new`.
    RenameTo(String),
}

/// What INSERT does with a row that clashes with an existing one.
#[derive(Clone, Debug, PartialEq)]
pub enum ConflictAction {
    /// Skip the row.
    Nothing,
    /// Delete every row the new one clashes with (primary key or UNIQUE
    /// index), then insert it (`INSERT OR REPLACE`, `REPLACE INTO`).
    Replace,
    /// Update the existing row (`excluded.col` names the proposed values).
    Update {
        /// `col = expr` pairs.
        set: Vec<(String, Expr)>,
        /// Update only when this holds.
        filter: Option<Expr>,
    },
}

/// `ON CONFLICT [(columns)] DO …`.
#[derive(Clone, Debug, PartialEq)]
pub struct OnConflict {
    /// The conflict target's columns (empty: any unique constraint).
    pub target: Vec<String>,
    /// The action.
    pub action: ConflictAction,
}

/// When a trigger's body runs, relative to the write of its row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TriggerTiming {
    /// Before the row is written.
    Before,
    /// After the row is written.
    After,
    /// Instead of writing the row (triggers on views).
    InsteadOf,
}

/// The write that fires a trigger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TriggerEvent {
    /// INSERT.
    Insert,
    /// UPDATE, or `UPDATE OF columns` (any of them assigned).
    Update(Vec<String>),
    /// DELETE.
    Delete,
}

/// A trigger as defined: `NEW.c` / `OLD.c` in its condition and body are
/// parameters (`Expr::Param(i)`), bound per row as `binds[i]` says.
#[derive(Clone, Debug, PartialEq)]
pub struct TriggerDef {
    /// Name.
    pub name: String,
    /// The table whose writes fire it.
    pub table: String,
    /// Before or after the row's write.
    pub timing: TriggerTiming,
    /// The event.
    pub event: TriggerEvent,
    /// `WHEN` condition.
    pub when: Option<Expr>,
    /// The statements it runs (INSERT, UPDATE, DELETE, SELECT).
    pub body: Vec<Statement>,
    /// Parameter `i` is `NEW.col` (true) or `OLD.col` (false) of column `col`.
    pub binds: Vec<(bool, String)>,
}

/// A statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    /// A query.
    Query(Box<Query>),
    /// CREATE TABLE.
    CreateTable {
        /// Name.
        name: String,
        /// Columns.
        columns: Vec<ColumnDef>,
        /// Table-level PRIMARY KEY columns.
        primary_key: Vec<String>,
        /// UNIQUE column sets (column and table constraints); each becomes a
        /// unique index.
        unique: Vec<Vec<String>>,
        /// CHECK constraints: the expression and its SQL text.
        checks: Vec<(Expr, String)>,
        /// IF NOT EXISTS.
        if_not_exists: bool,
    },
    /// ALTER TABLE.
    AlterTable {
        /// Table.
        table: String,
        /// IF EXISTS.
        if_exists: bool,
        /// The operation.
        op: AlterOp,
    },
    /// CREATE VIEW.
    CreateView {
        /// Name.
        name: String,
        /// Column names (empty: the query's own).
        columns: Vec<String>,
        /// The defining query.
        query: Box<Query>,
        /// IF NOT EXISTS.
        if_not_exists: bool,
        /// OR REPLACE.
        or_replace: bool,
    },
    /// CREATE TRIGGER.
    CreateTrigger(Box<TriggerDef>),
    /// DROP TRIGGER.
    DropTrigger {
        /// Name.
        name: String,
        /// IF EXISTS.
        if_exists: bool,
    },
    /// DROP VIEW.
    DropView {
        /// Names.
        names: Vec<String>,
        /// IF EXISTS.
        if_exists: bool,
    },
    /// DROP TABLE.
    DropTable {
        /// Names.
        names: Vec<String>,
        /// IF EXISTS.
        if_exists: bool,
    },
    /// CREATE [UNIQUE] INDEX.
    CreateIndex {
        /// Index name.
        name: String,
        /// Table.
        table: String,
        /// Indexed columns, in order.
        columns: Vec<String>,
        /// UNIQUE.
        unique: bool,
        /// IF NOT EXISTS.
        if_not_exists: bool,
    },
    /// DROP INDEX.
    DropIndex {
        /// Names.
        names: Vec<String>,
        /// IF EXISTS.
        if_exists: bool,
    },
    /// INSERT.
    Insert {
        /// Table.
        table: String,
        /// Column list (empty = all, in order).
        columns: Vec<String>,
        /// Rows (VALUES or a query).
        source: Box<Query>,
        /// ON CONFLICT clause.
        on_conflict: Option<OnConflict>,
        /// RETURNING items (empty: none).
        returning: Vec<SelectItem>,
    },
    /// UPDATE.
    Update {
        /// Table.
        table: String,
        /// `col = expr` pairs.
        set: Vec<(String, Expr)>,
        /// WHERE.
        filter: Option<Expr>,
        /// RETURNING items (empty: none).
        returning: Vec<SelectItem>,
        /// `FOR PORTION OF VALID_TIME FROM a TO b`.
        portion: Option<(Expr, Expr)>,
    },
    /// DELETE.
    Delete {
        /// Table.
        table: String,
        /// WHERE.
        filter: Option<Expr>,
        /// RETURNING items (empty: none).
        returning: Vec<SelectItem>,
        /// `FOR PORTION OF VALID_TIME FROM a TO b`.
        portion: Option<(Expr, Expr)>,
    },
    /// `BACKUP TO path [SINCE EPOCH n]`.
    Backup {
        /// File to write.
        path: Expr,
        /// Incremental: only commits after this epoch.
        since: Option<Expr>,
    },
    /// `RESTORE FROM path` (into this, empty, database).
    Restore(Expr),
    /// `VERIFY BACKUP path`.
    VerifyBackup(Expr),
    /// `ADVANCE EPOCH`: records a new epoch (one row: its number).
    AdvanceEpoch,
    /// `RESTORE TABLE t TO EPOCH n` / `TO <system time>`.
    RestoreTable {
        /// Table.
        table: String,
        /// The system time to bring back (`AsOf` or `AsOfEpoch`).
        to: TimeSpec,
    },
    /// `SET SYSTEM_TIME AS OF …` / `SET VALID_TIME AS OF …` (`None`: back
    /// to now): the session's default read time for table references
    /// without their own clause.
    SetTime {
        /// System time (true) or valid time (false).
        system: bool,
        /// The new default.
        value: Option<TimeSpec>,
    },
    /// `SET statement_timeout = ms` (0: none) / `TO DEFAULT` (`None`: the
    /// database's `statement_timeout` option): the session's limit on each
    /// statement's running time.
    SetTimeout(Option<u64>),
    /// `CHECK DATABASE`: verify every checksum, the WAL and every index;
    /// one row per problem (none when all is well).
    CheckDatabase,
    /// `REINDEX [name]`: rebuild the secondary indexes of every table, of
    /// the table `name`, or the index `name`, from the tables' rows.
    Reindex(Option<String>),
    /// `EXPLAIN [ANALYZE] query`.
    Explain {
        /// Run the query and report actual rows and times.
        analyze: bool,
        /// The explained statement (a query).
        statement: Box<Statement>,
    },
    /// `ANALYZE [table]`: gather planner statistics.
    Analyze(Option<String>),
    /// BEGIN [TRANSACTION].
    Begin,
    /// COMMIT / END.
    Commit,
    /// ROLLBACK.
    Rollback,
    /// SAVEPOINT name.
    Savepoint(String),
    /// RELEASE [SAVEPOINT] name.
    Release(String),
    /// ROLLBACK TO [SAVEPOINT] name.
    RollbackTo(String),
}
