//! Seeding the tables from a live `/proc`, under an optional host-root
//! prefix (an init container sees the host's /proc at `$HOST_ROOT/proc`).

use crate::fd::{FdInfo, FdType};
use crate::shared::StrList;
use crate::thread::ThreadInfo;
use crate::{Limits, State, Users};
use std::fs;
use std::path::Path;

fn read_lossy(p: &Path) -> Option<String> {
    fs::read(p)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
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
    if let Ok(cmd) = fs::read(pdir.join("cmdline")) {
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
    if let Ok(env) = fs::read(pdir.join("environ")) {
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

fn read_fds(proc_dir: &Path, pid: u64, s: &mut State) {
    let Ok(rd) = fs::read_dir(proc_dir.join(pid.to_string()).join("fd")) else {
        return;
    };
    for e in rd.flatten() {
        let Some(fd) = e.file_name().to_str().and_then(|n| n.parse::<i64>().ok()) else {
            continue;
        };
        let Ok(target) = fs::read_link(e.path()) else {
            continue;
        };
        let name = target.to_string_lossy().into_owned();
        let ftype = if name.starts_with('/') {
            if e.path().is_dir() {
                FdType::Directory
            } else {
                FdType::File
            }
        } else if name.starts_with("pipe:") {
            FdType::Pipe
        } else if name.starts_with("socket:") {
            FdType::Other
        } else if name.contains("eventfd") {
            FdType::Event
        } else if name.contains("eventpoll") {
            FdType::Eventpoll
        } else if name.contains("inotify") {
            FdType::Inotify
        } else if name.contains("signalfd") {
            FdType::Signalfd
        } else if name.contains("timerfd") {
            FdType::Timerfd
        } else if name.starts_with("/memfd:") {
            FdType::Memfd
        } else {
            FdType::Other
        };
        s.insert_fd(pid, fd, FdInfo::new(ftype, name));
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
            read_fds(&proc_dir, pid, &mut s);
        }
        s
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
