//! `peregrine capture -w`: a live capture on this host is written to a .scap
//! file that our reader and `sysdig -r` both read back, with the exec of a
//! marker `cat` in it. Needs root and BTF; skips with a reason otherwise.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn capture_writes_a_file_our_reader_and_sysdig_read() {
    // SAFETY: geteuid has no side effects.
    if unsafe { libc_geteuid() } != 0 || !std::path::Path::new("/sys/kernel/btf/vmlinux").exists() {
        eprintln!(
            "SKIP capture_writes_a_file_our_reader_and_sysdig_read: needs root and kernel BTF"
        );
        return;
    }
    let dir = std::env::temp_dir().join(format!("prg-capture-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let marker = dir.join("marker.txt");
    std::fs::write(&marker, "m\n").unwrap_or_else(|e| panic!("{e}"));
    let out = dir.join("cap.scap");
    // A process with a 20 KB command line (CI hosts have them) is in the
    // startup scan: its metadata must not make sysdig refuse the file.
    let mut long = Command::new("sleep")
        .arg("30")
        .args(vec!["0"; 10_000])
        .spawn()
        .unwrap_or_else(|e| panic!("spawn sleep: {e}"));
    let cap = Command::new(env!("CARGO_BIN_EXE_peregrine"))
        .args(["capture", "--driver", "modern-ebpf", "-w"])
        .arg(&out)
        .args(["--duration", "6", "--stats"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn peregrine: {e}"));
    // Load time varies (debug builds verify ~50 programs): keep exec'ing the marker.
    let until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < until {
        let _ = Command::new("cat")
            .arg(&marker)
            .stdout(Stdio::null())
            .status();
        std::thread::sleep(Duration::from_millis(100));
    }
    let done = cap.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    let _ = long.kill();
    let _ = long.wait();
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(done.status.success(), "peregrine capture failed: {stderr}");
    assert!(stderr.contains("drops: 0 "), "{stderr}");

    let mut reader = peregrine_scap::CaptureReader::open(&out).unwrap_or_else(|e| panic!("{e}"));
    // sysdig 0.29 (libs of March 2022) knows event codes below 338 and skips newer ones.
    let (mut n, mut n_2022, mut execs) = (0u64, 0u64, 0u64);
    let want_args = format!("{}\0", marker.display());
    while let Some(ce) = reader.next_event().unwrap_or_else(|e| panic!("{e}")) {
        n += 1;
        let ev = ce.event;
        if ev.code() < 338 {
            n_2022 += 1;
        }
        if ev.type_name() == "execve" && ev.result() == Some(0) {
            let args = ev
                .param_index("args")
                .and_then(|i| ev.param_raw(i))
                .unwrap_or_default();
            if args == want_args.as_bytes() {
                execs += 1;
            }
        }
    }
    assert!(n > 0 && execs > 0, "{n} events, {execs} marker execs");

    if Command::new("sysdig").arg("--version").output().is_ok() {
        let s = Command::new("sysdig")
            .arg("-r")
            .arg(&out)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let text = String::from_utf8_lossy(&s.stdout);
        assert!(
            s.status.success(),
            "sysdig -r failed: {}",
            String::from_utf8_lossy(&s.stderr)
        );
        assert_eq!(
            text.lines().count() as u64,
            n_2022,
            "sysdig prints every event whose code it knows"
        );
        let needle = format!("execve res=0 exe=cat args={}", marker.display());
        assert!(text.contains(&needle), "sysdig output lacks {needle}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}
