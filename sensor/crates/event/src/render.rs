//! Rendering parameter values the way sysdig prints them in `evt.args` and
//! `evt.arg.NAME`: errno names for negative results, `value(NAME|NAME)` for
//! flags, dotted addresses, `.` for unprintable bytes.
//!
//! State-dependent decorations (`fd=3(<f>/etc/passwd)`, `tid=12(bash)`,
//! `uid=0(root)`) are added by the state layer, not here.

use crate::errno::errno_name;
use crate::event::EventRef;
use crate::param::{Param, SockAddr, SockTuple};
use peregrine_wire::{
    ppm_sc_name, syscall_name_x86_64, FlagTable, ParamDesc, ParamInfo, ParamType, PrintFormat,
};
use std::fmt::Write;

/// Byte buffers (data, args, env, cgroups) longer than this are cut and
/// marked with `...`, as sysdig's default output does.
pub const MAX_BYTEBUF_RENDER: usize = 80;

/// Linux signal names by number (x86_64).
fn signal_name(sig: u64) -> Option<&'static str> {
    const N: [&str; 32] = [
        "",
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGILL",
        "SIGTRAP",
        "SIGABRT",
        "SIGBUS",
        "SIGFPE",
        "SIGKILL",
        "SIGUSR1",
        "SIGSEGV",
        "SIGUSR2",
        "SIGPIPE",
        "SIGALRM",
        "SIGTERM",
        "SIGSTKFLT",
        "SIGCHLD",
        "SIGCONT",
        "SIGSTOP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGURG",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGVTALRM",
        "SIGPROF",
        "SIGWINCH",
        "SIGIO",
        "SIGPWR",
        "SIGSYS",
    ];
    N.get(sig as usize).copied().filter(|n| !n.is_empty())
}

/// Names of the bits of `val` in `table`. Multi-bit entries (e.g. O_RDWR)
/// are matched before single bits and clear what they match, so `O_RDWR`
/// is not also reported as `O_RDONLY|O_WRONLY`. A zero value prints the
/// table's zero entry, if it has one.
pub fn flag_names(table: &FlagTable, val: u64, out: &mut String) -> bool {
    if val == 0 {
        if let Some((n, _)) = table.entries.iter().find(|e| e.1 == 0) {
            out.push_str(n);
            return true;
        }
        return false;
    }
    let mut order: Vec<usize> = (0..table.entries.len())
        .filter(|&i| table.entries[i].1 != 0)
        .collect();
    order.sort_by_key(|&i| std::cmp::Reverse(table.entries[i].1.count_ones()));
    let mut left = val;
    let mut hits: Vec<usize> = Vec::new();
    for i in order {
        let v = table.entries[i].1 as u64;
        if left & v == v {
            left &= !v;
            hits.push(i);
        }
    }
    hits.sort_unstable();
    for (k, i) in hits.iter().enumerate() {
        if k > 0 {
            out.push('|');
        }
        out.push_str(table.entries[*i].0);
    }
    !hits.is_empty()
}

fn enum_name(table: &FlagTable, val: u64) -> Option<&'static str> {
    table
        .entries
        .iter()
        .find(|e| e.1 as u64 == val)
        .map(|e| e.0)
}

/// Appends `bytes` with unprintable characters shown as `.`.
pub fn push_printable(bytes: &[u8], out: &mut String) {
    for &b in bytes {
        out.push(if (0x20..0x7f).contains(&b) {
            b as char
        } else {
            '.'
        });
    }
}

fn push_ipv4(a: &[u8; 4], out: &mut String) {
    let _ = write!(out, "{}.{}.{}.{}", a[0], a[1], a[2], a[3]);
}

fn push_ipv6(a: &[u8; 16], out: &mut String) {
    let _ = write!(out, "{}", std::net::Ipv6Addr::from(*a));
}

fn push_uint(v: u64, fmt: PrintFormat, out: &mut String) {
    let _ = match fmt {
        PrintFormat::Hex => write!(out, "{v:X}"),
        PrintFormat::Oct if v != 0 => write!(out, "0{v:o}"),
        PrintFormat::N10PaddedDec => write!(out, "{v:010}"),
        _ => write!(out, "{v}"),
    };
}

