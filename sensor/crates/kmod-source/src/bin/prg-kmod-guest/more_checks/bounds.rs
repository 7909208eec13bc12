//! Expectations of the calls with unreadable user memory and more iovecs
//! than the fillers gather.

use std::collections::HashMap;

use anyhow::Result;
use peregrine_event::EventRef;
use peregrine_wire::raw;

use super::raw_param;
use crate::check::{get, n, s, Pred};

/// Calls with unreadable user memory and more iovecs than gathered.
pub(super) fn faults_and_bounds(
    x: &HashMap<String, String>,
    add: &mut dyn FnMut(&'static str, Pred),
) -> Result<()> {
    let pid: i64 = get(x, "pid")?;
    let fd: i64 = get(x, "bounds_fd")?;
    let sp: i64 = get(x, "bad_sp_fd1")?;
    let init_res: i64 = get(x, "bad_init_module_res")?;
    let c = |x: u32| x as u16;
    let wl = move |e: &EventRef<'_>, code: u32| e.tid() as i64 == pid && e.code() == c(code);
    const EFAULT: i64 = -14;

    add(
        "prctl PR_SET_NAME of an unmapped name",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_PRCTL_X)
                && n(e, 0) == EFAULT
                && n(e, 1) == 15
                && raw_param(e, 2).is_empty()
        }),
    );
    add(
        "pipe into a kernel address",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_PIPE_X)
                && n(e, 0) == EFAULT
                && n(e, 1) == -1
                && n(e, 2) == -1
                && n(e, 3) == 0
        }),
    );
    add(
        "init_module of an unmapped image",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_INIT_MODULE_X)
                && n(e, 0) == init_res
                && raw_param(e, 1).is_empty()
                && n(e, 2) == 16
                && raw_param(e, 3).is_empty()
        }),
    );
    add(
        "readv of a kernel iovec address",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_READV_X)
                && n(e, 0) == EFAULT
                && n(e, 1) == 0
                && raw_param(e, 2).is_empty()
                && n(e, 3) == fd
        }),
    );
    add(
        "writev of an unmapped iovec",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_WRITEV_X)
                && n(e, 0) == EFAULT
                && raw_param(e, 1).is_empty()
                && n(e, 2) == fd
                && n(e, 3) == 0
        }),
    );
    add(
        "writev of 40 iovecs: the first 32 gathered",
        Box::new(move |e| {
            let first32: Vec<u8> = (b'A'..).take(32).collect();
            wl(e, raw::PPME_SYSCALL_WRITEV_X)
                && n(e, 0) == 40
                && s(e, 1) == first32.as_slice()
                && n(e, 2) == fd
                && n(e, 3) == 32
        }),
    );
    add(
        "sendmsg of an unmapped msghdr",
        Box::new(move |e| {
            wl(e, raw::PPME_SOCKET_SENDMSG_X)
                && n(e, 0) == EFAULT
                && raw_param(e, 1).is_empty()
                && n(e, 2) == sp
                && raw_param(e, 3).is_empty()
                && raw_param(e, 4).is_empty()
        }),
    );
    Ok(())
}
