//! Benchmark (not a test): what the modern eBPF probe costs per syscall.
//!
//! For getpid, a 1-byte read and open+close it reports ns per operation with
//! (a) nothing attached, (b) the probe attached but the syscall not captured,
//! (c) captured and consumed; then events/s sustained with drops and the
//! consumer's CPU. The workload runs in a child process (this process is the
//! sensor and is excluded in the kernel). Needs root.
//!
//!   cargo run --release -p peregrine-bpf --bin bpf-overhead -- [--iters N] [--rounds R] [--sustain S] [--rate EV_PER_S]

use peregrine_bpf::{Capture, Config};
use std::process::Command;
use std::time::{Duration, Instant};

const KINDS: &[&str] = &["getpid", "read1", "openclose"];

fn now_ns() -> u64 {
    let t = Instant::now();
    // Anchor: only differences are used.
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    t.duration_since(*START.get_or_init(Instant::now))
        .as_nanos() as u64
}

/// Child side: runs `kind` n times (after a warm-up) and prints ns/op.
fn worker(kind: &str, n: u64) {
    let path = c"/dev/null";
    let zero = c"/dev/zero";
    // SAFETY: plain syscalls on valid buffers and C strings.
    let rfd = unsafe { libc::open(zero.as_ptr(), libc::O_RDONLY) };
    let mut b = [0u8; 1];
    let mut op = || unsafe {
        match kind {
            "getpid" => {
                libc::syscall(libc::SYS_getpid);
            }
            "read1" => {
                libc::read(rfd, b.as_mut_ptr().cast(), 1);
            }
            _ => {
                let fd = libc::syscall(libc::SYS_open, path.as_ptr(), libc::O_RDONLY);
                libc::close(fd as i32);
            }
        }
    };
    for _ in 0..10_000 {
        op();
    }
    // Optional pacing (ops/s) for the sustained-rate run: sleep whenever
    // ahead of schedule, checked every 1024 ops.
    let rate: Option<u64> = std::env::var("PRG_BENCH_RATE")
        .ok()
        .and_then(|v| v.parse().ok());
    let t0 = now_ns();
    for i in 0..n {
        op();
        if let (Some(r), 0) = (rate, i & 1023) {
            let due = i * 1_000_000_000 / r.max(1);
            let el = now_ns() - t0;
            if due > el {
                std::thread::sleep(Duration::from_nanos(due - el));
            }
        }
    }
    let dt = now_ns() - t0;
    println!("{:.1}", dt as f64 / n as f64);
}

fn spawn_worker(kind: &str, n: u64, rate: Option<u64>) -> std::thread::JoinHandle<Option<f64>> {
    let exe = std::env::current_exe().ok();
    let kind = kind.to_string();
    std::thread::spawn(move || {
        let mut cmd = Command::new(exe?);
        cmd.args(["--worker", &kind, &n.to_string()]);
        if let Some(r) = rate {
            cmd.env("PRG_BENCH_RATE", r.to_string());
        }
        let out = cmd.output().ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    })
}

fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid out pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

struct Drained {
    ns_per_op: Option<f64>,
    events: u64,
    drops: u64,
    wall: Duration,
    cpu_ns: u64,
}

