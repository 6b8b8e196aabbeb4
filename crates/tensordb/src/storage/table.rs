//! Reads an SSTable: verifies the footer, keeps the decoded index and bloom
//! filter in memory, and fetches data blocks through the block cache. Every
//! block is checksum-verified; a bad one is `TDB_CORRUPT` naming the file.

use super::backend::ReadableFile;
use super::block::{unseal, Block, BlockIter};
use super::bloom::may_contain_hash;
use super::cache::BlockCache;
use super::coding::{get_u32_le, get_u64_le};
use super::iter::{KvIter, Range};
use super::table_writer::{TableMeta, FOOTER_LEN, TABLE_FORMAT_VERSION, TABLE_MAGIC};
use crate::error::{Error, ErrorCode, Result};
use std::sync::Arc;

/// An open, immutable table.
pub struct Table {
    /// What the manifest says about this table.
    pub meta: TableMeta,
    file: Arc<dyn ReadableFile>,
    /// The index block, decoded (see `Separators`).
    separators: Separators,
    bloom: Vec<u8>,
    cache: Arc<BlockCache>,
    name: String,
}

fn decode_handle(v: &[u8]) -> Option<(u64, u32)> {
    Some((get_u64_le(v, 0)?, get_u32_le(v, 8)?))
}

/// The index block as flat arrays: each data block's separator key (>= its
/// last key) and handle. Reads binary-search it with one slice comparison
/// per step instead of decoding index entries (varints, prefix rebuilds) as
/// they go; the index block itself is dropped once decoded.
struct Separators {
    keys: Vec<u8>,
    /// Per block: end of its key in `keys`, then its handle.
    entries: Vec<(u32, u64, u32)>,
}

impl Separators {
    fn decode(index: &Arc<Block>) -> Result<Separators> {
        let mut it = BlockIter::new(index.clone());
        let (mut keys, mut entries) = (Vec::new(), Vec::new());
        it.seek_to_first();
        while it.valid() {
            keys.extend_from_slice(it.key());
            let (off, len) = decode_handle(it.value())
                .ok_or_else(|| Error::corrupt("bad block handle in the index"))?;
            let end =
                u32::try_from(keys.len()).map_err(|_| Error::corrupt("index block too large"))?;
            entries.push((end, off, len));
            it.next();
        }
        if let Some(e) = it.error.take() {
            return Err(e);
        }
        Ok(Separators { keys, entries })
    }

