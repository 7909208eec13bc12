//! Drop and event counters: per CPU from the kernel, plus the reader's own.

/// Mirror of `struct prg_counters` (kmod/bpf/probe.h); append only.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Events written to the ring.
    pub events: u64,
    /// Dropped: the ring was full.
    pub drop_full: u64,
    /// Dropped: no ring for the CPU.
    pub drop_no_ring: u64,
    /// Dropped: event larger than 64 KiB.
    pub drop_too_large: u64,
    /// Dropped: no scratch area.
    pub drop_no_scratch: u64,
    /// Forced wakeups sent (pending data crossed the threshold).
    pub wakeups: u64,
}

// SAFETY: plain old data, no padding (six u64).
unsafe impl aya::Pod for Counters {}

const _: () = assert!(std::mem::size_of::<Counters>() == 48);

impl Counters {
    /// All drops, whatever the reason.
    pub fn drops(&self) -> u64 {
        self.drop_full + self.drop_no_ring + self.drop_too_large + self.drop_no_scratch
    }

    fn add(&mut self, o: &Counters) {
        self.events += o.events;
        self.drop_full += o.drop_full;
        self.drop_no_ring += o.drop_no_ring;
        self.drop_too_large += o.drop_too_large;
        self.drop_no_scratch += o.drop_no_scratch;
        self.wakeups += o.wakeups;
    }
}

/// A snapshot of the capture's counters.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Kernel-side counters, index = CPU.
    pub per_cpu: Vec<Counters>,
    /// Events handed out by the reader.
    pub consumed: u64,
    /// Records in a ring that did not decode as events (skipped).
    pub decode_errors: u64,
}

impl Stats {
    /// Kernel counters summed over CPUs.
    pub fn total(&self) -> Counters {
        let mut t = Counters::default();
        for c in &self.per_cpu {
            t.add(c);
        }
        t
    }
}
