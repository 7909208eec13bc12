//! Processes and credentials: clone/fork/vfork/clone3, execve/execveat,
//! set*id, setsid/setpgid, chdir/fchdir/chroot, capset, prctl, unshare/setns.

use super::{int, str_param, uint};
use crate::fd::resolve;
use crate::shared::SharedStr;
use crate::thread::ThreadInfo;
use crate::State;
use peregrine_event::EventRef;

// scap file_flags bit: close-on-exec.
const O_CLOEXEC: u32 = 0x1000;
// scap clone_flags bits (event-schema.md §5.3).
const CLONE_THREAD: u64 = 0x2000;
const CLONE_NEWUSER: u32 = 0x100000;
/// Every namespace bit: IPC, NET, NS, PID, UTS, USER, CGROUP.
pub(crate) const CLONE_NEW_ANY: u32 = 0x8 | 0x10 | 0x20 | 0x40 | 0x80 | CLONE_NEWUSER | 0x10000000;
// prctl option.
const PR_SET_NAME: u64 = 15;

impl State {
    fn for_process(&mut self, tid: u64, f: impl Fn(&mut ThreadInfo)) {
        let pid = self.pid_of(tid);
        for t in self.threads.values_mut().filter(|t| t.pid == pid) {
            f(t);
        }
    }

    fn cwd_of(&self, tid: u64) -> SharedStr {
        self.threads
            .get(&tid)
            .map(|t| t.cwd.clone())
            .unwrap_or_default()
    }

    fn set_cwd(&mut self, tid: u64, cwd: String) {
        let cwd = SharedStr::from(cwd);
        // Threads of a process share the working directory.
        self.for_process(tid, |t| t.cwd = cwd.clone());
    }

    pub(super) fn on_chdir(&mut self, ev: &EventRef<'_>) {
        if ev.result() != Some(0) {
            return;
        }
        if let Some(p) = str_param(ev, "path") {
            let tid = ev.tid();
            let cwd = resolve(&self.cwd_of(tid), &p);
            self.set_cwd(tid, cwd);
        }
    }

    pub(super) fn on_fchdir(&mut self, ev: &EventRef<'_>) {
        let tid = ev.tid();
        self.use_fd(tid, int(ev, "fd"));
        if ev.result() == Some(0) {
            if let Some(f) = self.cur_fd.info.clone() {
                self.set_cwd(tid, f.name.clone());
            }
        }
    }

    pub(super) fn on_chroot(&mut self, ev: &EventRef<'_>) {
        if ev.result() != Some(0) {
            return;
        }
        if let Some(p) = str_param(ev, "path") {
            let tid = ev.tid();
            let root = SharedStr::from(resolve(&self.cwd_of(tid), &p));
            self.for_process(tid, |t| t.root = root.clone());
        }
    }

    pub(super) fn on_setsid(&mut self, ev: &EventRef<'_>) {
        if let Some(r) = ev.result().filter(|&r| r >= 0) {
            self.for_process(ev.tid(), |t| t.sid = r);
        }
    }

    pub(super) fn on_setpgid(&mut self, ev: &EventRef<'_>) {
        let (pid, pgid) = (int(ev, "pid"), int(ev, "pgid"));
        if ev.result() == Some(0) && pid == Some(0) {
            if let Some(pg) = pgid {
                let tid = ev.tid();
                let own = self.pid_of(tid) as i64;
                self.for_process(tid, |t| t.vpgid = if pg == 0 { own } else { pg });
            }
        }
    }

    pub(super) fn on_capset(&mut self, ev: &EventRef<'_>) {
        if ev.result() != Some(0) {
            return;
        }
        let (i, p, e) = (
            uint(ev, "cap_inheritable"),
            uint(ev, "cap_permitted"),
            uint(ev, "cap_effective"),
        );
        if let Some(t) = self.threads.get_mut(&ev.tid()) {
            t.cap_inheritable = i.unwrap_or(t.cap_inheritable);
            t.cap_permitted = p.unwrap_or(t.cap_permitted);
            t.cap_effective = e.unwrap_or(t.cap_effective);
        }
    }

