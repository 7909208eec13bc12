//! State that gives events their meaning: threads and processes, their fd
//! tables, users and groups, containers — and the Falco fields (`proc.name`,
//! `fd.name`, `user.name`, `container.id`, ...) that read it.
//!
//! Feed every event, in timestamp order, to [`State::process`]; then extract
//! fields for that event with [`StateField::extract`]. The state is seeded
//! from a capture's metadata ([`State::from_capture`]) or from `/proc`
//! ([`State::from_proc`], under an optional host-root prefix).
//!
//! Memory is bounded: at most `Limits::max_threads` threads (the least
//! recently active are evicted past it) and `Limits::max_fds` fds per
//! process; evictions and refusals are counted in [`Stats`].

mod container;
mod export;
mod fd;
mod fields;
mod parse;
mod procfs;
mod procnet;
mod shared;
mod thread;
mod users;

pub use container::{
    container_from_cgroups, ContainerInfo, ContainerMeta, ContainerMetadata, Mount,
    StaticContainers,
};
pub use export::machine_info;
pub use fd::{normalize, resolve, FdInfo, FdType, Role, Tuple};
pub use fields::{FieldValue, StateField, STATE_FIELDS};
pub use shared::{SharedStr, StrList};
pub use thread::ThreadInfo;
pub use users::Users;

use rustc_hash::FxHashMap;
use std::sync::Arc;

/// Every capability of current kernels (CAP_LAST_CAP = 40, CAP_CHECKPOINT_RESTORE).
const ALL_CAPS: u64 = (1 << 41) - 1;

/// Bounds on the tables.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_threads: usize,
    pub max_fds: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_threads: 262_144,
            max_fds: 65_536,
        }
    }
}

/// Counters of what the state did; never reset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub events: u64,
    pub threads_added: u64,
    pub threads_removed: u64,
    pub threads_evicted: u64,
    pub fds_added: u64,
    pub fds_removed: u64,
    pub fds_refused: u64,
    /// Threads the table lacked, looked up in /proc (live states only):
    /// found, gone, and not tried because the per-second budget was spent.
    pub proc_lookups: u64,
    pub proc_lookups_failed: u64,
    pub proc_lookups_limited: u64,
}

/// The fd an event acts on, resolved when the event was processed.
#[derive(Debug, Clone, Default)]
pub struct EventFd {
    /// fd number, if the event names one.
    pub num: Option<i64>,
    /// The fd's entry (kept even when the event closed it).
    pub info: Option<Arc<FdInfo>>,
    /// For failed opens: the path the syscall was given, resolved.
    pub failed_path: Option<String>,
    /// The type the fd has or would have had (open enter events, failed
    /// creations), for `fd.typechar` when there is no entry.
    pub hint: Option<FdType>,
    /// The event renamed an fd it did not create (`fd.name_changed`).
    pub name_changed: bool,
}

/// One process's fds. The maps are keyed by small integers we trust (tids,
/// fd numbers), so FxHash: a multiply per lookup instead of SipHash's rounds.
pub(crate) type FdTable = FxHashMap<i64, Arc<FdInfo>>;

/// Threads, fd tables, users.
#[derive(Debug)]
pub struct State {
    pub(crate) threads: FxHashMap<u64, ThreadInfo>,
    /// fd tables by process id (thread-group leader).
    pub(crate) fds: FxHashMap<u64, FdTable>,
    /// Live threads per process, so a process's fd table goes with its last thread.
    pub(crate) nthreads: FxHashMap<u64, u32>,
    pub users: Users,
    /// Container metadata (names, images, pods); `None` until a runtime client is configured.
    pub containers: Option<Arc<dyn ContainerMetadata>>,
    pub limits: Limits,
    pub(crate) stats: Stats,
    /// The event last processed: its thread and fd.
    pub(crate) cur_tid: u64,
    pub(crate) cur_fd: EventFd,
    /// Removals that wait until the next event (so the closing event can
    /// still show the fd, the exiting event its process).
    pub(crate) pending_close: Option<(u64, i64)>,
    pub(crate) pending_exit: Option<u64>,
    /// The capability mask a thread holds after creating or entering a user
    /// namespace: every capability the kernel knows.
    pub(crate) max_caps: u64,
    /// Boot time, ns since the epoch (0: unknown). The drivers report
    /// `pidns_init_start_ts` in CLOCK_MONOTONIC ns (event-schema.md); epoch
    /// timestamps such as container.start_ts add this.
    pub boot_ts: u64,
    /// Where the host's /proc and /etc were read (states seeded from
    /// /proc), so that exported metadata describes that host.
    pub(crate) host_root: Option<std::path::PathBuf>,
    /// /proc lookups of unknown threads in the current second of event
    /// time: (second, lookups so far).
    pub(crate) lookup_window: (u64, u32),
}

