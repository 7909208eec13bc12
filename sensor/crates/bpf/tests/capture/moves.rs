//! The events of fillers_move.h (preadv, pwritev, sendfile, splice,
//! copy_file_range), parameter by parameter; included by capture.rs.

use super::common::*;
use peregrine_wire::raw as c;

pub fn check_data_movers(run: &Run, w: i64) {
    let code = |v: u32| v as u16;
    let (inf, outf) = (run.fact("move_in"), run.fact("move_out"));
    assert!(inf >= 0 && outf >= 0, "open: {inf} {outf}");
    let mut seen = Vec::new();

    assert_eq!(run.fact("preadv_res"), 10);
    let e = run.one(code(c::PPME_SYSCALL_PREADV_X), w, |_| true);
    assert_eq!(
        (int(&e, "res"), int(&e, "size"), raw(&e, "data")),
        (10, 10, &b"56789abcde"[..]),
        "data: both iovecs, from pos 5"
    );
    assert_eq!((int(&e, "fd"), int(&e, "pos")), (inf, 5));
    seen.push(e);

    assert_eq!(run.fact("pwritev_res"), 11);
    let e = run.one(code(c::PPME_SYSCALL_PWRITEV_X), w, |_| true);
    assert_eq!(
        (int(&e, "res"), raw(&e, "data"), int(&e, "fd")),
        (11, &b"hello world"[..], outf)
    );
    assert_eq!((int(&e, "size"), int(&e, "pos")), (11, 3));
    seen.push(e);

    assert_eq!(run.fact("sendfile_res"), 4);
    let e = run.one(code(c::PPME_SYSCALL_SENDFILE_X), w, |_| true);
    assert_eq!(
        (
            int(&e, "res"),
            int(&e, "offset"),
            int(&e, "out_fd"),
            int(&e, "in_fd"),
            int(&e, "size")
        ),
        (4, run.fact("sendfile_off"), outf, inf, 4),
        "offset: where the call left it (2 + 4)"
    );
    seen.push(e);

    assert_eq!(run.fact("splice_res"), 8);
    let e = run.one(code(c::PPME_SYSCALL_SPLICE_X), w, |_| true);
    assert_eq!(
        (
            int(&e, "res"),
            int(&e, "fd_in"),
            int(&e, "fd_out"),
            int(&e, "size"),
            int(&e, "flags")
        ),
        (8, inf, run.fact("splice_pipe"), 8, 1 | 4),
        "SPLICE_F_MOVE|SPLICE_F_MORE"
    );
    seen.push(e);

    assert_eq!(run.fact("cfr_res"), 5);
    let e = run.one(code(c::PPME_SYSCALL_COPY_FILE_RANGE_X), w, |_| true);
    assert_eq!(
        (
            int(&e, "res"),
            int(&e, "fdout"),
            int(&e, "offout"),
            int(&e, "fdin"),
            int(&e, "offin"),
            int(&e, "len")
        ),
        (
            5,
            outf,
            run.fact("cfr_offout"),
            inf,
            run.fact("cfr_offin"),
            5
        ),
        "offsets: where the call left them"
    );
    seen.push(e);
    for e in &seen {
        let mut args = String::new();
        peregrine_event::render::render_args(e, &mut args);
        eprintln!("{} {args}", e.type_name());
    }
}
