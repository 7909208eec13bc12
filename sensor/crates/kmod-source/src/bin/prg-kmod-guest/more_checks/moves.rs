//! Expectations of the data movers (more_workload/moves.rs), parameter by
//! parameter.

use std::collections::HashMap;

use anyhow::Result;
use peregrine_wire::raw;

use super::of;
use crate::check::{get, n, s, Pred};

pub(super) fn add(
    x: &HashMap<String, String>,
    add: &mut dyn FnMut(&'static str, Pred),
) -> Result<()> {
    let pid: i64 = get(x, "pid")?;
    let wl = of(pid);
    let v = |k: &str| get::<i64>(x, k);
    let (inf, outf) = (v("move_in")?, v("move_out")?);
    let (pr, pw) = (v("preadv_res")?, v("pwritev_res")?);
    add(
        "preadv of two iovecs at pos 5",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_PREADV_X)
                && (n(e, 0), n(e, 1)) == (pr, 10)
                && s(e, 2) == b"56789abcde"
                && (n(e, 3), n(e, 4)) == (inf, 5)
        }),
    );
    add(
        "pwritev of two iovecs at pos 3",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_PWRITEV_X)
                && n(e, 0) == pw
                && s(e, 1) == b"hello world"
                && (n(e, 2), n(e, 3), n(e, 4)) == (outf, 11, 3)
        }),
    );
    let (sf, off) = (v("sendfile_res")?, v("sendfile_off")?);
    add(
        "sendfile: offset after the call",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_SENDFILE_X)
                && (n(e, 0), n(e, 1), n(e, 2), n(e, 3), n(e, 4)) == (sf, off, outf, inf, 4)
        }),
    );
    let (sp, pipe) = (v("splice_res")?, v("splice_pipe")?);
    add(
        "splice into a pipe, SPLICE_F_MOVE|SPLICE_F_MORE",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_SPLICE_X)
                && (n(e, 0), n(e, 1), n(e, 2), n(e, 3), n(e, 4)) == (sp, inf, pipe, 8, 5)
        }),
    );
    let (cfr, oi, oo) = (v("cfr_res")?, v("cfr_offin")?, v("cfr_offout")?);
    add(
        "copy_file_range: offsets after the call",
        Box::new(move |e| {
            wl(e, raw::PPME_SYSCALL_COPY_FILE_RANGE_X)
                && (n(e, 0), n(e, 1), n(e, 2), n(e, 3), n(e, 4), n(e, 5))
                    == (cfr, outf, oo, inf, oi, 5)
        }),
    );
    Ok(())
}
