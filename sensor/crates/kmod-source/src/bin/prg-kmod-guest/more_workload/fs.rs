//! Ownership, access, links, nodes, a tmpfs mount and the cwd.

use std::ffi::CStr;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;

use super::{close, ok, sys};
use crate::workload::cstr;

/// fchown of the still-open f (closed here), then the path-based calls.
pub(super) fn ownership(f: i64, inp: &CStr) -> Result<()> {
    let at_fdcwd = libc::AT_FDCWD as usize;
    ok(
        "fchown",
        sys(libc::SYS_fchown, [f as usize, 1002, 1002, 0, 0, 0]),
    )?;
    close(f);
    ok(
        "chown",
        sys(
            libc::SYS_chown,
            [inp.as_ptr() as usize, 1000, 1000, 0, 0, 0],
        ),
    )?;
    ok(
        "fchownat",
        sys(
            libc::SYS_fchownat,
            [at_fdcwd, inp.as_ptr() as usize, 1003, 1003, 0, 0],
        ),
    )?;
    ok(
        "access",
        sys(
            libc::SYS_access,
            [
                inp.as_ptr() as usize,
                (libc::R_OK | libc::W_OK) as usize,
                0,
                0,
                0,
                0,
            ],
        ),
    )?;
    Ok(())
}

/// Links, nodes, a tmpfs mount, cwd.
pub(super) fn links_nodes_mounts(dir: &Path, inp: &CStr, e: &mut String) -> Result<()> {
    let mnt = dir.join("mnt");
    std::fs::create_dir_all(&mnt)?;
    links_and_nodes(dir, inp)?;
    mount_and_cwd(dir, &mnt, e)
}

fn links_and_nodes(dir: &Path, inp: &CStr) -> Result<()> {
    let at_fdcwd = libc::AT_FDCWD as usize;
    let hard1 = cstr(&dir.join("hard1"))?;
    let hard2 = cstr(&dir.join("hard2"))?;
    let sym1 = cstr(&dir.join("sym1"))?;
    let sym2 = cstr(&dir.join("sym2"))?;
    let fifo1 = cstr(&dir.join("fifo1"))?;
    let fifo2 = cstr(&dir.join("fifo2"))?;
    ok(
        "link",
        sys(
            libc::SYS_link,
            [inp.as_ptr() as usize, hard1.as_ptr() as usize, 0, 0, 0, 0],
        ),
    )?;
    ok(
        "linkat",
        sys(
            libc::SYS_linkat,
            [
                at_fdcwd,
                inp.as_ptr() as usize,
                at_fdcwd,
                hard2.as_ptr() as usize,
                libc::AT_SYMLINK_FOLLOW as usize,
                0,
            ],
        ),
    )?;
    ok(
        "symlink",
        sys(
            libc::SYS_symlink,
            [inp.as_ptr() as usize, sym1.as_ptr() as usize, 0, 0, 0, 0],
        ),
    )?;
    ok(
        "symlinkat",
        sys(
            libc::SYS_symlinkat,
            [
                inp.as_ptr() as usize,
                at_fdcwd,
                sym2.as_ptr() as usize,
                0,
                0,
                0,
            ],
        ),
    )?;
    ok(
        "lchown",
        sys(
            libc::SYS_lchown,
            [sym1.as_ptr() as usize, 1001, 1001, 0, 0, 0],
        ),
    )?;
    ok(
        "mknod",
        sys(
            libc::SYS_mknod,
            [
                fifo1.as_ptr() as usize,
                (libc::S_IFIFO | 0o644) as usize,
                0,
                0,
                0,
                0,
            ],
        ),
    )?;
    ok(
        "mknodat",
        sys(
            libc::SYS_mknodat,
            [
                at_fdcwd,
                fifo2.as_ptr() as usize,
                (libc::S_IFIFO | 0o600) as usize,
                0,
                0,
                0,
            ],
        ),
    )?;
    Ok(())
}

fn mount_and_cwd(dir: &Path, mnt: &Path, e: &mut String) -> Result<()> {
    let mntc = cstr(mnt)?;
    let dirc = cstr(dir)?;
    let (none, tmpfs) = (c"none", c"tmpfs");
    ok(
        "mount",
        sys(
            libc::SYS_mount,
            [
                none.as_ptr() as usize,
                mntc.as_ptr() as usize,
                tmpfs.as_ptr() as usize,
                (libc::MS_NOSUID | libc::MS_NODEV) as usize,
                0,
                0,
            ],
        ),
    )?;
    ok(
        "umount2",
        sys(
            libc::SYS_umount2,
            [
                mntc.as_ptr() as usize,
                libc::MNT_DETACH as usize,
                0,
                0,
                0,
                0,
            ],
        ),
    )?;
    let cwd = std::env::current_dir()?;
    let dfd = ok(
        "open dir",
        sys(
            libc::SYS_open,
            [
                dirc.as_ptr() as usize,
                (libc::O_RDONLY | libc::O_DIRECTORY) as usize,
                0,
                0,
                0,
                0,
            ],
        ),
    )?;
    ok(
        "chdir",
        sys(libc::SYS_chdir, [dirc.as_ptr() as usize, 0, 0, 0, 0, 0]),
    )?;
    ok(
        "fchdir",
        sys(libc::SYS_fchdir, [dfd as usize, 0, 0, 0, 0, 0]),
    )?;
    close(dfd);
    std::env::set_current_dir(&cwd)?;
    let _ = writeln!(e, "dir_fd={dfd}\nmnt={}", mnt.display());
    Ok(())
}
