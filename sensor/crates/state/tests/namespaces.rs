//! unshare/setns: what they change in the thread table (capabilities in a
//! new user namespace) and what they leave alone (pids, container).

mod common;

use common::*;
use peregrine_state::{Limits, State};

const CLONE_NEWNS: u32 = 0x20;
const CLONE_NEWPID: u32 = 0x40;
const CLONE_NEWUSER: u32 = 0x100000;
const CLONE_NEWNET: u32 = 0x10;
const ALL_CAPS_TAIL: &str = "CAP_PERFMON CAP_BPF CAP_CHECKPOINT_RESTORE";
const CG: &str = "cpu=/docker/3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e\0";

fn setup() -> (State, Vec<u8>) {
    let mut st = State::new(Limits::default());
    st.boot_ts = 1_700_000_000_000_000_000;
    let c = Clone {
        tid: 50,
        res: 0,
        pid: 50,
        ptid: 1,
        comm: "runc",
        cgroups: "cpu=/\0",
        flags: 0,
        vtid: 50,
        vpid: 50,
        pidns_init_start_ts: 0,
    }
    .event(1);
    feed(&mut st, &c);
    // Only CAP_CHOWN, so that a change to full sets shows.
    feed(&mut st, &capset(2, 50, 0, 1, 1));
    (st, c)
}

#[test]
fn unshare_newuser_gives_the_caller_every_capability() {
    let (mut st, _) = setup();
    let u = unshare(3, 50, 0, CLONE_NEWUSER | CLONE_NEWNS);
    feed(&mut st, &u);
    let eff = field(&st, &u, "thread.cap_effective").unwrap();
    assert!(eff.starts_with("CAP_CHOWN CAP_DAC_OVERRIDE"), "{eff}");
    assert!(eff.ends_with(ALL_CAPS_TAIL), "{eff}");
    assert_eq!(field(&st, &u, "thread.cap_permitted"), Some(eff.clone()));
    assert_eq!(field(&st, &u, "thread.cap_inheritable"), Some(eff));
    assert_eq!(st.thread(50).unwrap().ns_flags, CLONE_NEWUSER | CLONE_NEWNS);
}

#[test]
fn unshare_without_newuser_or_failed_keeps_capabilities() {
    let (mut st, _) = setup();
    let u = unshare(3, 50, 0, CLONE_NEWNS | CLONE_NEWPID);
    feed(&mut st, &u);
    assert_eq!(
        field(&st, &u, "thread.cap_effective").as_deref(),
        Some("CAP_CHOWN")
    );
    // A new pid namespace is for the children: the caller keeps its pids.
    assert_eq!(field(&st, &u, "proc.vpid").as_deref(), Some("50"));
    assert_eq!(field(&st, &u, "thread.vtid").as_deref(), Some("50"));
    let failed = unshare(4, 50, -1, CLONE_NEWUSER);
    feed(&mut st, &failed);
    assert_eq!(
        field(&st, &failed, "thread.cap_effective").as_deref(),
        Some("CAP_CHOWN")
    );
    assert_eq!(st.thread(50).unwrap().ns_flags, CLONE_NEWNS | CLONE_NEWPID);
}

#[test]
fn setns_into_a_user_namespace_gives_every_capability() {
    let (mut st, _) = setup();
    let s = setns(3, 50, 0, 7, CLONE_NEWUSER);
    feed(&mut st, &s);
    assert!(field(&st, &s, "thread.cap_effective")
        .unwrap()
        .ends_with(ALL_CAPS_TAIL));
    // setns acts on an fd (the namespace file).
    assert_eq!(field(&st, &s, "fd.num").as_deref(), Some("7"));
}

/// `docker exec`: runc setns()es into the container's namespaces, but the
/// container is named by the cgroups, which only the clone/execve of the
/// process that joined the container's cgroup carry.
#[test]
fn setns_into_container_namespaces_keeps_the_container_until_cgroups_say_otherwise() {
    let (mut st, _) = setup();
    let s = setns(3, 50, 0, 8, CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET);
    feed(&mut st, &s);
    assert_eq!(field(&st, &s, "container.id").as_deref(), Some("host"));
    assert_eq!(
        field(&st, &s, "thread.cap_effective").as_deref(),
        Some("CAP_CHOWN")
    );
    // The child runc forks into the container's pid namespace: its clone
    // event carries the container's cgroup, its namespace pids and the start
    // of that namespace's init.
    let child = Clone {
        tid: 51,
        res: 0,
        pid: 51,
        ptid: 50,
        comm: "sh",
        cgroups: CG,
        flags: 0x20000000, // CLONE_CHILD_IN_PIDNS
        vtid: 7,
        vpid: 7,
        pidns_init_start_ts: 5_000_000_000,
    }
    .event(4);
    feed(&mut st, &child);
    assert_eq!(
        field(&st, &child, "container.id").as_deref(),
        Some("3ad7b26ded6d")
    );
    assert_eq!(field(&st, &child, "proc.vpid").as_deref(), Some("7"));
    assert_eq!(field(&st, &child, "proc.pid").as_deref(), Some("51"));
    assert_eq!(
        field(&st, &child, "container.start_ts").as_deref(),
        Some("1700000005000000000")
    );
}
