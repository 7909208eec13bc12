//! Section header, machine info, interface list and user list blocks
//! (driver.md §3.2-3.3).

use crate::bytes::{max_len, patch_len, Cur, Put, Short};

/// Byte-order magic of the section header.
pub const BYTE_ORDER_MAGIC: u32 = 0x1A2B3C4D;

/// The section header block (SHB). Options after the fixed part are skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionHeader {
    pub major: u16,
    pub minor: u16,
    /// -1 ("unknown") in every writer we know of.
    pub section_length: i64,
}

impl Default for SectionHeader {
    fn default() -> Self {
        SectionHeader {
            major: 1,
            minor: 2,
            section_length: -1,
        }
    }
}

/// The machine info block (MI), field for field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineInfo {
    pub num_cpus: u32,
    pub memory_size_bytes: u64,
    pub max_pid: u64,
    /// The raw 128-byte NUL-padded field, kept whole so it round-trips.
    pub hostname: [u8; 128],
    /// `reserved1` in 2022 captures.
    pub boot_ts_epoch: u64,
    /// `reserved2` in 2022 captures.
    pub flags: u64,
    pub reserved3: u64,
    pub reserved4: u64,
}

impl Default for MachineInfo {
    fn default() -> Self {
        MachineInfo {
            num_cpus: 0,
            memory_size_bytes: 0,
            max_pid: 0,
            hostname: [0; 128],
            boot_ts_epoch: 0,
            flags: 0,
            reserved3: 0,
            reserved4: 0,
        }
    }
}

impl MachineInfo {
    /// The host name up to its first NUL, lossily decoded.
    pub fn hostname_str(&self) -> String {
        let end = self.hostname.iter().position(|&b| b == 0).unwrap_or(128);
        String::from_utf8_lossy(&self.hostname[..end]).into_owned()
    }
}

/// Addresses of one interface-list entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterfaceAddr {
    /// Addresses as stored (network byte order read as a little-endian u32).
    V4 { addr: u32, netmask: u32, bcast: u32 },
    V6 {
        addr: [u8; 16],
        netmask: [u8; 16],
        bcast: [u8; 16],
    },
}

/// One interface-list (IL) entry. `_NOLINKSPEED` entries of V1 blocks read
/// as `linkspeed` 0, as upstream does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceInfo {
    pub addr: InterfaceAddr,
    pub linkspeed: u64,
    pub name: Vec<u8>,
}

/// A user-list (UL) user entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserInfo {
    pub uid: u32,
    pub gid: u32,
    pub name: Vec<u8>,
    pub homedir: Vec<u8>,
    pub shell: Vec<u8>,
}

/// A user-list (UL) group entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupInfo {
    pub gid: u32,
    pub name: Vec<u8>,
}

// scap_ifinfo types.
const II_IPV4: u16 = 1;
const II_IPV6: u16 = 2;
const II_IPV4_NOLINKSPEED: u16 = 3;
const II_IPV6_NOLINKSPEED: u16 = 4;
const USERBLOCK_TYPE_USER: u8 = 0;
const USERBLOCK_TYPE_GROUP: u8 = 1;

/// Parses an SHB body. The caller reports errors with the block offset.
pub(crate) fn parse_shb(body: &[u8]) -> Result<(u32, SectionHeader), Short> {
    let mut c = Cur::new(body);
    let magic = c.u32("byte_order_magic")?;
    let major = c.u16("major_version")?;
    let minor = c.u16("minor_version")?;
    let section_length = c.i64("section_length")?;
    Ok((
        magic,
        SectionHeader {
            major,
            minor,
            section_length,
        },
    ))
}

pub(crate) fn write_shb(out: &mut Vec<u8>, s: &SectionHeader) {
    out.put_u32(BYTE_ORDER_MAGIC);
    out.put_u16(s.major);
    out.put_u16(s.minor);
    out.put_i64(s.section_length);
}

pub(crate) fn parse_mi(body: &[u8]) -> Result<MachineInfo, Short> {
    let mut c = Cur::new(body);
    let num_cpus = c.u32("num_cpus")?;
    let memory_size_bytes = c.u64("memory_size_bytes")?;
    let max_pid = c.u64("max_pid")?;
    let mut hostname = [0u8; 128];
    hostname.copy_from_slice(c.take(128, "hostname")?);
    Ok(MachineInfo {
        num_cpus,
        memory_size_bytes,
        max_pid,
        hostname,
        boot_ts_epoch: c.u64("boot_ts_epoch")?,
        flags: c.u64("flags")?,
        reserved3: c.u64("reserved3")?,
        reserved4: c.u64("reserved4")?,
    })
}

pub(crate) fn write_mi(out: &mut Vec<u8>, m: &MachineInfo) {
    out.put_u32(m.num_cpus);
    out.put_u64(m.memory_size_bytes);
    out.put_u64(m.max_pid);
    out.extend_from_slice(&m.hostname);
    out.put_u64(m.boot_ts_epoch);
    out.put_u64(m.flags);
    out.put_u64(m.reserved3);
    out.put_u64(m.reserved4);
}

