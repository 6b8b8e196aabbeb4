//! Reads by the bitemporal rule: for key K at (system time T, valid time V),
//! the newest fact with `system_time <= T` whose valid period contains V
//! decides. The current record answers directly when it qualifies (the usual
//! case for reads "now"); otherwise the key's history is searched from T down.

use super::commit::shard_of;
use crate::error::Result;
use crate::ledger::fact::{FactKind, FactView, VALID_END};
use crate::ledger::keys::{
    current_lower, current_prefix, decode_current_key, decode_current_key_into, history_prefix,
    history_seek,
};
use crate::ledger::timeline::Fact;
use crate::storage::iter::{prefix_successor, KvIter, MergeIter, Range};
use crate::storage::memtable::Prefetch;
use crate::storage::store::Store;
use crate::storage::version::Version;
use std::sync::Arc;

/// One key's fact, with both periods, as `history` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FactRecord {
    /// Put or delete.
    pub kind: FactKind,
    /// The value (`None` for deletes).
    pub value: Option<Vec<u8>>,
    /// When the database recorded the fact (its commit's system time).
    pub system_from: u64,
    /// When a newer fact overlapping its valid period was recorded (`None`
    /// while no newer fact overrides any part of it).
    pub system_to: Option<u64>,
    /// Valid period start (inclusive).
    pub valid_from: i64,
    /// Valid period end (exclusive; `None` when open-ended).
    pub valid_to: Option<i64>,
}

/// Which keys a scan covers.
#[derive(Clone, Debug, Default)]
pub struct ScanRange {
    /// Only keys starting with these bytes.
    pub prefix: Option<Vec<u8>>,
    /// Only keys `>= start`.
    pub start: Option<Vec<u8>>,
    /// Only keys `< end`.
    pub end: Option<Vec<u8>>,
    /// At most this many results.
    pub limit: Option<usize>,
    /// Largest key first.
    pub reverse: bool,
}

/// Advances a history iterator (standing at or before a key's facts at
/// system time `t`) to the first fact visible at (t, v) among the records
/// starting with `prefix`; true when it stands on one.
pub(crate) fn seek_visible(it: &mut impl KvIter, prefix: &[u8], t: u64, v: i64) -> Result<bool> {
    while it.valid() && it.key().starts_with(prefix) {
        if FactView::decode(it.value())?.visible(t, v) {
            return Ok(true);
        }
        it.advance()?;
    }
    Ok(false)
}

/// The value of the visible fact `it` stands on (`None` for a delete).
fn visible_value(it: &impl KvIter) -> Result<Option<Vec<u8>>> {
    let f = FactView::decode(it.value())?;
    Ok((f.kind == FactKind::Put).then(|| f.value.to_vec()))
}

fn search_history(
    ver: &Version,
    key: &[u8],
    t: u64,
    v: i64,
    cache_only: bool,
) -> Result<Option<Vec<u8>>> {
    let range = Range {
        lower: history_seek(key, t),
        upper: prefix_successor(&history_prefix(key)),
        reverse: false,
    };
    let mut it = ver.iter_with(&range, cache_only)?;
    if seek_visible(&mut it, &[], t, v)? {
        return visible_value(&it);
    }
    Ok(None)
}

/// A forward iterator over one shard's history records, reused by a scan
/// for successive keys: it seeks forward to each next key's records instead
/// of building a new iterator per key.
struct HistoryCursor {
    it: MergeIter,
}

