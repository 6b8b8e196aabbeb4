//! The storage layer as one object: per-shard trees over a shared WAL, the
//! manifest, recovery, and background flush and leveled compaction (one
//! thread per shard). Keys and values are opaque bytes here.

use super::backend::Backend;
use super::cache::BlockCache;
use super::iter::{KvIter, MergeIter, Range};
use super::manifest::{Manifest, MANIFEST_FILE};
use super::memtable::Memtable;
use super::options::StoreOptions;
use super::repair::RepairRules;
pub use super::report::{CheckReport, ReplayReport};
use super::row_cache::RowCache;
use super::table::{LevelIter, Table, TableIter};
use super::table_writer::{TableMeta, TableWriter};
use super::version::{Frozen, Tree, Version};
use super::wal::{parse_segment_name, read_segment, segment_path};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[derive(Default)]
struct Work {
    pending: Vec<bool>,
    shutdown: bool,
}

/// Per-shard trees, the manifest, and the background workers.
pub struct Store {
    backend: Arc<dyn Backend>,
    dir: PathBuf,
    opts: StoreOptions,
    cache: Arc<BlockCache>,
    trees: Vec<Tree>,
    manifest: Mutex<Manifest>,
    next_file: AtomicU64,
    work: Mutex<Work>,
    work_cv: Condvar,
    frozen_cv: Condvar,
    failed: Mutex<Option<Error>>,
    has_failed: AtomicBool,
    threads: Mutex<Vec<JoinHandle<()>>>,
    /// Serializes flush and compaction within a shard (workers and explicit flushes).
    shard_locks: Vec<Mutex<()>>,
    /// The flush-meta source, kept until the workers start (on the first freeze).
    worker_meta: Mutex<Option<MetaFn>>,
    /// A handle on ourselves for starting workers lazily.
    me: Mutex<std::sync::Weak<Store>>,
    /// What the manifest was rebuilt from at open (`repair`).
    rebuilt: Option<super::repair::Rebuilt>,
    /// Opened read-only: recovery changes no file, no background work runs.
    read_only: bool,
}

/// Gives the value persisted with each flush.
pub type MetaFn = Arc<dyn Fn() -> u64 + Send + Sync>;

fn table_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("{id:016}.sst"))
}

