//! Falco fields that read state: `proc.*`, `thread.*`, `user.*`,
//! `group.*`, `fd.*`, `container.*`, `evt.is_open_*`.

use crate::fd::{FdInfo, FdType};
use crate::thread::ThreadInfo;
use crate::State;
use peregrine_event::EventRef;
use std::borrow::Cow;
use std::fmt::Write;
use std::net::IpAddr;

/// A field value with its type (rules compare typed values).
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue<'a> {
    Str(Cow<'a, str>),
    I64(i64),
    U64(u64),
    Bool(bool),
    Ip(IpAddr),
}

impl FieldValue<'_> {
    /// Appends the value as Falco prints it.
    pub fn write_to(&self, out: &mut String) {
        let _ = match self {
            FieldValue::Str(s) => {
                out.push_str(s);
                Ok(())
            }
            FieldValue::I64(v) => write!(out, "{v}"),
            FieldValue::U64(v) => write!(out, "{v}"),
            FieldValue::Bool(b) => write!(out, "{b}"),
            FieldValue::Ip(ip) => write!(out, "{ip}"),
        };
    }
}

macro_rules! state_fields {
    ($($var:ident $(($arg:ty))? = $name:literal : $desc:literal,)*) => {
        /// A state field.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum StateField { $($var $(($arg))?,)* }
        /// (name, description) of every state field, for `list-fields`.
        pub const STATE_FIELDS: &[(&str, &str)] = &[$(($name, $desc),)*];
    };
}

state_fields! {
    ProcName = "proc.name": "process name (comm)",
    ProcExe = "proc.exe": "argv[0] of the process",
    ProcExepath = "proc.exepath": "full path of the executable",
    ProcArgs = "proc.args": "arguments, space separated (without argv[0])",
    ProcCmdline = "proc.cmdline": "name and arguments",
    ProcExeline = "proc.exeline": "argv[0] and arguments",
    ProcCwd = "proc.cwd": "working directory",
    ProcEnv = "proc.env": "environment, space separated (proc.env[NAME] for one variable)",
    ProcEnvVar(String) = "proc.env[NAME]": "one environment variable",
    ProcPid = "proc.pid": "process id",
    ProcPpid = "proc.ppid": "parent process id",
    ProcVpid = "proc.vpid": "process id in its pid namespace",
    ProcSid = "proc.sid": "session id",
    ProcVpgid = "proc.vpgid": "process group id in its namespace",
    ProcTty = "proc.tty": "controlling terminal (0 for none)",
    ProcPname = "proc.pname": "parent's name",
    ProcPexe = "proc.pexe": "parent's argv[0]",
    ProcPexepath = "proc.pexepath": "parent's executable path",
    ProcPcmdline = "proc.pcmdline": "parent's command line",
    ProcAname(Option<usize>) = "proc.aname[N]": "N-th ancestor's name (0 = self; without [N]: all ancestors)",
    ProcAexe(Option<usize>) = "proc.aexe[N]": "N-th ancestor's argv[0]",
    ProcAexepath(Option<usize>) = "proc.aexepath[N]": "N-th ancestor's executable path",
    ProcApid(Option<usize>) = "proc.apid[N]": "N-th ancestor's pid",
    ProcAcmdline(Option<usize>) = "proc.acmdline[N]": "N-th ancestor's command line",
    ProcSname = "proc.sname": "session leader's name",
    ProcDuration = "proc.duration": "ns since the process started",
    ProcIsVpgidLeader = "proc.is_vpgid_leader": "the process leads its process group",
    ProcIsExeUpperLayer = "proc.is_exe_upper_layer": "executable on an overlayfs upper layer",
    ProcIsExeFromMemfd = "proc.is_exe_from_memfd": "executable is a memfd",
    ProcIsExeWritable = "proc.is_exe_writable": "executable writable by the process",
    ProcExeInoCtime = "proc.exe_ino.ctime": "executable inode change time",
    ProcExeInoMtime = "proc.exe_ino.mtime": "executable inode modification time",
    ThreadVtid = "thread.vtid": "thread id in its pid namespace",
    ThreadCapEffective = "thread.cap_effective": "effective capabilities",
    ThreadCapPermitted = "thread.cap_permitted": "permitted capabilities",
    ThreadCapInheritable = "thread.cap_inheritable": "inheritable capabilities",
    UserUid = "user.uid": "effective user id",
    UserName = "user.name": "effective user name",
    UserLoginuid = "user.loginuid": "audit login uid (-1 if none)",
    UserLoginname = "user.loginname": "audit login user name",
    GroupGid = "group.gid": "effective group id",
    GroupName = "group.name": "effective group name",
    FdNum = "fd.num": "fd the event acts on",
    FdName = "fd.name": "fd name: absolute path, cip:cport->sip:sport, unix path...",
    FdNameraw = "fd.nameraw": "path as the syscall got it",
    FdDirectory = "fd.directory": "directory of fd.name",
    FdFilename = "fd.filename": "file name of fd.name",
    FdTypechar = "fd.typechar": "fd type character: f d 4 6 u p e s l i t n b r m o",
    FdType = "fd.type": "fd type: file, directory, ipv4, ipv6, unix, pipe, ...",
    FdL4proto = "fd.l4proto": "tcp, udp, icmp, raw",
    FdSockfamily = "fd.sockfamily": "ip or unix",
    FdSip = "fd.sip": "server IP",
    FdSport = "fd.sport": "server port",
    FdCip = "fd.cip": "client IP",
    FdCport = "fd.cport": "client port",
    FdLip = "fd.lip": "local IP",
    FdLport = "fd.lport": "local port",
    FdRip = "fd.rip": "remote IP",
    FdRport = "fd.rport": "remote port",
    FdConnected = "fd.connected": "socket connected",
    FdIno = "fd.ino": "inode number",
    ContainerId = "container.id": "12-char container id, or host",
    ContainerType = "container.type": "container runtime: docker, containerd, cri-o, podman (host processes: host)",
    ContainerName = "container.name": "container name (from the runtime's metadata)",
    ContainerImage = "container.image": "container image (from the runtime's metadata)",
    ContainerImageRepository = "container.image.repository": "image without tag or digest",
    ContainerImageTag = "container.image.tag": "image tag",
    ContainerImageId = "container.image.id": "image id",
    ContainerPrivileged = "container.privileged": "runtime-reported privileged flag",
    K8sNsName = "k8s.ns.name": "pod namespace (from the runtime's metadata)",
    K8sPodName = "k8s.pod.name": "pod name (from the runtime's metadata)",
    K8sPodUid = "k8s.pod.uid": "pod uid (from the runtime's metadata)",
    EvtIsOpenRead = "evt.is_open_read": "an open for reading",
    EvtIsOpenWrite = "evt.is_open_write": "an open for writing",
    EvtIsOpenExec = "evt.is_open_exec": "an open that creates a file with an exec bit",
}

