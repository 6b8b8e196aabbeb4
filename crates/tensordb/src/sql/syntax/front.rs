//! The front pass: TensorDB's temporal syntax that sqlparser does not know,
//! handled on sqlparser's own tokens before the real parse.
//!
//! - Temporal clauses after a table name (or its alias) — `AS OF x`,
//!   `AS OF EPOCH n`, `FOR SYSTEM_TIME …`, `FOR VALID_TIME …` /
//!   `FOR APPLICATION_TIME …` with `AS OF`, `BETWEEN … AND …`, `FROM … TO …`
//!   or `ALL` — and `FOR PORTION OF VALID_TIME FROM a TO b` after the table
//!   of an UPDATE or DELETE are *lifted*: their bounds are parsed as
//!   expressions with sqlparser, the clause's characters are blanked in the
//!   text (so every other position stays where it was), and translation
//!   attaches them to the table reference whose name or alias token ends
//!   right before the clause.
//! - `SET SYSTEM_TIME …` / `SET VALID_TIME …` statements are recognized whole.

use crate::error::{Error, ErrorCode, Result};
use sqlparser::ast as sp;
use sqlparser::dialect::{Dialect, Precedence, SQLiteDialect};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer, Word};

/// One axis's clause, with its bounds still sqlparser expressions.
#[derive(Clone, Debug)]
pub enum RawSpec {
    /// `AS OF x`.
    AsOf(sp::Expr),
    /// `AS OF EPOCH n`.
    AsOfEpoch(sp::Expr),
    /// `BETWEEN a AND b`.
    Between(sp::Expr, sp::Expr),
    /// `FROM a TO b`.
    FromTo(sp::Expr, sp::Expr),
    /// `ALL`.
    All,
}

/// The clauses lifted from after one table reference.
#[derive(Clone, Debug)]
pub struct Lifted {
    /// Start of the token right before the clauses (a table name or alias).
    pub anchor: Location,
    /// System-time clause.
    pub system: Option<RawSpec>,
    /// Valid-time clause.
    pub valid: Option<RawSpec>,
    /// `FOR PORTION OF VALID_TIME FROM a TO b`.
    pub portion: Option<(sp::Expr, sp::Expr)>,
    /// Where the first clause starts (for errors).
    pub at: Location,
}

impl Default for Lifted {
    fn default() -> Self {
        Lifted {
            anchor: Location::new(0, 0),
            system: None,
            valid: None,
            portion: None,
            at: Location::new(0, 0),
        }
    }
}

/// `SET SYSTEM_TIME …` / `SET VALID_TIME …`.
#[derive(Clone, Debug)]
pub struct SetTime {
    /// True for system time, false for valid time.
    pub system: bool,
    /// The default to set (`None`: back to "now").
    pub value: Option<RawSpec>,
}

/// What the front pass found in one statement of the text.
#[derive(Clone, Debug)]
pub enum Piece {
    /// An ordinary statement: hand the (blanked) text to sqlparser.
    Sql,
    /// A `SET SYSTEM_TIME` / `SET VALID_TIME` statement.
    SetTime(Box<SetTime>),
    /// BACKUP, RESTORE or VERIFY BACKUP.
    Admin(Box<Admin>),
}

/// Backup and restore statements (no SQL shape sqlparser knows).
#[derive(Clone, Debug)]
pub enum Admin {
    /// `BACKUP TO path [SINCE EPOCH n]`.
    Backup {
        /// File to write.
        path: sp::Expr,
        /// Incremental: commits after this epoch only.
        since: Option<sp::Expr>,
    },
    /// `RESTORE FROM path`.
    Restore {
        /// Backup file.
        path: sp::Expr,
    },
    /// `VERIFY BACKUP path`.
    Verify {
        /// Backup file.
        path: sp::Expr,
    },
    /// `ADVANCE EPOCH`: record a new epoch.
    AdvanceEpoch,
    /// `CHECK DATABASE`: verify checksums, WAL and indexes.
    CheckDatabase,
    /// `REINDEX [table or index]`: rebuild secondary indexes.
    Reindex {
        /// The table (all its indexes) or the index; `None`: every index.
        target: Option<String>,
    },
    /// `RESTORE TABLE t TO EPOCH n` / `RESTORE TABLE t TO <system time>`.
    RestoreTable {
        /// Table name.
        table: String,
        /// `AsOfEpoch` or `AsOf`.
        to: RawSpec,
    },
}

