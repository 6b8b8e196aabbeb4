//! The write-ahead log: numbered segment files of framed records.
//!
//! A frame is `len: u32 LE | crc32(payload): u32 LE | payload`. The payload is
//! opaque here (the engine encodes commit batches into it). See docs/FORMAT.md.

use super::backend::{Backend, WritableFile};
use crate::error::Result;
use std::path::{Path, PathBuf};

/// Bytes of a frame header.
pub const FRAME_HEADER: usize = 8;
/// Largest payload a frame may carry; anything larger in a header is corruption.
pub const MAX_RECORD: usize = 1 << 30;

/// The file name of WAL segment `seq`.
pub fn segment_name(seq: u64) -> String {
    format!("wal-{seq:016}.log")
}

/// Parses a WAL segment file name back to its number.
pub fn parse_segment_name(name: &str) -> Option<u64> {
    name.strip_prefix("wal-")?
        .strip_suffix(".log")?
        .parse()
        .ok()
}

/// Appends one framed record to `buf`.
pub fn frame_into(buf: &mut Vec<u8>, payload: &[u8]) {
    buf.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    buf.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    buf.extend_from_slice(payload);
}

/// The records read back from one segment.
#[derive(Debug)]
pub struct SegmentRead<'a> {
    /// The intact records, in order.
    pub records: Vec<&'a [u8]>,
    /// Length of the intact prefix.
    pub valid_len: usize,
    /// Bytes after the intact prefix up to the last non-zero byte: a torn or
    /// corrupt tail (0 when the rest is preallocated zeros or nothing).
    pub damaged_len: usize,
    /// Intact frames found after the damage (0 for a torn tail).
    pub intact_after: usize,
    /// True when the damage is corruption rather than a torn tail: intact
    /// frames follow it, and it is not the zeroed sector an unsynced write
    /// leaves after a power loss.
    pub corrupt: bool,
}

/// Sector size assumed for writes that a power loss can leave unpersisted.
const SECTOR: usize = 512;

/// The frame starting at `pos`, if it is complete and its checksum holds.
fn frame_at(bytes: &[u8], pos: usize) -> Option<&[u8]> {
    let head = bytes.get(pos..pos + FRAME_HEADER)?;
    let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
    let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
    if len == 0 || len > MAX_RECORD {
        return None;
    }
    let payload = bytes.get(pos + FRAME_HEADER..pos + FRAME_HEADER + len)?;
    (crc32fast::hash(payload) == crc).then_some(payload)
}

/// Counts the intact frames after damage at `from` (up to `end`): resyncs
/// on the first offset where a whole frame checks out, then follows the
/// chain (resyncing again after further damage). Returns the count and the
/// offset of the first one.
fn intact_after(bytes: &[u8], from: usize, end: usize) -> (usize, Option<usize>) {
    let mut count = 0;
    let mut first = None;
    let mut pos = from + 1;
    while pos + FRAME_HEADER <= end {
        match frame_at(bytes, pos) {
            Some(p) => {
                first.get_or_insert(pos);
                count += 1;
                pos += FRAME_HEADER + p.len();
            }
            None => pos += 1,
        }
    }
    (count, first)
}

/// True when `[from, to)` holds a whole aligned sector of zeros: what a
/// write that was never persisted leaves in the preallocated log.
fn has_zero_sector(bytes: &[u8], from: usize, to: usize) -> bool {
    let mut s = from.div_ceil(SECTOR) * SECTOR;
    while s + SECTOR <= to {
        if bytes[s..s + SECTOR].iter().all(|&b| b == 0) {
            return true;
        }
        s += SECTOR;
    }
    false
}

