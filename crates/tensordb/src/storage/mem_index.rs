//! The memtable's exact-key index: an open-addressing hash table that one
//! thread writes and any number of threads read without taking a lock.
//!
//! A lookup in the striped `RwLock<HashMap>` it replaces took two locks (the
//! stripe's and the value's), and a locked instruction makes the CPU finish
//! every earlier load first: the cache misses of one key could never overlap
//! the next key's. Here a reader only loads (Acquire), so a batch of lookups
//! can prefetch the slots of keys it will look up next (`prefetch`).
//!
//! Entries are never removed while the index lives (a memtable only grows);
//! a value is replaced in place by swapping its pointer, the old bytes freed
//! once no reader pinned before the swap can still hold them (crossbeam's
//! epochs, the same the skip list uses).
//!
//! The crate's one `unsafe` module: a lock-free structure needs raw
//! pointers. Every block carries its `SAFETY:` argument, and the tests below
//! include a reader racing a growing writer.
#![allow(
    unsafe_code,
    reason = "lock-free single-writer hash table: epoch-protected pointers"
)]

use super::hash::FastState;
use super::mem_key::MemKey;
use crossbeam_epoch::{self as epoch, Atomic, Guard, Owned};
use std::hash::BuildHasher;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

/// A key and its current value, shared by the skip list and the index.
pub struct Entry {
    key: MemKey,
    value: Atomic<[MaybeUninit<u8>]>,
}

fn owned_bytes(bytes: &[u8]) -> Owned<[MaybeUninit<u8>]> {
    let mut o = Owned::<[MaybeUninit<u8>]>::init(bytes.len());
    for (d, s) in o.iter_mut().zip(bytes) {
        d.write(*s);
    }
    o
}

impl Entry {
    /// A new entry.
    pub fn new(key: &[u8], value: &[u8]) -> Self {
        Entry {
            key: MemKey::from(key),
            value: Atomic::from(owned_bytes(value)),
        }
    }

    /// The key's bytes.
    pub fn key(&self) -> &[u8] {
        self.key.as_slice()
    }

    /// The current value, valid while `guard` stays pinned.
    pub fn value<'a>(&'a self, guard: &'a Guard) -> &'a [u8] {
        let p = self.value.load(Ordering::Acquire, guard);
        // SAFETY: the pointer is never null (set at construction, swapped
        // for another allocation), every byte was initialised by
        // `owned_bytes`, and a swapped-out allocation is only freed after
        // every guard pinned before the swap is dropped.
        let s: &[MaybeUninit<u8>] = unsafe { p.deref() };
        unsafe { &*(s as *const [MaybeUninit<u8>] as *const [u8]) }
    }

    /// Starts loading the current value's bytes.
    #[inline]
    pub fn prefetch_value(&self, guard: &Guard) {
        let p = self.value.load(Ordering::Acquire, guard);
        prefetch_addr(crossbeam_epoch::Pointer::into_usize(p));
    }

    /// Replaces the value (the single writer only).
    pub fn replace(&self, value: &[u8], guard: &Guard) {
        let old = self.value.swap(owned_bytes(value), Ordering::AcqRel, guard);
        // SAFETY: `old` is unreachable from now on; readers that loaded it
        // hold a guard pinned before this point.
        unsafe { guard.defer_destroy(old) };
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        // SAFETY: no reader can hold a reference into an entry being
        // dropped (readers borrow it from the memtable they keep alive).
        unsafe {
            let p = self.value.load(Ordering::Relaxed, epoch::unprotected());
            if !p.is_null() {
                drop(p.into_owned());
            }
        }
    }
}

/// One slot: the entry's hash (0 while empty) and the entry. The writer
/// stores the entry before the hash, so a reader that sees the hash sees
/// the entry.
struct Slot {
    hash: AtomicU64,
    entry: AtomicPtr<Entry>,
}

/// A power-of-two array of slots, probed linearly.
struct Slots {
    mask: usize,
    slots: Box<[Slot]>,
}

impl Slots {
    fn with_capacity(n: usize) -> Self {
        Slots {
            mask: n - 1,
            slots: (0..n)
                .map(|_| Slot {
                    hash: AtomicU64::new(0),
                    entry: AtomicPtr::new(std::ptr::null_mut()),
                })
                .collect(),
        }
    }

    /// Places an entry known to be absent.
    fn put(&self, hash: u64, entry: *mut Entry) {
        let mut i = hash as usize & self.mask;
        loop {
            let s = &self.slots[i];
            if s.hash.load(Ordering::Relaxed) == 0 {
                s.entry.store(entry, Ordering::Relaxed);
                s.hash.store(hash, Ordering::Release);
                return;
            }
            i = (i + 1) & self.mask;
        }
    }
}

