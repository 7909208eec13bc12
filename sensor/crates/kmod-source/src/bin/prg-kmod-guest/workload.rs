//! The known workload (the eBPF issue's list) and the stress load. Each
//! writes what it did as key=value lines for the host-side checks.

use std::ffi::CString;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

pub(crate) fn cstr(p: &Path) -> Result<CString> {
    CString::new(p.as_os_str().as_encoded_bytes()).context("path with a NUL byte")
}

/// fork(); the child runs f and exits with its return value.
pub(crate) fn fork_child(f: impl FnOnce() -> i32) -> Result<libc::pid_t> {
    // SAFETY: the guest driver is single-threaded here; the child only makes
    // syscalls and exits.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        bail!("fork: {}", std::io::Error::last_os_error());
    }
    if pid == 0 {
        let code = f();
        // SAFETY: leave the child without running the parent's destructors.
        unsafe { libc::_exit(code) };
    }
    Ok(pid)
}

pub(crate) fn wait_exit(pid: libc::pid_t) -> Result<i32> {
    let mut st = 0;
    // SAFETY: waiting for our own child.
    if unsafe { libc::waitpid(pid, &mut st, 0) } != pid {
        bail!("waitpid {pid}: {}", std::io::Error::last_os_error());
    }
    Ok(st)
}

pub fn run(dir: &Path, expect: &Path) -> Result<()> {
    let mut e = String::new();
    std::fs::create_dir_all(dir).context("creating the workload dir")?;
    let me = std::process::id();
    let _ = writeln!(e, "pid={me}");
    let _ = writeln!(e, "dir={}", dir.display());
    // Whether we run in the nested cgroup the guest job sets up.
    let cg = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let _ = writeln!(e, "cgroup={}", u8::from(cg.trim_end().ends_with("/prg/wl")));

    // exec: cat of a file.
    let input = dir.join("input.txt");
    std::fs::write(&input, b"peregrine-workload\n")?;
    let out = Command::new("/bin/cat")
        .arg(&input)
        .output()
        .context("running cat")?;
    let _ = writeln!(e, "cat_arg={}", input.display());
    if out.stdout != b"peregrine-workload\n" {
        bail!("cat printed {:?}", out.stdout);
    }

    // open O_CREAT in the temp dir, write, close.
    let created = dir.join("created.txt");
    let cp = cstr(&created)?;
    // SAFETY: plain syscalls on a valid C string and buffer.
    let fd = unsafe {
        libc::open(
            cp.as_ptr(),
            libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC,
            0o640,
        )
    };
    if fd < 0 {
        bail!(
            "open {}: {}",
            created.display(),
            std::io::Error::last_os_error()
        );
    }
    // SAFETY: as above.
    unsafe {
        libc::write(fd, b"hello".as_ptr().cast(), 5);
        libc::close(fd);
    }
    let _ = writeln!(e, "created={}", created.display());
    let _ = writeln!(e, "created_fd={fd}");

    // connect to a 127.0.0.1 listener and accept.
    let l = TcpListener::bind("127.0.0.1:0").context("bind")?;
    let port = l.local_addr()?.port();
    let mut c = TcpStream::connect(("127.0.0.1", port)).context("connect")?;
    let (mut s, peer) = l.accept().context("accept")?;
    c.write_all(b"ping")?;
    let mut b = [0u8; 4];
    s.read_exact(&mut b)?;
    let _ = writeln!(e, "port={port}");
    let _ = writeln!(e, "client_port={}", peer.port());
    drop((c, s, l));

    // rename, unlink, mkdir, chmod.
    let renamed = dir.join("renamed.txt");
    std::fs::rename(&created, &renamed)?;
    let _ = writeln!(e, "renamed={}", renamed.display());
    let sub = dir.join("subdir");
    std::fs::create_dir(&sub)?;
    let _ = writeln!(e, "mkdir={}", sub.display());
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&renamed, std::fs::Permissions::from_mode(0o600))?;
    let _ = writeln!(e, "chmod={}", renamed.display());
    std::fs::remove_file(&renamed)?;
    let _ = writeln!(e, "unlink={}", renamed.display());

    // A child that forks a grandchild; the child exits 3.
    let child = fork_child(|| match fork_child(|| 0) {
        Ok(gc) => match wait_exit(gc) {
            Ok(_) => 3,
            Err(_) => 100,
        },
        Err(_) => 101,
    })?;
    let st = wait_exit(child)?;
    let _ = writeln!(e, "child={child}");
    let _ = writeln!(e, "child_status={st}");

    // setuid in a child (the workload itself stays root).
    // SAFETY: setuid in the forked child only.
    let su = fork_child(|| {
        if unsafe { libc::setuid(65534) } == 0 {
            0
        } else {
            1
        }
    })?;
    let st = wait_exit(su)?;
    let _ = writeln!(e, "setuid_child={su}");
    if st != 0 {
        bail!("setuid child failed: status {st}");
    }

    // A failed execve (failure path of EXECVE_19_X).
    let missing = dir.join("no-such-program");
    let err = Command::new(&missing).status();
    let _ = writeln!(e, "exec_missing={}", missing.display());
    if err.is_ok() {
        bail!("exec of a missing program succeeded");
    }

    crate::more_workload::run(dir, &mut e)?;

    std::fs::write(expect, e).context("writing the expectations")?;
    Ok(())
}

/// One stress worker: mixed syscalls until the deadline; returns how many
/// marker opens it did.
fn stress_worker(marker: &Path, until: Instant) -> u64 {
    let Ok(cp) = cstr(marker) else { return 0 };
    let mut opens = 0u64;
    let mut buf = [0u8; 64];
    while Instant::now() < until {
        for _ in 0..50 {
            // SAFETY: plain syscalls with valid pointers.
            unsafe {
                libc::getpid();
                let fd = libc::open(cp.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
                if fd >= 0 {
                    opens += 1;
                    libc::read(fd, buf.as_mut_ptr().cast(), buf.len());
                    libc::close(fd);
                }
                libc::write(-1, buf.as_ptr().cast(), 1);
            }
        }
    }
    opens
}

pub fn stress(procs: u32, seconds: u64, dir: &Path, out: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut kids = Vec::new();
    for i in 0..procs {
        let marker = dir.join(format!("marker{i}"));
        std::fs::write(&marker, b"x")?;
        let count = dir.join(format!("count{i}"));
        let pid = fork_child(move || {
            let n = stress_worker(&marker, until);
            if std::fs::write(&count, n.to_string()).is_ok() {
                0
            } else {
                1
            }
        })?;
        kids.push((pid, dir.join(format!("count{i}"))));
    }
    let mut total = 0u64;
    for (pid, count) in kids {
        let st = wait_exit(pid)?;
        if st != 0 {
            bail!("stress worker {pid} failed: status {st}");
        }
        let s = std::fs::read_to_string(&count)?;
        total += s.trim().parse::<u64>().context("worker count")?;
    }
    // Creating each marker file above was an openat of that path too.
    total += u64::from(procs);
    std::fs::write(
        out,
        format!("opens={total}\nprocs={procs}\nseconds={seconds}\n"),
    )?;
    println!("stress: {procs} procs, {total} marker opens");
    Ok(())
}
