//! Reading a field's value from the state for the event last processed.

use super::{FieldValue, StateField};
use crate::fd::{FdInfo, FdType};
use crate::thread::ThreadInfo;
use crate::State;
use peregrine_event::EventRef;
use std::borrow::Cow;

impl StateField {
    /// The value of this field for `ev`, which must be the event last given
    /// to [`State::process`]. `None` when the event or state has no value.
    pub fn extract<'s>(&self, st: &'s State, ev: &EventRef<'_>) -> Option<FieldValue<'s>> {
        use FieldValue as V;
        use StateField::*;
        let s = |x: &'s str| Some(V::Str(Cow::Borrowed(x)));
        let own = |x: String| Some(V::Str(Cow::Owned(x)));
        let tid = ev.tid();
        let th = || st.threads.get(&tid);
        let pr = || st.process_of(tid);
        // The parent of a thread is the thread that created it (for the
        // main thread: the parent process).
        let parent = || {
            th().and_then(|t| {
                st.process_of(t.ptid)
                    .filter(|q| q.pid != t.pid || q.tid != t.tid)
            })
        };
        let fd = || st.cur_fd.info.as_deref();
        match self {
            ProcName => th().and_then(|t| s(&t.comm)),
            ProcExe => pr().and_then(|t| s(&t.exe)),
            ProcExepath => pr().and_then(|t| s(&t.exepath)),
            ProcArgs => pr().and_then(|t| own(t.args.join(" "))),
            ProcCmdline => pr().and_then(|t| own(t.cmdline())),
            ProcExeline => pr().and_then(|t| own(t.exeline())),
            ProcCwd => th().and_then(|t| s(&t.cwd)),
            ProcEnv => pr().and_then(|t| own(t.env.join(" "))),
            ProcEnvVar(k) => pr().and_then(|t| {
                t.env
                    .iter()
                    .find_map(|e| e.strip_prefix(k.as_str()).and_then(|r| r.strip_prefix('=')))
                    .and_then(s)
            }),
            ProcPid => th().map(|t| V::I64(t.pid as i64)),
            ProcPpid => pr().map(|t| V::I64(t.ptid as i64)),
            ProcVpid => pr().map(|t| V::I64(t.vpid)),
            ProcSid => pr().map(|t| V::I64(t.sid)),
            ProcVpgid => pr().map(|t| V::I64(t.vpgid)),
            ProcTty => pr().map(|t| V::U64(t.tty as u64)),
            ProcPname => parent().and_then(|t| s(&t.comm)),
            ProcPexe => parent().and_then(|t| s(&t.exe)),
            ProcPexepath => parent().and_then(|t| s(&t.exepath)),
            ProcPcmdline => parent().and_then(|t| own(t.cmdline())),
            ProcAname(i) => ancestor(st, tid, *i, |t| Cow::Borrowed(&t.comm)),
            ProcAexe(i) => ancestor(st, tid, *i, |t| Cow::Borrowed(&t.exe)),
            ProcAexepath(i) => ancestor(st, tid, *i, |t| Cow::Borrowed(&t.exepath)),
            ProcApid(i) => ancestor(st, tid, *i, |t| Cow::Owned(t.pid.to_string())),
            ProcAcmdline(i) => ancestor(st, tid, *i, |t| Cow::Owned(t.cmdline())),
            ProcSname => {
                let p = pr()?;
                let mut cur = p;
                for _ in 0..64 {
                    if cur.pid as i64 == cur.sid {
                        break;
                    }
                    match st.process_of(cur.ptid) {
                        Some(q) if q.sid == p.sid && q.tid != cur.tid => cur = q,
                        _ => break,
                    }
                }
                s(&cur.comm)
            }
            ProcDuration => pr()
                .filter(|t| t.clone_ts != 0)
                .map(|t| V::U64(ev.ts().saturating_sub(t.clone_ts))),
            ProcIsVpgidLeader => pr().map(|t| V::Bool(t.vpgid == t.vpid)),
            ProcIsExeUpperLayer => pr().map(|t| V::Bool(t.exe_flags & 2 != 0)),
            ProcIsExeFromMemfd => pr().map(|t| V::Bool(t.exe_flags & 4 != 0)),
            ProcIsExeWritable => pr().map(|t| V::Bool(t.exe_flags & 1 != 0)),
            ProcExeInoCtime => pr().map(|t| V::U64(t.exe_ino_ctime)),
            ProcExeInoMtime => pr().map(|t| V::U64(t.exe_ino_mtime)),
            ProcPidnsInitStartTs => th().map(|t| V::U64(t.pidns_init_start_ts)),
            ThreadVtid => th().map(|t| V::I64(t.vtid)),
            ThreadCapEffective => th().map(|t| V::Str(Cow::Owned(caps(t.cap_effective)))),
            ThreadCapPermitted => th().map(|t| V::Str(Cow::Owned(caps(t.cap_permitted)))),
            ThreadCapInheritable => th().map(|t| V::Str(Cow::Owned(caps(t.cap_inheritable)))),
            UserUid => th().map(|t| V::U64(t.uid as u64)),
            UserName => th().and_then(|t| st.users.user(t.uid)).and_then(s),
            UserLoginuid => th().map(|t| {
                V::I64(if t.loginuid == u32::MAX {
                    -1
                } else {
                    t.loginuid as i64
                })
            }),
            UserLoginname => th()
                .filter(|t| t.loginuid != u32::MAX)
                .and_then(|t| st.users.user(t.loginuid))
                .and_then(s),
            GroupGid => th().map(|t| V::U64(t.gid as u64)),
            GroupName => th().and_then(|t| st.users.group(t.gid)).and_then(s),
            FdNum => st.cur_fd.num.map(V::I64),
            FdName => match fd() {
                Some(f) => s(&f.name),
                None => st.cur_fd.failed_path.as_deref().and_then(s),
            },
            FdNameraw => fd().and_then(|f| s(&f.nameraw)),
            FdDirectory => fd()
                .filter(|f| is_path(f))
                .map(|f| V::Str(Cow::Owned(dir_of(f)))),
            FdFilename => fd().filter(|f| f.ftype == self::FdType::File).map(|f| {
                V::Str(Cow::Owned(
                    f.name
                        .rsplit_once('/')
                        .map_or(f.name.clone(), |(_, b)| b.to_string()),
                ))
            }),
            FdTypechar => fd()
                .map(|f| f.ftype)
                .or(st.cur_fd.hint)
                .map(|t| V::Str(Cow::Owned(t.typechar().to_string()))),
            StateField::FdType => fd()
                .map(|f| f.ftype)
                .or(st.cur_fd.hint)
                .and_then(|t| s(t.name())),
            FdL4proto => fd()
                .filter(|f| !f.l4proto.is_empty())
                .and_then(|f| s(f.l4proto)),
            FdSockfamily => fd().and_then(|f| match f.ftype {
                self::FdType::Ipv4 | self::FdType::Ipv6 => s("ip"),
                self::FdType::Unix => s("unix"),
                _ => None,
            }),
            FdSip => fd()
                .and_then(|f| f.tuple.map(|t| t.sip).or(f.bound().map(|b| b.0)))
                .map(V::Ip),
            FdSport => fd()
                .and_then(|f| f.tuple.map(|t| t.sport).or(f.bound().map(|b| b.1)))
                .map(|p| V::U64(p as u64)),
            FdCip => fd().and_then(|f| f.tuple).map(|t| V::Ip(t.cip)),
            FdCport => fd().and_then(|f| f.tuple).map(|t| V::U64(t.cport as u64)),
            FdLip => fd().and_then(FdInfo::local_remote).map(|(l, _)| V::Ip(l.0)),
            FdLport => fd()
                .and_then(FdInfo::local_remote)
                .map(|(l, _)| V::U64(l.1 as u64)),
            FdRip => fd().and_then(FdInfo::local_remote).map(|(_, r)| V::Ip(r.0)),
            FdRport => fd()
                .and_then(FdInfo::local_remote)
                .map(|(_, r)| V::U64(r.1 as u64)),
            FdConnected => fd().map(|f| V::Bool(f.connected)),
            FdIno => fd().map(|f| V::U64(f.ino)),
            // Only events that act on an fd have a value, as in libsinsp.
            FdNameChanged => fd().map(|_| V::Bool(st.cur_fd.name_changed)),
            ContainerId => th()
                .map(|t| {
                    if t.container_id.is_empty() {
                        "host"
                    } else {
                        t.container_id.as_str()
                    }
                })
                .and_then(s),
            ContainerType => th()
                .map(|t| {
                    if t.container_runtime.is_empty() {
                        "host"
                    } else {
                        t.container_runtime
                    }
                })
                .and_then(s),
            // The kernel's pid-namespace init start is the container's start
            // (rules.md §4); host processes (and threads whose clone event we
            // never saw) have none.
            ContainerStartTs => th()
                .filter(|t| {
                    !t.container_runtime.is_empty() && t.pidns_init_start_ts != 0 && st.boot_ts != 0
                })
                .map(|t| V::U64(st.boot_ts + t.pidns_init_start_ts)),
            ContainerName
            | ContainerImage
            | ContainerImageRepository
            | ContainerImageTag
            | ContainerImageId
            | ContainerPrivileged
            | ContainerMounts
            | ContainerMountDest(_)
            | K8sNsName
            | K8sPodName
            | K8sPodUid => {
                let t = th()?;
                let m = st.containers.as_ref()?.lookup(&t.container_id)?;
                let owned = |v: &str| (!v.is_empty()).then(|| V::Str(Cow::Owned(v.to_string())));
                match self {
                    ContainerName => owned(&m.name),
                    ContainerImage => owned(&m.image),
                    ContainerImageRepository => owned(&m.image_repository),
                    ContainerImageTag => owned(&m.image_tag),
                    ContainerImageId => owned(&m.image_id),
                    ContainerPrivileged => m.privileged.map(V::Bool),
                    ContainerMounts => owned(&m.mounts_text()),
                    ContainerMountDest(src) => m.mount_dest(src).and_then(owned),
                    K8sNsName => m.k8s_namespace.as_deref().and_then(owned),
                    K8sPodName => m.k8s_pod_name.as_deref().and_then(owned),
                    _ => m.k8s_pod_uid.as_deref().and_then(owned),
                }
            }
            EvtIsOpenRead | EvtIsOpenWrite | EvtIsOpenExec => is_open(self, ev),
        }
    }
}

