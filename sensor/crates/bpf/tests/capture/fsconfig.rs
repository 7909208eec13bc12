//! The fsconfig events of fillers_lim.h, parameter by parameter; included by
//! capture.rs.

use super::common::*;
use peregrine_wire::raw as c;

/// (cmd, result fact, key, value_bytebuf, value_charbuf, aux)
type Want = (
    i64,
    &'static str,
    &'static [u8],
    &'static [u8],
    &'static [u8],
    i64,
);

pub fn check_fsconfig(run: &Run, w: i64) {
    let fd = run.fact("fsopen_fd");
    assert!(fd >= 0, "fsopen: {fd}");
    let code = c::PPME_SYSCALL_FSCONFIG_X as u16;
    let mut seen = Vec::new();
    let want: [Want; 4] = [
        (1, "fsconfig_string", b"size\0", b"", b"1m\0", 0),
        (0, "fsconfig_flag", b"ro\0", b"", b"", 0),
        (2, "fsconfig_binary", b"prgbin\0", b"bin\0\x01", b"", 5),
        (6, "fsconfig_create", b"", b"", b"", 0),
    ];
    for (cmd, res, key, bytes, chars, aux) in want {
        let e = run.one(code, w, |e| int(e, "cmd") == cmd);
        assert_eq!(
            (int(&e, "res"), int(&e, "fd"), int(&e, "aux")),
            (run.fact(res), fd, aux),
            "{res}"
        );
        assert_eq!(
            (
                raw(&e, "key"),
                raw(&e, "value_bytebuf"),
                raw(&e, "value_charbuf")
            ),
            (key, bytes, chars),
            "{res}"
        );
        seen.push(e);
    }
    assert_eq!(run.fact("fsconfig_create"), 0);
    for e in &seen {
        let mut args = String::new();
        peregrine_event::render::render_args(e, &mut args);
        eprintln!("{} {args}", e.type_name());
    }
}
