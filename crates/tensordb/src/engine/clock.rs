//! System time: one global, strictly increasing commit timestamp, in
//! microseconds since the Unix epoch. It follows the wall clock but never
//! repeats or goes back (a commit gets `max(now, last + 1)`), and it is
//! recovered on open from the WAL and the manifest, so it never resets.

use std::time::{SystemTime, UNIX_EPOCH};

/// Microseconds since the Unix epoch by the wall clock.
pub fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// Hands out commit timestamps; owned by the committer thread.
#[derive(Debug)]
pub struct Clock {
    last: u64,
}

impl Clock {
    /// A clock that will never return a value <= `last`.
    pub fn new(last: u64) -> Self {
        Clock { last }
    }

    /// The next commit timestamp.
    pub fn tick(&mut self) -> u64 {
        self.last = now_micros().max(self.last + 1);
        self.last
    }

    /// Moves the clock to `t` (an imported commit's time) if it is later.
    pub fn advance_to(&mut self, t: u64) {
        self.last = self.last.max(t);
    }

    /// The last timestamp handed out.
    pub fn last(&self) -> u64 {
        self.last
    }
}
