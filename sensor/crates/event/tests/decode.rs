//! Decoding the byte-exact examples of event-schema.md §4 and malformed input.

use peregrine_event::render::{render_args, render_res, type_name};
use peregrine_event::{DecodeError, Direction, EventBuilder, EventRef, Param, SockAddr, SockTuple};

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

/// event-schema.md 4.1, worked example 1: close(3) = 0.
const CLOSE_X: &str =
    "08 F7 E6 D5 C4 B3 A2 18 92 10 00 00 00 00 00 00 2E 00 00 00 05 00 02 00 00 00 \
                       08 00 08 00 00 00 00 00 00 00 00 00 03 00 00 00 00 00 00 00";

#[test]
fn worked_example_close_decodes() {
    let b = hex(CLOSE_X);
    let ev = EventRef::parse(&b).unwrap();
    assert_eq!(
        (ev.ts(), ev.tid(), ev.len(), ev.code(), ev.nparams()),
        (0x18A2B3C4D5E6F708, 4242, 46, 5, 2)
    );
    assert_eq!(ev.direction(), Direction::Exit);
    assert_eq!(ev.type_name(), "close");
    assert_eq!(ev.param(0), Some(Param::Errno(0)));
    assert_eq!(ev.param_by_name("fd"), Some(Param::Fd(3)));
    assert_eq!(render_res(&ev).as_deref(), Some("SUCCESS"));
}

#[test]
fn builder_reproduces_worked_example_openat() {
    // event-schema.md 4.1, worked example 2.
    let want = hex(
        "00 F8 E6 D5 C4 B3 A2 18 92 10 00 00 00 00 00 00 58 00 00 00 33 01 07 00 00 00 \
         08 00 08 00 0C 00 04 00 04 00 04 00 08 00 \
         03 00 00 00 00 00 00 00 9C FF FF FF FF FF FF FF 2F 65 74 63 2F 70 61 73 73 77 64 00 \
         01 10 00 00 00 00 00 00 03 08 00 00 12 00 02 00 00 00 00 00",
    );
    let mut b = EventBuilder::new();
    b.i64(3)
        .i64(-100)
        .str("/etc/passwd")
        .u32(0x1001)
        .u32(0)
        .u32(0x803)
        .u64(131090);
    assert_eq!(b.finish(0x18A2B3C4D5E6F800, 4242, 307).unwrap(), want);
    let ev = EventRef::parse(&want).unwrap();
    let mut s = String::new();
    render_args(&ev, &mut s);
    assert_eq!(s, "fd=3 dirfd=-100(AT_FDCWD) name=/etc/passwd flags=4097(O_RDONLY|O_CLOEXEC) mode=0 dev=803 ino=131090");
}

#[test]
fn sockaddr_and_socktuple_examples() {
    // connect(127.0.0.1:8080), 4.11; outbound tuple 10.0.0.5:43210 -> 93.184.216.34:443, 4.12.
    let addr = hex("02 7F 00 00 01 90 1F");
    let tuple = hex("02 0A 00 00 05 CA A8 5D B8 D8 22 BB 01");
    let mut b = EventBuilder::new();
    b.i64(0).raw(&tuple).i64(3).raw(&addr);
    let bytes = b.finish(1, 1, 23).unwrap();
    let ev = EventRef::parse(&bytes).unwrap();
    assert_eq!(
        ev.param(3),
        Some(Param::SockAddr(SockAddr::Inet {
            addr: [127, 0, 0, 1],
            port: 8080
        }))
    );
    assert_eq!(
        ev.param(1),
        Some(Param::SockTuple(SockTuple::Inet {
            sip: [10, 0, 0, 5],
            sport: 43210,
            dip: [93, 184, 216, 34],
            dport: 443
        }))
    );
    let mut s = String::new();
    render_args(&ev, &mut s);
    assert_eq!(
        s,
        "res=0 tuple=10.0.0.5:43210->93.184.216.34:443 fd=3 addr=127.0.0.1:8080"
    );
}

#[test]
fn generic_event_named_after_its_syscall() {
    // GENERIC_X: ID (PPM_SC) unknown to the table, nativeID 262 = newfstatat.
    let bytes = EventBuilder::new()
        .u16(9999)
        .u16(262)
        .finish(1, 1, 1)
        .unwrap();
    assert_eq!(type_name(&EventRef::parse(&bytes).unwrap()), "newfstatat");
    let bytes = EventBuilder::new().u16(324).finish(1, 1, 1).unwrap();
    assert_eq!(type_name(&EventRef::parse(&bytes).unwrap()), "execve");
}

#[test]
fn fewer_params_than_table_are_accepted() {
    let bytes = EventBuilder::new().i64(0).finish(1, 1, 5).unwrap();
    let ev = EventRef::parse(&bytes).unwrap();
    assert_eq!(ev.param_by_name("fd"), None);
    assert_eq!(ev.param(0), Some(Param::Errno(0)));
}

#[test]
fn truncated_header_is_an_error() {
    let b = hex(CLOSE_X);
    assert_eq!(
        EventRef::parse(&b[..20]).unwrap_err(),
        DecodeError::Truncated { need: 26, have: 20 }
    );
}

#[test]
fn length_past_buffer_is_an_error() {
    let b = hex(CLOSE_X);
    assert_eq!(
        EventRef::parse(&b[..40]).unwrap_err(),
        DecodeError::LengthOverflow { len: 46, avail: 40 }
    );
}

#[test]
fn more_than_32_params_is_an_error() {
    let mut b = hex(CLOSE_X);
    b[22] = 33;
    assert!(matches!(
        EventRef::parse(&b).unwrap_err(),
        DecodeError::TooManyParams { nparams: 33, .. }
    ));
}

#[test]
fn param_lengths_overflowing_event_is_an_error() {
    let mut b = hex(CLOSE_X);
    b[26] = 0xff; // first length 255
    assert!(matches!(
        EventRef::parse(&b).unwrap_err(),
        DecodeError::ParamsOverflow { .. }
    ));
}

#[test]
fn length_smaller_than_length_array_is_an_error() {
    let mut b = hex(CLOSE_X);
    b[16] = 27; // len 27 < 26 + 2*2
    assert!(matches!(
        EventRef::parse(&b).unwrap_err(),
        DecodeError::LengthTooSmall { len: 27, min: 30 }
    ));
}

#[test]
fn wrong_sized_fixed_param_is_malformed_not_a_panic() {
    let bytes = EventBuilder::new().raw(&[1, 2, 3]).finish(1, 1, 5).unwrap();
    let ev = EventRef::parse(&bytes).unwrap();
    assert_eq!(ev.param(0), Some(Param::Malformed(&[1, 2, 3])));
    let mut s = String::new();
    render_args(&ev, &mut s);
    assert_eq!(s, "res=<malformed 3 bytes>");
}

#[test]
fn large_payload_events_use_u32_lengths() {
    // CONTAINER_JSON_2_E (324) is large-payload.
    let json = "x".repeat(70_000);
    let bytes = EventBuilder::new().str(&json).finish(1, 1, 324).unwrap();
    let ev = EventRef::parse(&bytes).unwrap();
    assert!(ev.is_large());
    assert_eq!(ev.param_raw(0).unwrap().len(), 70_001);
}
