//! File descriptors: their type, name and, for sockets, endpoints.

use std::net::IpAddr;

/// fd types, with sysdig's type characters (`fd.typechar`) and names (`fd.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FdType {
    File,
    Directory,
    Ipv4,
    Ipv6,
    Unix,
    Pipe,
    Event,
    Signalfd,
    Eventpoll,
    Inotify,
    Timerfd,
    Netlink,
    Bpf,
    Userfaultfd,
    IoUring,
    Memfd,
    Pidfd,
    Other,
}

impl FdType {
    pub fn typechar(self) -> char {
        use FdType::*;
        match self {
            File => 'f',
            Directory => 'd',
            Ipv4 => '4',
            Ipv6 => '6',
            Unix => 'u',
            Pipe => 'p',
            Event => 'e',
            Signalfd => 's',
            Eventpoll => 'l',
            Inotify => 'i',
            Timerfd => 't',
            Netlink => 'n',
            Bpf => 'b',
            Userfaultfd => 'u',
            IoUring => 'r',
            Memfd => 'm',
            Pidfd => 'P',
            Other => 'o',
        }
    }

    pub fn name(self) -> &'static str {
        use FdType::*;
        match self {
            File => "file",
            Directory => "directory",
            Ipv4 => "ipv4",
            Ipv6 => "ipv6",
            Unix => "unix",
            Pipe => "pipe",
            Event => "event",
            Signalfd => "signalfd",
            Eventpoll => "eventpoll",
            Inotify => "inotify",
            Timerfd => "timerfd",
            Netlink => "netlink",
            Bpf => "bpf",
            Userfaultfd => "userfaultfd",
            IoUring => "io_uring",
            Memfd => "memfd",
            Pidfd => "pidfd",
            Other => "unknown",
        }
    }

    /// From a capture's `scap_fd_type`.
    pub fn from_scap(t: u8) -> FdType {
        use FdType::*;
        match t {
            1 | 16 => File,
            2 => Directory,
            3 | 5 => Ipv4,
            4 | 6 => Ipv6,
            7 => Pipe,
            8 => Unix,
            9 => Event,
            11 => Signalfd,
            12 => Eventpoll,
            13 => Inotify,
            14 => Timerfd,
            15 => Netlink,
            17 => Bpf,
            18 => Userfaultfd,
            19 => IoUring,
            20 => Memfd,
            21 => Pidfd,
            _ => Other,
        }
    }
}

/// Whether we are the client (connect) or the server (accept, listen) of a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Unknown,
    Client,
    Server,
}

/// A connection, client side first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuple {
    pub cip: IpAddr,
    pub cport: u16,
    pub sip: IpAddr,
    pub sport: u16,
}

/// One open fd.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdInfo {
    pub ftype: FdType,
    /// Resolved name: absolute path, `cip:cport->sip:sport`, unix path...
    pub name: String,
    /// The path as given to the syscall.
    pub nameraw: String,
    /// scap open flags (file_flags) for files.
    pub open_flags: u32,
    pub ino: u64,
    pub dev: u32,
    pub tuple: Option<Tuple>,
    pub role: Role,
    /// tcp, udp, icmp, raw; empty when unknown or not a socket.
    pub l4proto: &'static str,
    pub connected: bool,
    /// For a pidfd: the (host) pid of the process it refers to; 0 when
    /// unknown. pidfd_getfd copies that process's fd through it.
    pub pidfd_pid: u64,
}

impl FdInfo {
    pub fn new(ftype: FdType, name: String) -> Self {
        FdInfo {
            ftype,
            nameraw: name.clone(),
            name,
            open_flags: 0,
            ino: 0,
            dev: 0,
            tuple: None,
            role: Role::Unknown,
            l4proto: "",
            connected: false,
            pidfd_pid: 0,
        }
    }

    /// The address a bound or listening socket (no tuple yet) serves on,
    /// from its `ip:port` name: fd.sip/fd.sport of such a socket, as
    /// libsinsp answers them from its server-socket info.
    pub fn bound(&self) -> Option<(IpAddr, u16)> {
        if self.tuple.is_some()
            || self.role != Role::Server
            || !matches!(self.ftype, FdType::Ipv4 | FdType::Ipv6)
        {
            return None;
        }
        let (ip, port) = self.name.rsplit_once(':')?;
        Some((ip.parse().ok()?, port.parse().ok()?))
    }

    /// The local and remote endpoints, by role.
    pub fn local_remote(&self) -> Option<((IpAddr, u16), (IpAddr, u16))> {
        let t = self.tuple?;
        Some(match self.role {
            Role::Server => ((t.sip, t.sport), (t.cip, t.cport)),
            _ => ((t.cip, t.cport), (t.sip, t.sport)),
        })
    }
}

/// `a.b.c.d:port->e.f.g.h:port` (IPv6 addresses are written plainly too).
pub fn tuple_name(t: &Tuple) -> String {
    format!("{}:{}->{}:{}", t.cip, t.cport, t.sip, t.sport)
}

pub(crate) fn l4proto_name(p: u8) -> &'static str {
    // scap_l4_proto
    match p {
        2 => "tcp",
        3 => "udp",
        4 => "icmp",
        5 => "raw",
        _ => "",
    }
}

/// Normalises `path` (absolute): collapses `//`, `.` and `..`.
pub fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(c),
        }
    }
    let mut s = String::with_capacity(path.len());
    for p in &parts {
        s.push('/');
        s.push_str(p);
    }
    if s.is_empty() {
        s.push('/');
    }
    s
}

/// Resolves a syscall path against a directory (the cwd or a dirfd's path).
pub fn resolve(dir: &str, path: &str) -> String {
    if path.starts_with('/') {
        normalize(path)
    } else if dir.is_empty() {
        path.to_string()
    } else {
        normalize(&format!("{dir}/{path}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn paths_resolve_and_normalize() {
        assert_eq!(resolve("/tmp/d", "x"), "/tmp/d/x");
        assert_eq!(resolve("/tmp/d", "../x"), "/tmp/x");
        assert_eq!(resolve("/", "./a//b/."), "/a/b");
        assert_eq!(resolve("/x", "/etc//passwd"), "/etc/passwd");
        assert_eq!(normalize("/.."), "/");
    }
}
