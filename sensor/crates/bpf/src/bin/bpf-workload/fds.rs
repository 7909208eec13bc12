//! The workload's fd creators (fillers_fdc.h), data movers (fillers_move.h)
//! and limits and fsconfig (fillers_lim.h); split from bpf-workload.rs for
//! its size.

use super::c;

/// The calls of fillers_fdc.h: each single-fd creator once, then
/// close_range marking the lowest of them close-on-exec and closing them all.
pub fn fd_creators(kv: &mut dyn FnMut(&str, String)) {
    let neg = |r: libc::c_long| {
        if r < 0 {
            -i64::from(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
        } else {
            r
        }
    };
    // sigset_t with SIGUSR1 (10) and SIGUSR2 (12): bits 9 and 11.
    let set: u64 = (1 << 9) | (1 << 11);
    let sp = &set as *const u64;
    let (cloexec, nonblock) = (libc::O_CLOEXEC, libc::O_NONBLOCK);
    // SAFETY: raw syscalls with scalar arguments and a live sigset.
    let fds = unsafe {
        [
            ("eventfd", libc::syscall(libc::SYS_eventfd, 7)),
            (
                "eventfd2",
                libc::syscall(libc::SYS_eventfd2, 9, cloexec | nonblock | 1),
            ),
            ("signalfd", libc::syscall(libc::SYS_signalfd, -1, sp, 8)),
            (
                "signalfd4",
                libc::syscall(libc::SYS_signalfd4, -1, sp, 8, cloexec),
            ),
            (
                "timerfd_create",
                libc::syscall(libc::SYS_timerfd_create, 1, cloexec | nonblock),
            ),
            ("inotify_init", libc::syscall(libc::SYS_inotify_init)),
            (
                "inotify_init1",
                libc::syscall(libc::SYS_inotify_init1, cloexec | nonblock),
            ),
            ("epoll_create", libc::syscall(libc::SYS_epoll_create, 5)),
            (
                "epoll_create1",
                libc::syscall(libc::SYS_epoll_create1, cloexec),
            ),
        ]
    };
    for (k, r) in fds {
        kv(&format!("{k}_fd"), neg(r).to_string());
    }
    let lo = fds.iter().map(|f| f.1).min().unwrap_or(-1);
    let hi = fds.iter().map(|f| f.1).max().unwrap_or(-1);
    kv("fdc_lo", lo.to_string());
    kv("fdc_hi", hi.to_string());
    // SAFETY: close_range on the fds just made.
    unsafe {
        let r = libc::syscall(libc::SYS_close_range, lo, lo, 4 /* CLOEXEC */);
        kv("close_range_cloexec_res", neg(r).to_string());
        let r = libc::syscall(libc::SYS_close_range, lo, hi, 0);
        kv("close_range_res", neg(r).to_string());
        let r = libc::syscall(libc::SYS_close_range, hi, lo, 0);
        kv("close_range_bad_res", neg(r).to_string());
    }
}

/// The calls of fillers_move.h on files under DIR: preadv/pwritev with a
/// position, sendfile with an offset, splice into a pipe, copy_file_range.
pub fn data_movers(dir: &str, kv: &mut dyn FnMut(&str, String)) {
    let neg = |r: libc::c_long| {
        if r < 0 {
            -i64::from(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
        } else {
            r
        }
    };
    let _ = std::fs::write(format!("{dir}/move.txt"), "0123456789abcdefghij");
    let src = c(&format!("{dir}/move.txt"));
    let dst = c(&format!("{dir}/moved.txt"));
    // SAFETY: raw syscalls on live buffers, iovecs, offsets and C strings of this frame.
    unsafe {
        let inf = libc::open(src.as_ptr(), libc::O_RDONLY);
        let outf = libc::open(dst.as_ptr(), libc::O_RDWR | libc::O_CREAT, 0o600);
        kv("move_in", inf.to_string());
        kv("move_out", outf.to_string());
        let (mut a, mut b) = ([0u8; 4], [0u8; 6]);
        let rv = [
            libc::iovec {
                iov_base: a.as_mut_ptr().cast(),
                iov_len: 4,
            },
            libc::iovec {
                iov_base: b.as_mut_ptr().cast(),
                iov_len: 6,
            },
        ];
        let r = libc::syscall(libc::SYS_preadv, inf, rv.as_ptr(), 2, 5, 0);
        kv("preadv_res", neg(r).to_string());
        let (h, w) = (b"hello ", b"world");
        let wv = [
            libc::iovec {
                iov_base: h.as_ptr() as *mut _,
                iov_len: 6,
            },
            libc::iovec {
                iov_base: w.as_ptr() as *mut _,
                iov_len: 5,
            },
        ];
        let r = libc::syscall(libc::SYS_pwritev, outf, wv.as_ptr(), 2, 3, 0);
        kv("pwritev_res", neg(r).to_string());
        let mut off: i64 = 2;
        let r = libc::syscall(libc::SYS_sendfile, outf, inf, &mut off as *mut i64, 4);
        kv("sendfile_res", neg(r).to_string());
        kv("sendfile_off", off.to_string());
        let mut p = [0i32; 2];
        libc::syscall(libc::SYS_pipe, p.as_mut_ptr()); // pipe2 is checked elsewhere
        kv("splice_pipe", p[1].to_string());
        let mut off_in: i64 = 0;
        let r = libc::syscall(
            libc::SYS_splice,
            inf,
            &mut off_in as *mut i64,
            p[1],
            std::ptr::null_mut::<i64>(),
            8,
            1 | 4, // SPLICE_F_MOVE | SPLICE_F_MORE
        );
        kv("splice_res", neg(r).to_string());
        let (mut oi, mut oo): (i64, i64) = (10, 0);
        let r = libc::syscall(
            libc::SYS_copy_file_range,
            inf,
            &mut oi as *mut i64,
            outf,
            &mut oo as *mut i64,
            5,
            0,
        );
        kv("cfr_res", neg(r).to_string());
        kv("cfr_offin", oi.to_string());
        kv("cfr_offout", oo.to_string());
        for fd in [p[0], p[1], outf, inf] {
            libc::close(fd);
        }
    }
}

/// The calls of fillers_lim.h: RLIMIT_NOFILE read, set to itself and read
/// through prlimit64 of our pid, prlimit64 of an unknown resource, flock of a file
/// under DIR, getcwd (and getcwd into a too small buffer).
pub fn limits(dir: &str, kv: &mut dyn FnMut(&str, String)) {
    let neg = |r: libc::c_long| {
        if r < 0 {
            -i64::from(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
        } else {
            r
        }
    };
    let mut l = [0u64; 2];
    let mut old = [0u64; 2];
    let _ = std::fs::write(format!("{dir}/lock.txt"), "lock\n");
    let lock = c(&format!("{dir}/lock.txt"));
    let mut buf = [0u8; 4096];
    // SAFETY: raw syscalls on live rlimit buffers, C strings and a byte buffer of this frame.
    unsafe {
        let r = libc::syscall(libc::SYS_getrlimit, 7, l.as_mut_ptr());
        kv("getrlimit_res", neg(r).to_string());
        kv("nofile_cur", (l[0] as i64).to_string());
        kv("nofile_max", (l[1] as i64).to_string());
        let r = libc::syscall(libc::SYS_setrlimit, 7, l.as_ptr());
        kv("setrlimit_res", neg(r).to_string());
        let null = std::ptr::null::<u64>();
        // Our own pid, not 0: glibc's getrlimit is a prlimit64(0, ...) too.
        let me = libc::getpid();
        let r = libc::syscall(libc::SYS_prlimit64, me, 7, null, old.as_mut_ptr());
        kv("prlimit_res", neg(r).to_string());
        let r = libc::syscall(libc::SYS_prlimit64, me, 99, null, old.as_mut_ptr());
        kv("prlimit_bad_res", neg(r).to_string());
        let fd = libc::open(lock.as_ptr(), libc::O_RDONLY);
        kv("flock_fd", fd.to_string());
        let r = libc::syscall(libc::SYS_flock, fd, libc::LOCK_EX | libc::LOCK_NB);
        kv("flock_res", neg(r).to_string());
        let r = libc::syscall(libc::SYS_flock, fd, libc::LOCK_UN);
        kv("flock_un_res", neg(r).to_string());
        libc::close(fd);
        let r = libc::syscall(libc::SYS_getcwd, buf.as_mut_ptr(), buf.len());
        kv("getcwd_res", neg(r).to_string());
        // Not std::env::current_dir: that is one more getcwd.
        let n = buf.iter().position(|&b| b == 0).unwrap_or(0);
        kv("cwd", String::from_utf8_lossy(&buf[..n]).into_owned());
        let r = libc::syscall(libc::SYS_getcwd, buf.as_mut_ptr(), 1);
        kv("getcwd_bad_res", neg(r).to_string());
    }
}

/// The calls of io_uring_enter/io_uring_register (fillers_fdc.h): on a ring
/// of 8 entries, or on fd -1 where io_uring is not allowed.
pub fn io_uring(kv: &mut dyn FnMut(&str, String)) {
    let neg = |r: libc::c_long| {
        if r < 0 {
            -i64::from(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
        } else {
            r
        }
    };
    // struct io_uring_params (120 bytes), zeroed: the defaults.
    let mut params = [0u32; 30];
    // sigset_t with SIGUSR1 (10): bit 9.
    let set: u64 = 1 << 9;
    // SAFETY: raw syscalls on live buffers of this frame.
    unsafe {
        let ring = libc::syscall(libc::SYS_io_uring_setup, 8, params.as_mut_ptr());
        let ring = if ring < 0 { -1 } else { ring };
        kv("ring_fd", ring.to_string());
        // IORING_ENTER_GETEVENTS (1), nothing to submit or wait for.
        let r = libc::syscall(
            libc::SYS_io_uring_enter,
            ring,
            0,
            0,
            1,
            &set as *const u64,
            8,
        );
        kv("uring_enter_res", neg(r).to_string());
        // IORING_REGISTER_PROBE (8) into a zeroed struct io_uring_probe of 4
        // ops (16 + 4 * 8 bytes); then an opcode no kernel has.
        let mut probe = [0u64; 6];
        let pp = probe.as_mut_ptr();
        kv("uring_probe_ptr", (pp as usize).to_string());
        let r = libc::syscall(libc::SYS_io_uring_register, ring, 8, pp, 4);
        kv("uring_register_res", neg(r).to_string());
        let r = libc::syscall(libc::SYS_io_uring_register, ring, 9999, 0, 0);
        kv("uring_register_bad_res", neg(r).to_string());
        if ring >= 0 {
            libc::close(ring as i32);
        }
    }
}

/// fsconfig (fillers_lim.h) on a tmpfs context: a string, a flag, a binary
/// value under a key tmpfs does not know, then FSCONFIG_CMD_CREATE.
pub fn fs_config(kv: &mut dyn FnMut(&str, String)) {
    let neg = |r: libc::c_long| {
        if r < 0 {
            -i64::from(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
        } else {
            r
        }
    };
    let (tmpfs, size, m1, ro, bin) = (c("tmpfs"), c("size"), c("1m"), c("ro"), c("prgbin"));
    let blob = *b"bin\0\x01";
    let null = std::ptr::null::<u8>();
    // SAFETY: raw syscalls on C strings and a byte array of this frame.
    unsafe {
        // FSOPEN_CLOEXEC (1)
        let fd = libc::syscall(libc::SYS_fsopen, tmpfs.as_ptr(), 1);
        kv("fsopen_fd", neg(fd).to_string());
        let calls: [(&str, i32, *const i8, *const u8, i32); 4] = [
            ("fsconfig_string", 1, size.as_ptr(), m1.as_ptr().cast(), 0),
            ("fsconfig_flag", 0, ro.as_ptr(), null, 0),
            ("fsconfig_binary", 2, bin.as_ptr(), blob.as_ptr(), 5),
            ("fsconfig_create", 6, std::ptr::null(), null, 0),
        ];
        for (k, cmd, key, val, aux) in calls {
            let r = libc::syscall(libc::SYS_fsconfig, fd, cmd, key, val, aux);
            kv(k, neg(r).to_string());
        }
        if fd >= 0 {
            libc::close(fd as i32);
        }
    }
}