fn admin(pass: &Pass, k: usize, end: usize) -> Result<Admin> {
    let done = |n: usize, a: Admin| {
        if n != end {
            return Err(syntax("unexpected text after the statement", pass.loc(n)));
        }
        Ok(a)
    };
    if pass.kw(k, "BACKUP") {
        if !pass.kw(k + 1, "TO") {
            return Err(syntax("expected BACKUP TO '<path>'", pass.loc(k + 1)));
        }
        let (path, n) = pass.expr(k + 2, false)?;
        if pass.kw(n, "SINCE") {
            if !pass.kw(n + 1, "EPOCH") {
                return Err(syntax("expected SINCE EPOCH <n>", pass.loc(n + 1)));
            }
            let (e, m) = pass.expr(n + 2, false)?;
            return done(
                m,
                Admin::Backup {
                    path,
                    since: Some(e),
                },
            );
        }
        return done(n, Admin::Backup { path, since: None });
    }
    if pass.kw(k, "ADVANCE") {
        return done(k + 2, Admin::AdvanceEpoch);
    }
    if pass.kw(k, "CHECK") {
        return done(k + 2, Admin::CheckDatabase);
    }
    if pass.kw(k, "REINDEX") {
        if k + 1 == end {
            return done(k + 1, Admin::Reindex { target: None });
        }
        let target = match pass.tok(k + 1) {
            Some(Token::Word(w)) => w.value.clone(),
            _ => {
                return Err(syntax(
                    "expected REINDEX [table or index name]",
                    pass.loc(k + 1),
                ))
            }
        };
        return done(
            k + 2,
            Admin::Reindex {
                target: Some(target),
            },
        );
    }
    if pass.kw(k, "VERIFY") {
        if !pass.kw(k + 1, "BACKUP") {
            return Err(syntax("expected VERIFY BACKUP '<path>'", pass.loc(k + 1)));
        }
        let (path, n) = pass.expr(k + 2, false)?;
        return done(n, Admin::Verify { path });
    }
    // RESTORE …
    if pass.kw(k + 1, "FROM") {
        let (path, n) = pass.expr(k + 2, false)?;
        return done(n, Admin::Restore { path });
    }
    if pass.kw(k + 1, "TABLE") {
        let table = match pass.tok(k + 2) {
            Some(Token::Word(w)) => w.value.clone(),
            _ => return Err(syntax("expected a table name", pass.loc(k + 2))),
        };
        if !pass.kw(k + 3, "TO") {
            return Err(syntax(
                "expected RESTORE TABLE t TO EPOCH <n> (or TO <system time>)",
                pass.loc(k + 3),
            ));
        }
        let (to, n) = if pass.kw(k + 4, "EPOCH") {
            let (e, n) = pass.expr(k + 5, false)?;
            (RawSpec::AsOfEpoch(e), n)
        } else {
            let (e, n) = pass.expr(k + 4, false)?;
            (RawSpec::AsOf(e), n)
        };
        return done(n, Admin::RestoreTable { table, to });
    }
    Err(syntax(
        "expected RESTORE FROM '<path>' or RESTORE TABLE t TO EPOCH <n>",
        pass.loc(k + 1),
    ))
}

fn is_admin(pass: &Pass, k: usize) -> bool {
    pass.kw(k, "BACKUP")
        || pass.kw(k, "RESTORE")
        || (pass.kw(k, "VERIFY") && pass.kw(k + 1, "BACKUP"))
        || (pass.kw(k, "ADVANCE") && pass.kw(k + 1, "EPOCH"))
        || (pass.kw(k, "CHECK") && pass.kw(k + 1, "DATABASE"))
        || pass.kw(k, "REINDEX")
}

