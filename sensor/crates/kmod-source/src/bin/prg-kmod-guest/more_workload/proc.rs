//! Process control: prctl names, signals, calls the guest refuses,
//! children for session/namespace/credential changes, and ptrace.

use std::ffi::CString;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Context, Result};

use super::{close, fails, in_child, ok, sys};
use crate::workload::{cstr, fork_child, wait_exit};

/// Peeked by the ptrace test through its tracee's copy of this page.
static PEEK_WORD: u64 = 0x7072_6567_7269_6e65;

/// prctl: the name busybox-style tools set after a re-exec.
pub(super) fn prctl_name(e: &mut String) -> Result<()> {
    let mut name = [0u8; 16];
    ok(
        "prctl(PR_GET_NAME)",
        sys(
            libc::SYS_prctl,
            [
                libc::PR_GET_NAME as usize,
                name.as_mut_ptr() as usize,
                0,
                0,
                0,
                0,
            ],
        ),
    )?;
    let comm = CString::from_vec_with_nul(
        name[..=name.iter().position(|&b| b == 0).unwrap_or(15)].to_vec(),
    )
    .context("comm")?;
    let renamed = c"prg-renamed";
    ok(
        "prctl(PR_SET_NAME)",
        sys(
            libc::SYS_prctl,
            [
                libc::PR_SET_NAME as usize,
                renamed.as_ptr() as usize,
                0,
                0,
                0,
                0,
            ],
        ),
    )?;
    let mut subreaper: libc::c_int = -1;
    ok(
        "prctl(PR_GET_CHILD_SUBREAPER)",
        sys(
            libc::SYS_prctl,
            [
                libc::PR_GET_CHILD_SUBREAPER as usize,
                &mut subreaper as *mut _ as usize,
                0,
                0,
                0,
                0,
            ],
        ),
    )?;
    ok(
        "prctl(PR_SET_NAME back)",
        sys(
            libc::SYS_prctl,
            [
                libc::PR_SET_NAME as usize,
                comm.as_ptr() as usize,
                0,
                0,
                0,
                0,
            ],
        ),
    )?;
    let _ = writeln!(e, "comm={}", comm.to_string_lossy());
    let _ = writeln!(e, "subreaper={subreaper}");
    Ok(())
}

/// Signals to ourselves (signal 0: permission check only).
pub(super) fn signals() -> Result<()> {
    let me = std::process::id() as usize;
    ok("kill", sys(libc::SYS_kill, [me, 0, 0, 0, 0, 0]))?;
    ok("tkill", sys(libc::SYS_tkill, [me, 0, 0, 0, 0, 0]))?;
    ok("tgkill", sys(libc::SYS_tgkill, [me, me, 0, 0, 0, 0]))?;
    Ok(())
}

/// Calls expected to fail: module loading, bpf; io_uring and
/// userfaultfd may or may not be allowed by the kernel's settings.
pub(super) fn refused(e: &mut String) -> Result<()> {
    let img = b"not-a-module\0\0\0\0";
    let uargs = c"prg_param=1";
    let r = fails(sys(
        libc::SYS_init_module,
        [
            img.as_ptr() as usize,
            img.len(),
            uargs.as_ptr() as usize,
            0,
            0,
            0,
        ],
    ));
    let _ = writeln!(e, "init_module_res={r}");
    let r = fails(sys(
        libc::SYS_finit_module,
        [usize::MAX, uargs.as_ptr() as usize, 0, 0, 0, 0],
    ));
    let _ = writeln!(e, "finit_module_res={r}");
    let r = fails(sys(libc::SYS_bpf, [0, 0, 0, 0, 0, 0]));
    let _ = writeln!(e, "bpf_res={r}");
    // struct io_uring_params (120 bytes), zeroed: the defaults.
    let mut params = [0u32; 30];
    let r = fails(sys(
        libc::SYS_io_uring_setup,
        [4, params.as_mut_ptr() as usize, 0, 0, 0, 0],
    ));
    if r >= 0 {
        close(r);
    }
    let _ = writeln!(e, "io_uring_res={r}");
    let r = fails(sys(
        libc::SYS_userfaultfd,
        [(libc::O_CLOEXEC | libc::O_NONBLOCK) as usize, 0, 0, 0, 0, 0],
    ));
    if r >= 0 {
        close(r);
    }
    let _ = writeln!(e, "userfaultfd_res={r}");
    Ok(())
}