impl Store {
    /// Opens (or creates) the store in `dir`. Tables are opened and orphan
    /// files removed; the WAL is not replayed yet (see `replay`). A folder
    /// with tables or WAL but no manifest is `TDB_CORRUPT` — nothing is
    /// deleted — unless `repair` rules are given: then the manifest is
    /// rebuilt from the files (see `repair`).
    pub fn open(
        backend: Arc<dyn Backend>,
        dir: &Path,
        opts: StoreOptions,
        repair: Option<&RepairRules>,
        read_only: bool,
    ) -> Result<Arc<Store>> {
        if read_only {
            if !backend.exists(&dir.join(MANIFEST_FILE)) && backend.list(dir)?.is_empty() {
                return Err(Error::invalid(format!(
                    "{}: no database to open read-only",
                    dir.display()
                )));
            }
        } else {
            backend.create_dir_all(dir)?;
        }
        let mut rebuilt = None;
        let manifest = match Manifest::load(backend.as_ref(), dir)? {
            Some(m) => m,
            None => {
                let names = backend.list(dir)?;
                let tables = names.iter().filter(|n| n.ends_with(".sst")).count();
                let segs = names
                    .iter()
                    .filter(|n| parse_segment_name(n).is_some())
                    .count();
                if tables == 0 && segs == 0 {
                    let m = Manifest::new(opts.shards, opts.levels);
                    if !read_only {
                        m.store(backend.as_ref(), dir)?;
                    }
                    m
                } else if let Some(rules) = repair.filter(|_| !read_only) {
                    let (m, n) = super::repair::rebuild(backend.as_ref(), dir, &opts, rules)?;
                    rebuilt = Some(n);
                    m
                } else {
                    return Err(Error::corrupt(format!(
                        "{}: the {MANIFEST_FILE} file is missing, but the folder holds {tables} \
                         table file(s) and {segs} WAL segment(s); nothing was deleted. Open with \
                         the `repair` option (or run `tensordb repair <dir>`) to rebuild it from \
                         the table files",
                        dir.display()
                    )));
                }
            }
        };
        let mut opts = opts;
        opts.shards = manifest.flushed.len();
        let cache = Arc::new(BlockCache::new(opts.cache_bytes));
        let mut trees = Vec::new();
        let mut live = std::collections::HashSet::new();
        for shard_levels in &manifest.levels {
            let mut levels = Vec::new();
            for metas in shard_levels {
                let mut tables = Vec::new();
                for m in metas {
                    live.insert(m.id);
                    let path = table_path(dir, m.id);
                    let file = backend.open_read(&path)?;
                    let name = path.display().to_string();
                    tables.push(Table::open(file, m.clone(), cache.clone(), name)?);
                }
                levels.push(tables);
            }
            while levels.len() < opts.levels {
                levels.push(Vec::new());
            }
            trees.push(Tree::new(Version {
                active: Arc::new(Memtable::new()),
                frozen: Vec::new(),
                levels,
                flushes: 0,
                rows: Arc::new(RowCache::new(opts.row_cache_bytes / opts.shards.max(1))),
            }));
        }
        // Orphans: tables a crash left behind before the manifest named them.
        for name in backend.list(dir)? {
            let orphan_table = name
                .strip_suffix(".sst")
                .and_then(|n| n.parse::<u64>().ok())
                .is_some_and(|id| !live.contains(&id));
            if !read_only && (orphan_table || name == "MANIFEST.tmp") {
                backend.remove(&dir.join(&name))?;
            }
        }
        let next = manifest.next_file_id;
        let opts_shards = opts.shards;
        Ok(Arc::new(Store {
            backend,
            dir: dir.to_path_buf(),
            cache,
            trees,
            next_file: AtomicU64::new(next),
            work: Mutex::new(Work {
                pending: vec![false; opts.shards],
                shutdown: false,
            }),
            opts,
            manifest: Mutex::new(manifest),
            work_cv: Condvar::new(),
            frozen_cv: Condvar::new(),
            failed: Mutex::new(None),
            has_failed: AtomicBool::new(false),
            threads: Mutex::new(Vec::new()),
            shard_locks: (0..opts_shards).map(|_| Mutex::new(())).collect(),
            worker_meta: Mutex::new(None),
            me: Mutex::new(std::sync::Weak::new()),
            rebuilt,
            read_only,
        }))
    }

    /// Number of shards.
    pub fn shards(&self) -> usize {
        self.trees.len()
    }

    /// The backend, for the WAL writer.
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The opaque value persisted with the last flush.
    pub fn meta(&self) -> u64 {
        lock(&self.manifest).meta
    }

    /// One shard's tree.
    pub fn tree(&self, shard: usize) -> &Tree {
        &self.trees[shard]
    }

    /// Replays every WAL segment still needed, oldest first. `apply(segment,
    /// flushed, record)` receives each intact record and the per-shard flushed
    /// marks (records of a shard in a segment below its mark are already in
    /// tables). A torn tail of the last segment is cut off and reported; damage
    /// in an earlier segment is `TDB_CORRUPT`. Returns the report and the next
    /// free segment number.
    pub fn replay(
        &self,
        repair: bool,
        mut apply: impl FnMut(u64, &[u64], &[u8]) -> Result<()>,
    ) -> Result<(ReplayReport, u64)> {
        let (start, flushed) = {
            let m = lock(&self.manifest);
            (m.log_start(), m.flushed.clone())
        };
        let mut segs: Vec<u64> = self
            .backend
            .list(&self.dir)?
            .iter()
            .filter_map(|n| parse_segment_name(n))
            .collect();
        segs.sort_unstable();
        let mut report = ReplayReport {
            manifest_rebuilt: self.rebuilt.clone(),
            ..Default::default()
        };
        let mut next = start;
        let last = segs.last().copied();
        // Set once a repair cut a segment: later segments are set aside.
        let mut cut = false;
        for &seq in &segs {
            next = next.max(seq + 1);
            let path = segment_path(&self.dir, seq);
            if seq < start {
                if !self.read_only {
                    self.backend.remove(&path)?;
                }
                continue;
            }
            let bytes = self.backend.read_all(&path)?;
            let read = read_segment(&bytes);
            if cut && !self.read_only {
                report.dropped_records += (read.records.len() + read.intact_after) as u64;
                report.dropped_segments.push(seq);
                let aside = path.with_extension("log.dropped");
                self.backend.rename(&path, &aside)?;
                continue;
            }
            // Nothing is applied before the segment is known to be usable.
            let older = Some(seq) != last;
            let corrupt = read.damaged_len > 0 && (older || read.corrupt);
            if corrupt && !repair {
                return Err(Error::corrupt(format!(
                    "{}: a damaged record at byte {} {}; {} acknowledged commit(s) would be \
                     lost. Nothing was changed. Open with the `repair` option (or run \
                     `tensordb repair <dir>`) to cut the log there and keep what precedes it",
                    path.display(),
                    read.valid_len,
                    if older {
                        "in a WAL segment that is not the last".to_string()
                    } else {
                        format!("is followed by {} intact record(s)", read.intact_after)
                    },
                    if older {
                        "later".to_string()
                    } else {
                        read.intact_after.to_string()
                    },
                )));
            }
            for rec in &read.records {
                apply(seq, &flushed, rec)?;
                report.records += 1;
            }
            if read.damaged_len > 0 {
                // Read-only: the tail is skipped in memory, the file stays.
                if !self.read_only {
                    self.backend.truncate(&path, read.valid_len as u64)?;
                }
                report.truncated_bytes = read.damaged_len as u64;
                report.truncated_segment = Some(seq);
                report.truncated_offset = read.valid_len as u64;
                report.corrupt = corrupt;
                report.dropped_records += read.intact_after as u64;
                cut = older;
            }
        }
        Ok((report, next))
    }

