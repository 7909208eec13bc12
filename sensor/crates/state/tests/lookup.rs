//! Threads the table lacks are read from /proc on live hosts (as libsinsp
//! does on a miss): a process that started after the startup scan gets its
//! name, and the lookups are bounded per second of event time.

mod common;

use common::field;
use peregrine_event::{EventBuilder, EventRef};
use peregrine_state::{Limits, State};
use peregrine_wire::raw;
use std::path::Path;
use std::process::Command;

/// A `close` exit event of `tid` at `ts`.
fn close_ev(ts: u64, tid: u64) -> Vec<u8> {
    EventBuilder::new()
        .i64(0)
        .finish(ts, tid, raw::PPME_SYSCALL_CLOSE_X as u16)
        .unwrap()
}

#[test]
fn a_process_started_after_the_scan_is_looked_up_in_proc() {
    let mut st = State::from_proc(Path::new("/"), Limits::default());
    let mut child = Command::new("sleep").arg("30").spawn().expect("sleep runs");
    let tid = u64::from(child.id());
    // Until the child has exec'd, /proc shows the test binary's name.
    let comm = format!("/proc/{tid}/comm");
    for _ in 0..200 {
        if std::fs::read_to_string(&comm).is_ok_and(|c| c.trim() == "sleep") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(st.thread(tid).is_none(), "started after the scan");
    let b = close_ev(1_000_000_000, tid);
    let ev = EventRef::parse(&b).unwrap();
    st.process(&ev);
    let name = field(&st, &b, "proc.name");
    let exe = field(&st, &b, "proc.exepath");
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(name.as_deref(), Some("sleep"));
    assert!(exe.is_some_and(|e| e.ends_with("/sleep")), "exepath");
    assert_eq!(st.stats().proc_lookups, 1);
}

#[test]
fn replayed_states_never_look_in_proc_and_live_lookups_are_bounded() {
    // A replay (no host root): the unknown thread stays unknown.
    let mut replay = State::new(Limits::default());
    let b = close_ev(1, u64::from(std::process::id()));
    replay.process(&EventRef::parse(&b).unwrap());
    assert!(replay.thread(u64::from(std::process::id())).is_none());
    assert_eq!(
        replay.stats().proc_lookups + replay.stats().proc_lookups_failed,
        0
    );

    // A live state over an empty /proc: every lookup fails, and past the
    // budget within one second they are not even tried.
    let dir = std::env::temp_dir().join(format!("prg-lookup-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("proc")).unwrap();
    let mut st = State::from_proc(&dir, Limits::default());
    for i in 0..500u64 {
        let b = close_ev(5_000_000_000 + i, 1_000_000 + i);
        st.process(&EventRef::parse(&b).unwrap());
    }
    let s = st.stats();
    assert_eq!((s.proc_lookups_failed, s.proc_lookups_limited), (200, 300));
    // The next second has a new budget.
    let b = close_ev(6_000_000_000, 2_000_000);
    st.process(&EventRef::parse(&b).unwrap());
    assert_eq!(st.stats().proc_lookups_failed, 201);
    let _ = std::fs::remove_dir_all(&dir);
}