/// Children for what must not change the workload itself.
pub(super) fn children(dir: &Path, e: &mut String) -> Result<()> {
    in_child("setsid", e, || {
        i32::from(sys(libc::SYS_setsid, [0; 6]) <= 0)
    })?;
    in_child("setpgid", e, || {
        i32::from(sys(libc::SYS_setpgid, [0; 6]) != 0)
    })?;
    in_child("ns", e, || {
        // Our UTS namespace, to go back to after unsharing it.
        let p = c"/proc/self/ns/uts";
        let fd = sys(
            libc::SYS_open,
            [p.as_ptr() as usize, libc::O_RDONLY as usize, 0, 0, 0, 0],
        );
        if fd < 0 {
            return 1;
        }
        if sys(
            libc::SYS_unshare,
            [libc::CLONE_NEWUTS as usize, 0, 0, 0, 0, 0],
        ) != 0
        {
            return 2;
        }
        i32::from(
            sys(
                libc::SYS_setns,
                [fd as usize, libc::CLONE_NEWUTS as usize, 0, 0, 0, 0],
            ) != 0,
        ) * 3
    })?;
    credentials(e)?;
    in_child("chroot", e, || {
        let d = match cstr(dir) {
            Ok(d) => d,
            Err(_) => return 2,
        };
        i32::from(sys(libc::SYS_chroot, [d.as_ptr() as usize, 0, 0, 0, 0, 0]) != 0)
    })?;
    Ok(())
}

/// capset and the set*id family, each in a child.
fn credentials(e: &mut String) -> Result<()> {
    in_child("capset", e, || {
        // _LINUX_CAPABILITY_VERSION_3: two 32-bit data words.
        let mut hdr = [0x2008_0522u32, 0];
        let mut data = [0u32; 6]; // {effective, permitted, inheritable} x 2
        if sys(
            libc::SYS_capget,
            [
                hdr.as_mut_ptr() as usize,
                data.as_mut_ptr() as usize,
                0,
                0,
                0,
                0,
            ],
        ) != 0
        {
            return 1;
        }
        // effective = CAP_CHOWN | CAP_KILL, inheritable = none.
        data[0] = 0x21;
        data[3] = 0;
        data[2] = 0;
        data[5] = 0;
        i32::from(
            sys(
                libc::SYS_capset,
                [
                    hdr.as_mut_ptr() as usize,
                    data.as_ptr() as usize,
                    0,
                    0,
                    0,
                    0,
                ],
            ) != 0,
        ) * 2
    })?;
    in_child("ids", e, || {
        let calls: [(libc::c_long, [usize; 3]); 4] = [
            (libc::SYS_setregid, [2000, 2000, 0]),
            (libc::SYS_setresgid, [2001, 2001, 2001]),
            (libc::SYS_setresuid, [4000, 4000, 4000]),
            (libc::SYS_setreuid, [4000, 4000, 0]),
        ];
        for (i, (nr, a)) in calls.iter().enumerate() {
            if sys(*nr, [a[0], a[1], a[2], 0, 0, 0]) != 0 {
                return i as i32 + 1;
            }
        }
        0
    })?;
    Ok(())
}

/// ptrace: a tracee that stops itself (raise: tgkill), PEEKDATA of a
/// known word, CONT.
pub(super) fn ptrace_peek(e: &mut String) -> Result<()> {
    let tracee = fork_child(|| {
        if sys(
            libc::SYS_ptrace,
            [libc::PTRACE_TRACEME as usize, 0, 0, 0, 0, 0],
        ) != 0
        {
            return 1;
        }
        let me = sys(libc::SYS_gettid, [0; 6]) as usize;
        sys(libc::SYS_tgkill, [me, me, libc::SIGSTOP as usize, 0, 0, 0]);
        0
    })?;
    let mut st = 0;
    // SAFETY: waiting for our own child.
    if unsafe { libc::waitpid(tracee, &mut st, 0) } != tracee || !libc::WIFSTOPPED(st) {
        bail!("tracee {tracee} did not stop: status {st:#x}");
    }
    let mut word = 0u64;
    ok(
        "ptrace(PEEKDATA)",
        sys(
            libc::SYS_ptrace,
            [
                libc::PTRACE_PEEKDATA as usize,
                tracee as usize,
                &PEEK_WORD as *const u64 as usize,
                &mut word as *mut u64 as usize,
                0,
                0,
            ],
        ),
    )?;
    ok(
        "ptrace(CONT)",
        sys(
            libc::SYS_ptrace,
            [libc::PTRACE_CONT as usize, tracee as usize, 0, 0, 0, 0],
        ),
    )?;
    let st = wait_exit(tracee)?;
    if word != PEEK_WORD || st != 0 {
        bail!("ptrace peeked {word:#x}, tracee status {st:#x}");
    }
    let _ = writeln!(e, "tracee={tracee}\npeek_word={PEEK_WORD}");
    Ok(())
}
