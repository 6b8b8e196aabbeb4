//! Rebuilding a lost manifest from the table files themselves (`repair`).
//!
//! Without a manifest the store cannot know which shard and level a table
//! belongs to, which tables are obsolete, or which WAL records are already
//! in tables. Repair recovers all three from the data, with rules the layer
//! above supplies (this layer never interprets keys):
//!
//! - the shard count is the one under which every table's keys fall into a
//!   single shard (tables are per shard);
//! - each shard's tables are merged into one sorted run; where several hold
//!   a key, the newest value wins (`RepairRules::newer`), which also makes
//!   the output of an interrupted compaction and its inputs agree;
//! - every WAL segment left is replayed (see `first_segment`).
//!
//! The merged runs are written as new tables in the last level, then the
//! manifest; the old table files are moved into `repair-<time>/`, never
//! deleted.

use super::backend::Backend;
use super::iter::{KvIter, Range};
use super::manifest::Manifest;
use super::options::StoreOptions;
use super::table::{Table, TableIter};
use super::table_writer::{TableMeta, TableWriter};
use super::wal::parse_segment_name;
use crate::error::{Error, Result};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::Path;
use std::sync::Arc;

/// The shard of a stored key under a shard count, if the key tells.
pub type ShardOf = Box<dyn Fn(&[u8], usize) -> Option<usize> + Send + Sync>;
/// Of two values stored under one key (key, a, b): true when `a` is newer.
pub type Newer = Box<dyn Fn(&[u8], &[u8], &[u8]) -> bool + Send + Sync>;
/// The system time an entry (key, value) records, if it records one.
pub type SysOf = Box<dyn Fn(&[u8], &[u8]) -> Option<u64> + Send + Sync>;

/// What repair needs to know about keys and values, from the layer above.
pub struct RepairRules {
    /// The shard of a stored key under `shards` shards; `None` for keys
    /// placed by other rules (they say nothing about the shard count).
    pub shard_of: ShardOf,
    /// For two values stored under one key: true when the first is newer.
    pub newer: Newer,
    /// The system time an entry records, if it records one.
    pub sys_of: SysOf,
}

/// Shard counts tried when the tables do not fit the configured one.
const SHARD_COUNTS: [usize; 9] = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/// Keys sampled per table to find the shard count.
const SAMPLE: usize = 64;

fn table_path(dir: &Path, id: u64) -> std::path::PathBuf {
    dir.join(format!("{id:016}.sst"))
}

/// Opens table `id` without a manifest entry (its bounds are read from it).
fn open_bare(
    backend: &dyn Backend,
    dir: &Path,
    id: u64,
    cache: &Arc<super::cache::BlockCache>,
) -> Result<Arc<Table>> {
    let path = table_path(dir, id);
    let file = backend.open_read(&path)?;
    let meta = TableMeta {
        id,
        size: file.len(),
        entries: 0,
        smallest: Vec::new(),
        largest: Vec::new(),
    };
    Table::open(file, meta, cache.clone(), path.display().to_string())
}

/// What a rebuild found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rebuilt {
    /// Table files whose entries the new manifest's tables hold.
    pub tables: u64,
    /// Table files that were never finished (no valid footer).
    pub unfinished: u64,
    /// The folder every old table file was moved into.
    pub aside: Option<std::path::PathBuf>,
}

/// Rebuilds the manifest of `dir` from its table files and WAL; returns it
/// (already stored) and what it found.
pub fn rebuild(
    backend: &dyn Backend,
    dir: &Path,
    opts: &StoreOptions,
    rules: &RepairRules,
) -> Result<(Manifest, Rebuilt)> {
    let names = backend.list(dir)?;
    let mut ids: Vec<u64> = names
        .iter()
        .filter_map(|n| n.strip_suffix(".sst").and_then(|n| n.parse().ok()))
        .collect();
    ids.sort_unstable();
    let cache = Arc::new(super::cache::BlockCache::new(8 << 20));
    let mut tables = Vec::with_capacity(ids.len());
    let mut unreadable = 0u64;
    for &id in &ids {
        // A table without a valid footer was never finished (finishing
        // syncs it before any manifest names it): a flush or compaction a
        // crash interrupted, whose data the WAL or its inputs still hold.
        match open_bare(backend, dir, id, &cache) {
            Ok(t) => tables.push(t),
            Err(e) if e.code == crate::error::ErrorCode::Corrupt => unreadable += 1,
            Err(e) => return Err(e),
        }
    }
    let shards = shard_count(&tables, opts.shards, rules)?;
    // Per shard: its tables, and the newest system time they hold.
    let mut per_shard: Vec<Vec<Arc<Table>>> = vec![Vec::new(); shards];
    let mut newest = vec![0u64; shards];
    for t in &tables {
        let mut it = TableIter::new(t.clone(), Range::default())?;
        let mut shard = None;
        let mut sys = 0u64;
        while it.valid() {
            if shard.is_none() {
                shard = (rules.shard_of)(it.key(), shards);
            }
            if let Some(s) = (rules.sys_of)(it.key(), it.value()) {
                sys = sys.max(s);
            }
            it.advance()?;
        }
        let s = shard.unwrap_or(0);
        per_shard[s].push(t.clone());
        newest[s] = newest[s].max(sys);
    }
    let mut next_id = ids.last().map_or(1, |l| l + 1);
    let mut m = Manifest::new(shards, opts.levels.max(2));
    let bottom = m.levels[0].len() - 1;
    for (s, ts) in per_shard.iter().enumerate() {
        m.levels[s][bottom] = merge_shard(backend, dir, opts, rules, ts, &mut next_id)?;
    }
    m.next_file_id = next_id;
    m.meta = newest.iter().copied().max().unwrap_or(0);
    m.flushed = vec![first_segment(&names); shards];
    backend.sync_dir(dir)?;
    m.store(backend, dir)?;
    // The old files are obsolete now (the manifest names the merged ones);
    // they are kept aside for the user, not deleted.
    let mut moved = None;
    if !ids.is_empty() {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros());
        let aside = dir.join(format!("repair-{stamp}"));
        backend.create_dir_all(&aside)?;
        for &id in &ids {
            let p = table_path(dir, id);
            backend.rename(&p, &aside.join(format!("{id:016}.sst")))?;
        }
        backend.sync_dir(dir)?;
        moved = Some(aside);
    }
    Ok((
        m,
        Rebuilt {
            tables: ids.len() as u64 - unreadable,
            unfinished: unreadable,
            aside: moved,
        },
    ))
}

