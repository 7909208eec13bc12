//! Expectations of process control: prctl, signals, refused calls, the
//! children's session/namespace/credential calls, ptrace.

use std::collections::HashMap;

use anyhow::Result;
use peregrine_wire::raw;

use super::{by, of, raw_param, CLONE_NEWUTS};
use crate::check::{get, n, s, Pred};

/// PR_SET_NAME, PR_GET_NAME, PR_GET_CHILD_SUBREAPER.
pub(super) fn prctl(
    x: &HashMap<String, String>,
    add: &mut dyn FnMut(&'static str, Pred),
) -> Result<()> {
    let pid: i64 = get(x, "pid")?;
    let comm = get::<String>(x, "comm")?.into_bytes();
    let subreaper: i64 = get(x, "subreaper")?;
    let wl = of(pid);
    add(
        "prctl PR_SET_NAME",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_PRCTL_X)
                && n(e, 0) == 0
                && n(e, 1) == 15
                && s(e, 2) == b"prg-renamed"
                && n(e, 3) == 0
        }),
    );
    add(
        "prctl PR_GET_NAME",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_PRCTL_X) && n(e, 0) == 0 && n(e, 1) == 16 && s(e, 2) == comm
        }),
    );
    add(
        "prctl PR_GET_CHILD_SUBREAPER",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_PRCTL_X)
                && n(e, 0) == 0
                && n(e, 1) == 37
                && s(e, 2).is_empty()
                && n(e, 3) == subreaper
        }),
    );
    Ok(())
}

/// kill/tkill/tgkill to ourselves; module loading, bpf, io_uring, userfaultfd.
pub(super) fn signals_and_refusals(
    x: &HashMap<String, String>,
    add: &mut dyn FnMut(&'static str, Pred),
) -> Result<()> {
    let pid: i64 = get(x, "pid")?;
    let init_res: i64 = get(x, "init_module_res")?;
    let finit_res: i64 = get(x, "finit_module_res")?;
    let bpf_res: i64 = get(x, "bpf_res")?;
    let uring_res: i64 = get(x, "io_uring_res")?;
    let uffd_res: i64 = get(x, "userfaultfd_res")?;
    let wl = of(pid);
    add(
        "kill(self, 0)",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_KILL_X) && n(e, 0) == 0 && n(e, 1) == pid && n(e, 2) == 0
        }),
    );
    add(
        "tkill(self, 0)",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_TKILL_X) && n(e, 0) == 0 && n(e, 1) == pid && n(e, 2) == 0
        }),
    );
    add(
        "tgkill(self, self, 0)",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_TGKILL_X)
                && n(e, 0) == 0
                && n(e, 1) == pid
                && n(e, 2) == pid
                && n(e, 3) == 0
        }),
    );
    add(
        "init_module of a non-module",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_INIT_MODULE_X)
                && n(e, 0) == init_res
                && s(e, 1) == b"not-a-module\0\0\0\0"
                && n(e, 2) == 16
                && s(e, 3) == b"prg_param=1"
        }),
    );
    add(
        "finit_module of fd -1",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_FINIT_MODULE_X)
                && n(e, 0) == finit_res
                && n(e, 1) == -1
                && s(e, 2) == b"prg_param=1"
                && n(e, 3) == 0
        }),
    );
    add(
        "bpf cmd 0",
        Box::new(move |e| wl(e, raw::PPME_SYSCALL_BPF_2_X) && n(e, 0) == bpf_res && n(e, 1) == 0),
    );
    add(
        "io_uring_setup of 4 entries",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_IO_URING_SETUP_X)
                && n(e, 0) == uring_res
                && n(e, 1) == 4
                && (uring_res < 0 || (n(e, 2) == 4 && n(e, 3) == 8))
        }),
    );
    add(
        "userfaultfd O_CLOEXEC|O_NONBLOCK",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_USERFAULTFD_X) && n(e, 0) == uffd_res && n(e, 1) == 0x80800
        }),
    );
    Ok(())
}

