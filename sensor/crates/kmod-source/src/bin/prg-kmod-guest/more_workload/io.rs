//! File descriptors: dup/fcntl, pipes, sockets, vectored and positional
//! I/O, memfd and memory mappings.

use std::ffi::CStr;
use std::fmt::Write as _;
use std::net::UdpSocket;
use std::path::Path;

use anyhow::{bail, Context, Result};

use super::{close, iov, ok, sys};
use crate::workload::cstr;

/// dup, dup2, dup3, fcntl on a file of the workload; the file, still open.
pub(super) fn dups(inp: &CStr, e: &mut String) -> Result<i64> {
    let f = ok(
        "open input",
        sys(
            libc::SYS_open,
            [inp.as_ptr() as usize, libc::O_RDONLY as usize, 0, 0, 0, 0],
        ),
    )?;
    let d = ok("dup", sys(libc::SYS_dup, [f as usize, 0, 0, 0, 0, 0]))?;
    ok("dup2", sys(libc::SYS_dup2, [f as usize, 100, 0, 0, 0, 0]))?;
    ok(
        "dup3",
        sys(
            libc::SYS_dup3,
            [f as usize, 101, libc::O_CLOEXEC as usize, 0, 0, 0],
        ),
    )?;
    let fd200 = ok(
        "fcntl(F_DUPFD_CLOEXEC)",
        sys(
            libc::SYS_fcntl,
            [f as usize, libc::F_DUPFD_CLOEXEC as usize, 200, 0, 0, 0],
        ),
    )?;
    ok(
        "fcntl(F_SETFD)",
        sys(
            libc::SYS_fcntl,
            [
                f as usize,
                libc::F_SETFD as usize,
                libc::FD_CLOEXEC as usize,
                0,
                0,
                0,
            ],
        ),
    )?;
    let _ = writeln!(e, "dup_old={f}\ndup_new={d}\nfcntl_dupfd={fd200}");
    for x in [d, 100, 101, fd200] {
        close(x);
    }

    Ok(f)
}

pub(super) fn pipes(e: &mut String) -> Result<()> {
    let mut p = [-1 as libc::c_int; 2];
    ok(
        "pipe",
        sys(libc::SYS_pipe, [p.as_mut_ptr() as usize, 0, 0, 0, 0, 0]),
    )?;
    let _ = writeln!(e, "pipe_fd1={}\npipe_fd2={}", p[0], p[1]);
    close(p[0].into());
    close(p[1].into());
    ok(
        "pipe2",
        sys(
            libc::SYS_pipe2,
            [
                p.as_mut_ptr() as usize,
                (libc::O_CLOEXEC | libc::O_NONBLOCK) as usize,
                0,
                0,
                0,
                0,
            ],
        ),
    )?;
    let _ = writeln!(e, "pipe2_fd1={}\npipe2_fd2={}", p[0], p[1]);
    close(p[0].into());
    close(p[1].into());
    Ok(())
}

/// socketpair, sendmsg/recvmsg over it with two iovecs, shutdown.
pub(super) fn socketpair_msgs(e: &mut String) -> Result<()> {
    let mut sv = [-1 as libc::c_int; 2];
    ok(
        "socketpair",
        sys(
            libc::SYS_socketpair,
            [
                libc::AF_UNIX as usize,
                libc::SOCK_STREAM as usize,
                0,
                sv.as_mut_ptr() as usize,
                0,
                0,
            ],
        ),
    )?;
    let _ = writeln!(e, "sp_fd1={}\nsp_fd2={}", sv[0], sv[1]);
    let (a, b) = (b"abc".to_vec(), b"defg".to_vec());
    let siov = [iov(a.as_ptr(), a.len()), iov(b.as_ptr(), b.len())];
    // SAFETY: a zeroed msghdr is valid (no name, no control).
    let mut mh: libc::msghdr = unsafe { std::mem::zeroed() };
    mh.msg_iov = siov.as_ptr() as *mut _;
    mh.msg_iovlen = 2;
    ok(
        "sendmsg",
        sys(
            libc::SYS_sendmsg,
            [sv[0] as usize, &mh as *const _ as usize, 0, 0, 0, 0],
        ),
    )?;
    let (mut r1, mut r2) = ([0u8; 2], [0u8; 8]);
    let riov = [
        iov(r1.as_mut_ptr(), r1.len()),
        iov(r2.as_mut_ptr(), r2.len()),
    ];
    // SAFETY: as above.
    let mut rh: libc::msghdr = unsafe { std::mem::zeroed() };
    rh.msg_iov = riov.as_ptr() as *mut _;
    rh.msg_iovlen = 2;
    let got = ok(
        "recvmsg",
        sys(
            libc::SYS_recvmsg,
            [sv[1] as usize, &mut rh as *mut _ as usize, 0, 0, 0, 0],
        ),
    )?;
    if got != 7 || &r1 != b"ab" || &r2[..5] != b"cdefg" {
        bail!("recvmsg got {got} bytes {r1:?} {r2:?}");
    }
    ok(
        "shutdown",
        sys(
            libc::SYS_shutdown,
            [sv[0] as usize, libc::SHUT_WR as usize, 0, 0, 0, 0],
        ),
    )?;
    close(sv[0].into());
    close(sv[1].into());
    Ok(())
}

