//! Field names resolved to extractors at load time, with the type that
//! decides how literals are parsed and how values compare.

use peregrine_event::render::{render_param, render_res, type_name};
use peregrine_event::{EventRef, Param};
use peregrine_state::{FieldValue, State, StateField};
use std::borrow::Cow;
use std::net::IpAddr;

/// How a field's values compare (rules.md §2.2-2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FType {
    Str,
    Int,
    Bool,
    Ip,
    /// Filter-only CIDR membership fields (`fd.net`, `fd.snet`, ...).
    Net,
    Bytes,
    /// `evt.rawarg.*`: the event decides (number or text).
    Dyn,
}

/// Where a value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extractor {
    Type,
    Dir,
    Res,
    RawRes,
    Failed,
    Num,
    RawTime,
    Time,
    TimeIso,
    Cpu,
    Args,
    /// Rendered parameter by name or index.
    ArgName(String),
    ArgIndex(usize),
    RawArg(String),
    Buffer,
    State(StateField),
    /// Either endpoint: (server field, client field).
    Either(StateField, StateField),
    /// A field Falco knows that this sensor cannot extract yet: always
    /// missing, so checks on it are false.
    Unavailable,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDef {
    pub ex: Extractor,
    pub ty: FType,
    /// Accepted as a value only in filters (no output rendering).
    pub filter_only: bool,
}

