//! State exported as capture metadata reads back as the same state: the
//! process list, fd lists and users of real captures survive
//! from_capture -> to_metadata -> CaptureWriter -> CaptureReader -> from_capture.

use peregrine_scap::{CaptureReader, CaptureWriter, Metadata};
use peregrine_state::{Limits, State, ThreadInfo};
use std::path::{Path, PathBuf};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../tests/fixtures/captures")
        .join(rel)
}

fn metadata_of(path: &Path) -> Metadata {
    CaptureReader::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .metadata()
        .clone()
}

/// Writes `meta` to a capture (no events) and reads its metadata back.
fn through_a_file(meta: &Metadata, gzip: bool, name: &str) -> Metadata {
    let path = std::env::temp_dir().join(format!("peregrine-export-{}-{name}", std::process::id()));
    CaptureWriter::create(&path, gzip, meta)
        .unwrap()
        .finish()
        .unwrap();
    let back = metadata_of(&path);
    std::fs::remove_file(&path).unwrap();
    back
}

/// Everything a thread carries that a capture can hold (not the
/// bookkeeping: last event time, clone time, namespaces entered since).
fn comparable(t: &ThreadInfo) -> ThreadInfo {
    ThreadInfo {
        last_ts: 0,
        clone_ts: 0,
        ns_flags: 0,
        ..t.clone()
    }
}

fn assert_same_state(a: &State, b: &State, meta: &Metadata, what: &str) {
    assert_eq!(a.thread_count(), b.thread_count(), "{what}: thread count");
    assert_eq!(a.fd_count(), b.fd_count(), "{what}: fd count");
    for p in &meta.procs {
        let (x, y) = (a.thread(p.tid), b.thread(p.tid));
        assert_eq!(
            x.map(comparable),
            y.map(comparable),
            "{what}: thread {}",
            p.tid
        );
    }
    for e in &meta.fds {
        let (x, y) = (a.fd(e.tid, e.fd), b.fd(e.tid, e.fd));
        assert_eq!(x, y, "{what}: fd {} of {}", e.fd, e.tid);
    }
    for u in &meta.users {
        assert_eq!(
            a.users.user(u.uid),
            b.users.user(u.uid),
            "{what}: uid {}",
            u.uid
        );
    }
    for g in &meta.groups {
        assert_eq!(
            a.users.group(g.gid),
            b.users.group(g.gid),
            "{what}: gid {}",
            g.gid
        );
    }
}

#[test]
fn fixture_state_survives_export_write_and_read() {
    let mut checked = 0;
    for rel in [
        "anchor-vm/known-workload.scap",
        "upstream/libs-e2e-curl_google.scap",
        "upstream/libs-e2e-single_ipv6_conn.scap",
    ] {
        let meta = metadata_of(&fixture(rel));
        assert!(!meta.procs.is_empty(), "{rel}: a process list");
        let first = State::from_capture(&meta, Limits::default());
        let out = first.to_metadata();
        assert_eq!(out.procs.len(), first.thread_count(), "{rel}");
        for gzip in [false, true] {
            let back = through_a_file(&out, gzip, &format!("{gzip}.scap"));
            assert_eq!(back.procs, out.procs, "{rel}: process list as written");
            assert_eq!(back.fds, out.fds, "{rel}: fd lists as written");
            let second = State::from_capture(&back, Limits::default());
            assert_same_state(&first, &second, &meta, rel);
            assert_eq!(second.boot_ts, first.boot_ts, "{rel}: boot time");
        }
        checked += meta.procs.len();
    }
    assert!(checked > 100, "only {checked} threads checked");
}

/// The fixture's richest process, field by field, so that a field the
/// export forgets fails by name here rather than as one big inequality.
#[test]
fn every_process_field_of_a_rich_capture_comes_back() {
    let meta = metadata_of(&fixture("upstream/libs-e2e-single_ipv6_conn.scap"));
    let first = State::from_capture(&meta, Limits::default());
    let back = through_a_file(&first.to_metadata(), false, "rich.scap");
    let second = State::from_capture(&back, Limits::default());
    // The process with the most environment and arguments.
    let p = meta
        .procs
        .iter()
        .max_by_key(|p| p.env.len() + p.args.len())
        .unwrap();
    let (a, b) = (first.thread(p.tid).unwrap(), second.thread(p.tid).unwrap());
    assert!(!a.env.is_empty() && !a.args.is_empty() && !a.exepath.is_empty());
    assert_eq!(a.comm, b.comm);
    assert_eq!(a.exe, b.exe);
    assert_eq!(a.exepath, b.exepath);
    assert_eq!(a.args, b.args);
    assert_eq!(a.cwd, b.cwd);
    assert_eq!(a.env, b.env);
    assert_eq!(a.cgroups, b.cgroups);
    assert_eq!(a.root, b.root);
    assert_eq!((a.uid, a.gid, a.loginuid), (b.uid, b.gid, b.loginuid));
    assert_eq!(
        (a.pid, a.ptid, a.vpid, a.vtid),
        (b.pid, b.ptid, b.vpid, b.vtid)
    );
    assert_eq!(
        (a.sid, a.vpgid, a.pgid, a.tty),
        (b.sid, b.vpgid, b.pgid, b.tty)
    );
    assert_eq!(
        (a.cap_inheritable, a.cap_permitted, a.cap_effective),
        (b.cap_inheritable, b.cap_permitted, b.cap_effective)
    );
    assert_eq!(
        (a.exe_flags, a.exe_ino, a.exe_ino_ctime, a.exe_ino_mtime),
        (b.exe_flags, b.exe_ino, b.exe_ino_ctime, b.exe_ino_mtime)
    );
    assert_eq!(a.pidns_init_start_ts, b.pidns_init_start_ts);
    assert_eq!(a.container_id, b.container_id);
    // Non-leader threads say they share the leader's fd table (sinsp reads that).
    for e in &back.procs {
        assert_eq!(e.flags != 0, e.tid != e.pid, "flags of thread {}", e.tid);
    }
}

