//! Test helper for the capture tests (not a user tool): performs a fixed
//! sequence of syscalls under a directory and prints what the kernel
//! returned (`key=value` lines), so tests can match the captured events.
//!
//! Usage: bpf-workload DIR

use std::ffi::CString;
use std::io::Write;

#[path = "bpf-workload/fds.rs"]
mod fds;
use fds::{data_movers, fd_creators, fs_config, io_uring, limits};

fn c(s: &str) -> CString {
    CString::new(s).unwrap_or_default()
}

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: bpf-workload DIR");
        std::process::exit(2);
    };
    let mut out = String::new();
    let mut kv = |k: &str, v: String| out.push_str(&format!("{k}={v}\n"));
    kv("pid", std::process::id().to_string());

    // exec cat of a file
    let input = format!("{dir}/input.txt");
    let _ = std::fs::write(&input, "hello\n");
    match std::process::Command::new("cat")
        .arg(&input)
        .stdout(std::process::Stdio::null())
        .spawn()
    {
        Ok(mut ch) => {
            kv("cat_pid", ch.id().to_string());
            let _ = ch.wait();
        }
        Err(e) => kv("cat_error", e.to_string()),
    }

    // open(2) and openat(2) with O_CREAT
    let created = c(&format!("{dir}/created.txt"));
    // SAFETY: plain syscalls on valid NUL-terminated paths.
    unsafe {
        let fd = libc::syscall(
            libc::SYS_open,
            created.as_ptr(),
            libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC,
            0o640,
        );
        kv("open_fd", fd.to_string());
        let one = b"x";
        let w = libc::write(fd as i32, one.as_ptr().cast(), 1);
        kv("write_res", w.to_string());
        libc::close(fd as i32);
        let fd2 = libc::openat(
            libc::AT_FDCWD,
            created.as_ptr(),
            libc::O_RDONLY | libc::O_CLOEXEC,
        );
        kv("openat_fd", fd2.to_string());
        let mut buf = [0u8; 4];
        let r = libc::read(fd2, buf.as_mut_ptr().cast(), 1);
        kv("read_res", r.to_string());
        libc::close(fd2);
        let mut st: libc::stat = std::mem::zeroed();
        libc::stat(created.as_ptr(), &mut st);
        kv("created_ino", st.st_ino.to_string());
    }

    // TCP over 127.0.0.1: listen, connect, accept
    // SAFETY: socket syscalls with properly sized sockaddr_in values.
    unsafe {
        let ls = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        let mut sa: libc::sockaddr_in = std::mem::zeroed();
        sa.sin_family = libc::AF_INET as u16;
        sa.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
        let salen = std::mem::size_of::<libc::sockaddr_in>() as u32;
        libc::bind(ls, (&sa as *const libc::sockaddr_in).cast(), salen);
        libc::listen(ls, 16);
        let mut bound: libc::sockaddr_in = std::mem::zeroed();
        let mut blen = salen;
        libc::getsockname(ls, (&mut bound as *mut libc::sockaddr_in).cast(), &mut blen);
        let port = u16::from_be(bound.sin_port);
        kv("listen_fd", ls.to_string());
        kv("port", port.to_string());
        let cs = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        kv("client_fd", cs.to_string());
        let cr = libc::connect(cs, (&bound as *const libc::sockaddr_in).cast(), salen);
        kv("connect_res", cr.to_string());
        let mut local: libc::sockaddr_in = std::mem::zeroed();
        let mut llen = salen;
        libc::getsockname(cs, (&mut local as *mut libc::sockaddr_in).cast(), &mut llen);
        kv("client_port", u16::from_be(local.sin_port).to_string());
        let af = libc::accept4(
            ls,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            libc::SOCK_CLOEXEC,
        );
        kv("accept_fd", af.to_string());
        libc::close(af);
        libc::close(cs);
        libc::close(ls);
    }

    // rename, unlink, mkdir, chmod
    let renamed = c(&format!("{dir}/renamed.txt"));
    let sub = c(&format!("{dir}/sub"));
    // SAFETY: path syscalls on valid C strings.
    unsafe {
        kv(
            "rename_res",
            libc::syscall(libc::SYS_rename, created.as_ptr(), renamed.as_ptr()).to_string(),
        );
        kv(
            "mkdir_res",
            libc::syscall(libc::SYS_mkdir, sub.as_ptr(), 0o750).to_string(),
        );
        kv(
            "chmod_res",
            libc::syscall(libc::SYS_chmod, renamed.as_ptr(), 0o4755).to_string(),
        );
        kv(
            "unlink_res",
            libc::syscall(libc::SYS_unlink, renamed.as_ptr()).to_string(),
        );
    }

    // pipes, dup2, vectored I/O, UDP, links, nodes, ownership, prctl
    // SAFETY: syscalls on valid, properly sized buffers and C strings.
    unsafe {
        let mut p = [-1i32; 2];
        kv(
            "pipe2_res",
            libc::pipe2(p.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK).to_string(),
        );
        kv("pipe_r", p[0].to_string());
        kv("pipe_w", p[1].to_string());
        let a = b"ab";
        let c3 = b"cde";
        let iov = [
            libc::iovec {
                iov_base: a.as_ptr() as *mut _,
                iov_len: 2,
            },
            libc::iovec {
                iov_base: c3.as_ptr() as *mut _,
                iov_len: 3,
            },
        ];
        kv(
            "writev_res",
            libc::writev(p[1], iov.as_ptr(), 2).to_string(),
        );
        let mut r1 = [0u8; 1];
        let mut r2 = [0u8; 8];
        let riov = [
            libc::iovec {
                iov_base: r1.as_mut_ptr().cast(),
                iov_len: 1,
            },
            libc::iovec {
                iov_base: r2.as_mut_ptr().cast(),
                iov_len: 8,
            },
        ];
        kv("readv_res", libc::readv(p[0], riov.as_ptr(), 2).to_string());
        kv("dup2_res", libc::dup2(p[0], 100).to_string());
        libc::close(100);
        libc::close(p[0]);
        libc::close(p[1]);

        let us = libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0);
        let mut sa: libc::sockaddr_in = std::mem::zeroed();
        sa.sin_family = libc::AF_INET as u16;
        sa.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
        let salen = std::mem::size_of::<libc::sockaddr_in>() as u32;
        libc::bind(us, (&sa as *const libc::sockaddr_in).cast(), salen);
        let mut bound: libc::sockaddr_in = std::mem::zeroed();
        let mut blen = salen;
        libc::getsockname(us, (&mut bound as *mut libc::sockaddr_in).cast(), &mut blen);
        kv("udp_fd", us.to_string());
        kv("udp_port", u16::from_be(bound.sin_port).to_string());
        let msg = b"ping";
        let sres = libc::sendto(
            us,
            msg.as_ptr().cast(),
            4,
            0,
            (&bound as *const libc::sockaddr_in).cast(),
            salen,
        );
        kv("sendto_res", sres.to_string());
        let mut rb = [0u8; 16];
        let mut from: libc::sockaddr_in = std::mem::zeroed();
        let mut flen = salen;
        let rres = libc::recvfrom(
            us,
            rb.as_mut_ptr().cast(),
            16,
            0,
            (&mut from as *mut libc::sockaddr_in).cast(),
            &mut flen,
        );
        kv("recvfrom_res", rres.to_string());
        libc::close(us);

        let fifo = c(&format!("{dir}/fifo"));
        kv(
            "mknodat_res",
            libc::mknodat(libc::AT_FDCWD, fifo.as_ptr(), libc::S_IFIFO | 0o600, 0).to_string(),
        );
        let lnk = c(&format!("{dir}/lnk"));
        kv(
            "symlinkat_res",
            libc::symlinkat(fifo.as_ptr(), libc::AT_FDCWD, lnk.as_ptr()).to_string(),
        );
        let fch = libc::fchownat(
            libc::AT_FDCWD,
            lnk.as_ptr(),
            1,
            2,
            libc::AT_SYMLINK_NOFOLLOW,
        );
        kv("fchownat_res", fch.to_string());
        kv(
            "access_res",
            libc::syscall(libc::SYS_access, fifo.as_ptr(), libc::R_OK | libc::W_OK).to_string(),
        );
        let name = c("prgwork");
        kv(
            "prctl_res",
            libc::prctl(libc::PR_SET_NAME, name.as_ptr()).to_string(),
        );
    }

    security_calls(&dir, &mut kv);
    fd_creators(&mut kv);
    data_movers(&dir, &mut kv);
    limits(&dir, &mut kv);
    io_uring(&mut kv);
    fs_config(&mut kv);

    // a child that forks, calls setuid and exits
    // SAFETY: single-threaded process; the child only makes raw syscalls and _exit.
    unsafe {
        let child = libc::fork();
        if child == 0 {
            libc::syscall(libc::SYS_setuid, 65534);
            libc::_exit(3);
        }
        kv("child_pid", child.to_string());
        let mut status = 0;
        libc::waitpid(child, &mut status, 0);
        kv("child_status", status.to_string());
    }
    let _ = std::io::stdout().write_all(out.as_bytes());
}

