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
