//! Thin wrappers over the few syscalls the source needs: ioctl numbers of
//! ring.h, mmap with RAII unmapping, and the possible-CPU list.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::ptr::NonNull;

use peregrine_wire::raw;

// The _IOC encoding of asm-generic/ioctl.h (x86_64, arm64, riscv).
const IOC_WRITE: u64 = 1;
const IOC_READ: u64 = 2;
const fn ioc(dir: u64, nr: u64, size: usize) -> u64 {
    (dir << 30) | ((size as u64) << 16) | ((b'P' as u64) << 8) | nr
}
pub const GET_API_VERSION: u64 = ioc(IOC_READ, 1, 8);
pub const GET_SCHEMA_VERSION: u64 = ioc(IOC_READ, 2, 8);
pub const SET_INTEREST: u64 = ioc(IOC_WRITE, 3, std::mem::size_of::<raw::prg_interest>());
pub const SET_TRACEPOINTS: u64 = ioc(0, 4, 0);
pub const SET_SNAPLEN: u64 = ioc(0, 5, 0);
pub const SET_WATERMARK: u64 = ioc(0, 6, 0);
/// Same counters as the control page; the source reads the page instead.
#[cfg_attr(not(test), allow(dead_code))]
pub const GET_STATS: u64 = ioc(IOC_READ, 7, std::mem::size_of::<raw::prg_ring_stats>());

/// ioctl with an integer or pointer argument.
pub fn ioctl(fd: &OwnedFd, req: u64, arg: usize) -> io::Result<()> {
    // SAFETY: the request numbers above match ring.h; pointer arguments are
    // valid for the size encoded in the request (callers pass &mut T of it).
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), req as _, arg) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// A shared mapping of a device, unmapped on drop.
pub struct Mapping {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is plain shared memory; access is synchronised by the
// ring protocol (acquire/release on head and tail).
unsafe impl Send for Mapping {}

impl Mapping {
    pub fn new(fd: &OwnedFd, len: usize, offset: u64, writable: bool) -> io::Result<Self> {
        let prot = libc::PROT_READ | if writable { libc::PROT_WRITE } else { 0 };
        // SAFETY: a fresh mapping chosen by the kernel; checked for failure.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                prot,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                offset as libc::off_t,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        NonNull::new(p.cast::<u8>())
            .map(|ptr| Mapping { ptr, len })
            .ok_or_else(|| io::Error::other("mmap returned NULL"))
    }

    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    pub fn len(&self) -> usize {
        self.len
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: ptr/len come from a successful mmap and are unmapped once.
        unsafe {
            libc::munmap(self.ptr.as_ptr().cast(), self.len);
        }
    }
}

pub fn page_size() -> usize {
    // SAFETY: sysconf has no memory-safety preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p as usize
    } else {
        4096
    }
}

/// Parses a kernel CPU list ("0-3,5").
pub fn parse_cpu_list(s: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for part in s.trim().split(',').filter(|p| !p.is_empty()) {
        let mut it = part.splitn(2, '-');
        let a = it.next().and_then(|x| x.trim().parse::<u32>().ok());
        let b = it.next().map(|x| x.trim().parse::<u32>().ok());
        match (a, b) {
            (Some(a), None) => out.push(a),
            (Some(a), Some(Some(b))) if b >= a && b - a < 65536 => out.extend(a..=b),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists() {
        assert_eq!(parse_cpu_list("0-3,5\n"), vec![0, 1, 2, 3, 5]);
        assert_eq!(parse_cpu_list("0"), vec![0]);
        assert_eq!(parse_cpu_list("garbage,2"), vec![2]);
        assert_eq!(parse_cpu_list("3-1"), Vec::<u32>::new());
    }

    #[test]
    fn ioctl_numbers_match_the_linux_encoding() {
        // _IOR('P', 1, __u64) as computed by the C macros.
        assert_eq!(GET_API_VERSION, 0x8008_5001);
        assert_eq!(SET_TRACEPOINTS, 0x5004);
        assert_eq!(SET_INTEREST, 0x4040_5003);
        assert_eq!(GET_STATS, 0x8070_5007);
    }
}