/// The calls of fillers_sec.h: process_vm_readv/writev on this process,
/// pidfd_open/pidfd_getfd on ourselves, open_by_handle_at of a file under
/// DIR, seccomp queries and delete_module of a module that does not exist.
fn security_calls(dir: &str, kv: &mut dyn FnMut(&str, String)) {
    let neg = |r: libc::c_long| {
        if r < 0 {
            -i64::from(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
        } else {
            r
        }
    };
    // SAFETY: raw syscalls on live buffers, iovecs and C strings of this frame.
    unsafe {
        let pid = libc::getpid();
        // readv: 12 remote bytes into two local iovecs (3 + 13 bytes).
        let src = *b"secret-bytes";
        let (mut l1, mut l2) = ([0u8; 3], [0u8; 13]);
        let local = [
            libc::iovec {
                iov_base: l1.as_mut_ptr().cast(),
                iov_len: 3,
            },
            libc::iovec {
                iov_base: l2.as_mut_ptr().cast(),
                iov_len: 13,
            },
        ];
        let remote = [libc::iovec {
            iov_base: src.as_ptr() as *mut _,
            iov_len: src.len(),
        }];
        let r = libc::syscall(
            libc::SYS_process_vm_readv,
            pid,
            local.as_ptr(),
            2,
            remote.as_ptr(),
            1,
            0,
        );
        kv("pvm_readv_res", neg(r).to_string());
        // writev: 100 bytes, more than the snaplen (80).
        let data: Vec<u8> = (0..100u8).map(|i| b'A' + i % 26).collect();
        let mut dst = [0u8; 100];
        let wl = [libc::iovec {
            iov_base: data.as_ptr() as *mut _,
            iov_len: 100,
        }];
        let wr = [libc::iovec {
            iov_base: dst.as_mut_ptr().cast(),
            iov_len: 100,
        }];
        let r = libc::syscall(
            libc::SYS_process_vm_writev,
            pid,
            wl.as_ptr(),
            1,
            wr.as_ptr(),
            1,
            0,
        );
        kv("pvm_writev_res", neg(r).to_string());

        let file = c(&format!("{dir}/handle.txt"));
        let _ = std::fs::write(format!("{dir}/handle.txt"), "handle\n");
        let target = libc::open(file.as_ptr(), libc::O_RDONLY);
        kv("getfd_target", target.to_string());
        let pidfd = libc::syscall(libc::SYS_pidfd_open, pid, libc::O_NONBLOCK);
        kv("pidfd", neg(pidfd).to_string());
        let got = libc::syscall(libc::SYS_pidfd_getfd, pidfd, target, 0);
        kv("pidfd_getfd_res", neg(got).to_string());

        // name_to_handle_at, then open_by_handle_at through the directory.
        // struct file_handle: handle_bytes (128 = MAX_HANDLE_SZ), handle_type, f_handle.
        // Filesystems without export support (overlayfs without nfs_export, as
        // a container's root may be) refuse handles: then tmpfs in /dev/shm.
        let mut h = [0u32; 2 + 32];
        let mut mount_id = 0i32;
        let mut to_handle = |path: &std::ffi::CString| {
            h[0] = 128;
            libc::syscall(
                libc::SYS_name_to_handle_at,
                libc::AT_FDCWD,
                path.as_ptr(),
                h.as_mut_ptr(),
                &mut mount_id as *mut i32,
                0,
            )
        };
        let mut hdir = dir.to_string();
        let mut r = to_handle(&file);
        if r < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EOPNOTSUPP) {
            hdir = format!("/dev/shm/prg-handle-{pid}");
            let _ = std::fs::create_dir_all(&hdir);
            let _ = std::fs::write(format!("{hdir}/handle.txt"), "handle\n");
            r = to_handle(&c(&format!("{hdir}/handle.txt")));
        }
        kv("name_to_handle_res", neg(r).to_string());
        let hfile = c(&format!("{hdir}/handle.txt"));
        let d = c(&hdir);
        let mfd = libc::open(d.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY);
        kv("handle_mountfd", mfd.to_string());
        let hfd = libc::syscall(
            libc::SYS_open_by_handle_at,
            mfd,
            h.as_mut_ptr(),
            libc::O_RDONLY | libc::O_CLOEXEC,
        );
        kv("handle_fd", neg(hfd).to_string());
        let mut st: libc::stat = std::mem::zeroed();
        libc::stat(hfile.as_ptr(), &mut st);
        kv("handle_ino", st.st_ino.to_string());
        if let Ok(p) = std::fs::canonicalize(format!("{hdir}/handle.txt")) {
            kv("handle_path", p.display().to_string());
        }
        kv("handle_dev", (st.st_dev as u32).to_string());
        if hdir != dir {
            let _ = std::fs::remove_dir_all(&hdir);
        }
        for fd in [hfd, mfd as i64, got, pidfd, target as i64] {
            libc::close(fd as i32);
        }

        // SECCOMP_GET_ACTION_AVAIL (2) of SECCOMP_RET_KILL_PROCESS; then
        // flags 1, which that op refuses.
        let action: u32 = 0x8000_0000;
        let r = libc::syscall(libc::SYS_seccomp, 2, 0, &action as *const u32);
        kv("seccomp_res", neg(r).to_string());
        let r = libc::syscall(libc::SYS_seccomp, 2, 1, &action as *const u32);
        kv("seccomp_bad_res", neg(r).to_string());

        let m = c("prg_no_such_module");
        let r = libc::syscall(
            libc::SYS_delete_module,
            m.as_ptr(),
            libc::O_NONBLOCK | libc::O_TRUNC,
        );
        kv("delete_module_res", neg(r).to_string());
    }
}
