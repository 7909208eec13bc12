//! Process list blocks, PL V1..V9 (driver.md §3.3).
//!
//! Which fields an entry carries depends on the block version; V9 entries
//! also carry a u32 length (including itself) that decides which of the
//! appended trailing fields exist. Fields a version lacks keep the defaults
//! upstream uses (-1 for ids, `u32::MAX` for loginuid, 0 elsewhere).

use crate::bytes::{max_len, patch_len, Cur, Put, Short};
use peregrine_wire::raw;

/// One thread of the process list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcInfo {
    pub tid: u64,
    pub pid: u64,
    pub ptid: u64,
    pub sid: i64,
    pub vpgid: i64,
    pub comm: Vec<u8>,
    pub exe: Vec<u8>,
    pub exepath: Vec<u8>,
    /// NUL-separated arguments, as stored.
    pub args: Vec<u8>,
    pub cwd: Vec<u8>,
    pub fdlimit: u64,
    pub flags: u32,
    pub uid: u32,
    pub gid: u32,
    pub vmsize_kb: u32,
    pub vmrss_kb: u32,
    pub vmswap_kb: u32,
    pub pfmajor: u64,
    pub pfminor: u64,
    /// NUL-separated environment.
    pub env: Vec<u8>,
    pub vtid: i64,
    pub vpid: i64,
    /// NUL-separated `subsys=path` entries.
    pub cgroups: Vec<u8>,
    pub root: Vec<u8>,
    pub pidns_init_start_ts: u64,
    pub tty: u32,
    pub loginuid: u32,
    pub exe_writable: bool,
    pub cap_inheritable: u64,
    pub cap_permitted: u64,
    pub cap_effective: u64,
    pub exe_upper_layer: bool,
    pub exe_ino: u64,
    pub exe_ino_ctime: u64,
    pub exe_ino_mtime: u64,
    pub exe_from_memfd: bool,
    pub exe_lower_layer: bool,
    pub pgid: i64,
}

impl Default for ProcInfo {
    fn default() -> Self {
        ProcInfo {
            tid: 0,
            pid: 0,
            ptid: 0,
            sid: -1,
            vpgid: -1,
            comm: Vec::new(),
            exe: Vec::new(),
            exepath: Vec::new(),
            args: Vec::new(),
            cwd: Vec::new(),
            fdlimit: 0,
            flags: 0,
            uid: 0,
            gid: 0,
            vmsize_kb: 0,
            vmrss_kb: 0,
            vmswap_kb: 0,
            pfmajor: 0,
            pfminor: 0,
            env: Vec::new(),
            vtid: -1,
            vpid: -1,
            cgroups: Vec::new(),
            root: Vec::new(),
            pidns_init_start_ts: 0,
            tty: 0,
            loginuid: u32::MAX,
            exe_writable: false,
            cap_inheritable: 0,
            cap_permitted: 0,
            cap_effective: 0,
            exe_upper_layer: false,
            exe_ino: 0,
            exe_ino_ctime: 0,
            exe_ino_mtime: 0,
            exe_from_memfd: false,
            exe_lower_layer: false,
            pgid: -1,
        }
    }
}

/// PL block version 1..=9 of a block type, `None` for other types.
pub(crate) fn pl_version(block_type: u32) -> Option<u8> {
    Some(match block_type {
        raw::PL_BLOCK_TYPE_V1 | raw::PL_BLOCK_TYPE_V1_INT => 1,
        raw::PL_BLOCK_TYPE_V2 | raw::PL_BLOCK_TYPE_V2_INT => 2,
        raw::PL_BLOCK_TYPE_V3 | raw::PL_BLOCK_TYPE_V3_INT => 3,
        raw::PL_BLOCK_TYPE_V4 => 4,
        raw::PL_BLOCK_TYPE_V5 => 5,
        raw::PL_BLOCK_TYPE_V6 => 6,
        raw::PL_BLOCK_TYPE_V7 => 7,
        raw::PL_BLOCK_TYPE_V8 => 8,
        raw::PL_BLOCK_TYPE_V9 => 9,
        _ => return None,
    })
}

