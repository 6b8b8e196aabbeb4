//! Scans as of a past system time, read from history alone.
//!
//! A scan "now" walks the current records. As of a past time most current
//! records are too new, and each would need a search of its key's history;
//! instead this walks the history records of the range once, in key order:
//! per key it seeks to the first fact at or before the read time, takes the
//! first one whose valid period holds the read's valid time, and seeks past
//! the key's remaining (older) facts. Every fact is in history, so keys
//! unchanged since then are found the same way.

use super::read::{current_range, seek_visible, Rows, ScanRange};
use crate::error::{Error, Result};
use crate::ledger::fact::{FactKind, FactView};
use crate::ledger::keys::{decode_into, history_bound, history_seek_encoded};
use crate::storage::iter::{KvIter, MergeIter, Range};
use crate::storage::store::Store;

/// Forward scan of `r` at (t, v) over history records. Keys live in one
/// shard each, so every shard is walked on its own (a merge over that
/// shard's sources only) and the per-shard results, each in key order, are
/// merged at the end.
pub fn scan_rows(store: &Store, r: &ScanRange, t: u64, v: i64, cache_only: bool) -> Result<Rows> {
    let cur = current_range(r);
    let limit = r.limit.unwrap_or(usize::MAX);
    if limit == 0 || cur.upper.as_ref().is_some_and(|u| u <= &cur.lower) {
        return Ok(Rows::default());
    }
    let range = Range {
        lower: history_bound(&cur.lower),
        upper: cur.upper.as_deref().map(history_bound),
        reverse: false,
    };
    let mut parts = Vec::with_capacity(store.shards());
    for s in 0..store.shards() {
        let it = store.tree(s).current().iter_with(&range, cache_only)?;
        parts.push(shard_rows(it, t, v, limit)?);
    }
    if parts.len() == 1 {
        return Ok(parts.pop().unwrap_or_default());
    }
    // Merge the shards' rows by key (keys are unique across shards).
    let mut out = Rows::default();
    let mut at = vec![0usize; parts.len()];
    while out.len() < limit {
        let mut best: Option<(usize, &[u8])> = None;
        for (i, p) in parts.iter().enumerate() {
            if let Some((k, _)) = p.get(at[i]) {
                if best.is_none_or(|(_, bk)| k < bk) {
                    best = Some((i, k));
                }
            }
        }
        let Some((i, _)) = best else { break };
        if let Some((k, val)) = parts[i].get(at[i]) {
            out.push_with(
                |b| {
                    b.extend_from_slice(k);
                    Ok(())
                },
                val,
            )?;
        }
        at[i] += 1;
    }
    Ok(out)
}

/// One shard's keys visible at (t, v), from an iterator over its history
/// records, at most `limit`.
fn shard_rows(mut it: MergeIter, t: u64, v: i64, limit: usize) -> Result<Rows> {
    let mut out = Rows::default();
    let (mut user, mut prefix, mut target) = (Vec::new(), Vec::new(), Vec::new());
    let bad = || Error::corrupt("malformed history key");
    while it.valid() && out.len() < limit {
        user.clear();
        let n = decode_into(&it.key()[1..], &mut user).ok_or_else(bad)?;
        prefix.clear();
        prefix.extend_from_slice(&it.key()[..1 + n]);
        history_seek_encoded(&prefix[1..], t, &mut target);
        it.seek_forward(&target)?;
        if seek_visible(&mut it, &prefix, t, v)? {
            let f = FactView::decode(it.value())?;
            if f.kind == FactKind::Put {
                out.push_with(
                    |b| {
                        b.extend_from_slice(&user);
                        Ok(())
                    },
                    f.value,
                )?;
            }
        }
        // Past this key's older facts: its encoding ends with the
        // terminator 0x00 0x01, so 0x00 0x02 sorts after all of them.
        if let Some(last) = prefix.last_mut() {
            *last += 1;
        }
        it.seek_forward(&prefix)?;
    }
    Ok(out)
}
