//! The converter's per-thread store of enter events (event-table.md §3.3),
//! bounded: past `max_tids` threads the oldest slot goes.
//!
//! Every old enter event is stored and every exit takes its slot back, so
//! this sits on the hot path of replaying a 2022 capture. Slots are kept
//! (emptied, allocation reused) after their exit instead of removed and
//! re-inserted, and the eviction order is a queue of (generation, tid)
//! checked lazily, not an ordered map updated on every store.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

/// Slots whose buffer grew past this are given back when emptied, so a few
/// huge enter events do not pin memory in every slot that once held one.
const KEEP_CAPACITY: usize = 4096;

/// Thread ids are kernel-assigned integers and the store is bounded, so a
/// multiplicative hash is enough (SipHash cost more than the rest of the
/// lookup). A capture crafted for collisions only slows its own replay.
#[derive(Default)]
pub(crate) struct TidHasher(u64);

impl Hasher for TidHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_u64(&mut self, v: u64) {
        // Fold the high half in, so hashbrown's top-7-bit tags vary too.
        let h = v.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = h ^ (h >> 32);
    }
}

pub(crate) type TidMap<V> = HashMap<u64, V, BuildHasherDefault<TidHasher>>;

struct Slot {
    /// Generation of the last store; the queue entry with this generation
    /// is the live one.
    gen: u64,
    full: bool,
    bytes: Vec<u8>,
}

pub(crate) struct EnterStore {
    slots: TidMap<Slot>,
    /// (generation, tid) in store order; entries whose generation no longer
    /// matches their slot are stale and skipped.
    queue: VecDeque<(u64, u64)>,
    gen: u64,
    full: usize,
    max_tids: usize,
}

impl EnterStore {
    pub fn new(max_tids: usize) -> Self {
        EnterStore {
            slots: TidMap::default(),
            queue: VecDeque::new(),
            gen: 0,
            full: 0,
            max_tids: max_tids.max(1),
        }
    }

    /// Threads with an enter event waiting.
    pub fn len(&self) -> usize {
        self.full
    }

    /// The enter event waiting for `tid`, if any.
    pub fn get(&self, tid: u64) -> Option<&[u8]> {
        self.slots
            .get(&tid)
            .filter(|s| s.full)
            .map(|s| s.bytes.as_slice())
    }

    /// Stores `event` as `tid`'s enter; returns how many full slots were
    /// evicted to make room.
    pub fn put(&mut self, tid: u64, event: &[u8]) -> u64 {
        self.gen += 1;
        let gen = self.gen;
        let slot = self.slots.entry(tid).or_insert_with(|| Slot {
            gen,
            full: false,
            bytes: Vec::new(),
        });
        if !slot.full {
            self.full += 1;
        }
        slot.full = true;
        slot.gen = gen;
        slot.bytes.clear();
        slot.bytes.extend_from_slice(event);
        self.queue.push_back((gen, tid));
        let evicted = self.evict();
        if self.queue.len() > 2 * self.slots.len() + 64 {
            let slots = &self.slots;
            self.queue
                .retain(|(g, t)| slots.get(t).is_some_and(|s| s.gen == *g));
        }
        evicted
    }

    /// Empties `tid`'s slot (its exit arrived or its enter was stale).
    pub fn take(&mut self, tid: u64) {
        if let Some(s) = self.slots.get_mut(&tid) {
            if s.full {
                s.full = false;
                self.full -= 1;
            }
            if s.bytes.capacity() > KEEP_CAPACITY {
                s.bytes = Vec::new();
            }
        }
    }

    /// Removes the oldest slots while more threads than allowed have one.
    fn evict(&mut self) -> u64 {
        let mut evicted = 0;
        while self.slots.len() > self.max_tids {
            let Some((g, t)) = self.queue.pop_front() else {
                break;
            };
            if self.slots.get(&t).is_some_and(|s| s.gen == g)
                && self.slots.remove(&t).is_some_and(|s| s.full)
            {
                self.full -= 1;
                evicted += 1;
            }
        }
        evicted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reused_slots_count_once_and_evict_oldest() {
        let mut s = EnterStore::new(2);
        assert_eq!(s.put(1, b"a"), 0);
        assert_eq!(s.put(1, b"b"), 0);
        assert_eq!(s.len(), 1);
        assert_eq!(s.get(1), Some(&b"b"[..]));
        s.take(1);
        assert_eq!((s.len(), s.get(1)), (0, None));
        assert_eq!(s.put(2, b"c"), 0);
        // tid 1's empty slot is the oldest: it goes without counting.
        assert_eq!(s.put(3, b"d"), 0);
        assert_eq!(s.put(4, b"e"), 1);
        assert_eq!((s.len(), s.get(2), s.get(4)), (2, None, Some(&b"e"[..])));
    }

    #[test]
    fn queue_stays_bounded_under_restores() {
        let mut s = EnterStore::new(4);
        for i in 0..10_000u64 {
            s.put(i % 3, b"x");
            s.take(i % 3);
        }
        assert!(s.queue.len() <= 2 * s.slots.len() + 65);
        assert_eq!(s.len(), 0);
    }
}
