//! Seeding the tables from a live `/proc`, under an optional host-root
//! prefix (an init container sees the host's /proc at `$HOST_ROOT/proc`).

use crate::fd::{FdInfo, FdType};
use crate::procnet::{socket_inode, NetTables};
use crate::shared::StrList;
use crate::thread::ThreadInfo;
use crate::{Limits, State, Users};
use std::collections::HashMap;
use std::fs;
use std::path::Path;

fn read_lossy(p: &Path) -> Option<String> {
    fs::read(p)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// The drivers copy at most this much of a new process's argument and
/// environment areas (driver.md: STR_STORAGE_SIZE); a scanned process gets
/// the same, so `proc.cmdline` does not depend on whether the process started
/// before the sensor, and a host of processes with megabyte environments
/// does not cost megabytes each.
const MAX_ARGS_READ: u64 = 4096;

/// The first `max` bytes of a file.
fn read_head(p: &Path, max: u64) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut v = Vec::new();
    fs::File::open(p).ok()?.take(max).read_to_end(&mut v).ok()?;
    Some(v)
}

/// One thread from `/proc/<pid>/task/<tid>` (process data from `/proc/<pid>`).
fn read_thread(proc_dir: &Path, pid: u64, tid: u64) -> Option<ThreadInfo> {
    let pdir = proc_dir.join(pid.to_string());
    let tdir = pdir.join("task").join(tid.to_string());
    let status = read_lossy(&tdir.join("status"))?;
    let mut t = ThreadInfo {
        tid,
        pid,
        ..Default::default()
    };
    for line in status.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim();
        let nums = || {
            v.split_whitespace()
                .map(|x| x.parse::<u64>().unwrap_or(0))
                .collect::<Vec<_>>()
        };
        match k {
            "Name" => t.comm = v.to_string(),
            "PPid" => t.ptid = v.parse().unwrap_or(0),
            "Uid" => t.uid = *nums().get(1).unwrap_or(&0) as u32,
            "Gid" => t.gid = *nums().get(1).unwrap_or(&0) as u32,
            "CapInh" => t.cap_inheritable = u64::from_str_radix(v, 16).unwrap_or(0),
            "CapPrm" => t.cap_permitted = u64::from_str_radix(v, 16).unwrap_or(0),
            "CapEff" => t.cap_effective = u64::from_str_radix(v, 16).unwrap_or(0),
            "NStgid" => t.vpid = *nums().last().unwrap_or(&pid) as i64,
            "NSpid" => t.vtid = *nums().last().unwrap_or(&tid) as i64,
            _ => {}
        }
    }
    if let Some(cmd) = read_head(&pdir.join("cmdline"), MAX_ARGS_READ) {
        let list = StrList::from_nul(&cmd);
        let mut parts = list.iter();
        t.exe = parts.next().unwrap_or_default().into();
        t.args = parts.collect();
    }
    t.exepath = fs::read_link(pdir.join("exe"))
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
        .into();
    t.cwd = fs::read_link(pdir.join("cwd"))
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
        .into();
    if let Some(env) = read_head(&pdir.join("environ"), MAX_ARGS_READ) {
        t.env = StrList::from_nul(&env);
    }
    if let Some(cg) = read_lossy(&pdir.join("cgroup")) {
        // "hierarchy-id:controllers:path" -> "controllers=path" (v2: "=path").
        t.cgroups = cg
            .lines()
            .filter_map(|l| {
                let mut it = l.splitn(3, ':');
                let (_, ctl, path) = (it.next()?, it.next()?, it.next()?);
                Some(format!("{ctl}={path}"))
            })
            .collect::<StrList>();
        t.set_container();
    }
    if let Some(l) = read_lossy(&pdir.join("loginuid")) {
        t.loginuid = l.trim().parse().unwrap_or(u32::MAX);
    }
    if let Some(stat) = read_lossy(&pdir.join("stat")) {
        // Fields after the parenthesised comm: state ppid pgrp session tty_nr ...
        if let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) {
            let f: Vec<&str> = rest.split_whitespace().collect();
            t.vpgid = f.get(2).and_then(|x| x.parse().ok()).unwrap_or(0);
            t.sid = f.get(3).and_then(|x| x.parse().ok()).unwrap_or(0);
            t.tty = f.get(4).and_then(|x| x.parse().ok()).unwrap_or(0);
        }
    }
    t.pgid = t.vpgid;
    Some(t)
}

/// The socket tables of each network namespace, read once per namespace
/// and only for namespaces whose processes hold sockets.
#[derive(Default)]
struct NetCache {
    by_ns: HashMap<String, NetTables>,
}

