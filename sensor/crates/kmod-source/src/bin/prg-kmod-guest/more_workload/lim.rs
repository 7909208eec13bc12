//! Resource limits, flock and getcwd (kmod/module/prg_lim.c): RLIMIT_NOFILE
//! read, set to itself and read through prlimit64 of our pid, prlimit64 of
//! an unknown resource, flock of a file under the directory, getcwd (and
//! getcwd into a too small buffer); fsconfig on a tmpfs context.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Result};

use super::{close, fails, ok, sys};
use crate::workload::cstr;

pub(super) fn run(dir: &Path, e: &mut String) -> Result<()> {
    let mut l = [0u64; 2];
    let mut old = [0u64; 2];
    let lp = l.as_mut_ptr() as usize;
    let op = old.as_mut_ptr() as usize;
    // RLIMIT_NOFILE is 7.
    ok("getrlimit", sys(libc::SYS_getrlimit, [7, lp, 0, 0, 0, 0]))?;
    ok("setrlimit", sys(libc::SYS_setrlimit, [7, lp, 0, 0, 0, 0]))?;
    // Our own pid, not 0: a libc getrlimit is a prlimit64(0, ...) too.
    let me = std::process::id() as usize;
    ok("prlimit64", sys(libc::SYS_prlimit64, [me, 7, 0, op, 0, 0]))?;
    let bad = fails(sys(libc::SYS_prlimit64, [me, 99, 0, op, 0, 0]));
    let path = dir.join("lock.txt");
    std::fs::write(&path, "lock\n")?;
    let p = cstr(&path)?;
    let fd = ok(
        "open lock.txt",
        sys(libc::SYS_open, [p.as_ptr() as usize, 0, 0, 0, 0, 0]),
    )?;
    let ex = (libc::LOCK_EX | libc::LOCK_NB) as usize;
    ok("flock", sys(libc::SYS_flock, [fd as usize, ex, 0, 0, 0, 0]))?;
    let un = libc::LOCK_UN as usize;
    ok(
        "flock LOCK_UN",
        sys(libc::SYS_flock, [fd as usize, un, 0, 0, 0, 0]),
    )?;
    close(fd);
    let mut buf = [0u8; 4096];
    let b = buf.as_mut_ptr() as usize;
    let gc = ok("getcwd", sys(libc::SYS_getcwd, [b, buf.len(), 0, 0, 0, 0]))?;
    let n = buf.iter().position(|&c| c == 0).unwrap_or(0);
    let cwd = String::from_utf8_lossy(&buf[..n]).into_owned();
    let gbad = fails(sys(libc::SYS_getcwd, [b, 1, 0, 0, 0, 0]));
    if gbad != -i64::from(libc::ERANGE) {
        bail!("getcwd into 1 byte: {gbad}");
    }
    let _ = writeln!(
        e,
        "nofile_cur={}\nnofile_max={}\nprlimit_bad_res={bad}\nflock_fd={fd}\n\
         getcwd_res={gc}\ncwd={cwd}",
        l[0] as i64, l[1] as i64
    );
    Ok(())
}

/// fsconfig (prg_lim.c) on a tmpfs context: a string, a flag, a binary
/// value under a key tmpfs does not know, then FSCONFIG_CMD_CREATE.
pub(super) fn fs_config(e: &mut String) -> Result<()> {
    // FSOPEN_CLOEXEC (1)
    let fd = ok(
        "fsopen tmpfs",
        sys(
            libc::SYS_fsopen,
            [c"tmpfs".as_ptr() as usize, 1, 0, 0, 0, 0],
        ),
    )?;
    let blob = *b"bin\0\x01";
    let calls: [(&str, usize, usize, usize, usize); 4] = [
        (
            "fsconfig_string",
            1,
            c"size".as_ptr() as usize,
            c"1m".as_ptr() as usize,
            0,
        ),
        ("fsconfig_flag", 0, c"ro".as_ptr() as usize, 0, 0),
        (
            "fsconfig_binary",
            2,
            c"prgbin".as_ptr() as usize,
            blob.as_ptr() as usize,
            5,
        ),
        ("fsconfig_create", 6, 0, 0, 0),
    ];
    let _ = writeln!(e, "fsopen_fd={fd}");
    for (k, cmd, key, val, aux) in calls {
        let r = fails(sys(
            libc::SYS_fsconfig,
            [fd as usize, cmd, key, val, aux, 0],
        ));
        let _ = writeln!(e, "{k}={r}");
    }
    close(fd);
    Ok(())
}
