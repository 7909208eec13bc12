//! Our own consumer of one BPF ring buffer (kernel/bpf/ringbuf.c layout).
//!
//! mmap layout of a ring fd: page 0 = consumer position (read-write), then,
//! from offset page_size, the producer position page followed by the data
//! area mapped twice in a row (read-only), so a record that wraps around the
//! end is still contiguous. Each record starts with an 8-byte header: u32
//! length with bit 31 BUSY (not committed yet) and bit 30 DISCARD, then a
//! u32 page offset; records are padded to 8 bytes. Positions are
//! free-running u64 counters.
//!
//! The consumer position is advanced locally per record and published to
//! the kernel once per batch ([`Ring::publish`]), not per record.

use crate::sys::{self, Mmap};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

const BUSY: u32 = 1 << 31;
const DISCARD: u32 = 1 << 30;
const HDR: u64 = 8;

/// One BPF ring buffer map and its mappings. Unmapped and closed on drop.
pub struct Ring {
    fd: OwnedFd,
    cons_page: Mmap,
    data: Mmap,
    page: usize,
    mask: u64,
    cons: u64,
    published: u64,
    prod_cache: u64,
}

impl Ring {
    /// Creates a ring of `bytes` (power-of-two multiple of the page size) and maps it.
    pub fn create(bytes: usize, name: &str) -> io::Result<Self> {
        let page = sys::page_size();
        let bytes32 = u32::try_from(bytes)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "ring too large"))?;
        let fd = sys::ringbuf_create(bytes32, name)?;
        let cons_page = Mmap::new(fd.as_fd(), page, 0, true)?;
        let data = Mmap::new(fd.as_fd(), page + 2 * bytes, page, false)?;
        // SAFETY: page 0 of the mapping is the consumer position.
        let cons = unsafe { (*(cons_page.as_ptr() as *const AtomicU64)).load(Ordering::Acquire) };
        Ok(Self {
            fd,
            cons_page,
            data,
            page,
            mask: bytes as u64 - 1,
            cons,
            published: cons,
            prod_cache: cons,
        })
    }

    fn producer_pos(&self) -> u64 {
        // SAFETY: the first page of the read-only mapping is the producer position.
        unsafe { (*(self.data.as_ptr() as *const AtomicU64)).load(Ordering::Acquire) }
    }

    fn base(&self) -> *const u8 {
        // SAFETY: data pages start one page into the read-only mapping.
        unsafe { self.data.as_ptr().add(self.page) }
    }

    /// The next committed record at the local consumer position, as
    /// (offset into the double-mapped data, length); DISCARD records are skipped.
    pub fn peek(&mut self) -> Option<(usize, usize)> {
        loop {
            if self.cons >= self.prod_cache {
                self.prod_cache = self.producer_pos();
                if self.cons >= self.prod_cache {
                    return None;
                }
            }
            let off = (self.cons & self.mask) as usize;
            // SAFETY: off < size, header is 8-byte aligned inside the data mapping.
            let hdr =
                unsafe { (*(self.base().add(off) as *const AtomicU32)).load(Ordering::Acquire) };
            if hdr & BUSY != 0 {
                return None;
            }
            let len = (hdr & !(BUSY | DISCARD)) as u64;
            if hdr & DISCARD != 0 {
                self.cons += (len + HDR + 7) & !7;
                continue;
            }
            return Some((off + HDR as usize, len as usize));
        }
    }

    /// Consumes the record of `len` bytes that peek() returned (locally).
    pub fn advance(&mut self, len: usize) {
        self.cons += (len as u64 + HDR + 7) & !7;
    }

    /// Bytes consumed locally but not yet returned to the kernel.
    pub fn unpublished(&self) -> u64 {
        self.cons - self.published
    }

    /// Returns consumed space to the kernel (one store per batch).
    pub fn publish(&mut self) {
        if self.cons != self.published {
            // SAFETY: page 0 is the consumer position, mapped read-write.
            unsafe {
                (*(self.cons_page.as_ptr() as *const AtomicU64)).store(self.cons, Ordering::Release)
            };
            self.published = self.cons;
        }
    }

    /// The bytes of a record returned by peek(); valid until published.
    pub fn bytes(&self, off: usize, len: usize) -> &[u8] {
        // SAFETY: off + len lies within the double-mapped data area (a record
        // never exceeds the ring size), and the kernel does not overwrite it
        // before we publish a consumer position past it, which needs &mut self.
        unsafe { std::slice::from_raw_parts(self.base().add(off), len) }
    }
}

impl AsFd for Ring {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}
