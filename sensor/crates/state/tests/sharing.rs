//! Process strings are shared, not copied, between a process's threads and
//! the children it forks; exec and chdir replace them for that process only.

mod common;

use common::*;
use peregrine_state::{Limits, State};

fn same(a: &str, b: &str) -> bool {
    a.as_ptr() == b.as_ptr()
}

#[test]
fn threads_and_fork_children_share_process_strings_until_exec() {
    let mut st = State::new(Limits::default());
    feed(&mut st, &clone_ev(1, 70, 0, 70, 1, "srv", 0));
    feed(&mut st, &clone_ev(2, 70, 71, 70, 1, "srv", CLONE_THREAD));
    feed(&mut st, &clone_ev(3, 70, 72, 70, 1, "srv", 0));
    // The forked child's own event repeats the same strings: still shared.
    feed(&mut st, &clone_ev(4, 72, 0, 72, 70, "srv", 0));
    let (p, t, c) = (
        st.thread(70).unwrap(),
        st.thread(71).unwrap(),
        st.thread(72).unwrap(),
    );
    for other in [t, c] {
        assert!(same(&p.exe, &other.exe));
        assert!(same(&p.cwd, &other.cwd));
        assert_eq!(p.args, other.args);
        assert!(same(&p.container_id, &other.container_id));
    }
    // chdir in the child: its own cwd changes, the parent's does not.
    let cd = peregrine_event::EventBuilder::new()
        .i64(0)
        .str("/tmp")
        .finish(5, 72, peregrine_wire::raw::PPME_SYSCALL_CHDIR_X as u16)
        .unwrap();
    feed(&mut st, &cd);
    assert_eq!(field(&st, &cd, "proc.cwd").as_deref(), Some("/tmp"));
    assert_eq!(st.thread(70).unwrap().cwd, "/");
}

/// Regression: a child first seen through its own clone event started from
/// nothing, so it lacked what clone does not carry (its parent's env and
/// executable path).
#[test]
fn child_seen_first_inherits_what_its_clone_event_lacks() {
    let mut st = State::new(Limits::default());
    feed(&mut st, &clone_ev(1, 80, 0, 80, 1, "sh", 0));
    let mut exec = peregrine_event::EventBuilder::new();
    exec.i64(0)
        .str("/bin/sh")
        .raw(b"-c\0true\0")
        .i64(80)
        .i64(80)
        .i64(1);
    exec.str("/").u64(1024).u64(0).u64(0).u32(0).u32(0).u32(0);
    exec.str("sh").raw(b"cpu=/\0").raw(b"HOME=/root\0");
    let exec = exec
        .finish(2, 80, peregrine_wire::raw::PPME_SYSCALL_EXECVE_19_X as u16)
        .unwrap();
    feed(&mut st, &exec);
    let c = clone_ev(3, 81, 0, 81, 80, "sh", 0);
    feed(&mut st, &c);
    assert_eq!(field(&st, &c, "proc.exepath").as_deref(), Some("/bin/sh"));
    assert_eq!(field(&st, &c, "proc.env[HOME]").as_deref(), Some("/root"));
    assert_eq!(field(&st, &c, "proc.pid").as_deref(), Some("81"));
    assert_eq!(field(&st, &c, "proc.pname").as_deref(), Some("sh"));
}