impl HistoryCursor {
    /// The value visible at (t, v) of the key whose current record is stored
    /// under `current`, from its history (`None`: absent or deleted).
    fn search(
        slot: &mut Option<HistoryCursor>,
        ver: &Version,
        current: &[u8],
        upper: &Option<Vec<u8>>,
        (t, v): (u64, i64),
        cache_only: bool,
        target: &mut Vec<u8>,
    ) -> Result<Option<Vec<u8>>> {
        // The key's history prefix is its current key under the history
        // namespace byte; `target` is where facts at or before `t` start.
        let plen = current.len();
        crate::ledger::keys::history_seek_encoded(&current[1..], t, target);
        if let Some(c) = slot.as_mut() {
            c.it.seek_forward(target)?;
        } else {
            let range = Range {
                lower: target.clone(),
                upper: upper.clone(),
                reverse: false,
            };
            *slot = Some(HistoryCursor {
                it: ver.iter_with(&range, cache_only)?,
            });
        }
        let Some(c) = slot.as_mut() else {
            return Ok(None);
        };
        if seek_visible(&mut c.it, &target[..plen], t, v)? {
            return visible_value(&c.it);
        }
        Ok(None)
    }
}

/// Point read at (t, v). With `cache_only`, anything needing disk I/O gives
/// a `WouldBlock` error instead.
pub fn get(store: &Store, key: &[u8], t: u64, v: i64, cache_only: bool) -> Result<Option<Vec<u8>>> {
    let ver = store.tree(shard_of(key, store.shards())).current();
    let mut out = None;
    get_in(&ver, key, (t, v), cache_only, |val| {
        out = Some(val.to_vec());
        Ok(())
    })?;
    Ok(out)
}

/// Point reads of many keys at (t, v) against one snapshot per shard:
/// calls `f(i, value)` for each key `keys[i]` that has a visible value, in
/// order, with the value where it lies (no copy when it is current).
pub fn get_many(
    store: &Store,
    keys: &[Vec<u8>],
    (t, v): (u64, i64),
    cache_only: bool,
    mut f: impl FnMut(usize, &[u8]) -> Result<()>,
) -> Result<()> {
    // One pin for the batch makes the memtables' own pins counter bumps.
    let guard = crossbeam_epoch::pin();
    let mut versions: Vec<Option<Arc<Version>>> = vec![None; store.shards()];
    // Every storage key first, so the reads can prefetch ahead.
    let mut buf = Vec::with_capacity(keys.len() * 24);
    let mut at = Vec::with_capacity(keys.len());
    for key in keys {
        let shard = shard_of(key, store.shards());
        let ver = versions[shard].get_or_insert_with(|| store.tree(shard).current());
        let start = buf.len();
        crate::ledger::keys::current_key_into(&mut buf, key);
        at.push((start, buf.len(), shard, ver.active.hash(&buf[start..])));
    }
    let version = |shard: usize| versions[shard].as_deref().expect("set above");
    for (i, key) in keys.iter().enumerate() {
        // Each key's three dependent loads (index slot, entry, value) are
        // started 4, 2 and 1 keys ahead, each when the one before it is in
        // cache.
        for (dist, stage) in [
            (4, Prefetch::Slot),
            (2, Prefetch::Entry),
            (1, Prefetch::Value),
        ] {
            if let Some(&(s, e, shard, h)) = at.get(i + dist) {
                version(shard).prefetch(&buf[s..e], h, stage, &guard);
            }
        }
        let (s, e, shard, h) = at[i];
        get_current(
            version(shard),
            key,
            &buf[s..e],
            h,
            (t, v),
            cache_only,
            |val| f(i, val),
        )?;
    }
    Ok(())
}

/// One point read in `ver`; calls `f` with the visible value, if any.
fn get_in(
    ver: &Version,
    key: &[u8],
    at: (u64, i64),
    cache_only: bool,
    f: impl FnOnce(&[u8]) -> Result<()>,
) -> Result<()> {
    // The storage key is built on the stack when it fits (most keys).
    let mut stack = [0u8; 96];
    let heap;
    let ck: &[u8] = match crate::ledger::keys::current_key_in(key, &mut stack) {
        Some(n) => &stack[..n],
        None => {
            heap = crate::ledger::keys::current_key(key);
            &heap
        }
    };
    get_current(ver, key, ck, ver.active.hash(ck), at, cache_only, f)
}

