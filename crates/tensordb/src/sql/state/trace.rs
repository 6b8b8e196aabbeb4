//! EXPLAIN and EXPLAIN ANALYZE. The executor reports its operators to a
//! `Trace` as it runs them (access paths with the planner's estimates, joins
//! with their strategy, aggregation, windows, sorting, subqueries …), so the
//! tree shows what the executor does, not a separate model of it.
//!
//! - EXPLAIN runs the statement in plan-only mode: access paths are chosen
//!   and priced but read no rows, so nothing downstream does work.
//!   Subqueries in expressions are planned once each.
//! - EXPLAIN ANALYZE runs it for real and adds, per operator, the rows it
//!   produced, how many times it ran (`loops`, e.g. a correlated subquery
//!   once per outer row) and the time spent in it (children included).

use crate::sql::datum::value::Value;
use std::time::Instant;

/// One operator of the plan.
#[derive(Clone, Debug)]
pub struct Node {
    /// The enclosing operator.
    pub parent: Option<usize>,
    /// Operator name, e.g. `Hash join`.
    pub op: String,
    /// What it works on, e.g. the table and bound predicates.
    pub detail: String,
    /// Estimated rows (access paths).
    pub est_rows: Option<f64>,
    /// Estimated cost of this operator alone.
    pub est_cost: Option<f64>,
    /// Rows produced, over all loops.
    pub rows: u64,
    /// Times the operator ran.
    pub loops: u64,
    /// Time spent, over all loops, children included.
    pub micros: u128,
}

/// The operators recorded for one EXPLAIN.
#[derive(Debug, Default)]
pub struct Trace {
    /// Every operator, parents before children.
    pub nodes: Vec<Node>,
    stack: Vec<usize>,
    /// True for EXPLAIN ANALYZE.
    pub analyze: bool,
}

/// A started operator: its node and start time.
pub type Token = Option<(usize, Instant)>;

impl Trace {
    /// An empty trace; `analyze` for EXPLAIN ANALYZE.
    pub fn new(analyze: bool) -> Trace {
        Trace {
            analyze,
            ..Default::default()
        }
    }

    /// Starts an operator under the current one (a repeat of the same
    /// operator at the same place adds a loop to its node).
    pub fn enter(&mut self, op: &str, detail: String) -> usize {
        let parent = self.stack.last().copied();
        let existing = self
            .nodes
            .iter()
            .position(|n| n.parent == parent && n.op == op && n.detail == detail);
        let id = match existing {
            Some(i) => i,
            None => {
                self.nodes.push(Node {
                    parent,
                    op: op.to_string(),
                    detail,
                    est_rows: None,
                    est_cost: None,
                    rows: 0,
                    loops: 0,
                    micros: 0,
                });
                self.nodes.len() - 1
            }
        };
        self.nodes[id].loops += 1;
        self.stack.push(id);
        id
    }

    /// Ends the operator `id` (and any left open inside it).
    pub fn leave(&mut self, id: usize, rows: usize, since: Instant) {
        while let Some(top) = self.stack.pop() {
            if top == id {
                break;
            }
        }
        let n = &mut self.nodes[id];
        n.rows += rows as u64;
        n.micros += since.elapsed().as_micros();
    }

    /// Records the planner's estimate for an operator.
    pub fn estimate(&mut self, id: usize, rows: f64, cost: f64) {
        self.nodes[id].est_rows = Some(rows);
        self.nodes[id].est_cost = Some(cost);
    }

    /// Result columns of EXPLAIN.
    pub fn columns(&self) -> Vec<String> {
        [
            "id",
            "parent",
            "plan",
            "est_rows",
            "est_cost",
            "actual_rows",
            "loops",
            "actual_ms",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    /// One row per operator, depth first, `plan` indented by depth. The
    /// estimated cost of an operator includes its children's.
    pub fn rows(&self) -> Vec<Vec<Value>> {
        let n = self.nodes.len();
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut roots = Vec::new();
        for (i, node) in self.nodes.iter().enumerate() {
            match node.parent {
                Some(p) => children[p].push(i),
                None => roots.push(i),
            }
        }
        let mut total = vec![0.0f64; n];
        // Children come after their parents, so walk backwards.
        for i in (0..n).rev() {
            let own = self.nodes[i].est_cost.unwrap_or(0.0);
            total[i] = own + children[i].iter().map(|&c| total[c]).sum::<f64>();
        }
        let mut out = Vec::with_capacity(n);
        let mut stack: Vec<(usize, usize)> = roots.iter().rev().map(|&r| (r, 0)).collect();
        while let Some((i, depth)) = stack.pop() {
            let node = &self.nodes[i];
            let mut line = format!("{}{}", "  ".repeat(depth), node.op);
            if !node.detail.is_empty() {
                line.push_str(": ");
                line.push_str(&node.detail);
            }
            let round = |x: f64| Value::Real((x * 100.0).round() / 100.0);
            out.push(vec![
                Value::Int(i as i64),
                node.parent.map_or(Value::Null, |p| Value::Int(p as i64)),
                Value::Text(line),
                node.est_rows.map_or(Value::Null, round),
                round(total[i]),
                if self.analyze {
                    Value::Int(node.rows as i64)
                } else {
                    Value::Null
                },
                if self.analyze {
                    Value::Int(node.loops as i64)
                } else {
                    Value::Null
                },
                if self.analyze {
                    Value::Real(node.micros as f64 / 1000.0)
                } else {
                    Value::Null
                },
            ]);
            for &c in children[i].iter().rev() {
                stack.push((c, depth + 1));
            }
        }
        out
    }
}