    pub(super) fn on_prctl(&mut self, ev: &EventRef<'_>) {
        if ev.result() != Some(0) || uint(ev, "option") != Some(PR_SET_NAME) {
            return;
        }
        if let Some(n) = str_param(ev, "arg2_str") {
            if let Some(t) = self.threads.get_mut(&ev.tid()) {
                t.comm = n;
            }
        }
    }

    /// unshare (`flags`) and setns (`nstype`). The calling thread itself
    /// keeps its pids, cgroups and so its container: a new pid namespace is
    /// only for its children (whose clone events carry their vtid/vpid and
    /// pidns_init_start_ts), and entering a container's namespaces does not
    /// move the caller into the container's cgroups. What does change, as
    /// libsinsp models it: a thread that creates or enters a user namespace
    /// holds every capability in it, so its capability sets become full.
    /// The namespace bits are also kept on the thread (`ns_flags`), since no
    /// Falco field reads them but a future one (or a rule helper) may.
    pub(super) fn on_namespaces(&mut self, ev: &EventRef<'_>, flags_param: &str) {
        if ev.result().is_none_or(|r| r < 0) {
            return;
        }
        let flags = uint(ev, flags_param).unwrap_or(0) as u32;
        let max_caps = self.max_caps;
        if let Some(t) = self.threads.get_mut(&ev.tid()) {
            t.ns_flags |= flags & CLONE_NEW_ANY;
            if flags & CLONE_NEWUSER != 0 {
                t.cap_inheritable = max_caps;
                t.cap_permitted = max_caps;
                t.cap_effective = max_caps;
            }
        }
    }

    pub(super) fn on_ids(&mut self, ev: &EventRef<'_>, uid: Option<&str>, gid: Option<&str>) {
        if ev.result() != Some(0) {
            return;
        }
        let get = |n: Option<&str>| {
            n.and_then(|n| uint(ev, n))
                .map(|v| v as u32)
                .filter(|&v| v != u32::MAX)
        };
        let (u, g) = (get(uid), get(gid));
        if let Some(t) = self.threads.get_mut(&ev.tid()) {
            if let Some(u) = u {
                t.uid = u;
            }
            if let Some(g) = g {
                t.gid = g;
            }
        }
    }

    pub(super) fn on_clone(&mut self, ev: &EventRef<'_>) {
        let Some(res) = ev.result() else { return };
        if res < 0 {
            return;
        }
        let flags = uint(ev, "flags").unwrap_or(0);
        let caller = self.thread_from_params(ev, res == 0);
        let (child_tid, mut child) = if res == 0 {
            // Child side: the parameters describe the child itself.
            (ev.tid(), caller)
        } else {
            let child_tid = res as u64;
            if self.threads.contains_key(&child_tid) {
                return; // the child's own event came first
            }
            let mut c = caller;
            c.tid = child_tid;
            if flags & CLONE_THREAD == 0 {
                c.ptid = c.pid;
                c.pid = child_tid;
            } else {
                // A thread's parent is the thread that made it.
                c.ptid = ev.tid();
            }
            (child_tid, c)
        };
        if res == 0 && flags & CLONE_THREAD != 0 {
            child.ptid = self.threads.get(&child_tid).map_or(child.pid, |t| t.ptid);
        }
        child.tid = child_tid;
        child.clone_ts = ev.ts();
        child.last_ts = ev.ts();
        // A new process gets a copy of its parent's fd table.
        let parent_pid = if res == 0 {
            child.ptid
        } else {
            self.pid_of(ev.tid())
        };
        if child.pid != parent_pid && !self.fds.contains_key(&child.pid) {
            if let Some(tab) = self.fds.get(&parent_pid).cloned() {
                self.stats.fds_added += tab.len() as u64;
                self.fds.insert(child.pid, tab);
            }
        }
        self.insert_thread(child);
    }

