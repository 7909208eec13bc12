//! Sockets: creation, connect/accept/bind, and the tuples that name them.

use super::int;
use crate::fd::{tuple_name, FdInfo, FdType, Role, Tuple};
use crate::State;
use peregrine_event::{EventRef, Param, SockAddr, SockTuple};
use peregrine_wire::raw;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

impl State {
    /// sendto/sendmsg/recvfrom/recvmsg on a socket carry the tuple the
    /// kernel used: an unconnected (UDP) socket takes that as its name.
    pub(super) fn on_tuple_update(&mut self, ev: &EventRef<'_>, fd: Option<i64>) {
        let (Some(fd), Some(old)) = (fd, self.cur_fd.info.clone()) else {
            return;
        };
        if !matches!(old.ftype, FdType::Ipv4 | FdType::Ipv6 | FdType::Unix) {
            return; // not known to be a socket
        }
        let mut f = (*old).clone();
        let role = if old.role == Role::Unknown {
            Role::Client
        } else {
            old.role
        };
        if !set_tuple(&mut f, ev, role) {
            return;
        }
        // Inbound calls carry (peer, local); a client names itself first.
        let inbound = matches!(
            ev.info().map(|i| i.name),
            Some("recvfrom" | "recvmsg" | "recv")
        );
        if let (true, Role::Client, Some(t)) = (inbound, role, f.tuple) {
            let swapped = Tuple {
                cip: t.sip,
                cport: t.sport,
                sip: t.cip,
                sport: t.cport,
            };
            f.tuple = Some(swapped);
            f.name = tuple_name(&swapped);
        }
        if *old != f {
            self.replace_fd(ev.tid(), fd, &old, f);
        }
    }

    /// Stores `new` in place of `old` as the event's fd, noting whether the
    /// event renamed it (`fd.name_changed`: an unconnected UDP socket taking
    /// each datagram's peer as its name, a connect, a bind).
    fn replace_fd(&mut self, tid: u64, fd: i64, old: &FdInfo, new: FdInfo) {
        self.cur_fd.name_changed = old.name != new.name;
        let pid = self.pid_of(tid);
        self.cur_fd.info = self.insert_fd(pid, fd, new);
    }

    /// connect's enter event: a unix socket is named after the path it
    /// connects to until the exit tells the full tuple.
    pub(super) fn on_connect_enter(&mut self, ev: &EventRef<'_>) {
        let tid = ev.tid();
        let fd = int(ev, "fd");
        self.use_fd(tid, fd);
        let (Some(fd), Some(old)) = (fd, self.cur_fd.info.clone()) else {
            return;
        };
        if let Some(Param::SockAddr(SockAddr::Unix(p))) = ev.param_by_name("addr") {
            if old.name.is_empty() {
                let mut f = (*old).clone();
                f.ftype = FdType::Unix;
                f.name = String::from_utf8_lossy(p).into_owned();
                self.replace_fd(tid, fd, &old, f);
            }
        }
    }

    pub(super) fn on_socket(&mut self, ev: &EventRef<'_>) {
        let domain = ev
            .param_by_name("domain")
            .and_then(|p| p.as_u64())
            .unwrap_or(0) as u32;
        let ty = ev
            .param_by_name("type")
            .and_then(|p| p.as_u64())
            .unwrap_or(0)
            & 0xf;
        let ftype = match domain {
            raw::PPM_AF_INET => FdType::Ipv4,
            raw::PPM_AF_INET6 => FdType::Ipv6,
            raw::PPM_AF_UNIX => FdType::Unix,
            16 => FdType::Netlink,
            _ => FdType::Other,
        };
        let mut f = FdInfo::new(ftype, String::new());
        f.l4proto = match ty {
            1 if matches!(ftype, FdType::Ipv4 | FdType::Ipv6) => "tcp",
            2 if matches!(ftype, FdType::Ipv4 | FdType::Ipv6) => "udp",
            3 => "raw",
            _ => "",
        };
        self.new_fd(ev.tid(), ev.result(), f);
    }

    pub(super) fn on_socketpair(&mut self, ev: &EventRef<'_>) {
        if ev.result() != Some(0) {
            return;
        }
        let pid = self.pid_of(ev.tid());
        for n in ["fd2", "fd1"] {
            if let Some(fd) = int(ev, n) {
                self.cur_fd.num = Some(fd);
                self.cur_fd.info =
                    self.insert_fd(pid, fd, FdInfo::new(FdType::Unix, String::new()));
            }
        }
    }

