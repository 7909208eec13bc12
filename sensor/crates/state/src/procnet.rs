//! The socket tables of a network namespace (`/proc/<pid>/net/tcp`, `udp`,
//! `raw`, their IPv6 twins and `unix`), so that sockets opened before we
//! started are named and typed as if we had seen them being set up — what
//! sysdig and Falco do at startup — rather than staying `socket:[INODE]`.
//!
//! A /proc table is outside input: a line that does not parse is skipped.

use crate::fd::{tuple_name, FdInfo, FdType, Role, Tuple};
use rustc_hash::{FxHashMap, FxHashSet};
use std::fs;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

/// TCP states as the tables print them (include/net/tcp_states.h).
const TCP_SYN_SENT: u8 = 0x02;
const TCP_CLOSE: u8 = 0x07;
const TCP_LISTEN: u8 = 0x0a;
/// `__SO_ACCEPTCON` in /proc/net/unix's Flags: a listening socket.
const UNIX_ACCEPTCON: u32 = 1 << 16;
/// `SS_CONNECTED` in /proc/net/unix's St column.
const UNIX_CONNECTED: u8 = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Sock {
    Inet {
        proto: &'static str,
        v6_table: bool,
        local: (IpAddr, u16),
        remote: (IpAddr, u16),
        state: u8,
    },
    Unix {
        path: String,
        listening: bool,
        connected: bool,
    },
}

/// One namespace's sockets by inode.
#[derive(Debug, Default)]
pub(crate) struct NetTables {
    socks: FxHashMap<u64, Sock>,
    /// Local endpoints of listening TCP sockets: an established socket on
    /// one of them was accepted, so we are its server.
    tcp_listen: FxHashSet<(IpAddr, u16)>,
}

impl NetTables {
    /// The tables under `net_dir` (a `/proc/<pid>/net`); missing or
    /// unreadable ones (no IPv6, a process gone) are empty.
    pub(crate) fn read(net_dir: &Path) -> Self {
        let mut t = NetTables::default();
        for (file, proto, v6) in [
            ("tcp", "tcp", false),
            ("tcp6", "tcp", true),
            ("udp", "udp", false),
            ("udp6", "udp", true),
            ("raw", "raw", false),
            ("raw6", "raw", true),
        ] {
            if let Ok(text) = fs::read(net_dir.join(file)) {
                t.add_inet(&String::from_utf8_lossy(&text), proto, v6);
            }
        }
        if let Ok(text) = fs::read(net_dir.join("unix")) {
            t.add_unix(&String::from_utf8_lossy(&text));
        }
        t
    }

    /// Lines of tcp/udp/raw (v4 or v6): `sl local rem st tx:rx tr:when
    /// retrnsmt uid timeout inode ...`, after one header line.
    fn add_inet(&mut self, text: &str, proto: &'static str, v6_table: bool) {
        for line in text.lines().skip(1) {
            let mut f = [""; 10];
            for (slot, t) in f.iter_mut().zip(line.split_whitespace()) {
                *slot = t;
            }
            // Inode 0: no socket behind the entry any more (TIME_WAIT, which
            // can be most of a busy host's table), so not worth parsing.
            let inode = match f[9].parse::<u64>() {
                Ok(0) | Err(_) => continue,
                Ok(i) => i,
            };
            let (Some(local), Some(remote), Ok(state)) = (
                parse_endpoint(f[1]),
                parse_endpoint(f[2]),
                u8::from_str_radix(f[3], 16),
            ) else {
                continue;
            };
            if proto == "tcp" && state == TCP_LISTEN {
                self.tcp_listen.insert((unmap(local.0), local.1));
            }
            self.socks.insert(
                inode,
                Sock::Inet {
                    proto,
                    v6_table,
                    local,
                    remote,
                    state,
                },
            );
        }
    }

    /// Lines of unix: `Num: RefCount Protocol Flags Type St Inode [Path]`.
    /// The inode column is space-padded and a path may hold spaces, so the
    /// path is whatever follows the inode.
    fn add_unix(&mut self, text: &str) {
        for line in text.lines().skip(1) {
            let mut rest = line;
            let mut f = [""; 7];
            let mut complete = true;
            for slot in f.iter_mut() {
                let t = rest.trim_start();
                let end = t.find(' ').unwrap_or(t.len());
                if end == 0 {
                    complete = false;
                    break;
                }
                *slot = &t[..end];
                rest = &t[end..];
            }
            let (true, Some(flags), Some(st), Some(inode)) = (
                complete,
                u32::from_str_radix(f[3], 16).ok(),
                u8::from_str_radix(f[5], 16).ok(),
                f[6].parse::<u64>().ok(),
            ) else {
                continue;
            };
            self.socks.insert(
                inode,
                Sock::Unix {
                    path: rest.trim().to_string(),
                    listening: flags & UNIX_ACCEPTCON != 0,
                    connected: st == UNIX_CONNECTED,
                },
            );
        }
    }

    /// The fd for socket `inode`, shaped as the event parsers shape the
    /// same socket (parse/net.rs); `None` when the tables do not know it
    /// (netlink, packet, sockets of another namespace).
    pub(crate) fn fd_info(&self, inode: u64) -> Option<FdInfo> {
        let mut f = match self.socks.get(&inode)? {
            Sock::Unix {
                path,
                listening,
                connected,
            } => {
                // Only the bound end shows a path; the peer is not in the
                // table, so a connected socket is named by path alone, as
                // a capture's fd list names it.
                let mut f = FdInfo::new(FdType::Unix, path.clone());
                f.role = if *listening {
                    Role::Server
                } else {
                    Role::Unknown
                };
                f.connected = *connected;
                f
            }
            &Sock::Inet {
                proto,
                v6_table,
                local,
                remote,
                state,
            } => self.inet_fd(proto, v6_table, local, remote, state),
        };
        f.ino = inode;
        Some(f)
    }

