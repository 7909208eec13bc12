use super::*;
use peregrine_event::{EventBuilder, EventRef};

fn openat_exit() -> Vec<u8> {
    // openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3 (event-schema.md 4.1 example 2)
    let mut b = EventBuilder::new();
    b.i64(3)
        .i64(-100)
        .str("/etc/passwd")
        .u32(0x1001)
        .u32(0)
        .u32(0x803)
        .u64(131090);
    b.finish(0x18A2_B3C4_D5E6_F800, 4242, 307).unwrap()
}

fn render(fmt: &str, bytes: &[u8]) -> Option<String> {
    let f = Format::parse(fmt).unwrap();
    let ctx = EventContext {
        event: EventRef::parse(bytes).unwrap(),
        num: 7,
        cpu: 1,
        state: None,
    };
    let mut s = String::new();
    f.render(&ctx, &mut s).then_some(s)
}

#[test]
fn decoder_fields_render_like_sysdig() {
    let ev = openat_exit();
    assert_eq!(
        render("%evt.num %evt.dir %evt.type %thread.tid %evt.res", &ev).unwrap(),
        "7 < openat 4242 SUCCESS"
    );
    assert_eq!(
        render("%evt.args", &ev).unwrap(),
        "fd=3 dirfd=-100(AT_FDCWD) name=/etc/passwd flags=4097(O_RDONLY|O_CLOEXEC) mode=0 dev=803 ino=131090"
    );
    assert_eq!(
        render("%evt.arg.flags %evt.rawarg.flags %(evt.arg[2])", &ev).unwrap(),
        "4097(O_RDONLY|O_CLOEXEC) 4097 /etc/passwd"
    );
}

#[test]
fn missing_field_skips_event_unless_star() {
    let ev = openat_exit();
    assert_eq!(render("%evt.num %proc.name", &ev), None);
    assert_eq!(render("*%evt.num %proc.name", &ev).unwrap(), "7 <NA>");
    assert_eq!(render("*%evt.arg.nosuch", &ev).unwrap(), "<NA>");
}

#[test]
fn format_errors_name_the_column() {
    assert_eq!(
        Format::parse("*%evt.num %evt.bogus").unwrap_err(),
        FormatError::UnknownField {
            name: "evt.bogus".into(),
            column: 11
        }
    );
    assert_eq!(
        Format::parse("%(evt.num").unwrap_err(),
        FormatError::Unclosed { column: 1 }
    );
    assert_eq!(
        Format::parse("a % b").unwrap_err(),
        FormatError::Empty { column: 3 }
    );
}

#[test]
fn failed_result_prints_errno_name() {
    let mut b = EventBuilder::new();
    b.i64(-2).i64(-100).str("/nope").u32(1).u32(0).u32(0).u64(0);
    let ev = b.finish(1, 2, 307).unwrap();
    assert_eq!(
        render("%evt.res %evt.rawres %evt.failed %evt.arg.fd", &ev).unwrap(),
        "ENOENT -2 true -2(ENOENT)"
    );
}
