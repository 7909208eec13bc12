//! Event source for the Peregrine kernel module (`peregrine.ko`).
//!
//! [`KmodSource::open`] opens `/dev/peregrine<cpu>` for every possible CPU,
//! checks the driver's API version, maps each ring's control page and its
//! doubly mapped data, configures the capture (syscall interest, snaplen,
//! tracepoints) and hands out events as [`EventRef`]s that borrow the ring
//! memory: nothing is copied. Per-CPU streams are merged by timestamp over
//! the rings' heads. The ring protocol is documented in
//! `kmod/include/peregrine/ring.h`.
//!
//! Dropping the source unmaps and closes everything; the kernel detaches its
//! tracepoints when the last device is closed.

mod error;
mod ring;
mod sys;

use std::fs::OpenOptions;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::time::Duration;

use peregrine_event::EventRef;
use peregrine_wire::{raw, HEADER_LEN};

pub use error::KmodError;
use ring::Ring;
pub use ring::RingStats;
use sys::Mapping;

/// Driver API major this source speaks.
pub const API_MAJOR: u64 = raw::PRG_API_VERSION_MAJOR as u64;

/// x86_64 syscalls with a dedicated event in peregrine.ko (the others are
/// GENERIC_X): the sys_exit switches of kmod/module/prg_syscalls.c,
/// prg_io.c, prg_misc.c, prg_fs.c, prg_sec.c, prg_fdc.c, prg_move.c and
/// prg_lim.c. The same set as the eBPF probe's fillers.
pub const DEDICATED_SYSCALLS_X86_64: &[u16] = &[
    0, 1, 2, 3, 9, 10, 17, 18, 19, 20, 21, 22, 32, 33, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50,
    53, 56, 57, 58, 59, 62, 72, 73, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 90, 91, 92, 93, 94, 97,
    101, 105, 106, 109, 112, 113, 114, 117, 119, 126, 133, 157, 160, 161, 165, 166, 175, 176, 200,
    213, 234, 253, 257, 258, 259, 260, 263, 264, 265, 266, 268, 272, 275, 282, 283, 284, 288, 289,
    290, 291, 292, 293, 294, 295, 296, 302, 304, 308, 310, 311, 313, 316, 317, 319, 321, 322, 323,
    326, 425, 426, 427, 431, 434, 435, 436, 437, 438,
];

/// What to capture.
#[derive(Debug, Clone)]
pub struct Config {
    /// Native syscall numbers to capture; `None` captures all of them.
    pub syscalls: Option<Vec<u16>>,
    /// Bytes of read/write payload kept (1..=65000).
    pub snaplen: u32,
    /// Bitmask of `raw::PRG_TP_*` tracepoints to attach.
    pub tracepoints: u32,
    /// Wake the reader once this many bytes are pending (None: driver default).
    pub watermark: Option<u64>,
    /// Device directory (`/dev`).
    pub dev_dir: PathBuf,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            syscalls: None,
            snaplen: raw::PRG_SNAPLEN_DEFAULT,
            tracepoints: (1 << raw::PRG_TP_SYS_ENTER)
                | (1 << raw::PRG_TP_SYS_EXIT)
                | (1 << raw::PRG_TP_SCHED_PROCESS_EXEC)
                | (1 << raw::PRG_TP_SCHED_PROCESS_EXIT),
            watermark: None,
            dev_dir: PathBuf::from("/dev"),
        }
    }
}

/// Counters of the reader itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReaderStats {
    /// Events handed out.
    pub received: u64,
    /// Spans skipped because a header was implausible (never expected).
    pub corrupt: u64,
}

/// Reads events from all rings of `peregrine.ko`, merged by timestamp.
pub struct KmodSource {
    rings: Vec<Ring>,
    /// Ring and length of the event handed out last (consumed on the next call).
    current: Option<(usize, u64)>,
    stats: ReaderStats,
    /// The syscall set given to the module (PRG_IOC_SET_INTEREST), kept so
    /// syscalls can be added while capturing.
    interest: raw::prg_interest,
}

