//! Operator and language semantics (rules.md §1.6, §2.3-2.4), checked by
//! counting alerts over Falco 0.35's `cat_write.scap` (a `cat /dev/null`:
//! 4 `open` enter and 4 exit events of `cat`, one exit on /dev/null).

use peregrine_rules::{load_texts, ErrorCode, RuleSet};
use peregrine_scap::CaptureReader;
use peregrine_state::{Limits, State};
use std::path::PathBuf;

fn trace(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../tests/fixtures/falco-0.35-tests/trace_files")
        .join(name)
}

fn rules(text: &str) -> RuleSet {
    match load_texts(&[("t.yaml".into(), text.into())]) {
        Ok((rs, _)) => rs,
        Err(f) => panic!("{}", f.error),
    }
}

fn alerts(rs: &RuleSet, file: &str) -> usize {
    let mut r = CaptureReader::open(&trace(file)).expect("trace");
    let mut st = State::from_capture(r.metadata(), Limits::default());
    let mut n = 0;
    while let Some(ce) = r.next_event().expect("decode") {
        st.process(&ce.event);
        n += rs.evaluate(&ce.event, &st, ce.num, ce.cpu).len();
    }
    n
}

fn rule(cond: &str) -> String {
    format!("- rule: r\n  desc: d\n  output: \"%proc.name %fd.name\"\n  priority: WARNING\n  condition: '{}'\n", cond.replace('\'', "''"))
}

fn count(cond: &str) -> usize {
    alerts(&rules(&rule(cond)), "cat_write.scap")
}

#[test]
fn baseline() {
    assert_eq!(count("evt.type=open and proc.name=cat"), 8);
    assert_eq!(count("evt.type=open and fd.name=/dev/null"), 1);
}

#[test]
fn missing_field_is_false_even_for_not_equal() {
    assert_eq!(count("evt.type=open and fd.cport != 5"), 0);
    assert_eq!(count("evt.type=open and not fd.cport = 5"), 8);
    assert_eq!(count("evt.type=open and fd.cport exists"), 0);
}

#[test]
fn string_operators() {
    assert_eq!(count("evt.type=open and fd.name glob \"/dev/?ul*\""), 1);
    assert_eq!(count("evt.type=open and fd.name pmatch (/dev)"), 1);
    assert_eq!(count("evt.type=open and fd.name pmatch (/de)"), 0);
    assert_eq!(
        count("evt.type=open and proc.cmdline icontains \"CAT /DEV\""),
        8
    );
    assert_eq!(
        count("evt.type=open and fd.name regex \"/dev/nul\""),
        0,
        "regex is anchored"
    );
    assert_eq!(count("evt.type=open and fd.name regex \"/dev/nul+\""), 1);
    assert_eq!(
        count("evt.type=open and fd.name endswith null and fd.name startswith /dev"),
        1
    );
    assert_eq!(
        count("evt.type=open and proc.name startswith anyof (x, ca)"),
        8
    );
    assert_eq!(
        count("evt.type=open and proc.name startswith allof (x, ca)"),
        0
    );
}

#[test]
fn numbers_transformers_and_val() {
    assert_eq!(
        count("evt.type=open and fd.num >= 0 and evt.rawres >= 0"),
        4
    );
    // The other 4 are open enter events (kept, as current Falco does), without a result.
    assert_eq!(
        count("evt.type=open and evt.dir = \">\" and not evt.rawres exists"),
        4
    );
    assert_eq!(count("evt.type=open and toupper(proc.name) = CAT"), 8);
    assert_eq!(count("evt.type=open and len(proc.name) = 3"), 8);
    assert_eq!(count("evt.type=open and proc.name = val(proc.name)"), 8);
    assert_eq!(count("evt.type=open and basename(fd.name) = null"), 1);
}

