//! The block reader's read-ahead window (256 KiB): blocks larger than it,
//! blocks straddling its edge, gzip, and a file cut inside a large block.

use std::io::Cursor;

use peregrine_event::{EventBuilder, EventRef};
use peregrine_scap::{CaptureReader, CaptureWriter, Metadata, ProcInfo, ScapError};
use peregrine_wire::raw;

/// The reader serves blocks from a 256 KiB read-ahead window: blocks larger
/// than it, blocks straddling its edge, and a file cut inside a large block
/// must read exactly as through plain `Read` calls.
#[test]
fn blocks_larger_than_the_read_window_and_cut_inside_one() {
    // ~600 KiB of process list in one block.
    let m = Metadata {
        procs: (1..=3000u64)
            .map(|tid| ProcInfo {
                tid,
                pid: tid,
                comm: b"worker".to_vec(),
                args: vec![b'a'; 200],
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    let mut w = CaptureWriter::new(Vec::new(), &m).unwrap();
    for i in 0..20_000u64 {
        let e = EventBuilder::new()
            .i64(i as i64)
            .raw(&vec![b'x'; (i % 97) as usize])
            .finish(i, 7, raw::PPME_GENERIC_E as u16)
            .unwrap();
        w.write_event(&EventRef::parse(&e).unwrap(), 0, 0).unwrap();
    }
    let file = w.finish().unwrap();
    for gzip in [false, true] {
        let bytes = if gzip {
            let mut g = CaptureWriter::new_gzip(Vec::new(), &m).unwrap();
            let mut r = CaptureReader::from_reader(Box::new(Cursor::new(file.clone()))).unwrap();
            while let Some(ce) = r.next_raw().unwrap() {
                g.write_event(&ce.event, ce.cpu, ce.dump_flags).unwrap();
            }
            g.finish().unwrap()
        } else {
            file.clone()
        };
        let mut r = CaptureReader::from_reader(Box::new(Cursor::new(bytes))).unwrap();
        assert_eq!(r.metadata().procs.len(), 3000);
        assert_eq!(r.metadata().procs[2999].args.len(), 200);
        let mut n = 0u64;
        while let Some(ce) = r.next_raw().unwrap() {
            assert_eq!(ce.event.ts(), n);
            assert_eq!(ce.event.param_raw(1).unwrap().len(), (n % 97) as usize);
            n += 1;
        }
        assert_eq!(n, 20_000, "gzip={gzip}");
        assert_eq!(r.stats().bytes, file.len() as u64);
    }
    // Cut inside the process list: truncated, with what was asked and got.
    let cut = 300_000;
    let err = CaptureReader::from_reader(Box::new(Cursor::new(file[..cut].to_vec())))
        .err()
        .expect("a cut file is refused");
    match err {
        ScapError::Truncated { need, have, .. } => assert!(have < need, "{need} {have}"),
        e => panic!("unexpected error {e}"),
    }
}
