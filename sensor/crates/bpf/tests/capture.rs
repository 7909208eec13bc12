//! Real capture on this host: load the probe, run `bpf-workload`, and check
//! every expected event byte for byte against what the workload saw.
//! Needs root (CAP_BPF + CAP_PERFMON) and a kernel with BTF; skips otherwise.

use peregrine_bpf::AttachMode;

mod common;
use common::*;
#[path = "capture/fdc.rs"]
mod fdc;
#[path = "capture/fsconfig.rs"]
mod fsconfig;
#[path = "capture/lim.rs"]
mod lim;
#[path = "capture/moves.rs"]
mod moves;

#[test]
fn captures_workload_events_exactly_tp_btf() {
    check_workload(AttachMode::TpBtf);
}

#[test]
fn captures_workload_events_exactly_fexit() {
    check_workload(AttachMode::Fexit);
}

#[test]
fn captures_workload_events_exactly_raw_tp() {
    check_workload(AttachMode::RawTp);
}

fn check_workload(mode: AttachMode) {
    if let Some(why) = skip_reason() {
        eprintln!("SKIP capture test ({mode:?}): {why}");
        return;
    }
    let run = run_workload(mode);
    let w = run.fact("pid");
    let dir = run.facts["dir"].clone();
    let created = format!("{dir}/created.txt");
    use peregrine_wire::raw as c;
    let code = |v: u32| v as u16;

    // exec of cat: from sched_process_exec, res 0, all ids.
    let cat = run.fact("cat_pid");
    let ex = run.one(code(c::PPME_SYSCALL_EXECVE_19_X), cat, |e| {
        int(e, "res") == 0
    });
    assert_eq!(ex.nparams(), 31);
    assert_eq!(raw(&ex, "exe"), b"cat\0");
    assert_eq!(
        raw(&ex, "args"),
        cstr(&format!("{dir}/input.txt")).as_slice()
    );
    assert_eq!(
        (int(&ex, "tid"), int(&ex, "pid"), int(&ex, "ptid")),
        (cat, cat, w)
    );
    assert_eq!(raw(&ex, "cwd"), b"");
    assert_eq!(raw(&ex, "comm"), b"cat\0");
    assert_eq!(int(&ex, "uid"), 0);
    assert_eq!(int(&ex, "gid"), 0);
    let cat_path = std::fs::canonicalize("/usr/bin/cat").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        raw(&ex, "trusted_exepath"),
        cstr(&cat_path.display().to_string()).as_slice()
    );
    assert!(raw(&ex, "filename").ends_with(b"/cat\0"));
    let meta = std::fs::metadata(&cat_path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        int(&ex, "exe_ino") as u64,
        std::os::unix::fs::MetadataExt::ino(&meta)
    );
    assert!(raw(&ex, "cgroups").starts_with(b"cpuset=/"));
    assert!(raw(&ex, "env").windows(5).any(|w| w == b"PATH="));

    // open(2) with O_CREAT: enter and exit events.
    let fd = run.fact("open_fd");
    let oe = run.one(code(c::PPME_SYSCALL_OPEN_E), w, |e| {
        raw(e, "name") == cstr(&created)
    });
    assert_eq!(
        int(&oe, "flags"),
        0x2 | 0x4 | 0x100,
        "O_WRONLY|O_CREAT|O_TRUNC"
    );
    assert_eq!(int(&oe, "mode"), 0o640);
    let ox = run.one(code(c::PPME_SYSCALL_OPEN_X), w, |e| {
        raw(e, "name") == cstr(&created)
    });
    assert_eq!(int(&ox, "fd"), fd);
    assert_eq!(
        int(&ox, "flags"),
        0x2 | 0x4 | 0x100 | 0x4000,
        "…|O_F_CREATED"
    );
    assert_eq!(int(&ox, "mode"), 0o640);
    assert_eq!(int(&ox, "ino"), run.fact("created_ino"));
    assert_ne!(int(&ox, "dev"), 0);
    let mut args = String::new();
    peregrine_event::render::render_args(&ox, &mut args);
    assert!(
        args.contains("O_WRONLY|O_CREAT|O_TRUNC|O_F_CREATED"),
        "{args}"
    );

    let wr = run.one(code(c::PPME_SYSCALL_WRITE_X), w, |e| {
        int(e, "fd") == fd && int(e, "size") == 1
    });
    assert_eq!(
        (int(&wr, "res"), raw(&wr, "data"), int(&wr, "size")),
        (1, &b"x"[..], 1)
    );
    let cl = run.find(code(c::PPME_SYSCALL_CLOSE_X), w);
    assert!(cl.iter().any(|e| int(e, "fd") == fd && int(e, "res") == 0));

    // openat(2) + read(2)
    let fd2 = run.fact("openat_fd");
    let ae = run.one(code(c::PPME_SYSCALL_OPENAT_2_E), w, |e| {
        raw(e, "name") == cstr(&created)
    });
    assert_eq!(
        (int(&ae, "dirfd"), int(&ae, "flags"), int(&ae, "mode")),
        (-100, 0x1001, 0)
    );
    let ax = run.one(code(c::PPME_SYSCALL_OPENAT_2_X), w, |e| {
        raw(e, "name") == cstr(&created)
    });
    assert_eq!(
        (int(&ax, "fd"), int(&ax, "dirfd"), int(&ax, "flags")),
        (fd2, -100, 0x1001)
    );
    assert_eq!(int(&ax, "ino"), run.fact("created_ino"));
    let rd = run.one(code(c::PPME_SYSCALL_READ_X), w, |e| {
        int(e, "fd") == fd2 && int(e, "size") == 1
    });
    assert_eq!(
        (int(&rd, "res"), raw(&rd, "data"), int(&rd, "size")),
        (1, &b"x"[..], 1)
    );

    // sockets: 127.0.0.1 listener, connect, accept4
    let (lfd, cfd, afd) = (
        run.fact("listen_fd"),
        run.fact("client_fd"),
        run.fact("accept_fd"),
    );
    let port = (run.fact("port") as u16).to_le_bytes();
    let cport = (run.fact("client_port") as u16).to_le_bytes();
    let so = run.one(code(c::PPME_SOCKET_SOCKET_X), w, |e| {
        int(e, "fd") == lfd && int(e, "type") == 1
    });
    assert_eq!(
        (
            int(&so, "domain"),
            int(&so, "type"),
            int(&so, "proto"),
            int(&so, "flags")
        ),
        (2, 1, 0, 0)
    );
    let so2 = run.one(code(c::PPME_SOCKET_SOCKET_X), w, |e| int(e, "fd") == cfd);
    assert_eq!(
        (int(&so2, "type"), int(&so2, "flags")),
        (1 | 0x80000, 0x1000)
    );
    let bi = run.first(code(c::PPME_SOCKET_BIND_X), w, |e| {
        raw(e, "addr") == [2, 127, 0, 0, 1, 0, 0] && int(e, "fd") == lfd
    });
    assert_eq!((int(&bi, "res"), int(&bi, "fd")), (0, lfd));
    assert_eq!(raw(&bi, "addr"), &[2, 127, 0, 0, 1, 0, 0]);
    let li = run.one(code(c::PPME_SOCKET_LISTEN_X), w, |_| true);
    assert_eq!(
        (int(&li, "res"), int(&li, "fd"), int(&li, "backlog")),
        (0, lfd, 16)
    );
    let sockaddr = [2, 127, 0, 0, 1, port[0], port[1]];
    let ce = run.one(code(c::PPME_SOCKET_CONNECT_E), w, |_| true);
    assert_eq!((int(&ce, "fd"), raw(&ce, "addr")), (cfd, &sockaddr[..]));
    let cx = run.one(code(c::PPME_SOCKET_CONNECT_X), w, |_| true);
    assert_eq!(
        (int(&cx, "res"), int(&cx, "fd"), raw(&cx, "addr")),
        (0, cfd, &sockaddr[..])
    );
    let out_tuple = [
        2, 127, 0, 0, 1, cport[0], cport[1], 127, 0, 0, 1, port[0], port[1],
    ];
    assert_eq!(raw(&cx, "tuple"), &out_tuple);
    let ac = run.one(code(c::PPME_SOCKET_ACCEPT4_6_X), w, |_| true);
    assert_eq!(int(&ac, "fd"), afd);
    assert_eq!(
        raw(&ac, "tuple"),
        &out_tuple,
        "inbound: src = peer, dst = local"
    );
    assert_eq!((int(&ac, "queuemax"), int(&ac, "flags")), (16, 0x1000));

    // rename, mkdir, chmod, unlink
    let renamed = format!("{dir}/renamed.txt");
    let rn = run.one(code(c::PPME_SYSCALL_RENAME_X), w, |_| true);
    assert_eq!(
        (int(&rn, "res"), raw(&rn, "oldpath"), raw(&rn, "newpath")),
        (0, &cstr(&created)[..], &cstr(&renamed)[..])
    );
    let mk = run.one(code(c::PPME_SYSCALL_MKDIR_2_X), w, |_| true);
    assert_eq!(
        (int(&mk, "res"), raw(&mk, "path"), int(&mk, "mode")),
        (0, &cstr(&format!("{dir}/sub"))[..], 0o750)
    );
    let ch = run.one(code(c::PPME_SYSCALL_CHMOD_X), w, |_| true);
    assert_eq!(
        (int(&ch, "res"), raw(&ch, "filename"), int(&ch, "mode")),
        (0, &cstr(&renamed)[..], 0o4755)
    );
    let ul = run.one(code(c::PPME_SYSCALL_UNLINK_2_X), w, |_| true);
    assert_eq!(
        (int(&ul, "res"), raw(&ul, "path")),
        (0, &cstr(&renamed)[..])
    );

    // pipe2, vectored I/O, dup2
    let (pr, pw) = (run.fact("pipe_r"), run.fact("pipe_w"));
    let pp = run.one(code(c::PPME_SYSCALL_PIPE2_X), w, |_| true);
    assert_eq!(
        (int(&pp, "res"), int(&pp, "fd1"), int(&pp, "fd2")),
        (0, pr, pw)
    );
    assert_eq!(int(&pp, "flags"), 0x1000 | 0x40, "O_CLOEXEC|O_NONBLOCK");
    assert_ne!(int(&pp, "ino"), 0);
    let wv = run.one(code(c::PPME_SYSCALL_WRITEV_X), w, |e| int(e, "fd") == pw);
    assert_eq!(
        (int(&wv, "res"), raw(&wv, "data"), int(&wv, "size")),
        (5, &b"abcde"[..], 5)
    );
    let rv = run.one(code(c::PPME_SYSCALL_READV_X), w, |e| int(e, "fd") == pr);
    assert_eq!(
        (int(&rv, "res"), int(&rv, "size"), raw(&rv, "data")),
        (5, 5, &b"abcde"[..])
    );
    let d2 = run.one(code(c::PPME_SYSCALL_DUP2_X), w, |e| int(e, "newfd") == 100);
    assert_eq!(
        (int(&d2, "res"), int(&d2, "oldfd"), int(&d2, "newfd")),
        (100, pr, 100)
    );

    // UDP sendto/recvfrom to ourselves: tuples from the socket plus the user address
    let (ufd, up) = (
        run.fact("udp_fd"),
        (run.fact("udp_port") as u16).to_le_bytes(),
    );
    let udp_tuple = [2, 127, 0, 0, 1, up[0], up[1], 127, 0, 0, 1, up[0], up[1]];
    let st = run.one(code(c::PPME_SOCKET_SENDTO_X), w, |e| int(e, "fd") == ufd);
    assert_eq!(
        (int(&st, "res"), raw(&st, "data"), int(&st, "size")),
        (4, &b"ping"[..], 4)
    );
    assert_eq!(raw(&st, "tuple"), &udp_tuple);
    let rf = run.one(code(c::PPME_SOCKET_RECVFROM_X), w, |e| int(e, "fd") == ufd);
    assert_eq!(
        (int(&rf, "res"), raw(&rf, "data"), int(&rf, "size")),
        (4, &b"ping"[..], 16)
    );

    // mknodat (fifo), symlinkat, fchownat flag quirk, access, prctl
    let fifo = format!("{dir}/fifo");
    let mn = run.one(code(c::PPME_SYSCALL_MKNODAT_X), w, |_| true);
    assert_eq!(
        (int(&mn, "res"), int(&mn, "dirfd"), raw(&mn, "path")),
        (0, -100, &cstr(&fifo)[..])
    );
    assert_eq!((int(&mn, "mode"), int(&mn, "dev")), (0x1000 | 0o600, 0));
    let sl = run.one(code(c::PPME_SYSCALL_SYMLINKAT_X), w, |_| true);
    assert_eq!(
        (int(&sl, "res"), raw(&sl, "target"), int(&sl, "linkdirfd")),
        (0, &cstr(&fifo)[..], -100)
    );
    let fc = run.one(code(c::PPME_SYSCALL_FCHOWNAT_X), w, |_| true);
    assert_eq!(
        (
            int(&fc, "res"),
            int(&fc, "uid"),
            int(&fc, "gid"),
            int(&fc, "flags")
        ),
        (0, 1, 2, 0),
        "NOFOLLOW dropped"
    );
    let acc = run.one(code(c::PPME_SYSCALL_ACCESS_X), w, |e| {
        raw(e, "name") == cstr(&fifo)
    });
    assert_eq!(
        (int(&acc, "res"), raw(&acc, "name"), int(&acc, "mode")),
        (0, &cstr(&fifo)[..], 4 | 2)
    );
    let pc = run.one(code(c::PPME_SYSCALL_PRCTL_X), w, |e| int(e, "option") == 15);
    assert_eq!(
        (int(&pc, "res"), raw(&pc, "arg2_str"), int(&pc, "arg2_int")),
        (0, &b"prgwork\0"[..], 0)
    );

    // fork (glibc: clone) parent and child copies, setuid in the child, procexit
    let kid = run.fact("child_pid");
    // ptid is the parent *thread* (the test thread that spawned the workload).
    // SAFETY: gettid has no side effects.
    let me = unsafe { libc::gettid() } as i64;
    let cp = run.one(code(c::PPME_SYSCALL_CLONE_20_X), w, |e| {
        int(e, "res") == kid
    });
    assert_eq!(
        (int(&cp, "tid"), int(&cp, "pid"), int(&cp, "ptid")),
        (w, w, me)
    );
    assert_eq!(
        int(&cp, "flags"),
        0x800000 | 0x1000000,
        "CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID"
    );
    assert_eq!(
        raw(&cp, "comm"),
        b"prgwork\0",
        "PR_SET_NAME renamed the workload"
    );
    assert_eq!((int(&cp, "vtid"), int(&cp, "vpid")), (w, w));
    let cc = run.one(code(c::PPME_SYSCALL_CLONE_20_X), kid, |e| {
        int(e, "res") == 0
    });
    assert_eq!(
        (int(&cc, "tid"), int(&cc, "pid"), int(&cc, "ptid")),
        (kid, kid, w)
    );
    assert_eq!((int(&cc, "uid"), int(&cc, "gid")), (0, 0));
    let su = run.one(code(c::PPME_SYSCALL_SETUID_X), kid, |_| true);
    assert_eq!((int(&su, "res"), int(&su, "uid")), (0, 65534));
    let px = run.one(code(c::PPME_PROCEXIT_1_E), kid, |_| true);
    assert_eq!(
        (
            int(&px, "status"),
            int(&px, "ret"),
            int(&px, "sig"),
            int(&px, "core")
        ),
        (3 << 8, 3, 0, 0)
    );
    assert_eq!(run.fact("child_status"), 3 << 8);
    check_security_calls(&run, w);
    fdc::check_fd_creators(&run, w);
    fdc::check_io_uring(&run, w);
    moves::check_data_movers(&run, w);
    lim::check_limits(&run, w);
    fsconfig::check_fsconfig(&run, w);
}