/// The result of the front pass over a whole text.
#[derive(Debug)]
pub struct Front {
    /// The text the pass worked on (the input, with period predicates
    /// rewritten into calls).
    pub source: String,
    /// The text with lifted clauses blanked (same length and line breaks).
    pub text: String,
    /// Lifted temporal clauses, in text order.
    pub lifted: Vec<Lifted>,
    /// Per statement (split at top-level `;`): its byte range in `text` and
    /// what it is.
    pub pieces: Vec<(std::ops::Range<usize>, Piece)>,
    /// True when the text names a hidden period column.
    pub hidden: bool,
    /// The number of every plain `?` placeholder, by its position: in text
    /// order within each statement, each taking the largest number used so
    /// far plus one (as in SQLite), whichever clause it is in.
    pub qmarks: Vec<(Location, usize)>,
    /// The estimated nesting depth (see `limits::estimate_depth`).
    pub depth: usize,
}

fn syntax(msg: impl Into<String>, at: Location) -> Error {
    Error::new(
        ErrorCode::Syntax,
        format!("{} at Line: {}, Column: {}", msg.into(), at.line, at.column),
    )
}

fn is_kw(t: &Token, kw: &str) -> bool {
    matches!(t, Token::Word(Word { value, quote_style: None, .. }) if value.eq_ignore_ascii_case(kw))
}

/// Byte offsets of (line, column) positions in `text`.
struct Offsets {
    lines: Vec<usize>,
    /// All ASCII: a column is a byte count (no per-call scan, so long
    /// one-line texts of many statements stay linear).
    ascii: bool,
}

impl Offsets {
    fn new(text: &str) -> Self {
        let mut lines = vec![0];
        lines.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Offsets {
            lines,
            ascii: text.is_ascii(),
        }
    }

    fn byte(&self, text: &str, at: Location) -> usize {
        let Some(&start) = self.lines.get((at.line as usize).saturating_sub(1)) else {
            return text.len();
        };
        let col = (at.column as usize).saturating_sub(1);
        if self.ascii {
            return (start + col).min(text.len());
        }
        text[start..]
            .char_indices()
            .nth(col)
            .map_or(text.len(), |(i, _)| start + i)
    }
}

struct Pass {
    toks: Vec<TokenWithSpan>,
    /// Indexes of the significant (non-whitespace) tokens.
    sig: Vec<usize>,
    dialect: SQLiteDialect,
}

impl Pass {
    fn tok(&self, k: usize) -> Option<&Token> {
        self.sig.get(k).map(|&i| &self.toks[i].token)
    }

    fn loc(&self, k: usize) -> Location {
        self.sig
            .get(k)
            .map_or(Location::new(0, 0), |&i| self.toks[i].span.start)
    }

    fn kw(&self, k: usize, kw: &str) -> bool {
        self.tok(k).is_some_and(|t| is_kw(t, kw))
    }

    /// Parses an expression starting at significant token `k`; returns it
    /// and the significant index after it. `between` stops before `AND`.
    fn expr(&self, k: usize, between: bool) -> Result<(sp::Expr, usize)> {
        let start = self.sig.get(k).copied().unwrap_or(self.toks.len());
        let toks = self.toks[start..].to_vec();
        let mut p = Parser::new(&self.dialect)
            .with_recursion_limit(crate::sql::syntax::limits::PARSER_RECURSION)
            .with_tokens_with_locations(toks);
        let e = if between {
            p.parse_subexpr(self.dialect.prec_value(Precedence::Between))
        } else {
            p.parse_expr()
        }
        .map_err(crate::sql::syntax::parse::syntax_error)?;
        let end = start + p.index();
        // The first significant token at or after `end`.
        let next = self.sig.partition_point(|&i| i < end);
        Ok((e, next))
    }