/// Asks the CPU to start loading the cache line at address `addr` (any
/// address: a prefetch never faults and reads nothing into the program).
/// Here because it needs `unsafe`; the row cache's table uses it too.
#[inline]
pub(crate) fn prefetch_addr(addr: usize) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(addr as *const i8)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = addr;
}

/// Starting slot count.
const INITIAL: usize = 64;

/// The index: at most half full, doubled by the writer when it would pass
/// that, the old array freed once its readers are gone.
pub struct MemIndex {
    slots: Atomic<Slots>,
    len: AtomicUsize,
    state: FastState,
}

impl Default for MemIndex {
    fn default() -> Self {
        MemIndex {
            slots: Atomic::new(Slots::with_capacity(INITIAL)),
            len: AtomicUsize::new(0),
            state: FastState::default(),
        }
    }
}

impl MemIndex {
    /// The index's hash of `key` (never 0: 0 marks an empty slot): seeded
    /// once per process, so every index of the process agrees.
    #[inline]
    pub fn hash(&self, key: &[u8]) -> u64 {
        self.state.hash_one(key).max(1)
    }

    /// Starts loading the slot where the search for `hash` begins.
    #[inline]
    pub fn prefetch(&self, hash: u64, guard: &Guard) {
        // SAFETY: the array pointer is never null and outlives the guard.
        let slots = unsafe { self.slots.load(Ordering::Acquire, guard).deref() };
        prefetch_addr(&slots.slots[hash as usize & slots.mask] as *const Slot as usize);
    }

    /// Starts loading the entry in the first slot probed for `hash`; false
    /// when that slot holds no entry of this hash (the key is most likely
    /// absent).
    #[inline]
    pub fn prefetch_entry(&self, hash: u64, guard: &Guard) -> bool {
        // SAFETY: as in `prefetch`.
        let slots = unsafe { self.slots.load(Ordering::Acquire, guard).deref() };
        let s = &slots.slots[hash as usize & slots.mask];
        let found = s.hash.load(Ordering::Acquire) == hash;
        if found {
            prefetch_addr(s.entry.load(Ordering::Relaxed) as usize);
        }
        found
    }

    /// Starts loading the value bytes of `key`.
    #[inline]
    pub fn prefetch_value(&self, hash: u64, key: &[u8], guard: &Guard) {
        if let Some(e) = self.find(hash, key, guard) {
            e.prefetch_value(guard);
        }
    }

    /// The entry of `key` (whose `hash` is `self.hash(key)`), if present.
    pub fn find<'a>(&'a self, hash: u64, key: &[u8], guard: &'a Guard) -> Option<&'a Entry> {
        // SAFETY: as in `prefetch`.
        let slots = unsafe { self.slots.load(Ordering::Acquire, guard).deref() };
        let mut i = hash as usize & slots.mask;
        loop {
            let s = &slots.slots[i];
            let h = s.hash.load(Ordering::Acquire);
            if h == 0 {
                return None;
            }
            if h == hash {
                // SAFETY: a published hash comes after its entry pointer,
                // and entries live as long as the index.
                let e = unsafe { &*s.entry.load(Ordering::Relaxed) };
                if e.key() == key {
                    return Some(e);
                }
            }
            i = (i + 1) & slots.mask;
        }
    }

    /// Adds an entry whose key is absent (the single writer only); the index
    /// keeps one reference to it.
    pub fn insert(&self, hash: u64, entry: Arc<Entry>, guard: &Guard) {
        let len = self.len.load(Ordering::Relaxed) + 1;
        // SAFETY: as in `prefetch`.
        let mut slots = unsafe { self.slots.load(Ordering::Acquire, guard).deref() };
        if len * 2 > slots.slots.len() {
            let bigger = Slots::with_capacity(slots.slots.len() * 2);
            for s in slots.slots.iter() {
                let h = s.hash.load(Ordering::Relaxed);
                if h != 0 {
                    bigger.put(h, s.entry.load(Ordering::Relaxed));
                }
            }
            let old = self.slots.swap(Owned::new(bigger), Ordering::AcqRel, guard);
            // SAFETY: the old array is unreachable for new readers; the
            // entries it points at stay owned by the new one.
            unsafe { guard.defer_destroy(old) };
            slots = unsafe { self.slots.load(Ordering::Acquire, guard).deref() };
        }
        slots.put(hash, Arc::into_raw(entry) as *mut Entry);
        self.len.store(len, Ordering::Relaxed);
    }
}

