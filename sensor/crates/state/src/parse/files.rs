//! Files and the other non-socket fds: open*/creat/open_by_handle_at,
//! close, close_range, dup*/fcntl dup, pipe*, memfd, pidfd_open/pidfd_getfd, and the
//! single-fd creators (eventfd, signalfd, inotify, timerfd, userfaultfd,
//! io_uring, bpf, epoll).

use super::code;
use super::{int, str_param, uint};
use crate::fd::{resolve, FdInfo, FdType};
use crate::State;
use peregrine_event::EventRef;
use peregrine_wire::raw;

// scap file_flags bits used here.
const O_DIRECTORY: u32 = 0x400;
const O_CLOEXEC: u32 = 0x1000;
const O_CREAT_WRONLY: u32 = 0x4 | 0x2;
// close_range_flags: CLOSE_RANGE_CLOEXEC (PRG_CLOSE_RANGE_CLOEXEC).
const CLOSE_RANGE_CLOEXEC: u64 = 0x4;
// fcntl_commands values.
const F_DUPFD: u64 = 0x1;
const F_DUPFD_CLOEXEC: u64 = 0x1A;

impl State {
    /// open/openat/openat2/creat/open_by_handle_at exits: a file (or
    /// directory) fd named by its path resolved against dirfd or the cwd.
    pub(super) fn on_open(&mut self, ev: &EventRef<'_>) {
        let tid = ev.tid();
        let c = ev.code();
        let raw_path = str_param(ev, "name")
            .or_else(|| str_param(ev, "path"))
            .unwrap_or_default();
        let name = if raw_path.is_empty() {
            String::new()
        } else if raw_path.starts_with('/') {
            resolve("", &raw_path)
        } else {
            let dir = match int(ev, "dirfd") {
                Some(d) if d != raw::PPM_AT_FDCWD as i64 && c != code::OPEN_BY_HANDLE_AT => {
                    self.fd(tid, d).map_or("<UNKNOWN>", |f| f.name.as_str())
                }
                _ => self.threads.get(&tid).map_or("", |t| t.cwd.as_str()),
            };
            resolve(dir, &raw_path)
        };
        let flags = uint(ev, "flags").unwrap_or(0) as u32;
        let ftype = if flags & O_DIRECTORY != 0 {
            FdType::Directory
        } else {
            FdType::File
        };
        let mut fi = FdInfo::new(ftype, name);
        fi.nameraw = raw_path;
        fi.open_flags = flags | if c == code::CREAT { O_CREAT_WRONLY } else { 0 };
        fi.dev = uint(ev, "dev").unwrap_or(0) as u32;
        fi.ino = uint(ev, "ino").unwrap_or(0);
        self.new_fd(tid, ev.result(), fi);
    }

    pub(super) fn on_close(&mut self, ev: &EventRef<'_>) {
        let tid = ev.tid();
        let fd = int(ev, "fd");
        self.use_fd(tid, fd);
        if let (Some(fd), Some(0)) = (fd, ev.result()) {
            // Removed before the next event, so this one still shows the fd.
            self.pending_close = Some((self.pid_of(tid), fd));
        }
    }

    /// close_range: a successful call closes the process's fds in
    /// [first, last], or with CLOSE_RANGE_CLOEXEC only marks them
    /// close-on-exec. (CLOSE_RANGE_UNSHARE closes them in a private copy of
    /// the table; fds are kept per process here, so they go all the same.)
    pub(super) fn on_close_range(&mut self, ev: &EventRef<'_>) {
        if ev.result() != Some(0) {
            return;
        }
        let (Some(first), Some(last)) = (uint(ev, "first"), uint(ev, "last")) else {
            return;
        };
        let cloexec = uint(ev, "flags").unwrap_or(0) & CLOSE_RANGE_CLOEXEC != 0;
        let pid = self.pid_of(ev.tid());
        let Some(tab) = self.fds.get_mut(&pid) else {
            return;
        };
        let inside = |fd: i64| (first as i64..=last as i64).contains(&fd);
        if cloexec {
            for (_, f) in tab.iter_mut().filter(|(fd, _)| inside(**fd)) {
                std::sync::Arc::make_mut(f).open_flags |= O_CLOEXEC;
            }
        } else {
            let before = tab.len();
            tab.retain(|fd, _| !inside(*fd));
            self.stats.fds_removed += (before - tab.len()) as u64;
        }
    }

