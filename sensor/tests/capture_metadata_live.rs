//! `peregrine capture -w` writes the host's state (machine info, process,
//! fd and user lists) before the events, so that a process started before
//! the capture has its name, user and open files when the file is replayed,
//! by us and by sysdig 0.29. Needs root and BTF; skips with a reason otherwise.

mod common;
use common::can_capture;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const UID: u32 = 65534;

/// The name /etc/passwd gives `uid`.
fn user_name(uid: u32) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.get(2)? == &uid.to_string()).then(|| f[0].to_string())
    })
}

/// Kills the workload however the test ends.
struct Reap(Child);
impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn process_started_before_capture_is_named_on_replay_and_by_sysdig() {
    if !can_capture() {
        eprintln!("SKIP process_started_before_capture_...: needs root and kernel BTF");
        return;
    }
    let Some(user) = user_name(UID) else {
        eprintln!("SKIP process_started_before_capture_...: no user {UID} in /etc/passwd");
        return;
    };
    let dir = std::env::temp_dir().join(format!("prg-capture-meta-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // The workload runs as another user and must reach its files.
    let open = |p: &Path, mode| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    open(&dir, 0o755);
    let marker = dir.join("marker.txt");
    std::fs::write(&marker, "m\n").unwrap();
    open(&marker, 0o644);
    // A shell under a name of its own, so its events are told from others.
    let shell = dir.join("prgpre");
    std::fs::copy("/bin/sh", &shell).unwrap();
    // fd 9 is opened before the capture: only the fd list can name it. The
    // loop reads it (through dup2 onto stdin) without exec'ing itself again.
    let script = format!(
        "exec 9< {}; while :; do read x <&9; sleep 0.2; done",
        marker.display()
    );
    let pre = Reap(
        Command::new(&shell)
            .args(["-c", &script])
            .uid(UID)
            .gid(UID)
            .stdin(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let pid = pre.0.id();
    let fd9 = format!("/proc/{pid}/fd/9");
    let t = Instant::now();
    while std::fs::read_link(&fd9).is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "workload never opened fd 9"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    let out = dir.join("cap.scap");
    let cap = Command::new(env!("CARGO_BIN_EXE_peregrine"))
        .args(["capture", "-w"])
        .arg(&out)
        .args(["--duration", "3"])
        .output()
        .unwrap();
    assert!(
        cap.status.success(),
        "peregrine capture failed: {}",
        String::from_utf8_lossy(&cap.stderr)
    );
    drop(pre);

    // The metadata blocks, as our reader sees them.
    let reader = peregrine_scap::CaptureReader::open(&out).unwrap();
    let meta = reader.metadata();
    let mi = meta.machine.as_ref().expect("an MI block");
    assert!(mi.num_cpus >= 1 && mi.memory_size_bytes > 0 && mi.max_pid > 0);
    assert!(mi.boot_ts_epoch > 0 && !mi.hostname_str().is_empty());
    let p = meta
        .procs
        .iter()
        .find(|p| p.tid == u64::from(pid))
        .expect("the workload in the process list");
    assert_eq!((p.comm.as_slice(), p.uid), (b"prgpre".as_slice(), UID));
    assert!(meta.users.iter().any(|u| u.uid == UID));

    // (a) Our replay names the process, its user and the fd it opened before.
    let r = Command::new(env!("CARGO_BIN_EXE_peregrine"))
        .arg("replay")
        .arg(&out)
        .args(["-p", "%proc.pid %proc.name %user.name %evt.type %fd.name"])
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let text = String::from_utf8_lossy(&r.stdout);
    let ours: Vec<&str> = text
        .lines()
        .filter(|l| l.split(' ').next() == Some(&pid.to_string()))
        .collect();
    assert!(!ours.is_empty(), "no event of the workload in the capture");
    let named = format!("{pid} prgpre {user} ");
    assert!(
        ours.iter().all(|l| l.starts_with(&named)),
        "unnamed events: {:?}",
        ours.iter()
            .filter(|l| !l.starts_with(&named))
            .collect::<Vec<_>>()
    );
    let read = format!("{named}read {}", marker.display());
    assert!(ours.contains(&read.as_str()), "no '{read}' in {ours:?}");

    // (b) sysdig 0.29 reads the blocks and names the process and its user.
    if Command::new("sysdig").arg("--version").output().is_err() {
        eprintln!("sysdig not installed: the replay checks alone ran");
        return;
    }
    let s = Command::new("sysdig")
        .arg("-r")
        .arg(&out)
        .args(["-p", "%proc.pid %proc.name %user.name"])
        .arg(format!("proc.pid={pid}"))
        .output()
        .unwrap();
    assert!(
        s.status.success(),
        "sysdig -r failed: {}",
        String::from_utf8_lossy(&s.stderr)
    );
    let text = String::from_utf8_lossy(&s.stdout);
    let want = format!("{pid} prgpre {user}");
    assert!(text.lines().count() > 0, "sysdig shows no event of {pid}");
    assert!(
        text.lines().all(|l| l == want),
        "sysdig does not name {pid}: {text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
