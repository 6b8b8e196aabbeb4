//! ORDER BY: how two rows' sort keys compare, and the first `k` rows of a
//! stable sort found without sorting the rest (ORDER BY … LIMIT) — a
//! selection in O(n), then a sort of the `k` kept. Ties keep their input
//! order, exactly as the full stable sort did.

use crate::sql::datum::value::Value;
use crate::sql::syntax::ast::OrderTerm;
use std::cmp::Ordering;

/// Compares two rows' ORDER BY values term by term (ASC/DESC, NULLS
/// FIRST/LAST; NULLs sort low by default).
pub fn cmp_keys(order: &[OrderTerm], a: &[Value], b: &[Value]) -> Ordering {
    for (i, o) in order.iter().enumerate() {
        let (x, y) = (&a[i], &b[i]);
        let nulls_first = o.nulls_first.unwrap_or(!o.desc);
        let ord = match (x.is_null(), y.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) if nulls_first => Ordering::Less,
            (true, false) => Ordering::Greater,
            (false, true) if nulls_first => Ordering::Greater,
            (false, true) => Ordering::Less,
            _ if o.desc => x.total_cmp(y).reverse(),
            _ => x.total_cmp(y),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

/// The first `k` of `rows` in the order of a stable sort by `cmp`.
pub fn first_k<T>(mut rows: Vec<T>, k: usize, cmp: impl Fn(&T, &T) -> Ordering) -> Vec<T> {
    if k >= rows.len() {
        rows.sort_by(cmp);
        return rows;
    }
    if k == 0 {
        return Vec::new();
    }
    let mut idx: Vec<usize> = (0..rows.len()).collect();
    {
        // Positions break ties, so the order is total and stable.
        let by = |a: &usize, b: &usize| cmp(&rows[*a], &rows[*b]).then(a.cmp(b));
        idx.select_nth_unstable_by(k - 1, by);
        idx.truncate(k);
        idx.sort_unstable_by(by);
    }
    let mut slots: Vec<Option<T>> = rows.into_iter().map(Some).collect();
    idx.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// Cuts select rows `(values, order keys)` down to the first `k` of a
/// stable sort by `order`, giving back the memory budget of the rest. Rows
/// kept earlier come first in the result, so cutting again as more rows
/// arrive still yields the head of one stable sort of all of them.
pub fn cut_to(
    rows: Vec<(Vec<Value>, Vec<Value>)>,
    k: usize,
    order: &[OrderTerm],
) -> Vec<(Vec<Value>, Vec<Value>)> {
    use crate::sql::func::control::{release, row_bytes};
    let bytes = |rs: &[(Vec<Value>, Vec<Value>)]| -> usize {
        rs.iter().map(|(v, k)| row_bytes(v) + row_bytes(k)).sum()
    };
    let before = bytes(&rows);
    let kept = first_k(rows, k, |(_, a), (_, b)| cmp_keys(order, a, b));
    release(before.saturating_sub(bytes(&kept)));
    kept
}

#[cfg(test)]
mod tests {
    use super::first_k;

    #[test]
    fn first_k_is_the_head_of_a_stable_sort() {
        let mut seed = 42u64;
        let mut rnd = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for len in [0usize, 1, 2, 7, 100, 1000] {
            // (sort key with many ties, original position)
            let rows: Vec<(u64, usize)> = (0..len).map(|i| (rnd(10), i)).collect();
            let mut sorted = rows.clone();
            sorted.sort_by(|a, b| b.0.cmp(&a.0));
            for k in [0, 1, 2, 5, len / 2, len.saturating_sub(1), len, len + 3] {
                let got = first_k(rows.clone(), k, |a, b| b.0.cmp(&a.0));
                assert_eq!(got, sorted[..k.min(len)].to_vec(), "len {len}, k {k}");
            }
        }
    }
}