    /// Fails with the background error, if a flush or compaction failed.
    pub fn check_failed(&self) -> Result<()> {
        if self.has_failed.load(Ordering::Acquire) {
            if let Some(e) = lock(&self.failed).clone() {
                return Err(e);
            }
        }
        Ok(())
    }

    fn fail(&self, e: Error) {
        let mut f = lock(&self.failed);
        if f.is_none() {
            *f = Some(Error::new(
                e.code,
                format!("background flush/compaction failed; the database is read-only until reopened: {}", e.message),
            ));
        }
        self.has_failed.store(true, Ordering::Release);
        self.frozen_cv.notify_all();
    }

    /// Bytes held by all active memtables.
    pub fn active_bytes(&self) -> usize {
        self.trees
            .iter()
            .map(|t| t.current().active.approximate_bytes())
            .sum()
    }

    /// Freezes every shard's active memtable (the caller has just started WAL
    /// segment `until_segment`) and wakes the flush workers. Waits while any
    /// shard has too many frozen memtables (write back-pressure).
    pub fn freeze_all(&self, until_segment: u64) -> Result<()> {
        self.ensure_workers();
        {
            let mut w = lock(&self.work);
            loop {
                self.check_failed()?;
                let busy = self
                    .trees
                    .iter()
                    .any(|t| t.current().frozen.len() >= self.opts.max_frozen);
                if !busy || w.shutdown {
                    break;
                }
                w = self
                    .frozen_cv
                    .wait_timeout(w, std::time::Duration::from_millis(50))
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
        }
        for tree in &self.trees {
            tree.update(|v| {
                let mut n = v.clone();
                if !v.active.is_empty() {
                    n.frozen.insert(
                        0,
                        Frozen {
                            table: v.active.clone(),
                            until_segment,
                        },
                    );
                    n.active = Arc::new(Memtable::new());
                }
                n
            });
        }
        let mut w = lock(&self.work);
        for p in w.pending.iter_mut() {
            *p = true;
        }
        self.work_cv.notify_all();
        Ok(())
    }

    /// Records that every shard's data below `segment` is durable in tables when
    /// nothing is frozen or active (after a full flush on close), then deletes
    /// WAL segments no longer needed.
    fn advance_log(&self, m: &Manifest) -> Result<()> {
        let start = m.log_start();
        for name in self.backend.list(&self.dir)? {
            if let Some(seq) = parse_segment_name(&name) {
                if seq < start {
                    self.backend.remove(&self.dir.join(&name))?;
                }
            }
        }
        Ok(())
    }

    fn new_table_writer(&self) -> Result<(TableWriter, u64)> {
        let id = self.next_file.fetch_add(1, Ordering::SeqCst);
        let file = self.backend.create(&table_path(&self.dir, id))?;
        Ok((
            TableWriter::new(file, id, self.opts.block_size, self.opts.compress),
            id,
        ))
    }

    fn open_table(&self, meta: TableMeta) -> Result<Arc<Table>> {
        let path = table_path(&self.dir, meta.id);
        let file = self.backend.open_read(&path)?;
        Table::open(file, meta, self.cache.clone(), path.display().to_string())
    }

    /// Writes the manifest from the trees' current versions. Caller holds the lock.
    fn write_manifest(&self, m: &mut Manifest, meta: u64) -> Result<()> {
        m.next_file_id = self.next_file.load(Ordering::SeqCst);
        m.meta = m.meta.max(meta);
        m.levels = self
            .trees
            .iter()
            .map(|t| {
                t.current()
                    .levels
                    .iter()
                    .map(|l| l.iter().map(|t| t.meta.clone()).collect())
                    .collect()
            })
            .collect();
        m.store(self.backend.as_ref(), &self.dir)
    }

    /// Flushes the oldest frozen memtable of `shard` to a level-0 table.
    /// `meta` is persisted in the manifest. Returns false when nothing was frozen.
    pub fn flush_one(&self, shard: usize, meta: u64) -> Result<bool> {
        let _serial = lock(&self.shard_locks[shard]);
        let Some(fz) = self.trees[shard].current().frozen.last().cloned() else {
            return Ok(false);
        };
        if fz.table.is_empty() {
            // Nothing to write: no table, no manifest update (this shard has no
            // records in those WAL segments, so replay finds none either).
            let mut m = lock(&self.manifest);
            self.trees[shard].update(|v| {
                let mut n = v.clone();
                n.frozen.retain(|f| !Arc::ptr_eq(&f.table, &fz.table));
                n
            });
            m.flushed[shard] = m.flushed[shard].max(fz.until_segment);
            drop(m);
            self.frozen_cv.notify_all();
            return Ok(true);
        }
        let table = {
            let (w, _) = self.new_table_writer()?;
            let mut w = w.cache_blocks(self.cache.clone());
            fz.table.for_each(|k, v| w.add(k, v))?;
            Some(self.open_table(w.finish()?)?)
        };
        self.backend.sync_dir(&self.dir)?;
        let mut m = lock(&self.manifest);
        // The flushed keys' table values are about to change: their cached
        // rows go first, so no reader of the new version finds them.
        let before = self.trees[shard].current();
        let flushes = before.flushes + 1;
        before.rows.flushed(flushes, &fz.table);
        self.trees[shard].update(|v| {
            let mut n = v.clone();
            n.frozen.retain(|f| !Arc::ptr_eq(&f.table, &fz.table));
            if let Some(t) = &table {
                n.levels[0].insert(0, t.clone());
            }
            n.flushes = flushes;
            n
        });
        m.flushed[shard] = m.flushed[shard].max(fz.until_segment);
        self.write_manifest(&mut m, meta)?;
        self.advance_log(&m)?;
        drop(m);
        self.frozen_cv.notify_all();
        Ok(true)
    }

    /// Runs one compaction step on `shard` if a level is over budget.
    /// Returns whether it did anything. Every entry is kept except a key that a
    /// newer input also holds (the older copy is shadowed for every reader).
    pub fn compact_one(&self, shard: usize) -> Result<bool> {
        self.compact_step(shard, self.opts.l0_trigger)
    }

    fn compact_step(&self, shard: usize, l0_trigger: usize) -> Result<bool> {
        let _serial = lock(&self.shard_locks[shard]);
        let v = self.trees[shard].current();
        let nlevels = v.levels.len();
        let mut pick: Option<(usize, Vec<Arc<Table>>)> = None;
        if v.levels[0].len() >= l0_trigger {
            pick = Some((0, v.levels[0].clone()));
        } else {
            let mut budget = self.opts.l1_bytes;
            for i in 1..nlevels - 1 {
                if v.level_bytes(i) > budget {
                    if let Some(t) = v.levels[i].first() {
                        pick = Some((i, vec![t.clone()]));
                    }
                    break;
                }
                budget = budget.saturating_mul(self.opts.level_ratio);
            }
        }
        let Some((level, upper)) = pick else {
            return Ok(false);
        };
        let smallest = upper
            .iter()
            .map(|t| t.meta.smallest.clone())
            .min()
            .unwrap_or_default();
        let largest = upper
            .iter()
            .map(|t| t.meta.largest.clone())
            .max()
            .unwrap_or_default();
        let lower: Vec<Arc<Table>> = v.levels[level + 1]
            .iter()
            .filter(|t| t.meta.largest >= smallest && t.meta.smallest <= largest)
            .cloned()
            .collect();
        let range = Range::default();
        let mut sources: Vec<Box<dyn KvIter>> = Vec::new();
        for t in &upper {
            sources.push(Box::new(TableIter::new(t.clone(), range.clone())?));
        }
        sources.push(Box::new(LevelIter::new(&lower, range.clone())?));
        let mut it = MergeIter::new(sources, false)?;
        let mut outputs = Vec::new();
        let mut writer: Option<TableWriter> = None;
        while it.valid() {
            if writer.is_none() {
                writer = Some(self.new_table_writer()?.0);
            }
            if let Some(w) = writer.as_mut() {
                w.add(it.key(), it.value())?;
                if w.approximate_size() >= self.opts.table_bytes {
                    if let Some(w) = writer.take() {
                        outputs.push(self.open_table(w.finish()?)?);
                    }
                }
            }
            it.advance()?;
        }
        if let Some(w) = writer.take() {
            outputs.push(self.open_table(w.finish()?)?);
        }
        self.backend.sync_dir(&self.dir)?;
        let gone: std::collections::HashSet<u64> = upper
            .iter()
            .chain(lower.iter())
            .map(|t| t.meta.id)
            .collect();
        let mut m = lock(&self.manifest);
        self.trees[shard].update(|v| {
            let mut n = v.clone();
            n.levels[level].retain(|t| !gone.contains(&t.meta.id));
            n.levels[level + 1].retain(|t| !gone.contains(&t.meta.id));
            n.levels[level + 1].extend(outputs.iter().cloned());
            n.levels[level + 1].sort_by(|a, b| a.meta.smallest.cmp(&b.meta.smallest));
            n
        });
        let meta = m.meta;
        self.write_manifest(&mut m, meta)?;
        drop(m);
        // Readers holding the old version keep their open file handles.
        for id in gone {
            self.backend.remove(&table_path(&self.dir, id))?;
        }
        Ok(true)
    }

    /// Arms one background flush/compaction thread per shard; they start with
    /// the first memtable freeze. `meta` gives the value persisted with each flush.
    pub fn start_workers(self: &Arc<Self>, meta: MetaFn) {
        *lock(&self.me) = Arc::downgrade(self);
        *lock(&self.worker_meta) = Some(meta);
    }

    /// Wakes the workers to compact any shard whose level 0 is over its
    /// trigger (after explicit flushes, and on open).
    pub fn schedule_compaction(&self) {
        if self.read_only {
            return;
        }
        let due: Vec<bool> = self
            .trees
            .iter()
            .map(|t| t.current().levels[0].len() >= self.opts.l0_trigger)
            .collect();
        if !due.iter().any(|d| *d) {
            return;
        }
        self.ensure_workers();
        let mut w = lock(&self.work);
        for (p, d) in w.pending.iter_mut().zip(due) {
            *p |= d;
        }
        self.work_cv.notify_all();
    }

    fn ensure_workers(&self) {
        let Some(meta) = lock(&self.worker_meta).take() else {
            return;
        };
        let Some(me) = lock(&self.me).upgrade() else {
            return;
        };
        me.spawn_workers(meta);
    }

    fn spawn_workers(self: &Arc<Self>, meta: MetaFn) {
        let mut threads = lock(&self.threads);
        for shard in 0..self.shards() {
            let store = Arc::clone(self);
            let meta = meta.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("tensordb-shard-{shard}"))
                .spawn(move || store.worker(shard, meta));
            match spawned {
                Ok(h) => threads.push(h),
                Err(e) => self.fail(Error::io("spawn shard thread", e)),
            }
        }
    }