impl Default for State {
    fn default() -> Self {
        State {
            threads: FxHashMap::default(),
            fds: FxHashMap::default(),
            nthreads: FxHashMap::default(),
            users: Users::default(),
            containers: None,
            limits: Limits::default(),
            stats: Stats::default(),
            cur_tid: 0,
            cur_fd: EventFd::default(),
            pending_close: None,
            pending_exit: None,
            max_caps: ALL_CAPS,
            boot_ts: 0,
            host_root: None,
            lookup_window: (0, 0),
        }
    }
}

impl State {
    pub fn new(limits: Limits) -> Self {
        State {
            limits,
            ..Default::default()
        }
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    pub fn thread(&self, tid: u64) -> Option<&ThreadInfo> {
        self.threads.get(&tid)
    }

    /// The main thread (process) of `tid`.
    pub fn process_of(&self, tid: u64) -> Option<&ThreadInfo> {
        let t = self.threads.get(&tid)?;
        self.threads.get(&t.pid).or(Some(t))
    }

    pub fn thread_count(&self) -> usize {
        self.threads.len()
    }

    /// Total fds over every process.
    pub fn fd_count(&self) -> usize {
        self.fds.values().map(FdTable::len).sum()
    }

    /// The fd `fd` of the process of `tid`.
    pub fn fd(&self, tid: u64, fd: i64) -> Option<&Arc<FdInfo>> {
        let pid = self.threads.get(&tid).map_or(tid, |t| t.pid);
        self.fds.get(&pid)?.get(&fd)
    }

    /// The fd of the event last processed.
    pub fn event_fd(&self) -> &EventFd {
        &self.cur_fd
    }

    pub(crate) fn insert_thread(&mut self, t: ThreadInfo) {
        if !self.threads.contains_key(&t.tid) && self.threads.len() >= self.limits.max_threads {
            self.evict();
        }
        let pid = t.pid;
        match self.threads.insert(t.tid, t) {
            None => {
                self.stats.threads_added += 1;
                *self.nthreads.entry(pid).or_default() += 1;
            }
            // Replacing a thread keeps its process's fd table unless the
            // thread moved to another process.
            Some(old) if old.pid != pid => {
                *self.nthreads.entry(pid).or_default() += 1;
                self.unlink_pid(old.pid);
            }
            Some(_) => {}
        }
    }

    /// Drops the least recently active 1/64 of the threads (at least one).
    fn evict(&mut self) {
        let n = (self.threads.len() / 64).max(1);
        let mut by_age: Vec<(u64, u64)> =
            self.threads.values().map(|t| (t.last_ts, t.tid)).collect();
        by_age.select_nth_unstable(n - 1);
        for &(_, tid) in &by_age[..n] {
            self.remove_thread(tid);
            self.stats.threads_evicted += 1;
            self.stats.threads_removed -= 1;
        }
    }

    pub(crate) fn remove_thread(&mut self, tid: u64) {
        if let Some(t) = self.threads.remove(&tid) {
            self.stats.threads_removed += 1;
            self.unlink_pid(t.pid);
        }
    }

    /// One thread fewer in process `pid`; its fd table goes with the last.
    fn unlink_pid(&mut self, pid: u64) {
        let left = match self.nthreads.get_mut(&pid) {
            Some(n) => {
                *n = n.saturating_sub(1);
                *n
            }
            None => 0,
        };
        if left == 0 {
            self.nthreads.remove(&pid);
            if let Some(tab) = self.fds.remove(&pid) {
                self.stats.fds_removed += tab.len() as u64;
            }
        }
    }

    pub(crate) fn insert_fd(&mut self, pid: u64, fd: i64, info: FdInfo) -> Option<Arc<FdInfo>> {
        let max = self.limits.max_fds;
        let tab = self.fds.entry(pid).or_default();
        if tab.len() >= max && !tab.contains_key(&fd) {
            self.stats.fds_refused += 1;
            return None;
        }
        let a = Arc::new(info);
        if tab.insert(fd, a.clone()).is_none() {
            self.stats.fds_added += 1;
        }
        Some(a)
    }
}
