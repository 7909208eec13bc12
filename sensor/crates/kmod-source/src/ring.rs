//! One mapped per-CPU ring: the control page and the doubly mapped data.

use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use peregrine_wire::raw;

use crate::sys::Mapping;

/// Counters of one ring, from its control page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RingStats {
    pub cpu: u32,
    /// Events the kernel wrote.
    pub events: u64,
    /// Events that passed the filters: written plus dropped.
    pub attempts: u64,
    /// Parameters left empty because user memory was unreadable.
    pub user_faults: u64,
    pub wakeups: u64,
    /// Drops by reason, indexed by `raw::PRG_DROP_*`.
    pub drops: [u64; raw::PRG_DROP_MAX as usize],
}

impl RingStats {
    pub fn dropped(&self) -> u64 {
        self.drops.iter().sum()
    }
}

pub(crate) struct Ring {
    pub cpu: u32,
    pub path: PathBuf,
    pub fd: OwnedFd,
    ctrl: Mapping,
    data: Mapping,
    mask: u64,
    /// Our consumer position and the last one stored in the control page.
    pub tail: u64,
    published: u64,
    /// Producer position as last loaded.
    pub head: u64,
}

impl Ring {
    pub fn new(
        cpu: u32,
        path: PathBuf,
        fd: OwnedFd,
        ctrl: Mapping,
        data: Mapping,
        size: u64,
    ) -> Self {
        let mut r = Ring {
            cpu,
            path,
            fd,
            ctrl,
            data,
            mask: size - 1,
            tail: 0,
            published: u64::MAX,
            head: 0,
        };
        // Start where the kernel is: a fresh consumer gets reset rings, but
        // do not trust it.
        r.head = r.load_head();
        r.tail = r.head;
        r.publish();
        r
    }

    fn ctrl_ptr(&self) -> *mut raw::prg_ring_ctrl {
        self.ctrl.as_ptr().cast()
    }

    fn atomic_u64(&self, off: usize) -> &AtomicU64 {
        // SAFETY: off is a u64 field offset inside the mapped control page,
        // which lives as long as self and is 8-byte aligned (page aligned base).
        unsafe { &*(self.ctrl.as_ptr().add(off).cast::<AtomicU64>()) }
    }

    pub fn load_head(&self) -> u64 {
        self.atomic_u64(std::mem::offset_of!(raw::prg_ring_ctrl, head))
            .load(Ordering::Acquire)
    }

    /// Stores our tail so the producer may reuse the space.
    pub fn publish(&mut self) {
        if self.tail != self.published {
            self.atomic_u64(std::mem::offset_of!(raw::prg_ring_ctrl, tail))
                .store(self.tail, Ordering::Release);
            self.published = self.tail;
        }
    }

    pub fn unpublished(&self) -> u64 {
        self.tail - self.published
    }

    pub fn set_waiting(&self) {
        // SAFETY: as atomic_u64, for the u32 field.
        let w = unsafe {
            &*(self
                .ctrl
                .as_ptr()
                .add(std::mem::offset_of!(raw::prg_ring_ctrl, waiting))
                .cast::<AtomicU32>())
        };
        w.store(1, Ordering::SeqCst);
    }

    /// The readable bytes at tail, at most `len` (the data is mapped twice,
    /// so a wrapped span is contiguous).
    pub fn bytes_at_tail(&self, len: usize) -> &[u8] {
        let off = (self.tail & self.mask) as usize;
        let len = len.min(self.data.len() / 2);
        // SAFETY: off < size and len <= size, and the mapping is 2 * size long.
        unsafe { std::slice::from_raw_parts(self.data.as_ptr().add(off), len) }
    }

    /// Bytes of the data area.
    pub fn stats_size(&self) -> u64 {
        self.mask + 1
    }

    pub fn stats(&self) -> RingStats {
        let p = self.ctrl_ptr();
        // SAFETY: volatile reads of fields of the mapped control page.
        unsafe {
            RingStats {
                cpu: self.cpu,
                events: std::ptr::addr_of!((*p).events).read_volatile(),
                attempts: std::ptr::addr_of!((*p).attempts).read_volatile(),
                user_faults: std::ptr::addr_of!((*p).user_faults).read_volatile(),
                wakeups: std::ptr::addr_of!((*p).wakeups).read_volatile(),
                drops: std::ptr::addr_of!((*p).drops).read_volatile(),
            }
        }
    }
}