/// The events of fillers_sec.h, parameter by parameter.
fn check_security_calls(run: &Run, w: i64) {
    use peregrine_wire::raw as c;
    let code = |v: u32| v as u16;
    let handle = run.facts.get("handle_path").cloned().unwrap_or_default();

    let rv = run.one(code(c::PPME_SYSCALL_PROCESS_VM_READV_X), w, |_| true);
    assert_eq!(rv.nparams(), 3);
    assert_eq!(run.fact("pvm_readv_res"), 12);
    assert_eq!(
        (int(&rv, "res"), int(&rv, "pid"), raw(&rv, "data")),
        (12, w, &b"secret-bytes"[..]),
        "data: the local iovecs, gathered"
    );
    let wv = run.one(code(c::PPME_SYSCALL_PROCESS_VM_WRITEV_X), w, |_| true);
    assert_eq!(run.fact("pvm_writev_res"), 100);
    let sent: Vec<u8> = (0..80u8).map(|i| b'A' + i % 26).collect();
    assert_eq!(
        (int(&wv, "res"), int(&wv, "pid"), raw(&wv, "data")),
        (100, w, &sent[..]),
        "data: the local iovecs, cut at the snaplen (80)"
    );

    let pidfd = run.fact("pidfd");
    assert!(pidfd >= 0, "pidfd_open failed: {pidfd}");
    let po = run.one(code(c::PPME_SYSCALL_PIDFD_OPEN_X), w, |_| true);
    assert_eq!(
        (int(&po, "fd"), int(&po, "pid"), int(&po, "flags")),
        (pidfd, w, 1),
        "PIDFD_NONBLOCK"
    );
    let got = run.fact("pidfd_getfd_res");
    assert!(got >= 0, "pidfd_getfd failed: {got}");
    let pg = run.one(code(c::PPME_SYSCALL_PIDFD_GETFD_X), w, |_| true);
    assert_eq!(
        (
            int(&pg, "fd"),
            int(&pg, "pid_fd"),
            int(&pg, "target_fd"),
            int(&pg, "flags")
        ),
        (got, pidfd, run.fact("getfd_target"), 0)
    );

    // -EOPNOTSUPP: neither the test's directory nor /dev/shm takes file
    // handles on this machine; the other calls are still checked.
    let to_handle = run.fact("name_to_handle_res");
    if to_handle == -95 {
        eprintln!("open_by_handle_at not checked: no filesystem here takes file handles");
    } else {
        assert_eq!(to_handle, 0, "name_to_handle_at");
        let hfd = run.fact("handle_fd");
        assert!(hfd >= 0, "open_by_handle_at failed: {hfd}");
        let oh = run.one(code(c::PPME_SYSCALL_OPEN_BY_HANDLE_AT_X), w, |_| true);
        assert_eq!(oh.nparams(), 6);
        assert_eq!(
            (int(&oh, "fd"), int(&oh, "mountfd"), int(&oh, "flags")),
            (hfd, run.fact("handle_mountfd"), 0x1 | 0x1000),
            "O_RDONLY|O_CLOEXEC"
        );
        assert_eq!(raw(&oh, "path"), cstr(&handle).as_slice());
        assert_eq!(
            (int(&oh, "dev"), int(&oh, "ino")),
            (run.fact("handle_dev"), run.fact("handle_ino"))
        );
        print_args(&oh);
    }

    let sc = run.one(code(c::PPME_SYSCALL_SECCOMP_X), w, |e| int(e, "res") == 0);
    assert_eq!((int(&sc, "op"), int(&sc, "flags")), (2, 0));
    let bad = run.fact("seccomp_bad_res");
    assert_eq!(bad, -22);
    let sb = run.one(code(c::PPME_SYSCALL_SECCOMP_X), w, |e| int(e, "res") != 0);
    assert_eq!(
        (int(&sb, "res"), int(&sb, "op"), int(&sb, "flags")),
        (bad, 2, 1)
    );

    // ENOENT where modules exist; ENOSYS on kernels without them (this host).
    let dm_res = run.fact("delete_module_res");
    assert!(dm_res == -2 || dm_res == -38, "delete_module: {dm_res}");
    let dm = run.one(code(c::PPME_SYSCALL_DELETE_MODULE_X), w, |_| true);
    assert_eq!(
        (int(&dm, "res"), raw(&dm, "name"), int(&dm, "flags")),
        (dm_res, &b"prg_no_such_module\0"[..], 1 | 2),
        "O_TRUNC|O_NONBLOCK"
    );
    for e in [&rv, &wv, &po, &pg, &sc, &sb, &dm] {
        print_args(e);
    }
}

/// The event as sysdig's evt.args shows it, for the test log.
fn print_args(e: &peregrine_event::EventRef<'_>) {
    let mut args = String::new();
    peregrine_event::render::render_args(e, &mut args);
    eprintln!("{} {args}", e.type_name());
}
