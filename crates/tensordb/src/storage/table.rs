//! Reads an SSTable: verifies the footer, keeps the index block and bloom
//! filter in memory, and fetches data blocks through the block cache. Every
//! block is checksum-verified; a bad one is `TDB_CORRUPT` naming the file.

use super::backend::ReadableFile;
use super::block::{unseal, Block, BlockIter};
use super::bloom::may_contain;
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
    index: Arc<Block>,
    bloom: Vec<u8>,
    cache: Arc<BlockCache>,
    name: String,
}

fn decode_handle(v: &[u8]) -> Option<(u64, u32)> {
    Some((get_u64_le(v, 0)?, get_u32_le(v, 8)?))
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
        let bloom = unseal(&file.read_at(bloom_off, bloom_len as usize)?, &label)?;
        Ok(Arc::new(Table {
            meta,
            file,
            index,
            bloom,
            cache,
            name,
        }))
    }

    /// The table's file name, for errors.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn block(&self, handle: &[u8], cache_only: bool) -> Result<Arc<Block>> {
        let (off, len) = decode_handle(handle)
            .ok_or_else(|| Error::corrupt(format!("{}: bad block handle", self.name)))?;
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

    /// Looks up one exact key. With `cache_only`, a needed block that is not
    /// cached gives a `WouldBlock` error instead of reading the disk.
    pub fn get(&self, key: &[u8], cache_only: bool) -> Result<Option<Vec<u8>>> {
        if key < self.meta.smallest.as_slice() || key > self.meta.largest.as_slice() {
            return Ok(None);
        }
        if !may_contain(&self.bloom, key) {
            return Ok(None);
        }
        let mut idx = BlockIter::new(self.index.clone());
        idx.seek(key);
        if let Some(e) = idx.error.take() {
            return Err(Error::corrupt(format!("{}: {}", self.name, e.message)));
        }
        if !idx.valid() {
            return Ok(None);
        }
        let mut it = BlockIter::new(self.block(idx.value(), cache_only)?);
        it.seek(key);
        if let Some(e) = it.error.take() {
            return Err(Error::corrupt(format!("{}: {}", self.name, e.message)));
        }
        Ok((it.valid() && it.key() == key).then(|| it.value().to_vec()))
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
    index: BlockIter,
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
        let index = BlockIter::new(table.index.clone());
        let mut it = TableIter {
            table,
            range,
            cache_only,
            index,
            data: None,
        };
        if it.range.reverse {
            match it.range.upper.clone() {
                Some(u) => {
                    it.index.seek(&u);
                    if it.index.valid() {
                        it.load(|d| d.seek_before(&u))?;
                    } else {
                        it.index.seek_to_last();
                        it.load(|d| d.seek_to_last())?;
                    }
                }
                None => {
                    it.index.seek_to_last();
                    it.load(|d| d.seek_to_last())?;
                }
            }
        } else {
            let lower = it.range.lower.clone();
            it.index.seek(&lower);
            it.load(|d| d.seek(&lower))?;
        }
        it.settle()?;
        it.check_bounds();
        Ok(it)
    }

    fn corrupt(&self, e: Error) -> Error {
        Error::corrupt(format!("{}: {}", self.table.name, e.message))
    }

    /// Loads the block under the index cursor and positions it with `pos`.
    fn load(&mut self, pos: impl FnOnce(&mut BlockIter)) -> Result<()> {
        if let Some(e) = self.index.error.take() {
            return Err(self.corrupt(e));
        }
        if !self.index.valid() {
            self.data = None;
            return Ok(());
        }
        let block = self.table.block(self.index.value(), self.cache_only)?;
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
                None if !self.index.valid() => return Ok(()),
                _ => {}
            }
            if self.range.reverse {
                self.index.prev();
                self.load(|d| d.seek_to_last())?;
            } else {
                self.index.next();
                self.load(|d| d.seek_to_first())?;
            }
            if !self.index.valid() {
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
            self.index.seek_to_last();
            self.index.next();
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
        if self.index.valid() && target <= self.index.key() {
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
        self.index.seek(target);
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
