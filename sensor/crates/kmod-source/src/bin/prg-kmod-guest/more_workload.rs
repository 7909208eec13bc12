//! The workload's second part: one call (or a few) of each syscall whose
//! filler came after the first list (prg_io.c and prg_misc.c in the module).
//! Raw syscalls throughout, so libc never swaps one call for another (pipe
//! for pipe2, access for faccessat, ...). Writes key=value expectations.

use std::ffi::CString;
use std::fmt::Write as _;
use std::net::UdpSocket;
use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::workload::{cstr, fork_child, wait_exit};

/// Peeked by the ptrace test through its tracee's copy of this page.
static PEEK_WORD: u64 = 0x7072_6567_7269_6e65;

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
    let at_fdcwd = libc::AT_FDCWD as usize;

    // prctl: the name busybox-style tools set after a re-exec.
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

    // dup, dup2, dup3, fcntl on a file of the workload.
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

    // fchown, then the path-based ownership calls.
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

    // pipe and pipe2.
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

    // socketpair, sendmsg/recvmsg over it with two iovecs, shutdown.
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
    let iov = [
        libc::iovec {
            iov_base: a.as_ptr() as *mut _,
            iov_len: a.len(),
        },
        libc::iovec {
            iov_base: b.as_ptr() as *mut _,
            iov_len: b.len(),
        },
    ];
    // SAFETY: a zeroed msghdr is valid (no name, no control).
    let mut mh: libc::msghdr = unsafe { std::mem::zeroed() };
    mh.msg_iov = iov.as_ptr() as *mut _;
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
        libc::iovec {
            iov_base: r1.as_mut_ptr().cast(),
            iov_len: r1.len(),
        },
        libc::iovec {
            iov_base: r2.as_mut_ptr().cast(),
            iov_len: r2.len(),
        },
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

    // sendto/recvfrom between two unconnected UDP sockets.
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

    // writev, pwrite, pread, readv on a new file.
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
    let wiov = [
        libc::iovec {
            iov_base: w1.as_ptr() as *mut _,
            iov_len: w1.len(),
        },
        libc::iovec {
            iov_base: w2.as_ptr() as *mut _,
            iov_len: w2.len(),
        },
    ];
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
        libc::iovec {
            iov_base: q1.as_mut_ptr().cast(),
            iov_len: q1.len(),
        },
        libc::iovec {
            iov_base: q2.as_mut_ptr().cast(),
            iov_len: q2.len(),
        },
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

    // memfd_create, mmap, mprotect.
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

    // Links, nodes, a tmpfs mount, cwd.
    let hard1 = cstr(&dir.join("hard1"))?;
    let hard2 = cstr(&dir.join("hard2"))?;
    let sym1 = cstr(&dir.join("sym1"))?;
    let sym2 = cstr(&dir.join("sym2"))?;
    let fifo1 = cstr(&dir.join("fifo1"))?;
    let fifo2 = cstr(&dir.join("fifo2"))?;
    let mnt = dir.join("mnt");
    std::fs::create_dir_all(&mnt)?;
    let mntc = cstr(&mnt)?;
    let dirc = cstr(dir)?;
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

    // Signals to ourselves (signal 0: permission check only).
    let me = std::process::id() as usize;
    ok("kill", sys(libc::SYS_kill, [me, 0, 0, 0, 0, 0]))?;
    ok("tkill", sys(libc::SYS_tkill, [me, 0, 0, 0, 0, 0]))?;
    ok("tgkill", sys(libc::SYS_tgkill, [me, me, 0, 0, 0, 0]))?;

    // Calls expected to fail: module loading, bpf; io_uring and
    // userfaultfd may or may not be allowed by the kernel's settings.
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

    // Children for what must not change the workload itself.
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
    in_child("chroot", e, || {
        let d = match cstr(dir) {
            Ok(d) => d,
            Err(_) => return 2,
        };
        i32::from(sys(libc::SYS_chroot, [d.as_ptr() as usize, 0, 0, 0, 0, 0]) != 0)
    })?;

    // ptrace: a tracee that stops itself (raise: tgkill), PEEKDATA of a
    // known word, CONT.
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

    faults_and_bounds(dir, e)
}

/// Unmapped and kernel addresses where the fillers read user memory, and
/// more iovecs than the fillers gather: the calls fail (or are cut) and the
/// events must still come, with what the eBPF probe puts there.
fn faults_and_bounds(dir: &Path, e: &mut String) -> Result<()> {
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
    let iov: Vec<libc::iovec> = bytes
        .iter()
        .map(|b| libc::iovec {
            iov_base: b as *const u8 as *mut _,
            iov_len: 1,
        })
        .collect();
    ok(
        "writev of 40 iovecs",
        sys(
            libc::SYS_writev,
            [fd as usize, iov.as_ptr() as usize, iov.len(), 0, 0, 0],
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
