//! The workload's second part: one call (or a few) of each syscall whose
//! filler came after the first list (prg_io.c, prg_misc.c and prg_fs.c in the
//! module). Raw syscalls throughout, so libc never swaps one call for another
//! (pipe for pipe2, access for faccessat, ...). Writes key=value expectations.
//!
//! The calls are grouped by kind in the submodules; `run` keeps their order,
//! since fd numbers and the checker's expectations depend on it.

mod bounds;
mod fdc;
mod fs;
mod io;
mod lim;
mod moves;
mod proc;
mod sec;

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Result};

use crate::workload::{cstr, fork_child, wait_exit};

fn errno() -> std::io::Error {
    std::io::Error::last_os_error()
}

/// A syscall that must succeed; its result.
fn ok(what: &str, r: libc::c_long) -> Result<i64> {
    if r < 0 {
        bail!("{what}: {}", errno());
    }
    Ok(r)
}

/// The negative errno of a syscall expected to fail.
fn fails(r: libc::c_long) -> i64 {
    if r < 0 {
        -i64::from(errno().raw_os_error().unwrap_or(0))
    } else {
        r
    }
}

fn sys(nr: libc::c_long, a: [usize; 6]) -> libc::c_long {
    // SAFETY: every caller passes arguments that are valid for `nr` (live
    // buffers and C strings of this frame, plain integers otherwise).
    unsafe { libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]) }
}

/// An iovec over `len` bytes at `p` (readv writes through it).
fn iov(p: *const u8, len: usize) -> libc::iovec {
    libc::iovec {
        iov_base: p as *mut libc::c_void,
        iov_len: len,
    }
}

fn close(fd: i64) {
    sys(libc::SYS_close, [fd as usize, 0, 0, 0, 0, 0]);
}

/// Runs f in a forked child; its exit status must be 0.
fn in_child(what: &str, e: &mut String, f: impl FnOnce() -> i32) -> Result<i32> {
    let pid = fork_child(f)?;
    let st = wait_exit(pid)?;
    if st != 0 {
        bail!("{what} child failed: status {st:#x}");
    }
    let _ = writeln!(e, "{what}_child={pid}");
    Ok(pid)
}

pub fn run(dir: &Path, e: &mut String) -> Result<()> {
    let input = dir.join("input.txt");
    let inp = cstr(&input)?;
    proc::prctl_name(e)?;
    // The dup'd file stays open for fchown.
    let f = io::dups(&inp, e)?;
    fs::ownership(f, &inp)?;
    io::pipes(e)?;
    io::socketpair_msgs(e)?;
    io::udp(e)?;
    io::vectors(dir, e)?;
    io::memory(e)?;
    fs::links_nodes_mounts(dir, &inp, e)?;
    proc::signals()?;
    proc::refused(e)?;
    proc::children(dir, e)?;
    proc::ptrace_peek(e)?;
    bounds::faults_and_bounds(dir, e)?;
    sec::run(dir, e)?;
    fdc::run(e)?;
    fdc::io_uring(e);
    moves::run(dir, e)?;
    lim::run(dir, e)?;
    lim::fs_config(e)
}