    pub(super) fn on_fcntl(&mut self, ev: &EventRef<'_>) {
        if matches!(uint(ev, "cmd"), Some(F_DUPFD | F_DUPFD_CLOEXEC)) {
            self.on_dup(ev, int(ev, "fd"));
        } else {
            self.use_fd(ev.tid(), int(ev, "fd"));
        }
    }

    pub(super) fn on_memfd(&mut self, ev: &EventRef<'_>) {
        let name = str_param(ev, "name")
            .map(|n| format!("memfd:{n}"))
            .unwrap_or_default();
        self.new_fd(ev.tid(), ev.result(), FdInfo::new(FdType::Memfd, name));
    }

    /// Other EF_CREATES_FD events: an unnamed fd of the syscall's type.
    pub(super) fn on_creates_fd(&mut self, ev: &EventRef<'_>) {
        let ftype = match ev.info().map_or("", |i| i.name) {
            "eventfd" | "eventfd2" => FdType::Event,
            "signalfd" | "signalfd4" => FdType::Signalfd,
            "epoll_create" | "epoll_create1" => FdType::Eventpoll,
            "inotify_init" | "inotify_init1" => FdType::Inotify,
            "timerfd_create" => FdType::Timerfd,
            "userfaultfd" => FdType::Userfaultfd,
            "io_uring_setup" => FdType::IoUring,
            "bpf" => FdType::Bpf,
            _ => FdType::Other,
        };
        self.new_fd(ev.tid(), ev.result(), FdInfo::new(ftype, String::new()));
    }

    /// pidfd_open: a pidfd that remembers its process, so that pidfd_getfd
    /// through it can copy that process's fd.
    pub(super) fn on_pidfd_open(&mut self, ev: &EventRef<'_>) {
        let tid = ev.tid();
        let mut f = FdInfo::new(FdType::Pidfd, String::new());
        f.pidfd_pid = int(ev, "pid")
            .and_then(|p| self.host_pid(tid, p))
            .unwrap_or(0);
        self.new_fd(tid, ev.result(), f);
    }

    /// pidfd_getfd: a copy of the target process's `target_fd` (always
    /// close-on-exec) when both the pidfd and that fd are known; else an
    /// unnamed fd of unknown type.
    pub(super) fn on_pidfd_getfd(&mut self, ev: &EventRef<'_>) {
        let tid = ev.tid();
        let src = int(ev, "pid_fd")
            .and_then(|pfd| self.fd(tid, pfd))
            .filter(|p| p.ftype == FdType::Pidfd && p.pidfd_pid != 0)
            .map(|p| p.pidfd_pid)
            .zip(int(ev, "target_fd"))
            .and_then(|(pid, fd)| self.fd(pid, fd).cloned());
        let info = match src {
            Some(f) => {
                let mut f = (*f).clone();
                if matches!(f.ftype, FdType::File | FdType::Directory) {
                    f.open_flags |= O_CLOEXEC;
                }
                f
            }
            None => FdInfo::new(FdType::Other, String::new()),
        };
        self.new_fd(tid, ev.result(), info);
    }

    /// The host pid of the process `vpid` names in the pid namespace of
    /// thread `tid` (pidfd_open's argument); None when it cannot be told.
    fn host_pid(&self, tid: u64, vpid: i64) -> Option<u64> {
        if vpid <= 0 {
            return None;
        }
        let me = match self.threads.get(&tid) {
            Some(t) if t.vpid > 0 && t.vpid as u64 != t.pid => t,
            // The host namespace (or a caller we know nothing of).
            _ => return Some(vpid as u64),
        };
        self.threads
            .values()
            .find(|t| t.vpid == vpid && t.pidns_init_start_ts == me.pidns_init_start_ts)
            .map(|t| t.pid)
    }

    pub(super) fn on_dup(&mut self, ev: &EventRef<'_>, old: Option<i64>) {
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

    pub(super) fn on_pipe(&mut self, ev: &EventRef<'_>) {
        if ev.result() != Some(0) {
            return;
        }
        let ino = uint(ev, "ino").unwrap_or(0);
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
}
