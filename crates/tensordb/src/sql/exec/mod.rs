//! Query execution: expression evaluation, FROM and joins, subqueries,
//! CTEs, window functions, ORDER BY and top-k, views and temporal table
//! references, and the count of a table's rows without decoding them.

pub mod count;
pub mod cte;
pub mod from;
pub mod group;
pub mod join;
pub mod order;
pub mod query;
pub mod stream_agg;
pub mod stream_topk;
pub mod subquery;
pub mod temporal;
pub mod views;
pub mod window;
