//! The storage-backend trait: every byte TensorDB reads or writes goes through
//! it, so tests can swap the real file system for an in-memory one that loses
//! unsynced bytes on a simulated crash, fails fsync, or runs out of space.

use crate::error::{Error, Result};
use std::any::Any;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

/// A file opened for appending (WAL segments, SSTables and manifests being written).
pub trait WritableFile: Send {
    /// Appends `data` at the end of the file (may be buffered by the OS).
    fn append(&mut self, data: &[u8]) -> Result<()>;
    /// Writes `data` at `offset` (overwriting, or extending the file).
    fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<()>;
    /// Makes everything written so far durable (fdatasync).
    fn sync(&mut self) -> Result<()>;
    /// Bytes appended so far.
    fn len(&self) -> u64;
    /// True when nothing has been appended.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A file opened for positional reads (SSTables).
pub trait ReadableFile: Send + Sync {
    /// Reads exactly `len` bytes at `offset`; a short file is a `TDB_CORRUPT` error.
    fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>>;
    /// The file's size in bytes.
    fn len(&self) -> u64;
    /// True for an empty file.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The file-system operations the engine needs, and nothing else.
pub trait Backend: Send + Sync + 'static {
    /// Creates a folder and its parents.
    fn create_dir_all(&self, dir: &Path) -> Result<()>;
    /// Creates (or truncates) a file for appending.
    fn create(&self, path: &Path) -> Result<Box<dyn WritableFile>>;
    /// Opens a file for positional reads.
    fn open_read(&self, path: &Path) -> Result<Arc<dyn ReadableFile>>;
    /// Reads a whole file.
    fn read_all(&self, path: &Path) -> Result<Vec<u8>>;
    /// True when the path exists.
    fn exists(&self, path: &Path) -> bool;
    /// The names of the files in a folder.
    fn list(&self, dir: &Path) -> Result<Vec<String>>;
    /// Atomically renames a file (replacing the target).
    fn rename(&self, from: &Path, to: &Path) -> Result<()>;
    /// Removes a file; a missing file is not an error.
    fn remove(&self, path: &Path) -> Result<()>;
    /// Cuts a file to `len` bytes and syncs it.
    fn truncate(&self, path: &Path, len: u64) -> Result<()>;
    /// Makes renames and creations in a folder durable.
    fn sync_dir(&self, dir: &Path) -> Result<()>;
    /// Takes an exclusive lock on `path` held until the returned guard drops;
    /// `TDB_LOCKED` when another process holds it.
    fn lock(&self, path: &Path) -> Result<Box<dyn Any + Send + Sync>>;
    /// Takes a shared lock on an existing lock file for a read-only open
    /// (`TDB_LOCKED` while a writer holds it); `None` when there is no lock
    /// file to open (a read-only folder never opened for writing).
    fn lock_shared(&self, _path: &Path) -> Result<Option<Box<dyn Any + Send + Sync>>> {
        Ok(None)
    }
}

/// The real file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct FsBackend;

struct FsWritable {
    file: File,
    len: u64,
    path: String,
}

impl WritableFile for FsWritable {
    fn append(&mut self, data: &[u8]) -> Result<()> {
        self.file
            .write_all(data)
            .map_err(|e| Error::io(format!("write {}", self.path), e))?;
        self.len += data.len() as u64;
        Ok(())
    }
    fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<()> {
        self.file
            .write_all_at(data, offset)
            .map_err(|e| Error::io(format!("write {}", self.path), e))?;
        self.len = self.len.max(offset + data.len() as u64);
        Ok(())
    }
    fn sync(&mut self) -> Result<()> {
        self.file
            .sync_data()
            .map_err(|e| Error::io(format!("fdatasync {}", self.path), e))
    }
    fn len(&self) -> u64 {
        self.len
    }
}

struct FsReadable {
    file: File,
    len: u64,
    path: String,
}

impl ReadableFile for FsReadable {
    fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>> {
        if offset.saturating_add(len as u64) > self.len {
            return Err(Error::corrupt(format!(
                "{}: read of {len} bytes at {offset} past the end ({} bytes)",
                self.path, self.len
            )));
        }
        let mut buf = vec![0u8; len];
        self.file
            .read_exact_at(&mut buf, offset)
            .map_err(|e| Error::io(format!("read {}", self.path), e))?;
        Ok(buf)
    }
    fn len(&self) -> u64 {
        self.len
    }
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

impl Backend for FsBackend {
    fn create_dir_all(&self, dir: &Path) -> Result<()> {
        fs::create_dir_all(dir).map_err(|e| Error::io(format!("create folder {}", shown(dir)), e))
    }
    fn create(&self, path: &Path) -> Result<Box<dyn WritableFile>> {
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(path)
            .map_err(|e| Error::io(format!("create {}", shown(path)), e))?;
        Ok(Box::new(FsWritable {
            file,
            len: 0,
            path: shown(path),
        }))
    }
    fn open_read(&self, path: &Path) -> Result<Arc<dyn ReadableFile>> {
        let file = File::open(path).map_err(|e| Error::io(format!("open {}", shown(path)), e))?;
        let len = file
            .metadata()
            .map_err(|e| Error::io(format!("stat {}", shown(path)), e))?
            .len();
        Ok(Arc::new(FsReadable {
            file,
            len,
            path: shown(path),
        }))
    }
    fn read_all(&self, path: &Path) -> Result<Vec<u8>> {
        fs::read(path).map_err(|e| Error::io(format!("read {}", shown(path)), e))
    }
    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }
    fn list(&self, dir: &Path) -> Result<Vec<String>> {
        let mut names = Vec::new();
        let entries =
            fs::read_dir(dir).map_err(|e| Error::io(format!("list {}", shown(dir)), e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(format!("list {}", shown(dir)), e))?;
            if let Some(name) = entry.file_name().to_str() {
                names.push(name.to_string());
            }
        }
        Ok(names)
    }
    fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        fs::rename(from, to).map_err(|e| Error::io(format!("rename {}", shown(from)), e))
    }
    fn remove(&self, path: &Path) -> Result<()> {
        match fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(format!("remove {}", shown(path)), e)),
        }
    }
    fn truncate(&self, path: &Path, len: u64) -> Result<()> {
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| Error::io(format!("open {}", shown(path)), e))?;
        file.set_len(len)
            .and_then(|_| file.sync_all())
            .map_err(|e| Error::io(format!("truncate {}", shown(path)), e))
    }
    fn sync_dir(&self, dir: &Path) -> Result<()> {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::io(format!("fsync folder {}", shown(dir)), e))
    }
    fn lock_shared(&self, path: &Path) -> Result<Option<Box<dyn Any + Send + Sync>>> {
        let Ok(file) = OpenOptions::new().read(true).open(path) else {
            return Ok(None);
        };
        match file.try_lock_shared() {
            Ok(()) => Ok(Some(Box::new(file))),
            Err(std::fs::TryLockError::WouldBlock) => Err(Error::new(
                crate::error::ErrorCode::Locked,
                format!(
                    "{} is open for writing in another process; close it there to open it read-only",
                    shown(path.parent().unwrap_or(path))
                ),
            )),
            Err(std::fs::TryLockError::Error(e)) => {
                Err(Error::io(format!("lock {}", shown(path)), e))
            }
        }
    }

    fn lock(&self, path: &Path) -> Result<Box<dyn Any + Send + Sync>> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| Error::io(format!("open lock file {}", shown(path)), e))?;
        match file.try_lock() {
            Ok(()) => Ok(Box::new(file)),
            Err(std::fs::TryLockError::WouldBlock) => Err(Error::new(
                crate::error::ErrorCode::Locked,
                format!(
                    "{} is locked by another process: a TensorDB folder can be open in one process at a time",
                    shown(path.parent().unwrap_or(path))
                ),
            )),
            Err(std::fs::TryLockError::Error(e)) => {
                Err(Error::io(format!("lock {}", shown(path)), e))
            }
        }
    }
}