/// Renders one parameter value (without `name=`).
pub fn render_value(desc: &ParamDesc, p: &Param<'_>, out: &mut String) {
    match *p {
        Param::Empty => {
            if matches!(desc.ptype, ParamType::Socktuple | ParamType::Sockaddr) {
                out.push_str("NULL");
            }
        }
        // Results printed in hex (mmap/brk addresses) when the table says so.
        Param::Errno(v) if v >= 0 && desc.format == PrintFormat::Hex => {
            let _ = write!(out, "{v:X}");
        }
        Param::Errno(v) | Param::Fd(v) | Param::Pid(v) | Param::Int(v) => {
            let _ = write!(out, "{v}");
            if v < 0 && desc.ptype == ParamType::Fd && v == peregrine_wire::raw::PPM_AT_FDCWD as i64
            {
                out.push_str("(AT_FDCWD)");
            } else if v < 0
                && matches!(
                    desc.ptype,
                    ParamType::Errno | ParamType::Fd | ParamType::Pid
                )
            {
                if let Some(n) = errno_name(v.unsigned_abs()) {
                    let _ = write!(out, "({n})");
                }
            }
        }
        Param::Uint(v) => render_uint(desc, v, out),
        Param::Str(s) => push_printable_utf8(s, out),
        Param::Bytes(b) => {
            if desc.ptype == ParamType::Ipv6addr {
                if let Ok(a) = <[u8; 16]>::try_from(b) {
                    push_ipv6(&a, out);
                }
                return;
            }
            // Longer buffers print as their first 77 bytes and "...", 80 in all.
            if b.len() > MAX_BYTEBUF_RENDER {
                push_printable(&b[..MAX_BYTEBUF_RENDER - 3], out);
                out.push_str("...");
            } else {
                push_printable(b, out);
            }
        }
        Param::SockAddr(a) => match a {
            SockAddr::Inet { addr, port } => {
                push_ipv4(&addr, out);
                let _ = write!(out, ":{port}");
            }
            SockAddr::Inet6 { addr, port } => {
                push_ipv6(&addr, out);
                let _ = write!(out, ":{port}");
            }
            SockAddr::Unix(p) => push_printable_utf8(p, out),
            SockAddr::Other { family, .. } => {
                let _ = write!(out, "family {family}");
            }
        },
        Param::SockTuple(t) => match t {
            SockTuple::Inet {
                sip,
                sport,
                dip,
                dport,
            } => {
                push_ipv4(&sip, out);
                let _ = write!(out, ":{sport}->");
                push_ipv4(&dip, out);
                let _ = write!(out, ":{dport}");
            }
            SockTuple::Inet6 {
                sip,
                sport,
                dip,
                dport,
            } => {
                // An IPv4 peer on a dual-stack socket prints as IPv4, as sysdig does.
                let mapped = (
                    std::net::Ipv6Addr::from(sip).to_ipv4_mapped(),
                    std::net::Ipv6Addr::from(dip).to_ipv4_mapped(),
                );
                if let (Some(s4), Some(d4)) = mapped {
                    let _ = write!(out, "{s4}:{sport}->{d4}:{dport}");
                    return;
                }
                push_ipv6(&sip, out);
                let _ = write!(out, ":{sport}->");
                push_ipv6(&dip, out);
                let _ = write!(out, ":{dport}");
            }
            SockTuple::Unix { src, dst, path } => {
                let _ = write!(out, "{src:x}->{dst:x} ");
                push_printable_utf8(path, out);
            }
            SockTuple::Other { family, .. } => {
                let _ = write!(out, "family {family}");
            }
        },
        Param::FdList(it) => {
            for (k, (fd, fl)) in it.enumerate() {
                if k > 0 {
                    out.push(' ');
                }
                let _ = write!(out, "{fd}:{fl}");
            }
        }
        Param::Dyn { index, value } => {
            let sub = match desc.info {
                ParamInfo::Dyn(t) => t.entries.get(index as usize).copied(),
                _ => None,
            };
            match sub {
                Some((pt, pf)) => {
                    let d = ParamDesc {
                        name: desc.name,
                        ptype: pt,
                        format: pf,
                        info: ParamInfo::None,
                    };
                    render_value(&d, &Param::decode(pt, value), out);
                }
                None => {
                    let _ = write!(out, "<dyn index {index}>");
                }
            }
        }
        Param::Double(v) => {
            let _ = write!(out, "{v}");
        }
        Param::Malformed(b) => {
            let _ = write!(out, "<malformed {} bytes>", b.len());
        }
    }
}