/// Runs `workers` children of `kind` while draining `cap` in this thread.
fn run_with(
    cap: Option<&mut Capture>,
    kind: &str,
    n: u64,
    workers: usize,
    rate: Option<u64>,
) -> Drained {
    let t0 = Instant::now();
    let c0 = thread_cpu_ns();
    let hs: Vec<_> = (0..workers).map(|_| spawn_worker(kind, n, rate)).collect();
    let mut events = 0u64;
    let mut drops = 0u64;
    match cap {
        Some(cap) => {
            let drops0 = cap.stats().map(|s| s.total().drops()).unwrap_or(0);
            let mut idle = 0;
            loop {
                match cap.next_event(Duration::from_millis(10)) {
                    Ok(Some(_)) => events += 1,
                    Ok(None) if hs.iter().all(|h| h.is_finished()) => {
                        idle += 1;
                        if idle > 5 {
                            break;
                        }
                    }
                    Ok(None) => {}
                    Err(e) => {
                        eprintln!("capture error: {e}");
                        break;
                    }
                }
            }
            drops = cap.stats().map(|s| s.total().drops()).unwrap_or(0) - drops0;
        }
        None => {
            while !hs.iter().all(|h| h.is_finished()) {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
    let wall = t0.elapsed();
    let cpu_ns = thread_cpu_ns() - c0;
    let vals: Vec<f64> = hs
        .into_iter()
        .filter_map(|h| h.join().ok().flatten())
        .collect();
    let ns_per_op = (!vals.is_empty()).then(|| vals.iter().sum::<f64>() / vals.len() as f64);
    Drained {
        ns_per_op,
        events,
        drops,
        wall,
        cpu_ns,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn open_capture(syscalls: Vec<u32>, ring_bytes: usize) -> Capture {
    let cfg = Config {
        syscalls,
        procexit: false,
        ring_bytes,
        ..Config::default()
    };
    match Capture::open(&cfg) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bpf-overhead: {e}");
            std::process::exit(1);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--worker") {
        let n = args
            .get(3)
            .and_then(|s| s.parse().ok())
            .unwrap_or(1_000_000);
        worker(args.get(2).map(String::as_str).unwrap_or("getpid"), n);
        return;
    }
    let opt = |name: &str, def: u64| -> u64 {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(def)
    };
    let iters = opt("--iters", 2_000_000);
    let rounds = opt("--rounds", 3) as usize;
    let sustain = opt("--sustain", 10);
    let ring = opt("--ring-bytes", 8 << 20) as usize;
    println!(
        "bpf-overhead: {iters} ops per run, median of {rounds} rounds, rings {} KiB/CPU",
        ring >> 10
    );
    println!(
        "{:<10} {:>10} {:>16} {:>16} {:>10} {:>8}",
        "op", "(a) ns", "(b) +ns", "(c) +ns", "events", "drops"
    );
    // Native numbers: getpid 39, read 0, open 2, close 3; (b) captures only kill (62).
    let captured: &[(&str, &[u32])] = &[("getpid", &[39]), ("read1", &[0]), ("openclose", &[2, 3])];
    for &kind in KINDS {
        let (mut a, mut b, mut c) = (vec![], vec![], vec![]);
        let (mut ev, mut dr) = (0, 0);
        for _ in 0..rounds {
            a.extend(run_with(None, kind, iters, 1, None).ns_per_op);
            let mut cap = open_capture(vec![62], ring);
            b.extend(run_with(Some(&mut cap), kind, iters, 1, None).ns_per_op);
            drop(cap);
            let set = captured
                .iter()
                .find(|(k, _)| *k == kind)
                .map(|(_, s)| s.to_vec())
                .unwrap_or_default();
            let mut cap = open_capture(set, ring);
            let d = run_with(Some(&mut cap), kind, iters, 1, None);
            c.extend(d.ns_per_op);
            ev += d.events;
            dr += d.drops;
        }
        let (a, b, c) = (median(a), median(b), median(c));
        println!(
            "{kind:<10} {a:>10.1} {:>+16.1} {:>+16.1} {ev:>10} {dr:>8}",
            b - a,
            c - a
        );
    }
    // Sustained rate: two getpid workers (one per core) for `sustain`
    // seconds, as fast as they go or paced to `--rate` events/s in all.
    let rate = opt("--rate", 0);
    let mut cap = open_capture(vec![39], ring);
    let (per_worker, pace) = if rate > 0 {
        (rate / 2 * sustain, Some(rate / 2))
    } else {
        (1_000_000 * sustain, None)
    };
    let d = run_with(Some(&mut cap), "getpid", per_worker, 2, pace);
    let secs = d.wall.as_secs_f64();
    println!(
        "sustained: {} events in {:.1} s = {:.2} M events/s, drops {}, consumer CPU {:.1}% of one core ({:.1} ns/event)",
        d.events,
        secs,
        d.events as f64 / secs / 1e6,
        d.drops,
        d.cpu_ns as f64 / 1e9 / secs * 100.0,
        d.cpu_ns as f64 / d.events.max(1) as f64
    );
}
