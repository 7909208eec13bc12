//! A running probe takes new syscalls (what `peregrine run` needs when
//! reloaded rules ask for more): before `add_syscalls` a mkdir is not
//! captured, after it is, with its path. Needs root and BTF; skips otherwise.

mod common;
use common::skip_reason;

use peregrine_bpf::{Capture, Config};
use std::process::Command;
use std::time::{Duration, Instant};

/// Runs `mkdir PATH` (another process: the probe leaves its own out) and
/// returns whether a mkdir/mkdirat event naming PATH arrived within 3 s.
fn mkdir_seen(cap: &mut Capture, path: &std::path::Path) -> bool {
    let st = Command::new("mkdir")
        .arg(path)
        .status()
        .expect("mkdir runs");
    assert!(st.success());
    let want = path.to_string_lossy().into_owned();
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(3) {
        let Some(re) = cap.next_event(Duration::from_millis(100)).expect("read") else {
            continue;
        };
        let ev = re.event;
        if !matches!(ev.type_name(), "mkdir" | "mkdirat") {
            continue;
        }
        let named = (0..ev.nparams() as usize)
            .filter_map(|i| ev.param_raw(i))
            .any(|p| String::from_utf8_lossy(p).trim_end_matches('\0') == want);
        if named {
            return true;
        }
    }
    false
}

#[test]
fn a_running_probe_starts_capturing_added_syscalls() {
    if let Some(why) = skip_reason() {
        eprintln!("skipped: {why}");
        return;
    }
    let dir = std::env::temp_dir().join(format!("prg-extend-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // openat only: mkdir (83) and mkdirat (258) are not captured.
    let cfg = Config {
        syscalls: vec![257],
        ..Config::default()
    };
    let mut cap = Capture::open(&cfg).expect("probe loads");
    assert!(
        !mkdir_seen(&mut cap, &dir.join("before")),
        "not asked for yet"
    );
    let added = cap.add_syscalls(&[83, 258, 257]).expect("added");
    assert_eq!(added, vec![83, 258], "openat was captured already");
    assert!(
        mkdir_seen(&mut cap, &dir.join("after")),
        "captured once added"
    );
    assert_eq!(cap.add_syscalls(&[83]).expect("again"), Vec::<u32>::new());
    let _ = std::fs::remove_dir_all(&dir);
}
