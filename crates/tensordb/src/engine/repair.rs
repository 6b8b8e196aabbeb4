//! The ledger's rules for rebuilding a lost manifest (`storage::repair`):
//! which shard a stored key belongs to, which of two current records is
//! newer, and the system time an entry records.

use super::commit::shard_of;
use crate::ledger::fact::FactView;
use crate::ledger::keys::{decode_into, NS_CHANGES, NS_CURRENT, NS_HISTORY};
use crate::storage::repair::RepairRules;

/// The user key inside a current or history storage key.
fn user_key(stored: &[u8]) -> Option<Vec<u8>> {
    match stored.first() {
        Some(&NS_CURRENT) | Some(&NS_HISTORY) => {
            let mut out = Vec::new();
            decode_into(stored.get(1..)?, &mut out)?;
            Some(out)
        }
        _ => None,
    }
}

/// The ledger's repair rules.
pub fn rules() -> RepairRules {
    RepairRules {
        // Epochs and the change log live in shard 0 whatever their hash.
        shard_of: Box::new(|k, n| user_key(k).map(|u| shard_of(&u, n))),
        newer: Box::new(|k, a, b| {
            if k.first() != Some(&NS_CURRENT) {
                return false;
            }
            match (FactView::decode(a), FactView::decode(b)) {
                (Ok(a), Ok(b)) => (a.sys, a.seq) > (b.sys, b.seq),
                (Ok(_), Err(_)) => true,
                _ => false,
            }
        }),
        sys_of: Box::new(|k, v| match k.first() {
            Some(&NS_CURRENT) | Some(&NS_HISTORY) => FactView::decode(v).ok().map(|f| f.sys),
            Some(&NS_CHANGES) => k
                .get(1..9)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_be_bytes),
            _ => None,
        }),
    }
}
