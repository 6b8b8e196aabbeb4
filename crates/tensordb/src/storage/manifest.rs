//! The manifest: which table files are live in which shard and level, which WAL
//! segments are still needed, and the next file number. Rewritten whole and
//! replaced atomically (write temp, fsync, rename, fsync folder).

use super::backend::Backend;
use super::coding::{get_u32_le, get_u64_le, get_varint, put_varint};
use super::table_writer::TableMeta;
use crate::error::{Error, Result};
use std::path::Path;

/// File name of the manifest.
pub const MANIFEST_FILE: &str = "MANIFEST";
const MANIFEST_TMP: &str = "MANIFEST.tmp";
const MAGIC: u64 = u64::from_le_bytes(*b"TDBMAN01");
/// Manifest format version written by this build.
pub const MANIFEST_VERSION: u32 = 1;

/// The decoded manifest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    /// The next unused file number.
    pub next_file_id: u64,
    /// Per shard: every WAL record of a segment below this is already in tables.
    pub flushed: Vec<u64>,
    /// An opaque value the layer above persists with each flush (the ledger's clock).
    pub meta: u64,
    /// Per shard, per level, the live tables (L0 newest first; others by key).
    pub levels: Vec<Vec<Vec<TableMeta>>>,
}

impl Manifest {
    /// A manifest for a new database with `shards` shards.
    pub fn new(shards: usize, levels: usize) -> Self {
        Manifest {
            next_file_id: 1,
            flushed: vec![0; shards],
            meta: 0,
            levels: vec![vec![Vec::new(); levels]; shards],
        }
    }

    /// The first WAL segment any shard still needs.
    pub fn log_start(&self) -> u64 {
        self.flushed.iter().copied().min().unwrap_or(0)
    }

    fn encode(&self) -> Vec<u8> {
        let mut b = Vec::new();
        put_varint(&mut b, self.next_file_id);
        put_varint(&mut b, self.meta);
        put_varint(&mut b, self.flushed.len() as u64);
        for (shard, f) in self.flushed.iter().enumerate() {
            put_varint(&mut b, *f);
            let levels = &self.levels[shard];
            put_varint(&mut b, levels.len() as u64);
            for level in levels {
                put_varint(&mut b, level.len() as u64);
                for t in level {
                    put_varint(&mut b, t.id);
                    put_varint(&mut b, t.size);
                    put_varint(&mut b, t.entries);
                    put_varint(&mut b, t.smallest.len() as u64);
                    b.extend_from_slice(&t.smallest);
                    put_varint(&mut b, t.largest.len() as u64);
                    b.extend_from_slice(&t.largest);
                }
            }
        }
        let mut out = Vec::with_capacity(b.len() + 20);
        out.extend_from_slice(&MAGIC.to_le_bytes());
        out.extend_from_slice(&MANIFEST_VERSION.to_le_bytes());
        out.extend_from_slice(&(b.len() as u32).to_le_bytes());
        out.extend_from_slice(&b);
        out.extend_from_slice(&crc32fast::hash(&b).to_le_bytes());
        out
    }

    /// Decodes manifest bytes; any damage is `TDB_CORRUPT`.
    pub fn decode(bytes: &[u8]) -> Result<Manifest> {
        let bad = |what: &str| Error::corrupt(format!("{MANIFEST_FILE}: {what}"));
        if get_u64_le(bytes, 0) != Some(MAGIC) {
            return Err(bad("bad magic number"));
        }
        let version = get_u32_le(bytes, 8).ok_or_else(|| bad("truncated"))?;
        if version != MANIFEST_VERSION {
            return Err(bad(&format!("unsupported manifest version {version}")));
        }
        let len = get_u32_le(bytes, 12).ok_or_else(|| bad("truncated"))? as usize;
        let body = bytes.get(16..16 + len).ok_or_else(|| bad("truncated"))?;
        if get_u32_le(bytes, 16 + len) != Some(crc32fast::hash(body)) {
            return Err(bad("checksum mismatch"));
        }
        let p = &mut 0usize;
        let v = |p: &mut usize| get_varint(body, p).ok_or_else(|| bad("truncated body"));
        let bytes_of = |p: &mut usize, n: u64| -> Result<Vec<u8>> {
            let n = n as usize;
            let s = body.get(*p..*p + n).ok_or_else(|| bad("truncated body"))?;
            *p += n;
            Ok(s.to_vec())
        };
        let next_file_id = v(p)?;
        let meta = v(p)?;
        let shards = v(p)? as usize;
        let mut m = Manifest {
            next_file_id,
            meta,
            flushed: Vec::new(),
            levels: Vec::new(),
        };
        for _ in 0..shards {
            m.flushed.push(v(p)?);
            let nlevels = v(p)? as usize;
            let mut levels = Vec::new();
            for _ in 0..nlevels {
                let n = v(p)? as usize;
                let mut tables = Vec::new();
                for _ in 0..n {
                    let id = v(p)?;
                    let size = v(p)?;
                    let entries = v(p)?;
                    let sl = v(p)?;
                    let smallest = bytes_of(p, sl)?;
                    let ll = v(p)?;
                    let largest = bytes_of(p, ll)?;
                    tables.push(TableMeta {
                        id,
                        size,
                        entries,
                        smallest,
                        largest,
                    });
                }
                levels.push(tables);
            }
            m.levels.push(levels);
        }
        Ok(m)
    }

    /// Loads the manifest in `dir`, or `None` for a new database.
    pub fn load(backend: &dyn Backend, dir: &Path) -> Result<Option<Manifest>> {
        let path = dir.join(MANIFEST_FILE);
        if !backend.exists(&path) {
            return Ok(None);
        }
        Manifest::decode(&backend.read_all(&path)?).map(Some)
    }

    /// Replaces the manifest in `dir` atomically and durably.
    pub fn store(&self, backend: &dyn Backend, dir: &Path) -> Result<()> {
        let tmp = dir.join(MANIFEST_TMP);
        let mut f = backend.create(&tmp)?;
        f.append(&self.encode())?;
        f.sync()?;
        drop(f);
        backend.rename(&tmp, &dir.join(MANIFEST_FILE))?;
        backend.sync_dir(dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let mut m = Manifest::new(2, 3);
        m.levels[1][2].push(TableMeta {
            id: 7,
            size: 100,
            entries: 3,
            smallest: b"a\0".to_vec(),
            largest: b"z".to_vec(),
        });
        m.flushed = vec![4, 5];
        m.meta = 99;
        let bytes = m.encode();
        assert_eq!(Manifest::decode(&bytes).unwrap(), m);
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x40;
            assert!(Manifest::decode(&b).is_err(), "flip at {i} undetected");
        }
    }
}