/// `get_in` with the current-record key `ck` of `key` and its memtable
/// hash (`Memtable::hash`) already computed.
fn get_current(
    ver: &Version,
    key: &[u8],
    ck: &[u8],
    mem_hash: u64,
    (t, v): (u64, i64),
    cache_only: bool,
    f: impl FnOnce(&[u8]) -> Result<()>,
) -> Result<()> {
    // The current record decides in place when it is visible; otherwise
    // the history is searched.
    let mut f = Some(f);
    let found = ver.get_hashed(ck, Some(mem_hash), cache_only, |b| -> Result<bool> {
        let fact = FactView::decode(b)?;
        if !fact.visible(t, v) {
            return Ok(false);
        }
        if fact.kind == FactKind::Put {
            if let Some(f) = f.take() {
                f(fact.value)?;
            }
        }
        Ok(true)
    })?;
    match found.transpose()? {
        None | Some(true) => Ok(()),
        Some(false) => match (search_history(ver, key, t, v, cache_only)?, f.take()) {
            (Some(val), Some(f)) => f(&val),
            _ => Ok(()),
        },
    }
}

pub(crate) fn current_range(r: &ScanRange) -> Range {
    let mut lower = vec![crate::ledger::keys::NS_CURRENT];
    let mut upper = prefix_successor(&lower);
    if let Some(p) = &r.prefix {
        lower = current_prefix(p);
        upper = prefix_successor(&lower);
    }
    if let Some(s) = &r.start {
        let l = current_lower(s);
        if l > lower {
            lower = l;
        }
    }
    if let Some(e) = &r.end {
        let u = current_lower(e);
        if upper.as_ref().is_none_or(|x| &u < x) {
            upper = Some(u);
        }
    }
    Range {
        lower,
        upper,
        reverse: r.reverse,
    }
}

/// Scan results in one buffer: row i is `(key, value)` slices of it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rows {
    buf: Vec<u8>,
    /// Per row: key start, key length, value length (value follows the key).
    index: Vec<(u32, u32, u32)>,
}

impl Rows {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Bytes the rows hold (keys, values and their index).
    pub fn bytes(&self) -> usize {
        self.buf.len() + self.index.len() * 12
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Row `i` as (key, value).
    pub fn get(&self, i: usize) -> Option<(&[u8], &[u8])> {
        let &(s, kl, vl) = self.index.get(i)?;
        let (s, kl, vl) = (s as usize, kl as usize, vl as usize);
        Some((&self.buf[s..s + kl], &self.buf[s + kl..s + kl + vl]))
    }

    /// Every row in order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// Packs the rows into one buffer: the row bytes, then per row
    /// `key start: u32 LE | key len: u32 LE | value len: u32 LE` (the value
    /// follows its key), then the row count as u32 LE. Used to hand a whole
    /// result to another runtime in one copy.
    pub fn to_packed(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.buf.len() + self.index.len() * 12 + 4);
        out.extend_from_slice(&self.buf);
        for &(s, k, v) in &self.index {
            out.extend_from_slice(&s.to_le_bytes());
            out.extend_from_slice(&k.to_le_bytes());
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&(self.index.len() as u32).to_le_bytes());
        out
    }

    /// Appends every row of `other`.
    pub fn extend(&mut self, other: Rows) {
        if self.index.is_empty() {
            *self = other;
            return;
        }
        let base = self.buf.len() as u32;
        self.buf.extend_from_slice(&other.buf);
        self.index
            .extend(other.index.iter().map(|&(s, k, v)| (s + base, k, v)));
    }

    pub(crate) fn push_with(
        &mut self,
        key: impl FnOnce(&mut Vec<u8>) -> Result<()>,
        value: &[u8],
    ) -> Result<()> {
        let start = self.buf.len();
        key(&mut self.buf)?;
        let kl = self.buf.len() - start;
        self.buf.extend_from_slice(value);
        self.index
            .push((start as u32, kl as u32, value.len() as u32));
        Ok(())
    }
}