#[test]
fn exceptions_and_overrides() {
    let base = rule("evt.type=open and proc.name=cat");
    let with_exc = format!("{base}  exceptions:\n  - name: devnull\n    fields: [fd.name]\n    values: [[/dev/null]]\n");
    assert_eq!(alerts(&rules(&with_exc), "cat_write.scap"), 7);
    let scalar = format!(
        "{base}  exceptions:\n  - name: names\n    fields: proc.name\n    values: [cat, dog]\n"
    );
    assert_eq!(alerts(&rules(&scalar), "cat_write.scap"), 0);
    let appended = format!(
        "{base}- rule: r\n  condition: and fd.name=/dev/null\n  override:\n    condition: append\n"
    );
    assert_eq!(alerts(&rules(&appended), "cat_write.scap"), 1);
    let replaced =
        format!("{base}- rule: r\n  priority: ERROR\n  override:\n    priority: replace\n");
    let rs = rules(&replaced);
    assert_eq!(rs.rules()[0].priority, peregrine_rules::Priority::Error);
    let bad = format!(
        "{base}- rule: r\n  priority: ERROR\n  desc: x\n  override:\n    priority: replace\n"
    );
    let e = load_texts(&[("t.yaml".into(), bad)]).unwrap_err();
    assert_eq!(e.error.code, ErrorCode::YamlValidate);
}

#[test]
fn compile_errors_name_the_place() {
    let e = load_texts(&[(
        "t.yaml".into(),
        "- list: x\n  items: [a]\n".to_string() + &rule("fd.num = abc"),
    )])
    .unwrap_err();
    assert_eq!(e.error.code, ErrorCode::CompileCondition);
    assert_eq!(e.error.message, "'abc' is not a valid number");
    let loc = e.error.loc.clone().expect("location");
    assert_eq!((loc.line, loc.col), (7, 14));
    let e = load_texts(&[("t.yaml".into(), rule("evt.type = nosuch"))]).unwrap_err();
    assert_eq!(e.error.message, "unknown event type nosuch");
    let e = load_texts(&[("t.yaml".into(), rule("proc.nosuch = 1"))]).unwrap_err();
    assert_eq!(
        e.error.message,
        "filter_check called with nonexistent field proc.nosuch"
    );
    let loc = e.error.loc.clone().expect("location");
    assert_eq!((loc.line, loc.col), (5, 15), "the field itself");
}

/// Regression: an unknown field inside a macro was reported at the start of
/// the rule's condition, with the rule's text, so the user looked for it in
/// the wrong place. Now: the macro's line and column, the macro named.
#[test]
fn unknown_field_in_a_nested_macro_points_into_the_macro() {
    let text = "- macro: inner\n  condition: proc.nmae = cat\n\
                - macro: outer\n  condition: evt.type = open and inner\n"
        .to_string()
        + &rule("outer and fd.name = /etc/passwd");
    let e = load_texts(&[("t.yaml".into(), text)]).unwrap_err();
    assert_eq!(
        e.error.message,
        "filter_check called with nonexistent field proc.nmae"
    );
    assert_eq!(e.error.item.name, "r");
    let loc = e.error.loc.clone().expect("location");
    assert_eq!((loc.line, loc.col), (2, 14));
    let snip = e.error.snippet.clone().unwrap_or_default();
    assert!(
        snip.starts_with("macro 'inner' (t.yaml:2:14): proc.nmae"),
        "{snip}"
    );
}

#[test]
fn all_matches_mode_fires_every_rule() {
    let two = rule("evt.type=open and proc.name=cat")
        + &rule("evt.type=open").replace("rule: r", "rule: r2");
    let mut rs = rules(&two);
    assert_eq!(alerts(&rs, "cat_write.scap"), 8);
    rs.matching = peregrine_rules::Matching::All;
    assert_eq!(alerts(&rs, "cat_write.scap"), 16);
}

/// Predicates are specialised per event type and shared sub-conditions are
/// memoised per event: neither may change what matches.
#[test]
fn type_specialisation_and_memo_keep_meaning() {
    assert_eq!(
        count("(evt.type=open or evt.type=close) and not evt.type=close and proc.name=cat"),
        8
    );
    let closes = count("evt.type=close");
    assert!(closes > 0);
    assert_eq!(
        count("evt.type in (open, close) and (evt.type != open or fd.name=/dev/null)"),
        closes + 1
    );
    let shared = "- macro: m\n  condition: (evt.type=open and proc.name=cat)\n".to_string()
        + &rule("m and fd.name=/dev/null")
        + &rule("m").replace("rule: r", "rule: r2");
    assert_eq!(alerts(&rules(&shared), "cat_write.scap"), 8);
}