/// sendto/recvfrom between two unconnected UDP sockets.
pub(super) fn udp(e: &mut String) -> Result<()> {
    let rx = UdpSocket::bind("127.0.0.1:0").context("udp bind")?;
    let tx = UdpSocket::bind("127.0.0.1:0").context("udp bind")?;
    tx.send_to(b"udp-ping", rx.local_addr()?)
        .context("sendto")?;
    let mut ub = [0u8; 16];
    let (n, from) = rx.recv_from(&mut ub).context("recvfrom")?;
    if &ub[..n] != b"udp-ping" {
        bail!("recvfrom got {:?}", &ub[..n]);
    }
    let _ = writeln!(
        e,
        "udp_rx_port={}\nudp_tx_port={}",
        rx.local_addr()?.port(),
        from.port()
    );
    drop((rx, tx));
    Ok(())
}

/// writev, pwrite, pread, readv on a new file.
pub(super) fn vectors(dir: &Path, e: &mut String) -> Result<()> {
    let vec = dir.join("vec.txt");
    let vp = cstr(&vec)?;
    let v = ok(
        "open vec.txt",
        sys(
            libc::SYS_open,
            [
                vp.as_ptr() as usize,
                (libc::O_RDWR | libc::O_CREAT | libc::O_TRUNC) as usize,
                0o600,
                0,
                0,
                0,
            ],
        ),
    )?;
    let (w1, w2) = (b"vec-".to_vec(), b"data".to_vec());
    let wiov = [iov(w1.as_ptr(), w1.len()), iov(w2.as_ptr(), w2.len())];
    ok(
        "writev",
        sys(
            libc::SYS_writev,
            [v as usize, wiov.as_ptr() as usize, 2, 0, 0, 0],
        ),
    )?;
    let pw = b"PW";
    ok(
        "pwrite64",
        sys(
            libc::SYS_pwrite64,
            [v as usize, pw.as_ptr() as usize, 2, 8, 0, 0],
        ),
    )?;
    let mut pr = [0u8; 4];
    ok(
        "pread64",
        sys(
            libc::SYS_pread64,
            [v as usize, pr.as_mut_ptr() as usize, 4, 0, 0, 0],
        ),
    )?;
    sys(
        libc::SYS_lseek,
        [v as usize, 0, libc::SEEK_SET as usize, 0, 0, 0],
    );
    let (mut q1, mut q2) = ([0u8; 4], [0u8; 8]);
    let qiov = [
        iov(q1.as_mut_ptr(), q1.len()),
        iov(q2.as_mut_ptr(), q2.len()),
    ];
    let got = ok(
        "readv",
        sys(
            libc::SYS_readv,
            [v as usize, qiov.as_ptr() as usize, 2, 0, 0, 0],
        ),
    )?;
    if got != 10 || &q1 != b"vec-" || &q2[..6] != b"dataPW" {
        bail!("readv got {got} bytes {q1:?} {q2:?}");
    }
    let _ = writeln!(e, "vec_fd={v}");
    close(v);
    Ok(())
}

/// memfd_create, mmap, mprotect.
pub(super) fn memory(e: &mut String) -> Result<()> {
    let mname = c"prg-memfd";
    let m = ok(
        "memfd_create",
        sys(
            libc::SYS_memfd_create,
            [
                mname.as_ptr() as usize,
                (libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING) as usize,
                0,
                0,
                0,
                0,
            ],
        ),
    )?;
    close(m);
    let len = 3 * 4096;
    let addr = ok(
        "mmap",
        sys(
            libc::SYS_mmap,
            [
                0,
                len,
                (libc::PROT_READ | libc::PROT_WRITE) as usize,
                (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS) as usize,
                usize::MAX, // fd -1
                0,
            ],
        ),
    )?;
    ok(
        "mprotect",
        sys(
            libc::SYS_mprotect,
            [addr as usize, len, libc::PROT_READ as usize, 0, 0, 0],
        ),
    )?;
    sys(libc::SYS_munmap, [addr as usize, len, 0, 0, 0, 0]);
    let _ = writeln!(e, "mmap_addr={addr}\nmmap_len={len}");
    Ok(())
}