/// A typed value of one event.
#[derive(Debug, Clone, PartialEq)]
pub enum Val<'x> {
    Str(Cow<'x, str>),
    Int(i128),
    Bool(bool),
    Ip(IpAddr),
    Bytes(&'x [u8]),
    /// Two endpoints (for `fd.ip`, `fd.port`, `fd.net`): either may match.
    Pair(Box<Val<'x>>, Box<Val<'x>>),
}

/// Known but unextractable syscall fields, with their types.
const UNAVAILABLE: &[(&str, FType)] = &[
    ("container.name", FType::Str),
    ("container.image", FType::Str),
    ("container.image.repository", FType::Str),
    ("container.image.tag", FType::Str),
    ("container.image.id", FType::Str),
    ("container.image.digest", FType::Str),
    ("container.type", FType::Str),
    ("container.privileged", FType::Bool),
    ("container.mount.dest", FType::Str),
    ("container.mount.source", FType::Str),
    ("container.duration", FType::Int),
    ("container.healthcheck", FType::Str),
    ("container.ip", FType::Ip),
    ("container.cni.json", FType::Str),
    ("container.info", FType::Str),
    ("k8s.ns.name", FType::Str),
    ("k8s.pod.name", FType::Str),
    ("k8s.pod.uid", FType::Str),
    ("k8s.pod.labels", FType::Str),
    ("k8s.pod.label", FType::Str),
    ("fd.sip.name", FType::Str),
    ("fd.cip.name", FType::Str),
    ("fd.lip.name", FType::Str),
    ("fd.rip.name", FType::Str),
    ("fd.proto", FType::Str),
    ("fd.dev", FType::Int),
    ("proc.exe_ino", FType::Int),
    ("proc.exe_ino.ctime_duration_proc_start", FType::Int),
    ("proc.exe_ino.ctime_duration_pidns_start", FType::Int),
    ("proc.pvpid", FType::Int),
    ("proc.ppid.duration", FType::Int),
    ("proc.pid.ts", FType::Int),
    ("proc.loginshellid", FType::Int),
    ("proc.is_container_healthcheck", FType::Bool),
    ("proc.is_container_liveness_probe", FType::Bool),
    ("proc.is_container_readiness_probe", FType::Bool),
    ("proc.fdopencount", FType::Int),
    ("proc.vmsize", FType::Int),
    ("proc.vmrss", FType::Int),
    ("proc.stdin.name", FType::Str),
    ("proc.stdout.name", FType::Str),
    ("proc.stderr.name", FType::Str),
    ("proc.nthreads", FType::Int),
    ("proc.ppid.ts", FType::Int),
    ("evt.latency", FType::Int),
    ("evt.wait_latency", FType::Int),
    ("evt.deltatime", FType::Int),
    ("evt.is_io", FType::Bool),
    ("evt.is_io_read", FType::Bool),
    ("evt.is_io_write", FType::Bool),
    ("evt.is_syslog", FType::Bool),
    ("evt.is_wait", FType::Bool),
    ("evt.category", FType::Str),
    ("evt.hostname", FType::Str),
    ("evt.plugininfo", FType::Str),
    ("evt.source", FType::Str),
    ("evt.asynctype", FType::Str),
    ("evt.pluginname", FType::Str),
    ("user.homedir", FType::Str),
    ("user.shell", FType::Str),
];

fn def(ex: Extractor, ty: FType) -> FieldDef {
    FieldDef {
        ex,
        ty,
        filter_only: false,
    }
}

fn state_type(f: &StateField) -> FType {
    use StateField::*;
    match f {
        ProcPid | ProcPpid | ProcVpid | ProcSid | ProcVpgid | ProcTty | ProcDuration
        | ProcExeInoCtime | ProcExeInoMtime | ThreadVtid | UserUid | UserLoginuid | GroupGid
        | FdNum | FdIno | FdSport | FdCport | FdLport | FdRport | ProcApid(_)
        | ContainerStartTs | ProcPidnsInitStartTs => FType::Int,
        ProcIsVpgidLeader | ProcIsExeUpperLayer | ProcIsExeFromMemfd | ProcIsExeWritable
        | FdConnected | FdNameChanged | EvtIsOpenRead | EvtIsOpenWrite | EvtIsOpenExec
        | ContainerPrivileged => FType::Bool,
        FdSip | FdCip | FdLip | FdRip => FType::Ip,
        _ => FType::Str,
    }
}

/// Resolves a syscall-source field (`name` without its `[arg]`).
pub fn resolve_syscall(name: &str, arg: Option<&str>) -> Option<FieldDef> {
    use Extractor as E;
    let full = match arg {
        Some(a) => format!("{name}[{a}]"),
        None => name.to_string(),
    };
    let plain = |ex, ty| arg.is_none().then(|| def(ex, ty));
    let either = |s, c, ty| {
        arg.is_none().then_some(FieldDef {
            ex: E::Either(s, c),
            ty,
            filter_only: true,
        })
    };
    match name {
        "evt.type" => return plain(E::Type, FType::Str),
        "evt.dir" => return plain(E::Dir, FType::Str),
        "evt.res" => return plain(E::Res, FType::Str),
        "evt.rawres" => return plain(E::RawRes, FType::Int),
        "evt.failed" => return plain(E::Failed, FType::Bool),
        "evt.num" => return plain(E::Num, FType::Int),
        "evt.rawtime" => return plain(E::RawTime, FType::Int),
        "evt.time" => return plain(E::Time, FType::Str),
        "evt.time.iso8601" => return plain(E::TimeIso, FType::Str),
        "evt.cpu" => return plain(E::Cpu, FType::Int),
        "evt.args" => return plain(E::Args, FType::Str),
        "evt.buffer" => return plain(E::Buffer, FType::Bytes),
        "evt.arg" => {
            let a = arg?;
            return Some(match a.parse::<usize>() {
                Ok(i) => def(E::ArgIndex(i), FType::Str),
                Err(_) => def(E::ArgName(a.to_string()), FType::Str),
            });
        }
        "fd.ip" => return either(StateField::FdSip, StateField::FdCip, FType::Ip),
        "fd.port" => return either(StateField::FdSport, StateField::FdCport, FType::Int),
        "fd.net" => return either(StateField::FdSip, StateField::FdCip, FType::Net),
        "fd.snet" => return either(StateField::FdSip, StateField::FdSip, FType::Net),
        "fd.cnet" => return either(StateField::FdCip, StateField::FdCip, FType::Net),
        "fd.lnet" => return either(StateField::FdLip, StateField::FdLip, FType::Net),
        "fd.rnet" => return either(StateField::FdRip, StateField::FdRip, FType::Net),
        _ => {}
    }
    if arg.is_none() {
        if let Some(rest) = name.strip_prefix("evt.arg.") {
            return Some(def(E::ArgName(rest.to_string()), FType::Str));
        }
        if let Some(rest) = name.strip_prefix("evt.rawarg.") {
            return Some(def(E::RawArg(rest.to_string()), FType::Dyn));
        }
    }
    if let Some(sf) = StateField::parse(&full) {
        let ty = state_type(&sf);
        return Some(def(E::State(sf), ty));
    }
    let (_, ty) = UNAVAILABLE.iter().find(|(n, _)| *n == name)?;
    Some(def(E::Unavailable, *ty))
}

/// Fields of the k8s_audit source (k8saudit and json plugins). This sensor
/// has no audit input yet: they resolve so that rules validate, and are
/// never extracted.
pub fn resolve_k8s_audit(name: &str) -> Option<FieldDef> {
    let known = name.starts_with("ka.") || name.starts_with("jevt.") || name.starts_with("json.");
    known.then(|| def(Extractor::Unavailable, FType::Str))
}

fn state_val(v: FieldValue<'_>) -> Val<'_> {
    match v {
        FieldValue::Str(s) => Val::Str(s),
        FieldValue::I64(i) => Val::Int(i as i128),
        FieldValue::U64(u) => Val::Int(u as i128),
        FieldValue::Bool(b) => Val::Bool(b),
        FieldValue::Ip(ip) => Val::Ip(ip),
    }
}

/// What one event offers to extractors.
pub struct Ctx<'x> {
    pub ev: EventRef<'x>,
    pub state: &'x State,
    pub num: u64,
    pub cpu: u16,
}

impl Extractor {
    /// The value for this event; `None` when missing.
    pub fn extract<'x>(&self, c: &Ctx<'x>) -> Option<Val<'x>> {
        use Extractor as E;
        let ev = &c.ev;
        let text = |f: &dyn Fn(&mut String) -> bool| {
            let mut s = String::new();
            let ok = f(&mut s);
            ok.then_some(Val::Str(Cow::Owned(s)))
        };
        match self {
            E::Type => Some(Val::Str(Cow::Borrowed(type_name(ev)))),
            E::Dir => Some(Val::Str(Cow::Borrowed(match ev.direction() {
                peregrine_event::Direction::Enter => ">",
                peregrine_event::Direction::Exit => "<",
            }))),
            E::Res => render_res(ev).map(|s| Val::Str(Cow::Owned(s))),
            E::RawRes => ev.result().map(|r| Val::Int(r as i128)),
            E::Failed => ev.result().map(|r| Val::Bool(r < 0)),
            E::Num => Some(Val::Int(c.num as i128)),
            E::RawTime => Some(Val::Int(ev.ts() as i128)),
            E::Time => text(&|s| {
                peregrine_format::format_time(ev.ts(), s);
                true
            }),
            E::TimeIso => Some(Val::Str(Cow::Owned(crate::output::iso8601(ev.ts())))),
            E::Cpu => Some(Val::Int(c.cpu as i128)),
            E::Args => text(&|s| {
                peregrine_event::render::render_args(ev, s);
                true
            }),
            E::ArgName(n) => {
                let i = ev.param_index(n)?;
                text(&|s| render_param(ev, i, s))
            }
            E::ArgIndex(i) => text(&|s| render_param(ev, *i, s)),
            E::RawArg(n) => match ev.param_by_name(n)? {
                Param::Str(b) => Some(Val::Str(String::from_utf8_lossy(b))),
                Param::Bytes(b) => Some(Val::Bytes(b)),
                p => p.as_i64().map(|v| Val::Int(v as i128)),
            },
            E::Buffer => ev.param_by_name("data").and_then(|p| match p {
                Param::Bytes(b) | Param::Str(b) => Some(Val::Bytes(b)),
                _ => None,
            }),
            E::State(f) => f.extract(c.state, ev).map(state_val),
            E::Either(a, b) => {
                let x = a.extract(c.state, ev).map(state_val)?;
                match b.extract(c.state, ev).map(state_val) {
                    Some(y) if a != b => Some(Val::Pair(Box::new(x), Box::new(y))),
                    _ => Some(x),
                }
            }
            E::Unavailable => None,
        }
    }
}

impl Val<'_> {
    /// Appends the value as Falco prints it.
    pub fn write_to(&self, out: &mut String) {
        use std::fmt::Write;
        let _ = match self {
            Val::Str(s) => {
                out.push_str(s);
                Ok(())
            }
            Val::Int(i) => write!(out, "{i}"),
            Val::Bool(b) => write!(out, "{b}"),
            Val::Ip(ip) => write!(out, "{ip}"),
            Val::Bytes(b) => {
                peregrine_event::render::push_printable(b, out);
                Ok(())
            }
            Val::Pair(a, _) => {
                a.write_to(out);
                Ok(())
            }
        };
    }
}
