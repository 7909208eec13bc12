//! The workload's fd creators (fillers_fdc.h) and data movers
//! (fillers_move.h); split from bpf-workload.rs for its size.

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
