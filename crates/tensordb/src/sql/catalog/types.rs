//! Result column types: which output columns of a query carry a strict kind
//! (BOOLEAN, TIMESTAMP, DATE, JSON), so the SDK can return them as booleans,
//! Dates and parsed documents. Worked out from the query's text: a reference
//! to a table column, a CAST, or a function known to return the kind (and
//! min / max / coalesce / window value functions of such an argument).
//! Anything else — or anything this pass cannot follow — is untyped.

use crate::sql::catalog::ctx::Ctx;
use crate::sql::catalog::tables;
use crate::sql::datum::coltype::Kind;
use crate::sql::syntax::ast::{Body, Expr, From, Query, SelectItem};

/// One visible column: (table label, name, kind).
type Col = (String, String, Kind);

/// The kind of each output column of `q` (`Kind::Plain` when unknown).
pub fn of_query(ctx: &Ctx, q: &Query) -> Vec<Kind> {
    query_cols(ctx, q, &mut Vec::new())
        .map(|cols| cols.into_iter().map(|(_, _, k)| k).collect())
        .unwrap_or_default()
}

fn query_cols(ctx: &Ctx, q: &Query, ctes: &mut Vec<(String, Vec<Col>)>) -> Option<Vec<Col>> {
    let mark = ctes.len();
    for c in &q.with {
        let cols = query_cols(ctx, &c.query, ctes).unwrap_or_default();
        let cols = if c.columns.is_empty() {
            cols
        } else {
            c.columns
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    let k = cols.get(i).map_or(Kind::Plain, |c| c.2);
                    (String::new(), n.clone(), k)
                })
                .collect()
        };
        ctes.push((c.name.clone(), cols));
    }
    let out = body_cols(ctx, &q.body, ctes);
    ctes.truncate(mark);
    out
}

fn body_cols(ctx: &Ctx, b: &Body, ctes: &mut Vec<(String, Vec<Col>)>) -> Option<Vec<Col>> {
    match b {
        Body::Select(sel) => {
            let mut scope: Vec<Col> = Vec::new();
            for f in &sel.from {
                from_cols(ctx, f, ctes, &mut scope)?;
            }
            let mut out = Vec::new();
            for it in &sel.items {
                match it {
                    SelectItem::Expr(e, alias) => {
                        let name = alias.clone().unwrap_or_else(|| match e {
                            Expr::Column(_, c) => c.clone(),
                            _ => String::new(),
                        });
                        out.push((String::new(), name, kind_of(e, &scope)));
                    }
                    SelectItem::Star => out.extend(scope.iter().cloned()),
                    SelectItem::TableStar(t) => {
                        out.extend(scope.iter().filter(|c| &c.0 == t).cloned())
                    }
                }
            }
            Some(out)
        }
        Body::Set(l, ..) => body_cols(ctx, l, ctes),
        Body::Query(q) => query_cols(ctx, q, ctes),
        Body::Values(_) => None,
    }
}

fn from_cols(
    ctx: &Ctx,
    f: &From,
    ctes: &mut Vec<(String, Vec<Col>)>,
    scope: &mut Vec<Col>,
) -> Option<()> {
    match f {
        From::Table(name, alias, _) => {
            let label = alias.clone().unwrap_or_else(|| name.clone());
            if let Some((_, cols)) = ctes.iter().rev().find(|(n, _)| n == name) {
                scope.extend(cols.iter().map(|(_, n, k)| (label.clone(), n.clone(), *k)));
            } else if let Ok(t) = tables::lookup(ctx, name) {
                scope.extend(
                    t.columns
                        .iter()
                        .map(|c| (label.clone(), c.name.clone(), c.kind)),
                );
            } else {
                let v = crate::sql::catalog::view::lookup(ctx, name).ok()??;
                let cols = query_cols(ctx, &v.query, ctes)?;
                scope.extend(cols.into_iter().enumerate().map(|(i, (_, n, k))| {
                    let n = v.columns.get(i).cloned().unwrap_or(n);
                    (label.clone(), n, k)
                }));
            }
        }
        From::Subquery(q, alias) => {
            let cols = query_cols(ctx, q, ctes)?;
            scope.extend(cols.into_iter().map(|(_, n, k)| (alias.clone(), n, k)));
        }
        From::Join(l, r, _, _) => {
            from_cols(ctx, l, ctes, scope)?;
            from_cols(ctx, r, ctes, scope)?;
        }
        From::JoinUsing(..) => return None,
    }
    Some(())
}

fn kind_of(e: &Expr, scope: &[Col]) -> Kind {
    match e {
        Expr::Column(t, c) => {
            let mut hits = scope
                .iter()
                .filter(|(l, n, _)| n == c && t.as_ref().is_none_or(|t| t == l));
            match (hits.next(), hits.next()) {
                (Some((_, _, k)), None) => *k,
                _ => Kind::Plain,
            }
        }
        Expr::Cast(_, ty) => Kind::of(ty),
        Expr::Func { name, args, .. } => match name.as_str() {
            n if crate::sql::datum::json::RETURNS_JSON.contains(&n) => Kind::Json,
            "now" | "current_timestamp" | "localtimestamp" | "date_trunc" | "to_timestamp"
            | "from_epoch_us" | "make_timestamp" => Kind::Timestamp,
            "current_date" => Kind::Date,
            "min" | "max" | "coalesce" | "ifnull" | "nullif" | "first_value" | "last_value"
            | "nth_value" | "lag" | "lead" => {
                args.first().map_or(Kind::Plain, |a| kind_of(a, scope))
            }
            _ => Kind::Plain,
        },
        Expr::Window(f, _) => kind_of(f, scope),
        _ => Kind::Plain,
    }
}