/// Bytes that pre-0.10 writers put after `root`: loginuid (4), exe_writable
/// (1) and three capability sets (24). When no more than this remains after
/// `root`, the entry predates the insertion of pidns_init_start_ts and tty.
const PRE_0_10_TAIL: usize = 29;

/// Parses all entries of a PL body of version `ver`.
pub(crate) fn parse_pl(body: &[u8], ver: u8, out: &mut Vec<ProcInfo>) -> Result<(), String> {
    let mut c = Cur::new(body);
    while c.left() >= 4 {
        let start = c.pos();
        let p = parse_entry(&mut c, ver, start).map_err(|e| e.to_string())?;
        out.push(p?);
    }
    Ok(())
}

fn parse_entry(c: &mut Cur<'_>, ver: u8, start: usize) -> Result<Result<ProcInfo, String>, Short> {
    let mut p = ProcInfo::default();
    // Only V9 entries carry their length (which includes the field itself).
    let len = if ver >= 9 {
        c.u32("proc entry length")? as usize
    } else {
        0
    };
    p.tid = c.u64("tid")?;
    p.pid = c.u64("pid")?;
    p.ptid = c.u64("ptid")?;
    if ver >= 6 {
        p.sid = c.i64("sid")?;
    }
    if ver >= 8 {
        p.vpgid = c.i64("vpgid")?;
    }
    p.comm = c.str16("comm")?;
    p.exe = c.str16("exe")?;
    if ver >= 7 {
        p.exepath = c.str16("exepath")?;
    }
    p.args = c.str16("args")?;
    p.cwd = c.str16("cwd")?;
    p.fdlimit = c.u64("fdlimit")?;
    p.flags = c.u32("flags")?;
    p.uid = c.u32("uid")?;
    p.gid = c.u32("gid")?;
    if ver >= 2 {
        p.vmsize_kb = c.u32("vmsize_kb")?;
        p.vmrss_kb = c.u32("vmrss_kb")?;
        p.vmswap_kb = c.u32("vmswap_kb")?;
        p.pfmajor = c.u64("pfmajor")?;
        p.pfminor = c.u64("pfminor")?;
        if ver >= 3 {
            p.env = c.str16("env")?;
        }
        if ver >= 4 {
            p.vtid = c.i64("vtid")?;
            p.vpid = c.i64("vpid")?;
            p.cgroups = c.str16("cgroups")?;
            if ver >= 5 {
                p.root = c.str16("root")?;
            }
        }
    }
    if len == 0 {
        return Ok(Ok(p));
    }
    let used = c.pos() - start;
    let Some(mut rest) = len.checked_sub(used) else {
        return Ok(Err(format!(
            "proc entry at body offset +{start} (tid {}) declares {len} bytes but its fixed fields take {used} (corrupt process list)",
            p.tid
        )));
    };
    // Trailing fields exist only as far as the entry length reaches.
    macro_rules! opt {
        ($field:ident, $read:ident, $n:expr) => {
            if rest >= $n {
                p.$field = c.$read(stringify!($field))?;
                rest -= $n;
            }
        };
    }
    macro_rules! opt_bool {
        ($field:ident) => {
            if rest >= 1 {
                p.$field = c.u8(stringify!($field))? != 0;
                rest -= 1;
            }
        };
    }
    if rest > PRE_0_10_TAIL {
        opt!(pidns_init_start_ts, u64, 8);
        opt!(tty, u32, 4);
    }
    opt!(loginuid, u32, 4);
    opt_bool!(exe_writable);
    opt!(cap_inheritable, u64, 8);
    opt!(cap_permitted, u64, 8);
    opt!(cap_effective, u64, 8);
    opt_bool!(exe_upper_layer);
    opt!(exe_ino, u64, 8);
    opt!(exe_ino_ctime, u64, 8);
    opt!(exe_ino_mtime, u64, 8);
    opt_bool!(exe_from_memfd);
    opt_bool!(exe_lower_layer);
    opt!(pgid, i64, 8);
    // Fields newer than this reader are skipped.
    c.skip(rest, "proc entry tail")?;
    Ok(Ok(p))
}

