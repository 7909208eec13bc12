//! fd.name_changed: set by the events that rename an fd they act on.

mod common;

use common::*;
use peregrine_state::{Limits, State};

const AF_INET: u32 = 2;
const SOCK_DGRAM: u32 = 2;
const SOCK_STREAM: u32 = 1;

fn process() -> State {
    let mut st = State::new(Limits::default());
    feed(&mut st, &clone_ev(1, 60, 0, 60, 1, "dig", 0));
    st
}

/// The upstream rules' outbound-UDP macros test `fd.name_changed=true` on
/// sendto/sendmsg: true when the datagram's peer renamed the socket, false
/// when it went where the socket was already named.
#[test]
fn udp_sendto_to_a_new_peer_changes_the_name_then_not_again() {
    let mut st = process();
    let s = socket(2, 60, 3, AF_INET, SOCK_DGRAM);
    feed(&mut st, &s);
    assert_eq!(field(&st, &s, "fd.name_changed").as_deref(), Some("false"));
    let dns = tuple4([10, 0, 0, 5], 40000, [8, 8, 8, 8], 53);
    let first = sendto(3, 60, 3, &dns);
    feed(&mut st, &first);
    assert_eq!(
        field(&st, &first, "fd.name").as_deref(),
        Some("10.0.0.5:40000->8.8.8.8:53")
    );
    assert_eq!(
        field(&st, &first, "fd.name_changed").as_deref(),
        Some("true")
    );
    let again = sendto(4, 60, 3, &dns);
    feed(&mut st, &again);
    assert_eq!(
        field(&st, &again, "fd.name_changed").as_deref(),
        Some("false")
    );
    let other = sendto(5, 60, 3, &tuple4([10, 0, 0, 5], 40000, [1, 1, 1, 1], 53));
    feed(&mut st, &other);
    assert_eq!(
        field(&st, &other, "fd.name_changed").as_deref(),
        Some("true")
    );
    // An event on the fd that does not rename it, and one without an fd.
    let w = write(6, 60, 3);
    feed(&mut st, &w);
    assert_eq!(field(&st, &w, "fd.name_changed").as_deref(), Some("false"));
    let u = unshare(7, 60, 0, 0);
    feed(&mut st, &u);
    assert_eq!(field(&st, &u, "fd.name_changed"), None);
}

#[test]
fn connect_renames_the_socket_but_a_failed_connect_does_not() {
    let mut st = process();
    feed(&mut st, &socket(2, 60, 4, AF_INET, SOCK_STREAM));
    let refused = connect(
        3,
        60,
        -111,
        4,
        &tuple4([10, 0, 0, 5], 40001, [10, 0, 0, 9], 80),
    );
    feed(&mut st, &refused);
    assert_eq!(
        field(&st, &refused, "fd.name_changed").as_deref(),
        Some("false")
    );
    let ok = connect(
        4,
        60,
        0,
        4,
        &tuple4([10, 0, 0, 5], 40002, [10, 0, 0, 9], 80),
    );
    feed(&mut st, &ok);
    assert_eq!(field(&st, &ok, "fd.name_changed").as_deref(), Some("true"));
    assert_eq!(field(&st, &ok, "fd.connected").as_deref(), Some("true"));
}

#[test]
fn opening_a_file_is_not_a_rename() {
    let mut st = process();
    let o = openat(2, 60, 5, "/etc/resolv.conf", 0x1);
    feed(&mut st, &o);
    assert_eq!(field(&st, &o, "fd.name_changed").as_deref(), Some("false"));
}
