//! Expectations of the security-relevant calls (more_workload/sec.rs):
//! process_vm_readv/writev, pidfd_open/pidfd_getfd, open_by_handle_at,
//! seccomp and delete_module, parameter by parameter.

use std::collections::HashMap;

use anyhow::Result;
use peregrine_wire::raw;

use super::of;
use crate::check::{get, n, s, Pred};

pub(super) fn add(
    x: &HashMap<String, String>,
    add: &mut dyn FnMut(&'static str, Pred),
) -> Result<()> {
    let pid: i64 = get(x, "pid")?;
    let wl = of(pid);
    let (rv, wv): (i64, i64) = (get(x, "pvm_readv_res")?, get(x, "pvm_writev_res")?);
    add(
        "process_vm_readv of ourselves",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_PROCESS_VM_READV_X)
                && n(e, 0) == rv
                && n(e, 1) == pid
                && s(e, 2) == b"secret-bytes"
        }),
    );
    // The local iovec, cut at the snaplen (80 of 100 bytes).
    let sent: Vec<u8> = (0..80u8).map(|i| b'A' + i % 26).collect();
    add(
        "process_vm_writev of ourselves, snaplen",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_PROCESS_VM_WRITEV_X)
                && n(e, 0) == wv
                && n(e, 1) == pid
                && s(e, 2) == sent.as_slice()
        }),
    );
    let (pidfd, got, target): (i64, i64, i64) = (
        get(x, "pidfd")?,
        get(x, "pidfd_getfd_res")?,
        get(x, "getfd_target")?,
    );
    add(
        "pidfd_open PIDFD_NONBLOCK",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_PIDFD_OPEN_X)
                && n(e, 0) == pidfd
                && n(e, 1) == pid
                && n(e, 2) == 1
        }),
    );
    add(
        "pidfd_getfd of our own fd",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_PIDFD_GETFD_X)
                && n(e, 0) == got
                && n(e, 1) == pidfd
                && n(e, 2) == target
                && n(e, 3) == 0
        }),
    );
    let (hfd, mfd): (i64, i64) = (get(x, "handle_fd")?, get(x, "handle_mountfd")?);
    let path = get::<String>(x, "handle_path")?.into_bytes();
    let (ino, dev): (i64, i64) = (get(x, "handle_ino")?, get(x, "handle_dev")?);
    add(
        "open_by_handle_at: path, dev, ino of the fd",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_OPEN_BY_HANDLE_AT_X)
                && n(e, 0) == hfd
                && n(e, 1) == mfd
                && n(e, 2) == (0x1 | 0x1000)
                && s(e, 3) == path.as_slice()
                && n(e, 4) == dev
                && n(e, 5) == ino
        }),
    );
    let bad: i64 = get(x, "seccomp_bad_res")?;
    add(
        "seccomp SECCOMP_GET_ACTION_AVAIL",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_SECCOMP_X) && n(e, 0) == 0 && n(e, 1) == 2 && n(e, 2) == 0
        }),
    );
    add(
        "seccomp refused flags",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_SECCOMP_X) && n(e, 0) == bad && n(e, 1) == 2 && n(e, 2) == 1
        }),
    );
    let dm: i64 = get(x, "delete_module_res")?;
    add(
        "delete_module O_TRUNC|O_NONBLOCK, ENOENT",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_DELETE_MODULE_X)
                && n(e, 0) == dm
                && s(e, 1) == b"prg_no_such_module"
                && n(e, 2) == (1 | 2)
        }),
    );
    Ok(())
}