/// Writes one PL V9 entry with every field, strings cut to what upstream
/// readers accept ([`max_len`]).
pub(crate) fn write_pl_entry(out: &mut Vec<u8>, p: &ProcInfo) {
    let start = out.len();
    out.put_u32(0);
    out.put_u64(p.tid);
    out.put_u64(p.pid);
    out.put_u64(p.ptid);
    out.put_i64(p.sid);
    out.put_i64(p.vpgid);
    out.put_str16_max(&p.comm, max_len::PATH);
    out.put_str16_max(&p.exe, max_len::PATH);
    out.put_str16_max(&p.exepath, max_len::PATH);
    out.put_list16_max(&p.args, max_len::LIST);
    out.put_str16_max(&p.cwd, max_len::PATH);
    out.put_u64(p.fdlimit);
    out.put_u32(p.flags);
    out.put_u32(p.uid);
    out.put_u32(p.gid);
    out.put_u32(p.vmsize_kb);
    out.put_u32(p.vmrss_kb);
    out.put_u32(p.vmswap_kb);
    out.put_u64(p.pfmajor);
    out.put_u64(p.pfminor);
    out.put_list16_max(&p.env, max_len::LIST);
    out.put_i64(p.vtid);
    out.put_i64(p.vpid);
    out.put_list16_max(&p.cgroups, max_len::LIST);
    out.put_str16_max(&p.root, max_len::PATH);
    out.put_u64(p.pidns_init_start_ts);
    out.put_u32(p.tty);
    out.put_u32(p.loginuid);
    out.put_u8(p.exe_writable as u8);
    out.put_u64(p.cap_inheritable);
    out.put_u64(p.cap_permitted);
    out.put_u64(p.cap_effective);
    out.put_u8(p.exe_upper_layer as u8);
    out.put_u64(p.exe_ino);
    out.put_u64(p.exe_ino_ctime);
    out.put_u64(p.exe_ino_mtime);
    out.put_u8(p.exe_from_memfd as u8);
    out.put_u8(p.exe_lower_layer as u8);
    out.put_i64(p.pgid);
    patch_len(out, start);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A V9 entry as a March 2022 writer ends it: root, loginuid, exe_writable.
    #[test]
    fn pre_0_10_entry_tail_is_root_loginuid_exe_writable() {
        let full = ProcInfo {
            tid: 42,
            root: b"/".to_vec(),
            loginuid: 1000,
            exe_writable: true,
            ..Default::default()
        };
        let mut new = Vec::new();
        write_pl_entry(&mut new, &full);
        // Cut the new layout after root and append the old tail.
        let tail = 8 + 4 + 4 + 1 + 24 + 1 + 24 + 1 + 1 + 8;
        let mut old = new[..new.len() - tail].to_vec();
        old.put_u32(1000);
        old.put_u8(1);
        let len = old.len() as u32;
        old[..4].copy_from_slice(&len.to_le_bytes());
        for (bytes, tty) in [(&new, 0), (&old, 0)] {
            let mut v = Vec::new();
            parse_pl(bytes, 9, &mut v).unwrap();
            assert_eq!(v.len(), 1);
            assert_eq!(
                (v[0].loginuid, v[0].exe_writable, v[0].tty),
                (1000, true, tty)
            );
            assert_eq!(v[0], full);
        }
    }

    #[test]
    fn entry_length_shorter_than_fixed_fields_is_an_error() {
        let mut b = Vec::new();
        write_pl_entry(&mut b, &ProcInfo::default());
        b[..4].copy_from_slice(&10u32.to_le_bytes());
        assert!(parse_pl(&b, 9, &mut Vec::new()).is_err());
    }
}