    fn inet_fd(
        &self,
        proto: &'static str,
        v6_table: bool,
        local: (IpAddr, u16),
        remote: (IpAddr, u16),
        state: u8,
    ) -> FdInfo {
        let v6_type = if v6_table { FdType::Ipv6 } else { FdType::Ipv4 };
        if remote.0.is_unspecified() && remote.1 == 0 {
            // Listening or merely bound: named by the local address, a
            // server, as after bind (which keeps the address as given).
            let mut f = FdInfo::new(v6_type, format!("{}:{}", local.0, local.1));
            f.role = Role::Server;
            f.l4proto = proto;
            return f;
        }
        // Connected: an IPv4 peer of a dual-stack socket is an IPv4
        // connection, as set_tuple makes it.
        let (local, remote, ftype) = match (mapped(local.0), mapped(remote.0)) {
            (Some(l), Some(r)) => ((l, local.1), (r, remote.1), FdType::Ipv4),
            _ => (local, remote, v6_type),
        };
        let accepted = proto == "tcp"
            && [
                local.0,
                IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                Ipv6Addr::UNSPECIFIED.into(),
            ]
            .iter()
            .any(|ip| self.tcp_listen.contains(&(*ip, local.1)));
        // The tuple is client first whatever our role (accept: the peer is
        // the client; connect: we are).
        let (role, client, server) = if accepted {
            (Role::Server, remote, local)
        } else {
            (Role::Client, local, remote)
        };
        let t = Tuple {
            cip: client.0,
            cport: client.1,
            sip: server.0,
            sport: server.1,
        };
        let mut f = FdInfo::new(ftype, tuple_name(&t));
        f.tuple = Some(t);
        f.role = role;
        f.l4proto = proto;
        // connect() in progress (EINPROGRESS) or failed leaves it unconnected.
        f.connected = proto != "tcp" || !matches!(state, TCP_SYN_SENT | TCP_CLOSE);
        f
    }
}

/// The IPv4 address inside an IPv4-mapped IPv6 one.
fn mapped(ip: IpAddr) -> Option<IpAddr> {
    match ip {
        IpAddr::V6(a) => a.to_ipv4_mapped().map(IpAddr::V4),
        IpAddr::V4(_) => None,
    }
}

/// Listening addresses compared as IPv4 where they are IPv4-mapped.
fn unmap(ip: IpAddr) -> IpAddr {
    mapped(ip).unwrap_or(ip)
}

/// `ADDR:PORT` in hex: the address as 32-bit words printed in host byte
/// order (8 digits for IPv4, 32 for IPv6), the port as a number.
fn parse_endpoint(s: &str) -> Option<(IpAddr, u16)> {
    let (a, p) = s.split_once(':')?;
    let port = u16::from_str_radix(p, 16).ok()?;
    let word = |i: usize| -> Option<[u8; 4]> {
        let h = a.get(i * 8..i * 8 + 8)?;
        // from_str_radix would take a sign; the kernel never prints one.
        if !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(h, 16).ok().map(u32::to_ne_bytes)
    };
    let ip = match a.len() {
        8 => IpAddr::V4(Ipv4Addr::from(word(0)?)),
        32 => {
            let mut b = [0u8; 16];
            for (i, chunk) in b.chunks_exact_mut(4).enumerate() {
                chunk.copy_from_slice(&word(i)?);
            }
            IpAddr::V6(Ipv6Addr::from(b))
        }
        _ => return None,
    };
    Some((ip, port))
}

/// The inode of an fd link target `socket:[INODE]`.
pub(crate) fn socket_inode(link: &str) -> Option<u64> {
    link.strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

#[cfg(all(test, target_endian = "little"))]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_host_order_words() {
        assert_eq!(
            parse_endpoint("0100007F:1F90"),
            Some((Ipv4Addr::new(127, 0, 0, 1).into(), 8080))
        );
        assert_eq!(
            parse_endpoint("00000000000000000000000001000000:0016"),
            Some((Ipv6Addr::LOCALHOST.into(), 22))
        );
        assert_eq!(
            parse_endpoint("0000000000000000FFFF00000100007F:0050"),
            Some(("::ffff:127.0.0.1".parse().unwrap(), 80))
        );
        for bad in [
            "",
            "0100007F",
            "0100007:1F90",
            "+100007F:1F90",
            "0100007F:1F9G",
        ] {
            assert_eq!(parse_endpoint(bad), None, "{bad}");
        }
        // Multi-byte text must not split inside a character.
        assert_eq!(parse_endpoint("éééé0000:0001"), None);
    }

    #[test]
    fn socket_links_give_their_inode() {
        assert_eq!(socket_inode("socket:[293044]"), Some(293044));
        assert_eq!(socket_inode("socket:[]"), None);
        assert_eq!(socket_inode("pipe:[5]"), None);
    }

    #[test]
    fn unix_paths_keep_spaces_and_short_lines_are_skipped() {
        let mut t = NetTables::default();
        t.add_unix(
            "Num       RefCount Protocol Flags    Type St Inode Path\n\
             0000000000000000: 00000002 00000000 00010000 0001 01  1062 /run/a b.sock\n\
             0000000000000000: 00000003 00000000 00000000 0001 03\n\
             0000000000000000: 00000003 00000000 00000000 0001 03 77\n",
        );
        assert_eq!(t.socks.len(), 2);
        let f = t.fd_info(1062).unwrap();
        assert_eq!((f.name.as_str(), f.role), ("/run/a b.sock", Role::Server));
        let f = t.fd_info(77).unwrap();
        assert_eq!((f.name.as_str(), f.connected), ("", true));
    }
}
