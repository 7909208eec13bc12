//! Expectations of the workload's second part (more_workload.rs): the exit
//! event of each call, with the parameters the eBPF probe gives it.

use std::collections::HashMap;

use anyhow::Result;
use peregrine_event::{EventRef, Param, SockTuple};
use peregrine_wire::raw;

use crate::check::{get, n, s, Pred, LO};

/// PPM_O_CLOEXEC, PPM_O_NONBLOCK, PPM_CL_CLONE_NEWUTS (ppm_flags.h).
const O_CLOEXEC: i64 = 0x1000;
const O_NONBLOCK: i64 = 0x40;
const CLONE_NEWUTS: i64 = 0x80;

fn raw_param<'a>(e: &EventRef<'a>, i: usize) -> &'a [u8] {
    e.param_raw(i).unwrap_or_default()
}

fn udp(e: &EventRef<'_>, i: usize, src: u16, dst: u16) -> bool {
    matches!(e.param(i), Some(Param::SockTuple(SockTuple::Inet { sip: LO, sport, dip: LO, dport }))
        if sport == src && dport == dst)
}

/// Adds the expectations; `add(description, predicate)`.
pub fn add(x: &HashMap<String, String>, add: &mut dyn FnMut(&'static str, Pred)) -> Result<()> {
    let pid: i64 = get(x, "pid")?;
    let dir = get::<String>(x, "dir")?;
    let p = |name: &str| format!("{dir}/{name}").into_bytes();
    let input = p("input.txt");
    let comm = get::<String>(x, "comm")?.into_bytes();
    let subreaper: i64 = get(x, "subreaper")?;
    let old: i64 = get(x, "dup_old")?;
    let dup_new: i64 = get(x, "dup_new")?;
    let dupfd: i64 = get(x, "fcntl_dupfd")?;
    let (pf1, pf2): (i64, i64) = (get(x, "pipe_fd1")?, get(x, "pipe_fd2")?);
    let (p2f1, p2f2): (i64, i64) = (get(x, "pipe2_fd1")?, get(x, "pipe2_fd2")?);
    let (sp1, sp2): (i64, i64) = (get(x, "sp_fd1")?, get(x, "sp_fd2")?);
    let (urx, utx): (u16, u16) = (get(x, "udp_rx_port")?, get(x, "udp_tx_port")?);
    let vfd: i64 = get(x, "vec_fd")?;
    let maddr: i64 = get(x, "mmap_addr")?;
    let mlen: i64 = get(x, "mmap_len")?;
    let dfd: i64 = get(x, "dir_fd")?;
    let mnt = get::<String>(x, "mnt")?.into_bytes();
    let init_res: i64 = get(x, "init_module_res")?;
    let finit_res: i64 = get(x, "finit_module_res")?;
    let bpf_res: i64 = get(x, "bpf_res")?;
    let uring_res: i64 = get(x, "io_uring_res")?;
    let uffd_res: i64 = get(x, "userfaultfd_res")?;
    let setsid: i64 = get(x, "setsid_child")?;
    let setpgid: i64 = get(x, "setpgid_child")?;
    let ns: i64 = get(x, "ns_child")?;
    let capset: i64 = get(x, "capset_child")?;
    let ids: i64 = get(x, "ids_child")?;
    let chroot: i64 = get(x, "chroot_child")?;
    let tracee: i64 = get(x, "tracee")?;
    let peek: u64 = get(x, "peek_word")?;

    let c = |x: u32| x as u16;
    let wl = move |e: &EventRef<'_>, code: u32| e.tid() as i64 == pid && e.code() == c(code);
    let by =
        move |e: &EventRef<'_>, tid: i64, code: u32| e.tid() as i64 == tid && e.code() == c(code);

    add(
        "prctl PR_SET_NAME",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_PRCTL_X)
                && n(e, 0) == 0
                && n(e, 1) == 15
                && s(e, 2) == b"prg-renamed"
                && n(e, 3) == 0
        }),
    );
    add(
        "prctl PR_GET_NAME",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_PRCTL_X) && n(e, 0) == 0 && n(e, 1) == 16 && s(e, 2) == comm
        }),
    );
    add(
        "prctl PR_GET_CHILD_SUBREAPER",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_PRCTL_X)
                && n(e, 0) == 0
                && n(e, 1) == 37
                && s(e, 2).is_empty()
                && n(e, 3) == subreaper
        }),
    );
    add(
        "dup",
        Box::new(move |e| wl(e, raw::PPME_SYSCALL_DUP_1_X) && n(e, 0) == dup_new && n(e, 1) == old),
    );
    add(
        "dup2 to 100",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_DUP2_X) && n(e, 0) == 100 && n(e, 1) == old && n(e, 2) == 100
        }),
    );
    add(
        "dup3 to 101, O_CLOEXEC",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_DUP3_X)
                && n(e, 0) == 101
                && n(e, 1) == old
                && n(e, 2) == 101
                && n(e, 3) == O_CLOEXEC
        }),
    );
    add(
        "fcntl F_DUPFD_CLOEXEC 200",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_FCNTL_X)
                && n(e, 0) == dupfd
                && n(e, 1) == old
                && n(e, 2) == 26
                && n(e, 3) == 200
        }),
    );
    add(
        "fcntl F_SETFD FD_CLOEXEC",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_FCNTL_X)
                && n(e, 0) == 0
                && n(e, 1) == old
                && n(e, 2) == 3
                && n(e, 3) == 1
        }),
    );
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
    add(
        "pipe: both fds and the inode",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_PIPE_X)
                && n(e, 0) == 0
                && n(e, 1) == pf1
                && n(e, 2) == pf2
                && n(e, 3) > 0
        }),
    );
    add(
        "pipe2 O_CLOEXEC|O_NONBLOCK",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_PIPE2_X)
                && n(e, 0) == 0
                && n(e, 1) == p2f1
                && n(e, 2) == p2f2
                && n(e, 3) > 0
                && n(e, 4) == O_CLOEXEC | O_NONBLOCK
        }),
    );
    add(
        "socketpair AF_UNIX: fds and sockets",
        Box::new(move |e| {
            wl(e, raw::PPME_SOCKET_SOCKETPAIR_X)
                && n(e, 0) == 0
                && n(e, 1) == sp1
                && n(e, 2) == sp2
                && n(e, 3) != 0
                && n(e, 4) != 0
                && n(e, 5) == 1
                && n(e, 6) == 1
                && n(e, 7) == 0
        }),
    );
    add(
        "sendmsg of two iovecs",
        Box::new(move |e| {
            wl(e, raw::PPME_SOCKET_SENDMSG_X)
                && n(e, 0) == 7
                && s(e, 1) == b"abcdefg"
                && n(e, 2) == sp1
                && n(e, 3) == 7
                && matches!(e.param(4), Some(Param::SockTuple(SockTuple::Unix { .. })))
        }),
    );
    add(
        "recvmsg into two iovecs",
        Box::new(move |e| {
            wl(e, raw::PPME_SOCKET_RECVMSG_X)
                && n(e, 0) == 7
                && n(e, 1) == 7
                && s(e, 2) == b"abcdefg"
                && matches!(e.param(3), Some(Param::SockTuple(SockTuple::Unix { .. })))
                && raw_param(e, 4).is_empty()
                && n(e, 5) == sp2
        }),
    );
    add(
        "shutdown SHUT_WR",
        Box::new(move |e| {
            wl(e, raw::PPME_SOCKET_SHUTDOWN_X) && n(e, 0) == 0 && n(e, 1) == sp1 && n(e, 2) == 1
        }),
    );
    add(
        "sendto on an unconnected UDP socket",
        Box::new(move |e| {
            wl(e, raw::PPME_SOCKET_SENDTO_X)
                && n(e, 0) == 8
                && s(e, 1) == b"udp-ping"
                && n(e, 3) == 8
                && udp(e, 4, utx, urx)
        }),
    );
    add(
        "recvfrom on an unconnected UDP socket",
        Box::new(move |e| {
            wl(e, raw::PPME_SOCKET_RECVFROM_X)
                && n(e, 0) == 8
                && s(e, 1) == b"udp-ping"
                && udp(e, 2, utx, urx)
        }),
    );
    add(
        "writev of two iovecs",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_WRITEV_X)
                && n(e, 0) == 8
                && s(e, 1) == b"vec-data"
                && n(e, 2) == vfd
                && n(e, 3) == 8
        }),
    );
    add(
        "pwrite64 at 8",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_PWRITE_X)
                && n(e, 0) == 2
                && s(e, 1) == b"PW"
                && n(e, 2) == vfd
                && n(e, 3) == 2
                && n(e, 4) == 8
        }),
    );
    add(
        "pread64 at 0",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_PREAD_X)
                && n(e, 0) == 4
                && s(e, 1) == b"vec-"
                && n(e, 2) == vfd
                && n(e, 3) == 4
                && n(e, 4) == 0
        }),
    );
    add(
        "readv into two iovecs",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_READV_X)
                && n(e, 0) == 10
                && n(e, 1) == 10
                && s(e, 2) == b"vec-dataPW"
                && n(e, 3) == vfd
        }),
    );
    add(
        "memfd_create MFD_CLOEXEC|MFD_ALLOW_SEALING",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_MEMFD_CREATE_X)
                && n(e, 0) >= 0
                && s(e, 1) == b"prg-memfd"
                && n(e, 2) == 3
        }),
    );
    add(
        "mmap anonymous private rw",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_MMAP_X)
                && n(e, 0) == maddr
                && n(e, 1) > 0
                && n(e, 4) == 0
                && n(e, 5) == mlen
                && n(e, 6) == 3
                && n(e, 7) == 0x2 | 0x8
                && n(e, 8) == -1
                && n(e, 9) == 0
        }),
    );
    add(
        "mprotect PROT_READ",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_MPROTECT_X)
                && n(e, 0) == 0
                && n(e, 1) == maddr
                && n(e, 2) == mlen
                && n(e, 3) == 1
        }),
    );
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
    add(
        "kill(self, 0)",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_KILL_X) && n(e, 0) == 0 && n(e, 1) == pid && n(e, 2) == 0
        }),
    );
    add(
        "tkill(self, 0)",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_TKILL_X) && n(e, 0) == 0 && n(e, 1) == pid && n(e, 2) == 0
        }),
    );
    add(
        "tgkill(self, self, 0)",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_TGKILL_X)
                && n(e, 0) == 0
                && n(e, 1) == pid
                && n(e, 2) == pid
                && n(e, 3) == 0
        }),
    );
    add(
        "init_module of a non-module",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_INIT_MODULE_X)
                && n(e, 0) == init_res
                && s(e, 1) == b"not-a-module\0\0\0\0"
                && n(e, 2) == 16
                && s(e, 3) == b"prg_param=1"
        }),
    );
    add(
        "finit_module of fd -1",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_FINIT_MODULE_X)
                && n(e, 0) == finit_res
                && n(e, 1) == -1
                && s(e, 2) == b"prg_param=1"
                && n(e, 3) == 0
        }),
    );
    add(
        "bpf cmd 0",
        Box::new(move |e| wl(e, raw::PPME_SYSCALL_BPF_2_X) && n(e, 0) == bpf_res && n(e, 1) == 0),
    );
    add(
        "io_uring_setup of 4 entries",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_IO_URING_SETUP_X)
                && n(e, 0) == uring_res
                && n(e, 1) == 4
                && (uring_res < 0 || (n(e, 2) == 4 && n(e, 3) == 8))
        }),
    );
    add(
        "userfaultfd O_CLOEXEC|O_NONBLOCK",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_USERFAULTFD_X) && n(e, 0) == uffd_res && n(e, 1) == 0x80800
        }),
    );
    add(
        "setsid in a child",
        Box::new(move |e| by(e, setsid, raw::PPME_SYSCALL_SETSID_X) && n(e, 0) == setsid),
    );
    add(
        "setpgid(0, 0) in a child",
        Box::new(move |e| {
            by(e, setpgid, raw::PPME_SYSCALL_SETPGID_X)
                && n(e, 0) == 0
                && n(e, 1) == 0
                && n(e, 2) == 0
        }),
    );
    add(
        "unshare CLONE_NEWUTS",
        Box::new(move |e| {
            by(e, ns, raw::PPME_SYSCALL_UNSHARE_X) && n(e, 0) == 0 && n(e, 1) == CLONE_NEWUTS
        }),
    );
    add(
        "setns CLONE_NEWUTS",
        Box::new(move |e| {
            by(e, ns, raw::PPME_SYSCALL_SETNS_X)
                && n(e, 0) == 0
                && n(e, 1) >= 0
                && n(e, 2) == CLONE_NEWUTS
        }),
    );
    add(
        "capset: effective CAP_CHOWN|CAP_KILL",
        Box::new(move |e| {
            by(e, capset, raw::PPME_SYSCALL_CAPSET_X)
                && n(e, 0) == 0
                && n(e, 1) == 0
                && n(e, 2) != 0
                && n(e, 3) == 0x21
        }),
    );
    add(
        "setregid 2000",
        Box::new(move |e| {
            by(e, ids, raw::PPME_SYSCALL_SETREGID_X)
                && n(e, 0) == 0
                && n(e, 1) == 2000
                && n(e, 2) == 2000
        }),
    );
    add(
        "setresgid 2001",
        Box::new(move |e| {
            by(e, ids, raw::PPME_SYSCALL_SETRESGID_X)
                && n(e, 0) == 0
                && (1..4).all(|i| n(e, i) == 2001)
        }),
    );
    add(
        "setresuid 4000",
        Box::new(move |e| {
            by(e, ids, raw::PPME_SYSCALL_SETRESUID_X)
                && n(e, 0) == 0
                && (1..4).all(|i| n(e, i) == 4000)
        }),
    );
    add(
        "setreuid 4000",
        Box::new(move |e| {
            by(e, ids, raw::PPME_SYSCALL_SETREUID_X)
                && n(e, 0) == 0
                && n(e, 1) == 4000
                && n(e, 2) == 4000
        }),
    );
    {
        let d = dir.clone().into_bytes();
        add(
            "chroot in a child",
            Box::new(move |e| {
                by(e, chroot, raw::PPME_SYSCALL_CHROOT_X) && n(e, 0) == 0 && s(e, 1) == d
            }),
        );
    }
    add(
        "ptrace TRACEME",
        Box::new(move |e| {
            by(e, tracee, raw::PPME_SYSCALL_PTRACE_X) && n(e, 0) == 0 && n(e, 3) == 1
        }),
    );
    add(
        "tgkill SIGSTOP by the tracee",
        Box::new(move |e| {
            by(e, tracee, raw::PPME_SYSCALL_TGKILL_X)
                && n(e, 0) == 0
                && n(e, 1) == tracee
                && n(e, 3) == 19
        }),
    );
    add(
        "ptrace PEEKDATA of a known word",
        Box::new(move |e| {
            let mut data = vec![0u8];
            data.extend_from_slice(&peek.to_le_bytes());
            wl(e, raw::PPME_SYSCALL_PTRACE_X)
                && n(e, 0) == 0
                && raw_param(e, 1).first() == Some(&0)
                && raw_param(e, 2) == data.as_slice()
                && n(e, 3) == 3
                && n(e, 4) == tracee
        }),
    );
    add(
        "ptrace CONT, signal 0",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_PTRACE_X)
                && n(e, 0) == 0
                && raw_param(e, 2) == [1, 0]
                && n(e, 3) == 8
                && n(e, 4) == tracee
        }),
    );
    faults_and_bounds(x, add)
}

