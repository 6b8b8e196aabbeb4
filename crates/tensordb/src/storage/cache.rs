//! The block cache: decoded blocks keyed by (file id, offset), evicted in
//! least-recently-used order under a byte budget. Sharded to keep the mutex
//! uncontended across reader threads.

use super::block::Block;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

const SHARDS: usize = 16;

#[derive(Default)]
struct Shard {
    map: HashMap<(u64, u64), (Arc<Block>, u64)>,
    order: BTreeMap<u64, (u64, u64)>,
    tick: u64,
    bytes: usize,
}

/// A byte-budgeted LRU cache of decoded blocks.
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
        s.tick += 1;
        let tick = s.tick;
        let (block, old) = {
            let e = s.map.get_mut(&(file, offset))?;
            let old = e.1;
            e.1 = tick;
            (e.0.clone(), old)
        };
        s.order.remove(&old);
        s.order.insert(tick, (file, offset));
        Some(block)
    }

    /// Inserts a block, evicting the least recently used ones over budget.
    pub fn insert(&self, file: u64, offset: u64, block: Arc<Block>) {
        let charge = block.charge();
        if charge > self.budget_per_shard {
            return;
        }
        let mut s = self
            .shard(file, offset)
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        s.tick += 1;
        let tick = s.tick;
        if let Some((old_block, old_tick)) = s.map.insert((file, offset), (block, tick)) {
            s.bytes -= old_block.charge();
            s.order.remove(&old_tick);
        }
        s.order.insert(tick, (file, offset));
        s.bytes += charge;
        while s.bytes > self.budget_per_shard {
            let Some((_, key)) = s.order.pop_first() else {
                break;
            };
            if let Some((b, _)) = s.map.remove(&key) {
                s.bytes -= b.charge();
            }
        }
    }
}
