//! The events of fillers_lim.h (getrlimit, setrlimit, prlimit64, flock,
//! getcwd), parameter by parameter; included by capture.rs.

use super::common::*;
use peregrine_wire::raw as c;

pub fn check_limits(run: &Run, w: i64) {
    let code = |v: u32| v as u16;
    let (cur, max) = (run.fact("nofile_cur"), run.fact("nofile_max"));
    let mut seen = Vec::new();

    assert_eq!(run.fact("getrlimit_res"), 0);
    let e = run.one(code(c::PPME_SYSCALL_GETRLIMIT_X), w, |_| true);
    assert_eq!(
        (
            int(&e, "res"),
            int(&e, "cur"),
            int(&e, "max"),
            int(&e, "resource")
        ),
        (0, cur, max, 7),
        "RLIMIT_NOFILE read back"
    );
    seen.push(e);
    assert_eq!(run.fact("setrlimit_res"), 0);
    let e = run.one(code(c::PPME_SYSCALL_SETRLIMIT_X), w, |_| true);
    assert_eq!(
        (
            int(&e, "res"),
            int(&e, "cur"),
            int(&e, "max"),
            int(&e, "resource")
        ),
        (0, cur, max, 7)
    );
    seen.push(e);
    let pl = code(c::PPME_SYSCALL_PRLIMIT_X);
    assert_eq!(run.fact("prlimit_res"), 0);
    // Ours name our pid; glibc's getrlimit is a prlimit64 of pid 0.
    let e = run.one(pl, w, |e| int(e, "res") == 0 && int(e, "pid") == w);
    let got: Vec<i64> = ["newcur", "newmax", "oldcur", "oldmax", "pid", "resource"]
        .iter()
        .map(|n| int(&e, n))
        .collect();
    assert_eq!(got, [0, 0, cur, max, w, 7], "no new limits; old read back");
    seen.push(e);
    assert_eq!(run.fact("prlimit_bad_res"), -22);
    let e = run.one(pl, w, |e| int(e, "res") != 0 && int(e, "pid") == w);
    assert_eq!(
        (int(&e, "res"), int(&e, "oldcur"), int(&e, "resource")),
        (-22, 0, 255),
        "an unknown resource is RLIMIT_UNKNOWN"
    );
    seen.push(e);

    let fd = run.fact("flock_fd");
    let fl = code(c::PPME_SYSCALL_FLOCK_X);
    assert_eq!((run.fact("flock_res"), run.fact("flock_un_res")), (0, 0));
    let e = run.one(fl, w, |e| int(e, "operation") == 2 | 4);
    assert_eq!((int(&e, "res"), int(&e, "fd")), (0, fd), "LOCK_EX|LOCK_NB");
    seen.push(e);
    let e = run.one(fl, w, |e| int(e, "operation") == 8);
    assert_eq!((int(&e, "res"), int(&e, "fd")), (0, fd), "LOCK_UN");
    seen.push(e);

    let cwd = run.facts["cwd"].clone();
    let gc = code(c::PPME_SYSCALL_GETCWD_X);
    let e = run.one(gc, w, |e| int(e, "res") > 0);
    assert_eq!(int(&e, "res"), run.fact("getcwd_res"));
    assert_eq!(raw(&e, "path"), cstr(&cwd).as_slice());
    seen.push(e);
    assert_eq!(run.fact("getcwd_bad_res"), -34);
    let e = run.one(gc, w, |e| int(e, "res") < 0);
    assert_eq!((int(&e, "res"), raw(&e, "path")), (-34, &b""[..]), "ERANGE");
    seen.push(e);
    for e in &seen {
        let mut args = String::new();
        peregrine_event::render::render_args(e, &mut args);
        eprintln!("{} {args}", e.type_name());
    }
}
