//! Typed parameter values, read in place.

use crate::event::{rd_u16, rd_u32, rd_u64};
use peregrine_wire::ParamType;

/// A socket address (PT_SOCKADDR).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SockAddr<'a> {
    /// IPv4 address bytes in network order, port in host order.
    Inet {
        addr: [u8; 4],
        port: u16,
    },
    Inet6 {
        addr: [u8; 16],
        port: u16,
    },
    /// sun_path without its NUL.
    Unix(&'a [u8]),
    /// Another family, or an encoding too short for its family.
    Other {
        family: u8,
        rest: &'a [u8],
    },
}

/// A connection tuple (PT_SOCKTUPLE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SockTuple<'a> {
    Inet {
        sip: [u8; 4],
        sport: u16,
        dip: [u8; 4],
        dport: u16,
    },
    Inet6 {
        sip: [u8; 16],
        sport: u16,
        dip: [u8; 16],
        dport: u16,
    },
    /// Kernel socket pointers (source, destination) and the path without NUL.
    Unix {
        src: u64,
        dst: u64,
        path: &'a [u8],
    },
    Other {
        family: u8,
        rest: &'a [u8],
    },
}

/// Iterator over a PT_FDLIST: (fd, poll flags) pairs. Stops early on a
/// truncated list (see [`FdListIter::truncated`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdListIter<'a> {
    rest: &'a [u8],
    left: u16,
}

impl FdListIter<'_> {
    /// Number of entries the list claims.
    pub fn declared_len(&self) -> u16 {
        self.left
    }
    /// True when the bytes do not hold as many entries as declared.
    pub fn truncated(&self) -> bool {
        self.rest.len() < self.left as usize * 10
    }
}

impl Iterator for FdListIter<'_> {
    type Item = (i64, u16);
    fn next(&mut self) -> Option<(i64, u16)> {
        if self.left == 0 || self.rest.len() < 10 {
            return None;
        }
        let fd = rd_u64(self.rest, 0) as i64;
        let fl = rd_u16(self.rest, 8);
        self.rest = &self.rest[10..];
        self.left -= 1;
        Some((fd, fl))
    }
}