/// Splits a segment's bytes into intact records, stopping at the first frame
/// that is incomplete, oversized or fails its checksum. Never panics.
pub fn read_segment(bytes: &[u8]) -> SegmentRead<'_> {
    let mut records = Vec::new();
    let mut pos = 0usize;
    while bytes.len() - pos >= FRAME_HEADER {
        let len = u32::from_le_bytes([bytes[pos], bytes[pos + 1], bytes[pos + 2], bytes[pos + 3]])
            as usize;
        let crc = u32::from_le_bytes([
            bytes[pos + 4],
            bytes[pos + 5],
            bytes[pos + 6],
            bytes[pos + 7],
        ]);
        if len == 0 || len > MAX_RECORD || bytes.len() - pos - FRAME_HEADER < len {
            break;
        }
        let payload = &bytes[pos + FRAME_HEADER..pos + FRAME_HEADER + len];
        if crc32fast::hash(payload) != crc {
            break;
        }
        records.push(payload);
        pos += FRAME_HEADER + len;
    }
    let tail = &bytes[pos..];
    let damaged_len = tail.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let (intact, first) = if damaged_len > 0 {
        intact_after(bytes, pos, pos + damaged_len)
    } else {
        (0, None)
    };
    let corrupt = first.is_some_and(|f| !has_zero_sector(bytes, pos, f));
    SegmentRead {
        records,
        valid_len: pos,
        damaged_len,
        intact_after: intact,
        corrupt,
    }
}

/// Bytes of zeros written ahead of the log end. Records then overwrite
/// already-allocated, already-synced blocks, so each fdatasync flushes data
/// only — no file-size (inode) update per commit.
pub const PREALLOCATE: u64 = 1 << 20;

/// The open, appendable tail segment of the log.
pub struct WalWriter {
    file: Box<dyn WritableFile>,
    seq: u64,
    buf: Vec<u8>,
    /// Logical end of the log (bytes of records written).
    pos: u64,
    /// Zeros are written and synced up to here.
    prepared: u64,
    unsynced: bool,
}

impl WalWriter {
    /// Creates segment `seq` in `dir`, preallocated, and makes it durable.
    pub fn create(backend: &dyn Backend, dir: &Path, seq: u64) -> Result<Self> {
        let file = backend.create(&segment_path(dir, seq))?;
        let mut w = WalWriter {
            file,
            seq,
            buf: Vec::with_capacity(64 * 1024),
            pos: 0,
            prepared: 0,
            unsynced: false,
        };
        w.prepare(PREALLOCATE)?;
        backend.sync_dir(dir)?;
        Ok(w)
    }

    /// Extends the zeroed, synced region to at least `upto` bytes.
    fn prepare(&mut self, upto: u64) -> Result<()> {
        let target = upto.div_ceil(PREALLOCATE) * PREALLOCATE;
        if target <= self.prepared {
            return Ok(());
        }
        let zeros = vec![0u8; (target - self.prepared) as usize];
        self.file.write_at(self.prepared, &zeros)?;
        self.file.sync()?;
        self.prepared = target;
        Ok(())
    }

    /// This segment's number.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Bytes of records in this segment so far (buffered ones included).
    pub fn len(&self) -> u64 {
        self.pos + self.buf.len() as u64
    }

    /// True when no record was written to this segment.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Buffers one record; `write` sends buffered records to the file.
    pub fn add(&mut self, payload: &[u8]) {
        frame_into(&mut self.buf, payload);
    }

    /// Writes every buffered record with one positional write.
    pub fn write(&mut self) -> Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let end = self.pos + self.buf.len() as u64;
        let res = self
            .prepare(end)
            .and_then(|_| self.file.write_at(self.pos, &self.buf));
        self.buf.clear();
        self.unsynced = true;
        res?;
        self.pos = end;
        Ok(())
    }

    /// Makes everything written durable (one fdatasync), if anything is pending.
    pub fn sync(&mut self) -> Result<()> {
        if self.unsynced {
            self.file.sync()?;
            self.unsynced = false;
        }
        Ok(())
    }

    /// True when written bytes are waiting for a sync.
    pub fn needs_sync(&self) -> bool {
        self.unsynced
    }
}

/// The path of segment `seq` in `dir`.
pub fn segment_path(dir: &Path, seq: u64) -> PathBuf {
    dir.join(segment_name(seq))
}
