//! Backups: every fact (and epoch) committed in a system-time window, as
//! the original commits, in one checksummed file (format in docs/FORMAT.md).
//!
//! A backup first records a new epoch E and covers the commits with system
//! time in `(since, time of E]`, so it is a cross-shard consistent cut; an
//! incremental backup starts where an earlier one ended (`SINCE EPOCH n`).
//! Restoring replays the commits with their original system times into a
//! new database — full first, then each incremental in order — so the
//! restored database answers every query, at every time, as the source did.

use super::db::Database;
use crate::error::{Error, ErrorCode, Result};
use crate::ledger::batch::{decode_commit, encode_commit, Op, OpKind};
use crate::storage::coding::{get_u32_le, get_u64_le};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

const MAGIC: &[u8; 8] = b"TDBBAK\x00\x01";
const HEADER: usize = 8 + 8 * 4 + 4;
const TRAILER_MARK: u32 = u32::MAX;
/// Commits per frame group handed to the committer during a restore.
const RESTORE_CHUNK: usize = 512;

/// What a backup holds (as written, verified or restored).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackupInfo {
    /// Commits after this system time are included (0: a full backup).
    pub since: u64,
    /// Commits up to and including this system time are included.
    pub to: u64,
    /// The epoch recorded at `to`: the next incremental's `SINCE EPOCH`.
    pub epoch: u64,
    /// Number of commits.
    pub commits: u64,
    /// Number of facts (epoch records included).
    pub facts: u64,
}

fn io(what: &str, path: &Path, e: std::io::Error) -> Error {
    let code = if e.kind() == std::io::ErrorKind::NotFound {
        ErrorCode::InvalidArgument
    } else {
        ErrorCode::Io
    };
    Error::new(code, format!("{what} {}: {e}", path.display()))
}

fn corrupt(path: &Path, what: &str) -> Error {
    Error::corrupt(format!("backup {} is damaged: {what}", path.display()))
}

impl Database {
    /// Writes a backup of the commits after epoch `since_epoch` (all of
    /// them when `None`) to a new file at `path`.
    pub fn backup(&self, path: &Path, since_epoch: Option<u64>) -> Result<BackupInfo> {
        if path.exists() {
            return Err(Error::invalid(format!(
                "{} already exists; a backup never overwrites a file",
                path.display()
            )));
        }
        let since = match since_epoch {
            Some(n) => self.epoch_time(n)?,
            None => 0,
        };
        let (epoch, to) = self.advance_epoch()?;
        let mut commits: BTreeMap<u64, Vec<(u32, Op)>> = BTreeMap::new();
        self.facts(&[], false, to, |key, facts| {
            for f in facts.iter().filter(|f| f.sys > since) {
                let op = Op {
                    kind: if f.value.is_some() {
                        OpKind::Put
                    } else {
                        OpKind::Delete
                    },
                    key: key.to_vec(),
                    value: f.value.clone().unwrap_or_default(),
                    valid_from: f.valid_from,
                    valid_to: f.valid_to,
                };
                commits.entry(f.sys).or_default().push((f.seq, op));
            }
            Ok(())
        })?;
        for n in 1..=epoch {
            let t = self.epoch_time(n)?;
            if t > since && t <= to {
                let op = Op {
                    kind: OpKind::Epoch,
                    key: n.to_be_bytes().to_vec(),
                    value: Vec::new(),
                    valid_from: 0,
                    valid_to: 0,
                };
                commits.entry(t).or_default().push((0, op));
            }
        }
        let tmp = path.with_extension("partial");
        let mut info = BackupInfo {
            since,
            to,
            epoch,
            commits: 0,
            facts: 0,
        };
        let res = write_file(&tmp, &mut info, commits);
        if let Err(e) = res {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        std::fs::rename(&tmp, path).map_err(|e| io("renaming the backup to", path, e))?;
        Ok(info)
    }

    /// Replays a backup into this database: a full backup needs a database
    /// with no commits; an incremental one needs exactly the state its
    /// predecessor left (nothing written since).
    pub fn restore(&self, path: &Path) -> Result<BackupInfo> {
        let info = verify(path)?;
        let now = self.now();
        if info.since == 0 && now != 0 {
            return Err(Error::invalid(
                "RESTORE of a full backup needs a new, empty database",
            ));
        }
        if info.since != 0 && now != info.since {
            return Err(Error::invalid(format!(
                "this incremental backup starts at system time {} but the database is at {now}: \
                 restore the backups of the chain in order, into a database nothing else wrote to",
                info.since
            )));
        }
        let e = self.live()?;
        let mut chunk = Vec::with_capacity(RESTORE_CHUNK);
        let send = |chunk: Vec<(u64, Vec<Op>)>| -> Result<()> {
            super::commit::wait_commit(|done| e.send(super::commit::Msg::Import(chunk, done)))
                .map(|_| ())
        };
        read_file(path, |sys, ops| {
            chunk.push((sys, ops));
            if chunk.len() == RESTORE_CHUNK {
                send(std::mem::take(&mut chunk))?;
            }
            Ok(())
        })?;
        if !chunk.is_empty() {
            send(chunk)?;
        }
        Ok(info)
    }
}

fn write_file(
    path: &Path,
    info: &mut BackupInfo,
    commits: BTreeMap<u64, Vec<(u32, Op)>>,
) -> Result<()> {
    let f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| io("creating", path, e))?;
    let mut w = std::io::BufWriter::new(f);
    let mut crc = crc32fast::Hasher::new();
    let mut put = |w: &mut std::io::BufWriter<std::fs::File>, b: &[u8]| -> Result<()> {
        crc.update(b);
        w.write_all(b).map_err(|e| io("writing", path, e))
    };
    let mut head = MAGIC.to_vec();
    for v in [
        info.since,
        info.to,
        info.epoch,
        crate::engine::clock::now_micros(),
    ] {
        head.extend_from_slice(&v.to_le_bytes());
    }
    head.extend_from_slice(&crc32fast::hash(&head).to_le_bytes());
    put(&mut w, &head)?;
    let mut buf = Vec::new();
    for (sys, mut ops) in commits {
        ops.sort_by_key(|(seq, _)| *seq);
        let ops: Vec<Op> = ops.into_iter().map(|(_, o)| o).collect();
        info.commits += 1;
        info.facts += ops.len() as u64;
        buf.clear();
        encode_commit(sys, &ops, &mut buf);
        let mut frame = (buf.len() as u32).to_le_bytes().to_vec();
        frame.extend_from_slice(&crc32fast::hash(&buf).to_le_bytes());
        put(&mut w, &frame)?;
        put(&mut w, &buf)?;
    }
    let mut tail = TRAILER_MARK.to_le_bytes().to_vec();
    tail.extend_from_slice(&info.commits.to_le_bytes());
    tail.extend_from_slice(&info.facts.to_le_bytes());
    put(&mut w, &tail)?;
    let total = crc.finalize();
    w.write_all(&total.to_le_bytes())
        .map_err(|e| io("writing", path, e))?;
    let f = w
        .into_inner()
        .map_err(|e| io("writing", path, e.into_error()))?;
    f.sync_all().map_err(|e| io("syncing", path, e))
}

