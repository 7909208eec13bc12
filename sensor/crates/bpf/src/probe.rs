//! Loading, configuring and attaching the embedded probe with aya.

use crate::error::BpfError;
use crate::fillers::FILLERS;
use crate::ring::Ring;
use crate::sys;
use aya::maps::{Array, MapData, ProgramArray};
use aya::programs::{BtfTracePoint, FExit, ProgramFd, RawTracePoint, TracePoint};
use aya::{Btf, Ebpf, EbpfLoader};
use std::os::fd::AsFd;

/// The probe object, compiled by build.rs from kmod/bpf.
static PROBE: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/probe.bpf.o"));

/// Native syscall numbers the probe covers (exit filter and tail-call table size).
pub const NR_SYSCALLS: u32 = 512;

/// Syscalls with a TOCTOU enter event, and their tracepoint program.
pub(crate) const ENTER: &[(u32, &str, &str)] = &[
    (2, "enter_open", "sys_enter_open"),
    (257, "enter_openat", "sys_enter_openat"),
    (437, "enter_openat2", "sys_enter_openat2"),
    (85, "enter_creat", "sys_enter_creat"),
    (42, "enter_connect", "sys_enter_connect"),
];

/// How the sys_exit programs are attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachMode {
    /// tp_btf, falling back to raw_tp when tp_btf cannot be loaded.
    Auto,
    /// BTF-typed raw tracepoints (5.5+, cheapest).
    TpBtf,
    /// Untyped raw tracepoints.
    RawTp,
    /// Experimental: fexit on `__x64_sys_<name>` for each captured syscall
    /// that has one (others, and the clone family, use the tp_btf dispatcher),
    /// so that syscalls nobody captures pay nothing. Needs 5.5+ trampolines.
    Fexit,
}

/// What to capture and how.
#[derive(Debug, Clone)]
pub struct Config {
    /// Native syscall numbers to capture (exit events; enter events too for
    /// open/openat/openat2/creat/connect).
    pub syscalls: Vec<u32>,
    /// Emit PROCEXIT_1_E from sched_process_exit.
    pub procexit: bool,
    /// Bytes per CPU ring: a power-of-two multiple of the page size, >= 128 KiB.
    pub ring_bytes: usize,
    /// Bytes of read/write payload kept (PT_BYTEBUF data params).
    pub snaplen: u32,
    /// Pending bytes in a ring at which the probe forces a wakeup.
    pub wakeup_bytes: u64,
    /// Exclude this process (the sensor) in the kernel.
    pub exclude_self: bool,
    pub attach: AttachMode,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            syscalls: FILLERS.iter().map(|(nr, _)| *nr).collect(),
            procexit: true,
            ring_bytes: 8 << 20,
            snaplen: 80,
            wakeup_bytes: 256 << 10,
            exclude_self: true,
            attach: AttachMode::Auto,
        }
    }
}

impl Config {
    /// Every syscall number (those without a dedicated event as GENERIC_X).
    pub fn all_syscalls(mut self) -> Self {
        self.syscalls = (0..NR_SYSCALLS).collect();
        self
    }

    fn validate(&self) -> Result<(), BpfError> {
        let page = sys::page_size();
        let r = self.ring_bytes;
        if r < (128 << 10) || !r.is_power_of_two() || r % page != 0 || r > (1 << 30) {
            return Err(BpfError::Config(format!(
                "ring size {r} must be a power of two between 128 KiB and 1 GiB (and a multiple of the {page}-byte page)"
            )));
        }
        if let Some(nr) = self.syscalls.iter().find(|&&n| n >= NR_SYSCALLS) {
            return Err(BpfError::Config(format!(
                "syscall number {nr} is out of range (< {NR_SYSCALLS})"
            )));
        }
        Ok(())
    }
}

/// The loaded and attached probe; dropping it detaches and unloads everything.
pub struct Probe {
    // Field order matters for drop: links live inside `ebpf`.
    pub(crate) ebpf: Ebpf,
    pub(crate) exit_progs: ProgramArray<MapData>,
    pub(crate) rings: Vec<Ring>,
    pub(crate) mode: AttachMode,
    pub(crate) boot_offset: u64,
    pub(crate) warnings: Vec<String>,
    pub(crate) fexit: Vec<u32>,
    /// Syscalls captured now (by number), for `add_syscalls`.
    pub(crate) wanted: Vec<bool>,
    /// The sys_exit dispatcher is attached (new syscalls can join it).
    pub(crate) dispatcher_attached: bool,
    pub(crate) exec_attached: bool,
    pub(crate) btf: Option<Btf>,
}

