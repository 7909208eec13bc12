//! Keeping the tables current from events (current, exit-only layouts; old
//! captures are converted before they get here).

mod net;
mod seed;

use crate::fd::{resolve, FdInfo, FdType};
use crate::thread::{lossy, split_nul, ThreadInfo};
use crate::{EventFd, Limits, State, Users};
use peregrine_event::{EventRef, Param};
use peregrine_scap::Metadata;
use peregrine_wire::raw;
use seed::from_scap_fd;

// scap file_flags bits used here.
const O_DIRECTORY: u32 = 0x400;
const O_CLOEXEC: u32 = 0x1000;
// clone_flags bits.
const CLONE_THREAD: u64 = 0x2000;
// fcntl_commands values.
const F_DUPFD: u64 = 0x1;
const F_DUPFD_CLOEXEC: u64 = 0x1A;
// prctl option.
const PR_SET_NAME: u64 = 15;

fn code(c: u32) -> u16 {
    c as u16
}

impl State {
    /// State as a capture recorded it before its first event.
    pub fn from_capture(meta: &Metadata, limits: Limits) -> Self {
        let mut s = State::new(limits);
        s.users = Users::from_capture(meta);
        for p in &meta.procs {
            s.insert_thread(ThreadInfo::from_proc_info(p));
        }
        for e in &meta.fds {
            let pid = s.threads.get(&e.tid).map_or(e.tid, |t| t.pid);
            let info = from_scap_fd(&e.info, e.ino);
            s.insert_fd(pid, e.fd, info);
        }
        s
    }