    /// A clause body after the axis keyword at `k`: returns the spec and the
    /// index after it.
    fn spec(&self, k: usize, system: bool) -> Result<(RawSpec, usize)> {
        if self.kw(k, "AS") && self.kw(k + 1, "OF") {
            if system && self.kw(k + 2, "EPOCH") {
                let (e, n) = self.expr(k + 3, false)?;
                return Ok((RawSpec::AsOfEpoch(e), n));
            }
            let (e, n) = self.expr(k + 2, false)?;
            return Ok((RawSpec::AsOf(e), n));
        }
        if self.kw(k, "BETWEEN") {
            let (a, n) = self.expr(k + 1, true)?;
            if !self.kw(n, "AND") {
                return Err(syntax("expected AND in a BETWEEN time clause", self.loc(n)));
            }
            let (b, n) = self.expr(n + 1, true)?;
            return Ok((RawSpec::Between(a, b), n));
        }
        if self.kw(k, "FROM") {
            let (a, n) = self.expr(k + 1, false)?;
            if !self.kw(n, "TO") {
                return Err(syntax(
                    "expected TO in a FROM … TO time clause",
                    self.loc(n),
                ));
            }
            let (b, n) = self.expr(n + 1, false)?;
            return Ok((RawSpec::FromTo(a, b), n));
        }
        if self.kw(k, "ALL") {
            return Ok((RawSpec::All, k + 1));
        }
        Err(syntax(
            "expected AS OF, BETWEEN, FROM … TO or ALL after the time axis",
            self.loc(k),
        ))
    }

    /// Tries to read one clause at `k`; returns what it set and the index
    /// after it, or `None` when `k` does not start a temporal clause.
    fn clause(&self, k: usize, into: &mut Lifted) -> Result<Option<usize>> {
        let axis = |t: Option<&Token>| match t {
            Some(t) if is_kw(t, "SYSTEM_TIME") => Some(true),
            Some(t) if is_kw(t, "VALID_TIME") || is_kw(t, "APPLICATION_TIME") => Some(false),
            _ => None,
        };
        if self.kw(k, "FOR") && self.kw(k + 1, "PORTION") {
            if !self.kw(k + 2, "OF") || axis(self.tok(k + 3)) != Some(false) {
                return Err(syntax(
                    "expected FOR PORTION OF VALID_TIME FROM … TO …",
                    self.loc(k),
                ));
            }
            let (RawSpec::FromTo(a, b), n) = self.spec(k + 4, false)? else {
                return Err(syntax("FOR PORTION OF takes FROM … TO …", self.loc(k + 4)));
            };
            into.portion = Some((a, b));
            return Ok(Some(n));
        }
        if self.kw(k, "FOR") {
            if let Some(system) = axis(self.tok(k + 1)) {
                let (s, n) = self.spec(k + 2, system)?;
                let slot = if system {
                    &mut into.system
                } else {
                    &mut into.valid
                };
                if slot.is_some() {
                    return Err(syntax("a time axis is given twice", self.loc(k)));
                }
                *slot = Some(s);
                return Ok(Some(n));
            }
            return Ok(None);
        }
        if self.kw(k, "AS") && self.kw(k + 1, "OF") {
            // `x AS of` could be an alias named "of": only a parsable bound
            // makes it a clause.
            let Ok((s, n)) = self.spec(k, true) else {
                return Ok(None);
            };
            if into.system.is_some() {
                return Err(syntax("a time axis is given twice", self.loc(k)));
            }
            into.system = Some(s);
            return Ok(Some(n));
        }
        Ok(None)
    }
}

/// The significant-token index, walking `order` (which starts at an
/// `open` token), where the `open` it starts at is balanced by a `close`.
fn matching(
    toks: &[TokenWithSpan],
    sig: &[usize],
    order: impl Iterator<Item = usize>,
    open: Token,
    close: Token,
) -> Option<usize> {
    let mut depth = 0i32;
    for j in order {
        let t = &toks[sig[j]].token;
        if *t == open {
            depth += 1;
        } else if *t == close {
            depth -= 1;
            if depth == 0 {
                return Some(j);
            }
        }
    }
    None
}

/// sqlparser's tokens of `sql` with positions, and the indexes of the
/// significant ones (not whitespace or comments).
fn tokenize(sql: &str) -> Result<(Vec<TokenWithSpan>, Vec<usize>)> {
    let toks = Tokenizer::new(&SQLiteDialect {}, sql)
        .tokenize_with_location()
        .map_err(|e| Error::new(ErrorCode::Syntax, e.to_string()))?;
    let sig = (0..toks.len())
        .filter(|&i| !matches!(toks[i].token, Token::Whitespace(_) | Token::EOF))
        .collect();
    Ok((toks, sig))
}