fn sys_err<'a>(
    what: &'static str,
    path: &'a std::path::Path,
) -> impl FnOnce(std::io::Error) -> KmodError + 'a {
    move |source| KmodError::Sys {
        what,
        path: path.to_path_buf(),
        source,
    }
}

fn possible_cpus() -> Result<Vec<u32>, KmodError> {
    let p = PathBuf::from("/sys/devices/system/cpu/possible");
    let s = std::fs::read_to_string(&p).map_err(|source| KmodError::Read { path: p, source })?;
    Ok(sys::parse_cpu_list(&s))
}

fn open_ring(cpu: u32, dir: &std::path::Path) -> Result<Option<Ring>, KmodError> {
    let path = dir.join(format!("{}{cpu}", "peregrine"));
    let file = match OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_CLOEXEC)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::EBUSY) => return Err(KmodError::Busy { path }),
        Err(source) => return Err(KmodError::Open { path, source }),
    };
    let fd: OwnedFd = file.into();
    let mut api: u64 = 0;
    sys::ioctl(&fd, sys::GET_API_VERSION, &mut api as *mut u64 as usize)
        .map_err(sys_err("PRG_IOC_GET_API_VERSION", &path))?;
    if api >> 44 != API_MAJOR {
        return Err(KmodError::Api {
            path,
            found: format!("{}.{}.{}", api >> 44, (api >> 24) & 0xfffff, api & 0xffffff),
            wanted: format!("{API_MAJOR}.x"),
        });
    }
    let mut schema: u64 = 0;
    sys::ioctl(
        &fd,
        sys::GET_SCHEMA_VERSION,
        &mut schema as *mut u64 as usize,
    )
    .map_err(sys_err("PRG_IOC_GET_SCHEMA_VERSION", &path))?;
    if schema >> 44 != raw::PRG_SCHEMA_VERSION_MAJOR as u64 {
        return Err(KmodError::Api {
            path,
            found: format!("schema {}", schema >> 44),
            wanted: format!("schema {}", raw::PRG_SCHEMA_VERSION_MAJOR),
        });
    }
    let page = sys::page_size();
    let ctrl =
        Mapping::new(&fd, page, 0, true).map_err(sys_err("mmap of the control page", &path))?;
    // SAFETY: the control page is mapped and at least a page long.
    let size = unsafe {
        std::ptr::addr_of!((*ctrl.as_ptr().cast::<raw::prg_ring_ctrl>()).size).read_volatile()
    };
    if !size.is_power_of_two() || size < page as u64 || size > (1 << 30) {
        return Err(KmodError::BadRingSize { cpu, size });
    }
    let data = Mapping::new(&fd, 2 * size as usize, raw::PRG_MMAP_DATA as u64, false)
        .map_err(sys_err("mmap of the data pages", &path))?;
    Ok(Some(Ring::new(cpu, path, fd, ctrl, data, size)))
}

impl KmodSource {
    /// Opens every device, configures and starts the capture.
    pub fn open(cfg: &Config) -> Result<Self, KmodError> {
        let cpus = possible_cpus()?;
        let mut rings = Vec::with_capacity(cpus.len());
        for &cpu in &cpus {
            if let Some(r) = open_ring(cpu, &cfg.dev_dir)? {
                rings.push(r);
            }
        }
        let Some(first) = rings.first() else {
            return Err(KmodError::NoDevices { cpus });
        };
        let mut interest = raw::prg_interest::default();
        for nr in 0..raw::PRG_SYSCALL_BITS as u16 {
            let want = cfg.syscalls.as_ref().is_none_or(|v| v.contains(&nr));
            if want {
                interest.bits[(nr / 64) as usize] |= 1 << (nr % 64);
            }
        }
        let path = first.path.clone();
        sys::ioctl(&first.fd, sys::SET_INTEREST, &interest as *const _ as usize)
            .map_err(sys_err("PRG_IOC_SET_INTEREST", &path))?;
        sys::ioctl(&first.fd, sys::SET_SNAPLEN, cfg.snaplen as usize)
            .map_err(sys_err("PRG_IOC_SET_SNAPLEN", &path))?;
        if let Some(w) = cfg.watermark {
            for r in &rings {
                sys::ioctl(&r.fd, sys::SET_WATERMARK, w as usize)
                    .map_err(sys_err("PRG_IOC_SET_WATERMARK", &r.path))?;
            }
        }
        sys::ioctl(&first.fd, sys::SET_TRACEPOINTS, cfg.tracepoints as usize)
            .map_err(sys_err("PRG_IOC_SET_TRACEPOINTS", &path))?;
        Ok(KmodSource {
            rings,
            current: None,
            stats: ReaderStats::default(),
            interest,
        })
    }

