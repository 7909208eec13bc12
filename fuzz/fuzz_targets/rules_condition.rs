//! The condition parser and compiler must never panic, whatever the text;
//! a condition that parses must print back to text that parses again.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(expr) = peregrine_rules::parser::parse(text) else {
        return;
    };
    let printed = expr.to_string();
    assert!(
        peregrine_rules::parser::parse(&printed).is_ok(),
        "printed condition does not parse: {printed}"
    );
    // Compile it inside a rule: fields, values and event types are checked.
    let rules = format!(
        "- macro: m\n  condition: evt.num=0\n- rule: r\n  desc: d\n  output: o\n  priority: INFO\n  condition: {}\n",
        serde_like_quote(text)
    );
    let _ = peregrine_rules::load_texts(&[("fuzz.yaml".into(), rules)]);
});

/// A YAML double-quoted scalar holding `s`.
fn serde_like_quote(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\x{:02x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}