/// setsid, setpgid, unshare/setns, capset, set*id and chroot, each by its child.
pub(super) fn children(
    x: &HashMap<String, String>,
    add: &mut dyn FnMut(&'static str, Pred),
) -> Result<()> {
    let dir = get::<String>(x, "dir")?;
    let setsid: i64 = get(x, "setsid_child")?;
    let setpgid: i64 = get(x, "setpgid_child")?;
    let ns: i64 = get(x, "ns_child")?;
    let capset: i64 = get(x, "capset_child")?;
    let ids: i64 = get(x, "ids_child")?;
    let chroot: i64 = get(x, "chroot_child")?;
    add(
        "setsid in a child",
        Box::new(move |e| by(e, setsid, raw::PPME_SYSCALL_SETSID_X) && n(e, 0) == setsid),
    );
    add(
        "setpgid(0, 0) in a child",
        Box::new(move |e| {
            by(e, setpgid, raw::PPME_SYSCALL_SETPGID_X)
                && n(e, 0) == 0
                && n(e, 1) == 0
                && n(e, 2) == 0
        }),
    );
    add(
        "unshare CLONE_NEWUTS",
        Box::new(move |e| {
            by(e, ns, raw::PPME_SYSCALL_UNSHARE_X) && n(e, 0) == 0 && n(e, 1) == CLONE_NEWUTS
        }),
    );
    add(
        "setns CLONE_NEWUTS",
        Box::new(move |e| {
            by(e, ns, raw::PPME_SYSCALL_SETNS_X)
                && n(e, 0) == 0
                && n(e, 1) >= 0
                && n(e, 2) == CLONE_NEWUTS
        }),
    );
    add(
        "capset: effective CAP_CHOWN|CAP_KILL",
        Box::new(move |e| {
            by(e, capset, raw::PPME_SYSCALL_CAPSET_X)
                && n(e, 0) == 0
                && n(e, 1) == 0
                && n(e, 2) != 0
                && n(e, 3) == 0x21
        }),
    );
    add(
        "setregid 2000",
        Box::new(move |e| {
            by(e, ids, raw::PPME_SYSCALL_SETREGID_X)
                && n(e, 0) == 0
                && n(e, 1) == 2000
                && n(e, 2) == 2000
        }),
    );
    add(
        "setresgid 2001",
        Box::new(move |e| {
            by(e, ids, raw::PPME_SYSCALL_SETRESGID_X)
                && n(e, 0) == 0
                && (1..4).all(|i| n(e, i) == 2001)
        }),
    );
    add(
        "setresuid 4000",
        Box::new(move |e| {
            by(e, ids, raw::PPME_SYSCALL_SETRESUID_X)
                && n(e, 0) == 0
                && (1..4).all(|i| n(e, i) == 4000)
        }),
    );
    add(
        "setreuid 4000",
        Box::new(move |e| {
            by(e, ids, raw::PPME_SYSCALL_SETREUID_X)
                && n(e, 0) == 0
                && n(e, 1) == 4000
                && n(e, 2) == 4000
        }),
    );
    {
        let d = dir.clone().into_bytes();
        add(
            "chroot in a child",
            Box::new(move |e| {
                by(e, chroot, raw::PPME_SYSCALL_CHROOT_X) && n(e, 0) == 0 && s(e, 1) == d
            }),
        );
    }
    Ok(())
}

/// The tracee's TRACEME and SIGSTOP, our PEEKDATA and CONT.
pub(super) fn ptrace(
    x: &HashMap<String, String>,
    add: &mut dyn FnMut(&'static str, Pred),
) -> Result<()> {
    let pid: i64 = get(x, "pid")?;
    let tracee: i64 = get(x, "tracee")?;
    let peek: u64 = get(x, "peek_word")?;
    let wl = of(pid);
    add(
        "ptrace TRACEME",
        Box::new(move |e| {
            by(e, tracee, raw::PPME_SYSCALL_PTRACE_X) && n(e, 0) == 0 && n(e, 3) == 1
        }),
    );
    add(
        "tgkill SIGSTOP by the tracee",
        Box::new(move |e| {
            by(e, tracee, raw::PPME_SYSCALL_TGKILL_X)
                && n(e, 0) == 0
                && n(e, 1) == tracee
                && n(e, 3) == 19
        }),
    );
    add(
        "ptrace PEEKDATA of a known word",
        Box::new(move |e| {
            let mut data = vec![0u8];
            data.extend_from_slice(&peek.to_le_bytes());
            wl(e, raw::PPME_SYSCALL_PTRACE_X)
                && n(e, 0) == 0
                && raw_param(e, 1).first() == Some(&0)
                && raw_param(e, 2) == data.as_slice()
                && n(e, 3) == 3
                && n(e, 4) == tracee
        }),
    );
    add(
        "ptrace CONT, signal 0",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_PTRACE_X)
                && n(e, 0) == 0
                && raw_param(e, 2) == [1, 0]
                && n(e, 3) == 8
                && n(e, 4) == tracee
        }),
    );
    Ok(())
}