fn is_path(f: &FdInfo) -> bool {
    matches!(f.ftype, FdType::File | FdType::Directory)
}

fn dir_of(f: &FdInfo) -> String {
    if f.ftype == FdType::Directory {
        return f.name.clone();
    }
    match f.name.rsplit_once('/') {
        Some(("", _)) => "/".to_string(),
        Some((d, _)) => d.to_string(),
        None => f.name.clone(),
    }
}

/// Ancestor `i` (0 = the process itself); without an index, all ancestors
/// (from the parent up) joined by spaces.
fn ancestor<'s>(
    st: &'s State,
    tid: u64,
    i: Option<usize>,
    get: impl Fn(&'s ThreadInfo) -> Cow<'s, str>,
) -> Option<FieldValue<'s>> {
    let mut cur = st.process_of(tid)?;
    // Joined only for the un-indexed form; an indexed one borrows its value.
    let (mut all, mut found) = (String::new(), 0);
    for depth in 0..64usize {
        match i {
            Some(n) if n == depth => return Some(FieldValue::Str(get(cur))),
            None if depth > 0 => {
                if found > 0 {
                    all.push(' ');
                }
                found += 1;
                all.push_str(&get(cur));
            }
            _ => {}
        }
        match st.process_of(cur.ptid) {
            Some(p) if p.tid != cur.tid => cur = p,
            _ => break,
        }
    }
    (i.is_none() && found > 0).then_some(FieldValue::Str(Cow::Owned(all)))
}