/// Rewrites period predicates — `(a, b) CONTAINS (c, d)` and the others in
/// `period::KEYWORDS` — into calls `period_contains(a, b, c, d)`. Texts
/// without one come back unchanged.
fn rewrite_periods(sql: &str) -> Result<String> {
    let (toks, sig) = tokenize(sql)?;
    let is_pred = |t: &Token| {
        crate::sql::func::period::KEYWORDS
            .iter()
            .any(|k| is_kw(t, k))
    };
    if !sig.iter().any(|&i| is_pred(&toks[i].token)) {
        return Ok(sql.to_string());
    }
    let offsets = Offsets::new(sql);
    let start = |k: usize| offsets.byte(sql, toks[sig[k]].span.start);
    let end = |k: usize| offsets.byte(sql, toks[sig[k]].span.end);
    // (left paren, keyword start, keyword end, right paren) as significant
    // indexes, and the function name.
    let mut edits: Vec<(usize, usize, usize, usize, String)> = Vec::new();
    for k in 1..sig.len() {
        let t = &toks[sig[k]].token;
        if !is_pred(t) {
            continue;
        }
        let Token::Word(w) = t else { continue };
        let mut first = k;
        let mut name = w.value.to_ascii_lowercase();
        if k >= 2 && is_kw(&toks[sig[k - 1]].token, "IMMEDIATELY") {
            if name != "precedes" && name != "succeeds" {
                continue;
            }
            first = k - 1;
            name = format!("immediately_{name}");
        }
        if first == 0 || !matches!(toks[sig[first - 1]].token, Token::RParen) {
            continue;
        }
        // The matching parentheses on both sides.
        let left = matching(&toks, &sig, (0..first).rev(), Token::RParen, Token::LParen);
        if !matches!(sig.get(k + 1).map(|&i| &toks[i].token), Some(Token::LParen)) {
            continue;
        }
        let right = matching(&toks, &sig, k + 1..sig.len(), Token::LParen, Token::RParen);
        let (Some(l), Some(r)) = (left, right) else {
            continue;
        };
        if edits.last().is_some_and(|e| e.3 >= l) {
            return Err(syntax(
                "nested period predicates: write them as period_…() calls",
                toks[sig[k]].span.start,
            ));
        }
        edits.push((l, first, k, r, name));
    }
    let mut out = String::with_capacity(sql.len() + 32);
    let mut pos = 0;
    for (l, first, k, r, name) in edits {
        out.push_str(&sql[pos..start(l)]);
        out.push_str("period_");
        out.push_str(&name);
        // `(a, b` then `, ` then `c, d)`: the keyword and the parentheses
        // between the two pairs become one comma.
        out.push_str(&sql[start(l)..start(first - 1)]);
        out.push_str(", ");
        out.push_str(&sql[end(k + 1)..end(r)]);
        pos = end(r);
    }
    out.push_str(&sql[pos..]);
    Ok(out)
}

/// `text` with every character but line breaks replaced by a space, so
/// positions after it keep their line and column.
pub fn blank(text: &str) -> String {
    text.chars()
        .map(|c| if c == '\n' { '\n' } else { ' ' })
        .collect()
}