    /// Starts capturing `syscalls` (native numbers) too, for rules reloaded
    /// while running; returns those not captured before. The module reads
    /// its syscall set on every event, so this takes effect at once, on
    /// every CPU. Syscalls are never removed: state needs what it has.
    pub fn add_syscalls(&mut self, syscalls: &[u32]) -> Result<Vec<u32>, KmodError> {
        let bit = |nr: u32| (nr as usize / 64, 1u64 << (nr % 64));
        let mut next = self.interest;
        let mut new: Vec<u32> = Vec::new();
        for &nr in syscalls {
            if nr >= raw::PRG_SYSCALL_BITS {
                continue;
            }
            let (word, mask) = bit(nr);
            if next.bits[word] & mask == 0 {
                next.bits[word] |= mask;
                new.push(nr);
            }
        }
        new.sort_unstable();
        let Some(first) = self.rings.first() else {
            return Ok(Vec::new());
        };
        if !new.is_empty() {
            sys::ioctl(&first.fd, sys::SET_INTEREST, &next as *const _ as usize)
                .map_err(sys_err("PRG_IOC_SET_INTEREST", &first.path))?;
            self.interest = next;
        }
        Ok(new)
    }

    /// Detaches the tracepoints; events already in the rings stay readable.
    pub fn stop(&mut self) -> Result<(), KmodError> {
        match self.rings.first() {
            Some(r) => sys::ioctl(&r.fd, sys::SET_TRACEPOINTS, 0)
                .map_err(sys_err("PRG_IOC_SET_TRACEPOINTS", &r.path)),
            None => Ok(()),
        }
    }

    /// The CPUs whose rings are open.
    pub fn cpus(&self) -> Vec<u32> {
        self.rings.iter().map(|r| r.cpu).collect()
    }

    /// Counters of every ring.
    pub fn ring_stats(&self) -> Vec<RingStats> {
        self.rings.iter().map(Ring::stats).collect()
    }

    pub fn reader_stats(&self) -> ReaderStats {
        self.stats
    }

    /// Bytes written by the kernel and not yet consumed, over all rings.
    pub fn pending(&self) -> u64 {
        self.rings
            .iter()
            .map(|r| r.load_head().wrapping_sub(r.tail))
            .sum()
    }

