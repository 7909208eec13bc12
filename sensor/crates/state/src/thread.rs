//! One thread's view of its process.

use crate::shared::{SharedStr, StrList};
use peregrine_scap::ProcInfo;

/// What we know of a thread. Process-level strings are shared (reference
/// counted) between the threads of a process and the children it forks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThreadInfo {
    pub tid: u64,
    /// Thread-group leader (process id).
    pub pid: u64,
    /// Parent process id.
    pub ptid: u64,
    pub sid: i64,
    pub vpgid: i64,
    pub pgid: i64,
    pub vtid: i64,
    pub vpid: i64,
    /// Task comm (≤ 15 bytes).
    pub comm: String,
    /// argv[0].
    pub exe: SharedStr,
    /// Executable path as the kernel resolved it.
    pub exepath: SharedStr,
    pub args: StrList,
    pub cwd: SharedStr,
    /// `K=V` strings.
    pub env: StrList,
    /// `subsys=path` strings.
    pub cgroups: StrList,
    pub root: SharedStr,
    /// Effective uid/gid.
    pub uid: u32,
    pub gid: u32,
    pub loginuid: u32,
    pub tty: u32,
    pub cap_inheritable: u64,
    pub cap_permitted: u64,
    pub cap_effective: u64,
    /// execve_flags bits (EXE_WRITABLE, EXE_UPPER_LAYER, EXE_FROM_MEMFD, EXE_LOWER_LAYER).
    pub exe_flags: u32,
    pub exe_ino: u64,
    pub exe_ino_ctime: u64,
    pub exe_ino_mtime: u64,
    pub pidns_init_start_ts: u64,
    /// Process start (clone time), ns since the epoch; 0 when unknown.
    pub clone_ts: u64,
    /// Timestamp of the last event of this thread (for eviction).
    pub last_ts: u64,
    /// 12-char container id, or "host".
    pub container_id: SharedStr,
    /// Container runtime from the cgroup path (docker, containerd, cri-o, podman); empty on the host.
    pub container_runtime: &'static str,
    /// Namespaces (scap clone_flags CLONE_NEW* bits) this thread created
    /// with unshare or entered with setns since we have known it.
    pub ns_flags: u32,
}

pub(crate) fn lossy(b: &[u8]) -> String {
    let b = match b.iter().position(|&c| c == 0) {
        Some(p) => &b[..p],
        None => b,
    };
    String::from_utf8_lossy(b).into_owned()
}

/// `host`, shared by every host thread.
fn host_id() -> SharedStr {
    static HOST: std::sync::OnceLock<SharedStr> = std::sync::OnceLock::new();
    HOST.get_or_init(|| SharedStr::from("host")).clone()
}

impl ThreadInfo {
    /// From a capture's process-list entry.
    pub fn from_proc_info(p: &ProcInfo) -> Self {
        let mut t = ThreadInfo {
            tid: p.tid,
            pid: p.pid,
            ptid: p.ptid,
            sid: p.sid,
            vpgid: p.vpgid,
            pgid: p.pgid,
            vtid: p.vtid,
            vpid: p.vpid,
            comm: lossy(&p.comm),
            exe: lossy(&p.exe).into(),
            exepath: lossy(&p.exepath).into(),
            args: StrList::from_nul(&p.args),
            cwd: lossy(&p.cwd).into(),
            env: StrList::from_nul(&p.env),
            root: lossy(&p.root).into(),
            uid: p.uid,
            gid: p.gid,
            loginuid: p.loginuid,
            tty: p.tty,
            cap_inheritable: p.cap_inheritable,
            cap_permitted: p.cap_permitted,
            cap_effective: p.cap_effective,
            exe_flags: (p.exe_writable as u32)
                | (p.exe_upper_layer as u32) << 1
                | (p.exe_from_memfd as u32) << 2
                | (p.exe_lower_layer as u32) << 3,
            exe_ino: p.exe_ino,
            exe_ino_ctime: p.exe_ino_ctime,
            exe_ino_mtime: p.exe_ino_mtime,
            pidns_init_start_ts: p.pidns_init_start_ts,
            cgroups: StrList::from_nul(&p.cgroups),
            ..Default::default()
        };
        t.set_container();
        t
    }

    /// Container id and runtime from the cgroups.
    pub(crate) fn set_container(&mut self) {
        let c = crate::container::container_from_cgroups(self.cgroups.iter());
        if self.container_id != c.id.as_str() {
            self.container_id = if c.id == "host" {
                host_id()
            } else {
                c.id.into()
            };
        }
        self.container_runtime = c.runtime;
    }

    /// `proc.cmdline`: the name followed by each argument.
    pub fn cmdline(&self) -> String {
        let mut s = self.comm.clone();
        for a in self.args.iter() {
            s.push(' ');
            s.push_str(a);
        }
        s
    }

    /// `proc.exeline`: argv[0] followed by each argument.
    pub fn exeline(&self) -> String {
        let mut s = self.exe.to_string();
        for a in self.args.iter() {
            s.push(' ');
            s.push_str(a);
        }
        s
    }

    pub fn is_main_thread(&self) -> bool {
        self.tid == self.pid
    }
}