impl Drop for MemIndex {
    fn drop(&mut self) {
        // SAFETY: dropping the index means no reader can reach it; the
        // current array holds the one reference per entry.
        unsafe {
            let slots = self.slots.load(Ordering::Relaxed, epoch::unprotected());
            let owned = slots.into_owned();
            for s in owned.slots.iter() {
                let p = s.entry.load(Ordering::Relaxed);
                if !p.is_null() {
                    drop(Arc::from_raw(p as *const Entry));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_entry_across_growth_and_replaces_in_place() {
        let idx = MemIndex::default();
        let guard = &epoch::pin();
        let keys: Vec<Vec<u8>> = (0..5000u32)
            .map(|i| {
                let mut k = i.to_be_bytes().to_vec();
                // Some keys too long to be inline.
                k.resize(if i % 7 == 0 { 60 } else { 8 }, b'x');
                k
            })
            .collect();
        for (i, k) in keys.iter().enumerate() {
            assert!(idx.find(idx.hash(k), k, guard).is_none());
            idx.insert(idx.hash(k), Arc::new(Entry::new(k, &[i as u8; 3])), guard);
        }
        for (i, k) in keys.iter().enumerate() {
            let e = idx.find(idx.hash(k), k, guard).expect("present");
            assert_eq!(e.value(guard), &[i as u8; 3]);
        }
        let e = idx.find(idx.hash(&keys[9]), &keys[9], guard).unwrap();
        e.replace(b"longer value", guard);
        assert_eq!(
            idx.find(idx.hash(&keys[9]), &keys[9], guard)
                .unwrap()
                .value(guard),
            b"longer value"
        );
        assert!(idx.find(idx.hash(b"absent"), b"absent", guard).is_none());
    }

    #[test]
    fn readers_see_every_published_entry_while_the_writer_grows_it() {
        let idx = Arc::new(MemIndex::default());
        let published = Arc::new(AtomicUsize::new(0));
        let key = |i: usize| (i as u64).to_be_bytes();
        // Reader passes completed; the writer waits for one now and then so
        // the two really interleave even on a loaded machine.
        let passes = Arc::new(AtomicUsize::new(0));
        let reader = {
            let (idx, published, passes) = (idx.clone(), published.clone(), passes.clone());
            std::thread::spawn(move || {
                let mut checks = 0;
                while published.load(Ordering::Acquire) < 20_000 {
                    let n = published.load(Ordering::Acquire);
                    let guard = &epoch::pin();
                    for i in (0..n).step_by(97) {
                        let k = key(i);
                        let e = idx.find(idx.hash(&k), &k, guard);
                        assert_eq!(e.map(|e| e.value(guard).to_vec()), Some(k.to_vec()));
                        checks += 1;
                    }
                    passes.fetch_add(1, Ordering::Release);
                }
                checks
            })
        };
        for i in 0..20_000 {
            if i % 2_000 == 1_000 {
                let seen = passes.load(Ordering::Acquire);
                let until = std::time::Instant::now() + std::time::Duration::from_secs(2);
                while passes.load(Ordering::Acquire) < seen + 2 && std::time::Instant::now() < until
                {
                    std::thread::yield_now();
                }
            }
            let guard = &epoch::pin();
            let k = key(i);
            idx.insert(idx.hash(&k), Arc::new(Entry::new(&k, &k)), guard);
            published.store(i + 1, Ordering::Release);
        }
        assert!(reader.join().unwrap() > 0);
    }

    #[test]
    fn readers_never_see_a_freed_or_torn_value_while_values_are_replaced() {
        // Values are `key | round` with lengths that change every round, so
        // a reader holding freed or half-written bytes fails the check.
        let idx = Arc::new(MemIndex::default());
        let keys: Vec<[u8; 8]> = (0..256u64).map(|i| i.to_be_bytes()).collect();
        let value = |k: &[u8], round: u32| {
            let mut v = k.to_vec();
            v.extend(std::iter::repeat_n(round as u8, 1 + round as usize % 40));
            v
        };
        {
            let guard = &epoch::pin();
            for k in &keys {
                idx.insert(idx.hash(k), Arc::new(Entry::new(k, &value(k, 0))), guard);
            }
        }
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (idx, stop, keys) = (idx.clone(), stop.clone(), keys.clone());
                std::thread::spawn(move || {
                    let mut reads = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        let guard = &epoch::pin();
                        for k in &keys {
                            let v = idx.find(idx.hash(k), k, guard).unwrap().value(guard);
                            assert_eq!(&v[..8], k, "value of another key");
                            let round = v[8];
                            assert_eq!(v.len(), 9 + round as usize % 40, "torn value");
                            assert!(v[8..].iter().all(|&b| b == round), "torn value");
                            reads += 1;
                        }
                    }
                    reads
                })
            })
            .collect();
        for round in 1..2000u32 {
            let guard = &epoch::pin();
            for k in &keys {
                let e = idx.find(idx.hash(k), k, guard).unwrap();
                e.replace(&value(k, round % 200), guard);
            }
        }
        stop.store(true, Ordering::Relaxed);
        for r in readers {
            assert!(r.join().unwrap() > 0);
        }
    }
}