fn indexed(name: &str, base: &str) -> Option<Option<usize>> {
    let rest = name.strip_prefix(base)?;
    if rest.is_empty() {
        return Some(None);
    }
    rest.strip_prefix('[')?
        .strip_suffix(']')?
        .parse()
        .ok()
        .map(Some)
}

impl StateField {
    pub fn parse(name: &str) -> Option<StateField> {
        use StateField::*;
        if let Some(v) = name
            .strip_prefix("proc.env[")
            .and_then(|r| r.strip_suffix(']'))
        {
            return Some(ProcEnvVar(v.to_string()));
        }
        for (base, mk) in [
            ("proc.aname", ProcAname as fn(Option<usize>) -> StateField),
            ("proc.aexepath", ProcAexepath),
            ("proc.aexe", ProcAexe),
            ("proc.apid", ProcApid),
            ("proc.acmdline", ProcAcmdline),
        ] {
            if let Some(i) = indexed(name, base) {
                return Some(mk(i));
            }
        }
        let f = STATE_FIELDS.iter().position(|(n, _)| *n == name)?;
        // Variants without arguments, in declaration order.
        Some(match STATE_FIELDS[f].0 {
            "proc.name" => ProcName,
            "proc.exe" => ProcExe,
            "proc.exepath" => ProcExepath,
            "proc.args" => ProcArgs,
            "proc.cmdline" => ProcCmdline,
            "proc.exeline" => ProcExeline,
            "proc.cwd" => ProcCwd,
            "proc.env" => ProcEnv,
            "proc.pid" => ProcPid,
            "proc.ppid" => ProcPpid,
            "proc.vpid" => ProcVpid,
            "proc.sid" => ProcSid,
            "proc.vpgid" => ProcVpgid,
            "proc.tty" => ProcTty,
            "proc.pname" => ProcPname,
            "proc.pexe" => ProcPexe,
            "proc.pexepath" => ProcPexepath,
            "proc.pcmdline" => ProcPcmdline,
            "proc.sname" => ProcSname,
            "proc.duration" => ProcDuration,
            "proc.is_vpgid_leader" => ProcIsVpgidLeader,
            "proc.is_exe_upper_layer" => ProcIsExeUpperLayer,
            "proc.is_exe_from_memfd" => ProcIsExeFromMemfd,
            "proc.is_exe_writable" => ProcIsExeWritable,
            "proc.exe_ino.ctime" => ProcExeInoCtime,
            "proc.exe_ino.mtime" => ProcExeInoMtime,
            "thread.vtid" => ThreadVtid,
            "thread.cap_effective" => ThreadCapEffective,
            "thread.cap_permitted" => ThreadCapPermitted,
            "thread.cap_inheritable" => ThreadCapInheritable,
            "user.uid" => UserUid,
            "user.name" => UserName,
            "user.loginuid" => UserLoginuid,
            "user.loginname" => UserLoginname,
            "group.gid" => GroupGid,
            "group.name" => GroupName,
            "fd.num" => FdNum,
            "fd.name" => FdName,
            "fd.nameraw" => FdNameraw,
            "fd.directory" => FdDirectory,
            "fd.filename" => FdFilename,
            "fd.typechar" => FdTypechar,
            "fd.type" => FdType,
            "fd.l4proto" => FdL4proto,
            "fd.sockfamily" => FdSockfamily,
            "fd.sip" => FdSip,
            "fd.sport" => FdSport,
            "fd.cip" => FdCip,
            "fd.cport" => FdCport,
            "fd.lip" => FdLip,
            "fd.lport" => FdLport,
            "fd.rip" => FdRip,
            "fd.rport" => FdRport,
            "fd.connected" => FdConnected,
            "fd.ino" => FdIno,
            "container.id" => ContainerId,
            "container.type" => ContainerType,
            "container.name" => ContainerName,
            "container.image" => ContainerImage,
            "container.image.repository" => ContainerImageRepository,
            "container.image.tag" => ContainerImageTag,
            "container.image.id" => ContainerImageId,
            "container.privileged" => ContainerPrivileged,
            "k8s.ns.name" => K8sNsName,
            "k8s.pod.name" => K8sPodName,
            "k8s.pod.uid" => K8sPodUid,
            "evt.is_open_read" => EvtIsOpenRead,
            "evt.is_open_write" => EvtIsOpenWrite,
            "evt.is_open_exec" => EvtIsOpenExec,
            _ => return None,
        })
    }

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
            ProcAname(i) => ancestor(st, tid, *i, |t| t.comm.clone()),
            ProcAexe(i) => ancestor(st, tid, *i, |t| t.exe.clone()),
            ProcAexepath(i) => ancestor(st, tid, *i, |t| t.exepath.clone()),
            ProcApid(i) => ancestor(st, tid, *i, |t| t.pid.to_string()),
            ProcAcmdline(i) => ancestor(st, tid, *i, ThreadInfo::cmdline),
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
            FdSip => fd().and_then(|f| f.tuple).map(|t| V::Ip(t.sip)),
            FdSport => fd().and_then(|f| f.tuple).map(|t| V::U64(t.sport as u64)),
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
            ContainerName
            | ContainerImage
            | ContainerImageRepository
            | ContainerImageTag
            | ContainerImageId
            | ContainerPrivileged
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
    get: impl Fn(&ThreadInfo) -> String,
) -> Option<FieldValue<'s>> {
    let mut cur = st.process_of(tid)?;
    let mut all = Vec::new();
    for depth in 0..64usize {
        if i == Some(depth) {
            return Some(FieldValue::Str(Cow::Owned(get(cur))));
        }
        if depth > 0 {
            all.push(get(cur));
        }
        match st.process_of(cur.ptid) {
            Some(p) if p.tid != cur.tid => cur = p,
            _ => break,
        }
    }
    (i.is_none() && !all.is_empty()).then(|| FieldValue::Str(Cow::Owned(all.join(" "))))
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