/// Ensures tracefs is mounted (classic tracepoints need it for their ids).
pub(crate) fn ensure_tracefs() -> Result<(), String> {
    if std::path::Path::new("/sys/kernel/tracing/events").exists()
        || std::path::Path::new("/sys/kernel/debug/tracing/events").exists()
    {
        return Ok(());
    }
    let r = std::process::Command::new("mount")
        .args(["-t", "tracefs", "nodev", "/sys/kernel/tracing"])
        .status();
    match r {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!(
            "mount -t tracefs nodev /sys/kernel/tracing failed ({s})"
        )),
        Err(e) => Err(format!("cannot run mount for tracefs: {e}")),
    }
}

impl Probe {
    /// Loads and attaches the probe. With AttachMode::Auto, a tp_btf failure
    /// is retried with raw_tp and the reason kept in warnings().
    pub fn load(cfg: &Config) -> Result<Self, BpfError> {
        cfg.validate()?;
        let report = crate::support::check();
        if !report.ok() {
            return Err(BpfError::Unsupported(report));
        }
        match cfg.attach {
            AttachMode::Auto => match Self::load_mode(cfg, AttachMode::TpBtf) {
                Ok(p) => Ok(p),
                Err(e) => {
                    let mut p = Self::load_mode(cfg, AttachMode::RawTp)?;
                    p.warnings
                        .push(format!("tp_btf unavailable, using raw_tp: {e}"));
                    Ok(p)
                }
            },
            m => Self::load_mode(cfg, m),
        }
    }

