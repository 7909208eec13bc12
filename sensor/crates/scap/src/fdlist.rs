//! File-descriptor list blocks, FDL V1/V2 (driver.md §3.3). A block holds
//! the fds of one thread: u64 tid, then entries. V2 entries start with a u32
//! length (including itself) that lets newer fields be skipped.

use crate::bytes::{max_len, patch_len, Cur, Put, Short};
use peregrine_wire::raw;

/// One fd of one thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdEntry {
    pub tid: u64,
    pub fd: i64,
    pub ino: u64,
    pub info: FdInfo,
}

/// Type-specific part of an fd entry (`scap_fd_type`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FdInfo {
    Ipv4Sock {
        sip: u32,
        dip: u32,
        sport: u16,
        dport: u16,
        l4proto: u8,
    },
    Ipv4ServSock {
        ip: u32,
        port: u16,
        l4proto: u8,
    },
    Ipv6Sock {
        sip: [u8; 16],
        dip: [u8; 16],
        sport: u16,
        dport: u16,
        l4proto: u8,
    },
    Ipv6ServSock {
        ip: [u8; 16],
        port: u16,
        l4proto: u8,
    },
    Unix {
        source: u64,
        dest: u64,
        name: Vec<u8>,
    },
    /// SCAP_FD_FILE_V2. `dev` is absent in V1 blocks and short V2 entries.
    File {
        open_flags: u32,
        name: Vec<u8>,
        dev: Option<u32>,
    },
    /// Every other known type (file, directory, fifo, event, ...): a name.
    Named {
        fd_type: u8,
        name: Vec<u8>,
    },
    /// A type this reader does not know (SCAP_FD_UNKNOWN or newer); the
    /// bytes after the type byte are kept when the entry length says how many.
    Other {
        fd_type: u8,
        data: Vec<u8>,
    },
}

impl FdInfo {
    /// The `scap_fd_type` byte of this entry.
    pub fn fd_type(&self) -> u8 {
        match self {
            FdInfo::Ipv4Sock { .. } => raw::SCAP_FD_IPV4_SOCK as u8,
            FdInfo::Ipv4ServSock { .. } => raw::SCAP_FD_IPV4_SERVSOCK as u8,
            FdInfo::Ipv6Sock { .. } => raw::SCAP_FD_IPV6_SOCK as u8,
            FdInfo::Ipv6ServSock { .. } => raw::SCAP_FD_IPV6_SERVSOCK as u8,
            FdInfo::Unix { .. } => raw::SCAP_FD_UNIX_SOCK as u8,
            FdInfo::File { .. } => raw::SCAP_FD_FILE_V2 as u8,
            FdInfo::Named { fd_type, .. } | FdInfo::Other { fd_type, .. } => *fd_type,
        }
    }
    /// The name of file-like entries.
    pub fn name(&self) -> Option<&[u8]> {
        match self {
            FdInfo::Unix { name, .. } | FdInfo::File { name, .. } | FdInfo::Named { name, .. } => {
                Some(name)
            }
            _ => None,
        }
    }
}

/// True for fd types stored as just a u16-prefixed name.
fn is_named(t: u8) -> bool {
    use raw::*;
    [
        SCAP_FD_FIFO,
        SCAP_FD_FILE,
        SCAP_FD_DIRECTORY,
        SCAP_FD_UNSUPPORTED,
        SCAP_FD_EVENT,
        SCAP_FD_SIGNALFD,
        SCAP_FD_EVENTPOLL,
        SCAP_FD_INOTIFY,
        SCAP_FD_TIMERFD,
        SCAP_FD_NETLINK,
        SCAP_FD_BPF,
        SCAP_FD_USERFAULTFD,
        SCAP_FD_IOURING,
        SCAP_FD_MEMFD,
        SCAP_FD_PIDFD,
    ]
    .contains(&(t as i32))
}

