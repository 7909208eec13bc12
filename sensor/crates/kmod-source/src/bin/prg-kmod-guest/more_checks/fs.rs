//! Expectations of the file-system calls: ownership, access, links,
//! nodes, the tmpfs mount and the cwd.

use std::collections::HashMap;

use anyhow::Result;
use peregrine_wire::raw;

use super::of;
use crate::check::{get, n, s, Pred};

/// fchown of the dup'd file, chown, fchownat, access.
pub(super) fn ownership(
    x: &HashMap<String, String>,
    add: &mut dyn FnMut(&'static str, Pred),
) -> Result<()> {
    let pid: i64 = get(x, "pid")?;
    let dir = get::<String>(x, "dir")?;
    let p = |name: &str| format!("{dir}/{name}").into_bytes();
    let input = p("input.txt");
    let old: i64 = get(x, "dup_old")?;
    let wl = of(pid);
    add(
        "fchown 1002",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_FCHOWN_X)
                && n(e, 0) == 0
                && n(e, 1) == old
                && n(e, 2) == 1002
                && n(e, 3) == 1002
        }),
    );
    {
        let i = input.clone();
        add(
            "chown 1000",
            Box::new(move |e| {
                wl(e, raw::PPME_SYSCALL_CHOWN_X)
                    && n(e, 0) == 0
                    && s(e, 1) == i
                    && n(e, 2) == 1000
                    && n(e, 3) == 1000
            }),
        );
    }
    {
        let i = input.clone();
        add(
            "fchownat 1003",
            Box::new(move |e| {
                wl(e, raw::PPME_SYSCALL_FCHOWNAT_X)
                    && n(e, 0) == 0
                    && n(e, 1) == -100
                    && s(e, 2) == i
                    && n(e, 3) == 1003
                    && n(e, 4) == 1003
                    && n(e, 5) == 0
            }),
        );
    }
    {
        let i = input.clone();
        add(
            "access R_OK|W_OK",
            Box::new(move |e| {
                wl(e, raw::PPME_SYSCALL_ACCESS_X) && n(e, 0) == 0 && s(e, 1) == i && n(e, 2) == 6
            }),
        );
    }
    Ok(())
}

/// Links, nodes, mount/umount2, chdir/fchdir.
pub(super) fn links_and_mounts(
    x: &HashMap<String, String>,
    add: &mut dyn FnMut(&'static str, Pred),
) -> Result<()> {
    let pid: i64 = get(x, "pid")?;
    let dir = get::<String>(x, "dir")?;
    let p = |name: &str| format!("{dir}/{name}").into_bytes();
    let input = p("input.txt");
    let dfd: i64 = get(x, "dir_fd")?;
    let mnt = get::<String>(x, "mnt")?.into_bytes();
    let wl = of(pid);
    {
        let (i, h) = (input.clone(), p("hard1"));
        add(
            "link",
            Box::new(move |e| {
                wl(e, raw::PPME_SYSCALL_LINK_2_X) && n(e, 0) == 0 && s(e, 1) == i && s(e, 2) == h
            }),
        );
    }
    {
        let (i, h) = (input.clone(), p("hard2"));
        add(
            "linkat AT_SYMLINK_FOLLOW",
            Box::new(move |e| {
                wl(e, raw::PPME_SYSCALL_LINKAT_2_X)
                    && n(e, 0) == 0
                    && n(e, 1) == -100
                    && s(e, 2) == i
                    && n(e, 3) == -100
                    && s(e, 4) == h
                    && n(e, 5) == 0x400
            }),
        );
    }
    {
        let (i, l) = (input.clone(), p("sym1"));
        add(
            "symlink",
            Box::new(move |e| {
                wl(e, raw::PPME_SYSCALL_SYMLINK_X) && n(e, 0) == 0 && s(e, 1) == i && s(e, 2) == l
            }),
        );
    }
    {
        let (i, l) = (input.clone(), p("sym2"));
        add(
            "symlinkat",
            Box::new(move |e| {
                wl(e, raw::PPME_SYSCALL_SYMLINKAT_X)
                    && n(e, 0) == 0
                    && s(e, 1) == i
                    && n(e, 2) == -100
                    && s(e, 3) == l
            }),
        );
    }
    {
        let l = p("sym1");
        add(
            "lchown 1001",
            Box::new(move |e| {
                wl(e, raw::PPME_SYSCALL_LCHOWN_X)
                    && n(e, 0) == 0
                    && s(e, 1) == l
                    && n(e, 2) == 1001
                    && n(e, 3) == 1001
            }),
        );
    }
    {
        let f = p("fifo1");
        add(
            "mknod S_IFIFO 0644",
            Box::new(move |e| {
                wl(e, raw::PPME_SYSCALL_MKNOD_X)
                    && n(e, 0) == 0
                    && s(e, 1) == f
                    && n(e, 2) == 0o10644
                    && n(e, 3) == 0
            }),
        );
    }
    {
        let f = p("fifo2");
        add(
            "mknodat S_IFIFO 0600",
            Box::new(move |e| {
                wl(e, raw::PPME_SYSCALL_MKNODAT_X)
                    && n(e, 0) == 0
                    && n(e, 1) == -100
                    && s(e, 2) == f
                    && n(e, 3) == 0o10600
                    && n(e, 4) == 0
            }),
        );
    }
    {
        let m = mnt.clone();
        add(
            "mount tmpfs MS_NOSUID|MS_NODEV",
            Box::new(move |e| {
                wl(e, raw::PPME_SYSCALL_MOUNT_X)
                    && n(e, 0) == 0
                    && s(e, 1) == b"none"
                    && s(e, 2) == m
                    && s(e, 3) == b"tmpfs"
                    && n(e, 4) == 6
            }),
        );
    }
    add(
        "umount2 MNT_DETACH",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_UMOUNT2_X) && n(e, 0) == 0 && s(e, 1) == mnt && n(e, 2) == 2
        }),
    );
    {
        let d = dir.clone().into_bytes();
        add(
            "chdir",
            Box::new(move |e| wl(e, raw::PPME_SYSCALL_CHDIR_X) && n(e, 0) == 0 && s(e, 1) == d),
        );
    }
    add(
        "fchdir",
        Box::new(move |e| wl(e, raw::PPME_SYSCALL_FCHDIR_X) && n(e, 0) == 0 && n(e, 1) == dfd),
    );
    Ok(())
}
