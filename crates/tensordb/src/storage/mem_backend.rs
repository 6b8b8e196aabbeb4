//! An in-memory backend for tests. It tracks written bytes apart from synced
//! bytes, so `crash()` can lose exactly what a power cut would lose, and it can
//! be told to fail fsync or to run out of space.

use super::backend::{Backend, ReadableFile, WritableFile};
use crate::error::{Error, ErrorCode, Result};
use std::any::Any;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Default)]
struct MemFile {
    data: Mutex<Vec<u8>>,
    synced: Mutex<usize>,
}

#[derive(Default)]
struct Inner {
    files: Mutex<HashMap<PathBuf, Arc<MemFile>>>,
    fail_sync: AtomicBool,
    /// Bytes that may still be written before writes fail with "no space"; < 0 means unlimited.
    space_left: AtomicI64,
    /// Set by `crash`: the "process" using this instance is dead.
    dead: AtomicBool,
}

/// A shareable in-memory file system with fault injection.
#[derive(Clone)]
pub struct MemBackend {
    inner: Arc<Inner>,
}

impl Default for MemBackend {
    fn default() -> Self {
        Self::new()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn check_alive(inner: &Inner) -> Result<()> {
    if inner.dead.load(Ordering::SeqCst) {
        Err(Error::new(
            ErrorCode::Io,
            "simulated crash: this process is dead",
        ))
    } else {
        Ok(())
    }
}

impl MemBackend {
    /// An empty file system with no faults armed.
    pub fn new() -> Self {
        let inner = Inner::default();
        inner.space_left.store(-1, Ordering::SeqCst);
        MemBackend {
            inner: Arc::new(inner),
        }
    }

    /// Simulates `kill -9` plus a power cut. This instance dies: every later
    /// operation through it (or through files it opened) fails, as threads of
    /// a killed process would never run again. The returned backend holds
    /// what survived: each file's synced bytes only.
    pub fn crash(&self) -> MemBackend {
        self.inner.dead.store(true, Ordering::SeqCst);
        let fresh = MemBackend::new();
        for (path, file) in lock(&self.inner.files).iter() {
            let synced = *lock(&file.synced);
            let data = lock(&file.data);
            fresh.set_file_bytes(path, data[..synced.min(data.len())].to_vec());
        }
        fresh
    }

    fn alive(&self) -> Result<()> {
        check_alive(&self.inner)
    }

    /// Makes every later fsync fail (or succeed again).
    pub fn set_fail_sync(&self, fail: bool) {
        self.inner.fail_sync.store(fail, Ordering::SeqCst);
    }

    /// Allows `bytes` more bytes to be written, then fails writes as a full disk would.
    pub fn set_space_left(&self, bytes: Option<u64>) {
        let v = bytes.map(|b| b as i64).unwrap_or(-1);
        self.inner.space_left.store(v, Ordering::SeqCst);
    }

    /// Reads a file's current bytes (for tests that flip bits).
    pub fn file_bytes(&self, path: &Path) -> Option<Vec<u8>> {
        lock(&self.inner.files)
            .get(path)
            .map(|f| lock(&f.data).clone())
    }

    /// Replaces a file's bytes (for tests that corrupt files); the bytes count as synced.
    pub fn set_file_bytes(&self, path: &Path, bytes: Vec<u8>) {
        let file = Arc::new(MemFile::default());
        *lock(&file.synced) = bytes.len();
        *lock(&file.data) = bytes;
        lock(&self.inner.files).insert(path.to_path_buf(), file);
    }

    fn get(&self, path: &Path) -> Result<Arc<MemFile>> {
        lock(&self.inner.files).get(path).cloned().ok_or_else(|| {
            Error::io(
                format!("open {}", path.display()),
                std::io::Error::from(std::io::ErrorKind::NotFound),
            )
        })
    }
}

struct MemWritable {
    file: Arc<MemFile>,
    inner: Arc<Inner>,
    len: u64,
}

impl WritableFile for MemWritable {
    fn append(&mut self, data: &[u8]) -> Result<()> {
        check_alive(&self.inner)?;
        let left = self.inner.space_left.load(Ordering::SeqCst);
        if left >= 0 {
            if (data.len() as i64) > left {
                return Err(Error::new(ErrorCode::Io, "write: no space left on device"));
            }
            self.inner
                .space_left
                .fetch_sub(data.len() as i64, Ordering::SeqCst);
        }
        lock(&self.file.data).extend_from_slice(data);
        self.len += data.len() as u64;
        Ok(())
    }
    fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<()> {
        check_alive(&self.inner)?;
        let end = offset as usize + data.len();
        let mut d = lock(&self.file.data);
        let grow = end.saturating_sub(d.len()) as i64;
        let left = self.inner.space_left.load(Ordering::SeqCst);
        if left >= 0 && grow > 0 {
            if grow > left {
                return Err(Error::new(ErrorCode::Io, "write: no space left on device"));
            }
            self.inner.space_left.fetch_sub(grow, Ordering::SeqCst);
        }
        if d.len() < end {
            d.resize(end, 0);
        }
        d[offset as usize..end].copy_from_slice(data);
        // Overwritten bytes inside the synced prefix are no longer synced.
        let mut synced = lock(&self.file.synced);
        *synced = (*synced).min(offset as usize);
        self.len = self.len.max(end as u64);
        Ok(())
    }
    fn sync(&mut self) -> Result<()> {
        check_alive(&self.inner)?;
        if self.inner.fail_sync.load(Ordering::SeqCst) {
            return Err(Error::new(ErrorCode::Io, "fdatasync: input/output error"));
        }
        let len = lock(&self.file.data).len();
        *lock(&self.file.synced) = len;
        Ok(())
    }
    fn len(&self) -> u64 {
        self.len
    }
}

struct MemReadable {
    data: Vec<u8>,
    name: String,
}

impl ReadableFile for MemReadable {
    fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>> {
        let start = offset as usize;
        match start.checked_add(len) {
            Some(end) if end <= self.data.len() => Ok(self.data[start..end].to_vec()),
            _ => Err(Error::corrupt(format!(
                "{}: read of {len} bytes at {offset} past the end",
                self.name
            ))),
        }
    }
    fn len(&self) -> u64 {
        self.data.len() as u64
    }
}

impl Backend for MemBackend {
    fn create_dir_all(&self, _dir: &Path) -> Result<()> {
        Ok(())
    }
    fn create(&self, path: &Path) -> Result<Box<dyn WritableFile>> {
        self.alive()?;
        let file = Arc::new(MemFile::default());
        lock(&self.inner.files).insert(path.to_path_buf(), file.clone());
        Ok(Box::new(MemWritable {
            file,
            inner: self.inner.clone(),
            len: 0,
        }))
    }
    fn open_read(&self, path: &Path) -> Result<Arc<dyn ReadableFile>> {
        self.alive()?;
        // Files being read (SSTables) are immutable once written, so a copy is exact.
        let file = self.get(path)?;
        let data = lock(&file.data).clone();
        Ok(Arc::new(MemReadable {
            data,
            name: path.display().to_string(),
        }))
    }
    fn read_all(&self, path: &Path) -> Result<Vec<u8>> {
        self.alive()?;
        Ok(lock(&self.get(path)?.data).clone())
    }
    fn exists(&self, path: &Path) -> bool {
        lock(&self.inner.files).contains_key(path)
    }
    fn list(&self, dir: &Path) -> Result<Vec<String>> {
        self.alive()?;
        Ok(lock(&self.inner.files)
            .keys()
            .filter(|p| p.parent() == Some(dir))
            .filter_map(|p| p.file_name()?.to_str().map(str::to_string))
            .collect())
    }
    fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        self.alive()?;
        let mut files = lock(&self.inner.files);
        let file = files.remove(from).ok_or_else(|| {
            Error::io(
                format!("rename {}", from.display()),
                std::io::Error::from(std::io::ErrorKind::NotFound),
            )
        })?;
        files.insert(to.to_path_buf(), file);
        Ok(())
    }
    fn remove(&self, path: &Path) -> Result<()> {
        self.alive()?;
        lock(&self.inner.files).remove(path);
        Ok(())
    }
    fn truncate(&self, path: &Path, len: u64) -> Result<()> {
        self.alive()?;
        let file = self.get(path)?;
        lock(&file.data).truncate(len as usize);
        let mut synced = lock(&file.synced);
        *synced = (*synced).min(len as usize);
        Ok(())
    }
    fn sync_dir(&self, _dir: &Path) -> Result<()> {
        self.alive()?;
        if self.inner.fail_sync.load(Ordering::SeqCst) {
            return Err(Error::new(
                ErrorCode::Io,
                "fsync folder: input/output error",
            ));
        }
        Ok(())
    }
    fn lock(&self, _path: &Path) -> Result<Box<dyn Any + Send + Sync>> {
        Ok(Box::new(()))
    }
}