    /// Updates the tables with `ev` (events must come in timestamp order).
    pub fn process(&mut self, ev: &EventRef<'_>) {
        if let Some((pid, fd)) = self.pending_close.take() {
            if let Some(tab) = self.fds.get_mut(&pid) {
                if tab.remove(&fd).is_some() {
                    self.stats.fds_removed += 1;
                }
            }
        }
        if let Some(tid) = self.pending_exit.take() {
            self.remove_thread(tid);
        }
        self.stats.events += 1;
        let tid = ev.tid();
        self.cur_tid = tid;
        self.cur_fd = EventFd::default();
        if let Some(t) = self.threads.get_mut(&tid) {
            t.last_ts = ev.ts();
        }
        let c = ev.code();
        let Some(info) = ev.info() else { return };
        match c {
            _ if c == code(raw::PPME_SYSCALL_CLONE_20_X)
                || c == code(raw::PPME_SYSCALL_FORK_20_X)
                || c == code(raw::PPME_SYSCALL_VFORK_20_X)
                || c == code(raw::PPME_SYSCALL_CLONE3_X) =>
            {
                self.on_clone(ev)
            }
            _ if c == code(raw::PPME_SYSCALL_EXECVE_19_X)
                || c == code(raw::PPME_SYSCALL_EXECVEAT_X) =>
            {
                self.on_exec(ev)
            }
            _ if c == code(raw::PPME_PROCEXIT_1_E) => self.pending_exit = Some(tid),
            // Enter events of opens: no fd yet, but it will be a file.
            _ if c == code(raw::PPME_SYSCALL_OPEN_E)
                || c == code(raw::PPME_SYSCALL_OPENAT_2_E)
                || c == code(raw::PPME_SYSCALL_OPENAT2_E)
                || c == code(raw::PPME_SYSCALL_CREAT_E) =>
            {
                self.cur_fd.hint = Some(FdType::File)
            }
            _ if c == code(raw::PPME_SYSCALL_CLOSE_X) => {
                let fd = int(ev, "fd");
                self.use_fd(tid, fd);
                if let (Some(fd), Some(0)) = (fd, ev.result()) {
                    self.pending_close = Some((self.pid_of(tid), fd));
                }
            }
            _ if c == code(raw::PPME_SYSCALL_DUP_1_X)
                || c == code(raw::PPME_SYSCALL_DUP2_X)
                || c == code(raw::PPME_SYSCALL_DUP3_X) =>
            {
                self.on_dup(ev, int(ev, "oldfd"))
            }
            _ if c == code(raw::PPME_SYSCALL_FCNTL_X) => {
                let cmd = ev.param_by_name("cmd").and_then(|p| p.as_u64());
                if matches!(cmd, Some(F_DUPFD | F_DUPFD_CLOEXEC)) {
                    self.on_dup(ev, int(ev, "fd"));
                } else {
                    self.use_fd(tid, int(ev, "fd"));
                }
            }
            _ if c == code(raw::PPME_SYSCALL_PIPE_X) || c == code(raw::PPME_SYSCALL_PIPE2_X) => {
                self.on_pipe(ev)
            }
            _ if c == code(raw::PPME_SOCKET_SOCKET_X) => self.on_socket(ev),
            _ if c == code(raw::PPME_SOCKET_SOCKETPAIR_X) => self.on_socketpair(ev),
            _ if c == code(raw::PPME_SOCKET_CONNECT_X) => self.on_connect(ev),
            _ if c == code(raw::PPME_SOCKET_BIND_X) => self.on_bind(ev),
            _ if c == code(raw::PPME_SOCKET_CONNECT_E) => self.on_connect_enter(ev),
            _ if c == code(raw::PPME_SOCKET_ACCEPT_5_X)
                || c == code(raw::PPME_SOCKET_ACCEPT4_6_X)
                || c == code(raw::PPME_SOCKET_ACCEPT_X)
                || c == code(raw::PPME_SOCKET_ACCEPT4_X) =>
            {
                self.on_accept(ev)
            }
            _ if c == code(raw::PPME_SYSCALL_CHDIR_X) => {
                if ev.result() == Some(0) {
                    if let Some(p) = str_param(ev, "path") {
                        let t = self
                            .threads
                            .get(&tid)
                            .map(|t| t.cwd.clone())
                            .unwrap_or_default();
                        self.set_cwd(tid, resolve(&t, &p));
                    }
                }
            }
            _ if c == code(raw::PPME_SYSCALL_CHROOT_X) => {
                if ev.result() == Some(0) {
                    if let Some(p) = str_param(ev, "path") {
                        let cwd = self
                            .threads
                            .get(&tid)
                            .map(|t| t.cwd.clone())
                            .unwrap_or_default();
                        let root = resolve(&cwd, &p);
                        self.for_process(tid, |t| t.root = root.clone());
                    }
                }
            }
            _ if c == code(raw::PPME_SYSCALL_FCHDIR_X) => {
                let fd = int(ev, "fd");
                self.use_fd(tid, fd);
                if ev.result() == Some(0) {
                    if let Some(f) = self.cur_fd.info.clone() {
                        self.set_cwd(tid, f.name.clone());
                    }
                }
            }
            _ if c == code(raw::PPME_SYSCALL_SETUID_X) => self.on_ids(ev, Some("uid"), None),
            _ if c == code(raw::PPME_SYSCALL_SETRESUID_X)
                || c == code(raw::PPME_SYSCALL_SETREUID_X) =>
            {
                self.on_ids(ev, Some("euid"), None)
            }
            _ if c == code(raw::PPME_SYSCALL_SETGID_X) => self.on_ids(ev, None, Some("gid")),
            _ if c == code(raw::PPME_SYSCALL_SETRESGID_X)
                || c == code(raw::PPME_SYSCALL_SETREGID_X) =>
            {
                self.on_ids(ev, None, Some("egid"))
            }
            _ if c == code(raw::PPME_SYSCALL_SETSID_X) => {
                if let Some(r) = ev.result().filter(|&r| r >= 0) {
                    self.for_process(tid, |t| t.sid = r);
                }
            }
            _ if c == code(raw::PPME_SYSCALL_SETPGID_X) => {
                let (pid, pgid) = (int(ev, "pid"), int(ev, "pgid"));
                if ev.result() == Some(0) && pid == Some(0) {
                    if let Some(pg) = pgid {
                        let own = self.pid_of(tid) as i64;
                        self.for_process(tid, |t| t.vpgid = if pg == 0 { own } else { pg });
                    }
                }
            }
            _ if c == code(raw::PPME_SYSCALL_CAPSET_X) => {
                if ev.result() == Some(0) {
                    let g = |n| ev.param_by_name(n).and_then(|p| p.as_u64());
                    let (i, p, e) = (g("cap_inheritable"), g("cap_permitted"), g("cap_effective"));
                    if let Some(t) = self.threads.get_mut(&tid) {
                        t.cap_inheritable = i.unwrap_or(t.cap_inheritable);
                        t.cap_permitted = p.unwrap_or(t.cap_permitted);
                        t.cap_effective = e.unwrap_or(t.cap_effective);
                    }
                }
            }
            _ if c == code(raw::PPME_SYSCALL_PRCTL_X) => {
                if ev.result() == Some(0)
                    && ev.param_by_name("option").and_then(|p| p.as_u64()) == Some(PR_SET_NAME)
                {
                    if let Some(n) = str_param(ev, "arg2_str") {
                        if let Some(t) = self.threads.get_mut(&tid) {
                            t.comm = n;
                        }
                    }
                }
            }
            _ if c == code(raw::PPME_SYSCALL_MEMFD_CREATE_X) => {
                let name = str_param(ev, "name")
                    .map(|n| format!("memfd:{n}"))
                    .unwrap_or_default();
                self.new_fd(tid, ev.result(), FdInfo::new(FdType::Memfd, name));
            }
            _ => {
                let flags = info.flags;
                if flags & raw::EF_CREATES_FD != 0 {
                    self.on_creates_fd(ev);
                } else if flags & raw::EF_USES_FD != 0 {
                    // The fd is the `fd` parameter, else the first fd-typed one
                    // (sendfile's out_fd, splice's fd_in...).
                    let fd = int(ev, "fd").or_else(|| first_fd_param(ev));
                    if let Some(fd) = fd {
                        self.use_fd(tid, Some(fd));
                    }
                    if let Some(Param::SockTuple(_)) = ev.param_by_name("tuple") {
                        self.on_tuple_update(ev, fd);
                    }
                }
            }
        }
    }

