//! Sockets and anonymous fds found in /proc at startup: a fake proc tree with
//! real-format socket tables, read through the field API. The table lines
//! are as a little-endian kernel prints them (addresses in host order).
#![cfg(target_endian = "little")]

mod common;

use common::*;
use peregrine_event::EventBuilder;
use peregrine_state::{FdInfo, Limits, State};
use peregrine_wire::raw;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::PathBuf;

const TCP: &str = "\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 1002 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:D431 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 1003 1 0000000000000000 20 4 0 10 -1
   3: 0100007F:A767 0100007F:9C8A 06 00000000:00000000 03:00001100 00000000     0        0 0 3 0000000071705bf3
   4: 0100007:1F90 0100007F:D432 01 00000000:00000000 00:00000000 00000000     0        0 1004 1 0000000000000000 20 4 30 10 -1
   5: 0100007F:1F90 zz 01
not a socket line at all
";

const TCP6: &str = "\
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2001 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:0016 0000000000000000FFFF00000200000A:C001 01 00000000:00000000 02:0000A1B2 00000000     0        0 2002 4 0000000000000000 20 4 31 10 -1
   2: 00000000000000000000000001000000:E000 B80D0120000000000000000001000000:01BB 01 00000000:00000000 00:00000000 00000000  1000        0 2003 1 0000000000000000 20 4 0 10 -1
";

const UDP: &str = "\
   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  1: 3500007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 3001 2 0000000000000000 0
  2: 0F00000A:9C40 08080808:0035 01 00000000:00000000 00:00000000 00000000     0        0 3002 2 0000000000000000 0
";

const UNIX: &str = "\
Num       RefCount Protocol Flags    Type St Inode Path
0000000000000000: 00000002 00000000 00010000 0001 01  4001 /run/dbus/system_bus_socket
0000000000000000: 00000003 00000000 00000000 0001 03  4002
0000000000000000: 00000002 00000000 00010000 0005 01  4003 @/tmp/.X11-unix/X0
0000000000000000: 0000000
";

/// A proc tree under a fresh directory, removed on drop.
struct FakeRoot(PathBuf);

impl FakeRoot {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("prg-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("proc")).unwrap();
        FakeRoot(dir)
    }

    /// Process `pid` in network namespace `netns`, with `fds` (number, link
    /// target) and socket `tables` (file name, text) under its net/.
    fn process(&self, pid: u64, netns: u64, fds: &[(i64, &str)], tables: &[(&str, &str)]) {
        let p = self.0.join("proc").join(pid.to_string());
        let task = p.join("task").join(pid.to_string());
        fs::create_dir_all(&task).unwrap();
        fs::write(task.join("status"), "Name:\tfake\nPPid:\t1\n").unwrap();
        fs::create_dir_all(p.join("ns")).unwrap();
        symlink(format!("net:[{netns}]"), p.join("ns/net")).unwrap();
        fs::create_dir_all(p.join("fd")).unwrap();
        for (fd, target) in fds {
            symlink(target, p.join("fd").join(fd.to_string())).unwrap();
        }
        fs::create_dir_all(p.join("net")).unwrap();
        for (file, text) in tables {
            fs::write(p.join("net").join(file), text).unwrap();
        }
    }
}

