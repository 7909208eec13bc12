//! Expectations of the single-fd creators, close_range and
//! io_uring_enter/register (more_workload/fdc.rs), parameter by parameter.

use std::collections::HashMap;

use anyhow::Result;
use peregrine_wire::raw;

use super::{of, O_CLOEXEC, O_NONBLOCK};
use crate::check::{get, n, Pred};

pub(super) fn add(
    x: &HashMap<String, String>,
    add: &mut dyn FnMut(&'static str, Pred),
) -> Result<()> {
    let pid: i64 = get(x, "pid")?;
    let wl = of(pid);
    // SIGUSR1|SIGUSR2
    let mask = (1 << 9) | (1 << 11);
    // (description, event, expected parameters in order)
    let fd = |k: &str| get::<i64>(x, &format!("{k}_fd"));
    let expect: [(&'static str, u32, Vec<i64>); 9] = [
        (
            "eventfd initval",
            raw::PPME_SYSCALL_EVENTFD_X,
            vec![fd("eventfd")?, 7, 0],
        ),
        (
            "eventfd2 EFD_CLOEXEC|EFD_NONBLOCK as file_flags",
            raw::PPME_SYSCALL_EVENTFD2_X,
            vec![fd("eventfd2")?, O_CLOEXEC | O_NONBLOCK, 9],
        ),
        (
            "signalfd new fd, mask",
            raw::PPME_SYSCALL_SIGNALFD_X,
            vec![fd("signalfd")?, -1, mask, 0],
        ),
        (
            "signalfd4 SFD_CLOEXEC, mask",
            raw::PPME_SYSCALL_SIGNALFD4_X,
            vec![fd("signalfd4")?, O_CLOEXEC, -1, mask],
        ),
        (
            "timerfd_create CLOCK_MONOTONIC",
            raw::PPME_SYSCALL_TIMERFD_CREATE_X,
            vec![fd("timerfd_create")?, 1, 0],
        ),
        (
            "inotify_init",
            raw::PPME_SYSCALL_INOTIFY_INIT_X,
            vec![fd("inotify_init")?, 0],
        ),
        (
            "inotify_init1 IN_CLOEXEC|IN_NONBLOCK",
            raw::PPME_SYSCALL_INOTIFY_INIT1_X,
            vec![fd("inotify_init1")?, O_CLOEXEC | O_NONBLOCK],
        ),
        (
            "epoll_create size",
            raw::PPME_SYSCALL_EPOLL_CREATE_X,
            vec![fd("epoll_create")?, 5],
        ),
        (
            "epoll_create1 EPOLL_CLOEXEC",
            raw::PPME_SYSCALL_EPOLL_CREATE1_X,
            vec![fd("epoll_create1")?, 1],
        ),
    ];
    for (what, code, want) in expect {
        add(
            what,
            Box::new(move |e| {
                wl(e, code)
                    && e.nparams() as usize == want.len()
                    && want.iter().enumerate().all(|(i, v)| n(e, i) == *v)
            }),
        );
    }
    let (lo, hi, bad): (i64, i64, i64) = (
        get(x, "fdc_lo")?,
        get(x, "fdc_hi")?,
        get(x, "close_range_bad_res")?,
    );
    let cr = raw::PPME_SYSCALL_CLOSE_RANGE_X;
    add(
        "close_range CLOSE_RANGE_CLOEXEC",
        Box::new(move |e| wl(e, cr) && (n(e, 0), n(e, 1), n(e, 2), n(e, 3)) == (0, lo, lo, 4)),
    );
    add(
        "close_range of the new fds",
        Box::new(move |e| wl(e, cr) && (n(e, 0), n(e, 1), n(e, 2), n(e, 3)) == (0, lo, hi, 0)),
    );
    add(
        "close_range first > last, EINVAL",
        Box::new(move |e| wl(e, cr) && (n(e, 0), n(e, 1), n(e, 2), n(e, 3)) == (bad, hi, lo, 0)),
    );
    let ring: i64 = get(x, "ring_fd")?;
    let (enter, reg, bad): (i64, i64, i64) = (
        get(x, "uring_enter_res")?,
        get(x, "uring_register_res")?,
        get(x, "uring_register_bad_res")?,
    );
    let probe: i64 = get(x, "uring_probe_ptr")?;
    add(
        "io_uring_enter IORING_ENTER_GETEVENTS, SIGUSR1",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_IO_URING_ENTER_X)
                && (0..6).map(|i| n(e, i)).eq([enter, ring, 0, 0, 1, 1 << 9])
        }),
    );
    add(
        "io_uring_register IORING_REGISTER_PROBE",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_IO_URING_REGISTER_X)
                && (0..5).map(|i| n(e, i)).eq([reg, ring, 8, probe, 4])
        }),
    );
    add(
        "io_uring_register of an unnamed opcode",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_IO_URING_REGISTER_X)
                && (0..5).map(|i| n(e, i)).eq([bad, ring, 9999, 0, 0])
        }),
    );
    Ok(())
}