    pub(super) fn on_connect(&mut self, ev: &EventRef<'_>) {
        let tid = ev.tid();
        let fd = int(ev, "fd");
        let res = ev.result().unwrap_or(-1);
        self.use_fd(tid, fd);
        let (Some(fd), Some(old)) = (fd, self.cur_fd.info.clone()) else {
            return;
        };
        let mut f = (*old).clone();
        if !set_tuple(&mut f, ev, Role::Client) {
            return;
        }
        f.connected = res == 0;
        if res == 0 || res == -115 {
            // Connected (or in progress, EINPROGRESS): the fd takes the tuple.
            self.replace_fd(tid, fd, &old, f);
        } else {
            // A failed connect shows where it went, but the fd keeps its name.
            self.cur_fd.info = Some(std::sync::Arc::new(f));
        }
    }

    /// A bound socket is named after its local address (a server, usually).
    pub(super) fn on_bind(&mut self, ev: &EventRef<'_>) {
        let tid = ev.tid();
        let fd = int(ev, "fd");
        if let (Some(fd), Some(0)) = (fd, ev.result()) {
            if let Some(old) = self.fd(tid, fd).cloned() {
                let name = match ev.param_by_name("addr") {
                    Some(Param::SockAddr(SockAddr::Inet { addr, port })) => {
                        Some(format!("{}:{port}", Ipv4Addr::from(addr)))
                    }
                    Some(Param::SockAddr(SockAddr::Inet6 { addr, port })) => {
                        Some(format!("{}:{port}", Ipv6Addr::from(addr)))
                    }
                    Some(Param::SockAddr(SockAddr::Unix(p))) => {
                        Some(String::from_utf8_lossy(p).into_owned())
                    }
                    _ => None,
                };
                if let Some(name) = name {
                    let mut f = (*old).clone();
                    f.name = name;
                    f.role = Role::Server;
                    self.cur_fd.num = Some(fd);
                    self.replace_fd(tid, fd, &old, f);
                    return;
                }
            }
        }
        self.use_fd(tid, fd);
    }

    pub(super) fn on_accept(&mut self, ev: &EventRef<'_>) {
        let tid = ev.tid();
        let res = ev.result();
        let mut f = FdInfo::new(FdType::Other, String::new());
        set_tuple(&mut f, ev, Role::Server);
        if f.ftype == FdType::Other {
            f.ftype = FdType::Unix;
        }
        f.connected = true;
        self.new_fd(tid, res, f);
    }
}

/// Fills endpoints and name from the event's `tuple`; false when it has none.
pub(super) fn set_tuple(f: &mut FdInfo, ev: &EventRef<'_>, role: Role) -> bool {
    let Some(Param::SockTuple(t)) = ev.param_by_name("tuple") else {
        return false;
    };
    // The wire tuple is src->dst: for outbound calls src is us (the client);
    // for inbound ones src is the peer (also the client).
    let (tuple, ftype) = match t {
        SockTuple::Inet {
            sip,
            sport,
            dip,
            dport,
        } => (
            Tuple {
                cip: IpAddr::V4(Ipv4Addr::from(sip)),
                cport: sport,
                sip: IpAddr::V4(Ipv4Addr::from(dip)),
                sport: dport,
            },
            FdType::Ipv4,
        ),
        SockTuple::Inet6 {
            sip,
            sport,
            dip,
            dport,
        } => {
            let (s6, d6) = (Ipv6Addr::from(sip), Ipv6Addr::from(dip));
            // IPv4 peers of a dual-stack socket are IPv4 connections.
            match (s6.to_ipv4_mapped(), d6.to_ipv4_mapped()) {
                (Some(s4), Some(d4)) => (
                    Tuple {
                        cip: IpAddr::V4(s4),
                        cport: sport,
                        sip: IpAddr::V4(d4),
                        sport: dport,
                    },
                    FdType::Ipv4,
                ),
                _ => (
                    Tuple {
                        cip: IpAddr::V6(s6),
                        cport: sport,
                        sip: IpAddr::V6(d6),
                        sport: dport,
                    },
                    FdType::Ipv6,
                ),
            }
        }
        SockTuple::Unix { src, dst, path } => {
            f.ftype = FdType::Unix;
            f.name = format!("{src:x}->{dst:x} {}", String::from_utf8_lossy(path));
            f.role = role;
            return true;
        }
        SockTuple::Other { .. } => return false,
    };
    f.ftype = ftype;
    f.name = tuple_name(&tuple);
    f.tuple = Some(tuple);
    f.role = role;
    if f.l4proto.is_empty() {
        f.l4proto = "tcp";
    }
    true
}
