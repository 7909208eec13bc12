//! Keeping the tables current from events (current, exit-only layouts; old
//! captures are converted before they get here). One file per syscall
//! family: processes and credentials (`proc`), files and other fds
//! (`files`), sockets (`net`), capture seeding (`seed`).

mod files;
mod net;
mod proc;
pub(crate) mod seed;

use crate::fd::{FdInfo, FdType};
use crate::thread::ThreadInfo;
use crate::{EventFd, Limits, State, Users};
use peregrine_event::{EventRef, Param};
use peregrine_scap::Metadata;
use peregrine_wire::raw;
use seed::from_scap_fd;

/// Event codes as `u16` constants, so that [`State::process`] dispatches with
/// one `match` (a jump table) instead of a chain of comparisons.
mod code {
    use peregrine_wire::raw;
    macro_rules! codes {
        ($($name:ident = $raw:ident,)*) => { $(pub const $name: u16 = raw::$raw as u16;)* };
    }
    codes! {
        CLONE = PPME_SYSCALL_CLONE_20_X,
        FORK = PPME_SYSCALL_FORK_20_X,
        VFORK = PPME_SYSCALL_VFORK_20_X,
        CLONE3 = PPME_SYSCALL_CLONE3_X,
        EXECVE = PPME_SYSCALL_EXECVE_19_X,
        EXECVEAT = PPME_SYSCALL_EXECVEAT_X,
        PROCEXIT = PPME_PROCEXIT_1_E,
        OPEN_E = PPME_SYSCALL_OPEN_E,
        OPENAT_E = PPME_SYSCALL_OPENAT_2_E,
        OPENAT2_E = PPME_SYSCALL_OPENAT2_E,
        CREAT_E = PPME_SYSCALL_CREAT_E,
        OPEN = PPME_SYSCALL_OPEN_X,
        OPENAT = PPME_SYSCALL_OPENAT_2_X,
        OPENAT2 = PPME_SYSCALL_OPENAT2_X,
        CREAT = PPME_SYSCALL_CREAT_X,
        OPEN_BY_HANDLE_AT = PPME_SYSCALL_OPEN_BY_HANDLE_AT_X,
        CLOSE = PPME_SYSCALL_CLOSE_X,
        CLOSE_RANGE = PPME_SYSCALL_CLOSE_RANGE_X,
        DUP = PPME_SYSCALL_DUP_1_X,
        DUP2 = PPME_SYSCALL_DUP2_X,
        DUP3 = PPME_SYSCALL_DUP3_X,
        FCNTL = PPME_SYSCALL_FCNTL_X,
        PIPE = PPME_SYSCALL_PIPE_X,
        PIPE2 = PPME_SYSCALL_PIPE2_X,
        SOCKET = PPME_SOCKET_SOCKET_X,
        SOCKETPAIR = PPME_SOCKET_SOCKETPAIR_X,
        CONNECT_E = PPME_SOCKET_CONNECT_E,
        CONNECT = PPME_SOCKET_CONNECT_X,
        BIND = PPME_SOCKET_BIND_X,
        ACCEPT_5 = PPME_SOCKET_ACCEPT_5_X,
        ACCEPT4_6 = PPME_SOCKET_ACCEPT4_6_X,
        ACCEPT = PPME_SOCKET_ACCEPT_X,
        ACCEPT4 = PPME_SOCKET_ACCEPT4_X,
        CHDIR = PPME_SYSCALL_CHDIR_X,
        FCHDIR = PPME_SYSCALL_FCHDIR_X,
        CHROOT = PPME_SYSCALL_CHROOT_X,
        SETUID = PPME_SYSCALL_SETUID_X,
        SETRESUID = PPME_SYSCALL_SETRESUID_X,
        SETREUID = PPME_SYSCALL_SETREUID_X,
        SETGID = PPME_SYSCALL_SETGID_X,
        SETRESGID = PPME_SYSCALL_SETRESGID_X,
        SETREGID = PPME_SYSCALL_SETREGID_X,
        SETSID = PPME_SYSCALL_SETSID_X,
        SETPGID = PPME_SYSCALL_SETPGID_X,
        CAPSET = PPME_SYSCALL_CAPSET_X,
        PRCTL = PPME_SYSCALL_PRCTL_X,
        MEMFD_CREATE = PPME_SYSCALL_MEMFD_CREATE_X,
        PIDFD_OPEN = PPME_SYSCALL_PIDFD_OPEN_X,
        PIDFD_GETFD = PPME_SYSCALL_PIDFD_GETFD_X,
        UNSHARE = PPME_SYSCALL_UNSHARE_X,
        SETNS = PPME_SYSCALL_SETNS_X,
    }
}

