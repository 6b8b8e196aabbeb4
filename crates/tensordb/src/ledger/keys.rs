//! Key encoding. The only place that knows how a fact's key and system time
//! are laid out in storage keys (see docs/FORMAT.md).
//!
//! A user key is escaped (`0x00` → `0x00 0xFF`) and terminated (`0x00 0x01`),
//! which keeps byte order, and makes no key's encoding a prefix of another's
//! encoding: a key containing 0x00, or one that is a prefix of another key,
//! can never be confused with it.
//!
//! Namespaces (first byte):
//! - `0x01` current: `0x01 | enc(key)` → the newest fact of the key;
//! - `0x02` history: `0x02 | enc(key) | BE(!sys) | BE(!seq)` → every fact,
//!   newest first, so one key's facts are adjacent;
//! - `0x03` meta: engine records such as epochs;
//! - `0x04` change log: `0x04 | BE(sys)` → the keys one commit wrote.

use crate::error::{Error, Result};

/// Namespace of current-fact records.
pub const NS_CURRENT: u8 = 0x01;
/// Namespace of history (all facts) records.
pub const NS_HISTORY: u8 = 0x02;
/// Namespace of engine metadata.
pub const NS_META: u8 = 0x03;
/// Namespace of the change log: one record per commit, by system time.
pub const NS_CHANGES: u8 = 0x04;

const TERM: [u8; 2] = [0x00, 0x01];