#[test]
fn append_output_and_container_info() {
    let mut rs = rules(&rule("evt.type=open and fd.name=/dev/null"));
    rs.append_output("syscall", peregrine_rules::SUGGESTED_OUTPUT)
        .unwrap();
    let mut r = CaptureReader::open(&trace("cat_write.scap")).expect("trace");
    let mut st = State::from_capture(r.metadata(), Limits::default());
    let mut msgs = Vec::new();
    while let Some(ce) = r.next_event().expect("decode") {
        st.process(&ce.event);
        msgs.extend(
            rs.evaluate(&ce.event, &st, ce.num, ce.cpu)
                .into_iter()
                .map(|a| a.message),
        );
    }
    assert_eq!(msgs, ["cat /dev/null container_id=host container_name=<NA> container_image_repository=<NA> container_image_tag=<NA> k8s_pod_name=<NA> k8s_ns_name=<NA>"]);
    let text = rule("evt.type=open").replace("%proc.name %fd.name", "%proc.name %container.info");
    let (rs, w) = load_texts(&[("t.yaml".into(), text)]).unwrap();
    assert!(w
        .iter()
        .any(|w| w.code == peregrine_rules::WarningCode::DeprecatedItem));
    assert_eq!(rs.rules().len(), 1);
}

/// Or-chains of startswith/contains on one field run as one automaton.
#[test]
fn fused_literal_alternatives() {
    let c = "evt.type=open and (fd.name startswith /x or fd.name startswith /dev/n or proc.name=nope or fd.name startswith /y)";
    assert_eq!(count(c), 1);
    let c =
        "evt.type=open and (fd.name contains qq or fd.name contains ev/nu or fd.name contains zz)";
    assert_eq!(count(c), 1);
    let c = "evt.type=open and not (fd.name startswith /a or fd.name startswith /b or fd.name startswith /c)";
    assert_eq!(
        count(c),
        8,
        "enter events have no fd.name: the checks are false, so `not` is true"
    );
}

/// A syntax error in a condition written on one line names its column.
#[test]
fn parse_errors_name_the_column() {
    let text = "- macro: m\n  condition: evt.type=execve foo\n- macro: q\n  condition: \"proc.name in (a, b\"\n";
    let e = load_texts(&[("t.yaml".into(), text.into())]).unwrap_err();
    let l = e.error.loc.clone().expect("loc");
    assert_eq!((l.line, l.col), (2, 30), "{}", e.error);
    let text = "- macro: q\n  condition: \"proc.name in (a, b\"\n";
    let e = load_texts(&[("t.yaml".into(), text.into())]).unwrap_err();
    let l = e.error.loc.clone().expect("loc");
    assert_eq!((l.line, l.col), (2, 33), "{}", e.error);
}

#[test]
fn output_width_pads_and_truncates() {
    let text = rule("evt.type=open and fd.name=/dev/null").replace(
        "%proc.name %fd.name",
        "[%5proc.name][%4fd.name][%(proc.name)]",
    );
    let rs = rules(&text);
    let mut r = CaptureReader::open(&trace("cat_write.scap")).expect("trace");
    let mut st = State::from_capture(r.metadata(), Limits::default());
    let mut msgs = Vec::new();
    while let Some(ce) = r.next_event().expect("decode") {
        st.process(&ce.event);
        msgs.extend(
            rs.evaluate(&ce.event, &st, ce.num, ce.cpu)
                .into_iter()
                .map(|a| a.message),
        );
    }
    assert_eq!(msgs, ["[cat  ][/dev][cat]"]);
}

/// Regression: fd.name_changed and container.start_ts were typed as strings
/// once state gained them (they had been unavailable fields), so numeric
/// comparisons were refused and booleans compared as text.
#[test]
fn state_fields_added_later_keep_their_types() {
    // cat_write.scap opens files only: no open renames an fd.
    let opens = count("evt.type = open");
    assert!(opens > 0);
    // Exits only: an enter event has no fd, so the field is missing (false).
    assert_eq!(
        count("evt.type = open and fd.name_changed = false"),
        count("evt.type = open and evt.dir = <")
    );
    assert_eq!(count("evt.type = open and fd.name_changed = true"), 0);
    // Host processes have no container start.
    assert_eq!(count("evt.type = open and container.start_ts > 0"), 0);
    assert_eq!(
        count("evt.type = open and proc.pidns_init_start_ts >= 0"),
        opens
    );
}