    fn key(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.entries[i - 1].0 };
        &self.keys[start as usize..self.entries[i].0 as usize]
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    /// The position of the first block whose separator is >= `key` (`len`
    /// when none is).
    fn seek(&self, key: &[u8]) -> usize {
        let (mut lo, mut hi) = (0, self.entries.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.key(mid) < key {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The handle of block `i`.
    fn handle(&self, i: usize) -> Option<(u64, u32)> {
        self.entries.get(i).map(|&(_, off, len)| (off, len))
    }
}

impl Table {
    /// Opens a table file, checking its footer, index and bloom filter.
    pub fn open(
        file: Arc<dyn ReadableFile>,
        meta: TableMeta,
        cache: Arc<BlockCache>,
        name: String,
    ) -> Result<Arc<Table>> {
        let len = file.len();
        let bad = |what: &str| Error::corrupt(format!("{name}: {what}"));
        if len < FOOTER_LEN as u64 {
            return Err(bad("file too short for a footer"));
        }
        let footer = file.read_at(len - FOOTER_LEN as u64, FOOTER_LEN)?;
        if get_u64_le(&footer, 40) != Some(TABLE_MAGIC) {
            return Err(bad("bad magic number (not a TensorDB table)"));
        }
        if get_u32_le(&footer, 36) != Some(crc32fast::hash(&footer[..36])) {
            return Err(bad("footer checksum mismatch"));
        }
        let version = get_u32_le(&footer, 32).unwrap_or(0);
        if version != TABLE_FORMAT_VERSION {
            return Err(bad(&format!("unsupported table format version {version}")));
        }
        let (index_off, index_len) = decode_handle(&footer[0..12]).ok_or_else(|| bad("footer"))?;
        let (bloom_off, bloom_len) = decode_handle(&footer[12..24]).ok_or_else(|| bad("footer"))?;
        let label = || name.clone();
        let index = Block::new(unseal(
            &file.read_at(index_off, index_len as usize)?,
            &label,
        )?)
        .map_err(|e| bad(&e.message))?;
        let separators = Separators::decode(&index).map_err(|e| bad(&e.message))?;
        let bloom = unseal(&file.read_at(bloom_off, bloom_len as usize)?, &label)?;
        Ok(Arc::new(Table {
            meta,
            file,
            separators,
            bloom,
            cache,
            name,
        }))
    }

    /// Verifies every byte of the table on disk, bypassing the cache: the
    /// footer (reopened), every data block's checksum and entry order, and
    /// that the data blocks, bloom filter, index and footer tile the file
    /// (so no byte lies outside a checksum). Returns the blocks read.
    pub fn verify(&self) -> Result<u64> {
        let bad = |what: String| Error::corrupt(format!("{}: {what}", self.name));
        let len = self.file.len();
        let footer = self.file.read_at(len - FOOTER_LEN as u64, FOOTER_LEN)?;
        if get_u64_le(&footer, 40) != Some(TABLE_MAGIC)
            || get_u32_le(&footer, 36) != Some(crc32fast::hash(&footer[..36]))
        {
            return Err(bad("footer checksum mismatch".into()));
        }
        let (index_off, index_len) =
            decode_handle(&footer[0..12]).ok_or_else(|| bad("footer".into()))?;
        let (bloom_off, bloom_len) =
            decode_handle(&footer[12..24]).ok_or_else(|| bad("footer".into()))?;
        let label = || self.name.clone();
        unseal(&self.file.read_at(index_off, index_len as usize)?, &label)?;
        unseal(&self.file.read_at(bloom_off, bloom_len as usize)?, &label)?;
        let mut pos = 0u64;
        let mut last: Option<Vec<u8>> = None;
        for i in 0..self.separators.len() {
            let Some((off, blen)) = self.separators.handle(i) else {
                return Err(bad(format!("index entry {i} has no handle")));
            };
            if off != pos {
                return Err(bad(format!(
                    "data block {i} does not follow the one before it"
                )));
            }
            let block = Block::new(unseal(&self.file.read_at(off, blen as usize)?, &label)?)
                .map_err(|e| bad(e.message))?;
            let mut it = BlockIter::new(block);
            it.seek_to_first();
            while it.valid() {
                if last.as_deref().is_some_and(|l| l >= it.key()) {
                    return Err(bad(format!("keys out of order in data block {i}")));
                }
                if it.key() > self.separators.key(i) {
                    return Err(bad(format!(
                        "a key of data block {i} is past its separator"
                    )));
                }
                last = Some(it.key().to_vec());
                it.next();
            }
            if let Some(e) = it.error.take() {
                return Err(bad(e.message));
            }
            pos = off + blen as u64;
        }
        if pos != bloom_off
            || bloom_off + bloom_len as u64 != index_off
            || index_off + index_len as u64 + FOOTER_LEN as u64 != len
        {
            return Err(bad("the blocks do not cover the file exactly".into()));
        }
        Ok(self.separators.len() as u64 + 2)
    }

    /// The table's file name, for errors.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn block_at(&self, off: u64, len: u32, cache_only: bool) -> Result<Arc<Block>> {
        if let Some(b) = self.cache.get(self.meta.id, off) {
            return Ok(b);
        }
        if cache_only {
            return Err(Error::new(ErrorCode::WouldBlock, "block not cached"));
        }
        let raw = unseal(&self.file.read_at(off, len as usize)?, &|| {
            self.name.clone()
        })?;
        let block =
            Block::new(raw).map_err(|e| Error::corrupt(format!("{}: {}", self.name, e.message)))?;
        self.cache.insert(self.meta.id, off, block.clone());
        Ok(block)
    }

    /// Looks up one exact key whose `hash64` is `hash` (for the bloom
    /// filter) and maps its value in place with `f`. With `cache_only`, a
    /// needed block that is not cached gives a `WouldBlock` error instead of
    /// reading the disk.
    pub fn get_with<R>(
        &self,
        key: &[u8],
        hash: u64,
        cache_only: bool,
        f: impl FnOnce(&[u8]) -> R,
    ) -> Result<Option<R>> {
        if key < self.meta.smallest.as_slice() || key > self.meta.largest.as_slice() {
            return Ok(None);
        }
        if !may_contain_hash(&self.bloom, hash) {
            return Ok(None);
        }
        let Some((off, len)) = self.separators.handle(self.separators.seek(key)) else {
            return Ok(None);
        };
        let block = self.block_at(off, len, cache_only)?;
        match block.get(key) {
            Ok(v) => Ok(v.map(f)),
            Err(e) => Err(Error::corrupt(format!("{}: {}", self.name, e.message))),
        }
    }

    /// True when the table's key span overlaps `range`.
    pub fn overlaps(&self, range: &Range) -> bool {
        self.meta.largest.as_slice() >= range.lower.as_slice()
            && range
                .upper
                .as_deref()
                .is_none_or(|u| self.meta.smallest.as_slice() < u)
    }
}

/// Iterates one table over a range, loading blocks lazily.
pub struct TableIter {
    table: Arc<Table>,
    range: Range,
    cache_only: bool,
    /// Position of the current data block in the table's separators
    /// (`len` when past either end).
    index: usize,
    data: Option<BlockIter>,
}

impl TableIter {
    /// Positions a new iterator on the first entry of `range` in its direction.
    pub fn new(table: Arc<Table>, range: Range) -> Result<Self> {
        Self::with_cache_only(table, range, false)
    }

    /// Like `new`; with `cache_only`, a block that is not cached gives a
    /// `WouldBlock` error instead of a disk read.
    pub fn with_cache_only(table: Arc<Table>, range: Range, cache_only: bool) -> Result<Self> {
        let mut it = TableIter {
            table,
            range,
            cache_only,
            index: 0,
            data: None,
        };
        if it.range.reverse {
            match it.range.upper.clone() {
                Some(u) => {
                    it.index = it.table.separators.seek(&u);
                    if it.index_valid() {
                        it.load(|d| d.seek_before(&u))?;
                    } else {
                        it.index_to_last();
                        it.load(|d| d.seek_to_last())?;
                    }
                }
                None => {
                    it.index_to_last();
                    it.load(|d| d.seek_to_last())?;
                }
            }
        } else {
            let lower = std::mem::take(&mut it.range.lower);
            it.index = it.table.separators.seek(&lower);
            it.load(|d| d.seek(&lower))?;
            it.range.lower = lower;
        }
        it.settle()?;
        it.check_bounds();
        Ok(it)
    }

    fn corrupt(&self, e: Error) -> Error {
        Error::corrupt(format!("{}: {}", self.table.name, e.message))
    }

    fn index_valid(&self) -> bool {
        self.index < self.table.separators.len()
    }

    /// Moves the index cursor to the last block (past the end when none).
    fn index_to_last(&mut self) {
        let n = self.table.separators.len();
        self.index = if n == 0 { 0 } else { n - 1 };
    }

    fn index_invalidate(&mut self) {
        self.index = self.table.separators.len();
    }

    /// Loads the block under the index cursor and positions it with `pos`.
    fn load(&mut self, pos: impl FnOnce(&mut BlockIter)) -> Result<()> {
        let Some((off, len)) = self.table.separators.handle(self.index) else {
            self.data = None;
            return Ok(());
        };
        let block = self.table.block_at(off, len, self.cache_only)?;
        let mut d = BlockIter::new(block);
        pos(&mut d);
        if let Some(e) = d.error.take() {
            return Err(self.corrupt(e));
        }
        self.data = Some(d);
        Ok(())
    }

    /// Skips exhausted blocks in the iterator's direction.
    fn settle(&mut self) -> Result<()> {
        loop {
            match &self.data {
                Some(d) if d.valid() => return Ok(()),
                None if !self.index_valid() => return Ok(()),
                _ => {}
            }
            // A block is loaded only when the range can reach it: the next
            // block's keys are all above this block's separator (its last
            // key), the previous block's all at or below its own. So a scan
            // never reads (and checksums) a block just to find it is past
            // the range — which matters when that block holds a huge value.
            if self.range.reverse {
                if self.index == 0
                    || self.index_valid()
                        && self.table.separators.key(self.index - 1) < self.range.lower.as_slice()
                {
                    self.index_invalidate();
                } else {
                    self.index -= 1;
                }
                self.load(|d| d.seek_to_last())?;
            } else {
                let past = self.index_valid()
                    && self
                        .range
                        .upper
                        .as_deref()
                        .is_some_and(|u| u <= self.table.separators.key(self.index));
                self.index = if past {
                    self.table.separators.len()
                } else {
                    (self.index + 1).min(self.table.separators.len())
                };
                self.load(|d| d.seek_to_first())?;
            }
            if !self.index_valid() {
                self.data = None;
                return Ok(());
            }
        }
    }

    fn check_bounds(&mut self) {
        let out = match &self.data {
            Some(d) if d.valid() => !self.range.contains(d.key()),
            _ => false,
        };
        if out {
            self.data = None;
            self.index_invalidate();
        }
    }
}

impl KvIter for TableIter {
    fn valid(&self) -> bool {
        matches!(&self.data, Some(d) if d.valid())
    }
    fn key(&self) -> &[u8] {
        self.data.as_ref().map(|d| d.key()).unwrap_or(&[])
    }
    fn value(&self) -> &[u8] {
        self.data.as_ref().map(|d| d.value()).unwrap_or(&[])
    }
    fn advance(&mut self) -> Result<()> {
        if let Some(d) = &mut self.data {
            if self.range.reverse {
                d.prev();
            } else {
                d.next();
            }
            if let Some(e) = d.error.take() {
                return Err(self.corrupt(e));
            }
        }
        self.settle()?;
        self.check_bounds();
        Ok(())
    }

    fn seek_forward(&mut self, target: &[u8]) -> Result<()> {
        if self.range.reverse || !self.valid() || self.key() >= target {
            return Ok(());
        }
        // A target inside the current block (the index entry bounds its
        // keys): step there, a few entries at most, without leaving it.
        if self.index_valid() && target <= self.table.separators.key(self.index) {
            if let Some(d) = &mut self.data {
                let mut steps = 0;
                while d.valid() && d.key() < target && steps < 16 {
                    d.next();
                    steps += 1;
                }
                if let Some(e) = d.error.take() {
                    return Err(self.corrupt(e));
                }
                if !d.valid() || d.key() >= target {
                    self.settle()?;
                    self.check_bounds();
                    return Ok(());
                }
                d.seek(target);
                if let Some(e) = d.error.take() {
                    return Err(self.corrupt(e));
                }
                self.settle()?;
                self.check_bounds();
                return Ok(());
            }
        }
        self.index = self.table.separators.seek(target);
        self.load(|d| d.seek(target))?;
        self.settle()?;
        self.check_bounds();
        Ok(())
    }
}

/// Iterates the tables of one sorted level (non-overlapping, ascending) as one run.
pub struct LevelIter {
    tables: Vec<Arc<Table>>,
    range: Range,
    cache_only: bool,
    next_table: usize,
    current: Option<TableIter>,
}

impl LevelIter {
    /// Positions on the first entry of `range` across `tables`.
    pub fn new(tables: &[Arc<Table>], range: Range) -> Result<Self> {
        Self::with_cache_only(tables, range, false)
    }

    /// Like `new`, reading only cached blocks when `cache_only` is set.
    pub fn with_cache_only(tables: &[Arc<Table>], range: Range, cache_only: bool) -> Result<Self> {
        let mut tables: Vec<Arc<Table>> = tables
            .iter()
            .filter(|t| t.overlaps(&range))
            .cloned()
            .collect();
        if range.reverse {
            tables.reverse();
        }
        let mut it = LevelIter {
            tables,
            range,
            cache_only,
            next_table: 0,
            current: None,
        };
        it.settle()?;
        Ok(it)
    }

    fn settle(&mut self) -> Result<()> {
        while !self.current.as_ref().is_some_and(|c| c.valid()) {
            let Some(t) = self.tables.get(self.next_table) else {
                self.current = None;
                return Ok(());
            };
            self.next_table += 1;
            self.current = Some(TableIter::with_cache_only(
                t.clone(),
                self.range.clone(),
                self.cache_only,
            )?);
        }
        Ok(())
    }
}

impl KvIter for LevelIter {
    fn valid(&self) -> bool {
        self.current.as_ref().is_some_and(|c| c.valid())
    }
    fn key(&self) -> &[u8] {
        self.current.as_ref().map(|c| c.key()).unwrap_or(&[])
    }
    fn value(&self) -> &[u8] {
        self.current.as_ref().map(|c| c.value()).unwrap_or(&[])
    }
    fn advance(&mut self) -> Result<()> {
        if let Some(c) = &mut self.current {
            c.advance()?;
        }
        self.settle()
    }

    fn seek_forward(&mut self, target: &[u8]) -> Result<()> {
        if self.range.reverse || !self.valid() || self.key() >= target {
            return Ok(());
        }
        // Tables are sorted and disjoint: skip those ending before target.
        let skip =
            self.tables[self.next_table..].partition_point(|t| t.meta.largest.as_slice() < target);
        let current_ends_before = self.next_table > 0
            && self.tables[self.next_table - 1].meta.largest.as_slice() < target;
        if current_ends_before {
            self.current = None;
            self.next_table += skip;
            let mut range = self.range.clone();
            range.lower = target.to_vec();
            if let Some(t) = self.tables.get(self.next_table) {
                self.next_table += 1;
                self.current = Some(TableIter::with_cache_only(
                    t.clone(),
                    range,
                    self.cache_only,
                )?);
            }
        } else if let Some(c) = &mut self.current {
            c.seek_forward(target)?;
        }
        self.settle()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::backend::Backend;
    use crate::storage::mem_backend::MemBackend;
    use crate::storage::table_writer::TableWriter;
    use std::path::Path;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// A file that counts the bytes read from it.
    struct Counting(Arc<dyn ReadableFile>, Arc<AtomicU64>);

    impl ReadableFile for Counting {
        fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>> {
            self.1.fetch_add(len as u64, Ordering::Relaxed);
            self.0.read_at(offset, len)
        }
        fn len(&self) -> u64 {
            self.0.len()
        }
    }

    #[test]
    fn a_huge_value_is_never_read_by_scans_of_its_neighbours() {
        let backend = MemBackend::new();
        let path = Path::new("/t.sst");
        let mut w = TableWriter::new(backend.create(path).unwrap(), 1, 4096, false);
        for i in 0..100 {
            w.add(format!("a{i:03}").as_bytes(), b"small").unwrap();
        }
        w.add(b"m-big", &vec![7u8; 1 << 20]).unwrap();
        for i in 0..100 {
            w.add(format!("z{i:03}").as_bytes(), b"small").unwrap();
        }
        let meta = w.finish().unwrap();
        let read = Arc::new(AtomicU64::new(0));
        let file = Arc::new(Counting(backend.open_read(path).unwrap(), read.clone()));
        let cache = Arc::new(BlockCache::new(0));
        let table = Table::open(file, meta, cache, "t".into()).unwrap();
        for (range, want) in [
            (Range::prefix(b"a"), 100),
            (Range::prefix(b"z"), 100),
            (
                Range {
                    reverse: true,
                    ..Range::prefix(b"z")
                },
                100,
            ),
        ] {
            read.store(0, Ordering::Relaxed);
            let mut it = TableIter::new(table.clone(), range).unwrap();
            let mut n = 0;
            while it.valid() {
                n += 1;
                it.advance().unwrap();
            }
            assert_eq!(n, want);
            assert!(
                read.load(Ordering::Relaxed) < 64 << 10,
                "read {} bytes",
                read.load(Ordering::Relaxed)
            );
        }
        // The value itself is still there.
        let mut it = TableIter::new(table, Range::prefix(b"m-")).unwrap();
        assert!(it.valid() && it.value().len() == 1 << 20);
        it.advance().unwrap();
        assert!(!it.valid());
    }
}
