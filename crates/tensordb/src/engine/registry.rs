//! The process-wide registry of open engines, so that opening one folder from
//! several places in a process (such as Node worker threads, which share the
//! loaded addon) shares one reference-counted engine instead of failing on
//! the folder lock.

use super::db::Engine;
use super::options::Options;
use crate::error::{Error, Result};
use crate::storage::backend::FsBackend;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock};

fn registry() -> &'static Mutex<HashMap<PathBuf, Arc<Engine>>> {
    static REG: OnceLock<Mutex<HashMap<PathBuf, Arc<Engine>>>> = OnceLock::new();
    REG.get_or_init(|| Mutex::new(HashMap::new()))
}

fn canonical(path: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(path)
        .map_err(|e| Error::io(format!("create folder {}", path.display()), e))?;
    std::fs::canonicalize(path).map_err(|e| Error::io(format!("resolve {}", path.display()), e))
}

/// Returns the engine for `path`, opening it if this process has none.
pub(crate) fn acquire(path: &Path, opts: Options) -> Result<Arc<Engine>> {
    let key = canonical(path)?;
    let mut reg = registry().lock().unwrap_or_else(|p| p.into_inner());
    if let Some(e) = reg.get(&key) {
        e.handles.fetch_add(1, Ordering::SeqCst);
        return Ok(e.clone());
    }
    let engine = Arc::new(Engine::open(Arc::new(FsBackend), &key, opts)?);
    engine.handles.store(1, Ordering::SeqCst);
    reg.insert(key, engine.clone());
    Ok(engine)
}

/// Drops one handle's claim; the last one shuts the engine down.
pub(crate) fn release(engine: &Arc<Engine>) -> Result<()> {
    let mut reg = registry().lock().unwrap_or_else(|p| p.into_inner());
    if engine.handles.fetch_sub(1, Ordering::SeqCst) == 1 {
        reg.remove(&engine.path);
        // Shut down under the registry lock so a concurrent open waits for the
        // folder lock to be released instead of failing on it.
        return engine.shutdown();
    }
    Ok(())
}
