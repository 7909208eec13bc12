//! Faults and bounds: unreadable user memory and too many iovecs.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Result};

use super::{close, fails, iov, ok, sys};
use crate::workload::cstr;

/// Unmapped and kernel addresses where the fillers read user memory, and
/// more iovecs than the fillers gather: the calls fail (or are cut) and the
/// events must still come, with what the eBPF probe puts there.
pub(super) fn faults_and_bounds(dir: &Path, e: &mut String) -> Result<()> {
    const UNMAPPED: usize = 8;
    const KERNEL: usize = 0xffff_ffff_8100_0000;
    let efault = -i64::from(libc::EFAULT);
    let want_efault = |what: &str, r: libc::c_long| -> Result<()> {
        if fails(r) != efault {
            bail!("{what}: expected EFAULT, got {}", fails(r));
        }
        Ok(())
    };
    want_efault(
        "prctl(PR_SET_NAME, unmapped)",
        sys(
            libc::SYS_prctl,
            [libc::PR_SET_NAME as usize, UNMAPPED, 0, 0, 0, 0],
        ),
    )?;
    want_efault(
        "pipe(kernel address)",
        sys(libc::SYS_pipe, [KERNEL, 0, 0, 0, 0, 0]),
    )?;
    // No EFAULT check: without module support the call is ENOSYS.
    let r = fails(sys(
        libc::SYS_init_module,
        [UNMAPPED, 16, UNMAPPED, 0, 0, 0],
    ));
    let _ = writeln!(e, "bad_init_module_res={r}");

    let f = dir.join("bounds.txt");
    let fp = cstr(&f)?;
    let fd = ok(
        "open bounds.txt",
        sys(
            libc::SYS_open,
            [
                fp.as_ptr() as usize,
                (libc::O_RDWR | libc::O_CREAT | libc::O_TRUNC) as usize,
                0o600,
                0,
                0,
                0,
            ],
        ),
    )?;
    want_efault(
        "readv(kernel iovec)",
        sys(libc::SYS_readv, [fd as usize, KERNEL, 2, 0, 0, 0]),
    )?;
    want_efault(
        "writev(unmapped iovec)",
        sys(libc::SYS_writev, [fd as usize, UNMAPPED, 2, 0, 0, 0]),
    )?;
    // 40 one-byte iovecs: the fillers gather the first 32.
    let bytes: Vec<u8> = (b'A'..).take(40).collect();
    let iovs: Vec<libc::iovec> = bytes.iter().map(|b| iov(b, 1)).collect();
    ok(
        "writev of 40 iovecs",
        sys(
            libc::SYS_writev,
            [fd as usize, iovs.as_ptr() as usize, iovs.len(), 0, 0, 0],
        ),
    )?;
    let mut sv = [-1 as libc::c_int; 2];
    ok(
        "socketpair",
        sys(
            libc::SYS_socketpair,
            [
                libc::AF_UNIX as usize,
                libc::SOCK_DGRAM as usize,
                0,
                sv.as_mut_ptr() as usize,
                0,
                0,
            ],
        ),
    )?;
    want_efault(
        "sendmsg(unmapped msghdr)",
        sys(libc::SYS_sendmsg, [sv[0] as usize, UNMAPPED, 0, 0, 0, 0]),
    )?;
    close(sv[0].into());
    close(sv[1].into());
    close(fd);
    let _ = writeln!(e, "bounds_fd={fd}\nbad_sp_fd1={}", sv[0]);
    Ok(())
}
