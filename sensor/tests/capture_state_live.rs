//! Live capture on this host carries state fields: process names and
//! lineage, executable paths, command lines, fd names, users and the
//! container id (host). Needs root and BTF; skips with a reason otherwise.

mod common;
use common::can_capture;

use std::io::Read;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const FORMAT: &str = "*%evt.type|%proc.name|%proc.pname|%proc.cmdline|%proc.exepath|%fd.name|%user.name|%container.id|%evt.res";

#[test]
fn live_events_carry_process_fd_user_and_container_fields() {
    if !can_capture() {
        eprintln!("SKIP live_events_carry_...: needs root and kernel BTF");
        return;
    }
    let dir = std::env::temp_dir().join(format!("prg-state-live-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("input.txt");
    std::fs::write(&file, "hello\n").unwrap();
    let created = dir.join("created.txt");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();

    let mut cap = Command::new(env!("CARGO_BIN_EXE_peregrine"))
        .args(["capture", "--duration", "120", "-p", FORMAT])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Collect output on a thread; start the workload once events flow (the
    // probe is attached), so a slow load on a busy machine cannot miss it.
    let got = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let g = got.clone();
    let mut stdout = cap.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 65536];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            g.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    let t = Instant::now();
    while got.lock().unwrap().is_empty() {
        assert!(
            t.elapsed() < Duration::from_secs(90),
            "capture produced nothing"
        );
        // Events of our own (an open and a close) show when the probe is
        // attached; waiting for other processes' syscalls took a minute on
        // a quiet machine.
        let _ = std::fs::File::open("/proc/self/stat");
        std::thread::sleep(Duration::from_millis(100));
    }
    let script = format!(
        "cat {f} > /dev/null; echo hi > {c}; exec 3<>/dev/tcp/127.0.0.1/{port}; exec 3>&-",
        f = file.display(),
        c = created.display()
    );
    listener.set_nonblocking(true).unwrap();
    for _ in 0..5 {
        let _ = Command::new("bash")
            .arg("-c")
            .arg(&script)
            .stderr(Stdio::null())
            .status();
        while listener.accept().is_ok() {}
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(2));
    let _ = Command::new("kill")
        .arg("-INT")
        .arg(cap.id().to_string())
        .status();
    let _ = cap.wait();
    let _ = reader.join();
    let out = got.lock().unwrap().clone();
    let lines: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split('|').collect())
        .filter(|c: &Vec<&str>| c.len() == 9)
        .collect();
    let cmd = format!("cat {}", file.display());

    let exec = lines
        .iter()
        .find(|c| c[0] == "execve" && c[1] == "cat" && c[3] == cmd)
        .unwrap_or_else(|| panic!("no execve of {cmd} in {} lines", lines.len()));
    assert_eq!(exec[2], "bash", "proc.pname");
    assert_eq!(exec[4], "/usr/bin/cat", "proc.exepath");
    assert_eq!(exec[6], "root", "user.name");
    assert_eq!(exec[7], "host", "container.id");
    assert_eq!(exec[8], "SUCCESS");

    let open = lines
        .iter()
        .find(|c| c[0] == "openat" && c[1] == "cat" && c[5] == file.to_str().unwrap())
        .expect("cat's open of the input file, with fd.name");
    assert_eq!(open[3], cmd);

    let creat = lines
        .iter()
        .find(|c| c[0] == "openat" && c[1] == "bash" && c[5] == created.to_str().unwrap())
        .expect("bash's O_CREAT open of the new file, with fd.name");
    assert_eq!(creat[6], "root");

    let tuple_end = format!("->127.0.0.1:{port}");
    let conn = lines
        .iter()
        .find(|c| {
            c[0] == "connect"
                && c[1] == "bash"
                && c[5].starts_with("127.0.0.1:")
                && c[5].ends_with(&tuple_end)
        })
        .unwrap_or_else(|| panic!("no connect to 127.0.0.1:{port} named by its tuple"));
    assert_eq!(conn[8], "SUCCESS");
    let _ = std::fs::remove_dir_all(&dir);
}