    pub(super) fn pid_of(&self, tid: u64) -> u64 {
        self.threads.get(&tid).map_or(tid, |t| t.pid)
    }

    fn for_process(&mut self, tid: u64, f: impl Fn(&mut ThreadInfo)) {
        let pid = self.pid_of(tid);
        for t in self.threads.values_mut().filter(|t| t.pid == pid) {
            f(t);
        }
    }

    fn set_cwd(&mut self, tid: u64, cwd: String) {
        // Threads of a process share the working directory.
        self.for_process(tid, |t| t.cwd = cwd.clone());
    }

    /// Records the fd an event acts on.
    pub(super) fn use_fd(&mut self, tid: u64, fd: Option<i64>) {
        // fds are ints: a larger value is a zero-extended -1 (old mmap events).
        let fd = fd.filter(|&f| f <= i32::MAX as i64);
        self.cur_fd.num = fd;
        self.cur_fd.info = fd.and_then(|fd| self.fd(tid, fd).cloned());
        // An fd we never saw opened (before capture start, or a lost event):
        // remember it as an unnamed fd of unknown type, as sysdig does.
        if let (None, Some(fd)) = (&self.cur_fd.info, fd) {
            if fd >= 0 {
                let pid = self.pid_of(tid);
                self.cur_fd.info =
                    self.insert_fd(pid, fd, FdInfo::new(FdType::Other, String::new()));
            }
        }
    }

    pub(super) fn new_fd(&mut self, tid: u64, res: Option<i64>, info: FdInfo) {
        match res {
            Some(fd) if fd >= 0 => {
                let pid = self.pid_of(tid);
                self.cur_fd.num = Some(fd);
                self.cur_fd.info = self.insert_fd(pid, fd, info);
            }
            _ => {
                self.cur_fd.num = res;
                self.cur_fd.hint = Some(info.ftype);
                if !info.name.is_empty() {
                    self.cur_fd.failed_path = Some(info.name);
                }
            }
        }
    }

