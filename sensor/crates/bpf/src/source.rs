//! The event source: per-CPU rings merged by timestamp, handed out as
//! zero-copy [`EventRef`] views.

use crate::error::BpfError;
use crate::probe::{Config, Probe};
use crate::stats::{Counters, Stats};
use crate::sys::{self, Epoll};
use aya::maps::PerCpuArray;
use peregrine_event::EventRef;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

/// How long an event waits for older events from CPUs whose ring is empty.
const REORDER_WINDOW_NS: u64 = 2_000_000;
/// Longest single epoll wait: bounds latency when a wakeup crossing was missed.
const POLL_MS: i32 = 10;
/// Bytes of the scap event header (wire.h).
const HEADER_LEN: usize = 26;

#[derive(Clone, Copy)]
struct Head {
    off: usize,
    len: usize,
    ts: u64,
}

/// One event from a ring: the CPU whose ring carried it and the zero-copy view.
#[derive(Clone, Copy)]
pub struct RingEvent<'a> {
    pub cpu: u16,
    pub event: EventRef<'a>,
}

/// A live capture from this host's kernel.
pub struct Capture {
    probe: Probe,
    epoll: Epoll,
    heads: Vec<Option<Head>>,
    /// Ring whose head was handed out by the previous next() call.
    last: Option<usize>,
    publish_bytes: u64,
    consumed: u64,
    decode_errors: u64,
}

impl Capture {
    /// Loads and attaches the probe and prepares the rings.
    pub fn open(cfg: &Config) -> Result<Self, BpfError> {
        let probe = Probe::load(cfg)?;
        let epoll = Epoll::new().map_err(BpfError::io("epoll_create1"))?;
        for (i, r) in probe.rings.iter().enumerate() {
            epoll
                .add(r.as_fd(), i as u64)
                .map_err(BpfError::io("epoll_ctl on a ring"))?;
        }
        let n = probe.rings.len();
        let publish_bytes = (cfg.ring_bytes as u64) / 4;
        Ok(Self {
            probe,
            epoll,
            heads: vec![None; n],
            last: None,
            publish_bytes,
            consumed: 0,
            decode_errors: 0,
        })
    }

    /// The probe behind this capture (mode, warnings).
    pub fn probe(&self) -> &Probe {
        &self.probe
    }

    /// Captures these syscalls too (see [`Probe::add_syscalls`]).
    pub fn add_syscalls(&mut self, syscalls: &[u32]) -> Result<Vec<u32>, BpfError> {
        self.probe.add_syscalls(syscalls)
    }

    fn now_ts(&self) -> u64 {
        sys::clock_ns(libc::CLOCK_BOOTTIME).wrapping_add(self.probe.boot_offset)
    }

    /// Fills empty heads; returns (index of the oldest head, all rings have a head).
    fn refill(&mut self) -> (Option<usize>, bool) {
        let mut best: Option<(usize, u64)> = None;
        let mut all = true;
        for i in 0..self.heads.len() {
            if self.heads[i].is_none() {
                let ring = &mut self.probe.rings[i];
                while let Some((off, len)) = ring.peek() {
                    let b = ring.bytes(off, len);
                    if len < HEADER_LEN {
                        ring.advance(len);
                        self.decode_errors += 1;
                        continue;
                    }
                    let mut ts = [0u8; 8];
                    ts.copy_from_slice(&b[..8]);
                    self.heads[i] = Some(Head {
                        off,
                        len,
                        ts: u64::from_le_bytes(ts),
                    });
                    break;
                }
            }
            match self.heads[i] {
                Some(h) => {
                    if best.is_none_or(|(_, t)| h.ts < t) {
                        best = Some((i, h.ts));
                    }
                }
                None => all = false,
            }
        }
        (best.map(|(i, _)| i), all)
    }

    fn publish_all(&mut self) {
        for r in &mut self.probe.rings {
            r.publish();
        }
    }

    /// The next event in timestamp order, waiting at most `timeout`;
    /// None on timeout. The view borrows the ring until the next call.
    pub fn next_event(&mut self, timeout: Duration) -> Result<Option<RingEvent<'_>>, BpfError> {
        if let Some(i) = self.last.take() {
            if let Some(h) = self.heads[i].take() {
                let ring = &mut self.probe.rings[i];
                ring.advance(h.len);
                if ring.unpublished() >= self.publish_bytes {
                    ring.publish();
                }
            }
        }
        let deadline = Instant::now() + timeout;
        loop {
            let (best, all) = self.refill();
            if let Some(i) = best {
                let h = self.heads[i].unwrap_or(Head {
                    off: 0,
                    len: 0,
                    ts: 0,
                });
                let age_ok = all || h.ts.saturating_add(REORDER_WINDOW_NS) <= self.now_ts();
                if age_ok {
                    // SAFETY: the record stays mapped and is not overwritten
                    // until we publish a consumer position past it, which
                    // needs `&mut self`; the returned view borrows `self`
                    // through this function's signature. Detaching the
                    // lifetime here only lets the error path below mutate
                    // `self` (a known borrow-checker limitation), so the
                    // event is validated once.
                    let bytes: &[u8] = unsafe {
                        std::slice::from_raw_parts(
                            self.probe.rings[i].bytes(h.off, h.len).as_ptr(),
                            h.len,
                        )
                    };
                    match EventRef::parse(bytes) {
                        Ok(event) => {
                            self.last = Some(i);
                            self.consumed += 1;
                            return Ok(Some(RingEvent {
                                cpu: i as u16,
                                event,
                            }));
                        }
                        Err(_) => {
                            self.decode_errors += 1;
                            self.heads[i] = None;
                            self.probe.rings[i].advance(h.len);
                            continue;
                        }
                    }
                }
                // Too fresh: give the empty rings a moment to deliver older events.
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Ok(None);
                }
                let wait = Duration::from_nanos(REORDER_WINDOW_NS).min(left);
                self.epoll
                    .wait(wait.as_millis().max(1) as i32)
                    .map_err(BpfError::io("epoll_wait"))?;
                continue;
            }
            self.publish_all();
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            let ms = (left.as_millis() as i32).clamp(1, POLL_MS);
            self.epoll.wait(ms).map_err(BpfError::io("epoll_wait"))?;
        }
    }

    /// Kernel counters per CPU plus what this reader saw.
    pub fn stats(&self) -> Result<Stats, BpfError> {
        let map = self
            .probe
            .ebpf
            .map("counters")
            .ok_or_else(|| BpfError::Missing("map counters".into()))?;
        let arr: PerCpuArray<_, Counters> =
            PerCpuArray::try_from(map).map_err(BpfError::map("counters"))?;
        let per_cpu = arr.get(&0, 0).map_err(BpfError::map("counters"))?;
        Ok(Stats {
            per_cpu: per_cpu.iter().copied().collect(),
            consumed: self.consumed,
            decode_errors: self.decode_errors,
        })
    }
}