impl NetCache {
    fn tables_for(&mut self, pdir: &Path) -> &NetTables {
        // The ns/net link (`net:[INODE]`) names the namespace. Unreadable
        // (a process exiting), the directory keys it: read once anyway.
        let key = fs::read_link(pdir.join("ns/net"))
            .map(|t| t.to_string_lossy().into_owned())
            .unwrap_or_else(|_| pdir.to_string_lossy().into_owned());
        self.by_ns
            .entry(key)
            .or_insert_with(|| NetTables::read(&pdir.join("net")))
    }
}

/// An fd that is not a socket known to the tables, from its link target.
fn classify(name: String, link: &Path) -> FdInfo {
    // memfds are unlinked shmem files ("/memfd:NAME (deleted)"), so they
    // must be told apart before the path test; memfd_create names them
    // `memfd:NAME`.
    if let Some(m) = name.strip_prefix("/memfd:") {
        let m = m.strip_suffix(" (deleted)").unwrap_or(m);
        return FdInfo::new(FdType::Memfd, format!("memfd:{m}"));
    }
    if let Some(t) = anon_type(&name) {
        return FdInfo::new(t, name);
    }
    if name.starts_with('/') {
        let ftype = if link.is_dir() {
            FdType::Directory
        } else {
            FdType::File
        };
        return FdInfo::new(ftype, name);
    }
    if name.starts_with("pipe:") {
        return FdInfo::new(FdType::Pipe, name);
    }
    FdInfo::new(FdType::Other, name)
}

/// The type of an anonymous-inode fd from its name, as /proc shows it
/// (`anon_inode:[eventfd]`, `anon_inode:inotify`, `anon_inode:bpf-map`) or
/// as memfd_create names it (`memfd:NAME`); also how a capture's
/// "unsupported" fd-list entries get their type back.
pub(crate) fn anon_type(name: &str) -> Option<FdType> {
    if name.starts_with("memfd:") {
        return Some(FdType::Memfd);
    }
    let kind = name
        .strip_prefix("anon_inode:")?
        .trim_start_matches('[')
        .trim_end_matches(']');
    Some(match kind {
        "eventfd" => FdType::Event,
        "eventpoll" => FdType::Eventpoll,
        "inotify" => FdType::Inotify,
        "signalfd" => FdType::Signalfd,
        "timerfd" => FdType::Timerfd,
        "io_uring" => FdType::IoUring,
        "userfaultfd" => FdType::Userfaultfd,
        "pidfd" => FdType::Pidfd,
        // bpf-map, bpf-prog, bpf_link, bpf_iter...
        k if k.starts_with("bpf") => FdType::Bpf,
        _ => return None,
    })
}

/// The fds of `pid`; sockets named from the namespace's tables when `net`
/// is given (reading them costs milliseconds on a busy host, so lookups of
/// single missed processes leave sockets as `socket:[INODE]`).
fn read_fds(proc_dir: &Path, pid: u64, s: &mut State, net: Option<&mut NetCache>) {
    let pdir = proc_dir.join(pid.to_string());
    let Ok(rd) = fs::read_dir(pdir.join("fd")) else {
        return;
    };
    let mut links = Vec::new();
    for e in rd.flatten() {
        let Some(fd) = e.file_name().to_str().and_then(|n| n.parse::<i64>().ok()) else {
            continue;
        };
        let Ok(target) = fs::read_link(e.path()) else {
            continue;
        };
        links.push((fd, target.to_string_lossy().into_owned(), e.path()));
    }
    let tables = match net {
        Some(net) if links.iter().any(|(_, name, _)| name.starts_with("socket:")) => {
            Some(net.tables_for(&pdir))
        }
        _ => None,
    };
    for (fd, name, link) in links {
        let sock = socket_inode(&name).and_then(|ino| tables?.fd_info(ino));
        let mut f = sock.unwrap_or_else(|| classify(name, &link));
        if f.ftype == FdType::Pidfd {
            // fdinfo's "Pid:" is in the namespace of this /proc: the host's.
            f.pidfd_pid = read_lossy(&pdir.join(format!("fdinfo/{fd}")))
                .and_then(|t| {
                    t.lines()
                        .find_map(|l| l.strip_prefix("Pid:"))
                        .and_then(|v| v.trim().parse::<i64>().ok())
                })
                .filter(|&p| p > 0)
                .map_or(0, |p| p as u64);
        }
        s.insert_fd(pid, fd, f);
    }
}