    fn on_clone(&mut self, ev: &EventRef<'_>) {
        let Some(res) = ev.result() else { return };
        if res < 0 {
            return;
        }
        let flags = ev
            .param_by_name("flags")
            .and_then(|p| p.as_u64())
            .unwrap_or(0);
        let caller = self.thread_from_params(ev);
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
    fn thread_from_params(&self, ev: &EventRef<'_>) -> ThreadInfo {
        let mut t = self.threads.get(&ev.tid()).cloned().unwrap_or(ThreadInfo {
            tid: ev.tid(),
            pid: ev.tid(),
            ..Default::default()
        });
        let u = |n| ev.param_by_name(n).and_then(|p| p.as_i64());
        let s = |n| {
            ev.param_by_name(n)
                .and_then(|p| p.as_bytes())
                .filter(|b| !b.is_empty())
        };
        if let Some(v) = u("tid") {
            t.tid = v as u64;
        }
        if let Some(v) = u("pid") {
            t.pid = v as u64;
        }
        if let Some(v) = u("ptid") {
            t.ptid = v as u64;
        }
        if let Some(b) = s("exe") {
            t.exe = lossy(b);
        }
        if let Some(b) = ev.param_by_name("args").and_then(|p| p.as_bytes()) {
            t.args = split_nul(b);
        }
        if let Some(b) = s("cwd") {
            t.cwd = lossy(b);
        }
        if let Some(b) = s("comm") {
            t.comm = lossy(b);
        }
        if let Some(b) = s("cgroups") {
            t.cgroups = split_nul(b);
            t.set_container();
        }
        if let Some(v) = u("uid").filter(|&v| v as u32 != u32::MAX) {
            t.uid = v as u32;
        }
        if let Some(v) = u("gid").filter(|&v| v as u32 != u32::MAX) {
            t.gid = v as u32;
        }
        if let Some(v) = u("vtid") {
            t.vtid = v;
        }
        if let Some(v) = u("vpid") {
            t.vpid = v;
        }
        if let Some(v) = u("pidns_init_start_ts") {
            t.pidns_init_start_ts = v as u64;
        }
        t
    }

    fn on_exec(&mut self, ev: &EventRef<'_>) {
        if ev.result() != Some(0) {
            return;
        }
        let mut t = self.thread_from_params(ev);
        let u = |n| ev.param_by_name(n).and_then(|p| p.as_u64());
        let s = |n| {
            ev.param_by_name(n)
                .and_then(|p| p.as_bytes())
                .filter(|b| !b.is_empty())
        };
        if let Some(b) = ev.param_by_name("env").and_then(|p| p.as_bytes()) {
            t.env = split_nul(b);
        }
        if let Some(b) = s("trusted_exepath") {
            t.exepath = lossy(b);
        } else if t.exe.starts_with('/') {
            t.exepath = t.exe.clone();
        }
        for (name, dst) in [
            ("tty", &mut t.tty),
            ("loginuid", &mut t.loginuid),
            ("flags", &mut t.exe_flags),
        ] {
            if let Some(v) = u(name) {
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
            if let Some(v) = u(name) {
                *dst = v;
            }
        }
        if let Some(v) = ev.param_by_name("vpgid").and_then(|p| p.as_i64()) {
            t.vpgid = v;
        }
        if let Some(v) = ev.param_by_name("pgid").and_then(|p| p.as_i64()) {
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

    fn on_creates_fd(&mut self, ev: &EventRef<'_>) {
        let tid = ev.tid();
        let res = ev.result();
        let c = ev.code();
        let is_open = [
            raw::PPME_SYSCALL_OPEN_X,
            raw::PPME_SYSCALL_OPENAT_2_X,
            raw::PPME_SYSCALL_OPENAT2_X,
            raw::PPME_SYSCALL_CREAT_X,
            raw::PPME_SYSCALL_OPEN_BY_HANDLE_AT_X,
        ]
        .iter()
        .any(|&x| c == code(x));
        if is_open {
            let raw_path = str_param(ev, "name")
                .or_else(|| str_param(ev, "path"))
                .unwrap_or_default();
            let dir = match int(ev, "dirfd") {
                Some(d)
                    if d != raw::PPM_AT_FDCWD as i64
                        && c != code(raw::PPME_SYSCALL_OPEN_BY_HANDLE_AT_X) =>
                {
                    self.fd(tid, d)
                        .map(|f| f.name.clone())
                        .unwrap_or_else(|| "<UNKNOWN>".into())
                }
                _ => self
                    .threads
                    .get(&tid)
                    .map(|t| t.cwd.clone())
                    .unwrap_or_default(),
            };
            let name = if raw_path.is_empty() {
                raw_path.clone()
            } else {
                resolve(&dir, &raw_path)
            };
            let flags = ev
                .param_by_name("flags")
                .and_then(|p| p.as_u64())
                .unwrap_or(0) as u32;
            let mut fi = FdInfo::new(
                if flags & O_DIRECTORY != 0 {
                    FdType::Directory
                } else {
                    FdType::File
                },
                name,
            );
            fi.nameraw = raw_path;
            fi.open_flags = flags
                | if c == code(raw::PPME_SYSCALL_CREAT_X) {
                    0x4 | 0x2
                } else {
                    0
                };
            fi.dev = ev
                .param_by_name("dev")
                .and_then(|p| p.as_u64())
                .unwrap_or(0) as u32;
            fi.ino = ev
                .param_by_name("ino")
                .and_then(|p| p.as_u64())
                .unwrap_or(0);
            self.new_fd(tid, res, fi);
            return;
        }
        let name = ev.info().map_or("", |i| i.name);
        let ftype = match name {
            "eventfd" | "eventfd2" => FdType::Event,
            "signalfd" | "signalfd4" => FdType::Signalfd,
            "epoll_create" | "epoll_create1" => FdType::Eventpoll,
            "inotify_init" | "inotify_init1" => FdType::Inotify,
            "timerfd_create" => FdType::Timerfd,
            "userfaultfd" => FdType::Userfaultfd,
            "io_uring_setup" => FdType::IoUring,
            "bpf" => FdType::Bpf,
            "pidfd_open" | "pidfd_getfd" => FdType::Pidfd,
            _ => FdType::Other,
        };
        self.new_fd(tid, res, FdInfo::new(ftype, String::new()));
    }

    fn on_dup(&mut self, ev: &EventRef<'_>, old: Option<i64>) {
        let tid = ev.tid();
        let src = old.and_then(|o| self.fd(tid, o).cloned());
        match (ev.result(), src) {
            (Some(r), Some(f)) if r >= 0 => {
                let mut f = (*f).clone();
                f.open_flags &= !O_CLOEXEC;
                self.new_fd(tid, Some(r), f);
            }
            _ => self.use_fd(tid, old),
        }
    }

    fn on_pipe(&mut self, ev: &EventRef<'_>) {
        if ev.result() != Some(0) {
            return;
        }
        let ino = ev
            .param_by_name("ino")
            .and_then(|p| p.as_u64())
            .unwrap_or(0);
        let pid = self.pid_of(ev.tid());
        // Pipes made during capture have no name (sysdig shows them so);
        // only those found in /proc are called pipe:[ino].
        for n in ["fd2", "fd1"] {
            if let Some(fd) = int(ev, n) {
                let mut f = FdInfo::new(FdType::Pipe, String::new());
                f.ino = ino;
                self.cur_fd.num = Some(fd);
                self.cur_fd.info = self.insert_fd(pid, fd, f);
            }
        }
    }

    fn on_ids(&mut self, ev: &EventRef<'_>, uid: Option<&str>, gid: Option<&str>) {
        if ev.result() != Some(0) {
            return;
        }
        let get = |n: Option<&str>| {
            n.and_then(|n| ev.param_by_name(n))
                .and_then(|p| p.as_u64())
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
}

pub(super) fn first_fd_param(ev: &EventRef<'_>) -> Option<i64> {
    let info = ev.info()?;
    let i = info
        .params
        .iter()
        .position(|p| p.ptype == peregrine_wire::ParamType::Fd && p.name != "res")?;
    ev.param(i)?.as_i64()
}

pub(super) fn int(ev: &EventRef<'_>, name: &str) -> Option<i64> {
    ev.param_by_name(name).and_then(|p| p.as_i64())
}

pub(super) fn str_param(ev: &EventRef<'_>, name: &str) -> Option<String> {
    match ev.param_by_name(name)? {
        Param::Str(s) => Some(String::from_utf8_lossy(s).into_owned()),
        _ => None,
    }
}
