//! Storage tuning knobs, all with defaults suited to a desktop or server.

/// Options for the storage layer.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// Number of shards (fixed when the database is created).
    pub shards: usize,
    /// Total bytes of active memtables before they are frozen and flushed.
    pub memtable_bytes: usize,
    /// Frozen memtables per shard allowed before writes wait for flushes.
    pub max_frozen: usize,
    /// Target uncompressed data block size.
    pub block_size: usize,
    /// LZ4-compress blocks.
    pub compress: bool,
    /// Block cache budget in bytes.
    pub cache_bytes: usize,
    /// Row cache budget in bytes, split across shards (0 disables it): the
    /// newest table value of recently point-read keys.
    pub row_cache_bytes: usize,
    /// Level-0 table count that triggers a compaction into level 1.
    pub l0_trigger: usize,
    /// Byte budget of level 1; each deeper level is `level_ratio` times larger.
    pub l1_bytes: u64,
    /// Size ratio between adjacent levels.
    pub level_ratio: u64,
    /// Size at which compaction output is split into a new table.
    pub table_bytes: u64,
    /// Number of levels, L0 included.
    pub levels: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            shards: 4,
            memtable_bytes: 64 << 20,
            max_frozen: 4,
            block_size: 4096,
            compress: true,
            cache_bytes: 128 << 20,
            row_cache_bytes: 32 << 20,
            l0_trigger: 4,
            l1_bytes: 64 << 20,
            level_ratio: 10,
            table_bytes: 32 << 20,
            levels: 7,
        }
    }
}
