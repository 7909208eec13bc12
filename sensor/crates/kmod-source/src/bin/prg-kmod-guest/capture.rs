//! `capture`: read the rings until told to stop, write a .scap, report and
//! check the counters (received == written by the kernel, written + dropped
//! == attempts).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use peregrine_kmod_source::{Config, KmodSource};
use peregrine_scap::{CaptureWriter, Metadata};
use peregrine_wire::raw;

pub struct Opts {
    pub out: Option<PathBuf>,
    pub seconds: Option<u64>,
    pub until: Option<PathBuf>,
    pub stats: Option<PathBuf>,
    pub count_prefix: Option<String>,
    pub snaplen: u32,
    pub slow_ms: Option<u64>,
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

fn install_signals() {
    let h = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: the handler only stores to an atomic.
    unsafe {
        libc::signal(libc::SIGTERM, h);
        libc::signal(libc::SIGINT, h);
    }
}

struct Sink {
    writer: Option<CaptureWriter<std::io::BufWriter<std::fs::File>>>,
    prefix: Option<Vec<u8>>,
    matched: u64,
}

impl Sink {
    /// Reads until the rings are empty or `limit` events were read.
    fn drain(&mut self, src: &mut KmodSource, limit: u64) -> Result<u64> {
        let mut n = 0;
        while n < limit {
            let Some((cpu, ev)) = src.next_event() else {
                break;
            };
            n += 1;
            if let Some(p) = &self.prefix {
                if ev.code() == raw::PPME_SYSCALL_OPENAT_2_X as u16
                    && ev.param_raw(2).is_some_and(|s| s.starts_with(p))
                {
                    self.matched += 1;
                }
            }
            if let Some(w) = self.writer.as_mut() {
                w.write_event(&ev, cpu as u16, 0)
                    .context("writing the capture")?;
            }
        }
        Ok(n)
    }
}

pub fn run(o: Opts) -> Result<()> {
    install_signals();
    let cfg = Config {
        snaplen: o.snaplen,
        ..Config::default()
    };
    let mut src = KmodSource::open(&cfg)?;
    let writer = match &o.out {
        Some(p) => Some(
            CaptureWriter::create(p, false, &Metadata::default())
                .with_context(|| format!("creating {}", p.display()))?,
        ),
        None => None,
    };
    let mut sink = Sink {
        writer,
        prefix: o.count_prefix.map(String::into_bytes),
        matched: 0,
    };
    println!("capture: started on cpus {:?}", src.cpus());
    let start = Instant::now();
    loop {
        match o.slow_ms {
            Some(ms) => {
                sink.drain(&mut src, 500)?;
                std::thread::sleep(Duration::from_millis(ms));
            }
            None => {
                sink.drain(&mut src, 200_000)?;
            }
        }
        let timed_out = o
            .seconds
            .is_some_and(|s| start.elapsed() >= Duration::from_secs(s));
        let told = o.until.as_ref().is_some_and(|p| p.exists());
        if STOP.load(Ordering::SeqCst) || timed_out || told {
            break;
        }
        if src.pending() == 0 {
            src.wait(Duration::from_millis(50))?;
        }
    }
    // Detach first so the counters are final, then read what is left.
    src.stop()?;
    sink.drain(&mut src, u64::MAX)?;
    if let Some(w) = sink.writer.take() {
        w.finish().context("finishing the capture")?;
    }
    let rs = src.ring_stats();
    let rd = src.reader_stats();
    let mut s = String::new();
    let (mut events, mut attempts, mut dropped, mut faults) = (0u64, 0u64, 0u64, 0u64);
    let mut by_reason = [0u64; raw::PRG_DROP_MAX as usize];
    for r in &rs {
        let _ = writeln!(
            s,
            "ring cpu={} events={} attempts={} dropped={} drops={:?} user_faults={} wakeups={}",
            r.cpu,
            r.events,
            r.attempts,
            r.dropped(),
            r.drops,
            r.user_faults,
            r.wakeups
        );
        events += r.events;
        attempts += r.attempts;
        dropped += r.dropped();
        faults += r.user_faults;
        for (a, b) in by_reason.iter_mut().zip(r.drops) {
            *a += b;
        }
    }
    let _ = writeln!(s, "received={}", rd.received);
    let _ = writeln!(s, "corrupt={}", rd.corrupt);
    let _ = writeln!(s, "kernel_events={events}");
    let _ = writeln!(s, "attempts={attempts}");
    let _ = writeln!(s, "dropped={dropped}");
    let _ = writeln!(s, "drop_full={}", by_reason[raw::PRG_DROP_FULL as usize]);
    let _ = writeln!(
        s,
        "drop_too_large={}",
        by_reason[raw::PRG_DROP_TOO_LARGE as usize]
    );
    let _ = writeln!(
        s,
        "drop_nested={}",
        by_reason[raw::PRG_DROP_NESTED as usize]
    );
    let _ = writeln!(
        s,
        "drop_bad_tail={}",
        by_reason[raw::PRG_DROP_BAD_TAIL as usize]
    );
    let _ = writeln!(s, "user_faults={faults}");
    let _ = writeln!(s, "matched={}", sink.matched);
    print!("{s}");
    if let Some(p) = &o.stats {
        std::fs::write(p, &s).with_context(|| format!("writing {}", p.display()))?;
    }
    if rd.received != events || events + dropped != attempts || rd.corrupt != 0 {
        bail!("counters disagree: received {} vs kernel events {events}; events + dropped {} vs attempts {attempts}; corrupt {}",
            rd.received, events + dropped, rd.corrupt);
    }
    println!("capture: counters consistent");
    Ok(())
}