/// Calls with unreadable user memory and more iovecs than gathered.
fn faults_and_bounds(
    x: &HashMap<String, String>,
    add: &mut dyn FnMut(&'static str, Pred),
) -> Result<()> {
    let pid: i64 = get(x, "pid")?;
    let fd: i64 = get(x, "bounds_fd")?;
    let sp: i64 = get(x, "bad_sp_fd1")?;
    let init_res: i64 = get(x, "bad_init_module_res")?;
    let c = |x: u32| x as u16;
    let wl = move |e: &EventRef<'_>, code: u32| e.tid() as i64 == pid && e.code() == c(code);
    const EFAULT: i64 = -14;

    add(
        "prctl PR_SET_NAME of an unmapped name",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_PRCTL_X)
                && n(e, 0) == EFAULT
                && n(e, 1) == 15
                && raw_param(e, 2).is_empty()
        }),
    );
    add(
        "pipe into a kernel address",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_PIPE_X)
                && n(e, 0) == EFAULT
                && n(e, 1) == -1
                && n(e, 2) == -1
                && n(e, 3) == 0
        }),
    );
    add(
        "init_module of an unmapped image",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_INIT_MODULE_X)
                && n(e, 0) == init_res
                && raw_param(e, 1).is_empty()
                && n(e, 2) == 16
                && raw_param(e, 3).is_empty()
        }),
    );
    add(
        "readv of a kernel iovec address",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_READV_X)
                && n(e, 0) == EFAULT
                && n(e, 1) == 0
                && raw_param(e, 2).is_empty()
                && n(e, 3) == fd
        }),
    );
    add(
        "writev of an unmapped iovec",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_WRITEV_X)
                && n(e, 0) == EFAULT
                && raw_param(e, 1).is_empty()
                && n(e, 2) == fd
                && n(e, 3) == 0
        }),
    );
    add(
        "writev of 40 iovecs: the first 32 gathered",
        Box::new(move |e| {
            let first32: Vec<u8> = (b'A'..).take(32).collect();
            wl(e, raw::PPME_SYSCALL_WRITEV_X)
                && n(e, 0) == 40
                && s(e, 1) == first32.as_slice()
                && n(e, 2) == fd
                && n(e, 3) == 32
        }),
    );
    add(
        "sendmsg of an unmapped msghdr",
        Box::new(move |e| {
            wl(e, raw::PPME_SOCKET_SENDMSG_X)
                && n(e, 0) == EFAULT
                && raw_param(e, 1).is_empty()
                && n(e, 2) == sp
                && raw_param(e, 3).is_empty()
                && raw_param(e, 4).is_empty()
        }),
    );
    Ok(())
}
