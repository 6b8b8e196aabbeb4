//! Friendlier name errors: "did you mean" suggestions for unknown tables and
//! columns (closest known name by edit distance), and the position of the
//! unknown name in the SQL text the user wrote.

use crate::error::{Error, ErrorCode};
use sqlparser::dialect::SQLiteDialect;
use sqlparser::tokenizer::{Token, Tokenizer};

/// Edit distance between two short names (case-insensitive), counting a
/// swap of neighbouring letters as one edit (optimal string alignment).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// The known name closest to `name`, if one is close enough to be a typo.
pub fn closest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    known
        .into_iter()
        .filter(|k| *k != name)
        .map(|k| (distance(name, k), k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// `message` plus ` (did you mean x?)` when a known name is close.
pub fn with_suggestion<'a>(
    message: String,
    name: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> String {
    match closest(name, known) {
        Some(k) => format!("{message} (did you mean {k}?)"),
        None => message,
    }
}

/// Adds the line and column of the unknown name to a `TDB_NO_TABLE` /
/// `TDB_NO_COLUMN` error, found in the SQL text as written.
pub fn locate(e: Error, sql: &str) -> Error {
    if !matches!(e.code, ErrorCode::NoColumn | ErrorCode::NoTable)
        || e.message.contains(" at line ")
    {
        return e;
    }
    let Some(rest) = e
        .message
        .strip_prefix("no such column: ")
        .or_else(|| e.message.strip_prefix("no such table: "))
    else {
        return e;
    };
    let name = rest.split([' ', '(']).next().unwrap_or("");
    let parts: Vec<&str> = name.split('.').collect();
    let Ok(tokens) = Tokenizer::new(&SQLiteDialect {}, sql).tokenize_with_location() else {
        return e;
    };
    let words: Vec<_> = tokens
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
        .collect();
    let is = |t: &Token, n: &str| match t {
        Token::Word(w) if w.quote_style.is_some() => w.value == n,
        Token::Word(w) => w.value.eq_ignore_ascii_case(n),
        _ => false,
    };
    let hit = words
        .iter()
        .enumerate()
        .find(|(i, t)| match parts.as_slice() {
            [c] => is(&t.token, c),
            [q, c] => {
                is(&t.token, q)
                    && matches!(words.get(i + 1).map(|x| &x.token), Some(Token::Period))
                    && words.get(i + 2).is_some_and(|x| is(&x.token, c))
            }
            _ => false,
        });
    match hit {
        Some((_, t)) => Error::new(
            e.code,
            format!(
                "{} at line {}, column {}",
                e.message, t.span.start.line, t.span.start.column
            ),
        ),
        None => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(closest("nmae", ["name", "id"]), Some("name"));
        assert_eq!(closest("acounts", ["accounts", "users"]), Some("accounts"));
        assert_eq!(closest("zzz", ["name", "id"]), None);
        assert_eq!(closest("rihc", ["rich", "poor"]), Some("rich"));
    }

    #[test]
    fn locates_the_name() {
        let e = Error::new(ErrorCode::NoColumn, "no such column: t.nme");
        let e = locate(e, "SELECT id,\n  t.nme FROM t");
        assert!(e.message.ends_with("at line 2, column 3"), "{}", e.message);
    }
}
