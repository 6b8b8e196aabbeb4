//! Writes an SSTable: data blocks, a bloom filter, an index block and a
//! fixed-size footer. Layout in docs/FORMAT.md.

use super::backend::WritableFile;
use super::block::{seal, Block, BlockBuilder};
use super::bloom::BloomBuilder;
use super::cache::BlockCache;
use crate::error::Result;
use std::sync::Arc;

/// Magic number at the very end of every SSTable ("TDBSST01" as LE u64 bytes).
pub const TABLE_MAGIC: u64 = u64::from_le_bytes(*b"TDBSST01");
/// SSTable format version written by this build.
pub const TABLE_FORMAT_VERSION: u32 = 1;
/// Footer size in bytes.
pub const FOOTER_LEN: usize = 48;
/// Bloom filter bits per key.
const BLOOM_BITS_PER_KEY: usize = 10;

/// What a finished table holds, recorded in the manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableMeta {
    /// The file's number (names it `<id>.sst`).
    pub id: u64,
    /// File size in bytes.
    pub size: u64,
    /// Number of entries.
    pub entries: u64,
    /// Smallest key.
    pub smallest: Vec<u8>,
    /// Largest key.
    pub largest: Vec<u8>,
}

/// Streams sorted entries into a new table file.
pub struct TableWriter {
    file: Box<dyn WritableFile>,
    id: u64,
    data: BlockBuilder,
    index: BlockBuilder,
    bloom: BloomBuilder,
    block_size: usize,
    compress: bool,
    entries: u64,
    smallest: Option<Vec<u8>>,
    largest: Vec<u8>,
    /// Where written data blocks also go (see `cache_blocks`).
    cache: Option<Arc<BlockCache>>,
    /// The last flushed block's (last key, handle), indexed once the next
    /// key is known (see `separator`).
    pending: Option<(Vec<u8>, [u8; 12])>,
}

/// A short key `s` with `last <= s < next`: the index entry between two
/// data blocks. Readers only need `s >= last` (every key of the block is at
/// or below it); `s < next` also tells a scan whose range ends at or before
/// `s` that the next block is past it, so it is never read (a block holding
/// one huge value is not read by a scan that stops before it).
pub fn separator(last: &[u8], next: &[u8]) -> Vec<u8> {
    let i = last.iter().zip(next).take_while(|(a, b)| a == b).count();
    if i < last.len() && i < next.len() && last[i] < 0xFF && last[i] + 1 < next[i] {
        let mut s = last[..=i].to_vec();
        s[i] += 1;
        return s;
    }
    last.to_vec()
}

impl TableWriter {
    /// Starts a table in `file`, cutting data blocks at about `block_size` bytes.
    pub fn new(file: Box<dyn WritableFile>, id: u64, block_size: usize, compress: bool) -> Self {
        TableWriter {
            file,
            id,
            data: BlockBuilder::default(),
            index: BlockBuilder::with_restart_interval(1),
            bloom: BloomBuilder::default(),
            block_size,
            compress,
            entries: 0,
            smallest: None,
            largest: Vec::new(),
            cache: None,
            pending: None,
        }
    }

    /// Also puts every data block written into `cache`, decoded: rows just
    /// flushed from a memtable are the likeliest to be read next, and would
    /// otherwise each cost a file read, a checksum and a decompression
    /// the first time (flushes use it; compactions, which rewrite older
    /// data in bulk, do not).
    pub fn cache_blocks(mut self, cache: Arc<BlockCache>) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Adds an entry; keys must be strictly ascending.
    pub fn add(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        // An entry as large as a block gets a block of its own, so reads of
        // its neighbours never load (and checksum) it.
        if key.len() + value.len() >= self.block_size && !self.data.is_empty() {
            self.flush_block()?;
        }
        if let Some((last, handle)) = self.pending.take() {
            self.index.add(&separator(&last, key), &handle);
        }
        if self.smallest.is_none() {
            self.smallest = Some(key.to_vec());
        }
        self.largest.clear();
        self.largest.extend_from_slice(key);
        self.bloom.add(key);
        self.data.add(key, value);
        self.entries += 1;
        if self.data.size() >= self.block_size {
            self.flush_block()?;
        }
        Ok(())
    }

    /// Bytes written so far (data blocks only), to decide where to split outputs.
    pub fn approximate_size(&self) -> u64 {
        self.file.len() + self.data.size() as u64
    }

    fn flush_block(&mut self) -> Result<()> {
        if self.data.is_empty() {
            return Ok(());
        }
        let last = self.data.last_key().to_vec();
        let raw = self.data.finish();
        let sealed = seal(&raw, self.compress);
        let offset = self.file.len();
        let handle = encode_handle(offset, sealed.len() as u32);
        self.file.append(&sealed)?;
        self.pending = Some((last, handle));
        if let Some(cache) = &self.cache {
            cache.insert(self.id, offset, Block::new(raw)?);
        }
        Ok(())
    }

    /// Writes bloom, index and footer, and syncs the file.
    pub fn finish(mut self) -> Result<TableMeta> {
        self.flush_block()?;
        if let Some((last, handle)) = self.pending.take() {
            self.index.add(&last, &handle);
        }
        let bloom = seal(&self.bloom.build(BLOOM_BITS_PER_KEY), false);
        let bloom_off = self.file.len();
        self.file.append(&bloom)?;
        let index = seal(&self.index.finish(), self.compress);
        let index_off = self.file.len();
        self.file.append(&index)?;
        let mut footer = Vec::with_capacity(FOOTER_LEN);
        footer.extend_from_slice(&index_off.to_le_bytes());
        footer.extend_from_slice(&(index.len() as u32).to_le_bytes());
        footer.extend_from_slice(&bloom_off.to_le_bytes());
        footer.extend_from_slice(&(bloom.len() as u32).to_le_bytes());
        footer.extend_from_slice(&self.entries.to_le_bytes());
        footer.extend_from_slice(&TABLE_FORMAT_VERSION.to_le_bytes());
        let crc = crc32fast::hash(&footer);
        footer.extend_from_slice(&crc.to_le_bytes());
        footer.extend_from_slice(&TABLE_MAGIC.to_le_bytes());
        self.file.append(&footer)?;
        self.file.sync()?;
        Ok(TableMeta {
            id: self.id,
            size: self.file.len(),
            entries: self.entries,
            smallest: self.smallest.unwrap_or_default(),
            largest: self.largest,
        })
    }
}

/// Encodes a block handle: `offset: u64 LE | len: u32 LE`.
pub fn encode_handle(offset: u64, len: u32) -> [u8; 12] {
    let mut h = [0u8; 12];
    h[..8].copy_from_slice(&offset.to_le_bytes());
    h[8..].copy_from_slice(&len.to_le_bytes());
    h
}

#[cfg(test)]
mod tests {
    use super::separator;

    #[test]
    fn separators_lie_between_the_blocks() {
        for (a, b) in [
            (&b"\x01a999"[..], &b"\x01zbig"[..]),
            (b"abc", b"abd"),
            (b"abc", b"abcd"),
            (b"a\xff", b"b"),
            (b"", b"a"),
            (b"ab", b"b"),
        ] {
            let s = separator(a, b);
            assert!(
                a <= s.as_slice() && s.as_slice() < b,
                "{a:?} {b:?} -> {s:?}"
            );
        }
        assert_eq!(separator(b"\x01a999", b"\x01zbig"), b"\x01b");
    }
}
