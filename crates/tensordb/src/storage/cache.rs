//! The block cache: decoded blocks keyed by (file id, offset) under a byte
//! budget, evicted by the CLOCK algorithm (an approximation of LRU whose hits
//! only set a flag). Sharded to keep each mutex uncontended.

use super::block::Block;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

const SHARDS: usize = 16;

type Key = (u64, u64);

#[derive(Default)]
struct Shard {
    map: HashMap<Key, (Arc<Block>, bool), super::hash::FastState>,
    ring: VecDeque<Key>,
    bytes: usize,
}

/// A byte-budgeted cache of decoded blocks.
pub struct BlockCache {
    shards: Vec<Mutex<Shard>>,
    budget_per_shard: usize,
}

impl BlockCache {
    /// A cache holding at most `budget` bytes of blocks.
    pub fn new(budget: usize) -> Self {
        BlockCache {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            budget_per_shard: budget / SHARDS,
        }
    }

    fn shard(&self, file: u64, offset: u64) -> &Mutex<Shard> {
        let h = (file.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ offset) as usize;
        &self.shards[(h ^ (h >> 17)) % SHARDS]
    }

    /// Returns a cached block and marks it recently used.
    pub fn get(&self, file: u64, offset: u64) -> Option<Arc<Block>> {
        let mut s = self
            .shard(file, offset)
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let e = s.map.get_mut(&(file, offset))?;
        e.1 = true;
        Some(e.0.clone())
    }

    /// Inserts a block, evicting blocks not used since the clock hand last passed.
    pub fn insert(&self, file: u64, offset: u64, block: Arc<Block>) {
        let charge = block.charge();
        if charge > self.budget_per_shard {
            return;
        }
        let mut s = self
            .shard(file, offset)
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let key = (file, offset);
        match s.map.insert(key, (block, false)) {
            Some((old, _)) => s.bytes -= old.charge(),
            None => s.ring.push_back(key),
        }
        s.bytes += charge;
        while s.bytes > self.budget_per_shard {
            let Some(k) = s.ring.pop_front() else { break };
            let referenced = match s.map.get_mut(&k) {
                Some(e) if e.1 => {
                    e.1 = false;
                    true
                }
                Some(_) => false,
                None => continue,
            };
            if referenced {
                s.ring.push_back(k);
            } else if let Some((b, _)) = s.map.remove(&k) {
                s.bytes -= b.charge();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::block::BlockBuilder;

    fn block() -> Arc<Block> {
        let mut b = BlockBuilder::default();
        b.add(b"k", &[0u8; 1000]);
        Block::new(b.finish()).unwrap()
    }

    #[test]
    fn stays_within_budget_and_keeps_hot_blocks() {
        let c = BlockCache::new(SHARDS * 5000);
        for i in 0..1000u64 {
            c.insert(1, i, block());
            assert!(c.get(1, 0).is_some() || i < 1, "hot block evicted at {i}");
        }
        let held: usize = c.shards.iter().map(|s| s.lock().unwrap().bytes).sum();
        assert!(held <= SHARDS * 5000);
    }
}
