//! Grouping and aggregates: rows into groups by their GROUP BY key (plain
//! columns read by position, the key built in one reused buffer, a fast
//! hasher), and one aggregate call evaluated over a group.

use crate::error::{Error, ErrorCode, Result};
use crate::sql::catalog::ctx::Ctx;
use crate::sql::datum::value::numeric_norm;
use crate::sql::datum::value::{encode_key_value, Value};
use crate::sql::exec::query::{eval, has_aggregate, slot, ColRef, Scope};
use crate::sql::syntax::ast::{Expr, SelectItem};
use std::collections::HashMap;

/// Splits `rows` (of `cols`) into groups by the values of `group_by`, in
/// the order each group first appears.
pub fn group_rows(
    ctx: &Ctx,
    rows: Vec<Vec<Value>>,
    group_by: &[Expr],
    cols: &[ColRef],
    outer: Option<&Scope>,
) -> Result<Vec<Vec<Vec<Value>>>> {
    let mut index: HashMap<Vec<u8>, usize, crate::storage::hash::FastState> = HashMap::default();
    let mut groups: Vec<Vec<Vec<Value>>> = Vec::new();
    // Plain columns of this relation are read by position.
    let slots: Vec<Option<usize>> = group_by.iter().map(|g| slot(g, cols)).collect();
    let mut key = Vec::new();
    for row in rows {
        key.clear();
        for (g, at) in group_by.iter().zip(&slots) {
            let v = match at {
                Some(i) => numeric_norm(&row[*i]),
                None => {
                    let sc = Scope {
                        cols,
                        row: &row,
                        group: None,
                        outer,
                    };
                    numeric_norm(&eval(ctx, g, &sc)?)
                }
            };
            encode_key_value(&v, &mut key);
        }
        match index.get(key.as_slice()) {
            Some(&i) => groups[i].push(row),
            None => {
                crate::sql::func::control::charge(64 + key.len(), "GROUP BY's groups")?;
                index.insert(key.clone(), groups.len());
                groups.push(vec![row]);
            }
        }
    }
    Ok(groups)
}

/// The value of aggregate `name` over the rows of one group.
pub fn aggregate(
    ctx: &Ctx,
    name: &str,
    args: &[Expr],
    distinct: bool,
    star: bool,
    group: &[Vec<Value>],
    s: &Scope,
) -> Result<Value> {
    if star {
        return Ok(Value::Int(group.len() as i64));
    }
    let arg = args
        .first()
        .ok_or_else(|| Error::new(ErrorCode::Syntax, format!("{name}() needs an argument")))?;
    let sep = match args.get(1) {
        Some(e) => eval(ctx, e, s)?.to_text().unwrap_or_default(),
        None => ",".into(),
    };
    let mut acc = crate::sql::func::aggregate::Acc::new(name, distinct, sep)?;
    if let Some(i) = slot(arg, s.cols) {
        for row in group {
            acc.add(&row[i]);
            acc.check()?;
        }
        return Ok(acc.result());
    }
    for row in group {
        let rs = Scope {
            cols: s.cols,
            row,
            group: None,
            outer: s.outer,
        };
        acc.add(&eval(ctx, arg, &rs)?);
        acc.check()?;
    }
    Ok(acc.result())
}

/// GROUP BY terms as expressions over the input: an integer literal `n` is
/// the n-th select item, and a bare name that is no input column but a
/// select item's alias is that item (an input column wins, as in SQLite and
/// PostgreSQL).
pub fn group_terms(
    terms: &[Expr],
    exprs: &[(Expr, String)],
    items: &[SelectItem],
    cols: &[ColRef],
) -> Result<Vec<Expr>> {
    let mut out = Vec::with_capacity(terms.len());
    for (k, g) in terms.iter().enumerate() {
        let item = match g {
            Expr::Lit(Value::Int(n)) => {
                let Some((e, _)) = usize::try_from(*n)
                    .ok()
                    .and_then(|n| n.checked_sub(1))
                    .and_then(|i| exprs.get(i))
                else {
                    return Err(Error::new(
                        ErrorCode::Syntax,
                        format!(
                            "GROUP BY term {} is out of range: it must be between 1 and {}",
                            k + 1,
                            exprs.len()
                        ),
                    ));
                };
                Some(e)
            }
            Expr::Column(None, c) if !cols.iter().any(|(_, n)| n == c) => {
                items.iter().find_map(|it| match it {
                    SelectItem::Expr(e, Some(a)) if a == c => Some(e),
                    _ => None,
                })
            }
            _ => None,
        };
        match item {
            Some(e) if has_aggregate(e) => {
                return Err(Error::new(
                    ErrorCode::Syntax,
                    format!(
                        "aggregate functions are not allowed in GROUP BY (term {})",
                        k + 1
                    ),
                ))
            }
            Some(e) => out.push(e.clone()),
            None => out.push(g.clone()),
        }
    }
    Ok(out)
}