fn render_uint(desc: &ParamDesc, v: u64, out: &mut String) {
    match desc.ptype {
        ParamType::Sigtype => {
            let _ = write!(out, "{v}");
            if let Some(n) = signal_name(v) {
                let _ = write!(out, "({n})");
            }
            return;
        }
        ParamType::Syscallid => {
            match ppm_sc_name(v as u16) {
                Some(n) => out.push_str(n),
                None => {
                    let _ = write!(out, "{v}");
                }
            }
            return;
        }
        _ => {}
    }
    // sysdig prints flag and enum values in decimal whatever the table's
    // print format says (flags=4097(O_RDONLY|O_CLOEXEC)).
    let fmt = match desc.ptype {
        ParamType::Flags8
        | ParamType::Flags16
        | ParamType::Flags32
        | ParamType::Enumflags8
        | ParamType::Enumflags16
        | ParamType::Enumflags32 => PrintFormat::Dec,
        _ => desc.format,
    };
    // "No id" (uid/gid -1) prints as -1, as the loginuid field does.
    if matches!(desc.ptype, ParamType::Uid | ParamType::Gid) && v == u32::MAX as u64 {
        out.push_str("-1");
        return;
    }
    push_uint(v, fmt, out);
    if let ParamInfo::Flags(t) = desc.info {
        if desc.ptype.is_bitflags() {
            let mark = out.len();
            out.push('(');
            if flag_names(t, v, out) {
                out.push(')');
            } else {
                out.truncate(mark);
            }
        } else if let Some(n) = enum_name(t, v) {
            let _ = write!(out, "({n})");
        }
    }
}

fn push_printable_utf8(s: &[u8], out: &mut String) {
    match std::str::from_utf8(s) {
        Ok(t) if !t.chars().any(char::is_control) => out.push_str(t),
        _ => push_printable(s, out),
    }
}

/// Renders parameter `i` of `ev` as `evt.arg.NAME` shows it.
pub fn render_param(ev: &EventRef<'_>, i: usize, out: &mut String) -> bool {
    let (Some(info), Some(p)) = (ev.info(), ev.param(i)) else {
        return false;
    };
    render_value(&info.params[i], &p, out);
    true
}

/// Renders parameter `i` without names: the number, or the bytes.
pub fn render_raw_param(ev: &EventRef<'_>, i: usize, out: &mut String) -> bool {
    let (Some(info), Some(p)) = (ev.info(), ev.param(i)) else {
        return false;
    };
    let d = &info.params[i];
    match p {
        Param::Uint(v) => push_uint(v, PrintFormat::Dec, out),
        Param::Errno(v) | Param::Fd(v) | Param::Pid(v) | Param::Int(v) => {
            let _ = write!(out, "{v}");
        }
        _ => render_value(
            &ParamDesc {
                info: ParamInfo::None,
                ..*d
            },
            &p,
            out,
        ),
    }
    true
}

/// `evt.args`: `name=value` for every parameter, space separated. GENERIC
/// events print none: their only parameters name the syscall, which
/// `evt.type` already shows (sysdig does the same).
pub fn render_args(ev: &EventRef<'_>, out: &mut String) {
    let Some(info) = ev.info() else { return };
    if ev.code() <= 1 {
        return;
    }
    for i in 0..(ev.nparams() as usize).min(info.params.len()) {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(info.params[i].name);
        out.push('=');
        render_param(ev, i, out);
    }
}

/// `evt.type`, with GENERIC events named after their syscall as sysdig
/// does: by PPM_SC id (parameter 0) when the table knows it, else by the
/// native x86_64 number (parameter 1), else `syscall`.
pub fn type_name(ev: &EventRef<'_>) -> &'static str {
    if ev.code() <= 1 {
        if let Some(n) = ev
            .param(0)
            .and_then(|p| p.as_u64())
            .and_then(|id| ppm_sc_name(id as u16))
        {
            return n;
        }
        if let Some(n) = ev
            .param(1)
            .and_then(|p| p.as_u64())
            .and_then(|nr| syscall_name_x86_64(nr as u16))
        {
            return n;
        }
    }
    ev.type_name()
}

/// `evt.res`: `SUCCESS` for a non-negative result, the errno name for a
/// negative one; `None` when the event carries no result.
pub fn render_res(ev: &EventRef<'_>) -> Option<String> {
    let r = ev.result()?;
    Some(if r >= 0 {
        "SUCCESS".to_string()
    } else {
        errno_name(r.unsigned_abs()).map_or_else(|| r.to_string(), str::to_string)
    })
}
