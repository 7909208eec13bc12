//! Capturing more syscalls on a running probe, so that rules reloaded with
//! SIGHUP can ask for syscalls the first rules did not need. The sys_exit
//! dispatcher tail-calls `exit_progs[nr]` for syscalls marked in
//! `interesting`: a new syscall needs its filler loaded and installed, then
//! its mark, in that order, so the dispatcher never jumps to an empty slot.

use aya::maps::Array;

use crate::error::BpfError;
use crate::fillers::FILLERS;
use crate::probe::{
    attach_enter, ensure_tracefs, load_exit_prog, load_sched_prog, AttachMode, Probe, ENTER,
    NR_SYSCALLS,
};

impl Probe {
    /// Starts capturing `syscalls` (native numbers) too; returns those that
    /// were not captured before. Syscalls are never removed: extra events
    /// cost a little and keep state complete.
    pub fn add_syscalls(&mut self, syscalls: &[u32]) -> Result<Vec<u32>, BpfError> {
        let mut new: Vec<u32> = syscalls
            .iter()
            .copied()
            .filter(|&nr| nr < NR_SYSCALLS && !self.wanted[nr as usize])
            .collect();
        new.sort_unstable();
        new.dedup();
        if new.is_empty() {
            return Ok(new);
        }
        // Fexit programs attach per syscall at load time, and without a
        // dispatcher there is nothing to join.
        if self.mode == AttachMode::Fexit || !self.dispatcher_attached {
            return Err(BpfError::Config(
                "this probe cannot take new syscalls while running (fexit mode, or no sys_exit \
                 dispatcher): restart the sensor"
                    .into(),
            ));
        }
        let mode = self.mode;
        let prefix = if mode == AttachMode::RawTp {
            "rx_"
        } else {
            "tx_"
        };
        for &nr in &new {
            let name = match FILLERS.iter().find(|(n, _)| *n == nr) {
                Some((_, f)) => format!("{prefix}{f}"),
                None => format!("{prefix}generic"),
            };
            // The generic program (and a filler shared by several syscalls)
            // may be loaded already.
            let loaded = self
                .ebpf
                .program(&name)
                .and_then(|p| p.fd().ok())
                .map(|fd| fd.try_clone());
            let fd = match loaded {
                Some(fd) => fd.map_err(BpfError::io(format!("dup fd of {name}")))?,
                None => load_exit_prog(&mut self.ebpf, &name, mode, self.btf.as_ref())?,
            };
            self.exit_progs
                .set(nr, &fd, 0)
                .map_err(BpfError::map("exit_progs"))?;
        }
        {
            let map = self
                .ebpf
                .map_mut("interesting")
                .ok_or_else(|| BpfError::Missing("map interesting".into()))?;
            let mut arr: Array<_, u8> =
                Array::try_from(map).map_err(BpfError::map("interesting"))?;
            for &nr in &new {
                arr.set(nr, 1, 0).map_err(BpfError::map("interesting"))?;
            }
        }
        for &nr in &new {
            self.wanted[nr as usize] = true;
        }
        // TOCTOU enter events, and exec's scheduler hook.
        let enters: Vec<_> = ENTER.iter().filter(|(nr, _, _)| new.contains(nr)).collect();
        if !enters.is_empty() {
            match ensure_tracefs() {
                Ok(()) => {
                    for (_, prog, tp) in enters {
                        attach_enter(&mut self.ebpf, prog, tp)?;
                    }
                }
                Err(e) => self.warnings.push(format!(
                    "enter events (open/openat/openat2/creat/connect) disabled: {e}"
                )),
            }
        }
        if !self.exec_attached && (new.contains(&59) || new.contains(&322)) {
            let prog = if mode == AttachMode::RawTp {
                "tp_exec_raw"
            } else {
                "tp_exec_btf"
            };
            load_sched_prog(
                &mut self.ebpf,
                prog,
                "sched_process_exec",
                mode,
                self.btf.as_ref(),
            )?;
            self.exec_attached = true;
        }
        Ok(new)
    }
}
