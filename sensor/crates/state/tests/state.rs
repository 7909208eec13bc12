//! State tracking from synthetic events: lifecycle, fds, bounds.

use peregrine_event::EventBuilder;
use peregrine_state::{Limits, State};
use peregrine_wire::raw;

mod common;

use common::*;

#[test]
fn fork_open_close_exit_lifecycle() {
    let mut st = State::new(Limits::default());
    st.users.add_user(1000, "alice");
    // parent 10 (comm sh) forks child 11; the child's own event follows.
    feed(&mut st, &clone_ev(1, 10, 0, 10, 1, "sh", 0));
    feed(&mut st, &clone_ev(2, 10, 11, 10, 1, "sh", 0));
    let c = clone_ev(3, 11, 0, 11, 10, "sh", 0);
    feed(&mut st, &c);
    assert_eq!(field(&st, &c, "proc.pid").as_deref(), Some("11"));
    assert_eq!(field(&st, &c, "proc.ppid").as_deref(), Some("10"));
    assert_eq!(field(&st, &c, "user.name").as_deref(), Some("alice"));
    let o = openat(4, 11, 3, "etc/passwd", 0x1);
    feed(&mut st, &o);
    assert_eq!(field(&st, &o, "fd.name").as_deref(), Some("/etc/passwd"));
    assert_eq!(field(&st, &o, "fd.directory").as_deref(), Some("/etc"));
    assert_eq!(field(&st, &o, "fd.typechar").as_deref(), Some("f"));
    assert_eq!(field(&st, &o, "evt.is_open_read").as_deref(), Some("true"));
    let cl = close(5, 11, 3);
    feed(&mut st, &cl);
    // The closing event still shows the fd; the next one no longer finds it.
    assert_eq!(field(&st, &cl, "fd.name").as_deref(), Some("/etc/passwd"));
    let x = procexit(6, 11);
    feed(&mut st, &x);
    assert!(st.fd(11, 3).is_none());
    assert_eq!(field(&st, &x, "proc.name").as_deref(), Some("sh"));
    feed(&mut st, &close(7, 10, 99));
    assert!(
        st.thread(11).is_none(),
        "exited thread removed on the next event"
    );
}

/// Regression: the child's own clone event, arriving after the parent's,
/// replaced the thread and dropped the fd table the parent's event had
/// copied to it (close of an inherited fd then showed no name).
#[test]
fn clone_child_event_after_parent_keeps_fd_table() {
    let mut st = State::new(Limits::default());
    feed(&mut st, &clone_ev(1, 10, 0, 10, 1, "sh", 0));
    feed(&mut st, &openat(2, 10, 10, "/job/run.sh", 0x1));
    feed(&mut st, &clone_ev(3, 10, 11, 10, 1, "sh", 0));
    feed(&mut st, &clone_ev(4, 11, 0, 11, 10, "sh", 0));
    let cl = close(5, 11, 10);
    feed(&mut st, &cl);
    assert_eq!(field(&st, &cl, "fd.name").as_deref(), Some("/job/run.sh"));
}

#[test]
fn threads_share_the_process_fd_table_and_name_their_creator_as_parent() {
    let mut st = State::new(Limits::default());
    feed(&mut st, &clone_ev(1, 20, 0, 20, 1, "curl", 0));
    feed(&mut st, &clone_ev(2, 20, 21, 20, 1, "curl", CLONE_THREAD));
    feed(&mut st, &openat(3, 21, 5, "/tmp/x", 0x2));
    let cl = close(4, 20, 5);
    feed(&mut st, &cl);
    assert_eq!(field(&st, &cl, "fd.name").as_deref(), Some("/tmp/x"));
    let o = openat(5, 21, 6, "/tmp/y", 0x2);
    feed(&mut st, &o);
    assert_eq!(field(&st, &o, "proc.pid").as_deref(), Some("20"));
    assert_eq!(field(&st, &o, "proc.pname").as_deref(), Some("curl"));
}

#[test]
fn fork_bomb_stays_within_thread_limit() {
    let limits = Limits {
        max_threads: 1000,
        max_fds: 64,
    };
    let mut st = State::new(limits);
    for i in 0..100_000u64 {
        // Each new process forks the next and never exits.
        feed(
            &mut st,
            &clone_ev(i, 1000 + i, 0, 1000 + i, 999 + i, "bomb", 0),
        );
        assert!(st.thread_count() <= 1000);
    }
    assert!(st.stats().threads_evicted >= 99_000);
    assert!(st.fd_count() <= 1000 * 64);
}

#[test]
fn fd_churn_stays_within_fd_limit() {
    let mut st = State::new(Limits {
        max_threads: 16,
        max_fds: 100,
    });
    feed(&mut st, &clone_ev(1, 7, 0, 7, 1, "churn", 0));
    for i in 0..10_000i64 {
        feed(&mut st, &openat(2 + i as u64, 7, 3 + i, "/tmp/f", 0x1)); // never closed
    }
    assert_eq!(st.fd_count(), 100);
    assert_eq!(st.stats().fds_refused, 9_900);
    // Open-close churn on one fd keeps the table at one entry.
    for i in 0..10_000u64 {
        feed(&mut st, &openat(20_000 + 2 * i, 7, 5000, "/tmp/g", 0x1));
        feed(&mut st, &close(20_001 + 2 * i, 7, 5000));
    }
    feed(&mut st, &close(50_000, 7, 1));
    assert!(st.fd_count() <= 100);
}

