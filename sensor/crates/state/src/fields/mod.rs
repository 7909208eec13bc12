//! Falco fields that read state: `proc.*`, `thread.*`, `user.*`,
//! `group.*`, `fd.*`, `container.*`, `evt.is_open_*`.
//!
//! Not here: the DNS-name fields (`fd.sip.name`, `fd.cip.name`, ...).
//! libsinsp answers them from its DNS manager, which Falco leaves off by
//! default, so they have no value there either; the rule engine resolves
//! them as fields without a value.

mod extract;

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
    ProcPidnsInitStartTs = "proc.pidns_init_start_ts": "start of the init process of the thread's pid namespace, as the driver reports it",
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
    FdNameChanged = "fd.name_changed": "the event renamed the fd (an unconnected UDP socket's peer, connect, bind)",
    ContainerId = "container.id": "12-char container id, or host",
    ContainerType = "container.type": "container runtime: docker, containerd, cri-o, podman (host processes: host)",
    ContainerName = "container.name": "container name (from the runtime's metadata)",
    ContainerImage = "container.image": "container image (from the runtime's metadata)",
    ContainerImageRepository = "container.image.repository": "image without tag or digest",
    ContainerImageTag = "container.image.tag": "image tag",
    ContainerImageId = "container.image.id": "image id",
    ContainerPrivileged = "container.privileged": "runtime-reported privileged flag",
    ContainerStartTs = "container.start_ts": "container start: the start of its pid namespace's init (container processes only)",
    ContainerMounts = "container.mounts": "mounts as source:dest:mode:rdrw:propagation, space separated (from the runtime's metadata)",
    ContainerMountDest(String) = "container.mount.dest[SRC]": "destination of the mount whose source matches SRC (path or glob)",
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
        if let Some(v) = name
            .strip_prefix("container.mount.dest[")
            .and_then(|r| r.strip_suffix(']'))
        {
            return Some(ContainerMountDest(v.to_string()));
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
            "proc.pidns_init_start_ts" => ProcPidnsInitStartTs,
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
            "fd.name_changed" => FdNameChanged,
            "container.id" => ContainerId,
            "container.type" => ContainerType,
            "container.name" => ContainerName,
            "container.image" => ContainerImage,
            "container.image.repository" => ContainerImageRepository,
            "container.image.tag" => ContainerImageTag,
            "container.image.id" => ContainerImageId,
            "container.privileged" => ContainerPrivileged,
            "container.start_ts" => ContainerStartTs,
            "container.mounts" => ContainerMounts,
            "k8s.ns.name" => K8sNsName,
            "k8s.pod.name" => K8sPodName,
            "k8s.pod.uid" => K8sPodUid,
            "evt.is_open_read" => EvtIsOpenRead,
            "evt.is_open_write" => EvtIsOpenWrite,
            "evt.is_open_exec" => EvtIsOpenExec,
            _ => return None,
        })
    }
}