impl State {
    /// Threads, fds and users of the running system, read from
    /// `<host_root>/proc` and `<host_root>/etc`. Processes that exit while
    /// we read are skipped.
    pub fn from_proc(host_root: &Path, limits: Limits) -> Self {
        let mut s = State::new(limits);
        s.users = Users::from_host(host_root);
        let proc_dir = host_root.join("proc");
        s.boot_ts = boot_time(&proc_dir).unwrap_or(0);
        s.host_root = Some(host_root.to_path_buf());
        // Full capability sets (after unshare/setns of a user namespace) are
        // those of this kernel, which may know fewer or more than we do.
        if let Some(last) = read_lossy(&proc_dir.join("sys/kernel/cap_last_cap"))
            .and_then(|v| v.trim().parse::<u32>().ok())
            .filter(|&n| n < 63)
        {
            s.max_caps = (1u64 << (last + 1)) - 1;
        }
        let Ok(rd) = fs::read_dir(&proc_dir) else {
            return s;
        };
        let mut net = NetCache::default();
        for e in rd.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u64>().ok()) else {
                continue;
            };
            let Ok(tasks) = fs::read_dir(e.path().join("task")) else {
                continue;
            };
            for te in tasks.flatten() {
                let Some(tid) = te.file_name().to_str().and_then(|n| n.parse::<u64>().ok()) else {
                    continue;
                };
                if let Some(t) = read_thread(&proc_dir, pid, tid) {
                    s.insert_thread(t);
                }
            }
            read_fds(&proc_dir, pid, &mut s, Some(&mut net));
        }
        s
    }
}

/// /proc lookups of unknown threads allowed per second of event time:
/// plenty for threads missed at startup (a process that started while the
/// scan ran) or after ring drops, bounded so that a storm of short-lived
/// processes we never saw cannot turn every event into filesystem reads.
pub(crate) const LOOKUPS_PER_SEC: u32 = 200;

impl State {
    /// Reads a thread the table lacks from /proc, as libsinsp does on a
    /// miss, when this state describes a live host (seeded by `from_proc`).
    /// A new process comes with its fds. True when the thread was found.
    pub(crate) fn lookup_missing(&mut self, tid: u64, ts: u64) -> bool {
        let Some(root) = &self.host_root else {
            return false;
        };
        let sec = ts / 1_000_000_000;
        if self.lookup_window.0 != sec {
            self.lookup_window = (sec, 0);
        }
        if self.lookup_window.1 >= LOOKUPS_PER_SEC {
            self.stats.proc_lookups_limited += 1;
            return false;
        }
        self.lookup_window.1 += 1;
        let proc_dir = root.join("proc");
        // /proc/<tid> answers for any thread, not only group leaders.
        let pid = read_lossy(&proc_dir.join(tid.to_string()).join("status")).and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Tgid:"))
                .and_then(|v| v.trim().parse::<u64>().ok())
        });
        let Some(t) = pid.and_then(|pid| read_thread(&proc_dir, pid, tid)) else {
            self.stats.proc_lookups_failed += 1;
            return false;
        };
        let pid = t.pid;
        let new_process = !self.fds.contains_key(&pid);
        self.insert_thread(t);
        if new_process {
            read_fds(&proc_dir, pid, self, None);
        }
        self.stats.proc_lookups += 1;
        true
    }
}

/// Boot time in ns since the epoch: now minus /proc/uptime (10 ms
/// resolution, which is what the seconds-precise `btime` of /proc/stat
/// cannot give).
fn boot_time(proc_dir: &Path) -> Option<u64> {
    let up = read_lossy(&proc_dir.join("uptime"))?;
    let secs: f64 = up.split_whitespace().next()?.parse().ok()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_nanos() as u64;
    now.checked_sub((secs * 1e9) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// Two processes of one namespace: its tables are read once, from the
    /// first, even when the second's net/ would say otherwise.
    #[test]
    fn socket_tables_are_read_once_per_network_namespace() {
        let dir = std::env::temp_dir().join(format!("prg-netcache-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let unix = "Num RefCount Protocol Flags Type St Inode Path\n\
                    0000000000000000: 00000002 00000000 00010000 0001 01 7 /run/x\n";
        for (pid, ns, table) in [(1, 10, unix), (2, 10, ""), (3, 11, "")] {
            let p = dir.join(pid.to_string());
            fs::create_dir_all(p.join("ns")).unwrap();
            fs::create_dir_all(p.join("net")).unwrap();
            symlink(format!("net:[{ns}]"), p.join("ns/net")).unwrap();
            fs::write(p.join("net/unix"), table).unwrap();
        }
        let mut cache = NetCache::default();
        assert!(cache.tables_for(&dir.join("1")).fd_info(7).is_some());
        assert!(cache.tables_for(&dir.join("2")).fd_info(7).is_some());
        assert!(cache.tables_for(&dir.join("3")).fd_info(7).is_none());
        assert_eq!(cache.by_ns.len(), 2);
        let _ = fs::remove_dir_all(&dir);
    }
}
