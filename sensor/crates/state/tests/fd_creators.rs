//! The fd tables after open_by_handle_at, pidfd_open and pidfd_getfd.

mod common;

use std::sync::Arc;

use common::*;
use peregrine_event::EventBuilder;
use peregrine_state::{FdInfo, FdType, Limits, State};
use peregrine_wire::raw;

const O_RDONLY: u32 = 0x1;
const O_CLOEXEC: u32 = 0x1000;

fn open_by_handle_at(ts: u64, tid: u64, fd: i64, path: &str, dev: u32, ino: u64) -> Vec<u8> {
    let mut b = EventBuilder::new();
    b.i64(fd).i64(3).u32(O_RDONLY | O_CLOEXEC).str(path);
    b.u32(dev).u64(ino);
    b.finish(ts, tid, raw::PPME_SYSCALL_OPEN_BY_HANDLE_AT_X as u16)
        .unwrap()
}

fn pidfd_open(ts: u64, tid: u64, fd: i64, pid: i64) -> Vec<u8> {
    EventBuilder::new()
        .i64(fd)
        .i64(pid)
        .u32(0)
        .finish(ts, tid, raw::PPME_SYSCALL_PIDFD_OPEN_X as u16)
        .unwrap()
}

fn pidfd_getfd(ts: u64, tid: u64, fd: i64, pid_fd: i64, target_fd: i64) -> Vec<u8> {
    EventBuilder::new()
        .i64(fd)
        .i64(pid_fd)
        .i64(target_fd)
        .u32(0)
        .finish(ts, tid, raw::PPME_SYSCALL_PIDFD_GETFD_X as u16)
        .unwrap()
}

/// A process of its own (tid = pid), in the pid namespace `ns` with its
/// number `vpid` there (ns 0, vpid = tid: the host's).
fn process(st: &mut State, ts: u64, tid: u64, vpid: i64, ns: u64) {
    let c = Clone {
        tid,
        res: 0,
        pid: tid,
        ptid: 1,
        comm: "proc",
        cgroups: "cpu=/\0",
        flags: 0,
        vtid: vpid,
        vpid,
        pidns_init_start_ts: ns,
    };
    feed(st, &c.event(ts));
}

fn fd(st: &State, tid: u64, fd: i64) -> Option<Arc<FdInfo>> {
    st.fd(tid, fd).cloned()
}

#[test]
fn open_by_handle_at_makes_a_file_fd_named_by_its_path() {
    let mut st = State::new(Limits::default());
    process(&mut st, 1, 60, 60, 0);
    let ev = open_by_handle_at(2, 60, 5, "/srv/data/handle.txt", 0x2a, 1234);
    feed(&mut st, &ev);
    let f = fd(&st, 60, 5).expect("fd 5");
    assert_eq!(
        (f.ftype, f.name.as_str(), f.dev, f.ino),
        (FdType::File, "/srv/data/handle.txt", 0x2a, 1234)
    );
    assert_eq!(f.open_flags, O_RDONLY | O_CLOEXEC);
    assert_eq!(
        field(&st, &ev, "fd.name").as_deref(),
        Some("/srv/data/handle.txt")
    );
    assert_eq!(field(&st, &ev, "fd.typechar").as_deref(), Some("f"));
    // A stale handle: no fd, no path.
    feed(&mut st, &open_by_handle_at(3, 60, -116, "", 0, 0));
    assert!(fd(&st, 60, -116).is_none());
}

#[test]
fn pidfd_getfd_copies_the_target_process_fd() {
    let mut st = State::new(Limits::default());
    process(&mut st, 1, 60, 60, 0);
    process(&mut st, 2, 70, 70, 0);
    feed(&mut st, &openat(3, 60, 4, "/etc/shadow", O_RDONLY));
    let po = pidfd_open(4, 70, 3, 60);
    feed(&mut st, &po);
    let p = fd(&st, 70, 3).expect("pidfd");
    assert_eq!((p.ftype, p.pidfd_pid), (FdType::Pidfd, 60));
    assert_eq!(field(&st, &po, "fd.typechar").as_deref(), Some("P"));
    let g = pidfd_getfd(5, 70, 5, 3, 4);
    feed(&mut st, &g);
    let f = fd(&st, 70, 5).expect("copied fd");
    assert_eq!((f.ftype, f.name.as_str()), (FdType::File, "/etc/shadow"));
    assert_eq!(
        f.open_flags,
        O_RDONLY | O_CLOEXEC,
        "pidfd_getfd sets FD_CLOEXEC"
    );
    assert_eq!(field(&st, &g, "fd.name").as_deref(), Some("/etc/shadow"));
    // The target keeps its own fd.
    assert_eq!(fd(&st, 60, 4).expect("target fd").open_flags, O_RDONLY);
}