#[test]
fn live_proc_seed_finds_this_process() {
    let st = State::from_proc(std::path::Path::new("/"), Limits::default());
    let me = std::process::id() as u64;
    let t = st.thread(me).expect("our own process in /proc");
    assert_eq!(t.pid, me);
    assert!(!t.comm.is_empty());
    assert!(t.exepath.starts_with('/'), "{}", t.exepath);
    assert_eq!(t.container_id, "host");
    // Our stdout/stderr or at least one fd is known.
    assert!(st.fd(me, 0).is_some() || st.fd(me, 1).is_some() || st.fd(me, 2).is_some());
}

#[test]
fn container_fields_come_from_cgroups_and_the_metadata_interface() {
    use peregrine_state::{ContainerMeta, Mount, StaticContainers};
    use std::sync::Arc;
    let id = "3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e";
    let mut st = State::new(Limits::default());
    // container.start_ts is an epoch time: boot + the driver's monotonic start.
    st.boot_ts = 1_700_000_000_000_000_000;
    let mut meta = StaticContainers::default();
    meta.0.insert(
        id[..12].to_string(),
        Arc::new(ContainerMeta {
            name: "web".into(),
            image: "docker.io/library/nginx:1.25".into(),
            image_repository: "docker.io/library/nginx".into(),
            image_tag: "1.25".into(),
            privileged: Some(false),
            k8s_namespace: Some("prod".into()),
            k8s_pod_name: Some("web-0".into()),
            mounts: vec![Mount {
                source: "/var/run/docker.sock".into(),
                dest: "/var/run/docker.sock".into(),
                read_write: true,
                ..Default::default()
            }],
            ..Default::default()
        }),
    );
    st.containers = Some(Arc::new(meta));
    let mut b = EventBuilder::new();
    let cg = format!("cpu=/system.slice/docker-{id}.scope\0");
    b.i64(0)
        .str("nginx")
        .raw(b"")
        .i64(30)
        .i64(30)
        .i64(1)
        .str("/")
        .u64(1024);
    b.u64(0)
        .u64(0)
        .u32(0)
        .u32(0)
        .u32(0)
        .str("nginx")
        .raw(cg.as_bytes())
        .u32(0)
        .u32(0)
        .u32(0);
    b.i64(1).i64(1).u64(1_000_000_007);
    let ev = b
        .finish(1, 30, raw::PPME_SYSCALL_CLONE_20_X as u16)
        .unwrap();
    feed(&mut st, &ev);
    assert_eq!(field(&st, &ev, "container.id").as_deref(), Some(&id[..12]));
    assert_eq!(field(&st, &ev, "container.type").as_deref(), Some("docker"));
    assert_eq!(field(&st, &ev, "container.name").as_deref(), Some("web"));
    assert_eq!(
        field(&st, &ev, "container.image.repository").as_deref(),
        Some("docker.io/library/nginx")
    );
    assert_eq!(
        field(&st, &ev, "container.privileged").as_deref(),
        Some("false")
    );
    assert_eq!(field(&st, &ev, "k8s.ns.name").as_deref(), Some("prod"));
    assert_eq!(
        field(&st, &ev, "container.mounts").as_deref(),
        Some("/var/run/docker.sock:/var/run/docker.sock::true:")
    );
    assert_eq!(
        field(&st, &ev, "container.mount.dest[/var/run/docker*]").as_deref(),
        Some("/var/run/docker.sock")
    );
    assert_eq!(field(&st, &ev, "container.mount.dest[/proc*]"), None);
    assert_eq!(
        field(&st, &ev, "container.start_ts").as_deref(),
        Some("1700000001000000007")
    );
    // Without a boot time (2022 captures) the start is unknown, not wrong.
    st.boot_ts = 0;
    assert_eq!(field(&st, &ev, "container.start_ts"), None);
    st.boot_ts = 1_700_000_000_000_000_000;
    // A host process has no metadata: the fields are missing, not empty.
    feed(&mut st, &clone_ev(2, 40, 0, 40, 1, "sh", 0));
    let h = clone_ev(3, 40, 0, 40, 1, "sh", 0);
    assert_eq!(field(&st, &h, "container.id").as_deref(), Some("host"));
    assert_eq!(field(&st, &h, "container.type").as_deref(), Some("host"));
    assert_eq!(field(&st, &h, "container.name"), None);
    assert_eq!(field(&st, &h, "container.mounts"), None);
    assert_eq!(field(&st, &h, "container.start_ts"), None);
}

/// The boot time from /proc/uptime agrees with /proc/stat's `btime` (whole
/// seconds), so container.start_ts on a live host is an epoch time.
#[test]
fn live_boot_time_matches_proc_stat_btime() {
    let st = State::from_proc(std::path::Path::new("/"), Limits::default());
    let btime: u64 = std::fs::read_to_string("/proc/stat")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse().ok())
        .expect("btime in /proc/stat");
    let ours = st.boot_ts / 1_000_000_000;
    assert!(ours.abs_diff(btime) <= 2, "boot {ours} vs btime {btime}");
}
