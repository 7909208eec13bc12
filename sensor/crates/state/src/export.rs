//! The tables written back as a capture's metadata: the process list, fd
//! lists, users and groups, and the machine the state was read on. A
//! capture written with this metadata lets a reader (ours, sysdig, Falco)
//! know the processes that existed before its first event, as
//! [`State::from_capture`] does for captures of other writers.

use crate::fd::{FdInfo, FdType, Role, Tuple};
use crate::thread::ThreadInfo;
use crate::{State, StrList};
use peregrine_scap::{
    FdEntry, FdInfo as ScapFd, GroupInfo, MachineInfo, Metadata, ProcInfo, UserInfo,
};
use peregrine_wire::raw;
use std::net::IpAddr;
use std::path::Path;

// ppm_flags.h clone flags (macros, which the bindings leave out).
const PPM_CL_CLONE_FILES: u32 = 0x1;
const PPM_CL_CLONE_THREAD: u32 = 0x2000;

impl State {
    /// The state as capture metadata: what [`State::from_capture`] reads
    /// back into the same threads, fds and users. Machine info is that of
    /// the live host when the state was read from `/proc`; for other states
    /// only the boot time is known, and no MI block is written without it.
    pub fn to_metadata(&self) -> Metadata {
        let mut tids: Vec<u64> = self.threads.keys().copied().collect();
        tids.sort_unstable();
        let procs = tids
            .iter()
            .filter_map(|t| self.threads.get(t))
            .map(proc_info)
            .collect();
        // One run of entries per process (the writer makes one FDL block
        // per run), keyed by the thread-group leader as readers expect.
        let mut pids: Vec<u64> = self.fds.keys().copied().collect();
        pids.sort_unstable();
        let mut fds = Vec::with_capacity(self.fd_count());
        for pid in pids {
            let Some(tab) = self.fds.get(&pid) else {
                continue;
            };
            let mut nums: Vec<i64> = tab.keys().copied().collect();
            nums.sort_unstable();
            for n in nums {
                if let Some(f) = tab.get(&n) {
                    fds.push(FdEntry {
                        tid: pid,
                        fd: n,
                        ino: f.ino,
                        info: scap_fd(f),
                    });
                }
            }
        }
        let (users, groups) = (self.users.user_entries(), self.users.group_entries());
        let machine = match &self.host_root {
            Some(root) => Some(machine_info(root, self.boot_ts)),
            None if self.boot_ts != 0 => Some(MachineInfo {
                boot_ts_epoch: self.boot_ts,
                ..Default::default()
            }),
            None => None,
        };
        Metadata {
            machine,
            procs,
            fds,
            users: users
                .into_iter()
                .map(|(uid, name)| UserInfo {
                    uid,
                    name: name.into_bytes(),
                    ..Default::default()
                })
                .collect(),
            groups: groups
                .into_iter()
                .map(|(gid, name)| GroupInfo {
                    gid,
                    name: name.into_bytes(),
                })
                .collect(),
            ..Default::default()
        }
    }
}

/// The kernel's layout of a list: each item followed by a NUL.
fn nul_bytes(l: &StrList) -> Vec<u8> {
    let mut b = Vec::new();
    for a in l.iter() {
        b.extend_from_slice(a.as_bytes());
        b.push(0);
    }
    b
}