impl State {
    /// State as a capture recorded it before its first event.
    pub fn from_capture(meta: &Metadata, limits: Limits) -> Self {
        let mut s = State::new(limits);
        s.users = Users::from_capture(meta);
        // 2022 captures leave it 0 (reserved): container.start_ts is then unknown.
        s.boot_ts = meta.machine.as_ref().map_or(0, |m| m.boot_ts_epoch);
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
        use code::*;
        if let Some(t) = self.threads.get_mut(&tid) {
            t.last_ts = ev.ts();
        } else if !matches!(ev.code(), CLONE | FORK | VFORK | CLONE3 | PROCEXIT) {
            // A thread we missed (started during the startup scan, or its
            // clone lost to a ring drop): ask /proc, on live hosts. A clone
            // child's own event brings its data; an exiting thread is gone.
            self.lookup_missing(tid, ev.ts());
        }
        let Some(info) = ev.info() else { return };
        match ev.code() {
            CLONE | FORK | VFORK | CLONE3 => self.on_clone(ev),
            EXECVE | EXECVEAT => self.on_exec(ev),
            PROCEXIT => self.pending_exit = Some(tid),
            // Enter events of opens: no fd yet, but it will be a file.
            OPEN_E | OPENAT_E | OPENAT2_E | CREAT_E => self.cur_fd.hint = Some(FdType::File),
            OPEN | OPENAT | OPENAT2 | CREAT | OPEN_BY_HANDLE_AT => self.on_open(ev),
            CLOSE => self.on_close(ev),
            CLOSE_RANGE => self.on_close_range(ev),
            DUP | DUP2 | DUP3 => self.on_dup(ev, int(ev, "oldfd")),
            FCNTL => self.on_fcntl(ev),
            PIPE | PIPE2 => self.on_pipe(ev),
            MEMFD_CREATE => self.on_memfd(ev),
            PIDFD_OPEN => self.on_pidfd_open(ev),
            PIDFD_GETFD => self.on_pidfd_getfd(ev),
            SOCKET => self.on_socket(ev),
            SOCKETPAIR => self.on_socketpair(ev),
            CONNECT_E => self.on_connect_enter(ev),
            CONNECT => self.on_connect(ev),
            BIND => self.on_bind(ev),
            ACCEPT_5 | ACCEPT4_6 | ACCEPT | ACCEPT4 => self.on_accept(ev),
            CHDIR => self.on_chdir(ev),
            FCHDIR => self.on_fchdir(ev),
            CHROOT => self.on_chroot(ev),
            SETUID => self.on_ids(ev, Some("uid"), None),
            SETRESUID | SETREUID => self.on_ids(ev, Some("euid"), None),
            SETGID => self.on_ids(ev, None, Some("gid")),
            SETRESGID | SETREGID => self.on_ids(ev, None, Some("egid")),
            SETSID => self.on_setsid(ev),
            SETPGID => self.on_setpgid(ev),
            CAPSET => self.on_capset(ev),
            PRCTL => self.on_prctl(ev),
            UNSHARE => self.on_namespaces(ev, "flags"),
            SETNS => {
                self.use_fd(tid, int(ev, "fd"));
                self.on_namespaces(ev, "nstype");
            }
            _ if info.flags & raw::EF_CREATES_FD != 0 => self.on_creates_fd(ev),
            _ if info.flags & raw::EF_USES_FD != 0 => self.on_uses_fd(ev),
            _ => {}
        }
    }

    /// Events that act on an fd they do not create (read, write, sendto...).
    fn on_uses_fd(&mut self, ev: &EventRef<'_>) {
        // The fd is the `fd` parameter, else the first fd-typed one
        // (sendfile's out_fd, splice's fd_in...).
        let fd = int(ev, "fd").or_else(|| first_fd_param(ev));
        if let Some(fd) = fd {
            self.use_fd(ev.tid(), Some(fd));
        }
        if let Some(Param::SockTuple(_)) = ev.param_by_name("tuple") {
            self.on_tuple_update(ev, fd);
        }
    }

    pub(super) fn pid_of(&self, tid: u64) -> u64 {
        self.threads.get(&tid).map_or(tid, |t| t.pid)
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

pub(super) fn uint(ev: &EventRef<'_>, name: &str) -> Option<u64> {
    ev.param_by_name(name).and_then(|p| p.as_u64())
}

pub(super) fn str_param(ev: &EventRef<'_>, name: &str) -> Option<String> {
    match ev.param_by_name(name)? {
        Param::Str(s) => Some(String::from_utf8_lossy(s).into_owned()),
        _ => None,
    }
}
