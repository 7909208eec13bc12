//! Seeding fds from a capture's fd list.

use crate::fd::{l4proto_name, tuple_name, FdInfo, FdType, Role, Tuple};
use crate::thread::lossy;
use peregrine_scap::FdInfo as ScapFd;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An fd from a capture's fd list.
pub(crate) fn from_scap_fd(e: &ScapFd, ino: u64) -> FdInfo {
    let v4 = |a: u32| IpAddr::V4(Ipv4Addr::from(a.to_le_bytes()));
    let mut f = match e {
        ScapFd::Ipv4Sock {
            sip,
            dip,
            sport,
            dport,
            l4proto,
        } => {
            let t = Tuple {
                cip: v4(*sip),
                cport: *sport,
                sip: v4(*dip),
                sport: *dport,
            };
            let mut f = FdInfo::new(FdType::Ipv4, tuple_name(&t));
            f.tuple = Some(t);
            f.l4proto = l4proto_name(*l4proto);
            f.role = Role::Client;
            f
        }
        ScapFd::Ipv6Sock {
            sip,
            dip,
            sport,
            dport,
            l4proto,
        } => {
            let t = Tuple {
                cip: IpAddr::V6((*sip).into()),
                cport: *sport,
                sip: IpAddr::V6((*dip).into()),
                sport: *dport,
            };
            let mut f = FdInfo::new(FdType::Ipv6, tuple_name(&t));
            f.tuple = Some(t);
            f.l4proto = l4proto_name(*l4proto);
            f.role = Role::Client;
            f
        }
        ScapFd::Ipv4ServSock { ip, port, l4proto } => {
            let mut f = FdInfo::new(FdType::Ipv4, format!("{}:{port}", v4(*ip)));
            f.l4proto = l4proto_name(*l4proto);
            f.role = Role::Server;
            f
        }
        ScapFd::Ipv6ServSock { ip, port, l4proto } => {
            let mut f = FdInfo::new(FdType::Ipv6, format!("{}:{port}", Ipv6Addr::from(*ip)));
            f.l4proto = l4proto_name(*l4proto);
            f.role = Role::Server;
            f
        }
        ScapFd::Unix { name, .. } => FdInfo::new(FdType::Unix, lossy(name)),
        ScapFd::File {
            open_flags,
            name,
            dev,
        } => {
            let mut f = FdInfo::new(FdType::File, lossy(name));
            f.open_flags = *open_flags;
            f.dev = dev.unwrap_or(0);
            f
        }
        ScapFd::Named { fd_type, name } => {
            let name = lossy(name);
            // Our writer stores types newer than 2022's readers know as
            // unsupported, named; the name says the type.
            let t = match FdType::from_scap(*fd_type) {
                FdType::Other => crate::procfs::anon_type(&name).unwrap_or(FdType::Other),
                t => t,
            };
            FdInfo::new(t, name)
        }
        ScapFd::Other { fd_type, .. } => FdInfo::new(FdType::from_scap(*fd_type), String::new()),
    };
    f.ino = ino;
    f
}