/// Parses an FDL body into entries tagged with the block's tid.
pub(crate) fn parse_fdl(body: &[u8], v2: bool, out: &mut Vec<FdEntry>) -> Result<(), String> {
    let mut c = Cur::new(body);
    let tid = c.u64("tid").map_err(|e| e.to_string())?;
    while c.left() >= 4 {
        let start = c.pos();
        match parse_entry(&mut c, v2, tid, start) {
            Ok(Ok(e)) => out.push(e),
            Ok(Err(msg)) => return Err(msg),
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(())
}

fn parse_entry(
    c: &mut Cur<'_>,
    v2: bool,
    tid: u64,
    start: usize,
) -> Result<Result<FdEntry, String>, Short> {
    let len = if v2 {
        c.u32("fd entry length")? as usize
    } else {
        0
    };
    let fd = c.i64("fd")?;
    let ino = c.u64("ino")?;
    let t = c.u8("fd type")?;
    use raw::*;
    let info = match t as i32 {
        SCAP_FD_IPV4_SOCK => FdInfo::Ipv4Sock {
            sip: c.u32("sip")?,
            dip: c.u32("dip")?,
            sport: c.u16("sport")?,
            dport: c.u16("dport")?,
            l4proto: c.u8("l4proto")?,
        },
        SCAP_FD_IPV4_SERVSOCK => FdInfo::Ipv4ServSock {
            ip: c.u32("ip")?,
            port: c.u16("port")?,
            l4proto: c.u8("l4proto")?,
        },
        SCAP_FD_IPV6_SOCK => FdInfo::Ipv6Sock {
            sip: c.ip6("sip")?,
            dip: c.ip6("dip")?,
            sport: c.u16("sport")?,
            dport: c.u16("dport")?,
            l4proto: c.u8("l4proto")?,
        },
        SCAP_FD_IPV6_SERVSOCK => FdInfo::Ipv6ServSock {
            ip: c.ip6("ip")?,
            port: c.u16("port")?,
            l4proto: c.u8("l4proto")?,
        },
        SCAP_FD_UNIX_SOCK => FdInfo::Unix {
            source: c.u64("source")?,
            dest: c.u64("dest")?,
            name: c.str16("unix name")?,
        },
        SCAP_FD_FILE_V2 => {
            let open_flags = c.u32("open_flags")?;
            let name = c.str16("file name")?;
            let used = c.pos() - start;
            let dev = if len != 0 && len >= used + 4 {
                Some(c.u32("dev")?)
            } else {
                None
            };
            FdInfo::File {
                open_flags,
                name,
                dev,
            }
        }
        _ if is_named(t) => FdInfo::Named {
            fd_type: t,
            name: c.str16("fd name")?,
        },
        _ => {
            let used = c.pos() - start;
            let data = if len > used {
                c.take(len - used, "fd entry data")?.to_vec()
            } else {
                Vec::new()
            };
            FdInfo::Other { fd_type: t, data }
        }
    };
    if len != 0 {
        let used = c.pos() - start;
        let Some(rest) = len.checked_sub(used) else {
            return Ok(Err(format!(
                "fd entry at body offset +{start} (tid {tid}, fd {fd}) declares {len} bytes but its fields take {used} (corrupt fd list)"
            )));
        };
        c.skip(rest, "fd entry tail")?;
    }
    Ok(Ok(FdEntry { tid, fd, ino, info }))
}

/// Writes one FDL_V2 entry, names cut to what upstream readers accept.
pub(crate) fn write_fd_entry(out: &mut Vec<u8>, e: &FdEntry) {
    let start = out.len();
    out.put_u32(0);
    out.put_i64(e.fd);
    out.put_u64(e.ino);
    out.put_u8(e.info.fd_type());
    match &e.info {
        FdInfo::Ipv4Sock {
            sip,
            dip,
            sport,
            dport,
            l4proto,
        } => {
            out.put_u32(*sip);
            out.put_u32(*dip);
            out.put_u16(*sport);
            out.put_u16(*dport);
            out.put_u8(*l4proto);
        }
        FdInfo::Ipv4ServSock { ip, port, l4proto } => {
            out.put_u32(*ip);
            out.put_u16(*port);
            out.put_u8(*l4proto);
        }
        FdInfo::Ipv6Sock {
            sip,
            dip,
            sport,
            dport,
            l4proto,
        } => {
            out.extend_from_slice(sip);
            out.extend_from_slice(dip);
            out.put_u16(*sport);
            out.put_u16(*dport);
            out.put_u8(*l4proto);
        }
        FdInfo::Ipv6ServSock { ip, port, l4proto } => {
            out.extend_from_slice(ip);
            out.put_u16(*port);
            out.put_u8(*l4proto);
        }
        FdInfo::Unix { source, dest, name } => {
            out.put_u64(*source);
            out.put_u64(*dest);
            out.put_str16_max(name, max_len::FD_NAME);
        }
        FdInfo::File {
            open_flags,
            name,
            dev,
        } => {
            out.put_u32(*open_flags);
            out.put_str16_max(name, max_len::FD_NAME);
            if let Some(d) = dev {
                out.put_u32(*d);
            }
        }
        FdInfo::Named { name, .. } => out.put_str16_max(name, max_len::FD_NAME),
        FdInfo::Other { data, .. } => out.extend_from_slice(data),
    }
    patch_len(out, start);
}
