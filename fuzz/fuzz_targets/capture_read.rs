//! Any bytes as a capture file, read raw and converted: errors are fine,
//! panics, hangs and unbounded allocations are not.
#![no_main]
use libfuzzer_sys::fuzz_target;
use peregrine_event::render::render_args;
use peregrine_scap::CaptureReader;
use std::io::Cursor;

fuzz_target!(|data: &[u8]| {
    for converted in [false, true] {
        let Ok(mut r) = CaptureReader::from_reader(Box::new(Cursor::new(data.to_vec()))) else { return };
        let mut s = String::new();
        for _ in 0..10_000 {
            let next = if converted { r.next_event() } else { r.next_raw() };
            match next {
                Ok(Some(ce)) => {
                    s.clear();
                    render_args(&ce.event, &mut s);
                }
                _ => break,
            }
        }
    }
});
