//! Ordered key-value iterators over one source (memtable, table, level) and
//! the merge of several sources with precedence (newest source wins a tie).

use crate::error::Result;

/// Which keys an iterator covers and in which direction it walks them.
#[derive(Clone, Debug, Default)]
pub struct Range {
    /// Inclusive lower bound.
    pub lower: Vec<u8>,
    /// Exclusive upper bound; `None` means no upper bound.
    pub upper: Option<Vec<u8>>,
    /// Walk from the largest key down.
    pub reverse: bool,
}

impl Range {
    /// Every key that starts with `prefix`, ascending.
    pub fn prefix(prefix: &[u8]) -> Range {
        Range {
            lower: prefix.to_vec(),
            upper: prefix_successor(prefix),
            reverse: false,
        }
    }

    /// True when `key` lies inside the bounds.
    pub fn contains(&self, key: &[u8]) -> bool {
        key >= self.lower.as_slice() && self.upper.as_deref().is_none_or(|u| key < u)
    }
}

/// The smallest key greater than every key starting with `prefix`
/// (`None` when the prefix is all 0xFF bytes or empty).
pub fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut p = prefix.to_vec();
    while let Some(last) = p.pop() {
        if last != 0xFF {
            p.push(last + 1);
            return Some(p);
        }
    }
    None
}

/// A positioned iterator. After construction it stands on the first entry in
/// its range (in its direction) or is invalid.
pub trait KvIter: Send {
    /// True while the iterator stands on an entry.
    fn valid(&self) -> bool;
    /// The current key (only when `valid`).
    fn key(&self) -> &[u8];
    /// The current value (only when `valid`).
    fn value(&self) -> &[u8];
    /// Moves to the next entry in the iterator's direction.
    fn advance(&mut self) -> Result<()>;
    /// Forward iterators: moves to the first entry `>= target` (never
    /// backwards). The default steps; sources override it with a real seek.
    fn seek_forward(&mut self, target: &[u8]) -> Result<()> {
        while self.valid() && self.key() < target {
            self.advance()?;
        }
        Ok(())
    }
}

/// Merges sources; on equal keys the source listed first wins and the others
/// skip that key. Sources are few (memtables + L0 files + one per level), so a
/// linear pick beats a heap.
pub struct MergeIter {
    sources: Vec<Box<dyn KvIter>>,
    current: Option<usize>,
    reverse: bool,
}

impl MergeIter {
    /// Merges `sources` (newest first), all built over the same range and
    /// direction.
    pub fn new(sources: Vec<Box<dyn KvIter>>, reverse: bool) -> Result<Self> {
        let mut m = MergeIter {
            sources,
            current: None,
            reverse,
        };
        m.pick()?;
        Ok(m)
    }

    /// Finds the source holding the next key, skipping the same key in the
    /// sources after it (older facts of a key the first one holds). Every
    /// source holding the smallest key is compared with a best holding it
    /// too, so after a pick no other source stands on the current key, and
    /// advancing the current source alone moves past it.
    fn pick(&mut self) -> Result<()> {
        'again: loop {
            let mut best: Option<usize> = None;
            for i in 0..self.sources.len() {
                if !self.sources[i].valid() {
                    continue;
                }
                let Some(b) = best else {
                    best = Some(i);
                    continue;
                };
                let mut ord = self.sources[i].key().cmp(self.sources[b].key());
                if self.reverse {
                    ord = ord.reverse();
                }
                match ord {
                    std::cmp::Ordering::Less => best = Some(i),
                    std::cmp::Ordering::Equal => {
                        // `i` comes after `b`: the older copy of the key.
                        self.sources[i].advance()?;
                        continue 'again;
                    }
                    std::cmp::Ordering::Greater => {}
                }
            }
            self.current = best;
            return Ok(());
        }
    }
}

impl KvIter for MergeIter {
    fn valid(&self) -> bool {
        self.current.is_some()
    }
    fn key(&self) -> &[u8] {
        match self.current {
            Some(i) => self.sources[i].key(),
            None => &[],
        }
    }
    fn value(&self) -> &[u8] {
        match self.current {
            Some(i) => self.sources[i].value(),
            None => &[],
        }
    }
    fn advance(&mut self) -> Result<()> {
        let Some(cur) = self.current else {
            return Ok(());
        };
        self.sources[cur].advance()?;
        self.pick()
    }

    fn seek_forward(&mut self, target: &[u8]) -> Result<()> {
        if self.reverse || !self.valid() || self.key() >= target {
            return Ok(());
        }
        for s in self.sources.iter_mut() {
            if s.valid() && s.key() < target {
                s.seek_forward(target)?;
            }
        }
        self.pick()
    }
}

/// An iterator over nothing.
pub struct EmptyIter;

impl KvIter for EmptyIter {
    fn valid(&self) -> bool {
        false
    }
    fn key(&self) -> &[u8] {
        &[]
    }
    fn value(&self) -> &[u8] {
        &[]
    }
    fn advance(&mut self) -> Result<()> {
        Ok(())
    }
}