    /// A thread built from clone/execve parameters, completed from what we
    /// already know of the event's thread for parameters the event lacks.
    /// A child we meet first through its own clone event starts as a copy of
    /// its parent (`from_parent`), as fork makes it: the strings it shares
    /// stay shared, and what the event lacks (env, exepath, tty, loginuid,
    /// capabilities) is its parent's.
    fn thread_from_params(&self, ev: &EventRef<'_>, from_parent: bool) -> ThreadInfo {
        let parent = || {
            let ptid = int(ev, "ptid").filter(|_| from_parent)?;
            self.process_of(ptid as u64)
        };
        let mut t = match (self.threads.get(&ev.tid()), parent()) {
            (Some(t), _) => t.clone(),
            (None, Some(p)) => ThreadInfo {
                tid: ev.tid(),
                pid: ev.tid(),
                clone_ts: 0,
                ..p.clone()
            },
            (None, None) => ThreadInfo {
                tid: ev.tid(),
                pid: ev.tid(),
                ..Default::default()
            },
        };
        let s = |n| {
            ev.param_by_name(n)
                .and_then(|p| p.as_bytes())
                .filter(|b| !b.is_empty())
        };
        if let Some(v) = int(ev, "tid") {
            t.tid = v as u64;
        }
        if let Some(v) = int(ev, "pid") {
            t.pid = v as u64;
        }
        if let Some(v) = int(ev, "ptid") {
            t.ptid = v as u64;
        }
        // Values equal to what we know keep sharing it (a fork child's
        // strings stay its parent's until it execs).
        if let Some(b) = s("exe") {
            t.exe.set_lossy(b);
        }
        if let Some(b) = ev.param_by_name("args").and_then(|p| p.as_bytes()) {
            t.args.set_nul(b);
        }
        if let Some(b) = s("cwd") {
            t.cwd.set_lossy(b);
        }
        if let Some(b) = s("comm") {
            let b = b.split(|&c| c == 0).next().unwrap_or(b);
            if t.comm.as_bytes() != b {
                t.comm = String::from_utf8_lossy(b).into_owned();
            }
        }
        if let Some(b) = s("cgroups") {
            let before = t.cgroups.clone();
            t.cgroups.set_nul(b);
            if t.cgroups != before || t.container_id.is_empty() {
                t.set_container();
            }
        }
        if let Some(v) = int(ev, "uid").filter(|&v| v as u32 != u32::MAX) {
            t.uid = v as u32;
        }
        if let Some(v) = int(ev, "gid").filter(|&v| v as u32 != u32::MAX) {
            t.gid = v as u32;
        }
        if let Some(v) = int(ev, "vtid") {
            t.vtid = v;
        }
        if let Some(v) = int(ev, "vpid") {
            t.vpid = v;
        }
        if let Some(v) = int(ev, "pidns_init_start_ts") {
            t.pidns_init_start_ts = v as u64;
        }
        t
    }

    pub(super) fn on_exec(&mut self, ev: &EventRef<'_>) {
        if ev.result() != Some(0) {
            return;
        }
        let mut t = self.thread_from_params(ev, false);
        let s = |n| {
            ev.param_by_name(n)
                .and_then(|p| p.as_bytes())
                .filter(|b| !b.is_empty())
        };
        if let Some(b) = ev.param_by_name("env").and_then(|p| p.as_bytes()) {
            t.env.set_nul(b);
        }
        if let Some(b) = s("trusted_exepath") {
            t.exepath.set_lossy(b);
        } else if t.exe.starts_with('/') {
            t.exepath = t.exe.clone();
        }
        for (name, dst) in [
            ("tty", &mut t.tty),
            ("loginuid", &mut t.loginuid),
            ("flags", &mut t.exe_flags),
        ] {
            if let Some(v) = uint(ev, name) {
                *dst = v as u32;
            }
        }
        for (name, dst) in [
            ("cap_inheritable", &mut t.cap_inheritable),
            ("cap_permitted", &mut t.cap_permitted),
            ("cap_effective", &mut t.cap_effective),
            ("exe_ino", &mut t.exe_ino),
            ("exe_ino_ctime", &mut t.exe_ino_ctime),
            ("exe_ino_mtime", &mut t.exe_ino_mtime),
        ] {
            if let Some(v) = uint(ev, name) {
                *dst = v;
            }
        }
        if let Some(v) = int(ev, "vpgid") {
            t.vpgid = v;
        }
        if let Some(v) = int(ev, "pgid") {
            t.pgid = v;
        }
        t.last_ts = ev.ts();
        // Close-on-exec fds are gone after a successful exec.
        if let Some(tab) = self.fds.get_mut(&t.pid) {
            let before = tab.len();
            tab.retain(|_, f| f.open_flags & O_CLOEXEC == 0);
            self.stats.fds_removed += (before - tab.len()) as u64;
        }
        self.insert_thread(t);
    }
}
