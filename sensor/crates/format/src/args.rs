//! `evt.args` with what state knows, as sysdig prints it: fds with their
//! type and name (`fd=3(<f>/etc/passwd)`, `fd=5(<4t>10.0.0.1:80->...)`),
//! thread ids with their name (`tid=109(sh)`), uids and gids with their
//! names, relative paths with their resolution.

use peregrine_event::render::render_param;
use peregrine_event::{EventRef, Param, ParamType};
use peregrine_state::{FdInfo, FdType, State};
use std::fmt::Write;

fn fd_tag(f: &FdInfo, out: &mut String) {
    out.push_str("(<");
    out.push(f.ftype.typechar());
    if matches!(f.ftype, FdType::Ipv4 | FdType::Ipv6) {
        match f.l4proto {
            "tcp" => out.push('t'),
            "udp" => out.push('u'),
            _ => {}
        }
    }
    out.push('>');
    out.push_str(&f.name);
    out.push(')');
}

/// Appends `evt.args` for `ev`, decorated from `st`.
pub fn render_args_with_state(ev: &EventRef<'_>, st: &State, out: &mut String) {
    let Some(info) = ev.info() else { return };
    if ev.code() <= 1 {
        return; // GENERIC: see render_args
    }
    let tid = ev.tid();
    for i in 0..(ev.nparams() as usize).min(info.params.len()) {
        if i > 0 {
            out.push(' ');
        }
        let d = &info.params[i];
        out.push_str(d.name);
        out.push('=');
        render_param(ev, i, out);
        let Some(p) = ev.param(i) else { continue };
        match (d.ptype, p) {
            (ParamType::Fd, Param::Fd(fd)) if (0..=i32::MAX as i64).contains(&fd) => {
                if let Some(f) = st.fd(tid, fd) {
                    fd_tag(f, out);
                }
            }
            (ParamType::Pid, Param::Pid(pid)) if pid > 0 => {
                if let Some(t) = st.thread(pid as u64) {
                    let _ = write!(out, "({})", t.comm);
                }
            }
            (ParamType::Uid, Param::Uint(uid)) if uid != u32::MAX as u64 => {
                if let Some(n) = st.users.user(uid as u32) {
                    let _ = write!(out, "({n})");
                }
            }
            (ParamType::Gid, Param::Uint(gid)) if gid != u32::MAX as u64 => {
                if let Some(n) = st.users.group(gid as u32) {
                    let _ = write!(out, "({n})");
                }
            }
            (ParamType::Fsrelpath, Param::Str(path)) if !path.is_empty() && path[0] != b'/' => {
                let dirfd = match d.info {
                    peregrine_event::ParamInfo::DirFd(k) => {
                        ev.param(k as usize).and_then(|p| p.as_i64())
                    }
                    _ => None,
                };
                let dir = match dirfd {
                    Some(fd) if fd != -100 => st.fd(tid, fd).map(|f| f.name.clone()),
                    _ => st.thread(tid).map(|t| t.cwd.to_string()),
                };
                if let Some(dir) = dir.filter(|d| !d.is_empty()) {
                    let _ = write!(
                        out,
                        "({})",
                        peregrine_state::resolve(&dir, &String::from_utf8_lossy(path))
                    );
                }
            }
            (ParamType::Fdlist, Param::FdList(list)) => {
                // Re-render with each fd's type character: "3:u1".
                let start = out.rfind('=').map_or(out.len(), |p| p + 1);
                out.truncate(start);
                for (k, (fd, flags)) in list.enumerate() {
                    if k > 0 {
                        out.push(' ');
                    }
                    let c = st
                        .fd(tid, fd)
                        .map(|f| f.ftype.typechar().to_string())
                        .unwrap_or_default();
                    let _ = write!(out, "{fd}:{c}{flags}");
                }
            }
            _ => {}
        }
    }
}
