//! What opening (`ReplayReport`) and `check` (`CheckReport`) found and did:
//! plain data the store fills and the layers above hand to their callers.

/// What `check` verified and found wrong.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Table files verified.
    pub tables: u64,
    /// Blocks (data, bloom, index) whose checksums were verified.
    pub blocks: u64,
    /// Bytes of table files read.
    pub bytes: u64,
    /// WAL segments read.
    pub wal_segments: u64,
    /// Intact WAL records in them.
    pub wal_records: u64,
    /// SQL indexes compared with their tables (filled by the SQL layer).
    pub indexes: u64,
    /// Every problem found, one line each (empty: all good).
    pub problems: Vec<String>,
}

/// What recovery found and did when the database opened.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplayReport {
    /// Records replayed.
    pub records: u64,
    /// Bytes cut off a torn or corrupt tail (0 when the log was clean).
    pub truncated_bytes: u64,
    /// The segment whose tail was cut, if any.
    pub truncated_segment: Option<u64>,
    /// Where in that segment the cut was made.
    pub truncated_offset: u64,
    /// True when what was cut was corruption (intact records after damage),
    /// cut only because the database was opened with `repair`.
    pub corrupt: bool,
    /// Intact records dropped with the cut (acknowledged writes lost to
    /// corruption; 0 for a torn tail).
    pub dropped_records: u64,
    /// Later segments set aside (renamed `*.dropped`, not deleted) by a
    /// repair that cut an older segment.
    pub dropped_segments: Vec<u64>,
    /// What a repair rebuilt the manifest from (None: the manifest was
    /// read as written).
    pub manifest_rebuilt: Option<super::repair::Rebuilt>,
}

impl ReplayReport {
    /// True when recovery cut or rebuilt anything the application should
    /// hear about.
    pub fn changed_anything(&self) -> bool {
        self.truncated_bytes > 0 || self.manifest_rebuilt.is_some()
    }
}