/// One decoded parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Param<'a> {
    /// Zero-length parameter: absent or could not be read.
    Empty,
    /// Signed integers (INT8..INT64), sign-extended.
    Int(i64),
    /// Unsigned integers, flags, enums, ids, modes, times, ports...
    Uint(u64),
    /// A syscall result: >= 0 value, < 0 negative errno.
    Errno(i64),
    Fd(i64),
    Pid(i64),
    /// CHARBUF/FSPATH/FSRELPATH bytes without the trailing NUL.
    Str(&'a [u8]),
    /// BYTEBUF/CHARBUFARRAY bytes as they are.
    Bytes(&'a [u8]),
    SockAddr(SockAddr<'a>),
    SockTuple(SockTuple<'a>),
    FdList(FdListIter<'a>),
    /// PT_DYN: the index byte and the value bytes that follow it.
    Dyn {
        index: u8,
        value: &'a [u8],
    },
    Double(f64),
    /// Bytes that do not fit the declared type (e.g. a 3-byte INT32).
    Malformed(&'a [u8]),
}

/// The first `n` (at most 8) bytes of `raw`, little-endian.
fn le_prefix(raw: &[u8], n: usize) -> u64 {
    let mut v = 0u64;
    for (i, b) in raw[..n.min(8)].iter().enumerate() {
        v |= (*b as u64) << (8 * i);
    }
    v
}

fn sign_extend(v: u64, bytes: usize) -> i64 {
    let shift = 64 - 8 * bytes as u32;
    ((v << shift) as i64) >> shift
}

fn strip_nul(raw: &[u8]) -> &[u8] {
    match raw.iter().position(|&b| b == 0) {
        Some(p) => &raw[..p],
        None => raw,
    }
}

impl<'a> Param<'a> {
    /// Interprets `raw` as type `t`. Never panics: wrong sizes give
    /// `Malformed`, a longer fixed-size value keeps its first bytes (as the
    /// capture-file converter does).
    pub fn decode(t: ParamType, raw: &'a [u8]) -> Param<'a> {
        use ParamType as T;
        if raw.is_empty() {
            return Param::Empty;
        }
        if let Some(sz) = t.fixed_size() {
            if raw.len() < sz {
                return Param::Malformed(raw);
            }
            if t == T::Ipv6addr {
                return Param::Bytes(&raw[..16]);
            }
            let v = le_prefix(raw, sz);
            return match t {
                T::Int8 | T::Int16 | T::Int32 | T::Int64 => Param::Int(sign_extend(v, sz)),
                T::Errno => Param::Errno(v as i64),
                T::Fd => Param::Fd(v as i64),
                T::Pid => Param::Pid(v as i64),
                T::Fd32 => Param::Fd(sign_extend(v, 4)),
                T::Pid32 => Param::Pid(sign_extend(v, 4)),
                T::Double => Param::Double(f64::from_bits(v)),
                _ => Param::Uint(v),
            };
        }
        match t {
            T::Charbuf | T::Fspath | T::Fsrelpath => Param::Str(strip_nul(raw)),
            T::Sockaddr => Param::SockAddr(decode_sockaddr(raw)),
            T::Socktuple => Param::SockTuple(decode_socktuple(raw)),
            T::Fdlist => {
                if raw.len() < 2 {
                    return Param::Malformed(raw);
                }
                Param::FdList(FdListIter {
                    left: rd_u16(raw, 0),
                    rest: &raw[2..],
                })
            }
            T::Dyn => Param::Dyn {
                index: raw[0],
                value: &raw[1..],
            },
            _ => Param::Bytes(raw),
        }
    }

    /// The value as a signed integer, for integer-like parameters.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Param::Int(v) | Param::Errno(v) | Param::Fd(v) | Param::Pid(v) => Some(v),
            Param::Uint(v) => Some(v as i64),
            _ => None,
        }
    }

    /// The value as an unsigned integer, for integer-like parameters.
    pub fn as_u64(&self) -> Option<u64> {
        self.as_i64().map(|v| v as u64)
    }

    /// String bytes (without NUL) for string parameters.
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match *self {
            Param::Str(s) | Param::Bytes(s) => Some(s),
            _ => None,
        }
    }
}

fn decode_sockaddr(raw: &[u8]) -> SockAddr<'_> {
    let fam = raw[0];
    let rest = &raw[1..];
    match fam as u32 {
        peregrine_wire::raw::PPM_AF_INET if rest.len() >= 6 => SockAddr::Inet {
            addr: [rest[0], rest[1], rest[2], rest[3]],
            port: rd_u16(rest, 4),
        },
        peregrine_wire::raw::PPM_AF_INET6 if rest.len() >= 18 => {
            let mut addr = [0u8; 16];
            addr.copy_from_slice(&rest[..16]);
            SockAddr::Inet6 {
                addr,
                port: rd_u16(rest, 16),
            }
        }
        peregrine_wire::raw::PPM_AF_UNIX => SockAddr::Unix(strip_nul(rest)),
        _ => SockAddr::Other { family: fam, rest },
    }
}

fn decode_socktuple(raw: &[u8]) -> SockTuple<'_> {
    let fam = raw[0];
    let r = &raw[1..];
    match fam as u32 {
        peregrine_wire::raw::PPM_AF_INET if r.len() >= 12 => SockTuple::Inet {
            sip: [r[0], r[1], r[2], r[3]],
            sport: rd_u16(r, 4),
            dip: [r[6], r[7], r[8], r[9]],
            dport: rd_u16(r, 10),
        },
        peregrine_wire::raw::PPM_AF_INET6 if r.len() >= 36 => {
            let (mut sip, mut dip) = ([0u8; 16], [0u8; 16]);
            sip.copy_from_slice(&r[..16]);
            dip.copy_from_slice(&r[18..34]);
            SockTuple::Inet6 {
                sip,
                sport: rd_u16(r, 16),
                dip,
                dport: rd_u16(r, 34),
            }
        }
        peregrine_wire::raw::PPM_AF_UNIX if r.len() >= 16 => SockTuple::Unix {
            src: rd_u64(r, 0),
            dst: rd_u64(r, 8),
            path: strip_nul(&r[16..]),
        },
        _ => SockTuple::Other {
            family: fam,
            rest: r,
        },
    }
}

#[allow(dead_code)]
pub(crate) fn u32_at(b: &[u8], off: usize) -> u32 {
    rd_u32(b, off)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the event_decode fuzz target: a PT_IPV6ADDR value went
    /// through the integer path and shifted a u64 by 64 (a panic in debug
    /// builds, garbage otherwise).
    #[test]
    fn ipv6addr_is_sixteen_bytes_not_an_integer() {
        let raw: Vec<u8> = (1..=17).collect();
        assert_eq!(
            Param::decode(ParamType::Ipv6addr, &raw),
            Param::Bytes(&raw[..16])
        );
        assert!(matches!(
            Param::decode(ParamType::Ipv6addr, &raw[..15]),
            Param::Malformed(_)
        ));
    }
}
