//! Data and index blocks: sorted entries with prefix-compressed keys and
//! restart points for binary search, plus the on-disk block envelope
//! (optional LZ4 compression and a CRC32). Layout in docs/FORMAT.md.

use super::coding::{get_u32_le, get_varint, put_varint};
use crate::error::{Error, Result};
use std::sync::Arc;

/// Entries between restart points.
pub const RESTART_INTERVAL: usize = 8;
/// Envelope type byte: stored as is.
const RAW: u8 = 0;
/// Envelope type byte: LZ4 block with the uncompressed size prepended.
const LZ4: u8 = 1;

/// Builds one block from keys added in ascending order.
pub struct BlockBuilder {
    buf: Vec<u8>,
    restarts: Vec<u32>,
    last_key: Vec<u8>,
    count: usize,
    interval: usize,
}

impl Default for BlockBuilder {
    fn default() -> Self {
        Self::with_restart_interval(RESTART_INTERVAL)
    }
}

impl BlockBuilder {
    /// A builder placing a restart point every `interval` entries (index
    /// blocks use 1, so a seek is a pure binary search).
    pub fn with_restart_interval(interval: usize) -> Self {
        BlockBuilder {
            buf: Vec::new(),
            restarts: Vec::new(),
            last_key: Vec::new(),
            count: 0,
            interval: interval.max(1),
        }
    }

    /// Adds an entry; keys must ascend.
    pub fn add(&mut self, key: &[u8], value: &[u8]) {
        let shared = if self.count.is_multiple_of(self.interval) {
            self.restarts.push(self.buf.len() as u32);
            0
        } else {
            key.iter()
                .zip(self.last_key.iter())
                .take_while(|(a, b)| a == b)
                .count()
        };
        put_varint(&mut self.buf, shared as u64);
        put_varint(&mut self.buf, (key.len() - shared) as u64);
        put_varint(&mut self.buf, value.len() as u64);
        self.buf.extend_from_slice(&key[shared..]);
        self.buf.extend_from_slice(value);
        self.last_key.clear();
        self.last_key.extend_from_slice(key);
        self.count += 1;
    }

    /// Approximate size of the finished block.
    pub fn size(&self) -> usize {
        self.buf.len() + self.restarts.len() * 4 + 4
    }

    /// True when nothing was added.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The last key added.
    pub fn last_key(&self) -> &[u8] {
        &self.last_key
    }

    /// Finishes the block (uncompressed bytes) and resets the builder.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = std::mem::take(&mut self.buf);
        for r in &self.restarts {
            out.extend_from_slice(&r.to_le_bytes());
        }
        out.extend_from_slice(&(self.restarts.len() as u32).to_le_bytes());
        self.restarts.clear();
        self.last_key.clear();
        self.count = 0;
        out
    }
}