#[test]
fn pidfd_getfd_of_an_unknown_fd_or_through_an_unknown_pidfd_is_an_unnamed_fd() {
    let mut st = State::new(Limits::default());
    process(&mut st, 1, 60, 60, 0);
    process(&mut st, 2, 70, 70, 0);
    feed(&mut st, &pidfd_open(3, 70, 3, 60));
    feed(&mut st, &pidfd_getfd(4, 70, 5, 3, 9));
    let f = fd(&st, 70, 5).expect("fd 5");
    assert_eq!((f.ftype, f.name.as_str()), (FdType::Other, ""));
    // fd 8 of 70 was never seen as a pidfd.
    feed(&mut st, &openat(5, 60, 4, "/etc/passwd", O_RDONLY));
    feed(&mut st, &pidfd_getfd(6, 70, 6, 8, 4));
    assert_eq!(fd(&st, 70, 6).expect("fd 6").ftype, FdType::Other);
    // A failed call adds nothing.
    feed(&mut st, &pidfd_getfd(7, 70, -1, 3, 4));
    assert!(fd(&st, 70, -1).is_none());
    feed(&mut st, &pidfd_open(8, 70, -3, 99999));
    assert!(fd(&st, 70, -3).is_none());
}

#[test]
fn pidfd_open_in_a_pid_namespace_names_the_process_of_that_namespace() {
    let mut st = State::new(Limits::default());
    // Host pid 2 has an fd 4 too: it must not be the one copied.
    process(&mut st, 1, 2, 2, 0);
    feed(&mut st, &openat(2, 2, 4, "/host/file", O_RDONLY));
    // A container: 500 is its pid 1, 501 its pid 2.
    process(&mut st, 3, 500, 1, 777);
    process(&mut st, 4, 501, 2, 777);
    feed(&mut st, &openat(5, 501, 4, "/data/secret", O_RDONLY));
    feed(&mut st, &pidfd_open(6, 500, 3, 2));
    assert_eq!(fd(&st, 500, 3).expect("pidfd").pidfd_pid, 501);
    feed(&mut st, &pidfd_getfd(7, 500, 5, 3, 4));
    assert_eq!(fd(&st, 500, 5).expect("copy").name, "/data/secret");
    // A number that no process of the namespace has: unknown, nothing copied.
    feed(&mut st, &pidfd_open(8, 500, 6, 42));
    assert_eq!(fd(&st, 500, 6).expect("pidfd").pidfd_pid, 0);
    feed(&mut st, &pidfd_getfd(9, 500, 7, 6, 4));
    assert_eq!(fd(&st, 500, 7).expect("fd 7").ftype, FdType::Other);
}

/// An exit event of one of the single-fd creators, as the drivers fill it:
/// res first, then the parameters of its layout (`params` writes them).
fn creator(ts: u64, tid: u64, code: u32, params: impl Fn(&mut EventBuilder)) -> Vec<u8> {
    let mut b = EventBuilder::new();
    params(&mut b);
    b.finish(ts, tid, code as u16).unwrap()
}

fn close_range(ts: u64, tid: u64, res: i64, first: u32, last: u32, flags: u32) -> Vec<u8> {
    EventBuilder::new()
        .i64(res)
        .u32(first)
        .u32(last)
        .u32(flags)
        .finish(ts, tid, raw::PPME_SYSCALL_CLOSE_RANGE_X as u16)
        .unwrap()
}