/// Fds of every kind the fixtures hold come back with their names and types.
#[test]
fn fd_names_and_types_come_back() {
    let mut kinds = std::collections::BTreeSet::new();
    for rel in [
        "anchor-vm/known-workload.scap",
        "upstream/libs-e2e-curl_google.scap",
        "upstream/libs-e2e-single_ipv6_conn.scap",
    ] {
        let meta = metadata_of(&fixture(rel));
        let first = State::from_capture(&meta, Limits::default());
        let back = through_a_file(&first.to_metadata(), false, "fds.scap");
        let second = State::from_capture(&back, Limits::default());
        for e in &meta.fds {
            let a = first.fd(e.tid, e.fd).expect("seeded fd");
            let b = second
                .fd(e.tid, e.fd)
                .unwrap_or_else(|| panic!("{rel}: fd {} of {} lost", e.fd, e.tid));
            assert_eq!((&a.name, a.ftype), (&b.name, b.ftype), "{rel}");
            assert_eq!(
                (a.open_flags, a.ino, a.l4proto),
                (b.open_flags, b.ino, b.l4proto)
            );
            kinds.insert(a.ftype.name());
        }
    }
    let all = [
        "file",
        "directory",
        "ipv4",
        "ipv6",
        "unix",
        "pipe",
        "event",
        "signalfd",
        "eventpoll",
        "inotify",
        "timerfd",
    ];
    for k in all {
        assert!(kinds.contains(k), "no {k} fd in the fixtures: {kinds:?}");
    }
}

/// A state read from /proc names its host in the MI block.
#[test]
fn live_state_exports_machine_info() {
    let st = State::from_proc(Path::new("/"), Limits::default());
    let meta = st.to_metadata();
    let mi = meta.machine.expect("machine info of a /proc state");
    assert!(mi.num_cpus >= 1);
    assert!(mi.memory_size_bytes > 1 << 20);
    assert!(mi.max_pid >= 300);
    assert!(!mi.hostname_str().is_empty());
    assert_eq!(mi.boot_ts_epoch, st.boot_ts);
    assert!(meta
        .procs
        .iter()
        .any(|p| p.pid == u64::from(std::process::id())));
    let back = through_a_file(&st.to_metadata(), true, "live.scap.gz");
    let again = State::from_capture(&back, Limits::default());
    assert_eq!(again.thread_count(), st.thread_count());
    assert_eq!(again.fd_count(), st.fd_count());
    assert_eq!(back.machine, st.to_metadata().machine);
}

/// Regression for `capture -w` files sysdig refused ("invalid argslen
/// 25505"): a process with a 20 KB command line is scanned as the drivers
/// see a new one (its first 4096 bytes, whole arguments first), and its
/// capture metadata stays within what upstream readers accept.
#[test]
fn a_scanned_process_with_a_long_command_line_keeps_what_the_drivers_keep() {
    let zeros = vec!["0"; 10_000];
    let mut child = std::process::Command::new("sleep")
        .arg("30")
        .args(&zeros)
        .spawn()
        .expect("sleep runs");
    let tid = u64::from(child.id());
    // Wait for the exec so /proc shows sleep's own command line.
    for _ in 0..200 {
        if std::fs::read(format!("/proc/{tid}/cmdline")).is_ok_and(|c| c.len() > 20_000) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let st = State::from_proc(Path::new("/"), Limits::default());
    let _ = child.kill();
    let _ = child.wait();
    let t = st.thread(tid).expect("the child was scanned");
    // "sleep\0" "30\0" take 9 bytes; 4087 more hold 2043 "0\0" and a last "0".
    assert_eq!(t.args.iter().count(), 1 + 2044, "{}", t.cmdline().len());
    let meta = st.to_metadata();
    let p = meta.procs.iter().find(|p| p.tid == tid).expect("exported");
    assert!(p.args.len() <= 4096 && p.env.len() <= 4096);
}