    /// The next event by timestamp over all rings, with its CPU, or `None`
    /// when every ring is empty (then call [`KmodSource::wait`]).
    pub fn next_event(&mut self) -> Option<(u32, EventRef<'_>)> {
        if let Some((i, len)) = self.current.take() {
            if let Some(r) = self.rings.get_mut(i) {
                r.tail += len;
                // Free space while draining a long span.
                if r.unpublished() >= 64 * 1024 {
                    r.publish();
                }
            }
        }
        let mut best: Option<(usize, u64, u64)> = None;
        for (i, r) in self.rings.iter_mut().enumerate() {
            if r.tail == r.head {
                r.publish();
                r.head = r.load_head();
            }
            let pending = r.head.wrapping_sub(r.tail);
            if pending == 0 {
                continue;
            }
            let hdr = r.bytes_at_tail(HEADER_LEN);
            let len = u32::from_le_bytes([hdr[16], hdr[17], hdr[18], hdr[19]]) as u64;
            if pending < HEADER_LEN as u64
                || pending > r.stats_size()
                || len < HEADER_LEN as u64
                || len > pending
                || len > raw::PRG_RING_MAX_EVENT as u64
            {
                // Never expected: skip what is there rather than misparse.
                self.stats.corrupt += 1;
                r.tail = r.head;
                r.publish();
                continue;
            }
            let ts = u64::from_le_bytes([
                hdr[0], hdr[1], hdr[2], hdr[3], hdr[4], hdr[5], hdr[6], hdr[7],
            ]);
            if best.is_none_or(|(_, bts, _)| ts < bts) {
                best = Some((i, ts, len));
            }
        }
        let (i, _, len) = best?;
        self.current = Some((i, len));
        let r = &self.rings[i];
        match EventRef::parse(r.bytes_at_tail(len as usize)) {
            Ok(ev) => {
                self.stats.received += 1;
                Some((r.cpu, ev))
            }
            Err(_) => {
                self.stats.corrupt += 1;
                None
            }
        }
    }

    /// Publishes consumer positions and sleeps until a ring crosses its
    /// watermark or `timeout` passes.
    pub fn wait(&mut self, timeout: Duration) -> Result<(), KmodError> {
        if let Some((i, len)) = self.current.take() {
            if let Some(r) = self.rings.get_mut(i) {
                r.tail += len;
            }
        }
        let mut fds: Vec<libc::pollfd> = Vec::with_capacity(self.rings.len());
        for r in &mut self.rings {
            r.publish();
            r.set_waiting();
            fds.push(libc::pollfd {
                fd: r.fd.as_fd().as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            });
        }
        let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: fds is a valid array of pollfd for its length.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                let path = self
                    .rings
                    .first()
                    .map(|r| r.path.clone())
                    .unwrap_or_default();
                return Err(KmodError::Sys {
                    what: "poll",
                    path,
                    source: e,
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DEDICATED_SYSCALLS_X86_64 is what the module's sys_exit switches
    /// handle: every `case __NR_x:` of the filler files, by number.
    #[test]
    fn dedicated_list_matches_the_module_switches() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../kmod");
        let table = std::fs::read_to_string(format!("{root}/include/peregrine/syscalls_x86_64.h"))
            .expect("syscall table");
        let nr_of = |name: &str| -> u16 {
            table
                .lines()
                .filter_map(|l| l.trim().strip_prefix("PRG_NR("))
                .filter_map(|l| l.split_once(", "))
                .find(|(_, rest)| rest.split(')').next() == Some(name))
                .and_then(|(n, _)| n.parse().ok())
                .unwrap_or_else(|| panic!("no number for {name}"))
        };
        let mut got: Vec<u16> = Vec::new();
        for f in [
            "prg_syscalls.c",
            "prg_io.c",
            "prg_misc.c",
            "prg_fs.c",
            "prg_sec.c",
            "prg_fdc.c",
            "prg_move.c",
            "prg_lim.c",
        ] {
            let src = std::fs::read_to_string(format!("{root}/module/{f}")).expect("source");
            // sys_enter's switch (TOCTOU enter events) names exit-handled calls only.
            let exit_part = src.split("void prg_sys_exit").nth(1).unwrap_or(&src);
            let body = if f == "prg_syscalls.c" {
                exit_part
            } else {
                &src
            };
            for l in body.lines() {
                if let Some(name) = l
                    .trim()
                    .strip_prefix("case __NR_")
                    .and_then(|r| r.split_once(':'))
                    .map(|(name, _)| name)
                {
                    got.push(nr_of(name));
                }
            }
        }
        got.sort_unstable();
        got.dedup();
        assert_eq!(got, DEDICATED_SYSCALLS_X86_64);
    }
}
