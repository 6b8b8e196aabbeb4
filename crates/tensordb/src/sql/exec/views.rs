//! A view referenced in FROM runs its query as a derived table at the
//! statement's read time.

use crate::error::{Error, ErrorCode, Result};
use crate::sql::catalog::ctx::Ctx;
use crate::sql::catalog::view::View;
use crate::sql::exec::query::{run_query, ColRef, Relation};

/// How deeply views may refer to views (a cycle ends here with an error).
const MAX_DEPTH: usize = 32;

/// Runs a view's query as a relation labelled `alias` (or the view's name).
pub fn relation(ctx: &Ctx, v: &View, alias: &Option<String>) -> Result<Relation> {
    let tok = ctx.op_start("View", || v.name.clone());
    let depth = ctx.enter_view();
    let res = if depth > MAX_DEPTH {
        Err(Error::new(
            ErrorCode::Syntax,
            format!(
                "view `{}` nests views more than {MAX_DEPTH} deep (does it refer to itself?)",
                v.name
            ),
        ))
    } else {
        run_query(ctx, &v.query, None)
    };
    ctx.leave_view();
    ctx.op_end(tok, res.as_ref().map_or(0, |(_, r)| r.len()));
    let (names, rows) = res?;
    let names = if v.columns.is_empty() {
        names
    } else if v.columns.len() == names.len() {
        v.columns.clone()
    } else {
        return Err(Error::new(
            ErrorCode::Syntax,
            format!(
                "view `{}` names {} columns but its query returns {}",
                v.name,
                v.columns.len(),
                names.len()
            ),
        ));
    };
    let label = Some(alias.clone().unwrap_or_else(|| v.name.clone()));
    let cols: Vec<ColRef> = names.into_iter().map(|n| (label.clone(), n)).collect();
    Ok((cols, rows))
}