/// A process-list entry, field for field what `ThreadInfo::from_proc_info` reads.
fn proc_info(t: &ThreadInfo) -> ProcInfo {
    let bit = |n: u32| t.exe_flags & (1 << n) != 0;
    ProcInfo {
        tid: t.tid,
        pid: t.pid,
        ptid: t.ptid,
        sid: t.sid,
        vpgid: t.vpgid,
        pgid: t.pgid,
        vtid: t.vtid,
        vpid: t.vpid,
        comm: t.comm.as_bytes().to_vec(),
        exe: t.exe.as_bytes().to_vec(),
        exepath: t.exepath.as_bytes().to_vec(),
        args: nul_bytes(&t.args),
        cwd: t.cwd.as_bytes().to_vec(),
        env: nul_bytes(&t.env),
        cgroups: nul_bytes(&t.cgroups),
        root: t.root.as_bytes().to_vec(),
        uid: t.uid,
        gid: t.gid,
        loginuid: t.loginuid,
        tty: t.tty,
        cap_inheritable: t.cap_inheritable,
        cap_permitted: t.cap_permitted,
        cap_effective: t.cap_effective,
        exe_writable: bit(0),
        exe_upper_layer: bit(1),
        exe_from_memfd: bit(2),
        exe_lower_layer: bit(3),
        exe_ino: t.exe_ino,
        exe_ino_ctime: t.exe_ino_ctime,
        exe_ino_mtime: t.exe_ino_mtime,
        pidns_init_start_ts: t.pidns_init_start_ts,
        // libscap's /proc scan marks non-leader threads as sharing the
        // leader's fd table; sinsp reads the flag to find their fds.
        flags: if t.tid == t.pid {
            0
        } else {
            PPM_CL_CLONE_THREAD | PPM_CL_CLONE_FILES
        },
        ..Default::default()
    }
}

/// scap_l4_proto of `fd.l4proto`.
fn l4proto_code(p: &str) -> u8 {
    match p {
        "tcp" => raw::SCAP_L4_TCP as u8,
        "udp" => raw::SCAP_L4_UDP as u8,
        "icmp" => raw::SCAP_L4_ICMP as u8,
        "raw" => raw::SCAP_L4_RAW as u8,
        _ => raw::SCAP_L4_UNKNOWN as u8,
    }
}

/// An IPv4 address as the fd list stores it (network order read as little-endian).
fn v4_code(ip: IpAddr) -> u32 {
    match ip {
        IpAddr::V4(a) => u32::from_le_bytes(a.octets()),
        IpAddr::V6(a) => a
            .to_ipv4_mapped()
            .map_or(0, |a| u32::from_le_bytes(a.octets())),
    }
}

fn v6_code(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
        IpAddr::V6(a) => a.octets(),
    }
}

/// `ip:port` (IPv6 written plainly, as the state names bound sockets).
fn parse_endpoint(name: &str) -> Option<(IpAddr, u16)> {
    let (ip, port) = name.rsplit_once(':')?;
    Some((ip.parse().ok()?, port.parse().ok()?))
}

/// The kernel addresses of a connected unix socket's name, `src->dst path`.
fn unix_ends(name: &str) -> (u64, u64) {
    let ends = name.split_once(' ').map_or(name, |(e, _)| e);
    match ends.split_once("->") {
        Some((s, d)) => match (u64::from_str_radix(s, 16), u64::from_str_radix(d, 16)) {
            (Ok(s), Ok(d)) => (s, d),
            _ => (0, 0),
        },
        None => (0, 0),
    }
}

