//! Single-fd creators and close_range (kmod/module/prg_fdc.c): each creator
//! once, then close_range marking the lowest new fd close-on-exec, closing
//! them all, and once with first > last (EINVAL); io_uring_enter and
//! io_uring_register on a ring of 8 entries (fd -1 where io_uring is not
//! allowed).

use std::fmt::Write as _;

use anyhow::Result;

use super::{close, fails, ok, sys};

pub(super) fn run(e: &mut String) -> Result<()> {
    // sigset_t with SIGUSR1 (10) and SIGUSR2 (12): bits 9 and 11.
    let set: u64 = (1 << 9) | (1 << 11);
    let sp = &set as *const u64 as usize;
    let cloexec = libc::O_CLOEXEC as usize;
    let nonblock = libc::O_NONBLOCK as usize;
    let m1 = usize::MAX; // fd -1
    let calls: [(&str, libc::c_long, [usize; 3]); 9] = [
        ("eventfd", libc::SYS_eventfd, [7, 0, 0]),
        // EFD_SEMAPHORE is 1.
        (
            "eventfd2",
            libc::SYS_eventfd2,
            [9, cloexec | nonblock | 1, 0],
        ),
        ("signalfd", libc::SYS_signalfd, [m1, sp, 8]),
        ("signalfd4", libc::SYS_signalfd4, [m1, sp, 8]),
        // CLOCK_MONOTONIC
        (
            "timerfd_create",
            libc::SYS_timerfd_create,
            [1, cloexec | nonblock, 0],
        ),
        ("inotify_init", libc::SYS_inotify_init, [0, 0, 0]),
        (
            "inotify_init1",
            libc::SYS_inotify_init1,
            [cloexec | nonblock, 0, 0],
        ),
        ("epoll_create", libc::SYS_epoll_create, [5, 0, 0]),
        ("epoll_create1", libc::SYS_epoll_create1, [cloexec, 0, 0]),
    ];
    let (mut lo, mut hi) = (i64::MAX, -1);
    for (name, nr, a) in calls {
        // signalfd4's flags are its fourth argument.
        let a3 = if nr == libc::SYS_signalfd4 {
            cloexec
        } else {
            0
        };
        let fd = ok(name, sys(nr, [a[0], a[1], a[2], a3, 0, 0]))?;
        let _ = writeln!(e, "{name}_fd={fd}");
        lo = lo.min(fd);
        hi = hi.max(fd);
    }
    let (l, h) = (lo as usize, hi as usize);
    // CLOSE_RANGE_CLOEXEC is 4.
    ok(
        "close_range cloexec",
        sys(libc::SYS_close_range, [l, l, 4, 0, 0, 0]),
    )?;
    ok(
        "close_range",
        sys(libc::SYS_close_range, [l, h, 0, 0, 0, 0]),
    )?;
    let bad = fails(sys(libc::SYS_close_range, [h, l, 0, 0, 0, 0]));
    let _ = writeln!(e, "fdc_lo={lo}\nfdc_hi={hi}\nclose_range_bad_res={bad}");
    Ok(())
}

pub(super) fn io_uring(e: &mut String) {
    // struct io_uring_params (120 bytes), zeroed: the defaults.
    let mut params = [0u32; 30];
    let ring = sys(
        libc::SYS_io_uring_setup,
        [8, params.as_mut_ptr() as usize, 0, 0, 0, 0],
    );
    let ring = if ring < 0 { -1 } else { ring };
    let r = ring as usize;
    // sigset_t with SIGUSR1 (10): bit 9.
    let set: u64 = 1 << 9;
    let sp = &set as *const u64 as usize;
    // IORING_ENTER_GETEVENTS (1), nothing to submit or wait for.
    let enter = fails(sys(libc::SYS_io_uring_enter, [r, 0, 0, 1, sp, 8]));
    // IORING_REGISTER_PROBE (8) into a zeroed struct io_uring_probe of 4 ops
    // (16 + 4 * 8 bytes); then an opcode no kernel has.
    let mut probe = [0u64; 6];
    let pp = probe.as_mut_ptr() as usize;
    let reg = fails(sys(libc::SYS_io_uring_register, [r, 8, pp, 4, 0, 0]));
    let bad = fails(sys(libc::SYS_io_uring_register, [r, 9999, 0, 0, 0, 0]));
    if ring >= 0 {
        close(ring);
    }
    let _ = writeln!(
        e,
        "ring_fd={ring}\nuring_enter_res={enter}\nuring_probe_ptr={pp}\n\
         uring_register_res={reg}\nuring_register_bad_res={bad}"
    );
}