    fn worker(&self, shard: usize, meta: Arc<dyn Fn() -> u64 + Send + Sync>) {
        loop {
            {
                let mut w = lock(&self.work);
                while !w.pending[shard] && !w.shutdown {
                    w = self.work_cv.wait(w).unwrap_or_else(|p| p.into_inner());
                }
                if w.shutdown {
                    return;
                }
                w.pending[shard] = false;
            }
            if self.has_failed.load(Ordering::Acquire) {
                continue;
            }
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| -> Result<()> {
                while self.flush_one(shard, meta())? {}
                while self.compact_one(shard)? {}
                Ok(())
            }));
            match run {
                Ok(Ok(())) => {}
                Ok(Err(e)) => self.fail(e),
                Err(_) => self.fail(Error::internal("a flush or compaction thread panicked")),
            }
        }
    }

    /// Stops the workers (after their current step) and waits for them.
    pub fn stop_workers(&self) {
        lock(&self.worker_meta).take();
        lock(&self.work).shutdown = true;
        self.work_cv.notify_all();
        self.frozen_cv.notify_all();
        let threads: Vec<_> = lock(&self.threads).drain(..).collect();
        for t in threads {
            let _ = t.join();
        }
    }

    /// Flushes every memtable in the calling thread (used by close, after the
    /// caller started WAL segment `until_segment` and stopped the workers), so
    /// the next open has no log to replay.
    pub fn flush_all(&self, until_segment: u64, meta: u64) -> Result<()> {
        self.check_failed()?;
        for tree in &self.trees {
            tree.update(|v| {
                let mut n = v.clone();
                n.frozen.insert(
                    0,
                    Frozen {
                        table: v.active.clone(),
                        until_segment,
                    },
                );
                n.active = Arc::new(Memtable::new());
                n
            });
        }
        for shard in 0..self.shards() {
            while self.flush_one(shard, meta)? {}
        }
        Ok(())
    }

    /// Forces compaction of every shard until no level is over budget (tests, tools).
    pub fn compact_all(&self) -> Result<()> {
        for shard in 0..self.shards() {
            while self.compact_one(shard)? {}
        }
        Ok(())
    }

    /// Compacts level 0 of every shard into level 1 regardless of its size
    /// (tests and tools that want to exercise the compaction path).
    pub fn compact_level0(&self) -> Result<()> {
        for shard in 0..self.shards() {
            if !self.trees[shard].current().levels[0].is_empty() {
                self.compact_step(shard, 1)?;
            }
        }
        Ok(())
    }

    /// Table count per level for every shard (stats, tests).
    pub fn level_counts(&self) -> Vec<Vec<usize>> {
        self.trees
            .iter()
            .map(|t| t.current().levels.iter().map(|l| l.len()).collect())
            .collect()
    }

    /// Verifies the manifest, every block of every live table (see
    /// `Table::verify`) and every live WAL segment, reading from disk; adds
    /// what is wrong to `report` instead of failing. `progress(done, total)`
    /// is called in table bytes after each table.
    pub fn check(&self, report: &mut CheckReport, progress: &mut dyn FnMut(u64, u64)) {
        match Manifest::load(self.backend.as_ref(), &self.dir) {
            Ok(Some(_)) => {}
            Ok(None) if self.read_only => {}
            Ok(None) => report.problems.push(format!("{MANIFEST_FILE} is missing")),
            Err(e) => report.problems.push(e.message),
        }
        let versions: Vec<_> = self.trees.iter().map(|t| t.current()).collect();
        let tables: Vec<_> = versions
            .iter()
            .flat_map(|v| v.levels.iter().flatten().cloned())
            .collect();
        let total: u64 = tables.iter().map(|t| t.meta.size).sum();
        let mut done = 0u64;
        for t in &tables {
            match t.verify() {
                Ok(blocks) => report.blocks += blocks,
                Err(e) => report.problems.push(e.message),
            }
            report.tables += 1;
            done += t.meta.size;
            report.bytes += t.meta.size;
            progress(done, total);
        }
        let start = lock(&self.manifest).log_start();
        let mut segs: Vec<u64> = match self.backend.list(&self.dir) {
            Ok(names) => names.iter().filter_map(|n| parse_segment_name(n)).collect(),
            Err(e) => {
                report.problems.push(e.message);
                Vec::new()
            }
        };
        segs.retain(|&s| s >= start);
        segs.sort_unstable();
        let last = segs.last().copied();
        for seq in segs {
            let path = segment_path(&self.dir, seq);
            match self.backend.read_all(&path) {
                Ok(bytes) => {
                    let read = read_segment(&bytes);
                    report.wal_segments += 1;
                    report.wal_records += read.records.len() as u64;
                    // The newest segment may end in a write in flight.
                    if read.damaged_len > 0 && (read.corrupt || Some(seq) != last) {
                        report.problems.push(format!(
                            "{}: a damaged record at byte {} ({} intact record(s) after it)",
                            path.display(),
                            read.valid_len,
                            read.intact_after
                        ));
                    }
                }
                Err(e) => report.problems.push(e.message),
            }
        }
    }

    /// The manifest file path (tests).
    pub fn manifest_path(&self) -> PathBuf {
        self.dir.join(MANIFEST_FILE)
    }
}