/// Parses an IL body; `v2` entries carry a u32 length that excludes itself.
pub(crate) fn parse_il(body: &[u8], v2: bool) -> Result<Vec<InterfaceInfo>, String> {
    let mut c = Cur::new(body);
    let mut out = Vec::new();
    while c.left() >= 4 {
        let entry_len = if v2 {
            Some(c.u32("interface entry length").map_err(|e| e.to_string())? as usize)
        } else {
            None
        };
        let start = c.pos();
        let e = parse_if_entry(&mut c).map_err(|e| e.to_string())?;
        out.push(e);
        if let Some(len) = entry_len {
            let used = c.pos() - start;
            if used > len {
                return Err(format!(
                    "interface entry at body offset +{start} declares {len} bytes but its fields take {used} (corrupt interface list)"
                ));
            }
            c.skip(len - used, "interface entry tail")
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(out)
}

fn parse_if_entry(c: &mut Cur<'_>) -> Result<InterfaceInfo, String> {
    let at = c.pos();
    let kind = c.u16("interface type").map_err(|e| e.to_string())?;
    let namelen = c.u16("ifnamelen").map_err(|e| e.to_string())? as usize;
    let r = |c: &mut Cur<'_>| -> Result<InterfaceInfo, Short> {
        let (addr, linkspeed) = match kind {
            II_IPV4 | II_IPV4_NOLINKSPEED => {
                let a = InterfaceAddr::V4 {
                    addr: c.u32("addr")?,
                    netmask: c.u32("netmask")?,
                    bcast: c.u32("bcast")?,
                };
                let ls = if kind == II_IPV4 {
                    c.u64("linkspeed")?
                } else {
                    0
                };
                (a, ls)
            }
            _ => {
                let a = InterfaceAddr::V6 {
                    addr: c.ip6("addr")?,
                    netmask: c.ip6("netmask")?,
                    bcast: c.ip6("bcast")?,
                };
                let ls = if kind == II_IPV6 {
                    c.u64("linkspeed")?
                } else {
                    0
                };
                (a, ls)
            }
        };
        let name = c.take(namelen, "ifname")?.to_vec();
        Ok(InterfaceInfo {
            addr,
            linkspeed,
            name,
        })
    };
    if !matches!(
        kind,
        II_IPV4 | II_IPV6 | II_IPV4_NOLINKSPEED | II_IPV6_NOLINKSPEED
    ) {
        return Err(format!(
            "interface entry at body offset +{at} has unknown type {kind} (corrupt interface list)"
        ));
    }
    r(c).map_err(|e| e.to_string())
}

/// Writes IL_V2 entries (always with link speed).
pub(crate) fn write_il(out: &mut Vec<u8>, ifs: &[InterfaceInfo]) {
    for i in ifs {
        let start = out.len();
        out.put_u32(0);
        let name = i.name.get(..usize::from(u16::MAX)).unwrap_or(&i.name);
        match &i.addr {
            InterfaceAddr::V4 {
                addr,
                netmask,
                bcast,
            } => {
                out.put_u16(II_IPV4);
                out.put_u16(name.len() as u16);
                out.put_u32(*addr);
                out.put_u32(*netmask);
                out.put_u32(*bcast);
            }
            InterfaceAddr::V6 {
                addr,
                netmask,
                bcast,
            } => {
                out.put_u16(II_IPV6);
                out.put_u16(name.len() as u16);
                out.extend_from_slice(addr);
                out.extend_from_slice(netmask);
                out.extend_from_slice(bcast);
            }
        }
        out.put_u64(i.linkspeed);
        out.extend_from_slice(name);
        // IL_V2's length excludes the length field itself.
        let len = (out.len() - start - 4) as u32;
        out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    }
}

/// Parses a UL body; `v2` entries carry a u32 length that includes itself.
/// Entry types other than "user" are groups, as upstream reads them.
pub(crate) fn parse_ul(
    body: &[u8],
    v2: bool,
    users: &mut Vec<UserInfo>,
    groups: &mut Vec<GroupInfo>,
) -> Result<(), String> {
    let mut c = Cur::new(body);
    while c.left() >= 4 {
        let start = c.pos();
        let mut r = |c: &mut Cur<'_>| -> Result<Option<usize>, Short> {
            let len = if v2 {
                Some(c.u32("user entry length")? as usize)
            } else {
                None
            };
            if c.u8("user entry type")? == USERBLOCK_TYPE_USER {
                users.push(UserInfo {
                    uid: c.u32("uid")?,
                    gid: c.u32("gid")?,
                    name: c.str16("user name")?,
                    homedir: c.str16("homedir")?,
                    shell: c.str16("shell")?,
                });
            } else {
                groups.push(GroupInfo {
                    gid: c.u32("gid")?,
                    name: c.str16("group name")?,
                });
            }
            Ok(len)
        };
        let len = r(&mut c).map_err(|e| e.to_string())?;
        if let Some(len) = len.filter(|&l| l != 0) {
            let used = c.pos() - start;
            if used > len {
                return Err(format!(
                    "user entry at body offset +{start} declares {len} bytes but its fields take {used} (corrupt user list)"
                ));
            }
            c.skip(len - used, "user entry tail")
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// Writes UL_V2 entries: users first, then groups.
pub(crate) fn write_ul(out: &mut Vec<u8>, users: &[UserInfo], groups: &[GroupInfo]) {
    for u in users {
        let start = out.len();
        out.put_u32(0);
        out.put_u8(USERBLOCK_TYPE_USER);
        out.put_u32(u.uid);
        out.put_u32(u.gid);
        out.put_str16_max(&u.name, max_len::CREDENTIAL);
        out.put_str16_max(&u.homedir, max_len::CREDENTIAL);
        out.put_str16_max(&u.shell, max_len::CREDENTIAL);
        patch_len(out, start);
    }
    for g in groups {
        let start = out.len();
        out.put_u32(0);
        out.put_u8(USERBLOCK_TYPE_GROUP);
        out.put_u32(g.gid);
        out.put_str16_max(&g.name, max_len::CREDENTIAL);
        patch_len(out, start);
    }
}
