//! The engine's own worker threads for reads that may touch disk, so callers
//! (such as Node's event loop) never block on I/O and never use libuv's pool.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of threads running submitted jobs in FIFO order. The threads
/// start with the first job, so opening a database that is only briefly used
/// spawns none.
pub struct Pool {
    tx: Mutex<Option<mpsc::Sender<Job>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    pending: Mutex<Option<(usize, mpsc::Receiver<Job>)>>,
}

impl Pool {
    /// A pool of `n` threads (at least one), started on first use.
    pub fn new(n: usize) -> std::io::Result<Pool> {
        let (tx, rx) = mpsc::channel::<Job>();
        Ok(Pool {
            tx: Mutex::new(Some(tx)),
            threads: Mutex::new(Vec::new()),
            pending: Mutex::new(Some((n.max(1), rx))),
        })
    }

    fn start(&self) -> std::io::Result<()> {
        let Some((n, rx)) = self
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        else {
            return Ok(());
        };
        let rx = Arc::new(Mutex::new(rx));
        let mut threads = self.threads.lock().unwrap_or_else(|p| p.into_inner());
        for i in 0..n {
            let rx = rx.clone();
            threads.push(
                std::thread::Builder::new()
                    .name(format!("tensordb-read-{i}"))
                    .stack_size(crate::sql::syntax::limits::BIG_STACK)
                    .spawn(move || loop {
                        crate::sql::syntax::limits::mark_big_stack();
                        let job = match rx.lock() {
                            Ok(r) => r.recv(),
                            Err(p) => p.into_inner().recv(),
                        };
                        match job {
                            Ok(job) => {
                                // A panicking job must not take the thread down with it.
                                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                            }
                            Err(_) => return,
                        }
                    })?,
            );
        }
        Ok(())
    }

    /// Queues a job; returns it back if the pool is stopped.
    pub fn spawn(&self, job: Job) -> Result<(), Job> {
        if self.start().is_err()
            && self
                .threads
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .is_empty()
        {
            return Err(job);
        }
        let guard = self.tx.lock().unwrap_or_else(|p| p.into_inner());
        match guard.as_ref() {
            Some(tx) => tx.send(job).map_err(|e| e.0),
            None => Err(job),
        }
    }
}

/// The process-wide pool shared by every database: reads that may touch disk,
/// and opening/closing from bindings. Started on first use with `threads`
/// threads (the first caller's choice; at least 2).
pub fn global(threads: usize) -> &'static Pool {
    static POOL: std::sync::OnceLock<Pool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| Pool::new(threads.max(2)).unwrap_or_else(|_| Pool::empty()))
}

impl Pool {
    fn empty() -> Pool {
        Pool {
            tx: Mutex::new(None),
            threads: Mutex::new(Vec::new()),
            pending: Mutex::new(None),
        }
    }
}