/// Reads a backup, checking every checksum, and calls `f` per commit.
fn read_file(path: &Path, mut f: impl FnMut(u64, Vec<Op>) -> Result<()>) -> Result<BackupInfo> {
    let file = std::fs::File::open(path).map_err(|e| io("opening the backup", path, e))?;
    let mut r = std::io::BufReader::new(file);
    let mut crc = crc32fast::Hasher::new();
    let take = |r: &mut std::io::BufReader<std::fs::File>,
                n: usize,
                crc: &mut crc32fast::Hasher|
     -> Result<Vec<u8>> {
        let mut b = vec![0u8; n];
        r.read_exact(&mut b).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                corrupt(path, "it ends early (truncated)")
            } else {
                io("reading", path, e)
            }
        })?;
        crc.update(&b);
        Ok(b)
    };
    let head = take(&mut r, HEADER, &mut crc)?;
    if &head[..8] != MAGIC {
        return Err(Error::invalid(format!(
            "{} is not a TensorDB backup (or a newer format)",
            path.display()
        )));
    }
    if get_u32_le(&head, HEADER - 4) != Some(crc32fast::hash(&head[..HEADER - 4])) {
        return Err(corrupt(path, "header checksum mismatch"));
    }
    let word = |i: usize| get_u64_le(&head, 8 + 8 * i).unwrap_or(0);
    let mut info = BackupInfo {
        since: word(0),
        to: word(1),
        epoch: word(2),
        commits: 0,
        facts: 0,
    };
    let mut last = info.since;
    loop {
        let head = take(&mut r, 4, &mut crc)?;
        let len = get_u32_le(&head, 0).unwrap_or(0);
        if len == TRAILER_MARK {
            let counts = take(&mut r, 16, &mut crc)?;
            let expect = crc.clone().finalize();
            let mut tail = [0u8; 4];
            r.read_exact(&mut tail)
                .map_err(|_| corrupt(path, "the final checksum is missing"))?;
            if u32::from_le_bytes(tail) != expect {
                return Err(corrupt(path, "file checksum mismatch"));
            }
            if get_u64_le(&counts, 0) != Some(info.commits)
                || get_u64_le(&counts, 8) != Some(info.facts)
            {
                return Err(corrupt(
                    path,
                    "the trailer's counts do not match its commits",
                ));
            }
            let mut extra = [0u8; 1];
            if r.read(&mut extra).map_err(|e| io("reading", path, e))? != 0 {
                return Err(corrupt(path, "bytes after the trailer"));
            }
            break;
        }
        if len as usize > 1 << 30 {
            return Err(corrupt(path, "a frame length is implausible"));
        }
        let want = get_u32_le(&take(&mut r, 4, &mut crc)?, 0).unwrap_or(0);
        let body = take(&mut r, len as usize, &mut crc)?;
        if crc32fast::hash(&body) != want {
            return Err(corrupt(
                path,
                &format!("commit {} fails its checksum", info.commits + 1),
            ));
        }
        let (sys, ops) = decode_commit(&body)?;
        if sys <= last || sys > info.to {
            return Err(corrupt(
                path,
                "commits out of order or outside the backup's window",
            ));
        }
        last = sys;
        info.commits += 1;
        info.facts += ops.len() as u64;
        f(sys, ops)?;
    }
    Ok(info)
}

/// Checks a backup without restoring it: every frame's checksum, the
/// order of commits, the counts in the trailer and the file checksum.
pub fn verify(path: &Path) -> Result<BackupInfo> {
    read_file(path, |_, _| Ok(()))
}