/// Wraps block bytes for disk: compress when it pays, then `type | crc32`.
pub fn seal(raw: &[u8], compress: bool) -> Vec<u8> {
    let mut out = if compress {
        let c = lz4_flex::compress_prepend_size(raw);
        if c.len() < raw.len() - raw.len() / 8 {
            let mut c = c;
            c.push(LZ4);
            c
        } else {
            let mut r = raw.to_vec();
            r.push(RAW);
            r
        }
    } else {
        let mut r = raw.to_vec();
        r.push(RAW);
        r
    };
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Checks and unwraps a sealed block; `what` names the file for the error.
pub fn unseal(sealed: &[u8], what: &dyn Fn() -> String) -> Result<Vec<u8>> {
    if sealed.len() < 5 {
        return Err(Error::corrupt(format!("{}: block too short", what())));
    }
    let body = &sealed[..sealed.len() - 4];
    let crc = get_u32_le(sealed, sealed.len() - 4).unwrap_or(0);
    if crc32fast::hash(body) != crc {
        return Err(Error::corrupt(format!(
            "{}: block checksum mismatch",
            what()
        )));
    }
    let (payload, kind) = (&body[..body.len() - 1], body[body.len() - 1]);
    match kind {
        RAW => Ok(payload.to_vec()),
        LZ4 => lz4_flex::decompress_size_prepended(payload)
            .map_err(|e| Error::corrupt(format!("{}: bad LZ4 block: {e}", what()))),
        other => Err(Error::corrupt(format!(
            "{}: unknown block type {other}",
            what()
        ))),
    }
}

/// A decoded block, shared by iterators and the cache.
pub struct Block {
    data: Vec<u8>,
    restarts_at: usize,
    num_restarts: usize,
}

impl Block {
    /// Validates the restart array of uncompressed block bytes.
    pub fn new(data: Vec<u8>) -> Result<Arc<Block>> {
        let bad = || Error::corrupt("block restart array is malformed");
        if data.len() < 4 {
            return Err(bad());
        }
        let n = get_u32_le(&data, data.len() - 4).ok_or_else(bad)? as usize;
        let restarts_at = (data.len() - 4).checked_sub(n.checked_mul(4).ok_or_else(bad)?);
        let restarts_at = restarts_at.ok_or_else(bad)?;
        if n == 0 {
            return Err(bad());
        }
        Ok(Arc::new(Block {
            data,
            restarts_at,
            num_restarts: n,
        }))
    }

    /// Memory held by this block (for the cache's byte budget).
    pub fn charge(&self) -> usize {
        self.data.len() + 64
    }

    fn restart(&self, i: usize) -> usize {
        get_u32_le(&self.data, self.restarts_at + i * 4).unwrap_or(0) as usize
    }
}

/// An entry as `entry_at` reads it: bytes shared with the previous key, and
/// the byte ranges of the key's new bytes and of the value.
type Entry = (usize, (usize, usize), (usize, usize));

/// The entry at `p`; `None` when malformed or past `end`.
fn entry_at(d: &[u8], mut p: usize, end: usize) -> Option<Entry> {
    let shared = get_varint(d, &mut p)? as usize;
    let unshared = get_varint(d, &mut p)? as usize;
    let vlen = get_varint(d, &mut p)? as usize;
    let kend = p.checked_add(unshared)?;
    let vend = kend.checked_add(vlen)?;
    if vend > end {
        return None;
    }
    Some((shared, (p, kend), (kend, vend)))
}

impl Block {
    /// The key stored at restart point `i`, read in place (restart entries
    /// share no prefix); `None` when malformed.
    fn restart_key(&self, i: usize) -> Option<&[u8]> {
        match entry_at(&self.data, self.restart(i), self.restarts_at)? {
            (0, (ks, ke), _) => Some(&self.data[ks..ke]),
            _ => None,
        }
    }

    /// The value stored under exactly `target`, found without rebuilding
    /// keys: a binary search over the restart points, then a walk that
    /// tracks how much of `target` the previous key matched, comparing each
    /// entry's new bytes only (a point read's path; `BlockIter` serves
    /// scans). `Err` when the block is malformed.
    pub fn get(&self, target: &[u8]) -> Result<Option<&[u8]>> {
        let bad = || Error::corrupt("block entry is malformed");
        let d = &self.data;
        let end = self.restarts_at;
        // The last restart whose key is <= target.
        let (mut lo, mut hi) = (0usize, self.num_restarts);
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if self.restart_key(mid).ok_or_else(bad)? <= target {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let stop = if lo + 1 < self.num_restarts {
            self.restart(lo + 1)
        } else {
            end
        };
        let mut p = self.restart(lo);
        // `m`: how many leading bytes of `target` the previous key matched
        // (that key is below `target`).
        let mut m = 0usize;
        let mut first = true;
        while p < stop {
            let (shared, (ks, ke), (vs, ve)) = entry_at(d, p, end).ok_or_else(bad)?;
            p = ve;
            if first {
                if shared != 0 {
                    return Err(bad());
                }
                first = false;
            } else if shared < m {
                // Differs from the previous key — which matched target up to
                // `m` — at a byte inside that match, upward: above target.
                return Ok(None);
            } else if shared > m {
                // Same bytes as the previous key through `m`: still below.
                continue;
            }
            let delta = &d[ks..ke];
            let rest = target.get(m..).unwrap_or_default();
            let c = delta.iter().zip(rest).take_while(|(a, b)| a == b).count();
            match (c == delta.len(), c == rest.len()) {
                (true, true) => return Ok(Some(&d[vs..ve])),
                (true, false) => m += c,
                (false, true) => return Ok(None),
                (false, false) if delta[c] < rest[c] => m += c,
                (false, false) => return Ok(None),
            }
        }
        Ok(None)
    }
}

/// A cursor over one block. All decoding is bounds-checked; a malformed entry
/// makes the iterator invalid and records a `TDB_CORRUPT` error.
pub struct BlockIter {
    block: Arc<Block>,
    /// Offset of the current entry; `end` when invalid.
    pos: usize,
    next: usize,
    key: Vec<u8>,
    val: (usize, usize),
    /// Set when decoding hit malformed bytes.
    pub error: Option<Error>,
}

impl BlockIter {
    /// A cursor positioned before the first entry (invalid until a seek).
    pub fn new(block: Arc<Block>) -> Self {
        let end = block.restarts_at;
        BlockIter {
            block,
            pos: end,
            next: end,
            // Room for typical keys up front: one allocation, not a few
            // growths while seeking.
            key: Vec::with_capacity(64),
            val: (0, 0),
            error: None,
        }
    }

    fn end(&self) -> usize {
        self.block.restarts_at
    }

    /// True while standing on an entry.
    pub fn valid(&self) -> bool {
        self.pos < self.end()
    }

    /// The current key.
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// The current value.
    pub fn value(&self) -> &[u8] {
        &self.block.data[self.val.0..self.val.1]
    }

    /// Decodes the entry at `off` on top of the current key (which must be the
    /// previous entry's key, or anything at a restart point).
    fn decode_at(&mut self, off: usize) -> bool {
        let d = &self.block.data;
        match entry_at(d, off, self.block.restarts_at) {
            Some((shared, (ks, ke), (vs, ve))) if shared <= self.key.len() => {
                self.key.truncate(shared);
                self.key.extend_from_slice(&d[ks..ke]);
                self.val = (vs, ve);
                self.pos = off;
                self.next = ve;
                true
            }
            _ => {
                self.error = Some(Error::corrupt("block entry is malformed"));
                self.pos = self.end();
                false
            }
        }
    }

    /// Moves to the next entry.
    pub fn next(&mut self) {
        if !self.valid() {
            return;
        }
        if self.next >= self.end() {
            self.pos = self.end();
            return;
        }
        let n = self.next;
        self.decode_at(n);
    }

    fn seek_restart(&mut self, i: usize) -> bool {
        self.key.clear();
        let off = self.block.restart(i);
        if off >= self.end() {
            self.pos = self.end();
            return false;
        }
        self.decode_at(off)
    }

    /// Positions on the first entry.
    pub fn seek_to_first(&mut self) {
        self.seek_restart(0);
    }

    /// Positions on the first entry with key >= `target`.
    pub fn seek(&mut self, target: &[u8]) {
        // Binary search for the last restart point whose key < target,
        // comparing restart keys where they lie (no copies).
        let (mut lo, mut hi) = (0usize, self.block.num_restarts);
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            match self.block.restart_key(mid) {
                Some(k) if k < target => lo = mid,
                Some(_) => hi = mid,
                None => {
                    // Let the decoder report the damage.
                    self.seek_restart(mid);
                    if self.error.is_none() {
                        self.error = Some(Error::corrupt("block entry is malformed"));
                    }
                    self.pos = self.end();
                    return;
                }
            }
        }
        if !self.seek_restart(lo) {
            return;
        }
        while self.valid() && self.key.as_slice() < target {
            self.next();
        }
    }

    /// Positions on the last entry.
    pub fn seek_to_last(&mut self) {
        if !self.seek_restart(self.block.num_restarts - 1) {
            return;
        }
        while self.valid() && self.next < self.end() {
            self.next();
        }
    }

    /// Positions on the last entry with key < `target`, or invalid if none.
    pub fn seek_before(&mut self, target: &[u8]) {
        self.seek(target);
        if self.error.is_some() {
            return;
        }
        if self.valid() {
            self.prev();
        } else {
            self.seek_to_last();
        }
    }

    /// Moves to the previous entry (invalid when at the first).
    pub fn prev(&mut self) {
        let cur = self.pos;
        if cur == 0 || (self.valid() && cur == self.block.restart(0)) {
            self.pos = self.end();
            return;
        }
        // Find the last restart strictly before `cur`, then walk forward.
        let (mut lo, mut hi) = (0usize, self.block.num_restarts);
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if self.block.restart(mid) < cur {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        if !self.seek_restart(lo) {
            return;
        }
        while self.next < cur {
            let n = self.next;
            if !self.decode_at(n) {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(n: usize) -> Arc<Block> {
        let mut b = BlockBuilder::default();
        for i in 0..n {
            b.add(format!("key{i:05}").as_bytes(), format!("v{i}").as_bytes());
        }
        Block::new(unseal(&seal(&b.finish(), true), &|| "t".into()).unwrap()).unwrap()
    }

    #[test]
    fn seek_next_prev() {
        let blk = build(100);
        let mut it = BlockIter::new(blk);
        it.seek(b"key00050");
        assert_eq!(it.key(), b"key00050");
        it.next();
        assert_eq!(it.key(), b"key00051");
        it.prev();
        it.prev();
        assert_eq!(it.key(), b"key00049");
        it.seek(b"key000505");
        assert_eq!(it.key(), b"key00051");
        it.seek_before(b"key00016");
        assert_eq!(it.key(), b"key00015");
        it.seek_to_last();
        assert_eq!(it.key(), b"key00099");
        it.seek_before(b"a");
        assert!(!it.valid());
        it.seek(b"z");
        assert!(!it.valid());
        it.seek_to_first();
        let mut n = 0;
        while it.valid() {
            n += 1;
            it.next();
        }
        assert_eq!(n, 100);
    }

    #[test]
    fn get_finds_exactly_what_a_seek_finds() {
        // Keys with long shared prefixes, prefixes of one another, zeros.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..200 {
            let mut keys: Vec<Vec<u8>> = (0..(next() % 120 + 1))
                .map(|_| {
                    let len = (next() % 7) as usize;
                    (0..len).map(|_| b"ab\0z"[(next() % 4) as usize]).collect()
                })
                .collect();
            keys.sort();
            keys.dedup();
            let interval = [1, 2, 8, 16][round % 4];
            let mut b = BlockBuilder::with_restart_interval(interval);
            for (i, k) in keys.iter().enumerate() {
                b.add(k, format!("v{i}").as_bytes());
            }
            let blk = Block::new(b.finish()).unwrap();
            for _ in 0..200 {
                let len = (next() % 8) as usize;
                let probe: Vec<u8> = (0..len).map(|_| b"ab\0z"[(next() % 4) as usize]).collect();
                let mut it = BlockIter::new(blk.clone());
                it.seek(&probe);
                let want =
                    (it.valid() && it.key() == probe.as_slice()).then(|| it.value().to_vec());
                assert_eq!(
                    blk.get(&probe).unwrap().map(<[u8]>::to_vec),
                    want,
                    "{probe:?}"
                );
            }
            for (i, k) in keys.iter().enumerate() {
                assert_eq!(blk.get(k).unwrap(), Some(format!("v{i}").as_bytes()));
            }
        }
    }

    #[test]
    fn flipped_bit_is_corrupt() {
        let mut b = BlockBuilder::default();
        b.add(b"a", b"1");
        let mut sealed = seal(&b.finish(), false);
        sealed[1] ^= 0x10;
        let err = unseal(&sealed, &|| "f.sst".into()).err().unwrap();
        assert_eq!(err.code, crate::error::ErrorCode::Corrupt);
        assert!(err.message.contains("f.sst"));
    }
}