/// The scap fd-list form of an fd: the reverse of the capture seeding.
fn scap_fd(f: &FdInfo) -> ScapFd {
    let named = |t: i32| ScapFd::Named {
        fd_type: t as u8,
        name: f.name.as_bytes().to_vec(),
    };
    let l4proto = l4proto_code(f.l4proto);
    // A socket with neither a tuple nor a bound address (created, not yet
    // used) is written as a connection between zero endpoints, as sinsp does.
    let zero = Tuple {
        cip: IpAddr::from([0u8; 4]),
        cport: 0,
        sip: IpAddr::from([0u8; 4]),
        sport: 0,
    };
    match f.ftype {
        FdType::File => ScapFd::File {
            open_flags: f.open_flags,
            name: f.name.as_bytes().to_vec(),
            dev: Some(f.dev),
        },
        FdType::Ipv4 | FdType::Ipv6 => {
            let v6 = f.ftype == FdType::Ipv6;
            let server = match (f.tuple, f.role) {
                (None, Role::Server) => parse_endpoint(&f.name),
                _ => None,
            };
            match (server, f.tuple.unwrap_or(zero)) {
                (Some((ip, port)), _) if v6 => ScapFd::Ipv6ServSock {
                    ip: v6_code(ip),
                    port,
                    l4proto,
                },
                (Some((ip, port)), _) => ScapFd::Ipv4ServSock {
                    ip: v4_code(ip),
                    port,
                    l4proto,
                },
                // The stored tuple is client first whatever our role, as
                // the fd list's source/destination are.
                (None, t) if v6 => ScapFd::Ipv6Sock {
                    sip: v6_code(t.cip),
                    dip: v6_code(t.sip),
                    sport: t.cport,
                    dport: t.sport,
                    l4proto,
                },
                (None, t) => ScapFd::Ipv4Sock {
                    sip: v4_code(t.cip),
                    dip: v4_code(t.sip),
                    sport: t.cport,
                    dport: t.sport,
                    l4proto,
                },
            }
        }
        FdType::Unix => {
            let (source, dest) = unix_ends(&f.name);
            ScapFd::Unix {
                source,
                dest,
                name: f.name.as_bytes().to_vec(),
            }
        }
        FdType::Directory => named(raw::SCAP_FD_DIRECTORY),
        FdType::Pipe => named(raw::SCAP_FD_FIFO),
        FdType::Event => named(raw::SCAP_FD_EVENT),
        FdType::Signalfd => named(raw::SCAP_FD_SIGNALFD),
        FdType::Eventpoll => named(raw::SCAP_FD_EVENTPOLL),
        FdType::Inotify => named(raw::SCAP_FD_INOTIFY),
        FdType::Timerfd => named(raw::SCAP_FD_TIMERFD),
        FdType::Netlink => named(raw::SCAP_FD_NETLINK),
        // Types past netlink (bpf 17 .. pidfd 21) make readers of 2022
        // (sysdig 0.29) refuse the whole file ("wrong fd type 17"), and the
        // sensor itself always holds bpf fds when capturing with eBPF. They
        // go as unsupported, which keeps the name; our reader types them
        // again from it (`anon_type`).
        FdType::Bpf | FdType::Userfaultfd | FdType::IoUring | FdType::Memfd | FdType::Pidfd => {
            named(raw::SCAP_FD_UNSUPPORTED)
        }
        // Unsupported keeps the name, which unknown (0) would not.
        FdType::Other => named(raw::SCAP_FD_UNSUPPORTED),
    }
}

fn read_trimmed(p: &Path) -> Option<String> {
    std::fs::read_to_string(p)
        .ok()
        .map(|s| s.trim().to_string())
}