#[test]
fn single_fd_creators_add_fds_of_their_type() {
    let mut st = State::new(Limits::default());
    process(&mut st, 1, 60, 60, 0);
    let evs: [(Vec<u8>, char); 9] = [
        (
            creator(2, 60, raw::PPME_SYSCALL_EVENTFD_X, |b| {
                b.i64(3).u64(7).u32(0);
            }),
            'e',
        ),
        (
            creator(3, 60, raw::PPME_SYSCALL_EVENTFD2_X, |b| {
                b.i64(4).u16(0x1040).u64(9);
            }),
            'e',
        ),
        (
            creator(4, 60, raw::PPME_SYSCALL_SIGNALFD_X, |b| {
                b.i64(5).i64(-1).u32(0xa00).u8(0);
            }),
            's',
        ),
        (
            creator(5, 60, raw::PPME_SYSCALL_SIGNALFD4_X, |b| {
                b.i64(6).u16(0x1000).i64(-1).u32(0xa00);
            }),
            's',
        ),
        (
            creator(6, 60, raw::PPME_SYSCALL_TIMERFD_CREATE_X, |b| {
                b.i64(7).u8(1).u8(0);
            }),
            't',
        ),
        (
            creator(7, 60, raw::PPME_SYSCALL_INOTIFY_INIT_X, |b| {
                b.i64(8).u8(0);
            }),
            'i',
        ),
        (
            creator(8, 60, raw::PPME_SYSCALL_INOTIFY_INIT1_X, |b| {
                b.i64(9).u16(0x1040);
            }),
            'i',
        ),
        (
            creator(9, 60, raw::PPME_SYSCALL_EPOLL_CREATE_X, |b| {
                b.i64(10).u32(5);
            }),
            'l',
        ),
        (
            creator(10, 60, raw::PPME_SYSCALL_EPOLL_CREATE1_X, |b| {
                b.i64(11).u32(1);
            }),
            'l',
        ),
    ];
    for (i, (ev, ch)) in evs.iter().enumerate() {
        feed(&mut st, ev);
        let want = ch.to_string();
        assert_eq!(field(&st, ev, "fd.typechar").as_deref(), Some(&*want));
        assert!(fd(&st, 60, 3 + i as i64).is_some(), "fd {}", 3 + i);
    }
    // A failed call adds nothing.
    feed(
        &mut st,
        &creator(11, 60, raw::PPME_SYSCALL_EVENTFD2_X, |b| {
            b.i64(-24).u16(0).u64(0);
        }),
    );
    assert!(fd(&st, 60, -24).is_none());
}

#[test]
fn close_range_closes_the_range_or_marks_it_close_on_exec() {
    let mut st = State::new(Limits::default());
    process(&mut st, 1, 60, 60, 0);
    for fd in 3..=8 {
        feed(&mut st, &openat(2 + fd as u64, 60, fd, "/tmp/f", O_RDONLY));
    }
    // CLOSE_RANGE_CLOEXEC on 4..=5: both stay, marked.
    feed(&mut st, &close_range(20, 60, 0, 4, 5, 0x4));
    for f in 3..=8 {
        let want = if (4..=5).contains(&f) {
            O_RDONLY | O_CLOEXEC
        } else {
            O_RDONLY
        };
        assert_eq!(fd(&st, 60, f).expect("fd").open_flags, want, "fd {f}");
    }
    // A failed call changes nothing.
    feed(&mut st, &close_range(21, 60, -22, 8, 3, 0));
    assert!((3..=8).all(|f| fd(&st, 60, f).is_some()));
    // 5..=6 closed, the others kept.
    feed(&mut st, &close_range(22, 60, 0, 5, 6, 0));
    let open: Vec<i64> = (3..=8).filter(|&f| fd(&st, 60, f).is_some()).collect();
    assert_eq!(open, [3, 4, 7, 8]);
    // ~0U as last: everything from 4 up.
    feed(&mut st, &close_range(23, 60, 0, 4, u32::MAX, 0x2));
    let open: Vec<i64> = (3..=8).filter(|&f| fd(&st, 60, f).is_some()).collect();
    assert_eq!(open, [3]);
}
