//! The process and fd lists of a big host go in as many blocks as they
//! need, none near the MAX_BLOCK_LEN readers enforce, and read back whole.

use peregrine_scap::{CaptureReader, CaptureWriter, FdEntry, FdInfo, Metadata, ProcInfo};
use peregrine_wire::raw;
use std::io::Cursor;

/// (block type, total length) of every block of a plain capture.
fn blocks(b: &[u8]) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let mut o = 0;
    while let Some(h) = b.get(o..o + 8) {
        let t = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
        let len = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
        assert!(len >= 12, "block at {o}: length {len}");
        out.push((t, len));
        o += len as usize;
    }
    out
}

#[test]
fn big_process_and_fd_lists_split_into_blocks_that_read_back_whole() {
    // 3000 threads with a 4 KiB environment (Kubernetes puts one variable
    // per service in every pod's) and one process with 90k open files.
    let procs: Vec<ProcInfo> = (1..=3000u64)
        .map(|tid| ProcInfo {
            tid,
            pid: tid - (tid - 1) % 4,
            comm: format!("w{tid}").into_bytes(),
            env: format!("K{tid}={}\0", "v".repeat(4000)).into_bytes(),
            ..Default::default()
        })
        .collect();
    let file = |tid, fd: i64| FdEntry {
        tid,
        fd,
        ino: fd as u64,
        info: FdInfo::File {
            open_flags: 1,
            name: format!("/var/lib/data/{fd:0>80}").into_bytes(),
            dev: Some(8),
        },
    };
    let mut fds: Vec<FdEntry> = (0..90_000).map(|fd| file(1, fd)).collect();
    fds.push(file(5, 3));
    let meta = Metadata {
        procs,
        fds,
        ..Default::default()
    };
    let bytes = CaptureWriter::new(Vec::new(), &meta)
        .unwrap()
        .finish()
        .unwrap();

    let bl = blocks(&bytes);
    let count = |t: u32| bl.iter().filter(|b| b.0 == t).count();
    assert!(count(raw::PL_BLOCK_TYPE_V9) >= 2, "{bl:?}");
    // tid 1's run spans blocks; tid 5 has its own.
    assert!(count(raw::FDL_BLOCK_TYPE_V2) >= 3, "{bl:?}");
    let max = bl.iter().map(|b| b.1).max().unwrap_or(0);
    assert!(
        max <= peregrine_scap::MAX_BLOCK_LEN / 16,
        "largest block {max}"
    );

    let r = CaptureReader::from_reader(Box::new(Cursor::new(bytes))).unwrap();
    let back = r.metadata();
    assert_eq!(back.procs.len(), meta.procs.len());
    assert!(back.procs == meta.procs, "process list differs");
    assert!(back.fds == meta.fds, "fd lists differ");
}