/// Range or prefix scan at (t, v): every key whose visible fact is a put.
pub fn scan(store: &Store, r: &ScanRange, t: u64, v: i64) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let rows = scan_rows(store, r, t, v)?;
    Ok(rows.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect())
}

/// Like `scan`, into one flat buffer (no allocation per row).
pub fn scan_rows(store: &Store, r: &ScanRange, t: u64, v: i64) -> Result<Rows> {
    scan_rows_with(store, r, t, v, false)
}

/// Like `scan_rows`; with `cache_only`, needing disk I/O is a `WouldBlock`
/// error.
pub fn scan_rows_with(
    store: &Store,
    r: &ScanRange,
    t: u64,
    v: i64,
    cache_only: bool,
) -> Result<Rows> {
    let mut out = Rows::default();
    scan_each_with(store, r, t, v, cache_only, &mut |k, val| {
        out.push_with(
            |b| {
                b.extend_from_slice(k);
                Ok(())
            },
            val,
        )
    })?;
    Ok(out)
}

/// What a streaming scan hands each row to: `(key, value)`.
pub type RowSink<'a> = dyn FnMut(&[u8], &[u8]) -> Result<()> + 'a;

/// Like `scan_rows_with`, handing each row to `f` as it is found instead of
/// collecting them (no copy of the result).
pub fn scan_each_with(
    store: &Store,
    r: &ScanRange,
    t: u64,
    v: i64,
    cache_only: bool,
    f: &mut RowSink,
) -> Result<()> {
    let range = current_range(r);
    let limit = r.limit.unwrap_or(usize::MAX);
    let mut emitted = 0usize;
    if limit == 0 || range.upper.as_ref().is_some_and(|u| u <= &range.lower) {
        return Ok(());
    }
    let versions: Vec<_> = (0..store.shards())
        .map(|s| store.tree(s).current())
        .collect();
    let mut sources: Vec<Box<dyn KvIter>> = Vec::with_capacity(versions.len());
    for v in &versions {
        sources.push(Box::new(v.iter_with(&range, cache_only)?));
    }
    let mut it = MergeIter::new(sources, range.reverse)?;
    // Forward scans search history with one moving cursor per shard, made
    // when a key first needs it (most scans "now" never do).
    let mut cursors: Vec<Option<HistoryCursor>> = Vec::new();
    let mut hist_upper: Option<Option<Vec<u8>>> = None;
    let (mut user, mut scratch, mut key) = (Vec::new(), Vec::new(), Vec::new());
    while it.valid() && emitted < limit {
        let fact = FactView::decode(it.value())?;
        if fact.visible(t, v) {
            if fact.kind == FactKind::Put {
                key.clear();
                decode_current_key_into(it.key(), &mut key)?;
                f(&key, fact.value)?;
                emitted += 1;
            }
        } else if !range.reverse {
            let stored = it.key();
            user.clear();
            decode_current_key_into(stored, &mut user)?;
            let shard = shard_of(&user, versions.len());
            if cursors.is_empty() {
                cursors.resize_with(versions.len(), || None);
            }
            let upper = hist_upper.get_or_insert_with(|| {
                range
                    .upper
                    .as_deref()
                    .map(crate::ledger::keys::history_bound)
            });
            if let Some(val) = HistoryCursor::search(
                &mut cursors[shard],
                &versions[shard],
                stored,
                upper,
                (t, v),
                cache_only,
                &mut scratch,
            )? {
                key.clear();
                decode_current_key_into(stored, &mut key)?;
                f(&key, &val)?;
                emitted += 1;
            }
        } else {
            let key = decode_current_key(it.key())?;
            let ver = &versions[shard_of(&key, versions.len())];
            if let Some(val) = search_history(ver, &key, t, v, cache_only)? {
                f(&key, &val)?;
                emitted += 1;
            }
        }
        it.advance()?;
    }
    Ok(())
}

