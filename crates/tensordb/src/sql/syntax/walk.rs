//! A mutable walk over every expression of a statement (select lists,
//! filters, joins, grouping, ordering, VALUES rows, SET and ON CONFLICT
//! assignments, RETURNING, subqueries and CTEs at any depth), for rewrites
//! such as binding a trigger's `NEW.c` / `OLD.c` to parameters.

use crate::sql::syntax::ast::{
    Body, ConflictAction, Expr, FrameBound, From, Query, SelectItem, Statement, TimeSpec,
};

/// Calls `f` on every expression of `s`, outermost first, then on its
/// parts (so `f` may replace a node and its replacement is walked).
pub fn statement(s: &mut Statement, f: &mut dyn FnMut(&mut Expr)) {
    match s {
        Statement::Query(q) => query(q, f),
        Statement::Insert {
            source,
            on_conflict,
            returning,
            ..
        } => {
            query(source, f);
            if let Some(oc) = on_conflict {
                if let ConflictAction::Update { set, filter } = &mut oc.action {
                    set.iter_mut().for_each(|(_, e)| expr(e, f));
                    filter.iter_mut().for_each(|e| expr(e, f));
                }
            }
            items(returning, f);
        }
        Statement::Update {
            set,
            filter,
            returning,
            portion,
            ..
        } => {
            set.iter_mut().for_each(|(_, e)| expr(e, f));
            filter.iter_mut().for_each(|e| expr(e, f));
            items(returning, f);
            if let Some((a, b)) = portion {
                expr(a, f);
                expr(b, f);
            }
        }
        Statement::Delete {
            filter,
            returning,
            portion,
            ..
        } => {
            filter.iter_mut().for_each(|e| expr(e, f));
            items(returning, f);
            if let Some((a, b)) = portion {
                expr(a, f);
                expr(b, f);
            }
        }
        _ => {}
    }
}

fn items(list: &mut [SelectItem], f: &mut dyn FnMut(&mut Expr)) {
    for i in list {
        if let SelectItem::Expr(e, _) = i {
            expr(e, f);
        }
    }
}

/// Calls `f` on every expression of `q`.
pub fn query(q: &mut Query, f: &mut dyn FnMut(&mut Expr)) {
    for c in &mut q.with {
        query(&mut c.query, f);
    }
    body(&mut q.body, f);
    q.order_by.iter_mut().for_each(|o| expr(&mut o.expr, f));
    q.limit.iter_mut().for_each(|e| expr(e, f));
    q.offset.iter_mut().for_each(|e| expr(e, f));
}

fn body(b: &mut Body, f: &mut dyn FnMut(&mut Expr)) {
    match b {
        Body::Select(s) => {
            items(&mut s.items, f);
            s.from.iter_mut().for_each(|x| from(x, f));
            s.filter.iter_mut().for_each(|e| expr(e, f));
            s.group_by.iter_mut().for_each(|e| expr(e, f));
            s.having.iter_mut().for_each(|e| expr(e, f));
        }
        Body::Set(a, _, _, b) => {
            body(a, f);
            body(b, f);
        }
        Body::Values(rows) => rows.iter_mut().flatten().for_each(|e| expr(e, f)),
        Body::Query(q) => query(q, f),
    }
}

fn time(t: &mut TimeSpec, f: &mut dyn FnMut(&mut Expr)) {
    match t {
        TimeSpec::AsOf(e) | TimeSpec::AsOfEpoch(e) => expr(e, f),
        TimeSpec::Between(a, b) | TimeSpec::FromTo(a, b) => {
            expr(a, f);
            expr(b, f);
        }
        TimeSpec::All => {}
    }
}

fn from(x: &mut From, f: &mut dyn FnMut(&mut Expr)) {
    match x {
        From::Table(_, _, Some(tm)) => {
            tm.system.iter_mut().for_each(|t| time(t, f));
            tm.valid.iter_mut().for_each(|t| time(t, f));
        }
        From::Table(..) => {}
        From::Subquery(q, _) => query(q, f),
        From::Join(l, r, _, on) => {
            from(l, f);
            from(r, f);
            on.iter_mut().for_each(|e| expr(e, f));
        }
        From::JoinUsing(l, r, _, _) => {
            from(l, f);
            from(r, f);
        }
    }
}

fn bound(b: &mut FrameBound, f: &mut dyn FnMut(&mut Expr)) {
    if let FrameBound::Preceding(e) | FrameBound::Following(e) = b {
        expr(e, f);
    }
}

/// Calls `f` on `e`, then on every expression inside it.
pub fn expr(e: &mut Expr, f: &mut dyn FnMut(&mut Expr)) {
    f(e);
    match e {
        Expr::Lit(_) | Expr::Param(_) | Expr::Column(..) => {}
        Expr::Unary(_, a) | Expr::IsNull(a, _) | Expr::Cast(a, _) => expr(a, f),
        Expr::Binary(a, _, b) => {
            expr(a, f);
            expr(b, f);
        }
        Expr::Between(a, b, c, _) => {
            expr(a, f);
            expr(b, f);
            expr(c, f);
        }
        Expr::InList(a, l, _) => {
            expr(a, f);
            l.iter_mut().for_each(|x| expr(x, f));
        }
        Expr::InQuery(a, q, _) => {
            expr(a, f);
            query(q, f);
        }
        Expr::Exists(q, _) | Expr::Scalar(q) => query(q, f),
        Expr::Case(o, w, el) => {
            o.iter_mut().for_each(|x| expr(x, f));
            w.iter_mut().for_each(|(a, b)| {
                expr(a, f);
                expr(b, f);
            });
            el.iter_mut().for_each(|x| expr(x, f));
        }
        Expr::Func { args, .. } => args.iter_mut().for_each(|a| expr(a, f)),
        Expr::Window(g, w) => {
            expr(g, f);
            w.partition_by.iter_mut().for_each(|x| expr(x, f));
            w.order_by.iter_mut().for_each(|o| expr(&mut o.expr, f));
            if let Some(fr) = &mut w.frame {
                bound(&mut fr.start, f);
                bound(&mut fr.end, f);
            }
        }
    }
}
