//! Test driver for peregrine.ko, built static and run inside the QEMU guest
//! (scripts/vm/), plus the host-side checks of what it brought back.
//!
//!   prg-kmod-guest capture --out F.scap [--seconds N] [--until PATH]
//!   prg-kmod-guest workload --dir D --expect E
//!   prg-kmod-guest stress --procs N --seconds S --out COUNTS
//!   prg-kmod-guest check-workload --capture F.scap --expect E   (host)
//!   prg-kmod-guest check-stress --capture-stats S --counts C    (host)

mod capture;
mod check;
mod more_checks;
mod more_workload;
mod workload;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "peregrine.ko guest test driver")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Capture from /dev/peregrine* until --seconds pass, --until exists, or SIGTERM.
    Capture {
        /// Write the events as a .scap file; without it events are only counted.
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        seconds: Option<u64>,
        #[arg(long)]
        until: Option<PathBuf>,
        /// Write counters (key=value lines) here as well as to stdout.
        #[arg(long)]
        stats: Option<PathBuf>,
        /// Count OPENAT_X events whose path starts with this prefix.
        #[arg(long)]
        count_prefix: Option<String>,
        #[arg(long, default_value_t = 80)]
        snaplen: u32,
        /// Be a slow consumer: read at most 500 events, then sleep this long
        /// (fills the rings on purpose to test drop accounting).
        #[arg(long)]
        slow_ms: Option<u64>,
    },
    /// Run the known workload and write what it did to --expect.
    Workload {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        expect: PathBuf,
    },
    /// Mixed syscalls from several processes; writes per-kind counts.
    Stress {
        #[arg(long, default_value_t = 4)]
        procs: u32,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Host side: assert every expected workload event is in the capture.
    CheckWorkload {
        #[arg(long)]
        capture: PathBuf,
        #[arg(long)]
        expect: PathBuf,
    },
    /// Host side: the workload captured by the module and by the eBPF probe
    /// decodes to the same parameters (ids and times aside).
    Compare {
        #[arg(long)]
        kmod: PathBuf,
        #[arg(long)]
        kmod_expect: PathBuf,
        #[arg(long)]
        ebpf: PathBuf,
        #[arg(long)]
        ebpf_expect: PathBuf,
    },
    /// Host side: received + dropped == produced for a stress run.
    CheckStress {
        #[arg(long)]
        stats: PathBuf,
        #[arg(long)]
        counts: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let r = match cli.cmd {
        Cmd::Capture {
            out,
            seconds,
            until,
            stats,
            count_prefix,
            snaplen,
            slow_ms,
        } => capture::run(capture::Opts {
            out,
            seconds,
            until,
            stats,
            count_prefix,
            snaplen,
            slow_ms,
        }),
        Cmd::Workload { dir, expect } => workload::run(&dir, &expect),
        Cmd::Stress {
            procs,
            seconds,
            dir,
            out,
        } => workload::stress(procs, seconds, &dir, &out),
        Cmd::CheckWorkload { capture, expect } => check::workload(&capture, &expect).map(|_| ()),
        Cmd::Compare {
            kmod,
            kmod_expect,
            ebpf,
            ebpf_expect,
        } => check::compare((&kmod, &kmod_expect), (&ebpf, &ebpf_expect)),
        Cmd::CheckStress { stats, counts } => check::stress(&stats, &counts),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("prg-kmod-guest: {e:#}");
            ExitCode::FAILURE
        }
    }
}
