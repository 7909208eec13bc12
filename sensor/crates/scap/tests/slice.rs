//! The in-memory fast path yields exactly what the streaming reader yields.

use peregrine_scap::{CaptureReader, ScapError, SliceEvents};
use std::path::Path;

#[test]
fn slice_events_equal_streaming_reader_on_every_plain_fixture() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../tests/fixtures");
    let mut checked = 0;
    for dir in [
        "captures/upstream",
        "captures/anchor-vm",
        "falco-0.35-tests/trace_files",
    ] {
        for e in std::fs::read_dir(root.join(dir)).unwrap().flatten() {
            let p = e.path();
            if p.extension().is_none_or(|x| x != "scap") {
                continue;
            }
            let mut data = std::fs::read(&p).unwrap();
            if data.starts_with(&[0x1f, 0x8b]) {
                // The slice path takes uncompressed bytes.
                let mut plain = Vec::new();
                std::io::Read::read_to_end(
                    &mut flate2::read::MultiGzDecoder::new(&data[..]),
                    &mut plain,
                )
                .unwrap();
                data = plain;
            }
            let mut r = CaptureReader::open(&p).unwrap();
            let mut n = 0;
            for ce in SliceEvents::new(&data).unwrap() {
                let ce = match ce {
                    Ok(ce) => ce,
                    // Old V1 blocks are refused by name; the streaming reader widens them.
                    Err(ScapError::V1InSlice { .. }) => {
                        while r.next_raw().unwrap().is_some() {}
                        assert!(r.stats().v1_events > 0, "{}", p.display());
                        break;
                    }
                    Err(e) => panic!("{}: {e}", p.display()),
                };
                let want = r.next_raw().unwrap().unwrap();
                assert_eq!(
                    (ce.event.as_bytes(), ce.cpu, ce.num, ce.offset),
                    (want.event.as_bytes(), want.cpu, want.num, want.offset)
                );
                n += 1;
            }
            assert!(
                r.next_raw().unwrap().is_none(),
                "{}: slice stopped early after {n}",
                p.display()
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 12);
}

#[test]
fn slice_truncated_block_names_its_offset() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../tests/fixtures/captures/anchor-vm/known-workload.scap");
    let data = std::fs::read(root).unwrap();
    let cut = &data[..data.len() - 10];
    let err = SliceEvents::new(cut)
        .unwrap()
        .find_map(Result::err)
        .unwrap();
    assert!(
        matches!(
            err,
            ScapError::Truncated {
                block_type: Some(_),
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("offset"), "{err}");
}