/// Every fact of the user keys starting with `prefix` (or of exactly that
/// key when `exact`), recorded at or before system time `max_sys`: calls
/// `f(key, facts)` per key in key order, facts oldest first (the order
/// `ledger::timeline::versions` takes).
pub fn facts(
    store: &Store,
    prefix: &[u8],
    exact: bool,
    max_sys: u64,
    mut f: impl FnMut(&[u8], &[Fact]) -> Result<()>,
) -> Result<()> {
    let (lower, versions) = if exact {
        let v = store.tree(shard_of(prefix, store.shards())).current();
        (history_prefix(prefix), vec![v])
    } else {
        let mut l = vec![crate::ledger::keys::NS_HISTORY];
        crate::ledger::keys::escape_into(&mut l, prefix);
        let vs = (0..store.shards())
            .map(|s| store.tree(s).current())
            .collect();
        (l, vs)
    };
    let range = Range::prefix(&lower);
    let mut sources: Vec<Box<dyn KvIter>> = Vec::with_capacity(versions.len());
    for v in &versions {
        sources.push(Box::new(v.iter(&range)?));
    }
    let mut it = MergeIter::new(sources, false)?;
    // The encoded key (namespace byte included) of the group being gathered.
    let mut key: Option<Vec<u8>> = None;
    let mut group: Vec<Fact> = Vec::new();
    let mut emit = |key: &[u8], group: &mut Vec<Fact>| -> Result<()> {
        if !group.is_empty() {
            group.reverse();
            let mut user = Vec::new();
            crate::ledger::keys::decode_into(&key[1..], &mut user)
                .ok_or_else(|| crate::error::Error::corrupt("malformed history key"))?;
            f(&user, group)?;
            group.clear();
        }
        Ok(())
    };
    while it.valid() {
        let stored = it.key();
        if !key.as_ref().is_some_and(|k| stored.starts_with(k)) {
            if let Some(k) = &key {
                emit(k, &mut group)?;
            }
            let mut user = Vec::new();
            let n = crate::ledger::keys::decode_into(&stored[1..], &mut user)
                .ok_or_else(|| crate::error::Error::corrupt("malformed history key"))?;
            key = Some(stored[..1 + n].to_vec());
        }
        let fv = FactView::decode(it.value())?;
        if fv.sys <= max_sys {
            group.push(Fact {
                sys: fv.sys,
                seq: fv.seq,
                value: (fv.kind == FactKind::Put).then(|| fv.value.to_vec()),
                valid_from: fv.valid_from,
                valid_to: fv.valid_to,
            });
        }
        it.advance()?;
    }
    if let Some(k) = &key {
        emit(k, &mut group)?;
    }
    Ok(())
}

/// Every fact of `key`, newest first, with both periods.
pub fn history(store: &Store, key: &[u8]) -> Result<Vec<FactRecord>> {
    let ver = store.tree(shard_of(key, store.shards())).current();
    let range = Range::prefix(&history_prefix(key));
    let mut it = ver.iter(&range)?;
    let mut facts: Vec<(u64, i64, i64)> = Vec::new();
    let mut out: Vec<FactRecord> = Vec::new();
    while it.valid() {
        let f = FactView::decode(it.value())?;
        // The earliest newer fact whose valid period overlaps this one.
        let system_to = facts
            .iter()
            .rev()
            .find(|(sys, from, to)| *sys > f.sys && f.valid_from < *to && *from < f.valid_to)
            .map(|(sys, _, _)| *sys);
        facts.push((f.sys, f.valid_from, f.valid_to));
        out.push(FactRecord {
            kind: f.kind,
            value: (f.kind == FactKind::Put).then(|| f.value.to_vec()),
            system_from: f.sys,
            system_to,
            valid_from: f.valid_from,
            valid_to: (f.valid_to != VALID_END).then_some(f.valid_to),
        });
        it.advance()?;
    }
    Ok(out)
}
