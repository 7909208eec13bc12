//! Sockets this test process holds before the state is seeded from the
//! host's /proc: they must carry their addresses, as if seen being set up.

mod common;

use common::*;
use peregrine_state::{Limits, State};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixListener;
use std::path::Path;

fn fields(st: &mut State, fd: &impl AsRawFd, names: &[&str]) -> Vec<Option<String>> {
    let me = std::process::id() as u64;
    let ev = write(1, me, fd.as_raw_fd() as i64);
    feed(st, &ev);
    names.iter().map(|n| field(st, &ev, n)).collect()
}

fn strs(v: &[&str]) -> Vec<Option<String>> {
    v.iter().map(|s| Some(s.to_string())).collect()
}

#[test]
fn live_sockets_opened_before_startup_have_their_tuples() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let cport = client.local_addr().unwrap().port();
    let (accepted, _) = listener.accept().unwrap();
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.connect(("127.0.0.1", 9)).unwrap();
    let uport = udp.local_addr().unwrap().port();
    let dir = std::env::temp_dir().join(format!("prg-live-unix-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s.sock");
    let unix = UnixListener::bind(&path).unwrap();

    let mut st = State::from_proc(Path::new("/"), Limits::default());
    let _ = std::fs::remove_dir_all(&dir);

    let names = ["fd.name", "fd.typechar", "fd.l4proto"];
    assert_eq!(
        fields(&mut st, &listener, &names),
        strs(&[&format!("127.0.0.1:{port}"), "4", "tcp"])
    );
    let tuple = format!("127.0.0.1:{cport}->127.0.0.1:{port}");
    let inet = ["fd.name", "fd.typechar", "fd.sport", "fd.lport", "fd.rport"];
    assert_eq!(
        fields(&mut st, &client, &inet),
        strs(&[
            &tuple,
            "4",
            &port.to_string(),
            &cport.to_string(),
            &port.to_string()
        ])
    );
    assert_eq!(
        fields(&mut st, &accepted, &inet),
        strs(&[
            &tuple,
            "4",
            &port.to_string(),
            &port.to_string(),
            &cport.to_string()
        ])
    );
    assert_eq!(
        fields(&mut st, &udp, &["fd.name", "fd.l4proto", "fd.sip"]),
        strs(&[
            &format!("127.0.0.1:{uport}->127.0.0.1:9"),
            "udp",
            "127.0.0.1"
        ])
    );
    assert_eq!(
        fields(&mut st, &unix, &["fd.name", "fd.typechar", "fd.sockfamily"]),
        strs(&[&path.to_string_lossy(), "u", "unix"])
    );
}

/// IPv6 where the host has ::1 (a host without it cannot run this part).
#[test]
fn live_ipv6_listener_and_connection() {
    let Ok(listener) = TcpListener::bind("[::1]:0") else {
        eprintln!("no ::1 on this host; IPv6 not checked");
        return;
    };
    let port = listener.local_addr().unwrap().port();
    let client = TcpStream::connect(("::1", port)).unwrap();
    let cport = client.local_addr().unwrap().port();
    let mut st = State::from_proc(Path::new("/"), Limits::default());
    assert_eq!(
        fields(&mut st, &listener, &["fd.name", "fd.typechar"]),
        strs(&[&format!("::1:{port}"), "6"])
    );
    assert_eq!(
        fields(&mut st, &client, &["fd.name", "fd.typechar", "fd.sip"]),
        strs(&[&format!("::1:{cport}->::1:{port}"), "6", "::1"])
    );
}
