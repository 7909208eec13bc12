//! `peregrine capture --driver kmod`: the same capture loop as the eBPF
//! driver's (state for the fields, rules, -w), reading peregrine.ko's rings
//! through peregrine-kmod-source.

use anyhow::{Context, Result};
use peregrine_format::{EventContext, Format};
use peregrine_kmod_source::{Config, KmodSource};
use peregrine_rules::RuleSet;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

pub struct Opts {
    pub write: Option<PathBuf>,
    pub gzip: bool,
    pub format: Option<Format>,
    pub duration: Option<f64>,
    pub count: Option<u64>,
    pub all_syscalls: bool,
    pub snaplen: u32,
    pub stats: bool,
    /// Rules to evaluate (alerts printed instead of events), and as JSON.
    pub rules: Option<RuleSet>,
    pub json: bool,
}

pub fn run(a: Opts) -> Result<u8> {
    let cfg = Config {
        snaplen: a.snaplen,
        syscalls: if a.all_syscalls {
            None
        } else {
            Some(peregrine_kmod_source::DEDICATED_SYSCALLS_X86_64.to_vec())
        },
        ..Config::default()
    };
    let stop = peregrine_bpf::stop_on_signals();
    let mut src = KmodSource::open(&cfg).context("cannot start the kernel-module capture")?;
    // Read after the rings are attached, as the eBPF path does: a process
    // started during the scan is then in /proc or announced by its clone.
    let mut state = crate::capture::host_state();
    let mut writer = match &a.write {
        Some(p) => Some(crate::capture::create_writer(p, a.gzip, &state)?),
        None => None,
    };
    let hostname = crate::rules_cmd::hostname();
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut line = String::with_capacity(256);
    let deadline = a
        .duration
        .map(|d| Instant::now() + Duration::from_secs_f64(d));
    let mut num = 0u64;
    'outer: loop {
        while let Some((cpu, ev)) = src.next_event() {
            if a.count.is_some_and(|n| num >= n) {
                break 'outer;
            }
            num += 1;
            if let Some(w) = writer.as_mut() {
                w.write_event(&ev, cpu as u16, 0)
                    .context("writing the capture file")?;
            }
            state.process(&ev);
            let ctx = EventContext {
                event: ev,
                num,
                cpu: cpu as u16,
                state: Some(&state),
            };
            if let Some(rs) = &a.rules {
                crate::capture::write_alerts(&mut out, rs, a.json, &hostname, &ctx)?;
            }
            if let Some(f) = &a.format {
                if f.render(&ctx, &mut line) {
                    out.write_all(line.as_bytes())?;
                    out.write_all(b"\n")?;
                }
            }
        }
        out.flush()?;
        if stop.load(Ordering::Relaxed)
            || a.count.is_some_and(|n| num >= n)
            || deadline.is_some_and(|d| Instant::now() >= d)
        {
            break;
        }
        src.wait(Duration::from_millis(100))?;
    }
    src.stop()?;
    out.flush()?;
    if let Some(w) = writer {
        w.finish().context("finishing the capture file")?;
    }
    if a.stats {
        let rs = src.ring_stats();
        let events: u64 = rs.iter().map(|r| r.events).sum();
        let drops: u64 = rs.iter().map(|r| r.dropped()).sum();
        eprintln!("events: {num} read, {events} in kernel; drops: {drops}");
        for r in &rs {
            eprintln!(
                "  cpu {}: events {} drops {} (by reason {:?}), unreadable user memory {}",
                r.cpu,
                r.events,
                r.dropped(),
                r.drops,
                r.user_faults
            );
        }
    }
    Ok(crate::exit::OK)
}
