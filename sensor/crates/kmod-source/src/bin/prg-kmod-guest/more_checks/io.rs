//! Expectations of the fd calls: dup/fcntl, pipes, sockets, vectored and
//! positional I/O, memfd and mappings.

use std::collections::HashMap;

use anyhow::Result;
use peregrine_event::{EventRef, Param, SockTuple};
use peregrine_wire::raw;

use super::{of, raw_param, O_CLOEXEC, O_NONBLOCK};
use crate::check::{get, n, s, Pred, LO};

fn udp(e: &EventRef<'_>, i: usize, src: u16, dst: u16) -> bool {
    matches!(e.param(i), Some(Param::SockTuple(SockTuple::Inet { sip: LO, sport, dip: LO, dport }))
        if sport == src && dport == dst)
}

/// dup, dup2, dup3 and fcntl of the workload's file.
pub(super) fn dups(
    x: &HashMap<String, String>,
    add: &mut dyn FnMut(&'static str, Pred),
) -> Result<()> {
    let pid: i64 = get(x, "pid")?;
    let old: i64 = get(x, "dup_old")?;
    let dup_new: i64 = get(x, "dup_new")?;
    let dupfd: i64 = get(x, "fcntl_dupfd")?;
    let wl = of(pid);
    add(
        "dup",
        Box::new(move |e| wl(e, raw::PPME_SYSCALL_DUP_1_X) && n(e, 0) == dup_new && n(e, 1) == old),
    );
    add(
        "dup2 to 100",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_DUP2_X) && n(e, 0) == 100 && n(e, 1) == old && n(e, 2) == 100
        }),
    );
    add(
        "dup3 to 101, O_CLOEXEC",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_DUP3_X)
                && n(e, 0) == 101
                && n(e, 1) == old
                && n(e, 2) == 101
                && n(e, 3) == O_CLOEXEC
        }),
    );
    add(
        "fcntl F_DUPFD_CLOEXEC 200",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_FCNTL_X)
                && n(e, 0) == dupfd
                && n(e, 1) == old
                && n(e, 2) == 26
                && n(e, 3) == 200
        }),
    );
    add(
        "fcntl F_SETFD FD_CLOEXEC",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_FCNTL_X)
                && n(e, 0) == 0
                && n(e, 1) == old
                && n(e, 2) == 3
                && n(e, 3) == 1
        }),
    );
    Ok(())
}

