//! Security-relevant calls (kmod/module/prg_sec.c): process_vm_readv and
//! process_vm_writev on the workload itself, pidfd_open/pidfd_getfd on
//! ourselves, open_by_handle_at of a file under the directory, seccomp
//! queries and delete_module of a module that does not exist.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Result};

use super::{close, fails, iov, ok, sys};
use crate::workload::cstr;

/// readv: 12 bytes of ours into two local iovecs (3 + 13 bytes); writev:
/// 100 bytes, more than the snaplen (80).
fn process_vm(e: &mut String) -> Result<()> {
    let pid = std::process::id() as usize;
    let src = *b"secret-bytes";
    let (mut l1, mut l2) = ([0u8; 3], [0u8; 13]);
    let local = [iov(l1.as_mut_ptr(), 3), iov(l2.as_mut_ptr(), 13)];
    let remote = [iov(src.as_ptr(), src.len())];
    let r = ok(
        "process_vm_readv",
        sys(
            libc::SYS_process_vm_readv,
            [
                pid,
                local.as_ptr() as usize,
                2,
                remote.as_ptr() as usize,
                1,
                0,
            ],
        ),
    )?;
    if r != 12 || [&l1[..], &l2[..9]].concat() != src {
        bail!("process_vm_readv read {r} bytes");
    }
    let data: Vec<u8> = (0..100u8).map(|i| b'A' + i % 26).collect();
    let mut dst = [0u8; 100];
    let wl = [iov(data.as_ptr(), 100)];
    let wr = [iov(dst.as_mut_ptr(), 100)];
    let w = ok(
        "process_vm_writev",
        sys(
            libc::SYS_process_vm_writev,
            [pid, wl.as_ptr() as usize, 1, wr.as_ptr() as usize, 1, 0],
        ),
    )?;
    let _ = writeln!(e, "pvm_readv_res={r}\npvm_writev_res={w}");
    Ok(())
}

/// pidfd_open (PIDFD_NONBLOCK), pidfd_getfd of a file of ours, and
/// open_by_handle_at of the same file through its directory.
fn fds(dir: &Path, e: &mut String) -> Result<()> {
    let path = dir.join("handle.txt");
    std::fs::write(&path, "handle\n")?;
    let p = cstr(&path)?;
    let d = cstr(dir)?;
    let target = ok(
        "open handle.txt",
        sys(
            libc::SYS_open,
            [p.as_ptr() as usize, libc::O_RDONLY as usize, 0, 0, 0, 0],
        ),
    )?;
    let pid = std::process::id() as usize;
    let pidfd = ok(
        "pidfd_open",
        sys(
            libc::SYS_pidfd_open,
            [pid, libc::O_NONBLOCK as usize, 0, 0, 0, 0],
        ),
    )?;
    let got = ok(
        "pidfd_getfd",
        sys(
            libc::SYS_pidfd_getfd,
            [pidfd as usize, target as usize, 0, 0, 0, 0],
        ),
    )?;
    // struct file_handle: handle_bytes (128 = MAX_HANDLE_SZ), handle_type, f_handle.
    let mut h = [0u32; 2 + 32];
    h[0] = 128;
    let mut mount_id = 0i32;
    ok(
        "name_to_handle_at",
        sys(
            libc::SYS_name_to_handle_at,
            [
                libc::AT_FDCWD as usize,
                p.as_ptr() as usize,
                h.as_mut_ptr() as usize,
                &mut mount_id as *mut i32 as usize,
                0,
                0,
            ],
        ),
    )?;
    let mfd = ok(
        "open dir",
        sys(
            libc::SYS_open,
            [
                d.as_ptr() as usize,
                (libc::O_RDONLY | libc::O_DIRECTORY) as usize,
                0,
                0,
                0,
                0,
            ],
        ),
    )?;
    let hfd = ok(
        "open_by_handle_at",
        sys(
            libc::SYS_open_by_handle_at,
            [
                mfd as usize,
                h.as_mut_ptr() as usize,
                (libc::O_RDONLY | libc::O_CLOEXEC) as usize,
                0,
                0,
                0,
            ],
        ),
    )?;
    let meta = std::fs::metadata(&path)?;
    let _ = writeln!(
        e,
        "getfd_target={target}\npidfd={pidfd}\npidfd_getfd_res={got}\nhandle_mountfd={mfd}\n\
         handle_fd={hfd}\nhandle_path={}\nhandle_ino={}\nhandle_dev={}",
        path.display(),
        std::os::unix::fs::MetadataExt::ino(&meta),
        std::os::unix::fs::MetadataExt::dev(&meta) as u32
    );
    for fd in [hfd, mfd, got, pidfd, target] {
        close(fd);
    }
    Ok(())
}

/// SECCOMP_GET_ACTION_AVAIL (2) of SECCOMP_RET_KILL_PROCESS, then with
/// flags 1, which that op refuses; delete_module(O_TRUNC|O_NONBLOCK) of a
/// module that does not exist.
fn seccomp_modules(e: &mut String) -> Result<()> {
    let action: u32 = 0x8000_0000;
    let a = &action as *const u32 as usize;
    ok("seccomp", sys(libc::SYS_seccomp, [2, 0, a, 0, 0, 0]))?;
    let bad = fails(sys(libc::SYS_seccomp, [2, 1, a, 0, 0, 0]));
    if bad != -i64::from(libc::EINVAL) {
        bail!("seccomp with flags 1: {bad}");
    }
    let m = c"prg_no_such_module";
    let dm = fails(sys(
        libc::SYS_delete_module,
        [
            m.as_ptr() as usize,
            (libc::O_NONBLOCK | libc::O_TRUNC) as usize,
            0,
            0,
            0,
            0,
        ],
    ));
    if dm != -i64::from(libc::ENOENT) {
        bail!("delete_module of a missing module: {dm}");
    }
    let _ = writeln!(e, "seccomp_bad_res={bad}\ndelete_module_res={dm}");
    Ok(())
}

pub(super) fn run(dir: &Path, e: &mut String) -> Result<()> {
    process_vm(e)?;
    fds(dir, e)?;
    seccomp_modules(e)
}
