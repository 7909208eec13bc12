//! Loading a rules file must give rules or a typed error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = peregrine_rules::load_texts(&[("fuzz.yaml".into(), text.to_string())]);
});
