//! Query execution: the statement context (`Ctx`), expression evaluation,
//! FROM / joins, CTEs, window functions, temporal table references, EXPLAIN
//! traces, transaction state.

pub mod cte;
pub mod join;
pub mod query;
pub mod subquery;
pub mod temporal;
pub mod topk;
pub mod views;
pub mod window;
