//! Data movers (kmod/module/prg_move.c) on files under the directory:
//! preadv/pwritev with a position, sendfile with an offset, splice into a
//! pipe and copy_file_range.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Result};

use super::{close, iov, ok, sys};
use crate::workload::cstr;

pub(super) fn run(dir: &Path, e: &mut String) -> Result<()> {
    let src = dir.join("move.txt");
    std::fs::write(&src, "0123456789abcdefghij")?;
    let (s, d) = (cstr(&src)?, cstr(&dir.join("moved.txt"))?);
    let inf = ok(
        "open move.txt",
        sys(libc::SYS_open, [s.as_ptr() as usize, 0, 0, 0, 0, 0]),
    )?;
    let flags = (libc::O_RDWR | libc::O_CREAT) as usize;
    let outf = ok(
        "open moved.txt",
        sys(libc::SYS_open, [d.as_ptr() as usize, flags, 0o600, 0, 0, 0]),
    )?;
    let (mut a, mut b) = ([0u8; 4], [0u8; 6]);
    let rv = [iov(a.as_mut_ptr(), 4), iov(b.as_mut_ptr(), 6)];
    let pr = ok(
        "preadv",
        sys(
            libc::SYS_preadv,
            [inf as usize, rv.as_ptr() as usize, 2, 5, 0, 0],
        ),
    )?;
    if pr != 10 || [&a[..], &b[..]].concat() != b"56789abcde" {
        bail!("preadv read {pr} bytes");
    }
    let (h, w) = (b"hello ", b"world");
    let wv = [iov(h.as_ptr(), 6), iov(w.as_ptr(), 5)];
    let pw = ok(
        "pwritev",
        sys(
            libc::SYS_pwritev,
            [outf as usize, wv.as_ptr() as usize, 2, 3, 0, 0],
        ),
    )?;
    let mut off: i64 = 2;
    let offp = &mut off as *mut i64 as usize;
    let sf = ok(
        "sendfile",
        sys(
            libc::SYS_sendfile,
            [outf as usize, inf as usize, offp, 4, 0, 0],
        ),
    )?;
    let mut p = [0i32; 2];
    // pipe2 without flags: the pipe and pipe2 checks expect other calls.
    ok(
        "pipe2",
        sys(libc::SYS_pipe2, [p.as_mut_ptr() as usize, 0, 0, 0, 0, 0]),
    )?;
    let mut off_in: i64 = 0;
    let sp = ok(
        "splice",
        sys(
            libc::SYS_splice,
            [
                inf as usize,
                &mut off_in as *mut i64 as usize,
                p[1] as usize,
                0,
                8,
                1 | 4, // SPLICE_F_MOVE | SPLICE_F_MORE
            ],
        ),
    )?;
    let (mut oi, mut oo): (i64, i64) = (10, 0);
    let cfr = ok(
        "copy_file_range",
        sys(
            libc::SYS_copy_file_range,
            [
                inf as usize,
                &mut oi as *mut i64 as usize,
                outf as usize,
                &mut oo as *mut i64 as usize,
                5,
                0,
            ],
        ),
    )?;
    let _ = writeln!(
        e,
        "move_in={inf}\nmove_out={outf}\npreadv_res={pr}\npwritev_res={pw}\n\
         sendfile_res={sf}\nsendfile_off={off}\nsplice_pipe={}\nsplice_res={sp}\n\
         cfr_res={cfr}\ncfr_offin={oi}\ncfr_offout={oo}",
        p[1]
    );
    for fd in [p[0] as i64, p[1] as i64, outf, inf] {
        close(fd);
    }
    Ok(())
}