/// Capability names for a mask, space separated.
fn caps(mask: u64) -> String {
    const NAMES: [&str; 41] = [
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_DAC_READ_SEARCH",
        "CAP_FOWNER",
        "CAP_FSETID",
        "CAP_KILL",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SETPCAP",
        "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN",
        "CAP_NET_RAW",
        "CAP_IPC_LOCK",
        "CAP_IPC_OWNER",
        "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO",
        "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT",
        "CAP_SYS_ADMIN",
        "CAP_SYS_BOOT",
        "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG",
        "CAP_MKNOD",
        "CAP_LEASE",
        "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE",
        "CAP_MAC_ADMIN",
        "CAP_SYSLOG",
        "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND",
        "CAP_AUDIT_READ",
        "CAP_PERFMON",
        "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
    ];
    NAMES
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, n)| *n)
        .collect::<Vec<_>>()
        .join(" ")
}

/// evt.is_open_read/write/exec from the open event's flags and mode.
fn is_open<'s>(f: &StateField, ev: &EventRef<'_>) -> Option<FieldValue<'s>> {
    let name = ev.info()?.name;
    if !matches!(
        name,
        "open" | "openat" | "openat2" | "open_by_handle_at" | "creat"
    ) {
        return Some(FieldValue::Bool(false));
    }
    let flags = ev
        .param_by_name("flags")
        .and_then(|p| p.as_u64())
        .unwrap_or(0) as u32;
    let flags = if name == "creat" {
        flags | 0x4 | 0x2
    } else {
        flags
    };
    let acc = flags & 3;
    Some(FieldValue::Bool(match f {
        StateField::EvtIsOpenRead => acc == 1 || acc == 3,
        StateField::EvtIsOpenWrite => acc == 2 || acc == 3,
        _ => {
            let mode = ev
                .param_by_name("mode")
                .and_then(|p| p.as_u64())
                .unwrap_or(0);
            flags & 0x4 != 0 && mode & 0o111 != 0
        }
    }))
}
