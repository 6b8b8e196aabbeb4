//! Consumer groups: several consumers of one named group share a change
//! feed, each change going to exactly one of them.
//!
//! Keys are split into `PARTITIONS` partitions by hash; a group's members
//! (in join order) own the partitions round-robin, so all changes of one
//! key go to one member, in commit order. Each partition has a durable
//! cursor (`<group>/<partition>`): a member acknowledges per partition.
//! When a member joins or leaves, ownership moves at once; the new owner of
//! a partition starts after its last acknowledged change, so changes handed
//! out but not acknowledged by the previous owner are delivered again
//! (at least once). Membership lives in memory (it is per process, shared
//! by every handle and worker thread on the folder); positions are durable.

use super::changes::{Change, Position};
use super::db::Database;
use crate::error::{Error, Result};
use crate::storage::hash::hash64;
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

/// Partitions of every group.
pub const PARTITIONS: u32 = 16;

/// The partition of `key`.
pub fn partition_of(key: &[u8]) -> u32 {
    (hash64(key) % u64::from(PARTITIONS)) as u32
}

/// The groups of one open folder.
#[derive(Default)]
pub struct Groups {
    inner: Mutex<HashMap<String, Group>>,
}

#[derive(Default)]
struct Group {
    members: BTreeSet<u64>,
    next_member: u64,
    /// Per partition: the member it was last handed to and how far.
    delivered: HashMap<u32, (u64, Position)>,
}

impl Group {
    fn owner(&self, p: u32) -> Option<u64> {
        let n = self.members.len();
        (n > 0).then(|| *self.members.iter().nth(p as usize % n).unwrap_or(&0))
    }
}

/// Changes handed to one member, each with its partition.
#[derive(Clone, Debug, Default)]
pub struct GroupBatch {
    /// Changes in commit order.
    pub changes: Vec<(u32, Change)>,
}

fn cursor(group: &str, p: u32) -> String {
    format!("{group}/{p}")
}

fn check_group(group: &str) -> Result<()> {
    if group.is_empty() || group.len() > 200 {
        return Err(Error::invalid("a group name is 1 to 200 bytes"));
    }
    Ok(())
}

impl Database {
    fn groups(&self) -> Result<&Groups> {
        Ok(&self.live()?.groups)
    }

    /// Adds a member to `group` (partitions are rebalanced); its id.
    pub fn group_join(&self, group: &str) -> Result<u64> {
        check_group(group)?;
        let groups = self.groups()?;
        let mut all = groups.inner.lock().unwrap_or_else(|p| p.into_inner());
        let g = all.entry(group.to_string()).or_default();
        g.next_member += 1;
        let id = g.next_member;
        g.members.insert(id);
        Ok(id)
    }

    /// Removes a member (its partitions move to the others).
    pub fn group_leave(&self, group: &str, member: u64) -> Result<()> {
        let groups = self.groups()?;
        let mut all = groups.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(g) = all.get_mut(group) {
            g.members.remove(&member);
            g.delivered.retain(|_, (m, _)| *m != member);
        }
        Ok(())
    }

    /// The partitions `member` owns now.
    pub fn group_partitions(&self, group: &str, member: u64) -> Result<Vec<u32>> {
        let groups = self.groups()?;
        let all = groups.inner.lock().unwrap_or_else(|p| p.into_inner());
        let Some(g) = all.get(group) else {
            return Ok(Vec::new());
        };
        Ok((0..PARTITIONS)
            .filter(|&p| g.owner(p) == Some(member))
            .collect())
    }

    /// Up to `max` changes of keys under `prefix` in the partitions `member`
    /// owns, after what it was handed already (or, for a partition it just
    /// took over, after the partition's last acknowledged change).
    pub fn group_changes(
        &self,
        group: &str,
        member: u64,
        prefix: &[u8],
        max: usize,
    ) -> Result<GroupBatch> {
        let groups = self.groups()?;
        // Where each owned partition stands for this member: how far it was
        // handed out to it, or, for a partition just taken over, after its
        // last acknowledged change (read outside the lock).
        let mut from: HashMap<u32, Position> = HashMap::new();
        let mut taken_over = Vec::new();
        {
            let all = groups.inner.lock().unwrap_or_else(|p| p.into_inner());
            let g = all
                .get(group)
                .filter(|g| g.members.contains(&member))
                .ok_or_else(|| Error::invalid(format!("not a member of group {group}")))?;
            for p in (0..PARTITIONS).filter(|&p| g.owner(p) == Some(member)) {
                match g.delivered.get(&p) {
                    Some((m, at)) if *m == member => {
                        from.insert(p, *at);
                    }
                    _ => taken_over.push(p),
                }
            }
        }
        for p in taken_over {
            from.insert(p, self.cursor_position(&cursor(group, p))?);
        }
        let mut out = GroupBatch::default();
        let Some(mut at) = from.values().min().copied() else {
            return Ok(out);
        };
        let max = max.max(1);
        loop {
            let batch = self.changes(at, prefix, 256)?;
            let done = batch.changes.is_empty();
            for c in batch.changes {
                let p = partition_of(&c.key);
                let pos = Position {
                    sys: c.sys,
                    seq: c.seq,
                };
                match from.get_mut(&p) {
                    Some(f) if pos > *f => {
                        *f = pos;
                        out.changes.push((p, c));
                    }
                    _ => {}
                }
                if out.changes.len() >= max {
                    break;
                }
            }
            if done || out.changes.len() >= max || batch.next <= at {
                break;
            }
            at = batch.next;
        }
        // Record what was handed out, if the member still owns it.
        let mut all = groups.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(g) = all.get_mut(group) {
            for (p, at) in from {
                if g.owner(p) == Some(member) {
                    g.delivered.insert(p, (member, at));
                }
            }
        }
        Ok(out)
    }

    /// Durably records that partition `p` of `group` has processed every
    /// change up to `position` (never moves a partition backwards).
    pub fn group_ack(&self, group: &str, p: u32, position: Position) -> Result<()> {
        check_group(group)?;
        if p >= PARTITIONS {
            return Err(Error::invalid(format!("no partition {p}")));
        }
        let name = cursor(group, p);
        if self.cursor_position(&name)? >= position {
            return Ok(());
        }
        self.cursor_ack(&name, position)
    }
}
