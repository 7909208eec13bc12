//! Expectations of resource limits, flock, getcwd and fsconfig
//! (more_workload/lim.rs), parameter by parameter.

use std::collections::HashMap;

use anyhow::Result;
use peregrine_wire::raw;

use super::of;
use crate::check::{get, n, s, Pred};

/// An fsconfig expectation: (description, cmd, result key, key,
/// value_bytebuf, value_charbuf, aux).
type FsconfigWant = (
    &'static str,
    i64,
    &'static str,
    &'static [u8],
    &'static [u8],
    &'static [u8],
    i64,
);

pub(super) fn add(
    x: &HashMap<String, String>,
    add: &mut dyn FnMut(&'static str, Pred),
) -> Result<()> {
    let pid: i64 = get(x, "pid")?;
    let wl = of(pid);
    let (cur, max): (i64, i64) = (get(x, "nofile_cur")?, get(x, "nofile_max")?);
    add(
        "getrlimit RLIMIT_NOFILE read back",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_GETRLIMIT_X)
                && (n(e, 0), n(e, 1), n(e, 2), n(e, 3)) == (0, cur, max, 7)
        }),
    );
    add(
        "setrlimit RLIMIT_NOFILE",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_SETRLIMIT_X)
                && (n(e, 0), n(e, 1), n(e, 2), n(e, 3)) == (0, cur, max, 7)
        }),
    );
    add(
        "prlimit64: no new limits, old read back",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_PRLIMIT_X)
                && (0..7).map(|i| n(e, i)).eq([0, 0, 0, cur, max, pid, 7])
        }),
    );
    let bad: i64 = get(x, "prlimit_bad_res")?;
    add(
        "prlimit64 of an unknown resource",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_PRLIMIT_X)
                && (0..7).map(|i| n(e, i)).eq([bad, 0, 0, 0, 0, pid, 255])
        }),
    );
    let fd: i64 = get(x, "flock_fd")?;
    add(
        "flock LOCK_EX|LOCK_NB",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_FLOCK_X) && (n(e, 0), n(e, 1), n(e, 2)) == (0, fd, 6)
        }),
    );
    add(
        "flock LOCK_UN",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_FLOCK_X) && (n(e, 0), n(e, 1), n(e, 2)) == (0, fd, 8)
        }),
    );
    let gc: i64 = get(x, "getcwd_res")?;
    let cwd = get::<String>(x, "cwd")?.into_bytes();
    add(
        "getcwd",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_GETCWD_X) && n(e, 0) == gc && s(e, 1) == cwd.as_slice()
        }),
    );
    add(
        "getcwd ERANGE: no path",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_GETCWD_X) && n(e, 0) == -34 && s(e, 1).is_empty()
        }),
    );
    let fd: i64 = get(x, "fsopen_fd")?;
    let want: [FsconfigWant; 4] = [
        (
            "fsconfig SET_STRING size",
            1,
            "fsconfig_string",
            b"size",
            b"",
            b"1m",
            0,
        ),
        (
            "fsconfig SET_FLAG ro",
            0,
            "fsconfig_flag",
            b"ro",
            b"",
            b"",
            0,
        ),
        (
            "fsconfig SET_BINARY of an unknown key",
            2,
            "fsconfig_binary",
            b"prgbin",
            b"bin\0\x01",
            b"",
            5,
        ),
        (
            "fsconfig CMD_CREATE",
            6,
            "fsconfig_create",
            b"",
            b"",
            b"",
            0,
        ),
    ];
    for (what, cmd, res, key, bytes, chars, aux) in want {
        let res: i64 = get(x, res)?;
        add(
            what,
            Box::new(move |e| {
                wl(e, raw::PPME_SYSCALL_FSCONFIG_X)
                    && (n(e, 0), n(e, 1), n(e, 2), n(e, 6)) == (res, fd, cmd, aux)
                    && (s(e, 3), s(e, 4), s(e, 5)) == (key, bytes, chars)
            }),
        );
    }
    Ok(())
}