/// Runs the front pass over `sql`.
pub fn run(sql: &str) -> Result<Front> {
    let rewritten = rewrite_periods(sql)?;
    let sql = rewritten.as_str();
    let (toks, sig) = tokenize(sql)?;
    let depth = crate::sql::syntax::limits::estimate_depth(sig.iter().map(|&i| &toks[i].token))?;
    let pass = Pass {
        toks,
        sig,
        dialect: SQLiteDialect {},
    };
    let offsets = Offsets::new(sql);
    let mut lifted_spans: Vec<std::ops::Range<usize>> = Vec::new();
    let mut lifted = Vec::new();
    let mut pieces = Vec::new();
    let mut k = 0;
    let mut stmt_start_k = 0;
    let mut stmt_start_byte = 0;
    let n = pass.sig.len();
    while k <= n {
        let at_end = k == n;
        if at_end || matches!(pass.tok(k), Some(Token::SemiColon)) {
            let end_byte = if at_end {
                sql.len()
            } else {
                offsets.byte(sql, pass.loc(k))
            };
            let piece = if pass.kw(stmt_start_k, "SET")
                && matches!(pass.tok(stmt_start_k + 1), Some(t) if is_kw(t, "SYSTEM_TIME") || is_kw(t, "VALID_TIME") || is_kw(t, "APPLICATION_TIME"))
            {
                Piece::SetTime(Box::new(set_time(&pass, stmt_start_k, k)?))
            } else if is_admin(&pass, stmt_start_k) {
                Piece::Admin(Box::new(admin(&pass, stmt_start_k, k)?))
            } else {
                Piece::Sql
            };
            if stmt_start_k < k {
                pieces.push((stmt_start_byte..end_byte, piece));
            }
            k += 1;
            stmt_start_k = k;
            stmt_start_byte = if k <= n && !at_end {
                end_byte + 1
            } else {
                sql.len()
            };
            continue;
        }
        if pass.kw(stmt_start_k, "SET") || is_admin(&pass, stmt_start_k) {
            k += 1;
            continue;
        }
        let mut l = Lifted::default();
        let first = k;
        let mut next = k;
        while let Some(after) = pass.clause(next, &mut l)? {
            next = after;
        }
        if next == first {
            k += 1;
            continue;
        }
        if first == stmt_start_k || !matches!(pass.tok(first - 1), Some(Token::Word(_))) {
            return Err(syntax(
                "a temporal clause must follow a table name",
                pass.loc(first),
            ));
        }
        l.anchor = pass.loc(first - 1);
        l.at = pass.loc(first);
        let from = offsets.byte(sql, pass.loc(first));
        let last = pass.sig[next - 1];
        let to = offsets.byte(sql, pass.toks[last].span.end);
        lifted_spans.push(from..to);
        lifted.push(l);
        k = next;
    }
    let mut text = String::with_capacity(sql.len());
    let mut pos = 0;
    for r in &lifted_spans {
        text.push_str(&sql[pos..r.start]);
        text.push_str(&blank(&sql[r.start..r.end]));
        pos = r.end;
    }
    text.push_str(&sql[pos..]);
    let hidden = pass.sig.iter().any(
        |&i| matches!(&pass.toks[i].token, Token::Word(w) if crate::sql::syntax::names::is_hidden(&w.value)),
    );
    let qmarks = number_qmarks(&pass);
    Ok(Front {
        source: sql.to_string(),
        text,
        lifted,
        pieces,
        hidden,
        qmarks,
        depth,
    })
}

/// Numbers plain `?` placeholders in text order, per statement: each takes
/// the largest number used so far in its statement plus one; `?NNN` and
/// `$NNN` raise that largest number.
fn number_qmarks(pass: &Pass) -> Vec<(Location, usize)> {
    let mut out = Vec::new();
    let mut max = 0usize;
    for &i in &pass.sig {
        let t = &pass.toks[i];
        match &t.token {
            Token::SemiColon => max = 0,
            Token::Placeholder(p) if p == "?" => {
                max += 1;
                out.push((t.span.start, max));
            }
            Token::Placeholder(p) => {
                if let Ok(n) = p.trim_start_matches(['$', '?']).parse::<usize>() {
                    max = max.max(n);
                }
            }
            _ => {}
        }
    }
    out
}

fn set_time(pass: &Pass, k: usize, end: usize) -> Result<SetTime> {
    let system = pass.kw(k + 1, "SYSTEM_TIME");
    let mut i = k + 2;
    if matches!(pass.tok(i), Some(Token::Eq)) || pass.kw(i, "TO") {
        i += 1;
    }
    let value = if pass.kw(i, "DEFAULT") || pass.kw(i, "NOW") || pass.kw(i, "CURRENT") {
        i += 1;
        None
    } else {
        let (s, n) = pass.spec(i, system)?;
        if !matches!(s, RawSpec::AsOf(_) | RawSpec::AsOfEpoch(_)) {
            return Err(syntax(
                "SET SYSTEM_TIME / SET VALID_TIME take AS OF … (or DEFAULT)",
                pass.loc(i),
            ));
        }
        i = n;
        Some(s)
    };
    if i != end {
        return Err(syntax("unexpected text after SET …_TIME", pass.loc(i)));
    }
    Ok(SetTime { system, value })
}