    fn load_mode(cfg: &Config, mode: AttachMode) -> Result<Self, BpfError> {
        let ncpus = sys::possible_cpus()
            .map_err(BpfError::io("reading /sys/devices/system/cpu/possible"))?;
        let self_tgid: u32 = if cfg.exclude_self {
            std::process::id()
        } else {
            0
        };
        let snaplen: u32 = cfg.snaplen.min(16384);
        let boot_offset = sys::boot_offset_ns();
        let procexit: u8 = cfg.procexit.into();
        let btf = Btf::from_sys_fs().ok();
        let mut ebpf = EbpfLoader::new()
            .btf(btf.as_ref())
            .override_global("cfg_self_tgid", &self_tgid, true)
            .override_global("cfg_snaplen", &snaplen, true)
            .override_global("cfg_wakeup_bytes", &cfg.wakeup_bytes, true)
            .override_global("cfg_boot_offset_ns", &boot_offset, true)
            .override_global("cfg_procexit", &procexit, true)
            .map_max_entries("ringbufs", ncpus)
            .map_max_entries("scratch_map", ncpus)
            .load(PROBE)
            .map_err(|e| BpfError::Object(Box::new(e)))?;

        let mut wanted = [false; NR_SYSCALLS as usize];
        for &nr in &cfg.syscalls {
            wanted[nr as usize] = true;
        }
        let prefix = if mode == AttachMode::RawTp {
            "rx_"
        } else {
            "tx_"
        };
        let dispatcher = if mode == AttachMode::RawTp {
            "sys_exit_raw"
        } else {
            "sys_exit_btf"
        };

        // Fexit mode: captured syscalls with a dedicated filler and a BTF
        // function attach directly, so other syscalls pay nothing. The clone
        // family stays on sys_exit: the child's copy never returns through
        // __x64_sys_clone.
        let mut via_fexit = [false; NR_SYSCALLS as usize];
        let mut fexit_errors: Vec<String> = Vec::new();
        if mode == AttachMode::Fexit {
            for &(nr, name) in FILLERS {
                if !wanted[nr as usize] || matches!(nr, 56 | 57 | 58 | 435) {
                    continue;
                }
                let Some(sys) = peregrine_wire::syscall_name_x86_64(nr as u16) else {
                    continue;
                };
                let target = format!("__x64_sys_{sys}");
                match attach_fexit(&mut ebpf, &format!("fx_{name}"), &target, btf.as_ref()) {
                    Ok(()) => via_fexit[nr as usize] = true,
                    Err(e) => fexit_errors.push(e),
                }
            }
        }
        let requested = mode;
        let mode = if mode == AttachMode::Fexit {
            AttachMode::TpBtf
        } else {
            mode
        };
        let need_dispatcher = (0..NR_SYSCALLS as usize).any(|nr| wanted[nr] && !via_fexit[nr]);

        // Dispatcher first: it fixes the program type of the tail-call map.
        if need_dispatcher {
            load_exit_prog(&mut ebpf, dispatcher, mode, btf.as_ref())?;
        }
        let mut fds: Vec<(u32, ProgramFd)> = Vec::new();
        let mut generic: Option<ProgramFd> = None;
        for nr in 0..NR_SYSCALLS {
            if !wanted[nr as usize] || via_fexit[nr as usize] {
                continue;
            }
            let fd = match FILLERS.iter().find(|(n, _)| *n == nr) {
                Some((_, name)) => {
                    load_exit_prog(&mut ebpf, &format!("{prefix}{name}"), mode, btf.as_ref())?
                }
                None => match &generic {
                    Some(g) => g
                        .try_clone()
                        .map_err(BpfError::io("dup generic program fd"))?,
                    None => {
                        let g = load_exit_prog(
                            &mut ebpf,
                            &format!("{prefix}generic"),
                            mode,
                            btf.as_ref(),
                        )?;
                        let dup = g
                            .try_clone()
                            .map_err(BpfError::io("dup generic program fd"))?;
                        generic = Some(g);
                        dup
                    }
                },
            };
            fds.push((nr, fd));
        }
        let map = ebpf
            .take_map("exit_progs")
            .ok_or_else(|| BpfError::Missing("map exit_progs".into()))?;
        let mut exit_progs = ProgramArray::try_from(map).map_err(BpfError::map("exit_progs"))?;
        for (nr, fd) in &fds {
            exit_progs
                .set(*nr, fd, 0)
                .map_err(BpfError::map("exit_progs"))?;
        }
        {
            let map = ebpf
                .map_mut("interesting")
                .ok_or_else(|| BpfError::Missing("map interesting".into()))?;
            let mut arr: Array<_, u8> =
                Array::try_from(map).map_err(BpfError::map("interesting"))?;
            for nr in 0..NR_SYSCALLS {
                if wanted[nr as usize] {
                    arr.set(nr, 1, 0).map_err(BpfError::map("interesting"))?;
                }
            }
        }
        let rings = create_rings(&ebpf, ncpus, cfg.ring_bytes)?;

        let mut warnings = Vec::new();
        if let Some(first) = fexit_errors.first() {
            warnings.push(format!(
                "{} syscalls fell back from fexit to the sys_exit dispatcher; first reason: {first}",
                fexit_errors.len()
            ));
        }
        let exec_wanted = wanted[59] || wanted[322];
        let (exec_prog, exit_prog) = if mode == AttachMode::RawTp {
            ("tp_exec_raw", "tp_exit_raw")
        } else {
            ("tp_exec_btf", "tp_exit_btf")
        };
        if exec_wanted {
            load_sched_prog(
                &mut ebpf,
                exec_prog,
                "sched_process_exec",
                mode,
                btf.as_ref(),
            )?;
        }
        if cfg.procexit {
            load_sched_prog(
                &mut ebpf,
                exit_prog,
                "sched_process_exit",
                mode,
                btf.as_ref(),
            )?;
        }
        let enters: Vec<_> = ENTER
            .iter()
            .filter(|(nr, _, _)| wanted[*nr as usize])
            .collect();
        if !enters.is_empty() {
            match ensure_tracefs() {
                Ok(()) => {
                    for (_, prog, tp) in enters {
                        attach_enter(&mut ebpf, prog, tp)?;
                    }
                }
                Err(e) => warnings.push(format!(
                    "enter events (open/openat/openat2/creat/connect) disabled: {e}"
                )),
            }
        }
        // Attach the dispatcher last, once everything it tail-calls is in place.
        if need_dispatcher {
            attach_exit_prog(&mut ebpf, dispatcher, mode)?;
        }
        Ok(Self {
            ebpf,
            exit_progs,
            rings,
            mode: requested,
            boot_offset,
            warnings,
            fexit: (0..NR_SYSCALLS)
                .filter(|&nr| via_fexit[nr as usize])
                .collect(),
            wanted: wanted.to_vec(),
            dispatcher_attached: need_dispatcher,
            exec_attached: exec_wanted,
            btf,
        })
    }

    /// The attach mode actually used.
    pub fn mode(&self) -> AttachMode {
        self.mode
    }

    /// Syscall numbers attached through fexit (AttachMode::Fexit).
    pub fn fexit_syscalls(&self) -> &[u32] {
        &self.fexit
    }

