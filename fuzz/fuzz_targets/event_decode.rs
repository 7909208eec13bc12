//! Any bytes given to the event decoder: a typed error or a valid view whose
//! every parameter decodes and renders, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use peregrine_event::render::{render_args, render_res, type_name};
use peregrine_event::EventRef;

fuzz_target!(|data: &[u8]| {
    for large in [false, true] {
        if let Ok(ev) = EventRef::parse_with(data, large) {
            let mut s = String::new();
            render_args(&ev, &mut s);
            let _ = render_res(&ev);
            let _ = type_name(&ev);
            for p in ev.params() {
                assert!(p.len() <= data.len());
            }
        }
    }
});
