//! Test helper for the capture tests (not a user tool): performs a fixed
//! sequence of syscalls under a directory and prints what the kernel
//! returned (`key=value` lines), so tests can match the captured events.
//!
//! Usage: bpf-workload DIR

use std::ffi::CString;
use std::io::Write;

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
