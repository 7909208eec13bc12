//! The events of fillers_fdc.h (single-fd creators, close_range,
//! io_uring_enter/register), parameter by parameter; included by capture.rs.

use super::common::*;
use peregrine_wire::raw as c;

pub fn check_fd_creators(run: &Run, w: i64) {
    let code = |v: u32| v as u16;
    let fd = |k: &str| {
        let v = run.fact(&format!("{k}_fd"));
        assert!(v >= 0, "{k} failed: {v}");
        v
    };
    let mut seen = Vec::new();
    // file_flags bits
    let (cloexec, nonblock) = (0x1000, 0x40);

    let e = run.one(code(c::PPME_SYSCALL_EVENTFD_X), w, |_| true);
    assert_eq!(
        (int(&e, "res"), int(&e, "initval"), int(&e, "flags")),
        (fd("eventfd"), 7, 0)
    );
    seen.push(e);
    let e = run.one(code(c::PPME_SYSCALL_EVENTFD2_X), w, |_| true);
    assert_eq!(
        (int(&e, "res"), int(&e, "flags"), int(&e, "initval")),
        (fd("eventfd2"), cloexec | nonblock, 9),
        "EFD_CLOEXEC|EFD_NONBLOCK as file_flags; EFD_SEMAPHORE has no bit"
    );
    seen.push(e);
    // SIGUSR1|SIGUSR2
    let mask = (1 << 9) | (1 << 11);
    let e = run.one(code(c::PPME_SYSCALL_SIGNALFD_X), w, |_| true);
    assert_eq!(
        (
            int(&e, "res"),
            int(&e, "fd"),
            int(&e, "mask"),
            int(&e, "flags")
        ),
        (fd("signalfd"), -1, mask, 0)
    );
    seen.push(e);
    let e = run.one(code(c::PPME_SYSCALL_SIGNALFD4_X), w, |_| true);
    assert_eq!(
        (
            int(&e, "res"),
            int(&e, "flags"),
            int(&e, "fd"),
            int(&e, "mask")
        ),
        (fd("signalfd4"), cloexec, -1, mask)
    );
    seen.push(e);
    let e = run.one(code(c::PPME_SYSCALL_TIMERFD_CREATE_X), w, |_| true);
    assert_eq!(
        (int(&e, "res"), int(&e, "clockid"), int(&e, "flags")),
        (fd("timerfd_create"), 1, 0),
        "CLOCK_MONOTONIC; TFD_* lie above the PT_UINT8"
    );
    seen.push(e);
    let e = run.one(code(c::PPME_SYSCALL_INOTIFY_INIT_X), w, |_| true);
    assert_eq!((int(&e, "res"), int(&e, "flags")), (fd("inotify_init"), 0));
    seen.push(e);
    let e = run.one(code(c::PPME_SYSCALL_INOTIFY_INIT1_X), w, |_| true);
    assert_eq!(
        (int(&e, "res"), int(&e, "flags")),
        (fd("inotify_init1"), cloexec | nonblock)
    );
    seen.push(e);
    let e = run.one(code(c::PPME_SYSCALL_EPOLL_CREATE_X), w, |_| true);
    assert_eq!((int(&e, "res"), int(&e, "size")), (fd("epoll_create"), 5));
    seen.push(e);
    let e = run.one(code(c::PPME_SYSCALL_EPOLL_CREATE1_X), w, |_| true);
    assert_eq!(
        (int(&e, "res"), int(&e, "flags")),
        (fd("epoll_create1"), 1),
        "EPOLL_CLOEXEC"
    );
    seen.push(e);

    let (lo, hi) = (run.fact("fdc_lo"), run.fact("fdc_hi"));
    let cr = code(c::PPME_SYSCALL_CLOSE_RANGE_X);
    assert_eq!(run.fact("close_range_cloexec_res"), 0);
    let e = run.one(cr, w, |e| int(e, "flags") == 4);
    assert_eq!(
        (int(&e, "res"), int(&e, "first"), int(&e, "last")),
        (0, lo, lo),
        "CLOSE_RANGE_CLOEXEC"
    );
    seen.push(e);
    assert_eq!(run.fact("close_range_res"), 0);
    let e = run.one(cr, w, |e| int(e, "flags") == 0 && int(e, "res") == 0);
    assert_eq!((int(&e, "first"), int(&e, "last")), (lo, hi));
    seen.push(e);
    assert_eq!(run.fact("close_range_bad_res"), -22);
    let e = run.one(cr, w, |e| int(e, "res") != 0);
    assert_eq!(
        (int(&e, "res"), int(&e, "first"), int(&e, "last")),
        (-22, hi, lo)
    );
    seen.push(e);
    for e in &seen {
        let mut args = String::new();
        peregrine_event::render::render_args(e, &mut args);
        eprintln!("{} {args}", e.type_name());
    }
}

/// io_uring_enter and io_uring_register (fillers_fdc.h).
pub fn check_io_uring(run: &Run, w: i64) {
    let code = |v: u32| v as u16;
    let ring = run.fact("ring_fd");
    let mut seen = Vec::new();
    let e = run.one(code(c::PPME_SYSCALL_IO_URING_ENTER_X), w, |_| true);
    let got: Vec<i64> = ["res", "fd", "to_submit", "min_complete", "flags", "sig"]
        .iter()
        .map(|n| int(&e, n))
        .collect();
    assert_eq!(
        got,
        [run.fact("uring_enter_res"), ring, 0, 0, 1, 1 << 9],
        "IORING_ENTER_GETEVENTS, SIGUSR1"
    );
    seen.push(e);
    let reg = code(c::PPME_SYSCALL_IO_URING_REGISTER_X);
    let e = run.one(reg, w, |e| int(e, "opcode") == 8);
    assert_eq!(
        (
            int(&e, "res"),
            int(&e, "fd"),
            int(&e, "arg"),
            int(&e, "nr_args")
        ),
        (
            run.fact("uring_register_res"),
            ring,
            run.fact("uring_probe_ptr"),
            4
        ),
        "IORING_REGISTER_PROBE"
    );
    seen.push(e);
    let e = run.one(reg, w, |e| int(e, "opcode") == 9999);
    assert_eq!(
        (int(&e, "res"), int(&e, "arg"), int(&e, "nr_args")),
        (run.fact("uring_register_bad_res"), 0, 0),
        "an opcode without a name passes through"
    );
    seen.push(e);
    for e in &seen {
        let mut args = String::new();
        peregrine_event::render::render_args(e, &mut args);
        eprintln!("{} {args}", e.type_name());
    }
}