    /// Non-fatal degradations (e.g. raw_tp fallback, enter events disabled).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

fn create_rings(ebpf: &Ebpf, ncpus: u32, bytes: usize) -> Result<Vec<Ring>, BpfError> {
    let outer = match ebpf.map("ringbufs") {
        Some(aya::maps::Map::ArrayOfMaps(m)) => m,
        _ => return Err(BpfError::Missing("ARRAY_OF_MAPS ringbufs".into())),
    };
    let mut rings = Vec::with_capacity(ncpus as usize);
    for cpu in 0..ncpus {
        let ring = Ring::create(bytes, &format!("prg_rb{cpu}")).map_err(BpfError::io(format!(
            "creating the {bytes}-byte ring buffer of CPU {cpu}"
        )))?;
        sys::map_set_fd(outer.fd().as_fd(), cpu, ring.as_fd()).map_err(BpfError::io(format!(
            "storing the ring of CPU {cpu} in ringbufs"
        )))?;
        rings.push(ring);
    }
    Ok(rings)
}

pub(crate) fn load_exit_prog(
    ebpf: &mut Ebpf,
    name: &str,
    mode: AttachMode,
    btf: Option<&Btf>,
) -> Result<ProgramFd, BpfError> {
    let prog = ebpf
        .program_mut(name)
        .ok_or_else(|| BpfError::Missing(format!("program {name}")))?;
    let fd = if mode == AttachMode::RawTp {
        let p: &mut RawTracePoint = prog.try_into().map_err(|e| BpfError::program(name, e))?;
        p.load().map_err(|e| BpfError::program(name, e))?;
        p.fd().map_err(|e| BpfError::program(name, e))?.try_clone()
    } else {
        let btf =
            btf.ok_or_else(|| BpfError::Config("tp_btf needs /sys/kernel/btf/vmlinux".into()))?;
        let p: &mut BtfTracePoint = prog.try_into().map_err(|e| BpfError::program(name, e))?;
        p.load("sys_exit", btf)
            .map_err(|e| BpfError::program(name, e))?;
        p.fd().map_err(|e| BpfError::program(name, e))?.try_clone()
    };
    fd.map_err(BpfError::io(format!("dup fd of {name}")))
}

fn attach_exit_prog(ebpf: &mut Ebpf, name: &str, mode: AttachMode) -> Result<(), BpfError> {
    let prog = ebpf
        .program_mut(name)
        .ok_or_else(|| BpfError::Missing(format!("program {name}")))?;
    let err = |e| BpfError::Attach {
        program: name.into(),
        target: "sys_exit".into(),
        source: Box::new(e),
    };
    if mode == AttachMode::RawTp {
        let p: &mut RawTracePoint = prog.try_into().map_err(err)?;
        p.attach("sys_exit").map_err(err)?;
    } else {
        let p: &mut BtfTracePoint = prog.try_into().map_err(err)?;
        p.attach().map_err(err)?;
    }
    Ok(())
}

pub(crate) fn load_sched_prog(
    ebpf: &mut Ebpf,
    name: &str,
    tp: &str,
    mode: AttachMode,
    btf: Option<&Btf>,
) -> Result<(), BpfError> {
    let prog = ebpf
        .program_mut(name)
        .ok_or_else(|| BpfError::Missing(format!("program {name}")))?;
    let err = |e| BpfError::Attach {
        program: name.into(),
        target: tp.into(),
        source: Box::new(e),
    };
    if mode == AttachMode::RawTp {
        let p: &mut RawTracePoint = prog.try_into().map_err(err)?;
        p.load().map_err(|e| BpfError::program(name, e))?;
        p.attach(tp).map_err(err)?;
    } else {
        let btf =
            btf.ok_or_else(|| BpfError::Config("tp_btf needs /sys/kernel/btf/vmlinux".into()))?;
        let p: &mut BtfTracePoint = prog.try_into().map_err(err)?;
        p.load(tp, btf).map_err(|e| BpfError::program(name, e))?;
        p.attach().map_err(err)?;
    }
    Ok(())
}

/// Loads `prog` as fexit on `target` and attaches it. An error means the
/// syscall goes through the dispatcher instead.
fn attach_fexit(
    ebpf: &mut Ebpf,
    prog: &str,
    target: &str,
    btf: Option<&Btf>,
) -> Result<(), String> {
    let p = ebpf
        .program_mut(prog)
        .ok_or_else(|| format!("no program {prog}"))?;
    let btf = btf.ok_or("no kernel BTF")?;
    let p: &mut FExit = p.try_into().map_err(|e| format!("{prog}: {e}"))?;
    p.load(target, btf)
        .map_err(|e| format!("fexit on {target}: {e}"))?;
    p.attach()
        .map_err(|e| format!("attaching fexit on {target}: {e}"))?;
    Ok(())
}

pub(crate) fn attach_enter(ebpf: &mut Ebpf, name: &str, tp: &str) -> Result<(), BpfError> {
    let prog = ebpf
        .program_mut(name)
        .ok_or_else(|| BpfError::Missing(format!("program {name}")))?;
    let err = |e| BpfError::Attach {
        program: name.into(),
        target: format!("syscalls/{tp}"),
        source: Box::new(e),
    };
    let p: &mut TracePoint = prog.try_into().map_err(err)?;
    p.load().map_err(|e| BpfError::program(name, e))?;
    p.attach("syscalls", tp).map_err(err)?;
    Ok(())
}
