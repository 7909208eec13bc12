//! `peregrine capture`: live events from this host's kernel through the
//! modern eBPF probe, printed like `sysdig` and/or written to a .scap file.

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use peregrine_bpf::{AttachMode, Capture, Config};
use peregrine_format::{EventContext, Format, DEFAULT_FORMAT};
use peregrine_scap::CaptureWriter;
use peregrine_state::{Limits, State};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, ValueEnum)]
pub enum Driver {
    /// The CO-RE eBPF probe (kernel 5.8+ with BTF).
    ModernEbpf,
    /// peregrine.ko's per-CPU rings (/dev/peregrine<N>).
    Kmod,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Attach {
    /// tp_btf, falling back to raw_tp.
    Auto,
    TpBtf,
    RawTp,
}

#[derive(Args)]
pub struct CaptureArgs {
    /// Kernel driver to capture with.
    #[arg(long, value_enum, default_value = "modern-ebpf")]
    driver: Driver,
    /// Write events to this .scap file (readable by `peregrine replay` and `sysdig -r`).
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    write: Option<PathBuf>,
    /// gzip-compress the -w file.
    #[arg(short = 'z', long)]
    gzip: bool,
    /// Print events with this format (sysdig syntax). Default: print unless -w is given.
    #[arg(short = 'p', long = "print", value_name = "FORMAT")]
    format: Option<String>,
    /// Stop after S seconds.
    #[arg(long, value_name = "S", conflicts_with = "count")]
    duration: Option<f64>,
    /// Stop after N events.
    #[arg(short = 'n', long = "count", value_name = "N")]
    count: Option<u64>,
    /// Capture every syscall (those without a dedicated event as GENERIC_X).
    #[arg(long)]
    all_syscalls: bool,
    /// Ring buffer bytes per CPU (power of two, >= 128 KiB).
    #[arg(long, value_name = "BYTES", default_value_t = 8 << 20)]
    buffer_bytes: usize,
    /// Bytes of read/write payload kept per event.
    #[arg(short = 's', long, value_name = "BYTES", default_value_t = 80)]
    snaplen: u32,
    /// How the syscall programs attach.
    #[arg(long, value_enum, default_value = "auto")]
    attach: Attach,
    /// Print capture counters (events, drops by reason) to stderr at the end.
    #[arg(long)]
    stats: bool,
    /// Rules files or directories (Falco's language): print the alerts of
    /// matching rules instead of events.
    #[arg(short = 'r', long = "rules", value_name = "RULES")]
    rules: Vec<PathBuf>,
    /// With -r: print alerts as Falco's JSON.
    #[arg(long, requires = "rules")]
    json: bool,
}

/// This host's processes, fds and users from /proc and /etc (under
/// $HOST_ROOT when set, as `peregrine run` reads them).
pub(crate) fn host_state() -> State {
    let host_root = std::env::var_os("HOST_ROOT").map_or_else(|| PathBuf::from("/"), PathBuf::from);
    State::from_proc(&host_root, Limits::default())
}

/// Creates the -w file with `state` as its machine info, process, fd and
/// user lists, so that readers (ours, sysdig, Falco) know the processes
/// that existed before the first event.
pub(crate) fn create_writer(
    path: &Path,
    gzip: bool,
    state: &State,
) -> Result<CaptureWriter<BufWriter<std::fs::File>>> {
    CaptureWriter::create(path, gzip, &state.to_metadata())
        .with_context(|| format!("cannot create {}", path.display()))
}

/// Prints the alerts of `rules` on `ev`, one line each (text or Falco's
/// JSON), for both drivers' capture loops.
pub(crate) fn write_alerts(
    out: &mut impl Write,
    rules: &peregrine_rules::RuleSet,
    json: bool,
    hostname: &str,
    ctx: &EventContext<'_>,
) -> std::io::Result<()> {
    let Some(state) = ctx.state else {
        return Ok(());
    };
    let alerts = rules.evaluate(&ctx.event, state, ctx.num, ctx.cpu);
    for alert in &alerts {
        let text = if json {
            alert.to_json(hostname, false, Default::default())
        } else {
            alert.to_text(false)
        };
        out.write_all(text.as_bytes())?;
        out.write_all(b"\n")?;
    }
    if !alerts.is_empty() {
        out.flush()?;
    }
    Ok(())
}

pub fn run(a: CaptureArgs) -> Result<u8> {
    let engine = crate::rules_cmd::load_for_replay(&a.rules, false)?;
    let hostname = crate::rules_cmd::hostname();
    let format = match (&a.format, &a.write) {
        (Some(f), _) => Some(f.as_str()),
        (None, None) if engine.is_none() => Some(DEFAULT_FORMAT),
        _ => None,
    };
    let format = match format {
        Some(f) => {
            Some(Format::parse(f).map_err(|e| crate::Failure::usage(format!("-p '{f}': {e}")))?)
        }
        None => None,
    };
    if a.duration.is_some_and(|d| !(d.is_finite() && d > 0.0)) {
        bail!(crate::Failure::usage(
            "--duration must be a positive number of seconds"
        ));
    }
    if let Driver::Kmod = a.driver {
        return crate::capture_kmod::run(crate::capture_kmod::Opts {
            write: a.write,
            gzip: a.gzip,
            format,
            duration: a.duration,
            count: a.count,
            all_syscalls: a.all_syscalls,
            snaplen: a.snaplen,
            stats: a.stats,
            rules: engine,
            json: a.json,
        });
    }
    let mut cfg = Config {
        ring_bytes: a.buffer_bytes,
        snaplen: a.snaplen,
        attach: match a.attach {
            Attach::Auto => AttachMode::Auto,
            Attach::TpBtf => AttachMode::TpBtf,
            Attach::RawTp => AttachMode::RawTp,
        },
        ..Config::default()
    };
    if a.all_syscalls {
        cfg = cfg.all_syscalls();
    }
    let stop = peregrine_bpf::stop_on_signals();
    let mut cap = Capture::open(&cfg).context("cannot start the modern eBPF capture")?;
    for w in cap.probe().warnings() {
        eprintln!("peregrine: warning: {w}");
    }
    // State for proc.*, fd.*, user.* fields, kept current by the captured
    // events. Read after the probe is attached: a process started during
    // the scan is then either in /proc or announced by its clone event.
    let mut state = host_state();
    let mut writer = match &a.write {
        Some(p) => Some(create_writer(p, a.gzip, &state)?),
        None => None,
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut line = String::with_capacity(256);
    let deadline = a
        .duration
        .map(|d| Instant::now() + Duration::from_secs_f64(d));
    let mut num = 0u64;
    loop {
        if stop.load(Ordering::Relaxed) || a.count.is_some_and(|n| num >= n) {
            break;
        }
        let wait = match deadline {
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                left.min(Duration::from_millis(100))
            }
            None => Duration::from_millis(100),
        };
        let Some(re) = cap.next_event(wait)? else {
            out.flush()?;
            continue;
        };
        num += 1;
        if let Some(w) = writer.as_mut() {
            w.write_event(&re.event, re.cpu, 0)
                .context("writing the capture file")?;
        }
        state.process(&re.event);
        let ctx = EventContext {
            event: re.event,
            num,
            cpu: re.cpu,
            state: Some(&state),
        };
        if let Some(rs) = &engine {
            write_alerts(&mut out, rs, a.json, &hostname, &ctx)?;
        }
        if let Some(f) = &format {
            if f.render(&ctx, &mut line) {
                out.write_all(line.as_bytes())?;
                out.write_all(b"\n")?;
            }
        }
    }
    out.flush()?;
    if let Some(w) = writer {
        w.finish().context("finishing the capture file")?;
    }
    if a.stats {
        let s = cap.stats()?;
        let t = s.total();
        eprintln!(
            "events: {num} read, {} in kernel; drops: {} (ring full {}, no ring {}, too large {}, no scratch {}); wakeups {}; decode errors {}",
            t.events, t.drops(), t.drop_full, t.drop_no_ring, t.drop_too_large, t.drop_no_scratch, t.wakeups, s.decode_errors
        );
        for (cpu, c) in s.per_cpu.iter().enumerate() {
            eprintln!(
                "  cpu {cpu}: events {} drops {} (full {})",
                c.events,
                c.drops(),
                c.drop_full
            );
        }
    }
    Ok(crate::exit::OK)
}