/// Appends the escaped bytes of `key` (without terminator).
pub fn escape_into(out: &mut Vec<u8>, key: &[u8]) {
    // Copy the runs between zero bytes whole (row keys hold a few zeros).
    let mut rest = key;
    while let Some(i) = rest.iter().position(|&b| b == 0) {
        out.extend_from_slice(&rest[..=i]);
        out.push(0xFF);
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
}

/// Appends `escape(key) | terminator`.
pub fn encode_into(out: &mut Vec<u8>, key: &[u8]) {
    escape_into(out, key);
    out.extend_from_slice(&TERM);
}

/// The storage key of a user key's current-fact record.
pub fn current_key(key: &[u8]) -> Vec<u8> {
    let zeros = key.iter().filter(|&&b| b == 0).count();
    let mut k = Vec::with_capacity(key.len() + zeros + 3);
    current_key_into(&mut k, key);
    k
}

/// Appends `current_key(key)` to `out`.
pub fn current_key_into(out: &mut Vec<u8>, key: &[u8]) {
    out.push(NS_CURRENT);
    encode_into(out, key);
}

/// `current_key` written into `buf`: its length, or `None` when it does
/// not fit.
pub fn current_key_in(key: &[u8], buf: &mut [u8]) -> Option<usize> {
    let mut n = 0;
    let mut put = |b: u8| {
        *buf.get_mut(n)? = b;
        n += 1;
        Some(())
    };
    put(NS_CURRENT)?;
    for &b in key {
        put(b)?;
        if b == 0 {
            put(0xFF)?;
        }
    }
    put(TERM[0])?;
    put(TERM[1])?;
    Some(n)
}

/// The storage key of one fact in history.
pub fn history_key(key: &[u8], sys: u64, seq: u32) -> Vec<u8> {
    let mut k = history_prefix(key);
    k.extend_from_slice(&(u64::MAX - sys).to_be_bytes());
    k.extend_from_slice(&(u32::MAX - seq).to_be_bytes());
    k
}

/// The prefix shared by every history record of `key`.
pub fn history_prefix(key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(key.len() + 15);
    k.push(NS_HISTORY);
    encode_into(&mut k, key);
    k
}

/// The first history position holding a fact with system time <= `sys`.
pub fn history_seek(key: &[u8], sys: u64) -> Vec<u8> {
    let mut k = history_prefix(key);
    k.extend_from_slice(&(u64::MAX - sys).to_be_bytes());
    k.extend_from_slice(&[0, 0, 0, 0]);
    k
}

/// Writes to `out` the first history position of a key holding a fact with
/// system time <= `sys`, from the key's encoding `enc` (what follows the
/// namespace byte in its current or history keys).
pub fn history_seek_encoded(enc: &[u8], sys: u64, out: &mut Vec<u8>) {
    out.clear();
    out.push(NS_HISTORY);
    out.extend_from_slice(enc);
    out.extend_from_slice(&(u64::MAX - sys).to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
}

/// A scan bound over current records moved to the history namespace (keys
/// encode identically after the namespace byte); the end of the current
/// namespace maps to the end of the history one.
pub fn history_bound(current: &[u8]) -> Vec<u8> {
    if current.first() == Some(&NS_CURRENT) {
        let mut h = current.to_vec();
        h[0] = NS_HISTORY;
        h
    } else {
        vec![NS_HISTORY + 1]
    }
}

/// The lower bound of current records for user keys `>= start`.
pub fn current_lower(start: &[u8]) -> Vec<u8> {
    current_key(start)
}

/// The prefix of current records for user keys starting with `prefix`.
pub fn current_prefix(prefix: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(prefix.len() + 1);
    k.push(NS_CURRENT);
    escape_into(&mut k, prefix);
    k
}

/// Decodes the user key from a current-record storage key.
pub fn decode_current_key(stored: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(stored.len());
    decode_current_key_into(stored, &mut out)?;
    Ok(out)
}

/// Appends the user key of a current-record storage key to `out`.
pub fn decode_current_key_into(stored: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let bad = || Error::corrupt("malformed current-record key");
    let body = stored.strip_prefix(&[NS_CURRENT]).ok_or_else(bad)?;
    match decode_into(body, out) {
        Some(n) if n == body.len() => Ok(()),
        _ => Err(bad()),
    }
}

/// Unescapes the `encode_into` form at the start of `enc` into `out`;
/// returns the bytes it took (terminator included), `None` if malformed.
pub fn decode_into(enc: &[u8], out: &mut Vec<u8>) -> Option<usize> {
    out.reserve(enc.len());
    let mut i = 0;
    loop {
        // Copy up to the next zero byte in one go; it escapes or terminates.
        let rest = enc.get(i..)?;
        let z = rest.iter().position(|&b| b == 0)?;
        out.extend_from_slice(&rest[..z]);
        i += z;
        match enc.get(i + 1) {
            Some(0xFF) => {
                out.push(0);
                i += 2;
            }
            Some(0x01) => return Some(i + 2),
            _ => return None,
        }
    }
}

/// The meta key of epoch `n`.
pub fn epoch_key(n: u64) -> Vec<u8> {
    let mut k = vec![NS_META];
    k.extend_from_slice(b"epoch");
    k.extend_from_slice(&n.to_be_bytes());
    k
}

/// The change-log key of the commit at system time `sys`.
pub fn change_key(sys: u64) -> Vec<u8> {
    let mut k = vec![NS_CHANGES];
    k.extend_from_slice(&sys.to_be_bytes());
    k
}

/// The prefix of every epoch meta key.
pub fn epoch_prefix() -> Vec<u8> {
    let mut k = vec![NS_META];
    k.extend_from_slice(b"epoch");
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_preserved_and_unambiguous() {
        let keys: Vec<&[u8]> = vec![
            b"",
            b"\0",
            b"\0\0",
            b"\0\x01",
            b"\0\xff",
            b"a",
            b"a\0",
            b"a\0b",
            b"a\x01",
            b"ab",
            b"b",
            b"\xff",
            b"\xff\xff",
        ];
        for w in keys.windows(2) {
            assert!(
                current_key(w[0]) < current_key(w[1]),
                "{:?} {:?}",
                w[0],
                w[1]
            );
            assert!(history_prefix(w[0]) < history_prefix(w[1]));
        }
        for k in &keys {
            assert_eq!(decode_current_key(&current_key(k)).unwrap(), k.to_vec());
            for other in &keys {
                if k != other {
                    assert!(!current_key(other).starts_with(&current_key(k)));
                    assert!(!history_key(other, 5, 0).starts_with(&history_prefix(k)));
                }
            }
        }
    }

    #[test]
    fn current_key_in_a_buffer_matches() {
        let mut buf = [0u8; 16];
        for k in [&b""[..], b"a\0b", b"\0\0\0", b"0123456789abc"] {
            let want = current_key(k);
            match current_key_in(k, &mut buf) {
                Some(n) => assert_eq!(&buf[..n], want.as_slice()),
                None => assert!(want.len() > buf.len()),
            }
        }
        assert_eq!(current_key_in(b"0123456789abcdef", &mut buf), None);
    }

    #[test]
    fn malformed_encodings_are_rejected() {
        let mut out = Vec::new();
        for bad in [&b"abc"[..], b"a\0", b"a\0\x02", b"\0\xff"] {
            assert_eq!(decode_into(bad, &mut out), None, "{bad:?}");
        }
        out.clear();
        assert_eq!(decode_into(b"a\0\xffb\0\x01rest", &mut out), Some(6));
        assert_eq!(out, b"a\0b");
    }

    #[test]
    fn history_is_newest_first() {
        assert!(history_key(b"k", 10, 0) < history_key(b"k", 9, 0));
        assert!(history_key(b"k", 10, 1) < history_key(b"k", 10, 0));
        assert!(history_seek(b"k", 10) <= history_key(b"k", 10, 5));
        assert!(history_seek(b"k", 10) > history_key(b"k", 11, 0));
    }
}