/// The shard count under which every table's sampled keys fall into one
/// shard: the configured one if it fits, else the smallest that does.
fn shard_count(tables: &[Arc<Table>], configured: usize, rules: &RepairRules) -> Result<usize> {
    let mut samples: Vec<Vec<Vec<u8>>> = Vec::with_capacity(tables.len());
    for t in tables {
        let mut it = TableIter::new(t.clone(), Range::default())?;
        let mut keys = Vec::new();
        while it.valid() && keys.len() < SAMPLE {
            if (rules.shard_of)(it.key(), 1).is_some() {
                keys.push(it.key().to_vec());
            }
            it.advance()?;
        }
        samples.push(keys);
    }
    let fits = |n: usize| {
        samples.iter().all(|keys| {
            let mut shards = keys.iter().filter_map(|k| (rules.shard_of)(k, n));
            let first = shards.next();
            shards.all(|s| Some(s) == first)
        })
    };
    std::iter::once(configured)
        .chain(SHARD_COUNTS)
        .find(|&n| n >= 1 && fits(n))
        .ok_or_else(|| {
            Error::corrupt(
                "repair: the table files do not fit any shard count (keys of several shards \
                 in one table); nothing was changed",
            )
        })
}

/// Merges `tables` (one shard's) into new tables of one sorted run.
fn merge_shard(
    backend: &dyn Backend,
    dir: &Path,
    opts: &StoreOptions,
    rules: &RepairRules,
    tables: &[Arc<Table>],
    next_id: &mut u64,
) -> Result<Vec<TableMeta>> {
    let mut iters = Vec::with_capacity(tables.len());
    let mut heap = BinaryHeap::new();
    for (i, t) in tables.iter().enumerate() {
        let it = TableIter::new(t.clone(), Range::default())?;
        if it.valid() {
            heap.push(Reverse((it.key().to_vec(), i)));
        }
        iters.push(it);
    }
    let mut out = Vec::new();
    let mut writer: Option<TableWriter> = None;
    while let Some(Reverse((key, i))) = heap.pop() {
        let mut best = iters[i].value().to_vec();
        advance(&mut iters, i, &mut heap)?;
        while let Some(Reverse((k, j))) = heap.peek().cloned() {
            if k != key {
                break;
            }
            heap.pop();
            if (rules.newer)(&key, iters[j].value(), &best) {
                best = iters[j].value().to_vec();
            }
            advance(&mut iters, j, &mut heap)?;
        }
        if writer.is_none() {
            let id = *next_id;
            *next_id += 1;
            let file = backend.create(&table_path(dir, id))?;
            writer = Some(TableWriter::new(file, id, opts.block_size, opts.compress));
        }
        if let Some(w) = writer.as_mut() {
            w.add(&key, &best)?;
            if w.approximate_size() >= opts.table_bytes {
                if let Some(w) = writer.take() {
                    out.push(w.finish()?);
                }
            }
        }
    }
    if let Some(w) = writer {
        out.push(w.finish()?);
    }
    Ok(out)
}

fn advance(
    iters: &mut [TableIter],
    i: usize,
    heap: &mut BinaryHeap<Reverse<(Vec<u8>, usize)>>,
) -> Result<()> {
    iters[i].advance()?;
    if iters[i].valid() {
        heap.push(Reverse((iters[i].key().to_vec(), i)));
    }
    Ok(())
}

/// The oldest WAL segment left: every shard replays from it. Replaying a
/// suffix of the log over tables that already hold part of it is safe (a
/// record rewrites what it wrote before; current records end as the newest
/// commit's), and it proves no segment obsolete, so none is deleted.
fn first_segment(names: &[String]) -> u64 {
    names
        .iter()
        .filter_map(|n| parse_segment_name(n))
        .min()
        .unwrap_or(0)
}