/// The MI block of the host under `host_root`: what sysdig and Falco write
/// from sysconf, /proc/meminfo, pid_max and gethostname. `boot_ts` is the
/// state's boot time (ns since the epoch). Unreadable values are 0.
pub fn machine_info(host_root: &Path, boot_ts: u64) -> MachineInfo {
    let proc_dir = host_root.join("proc");
    // Online CPUs: the `cpuN` lines of /proc/stat, which (unlike our
    // affinity mask) count the whole host.
    let num_cpus = std::fs::read_to_string(proc_dir.join("stat")).map_or(0, |s| {
        s.lines()
            .filter(|l| {
                l.strip_prefix("cpu")
                    .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
            })
            .count() as u32
    });
    let memory_size_bytes = std::fs::read_to_string(proc_dir.join("meminfo")).map_or(0, |s| {
        s.lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb.saturating_mul(1024))
    });
    let max_pid = read_trimmed(&proc_dir.join("sys/kernel/pid_max"))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    // gethostname(): the UTS name of our namespace, which is what
    // /proc/sys/kernel/hostname shows whichever /proc it is read through.
    let name = read_trimmed(&proc_dir.join("sys/kernel/hostname"))
        .or_else(|| read_trimmed(&host_root.join("etc/hostname")))
        .unwrap_or_default();
    let mut hostname = [0u8; 128];
    // Keep the last byte a NUL terminator, as the C struct requires.
    let n = name.len().min(hostname.len() - 1);
    hostname[..n].copy_from_slice(&name.as_bytes()[..n]);
    MachineInfo {
        num_cpus,
        memory_size_bytes,
        max_pid,
        hostname,
        boot_ts_epoch: boot_ts,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    /// Regression: a capture holding the sensor's own bpf fds was refused
    /// whole by sysdig 0.29 ("wrong fd type 17"). Newer fd types are written
    /// as unsupported, named, and typed again from the name on reading.
    #[test]
    fn newer_fd_types_are_written_as_unsupported_and_read_back_by_name() {
        for (t, name) in [
            (FdType::Bpf, "anon_inode:bpf-map"),
            (FdType::Memfd, "memfd:jit"),
            (FdType::Pidfd, "anon_inode:[pidfd]"),
            (FdType::IoUring, "anon_inode:[io_uring]"),
            (FdType::Userfaultfd, "anon_inode:[userfaultfd]"),
        ] {
            let f = FdInfo::new(t, name.into());
            let written = scap_fd(&f);
            assert_eq!(
                written,
                ScapFd::Named {
                    fd_type: raw::SCAP_FD_UNSUPPORTED as u8,
                    name: name.as_bytes().to_vec()
                }
            );
            let back = crate::parse::seed::from_scap_fd(&written, 0);
            assert_eq!((back.ftype, back.name.as_str()), (t, name));
        }
    }

    #[test]
    fn bound_and_connected_sockets_keep_their_scap_form() {
        let mut srv = FdInfo::new(FdType::Ipv4, "10.0.0.1:8080".into());
        srv.role = Role::Server;
        srv.l4proto = "tcp";
        assert_eq!(
            scap_fd(&srv),
            ScapFd::Ipv4ServSock {
                ip: u32::from_le_bytes([10, 0, 0, 1]),
                port: 8080,
                l4proto: 2
            }
        );
        let mut acc = FdInfo::new(FdType::Ipv4, String::new());
        acc.role = Role::Server;
        acc.l4proto = "udp";
        acc.tuple = Some(Tuple {
            cip: Ipv4Addr::new(1, 2, 3, 4).into(),
            cport: 5000,
            sip: Ipv4Addr::new(10, 0, 0, 1).into(),
            sport: 53,
        });
        assert_eq!(
            scap_fd(&acc),
            ScapFd::Ipv4Sock {
                sip: u32::from_le_bytes([1, 2, 3, 4]),
                dip: u32::from_le_bytes([10, 0, 0, 1]),
                sport: 5000,
                dport: 53,
                l4proto: 3
            }
        );
        let u = FdInfo::new(FdType::Unix, "ffff1->ffff2 /run/x.sock".into());
        assert!(matches!(
            scap_fd(&u),
            ScapFd::Unix { source: 0xffff1, dest: 0xffff2, ref name } if name == b"ffff1->ffff2 /run/x.sock"
        ));
        let o = FdInfo::new(FdType::Other, "socket:[42]".into());
        assert_eq!(scap_fd(&o).fd_type(), raw::SCAP_FD_UNSUPPORTED as u8);
    }

    #[test]
    fn machine_info_reads_the_host_root() {
        let root = std::env::temp_dir().join(format!("peregrine-mi-{}", std::process::id()));
        let k = root.join("proc/sys/kernel");
        std::fs::create_dir_all(&k).unwrap();
        std::fs::write(
            root.join("proc/stat"),
            "cpu  1 2\ncpu0 1\ncpu1 1\ncpu7 1\nintr 5\n",
        )
        .unwrap();
        std::fs::write(
            root.join("proc/meminfo"),
            "MemTotal:        2048 kB\nMemFree: 1 kB\n",
        )
        .unwrap();
        std::fs::write(k.join("pid_max"), "4194304\n").unwrap();
        std::fs::write(k.join("hostname"), "node-a\n").unwrap();
        let mi = machine_info(&root, 7);
        std::fs::remove_dir_all(&root).unwrap();
        assert_eq!(mi.num_cpus, 3);
        assert_eq!(mi.memory_size_bytes, 2048 * 1024);
        assert_eq!(mi.max_pid, 4_194_304);
        assert_eq!(mi.hostname_str(), "node-a");
        assert_eq!(mi.boot_ts_epoch, 7);
    }
}