impl Drop for FakeRoot {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The fields of fd `fd` of process `pid`, read through an event on it.
fn fields(st: &mut State, pid: u64, fd: i64, names: &[&str]) -> Vec<Option<String>> {
    let ev = write(1, pid, fd);
    feed(st, &ev);
    names.iter().map(|n| field(st, &ev, n)).collect()
}

/// Expected values; `NA` where the field has none.
fn strs(v: &[&str]) -> Vec<Option<String>> {
    v.iter()
        .map(|s| (*s != NA).then(|| s.to_string()))
        .collect()
}

const NA: &str = "<NA>";

const HOST_NS: u64 = 4026531840;
const OTHER_NS: u64 = 4026532000;

fn fake_host() -> (FakeRoot, State) {
    let root = FakeRoot::new(&format!("sockets-{:?}", std::thread::current().id()));
    let host_fds: &[(i64, &str)] = &[
        (3, "socket:[1001]"),
        (4, "socket:[1002]"),
        (5, "socket:[1003]"),
        (6, "socket:[1004]"),
        (7, "socket:[2001]"),
        (8, "socket:[2002]"),
        (9, "socket:[2003]"),
        (10, "socket:[3001]"),
        (11, "socket:[3002]"),
        (12, "socket:[4001]"),
        (13, "socket:[4002]"),
        (14, "socket:[4003]"),
        (15, "socket:[9999]"),
        (16, "/memfd:blob (deleted)"),
        (17, "anon_inode:bpf-map"),
        (18, "anon_inode:bpf-prog"),
        (19, "anon_inode:[io_uring]"),
        (20, "anon_inode:[userfaultfd]"),
        (21, "anon_inode:[pidfd]"),
        (22, "anon_inode:[eventfd]"),
        (23, "anon_inode:inotify"),
        (24, "pipe:[77]"),
        (25, "anon_inode:[perf_event]"),
    ];
    let tables = [("tcp", TCP), ("tcp6", TCP6), ("udp", UDP), ("unix", UNIX)];
    root.process(100, HOST_NS, host_fds, &tables);
    // Another namespace: its own table, and an inode only the host's has.
    let other_tcp = TCP.lines().take(1).collect::<Vec<_>>().join("\n")
        + "\n   0: 0300000A:C350 0200000A:0050 01 00000000:00000000 00:00000000 00000000     0        0 5001 1 0000000000000000 20 4 30 10 -1\n";
    root.process(
        200,
        OTHER_NS,
        &[(3, "socket:[5001]"), (4, "socket:[1002]")],
        &[("tcp", &other_tcp)],
    );
    let st = State::from_proc(&root.0, Limits::default());
    (root, st)
}

const INET: &[&str] = &[
    "fd.name",
    "fd.typechar",
    "fd.l4proto",
    "fd.sip",
    "fd.sport",
    "fd.cip",
    "fd.cport",
    "fd.lport",
    "fd.rport",
    "fd.connected",
];

#[test]
fn tcp_listener_accepted_and_connected_sockets_get_their_tuples() {
    let (_root, mut st) = fake_host();
    // Listening on 0.0.0.0:8080: named like a bound server socket; its
    // server address is the bound one (libsinsp's server-socket info).
    assert_eq!(
        fields(&mut st, 100, 3, INET),
        strs(&[
            "0.0.0.0:8080",
            "4",
            "tcp",
            "0.0.0.0",
            "8080",
            NA,
            NA,
            NA,
            NA,
            "false"
        ])
    );
    // Accepted on the listener's port: we are the server.
    let name = "127.0.0.1:54321->127.0.0.1:8080";
    assert_eq!(
        fields(&mut st, 100, 4, INET),
        strs(&[
            name,
            "4",
            "tcp",
            "127.0.0.1",
            "8080",
            "127.0.0.1",
            "54321",
            "8080",
            "54321",
            "true"
        ])
    );
    // Its peer, connected from an ephemeral port: the client.
    assert_eq!(
        fields(&mut st, 100, 5, INET),
        strs(&[
            name,
            "4",
            "tcp",
            "127.0.0.1",
            "8080",
            "127.0.0.1",
            "54321",
            "54321",
            "8080",
            "true"
        ])
    );
}

#[test]
fn malformed_and_unknown_sockets_keep_their_inode_name() {
    let (_root, mut st) = fake_host();
    let names = &["fd.name", "fd.typechar", "fd.l4proto"];
    // 1004's line has a 7-digit address; 9999 is in no table (netlink...).
    for (fd, ino) in [(6, 1004), (15, 9999)] {
        assert_eq!(
            fields(&mut st, 100, fd, names),
            strs(&[&format!("socket:[{ino}]"), "o", NA])
        );
    }
}

#[test]
fn ipv6_tables_give_ipv6_and_ipv4_mapped_connections() {
    let (_root, mut st) = fake_host();
    assert_eq!(
        fields(&mut st, 100, 7, &["fd.name", "fd.typechar", "fd.l4proto"]),
        strs(&[":::22", "6", "tcp"])
    );
    // An IPv4 peer accepted by the dual-stack [::]:22 listener.
    assert_eq!(
        fields(&mut st, 100, 8, INET),
        strs(&[
            "10.0.0.2:49153->127.0.0.1:22",
            "4",
            "tcp",
            "127.0.0.1",
            "22",
            "10.0.0.2",
            "49153",
            "22",
            "49153",
            "true"
        ])
    );
    assert_eq!(
        fields(
            &mut st,
            100,
            9,
            &["fd.name", "fd.typechar", "fd.sip", "fd.lip"]
        ),
        strs(&["::1:57344->2001:db8::1:443", "6", "2001:db8::1", "::1"])
    );
}

#[test]
fn udp_bound_and_connected_sockets() {
    let (_root, mut st) = fake_host();
    assert_eq!(
        fields(&mut st, 100, 10, &["fd.name", "fd.typechar", "fd.l4proto"]),
        strs(&["127.0.0.53:53", "4", "udp"])
    );
    assert_eq!(
        fields(&mut st, 100, 11, INET),
        strs(&[
            "10.0.0.15:40000->8.8.8.8:53",
            "4",
            "udp",
            "8.8.8.8",
            "53",
            "10.0.0.15",
            "40000",
            "40000",
            "53",
            "true"
        ])
    );
}

#[test]
fn unix_sockets_are_named_by_their_path() {
    let (_root, mut st) = fake_host();
    let names = &["fd.name", "fd.typechar", "fd.sockfamily", "fd.type"];
    assert_eq!(
        fields(&mut st, 100, 12, names),
        strs(&["/run/dbus/system_bus_socket", "u", "unix", "unix"])
    );
    assert_eq!(
        fields(&mut st, 100, 13, names),
        strs(&["", "u", "unix", "unix"])
    );
    assert_eq!(
        fields(&mut st, 100, 14, names),
        strs(&["@/tmp/.X11-unix/X0", "u", "unix", "unix"])
    );
}

#[test]
fn each_network_namespace_has_its_own_tables() {
    let (_root, mut st) = fake_host();
    assert_eq!(
        fields(&mut st, 200, 3, &["fd.name", "fd.typechar"]),
        strs(&["10.0.0.3:50000->10.0.0.2:80", "4"])
    );
    // The host's socket is not in this namespace's tables.
    assert_eq!(
        fields(&mut st, 200, 4, &["fd.name", "fd.typechar"]),
        strs(&["socket:[1002]", "o"])
    );
}

/// Regression: `/memfd:` names were typed as files by the path test.
#[test]
fn memfd_is_not_a_file_and_anon_inodes_have_their_types() {
    let (_root, mut st) = fake_host();
    let names = &["fd.name", "fd.typechar", "fd.type"];
    for (fd, want) in [
        (16, ["memfd:blob", "m", "memfd"]),
        (17, ["anon_inode:bpf-map", "b", "bpf"]),
        (18, ["anon_inode:bpf-prog", "b", "bpf"]),
        (19, ["anon_inode:[io_uring]", "r", "io_uring"]),
        (20, ["anon_inode:[userfaultfd]", "u", "userfaultfd"]),
        (21, ["anon_inode:[pidfd]", "P", "pidfd"]),
        (22, ["anon_inode:[eventfd]", "e", "event"]),
        (23, ["anon_inode:inotify", "i", "inotify"]),
        (24, ["pipe:[77]", "p", "pipe"]),
        (25, ["anon_inode:[perf_event]", "o", "unknown"]),
    ] {
        assert_eq!(fields(&mut st, 100, fd, names), strs(&want), "fd {fd}");
    }
}

fn sockaddr4(ip: [u8; 4], port: u16) -> Vec<u8> {
    let mut a = vec![raw::PPM_AF_INET as u8];
    a.extend_from_slice(&ip);
    a.extend_from_slice(&port.to_le_bytes());
    a
}

fn bind(ts: u64, tid: u64, fd: i64, addr: &[u8]) -> Vec<u8> {
    EventBuilder::new()
        .i64(0)
        .raw(addr)
        .i64(fd)
        .finish(ts, tid, raw::PPME_SOCKET_BIND_X as u16)
        .unwrap()
}

fn accept4(ts: u64, tid: u64, fd: i64, tuple: &[u8]) -> Vec<u8> {
    EventBuilder::new()
        .i64(fd)
        .raw(tuple)
        .u8(0)
        .u32(0)
        .u32(128)
        .u32(0)
        .finish(ts, tid, raw::PPME_SOCKET_ACCEPT4_6_X as u16)
        .unwrap()
}

/// An fd as the event parsers leave it, for comparison: the inode and the
/// raw name are what only /proc knows.
fn shape(st: &State, pid: u64, fd: i64) -> FdInfo {
    let mut f = (**st.fd(pid, fd).expect("fd")).clone();
    f.ino = 0;
    f.nameraw.clone_from(&f.name);
    f
}

/// Seeded sockets look exactly like sockets set up under our eyes, so a
/// rule sees no difference between a connection from before startup and
/// one after it.
#[test]
fn seeded_sockets_have_the_shape_the_event_parsers_give() {
    let (_root, mut st) = fake_host();
    const AF_INET: u32 = 2;
    let local = [127, 0, 0, 1];
    for ev in [
        socket(10, 100, 60, AF_INET, 1),
        bind(11, 100, 60, &sockaddr4([0; 4], 8080)),
        accept4(12, 100, 61, &tuple4(local, 54321, local, 8080)),
        socket(13, 100, 62, AF_INET, 1),
        connect(14, 100, 0, 62, &tuple4(local, 54321, local, 8080)),
        socket(15, 100, 63, AF_INET, 2),
        bind(16, 100, 63, &sockaddr4([127, 0, 0, 53], 53)),
        socket(17, 100, 64, AF_INET, 2),
        connect(18, 100, 0, 64, &tuple4([10, 0, 0, 15], 40000, [8; 4], 53)),
    ] {
        feed(&mut st, &ev);
    }
    for (seeded, live) in [(3, 60), (4, 61), (5, 62), (10, 63), (11, 64)] {
        assert_eq!(
            shape(&st, 100, seeded),
            shape(&st, 100, live),
            "fd {seeded}"
        );
    }
    assert_eq!(st.fd(100, 3).map(|f| f.ino), Some(1001));
}