/// pipe, pipe2, the socketpair exchange and UDP sendto/recvfrom.
pub(super) fn pipes_and_sockets(
    x: &HashMap<String, String>,
    add: &mut dyn FnMut(&'static str, Pred),
) -> Result<()> {
    let pid: i64 = get(x, "pid")?;
    let (pf1, pf2): (i64, i64) = (get(x, "pipe_fd1")?, get(x, "pipe_fd2")?);
    let (p2f1, p2f2): (i64, i64) = (get(x, "pipe2_fd1")?, get(x, "pipe2_fd2")?);
    let (sp1, sp2): (i64, i64) = (get(x, "sp_fd1")?, get(x, "sp_fd2")?);
    let (urx, utx): (u16, u16) = (get(x, "udp_rx_port")?, get(x, "udp_tx_port")?);
    let wl = of(pid);
    add(
        "pipe: both fds and the inode",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_PIPE_X)
                && n(e, 0) == 0
                && n(e, 1) == pf1
                && n(e, 2) == pf2
                && n(e, 3) > 0
        }),
    );
    add(
        "pipe2 O_CLOEXEC|O_NONBLOCK",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_PIPE2_X)
                && n(e, 0) == 0
                && n(e, 1) == p2f1
                && n(e, 2) == p2f2
                && n(e, 3) > 0
                && n(e, 4) == O_CLOEXEC | O_NONBLOCK
        }),
    );
    add(
        "socketpair AF_UNIX: fds and sockets",
        Box::new(move |e| {
            wl(e, raw::PPME_SOCKET_SOCKETPAIR_X)
                && n(e, 0) == 0
                && n(e, 1) == sp1
                && n(e, 2) == sp2
                && n(e, 3) != 0
                && n(e, 4) != 0
                && n(e, 5) == 1
                && n(e, 6) == 1
                && n(e, 7) == 0
        }),
    );
    add(
        "sendmsg of two iovecs",
        Box::new(move |e| {
            wl(e, raw::PPME_SOCKET_SENDMSG_X)
                && n(e, 0) == 7
                && s(e, 1) == b"abcdefg"
                && n(e, 2) == sp1
                && n(e, 3) == 7
                && matches!(e.param(4), Some(Param::SockTuple(SockTuple::Unix { .. })))
        }),
    );
    add(
        "recvmsg into two iovecs",
        Box::new(move |e| {
            wl(e, raw::PPME_SOCKET_RECVMSG_X)
                && n(e, 0) == 7
                && n(e, 1) == 7
                && s(e, 2) == b"abcdefg"
                && matches!(e.param(3), Some(Param::SockTuple(SockTuple::Unix { .. })))
                && raw_param(e, 4).is_empty()
                && n(e, 5) == sp2
        }),
    );
    add(
        "shutdown SHUT_WR",
        Box::new(move |e| {
            wl(e, raw::PPME_SOCKET_SHUTDOWN_X) && n(e, 0) == 0 && n(e, 1) == sp1 && n(e, 2) == 1
        }),
    );
    add(
        "sendto on an unconnected UDP socket",
        Box::new(move |e| {
            wl(e, raw::PPME_SOCKET_SENDTO_X)
                && n(e, 0) == 8
                && s(e, 1) == b"udp-ping"
                && n(e, 3) == 8
                && udp(e, 4, utx, urx)
        }),
    );
    add(
        "recvfrom on an unconnected UDP socket",
        Box::new(move |e| {
            wl(e, raw::PPME_SOCKET_RECVFROM_X)
                && n(e, 0) == 8
                && s(e, 1) == b"udp-ping"
                && udp(e, 2, utx, urx)
        }),
    );
    Ok(())
}

/// writev, pwrite64, pread64, readv, memfd_create, mmap, mprotect.
pub(super) fn vectors_and_memory(
    x: &HashMap<String, String>,
    add: &mut dyn FnMut(&'static str, Pred),
) -> Result<()> {
    let pid: i64 = get(x, "pid")?;
    let vfd: i64 = get(x, "vec_fd")?;
    let maddr: i64 = get(x, "mmap_addr")?;
    let mlen: i64 = get(x, "mmap_len")?;
    let wl = of(pid);
    add(
        "writev of two iovecs",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_WRITEV_X)
                && n(e, 0) == 8
                && s(e, 1) == b"vec-data"
                && n(e, 2) == vfd
                && n(e, 3) == 8
        }),
    );
    add(
        "pwrite64 at 8",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_PWRITE_X)
                && n(e, 0) == 2
                && s(e, 1) == b"PW"
                && n(e, 2) == vfd
                && n(e, 3) == 2
                && n(e, 4) == 8
        }),
    );
    add(
        "pread64 at 0",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_PREAD_X)
                && n(e, 0) == 4
                && s(e, 1) == b"vec-"
                && n(e, 2) == vfd
                && n(e, 3) == 4
                && n(e, 4) == 0
        }),
    );
    add(
        "readv into two iovecs",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_READV_X)
                && n(e, 0) == 10
                && n(e, 1) == 10
                && s(e, 2) == b"vec-dataPW"
                && n(e, 3) == vfd
        }),
    );
    add(
        "memfd_create MFD_CLOEXEC|MFD_ALLOW_SEALING",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_MEMFD_CREATE_X)
                && n(e, 0) >= 0
                && s(e, 1) == b"prg-memfd"
                && n(e, 2) == 3
        }),
    );
    add(
        "mmap anonymous private rw",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_MMAP_X)
                && n(e, 0) == maddr
                && n(e, 1) > 0
                && n(e, 4) == 0
                && n(e, 5) == mlen
                && n(e, 6) == 3
                && n(e, 7) == 0x2 | 0x8
                && n(e, 8) == -1
                && n(e, 9) == 0
        }),
    );
    add(
        "mprotect PROT_READ",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_MPROTECT_X)
                && n(e, 0) == 0
                && n(e, 1) == maddr
                && n(e, 2) == mlen
                && n(e, 3) == 1
        }),
    );
    Ok(())
}
