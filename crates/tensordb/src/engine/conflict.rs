//! Write-write conflict detection for snapshot isolation, run on the commit
//! thread so that checking and committing are one atomic step.
//!
//! The tracker remembers, for recently written keys (by 64-bit hash), the
//! system time of their newest write. A transaction that read at snapshot `S`
//! conflicts when any key it writes (or any conflict token it names, such as a
//! UNIQUE value it claims) was written after `S`. Old entries are forgotten in
//! bulk; a snapshot older than what was forgotten (`horizon`) is conservatively
//! a conflict — retryable, never a lost update. Hash collisions can only cause
//! false conflicts.

use std::collections::{HashMap, VecDeque};

/// What a checked write asks the commit thread to verify.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Check {
    /// The system time the transaction read at.
    pub snapshot: u64,
    /// Extra conflict tokens (hashed like keys) that are checked and then
    /// recorded as written, without being stored.
    pub tokens: Vec<Vec<u8>>,
}

/// Recently written key hashes and the time of their newest write.
pub struct Tracker {
    newest: HashMap<u64, u64>,
    order: VecDeque<(u64, u64)>,
    horizon: u64,
    cap: usize,
}

impl Tracker {
    /// A tracker that knows nothing written at or before `horizon`.
    pub fn new(horizon: u64, cap: usize) -> Self {
        Tracker {
            newest: HashMap::new(),
            order: VecDeque::new(),
            horizon,
            cap: cap.max(2),
        }
    }

    /// True when any of `hashes` was written after `snapshot` (or when the
    /// tracker can no longer tell).
    pub fn conflicts(&self, snapshot: u64, mut hashes: impl Iterator<Item = u64>) -> bool {
        if snapshot < self.horizon {
            return true;
        }
        hashes.any(|h| self.newest.get(&h).is_some_and(|&t| t > snapshot))
    }

    /// Records that the key with hash `h` was written at `sys`.
    pub fn record(&mut self, h: u64, sys: u64) {
        self.newest.insert(h, sys);
        self.order.push_back((h, sys));
        if self.order.len() > self.cap {
            // Forget the older half in one go (amortized O(1) per write).
            let keep = self.cap / 2;
            while self.order.len() > keep {
                let Some((h, t)) = self.order.pop_front() else {
                    break;
                };
                self.horizon = self.horizon.max(t);
                if self.newest.get(&h) == Some(&t) {
                    self.newest.remove(&h);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_newer_writes_only() {
        let mut t = Tracker::new(10, 100);
        t.record(1, 11);
        t.record(2, 15);
        assert!(!t.conflicts(15, [1, 2, 3].into_iter()));
        assert!(t.conflicts(12, [2].into_iter()));
        assert!(!t.conflicts(12, [1, 3].into_iter()));
        assert!(t.conflicts(9, [3].into_iter()), "older than the horizon");
    }

    #[test]
    fn pruning_raises_the_horizon() {
        let mut t = Tracker::new(0, 4);
        for i in 1..=5 {
            t.record(i, i);
        }
        assert!(t.horizon >= 3);
        assert!(t.conflicts(1, [99].into_iter()));
        assert!(t.conflicts(4, [5].into_iter()));
        assert!(!t.conflicts(5, [5].into_iter()));
    }
}
