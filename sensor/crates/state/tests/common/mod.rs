//! Event builders and field readers shared by the state tests.
#![allow(dead_code)] // each test binary uses its own subset

use peregrine_event::{EventBuilder, EventRef};
use peregrine_state::{State, StateField};
use peregrine_wire::raw;

pub const CLONE_THREAD: u32 = 0x2000;

pub fn clone_ev(
    ts: u64,
    tid: u64,
    res: i64,
    pid: u64,
    ptid: u64,
    comm: &str,
    flags: u32,
) -> Vec<u8> {
    let mut b = EventBuilder::new();
    b.i64(res)
        .str(comm)
        .raw(b"-x\0")
        .i64(tid as i64)
        .i64(pid as i64)
        .i64(ptid as i64)
        .str("/")
        .u64(1024);
    b.u64(0)
        .u64(0)
        .u32(0)
        .u32(0)
        .u32(0)
        .str(comm)
        .raw(b"cpu=/\0")
        .u32(flags)
        .u32(1000)
        .u32(1000);
    b.i64(tid as i64).i64(pid as i64).u64(0);
    b.finish(ts, tid, raw::PPME_SYSCALL_CLONE_20_X as u16)
        .unwrap()
}

pub fn openat(ts: u64, tid: u64, fd: i64, path: &str, flags: u32) -> Vec<u8> {
    let mut b = EventBuilder::new();
    b.i64(fd)
        .i64(-100)
        .str(path)
        .u32(flags)
        .u32(0)
        .u32(0)
        .u64(0);
    b.finish(ts, tid, raw::PPME_SYSCALL_OPENAT_2_X as u16)
        .unwrap()
}

pub fn close(ts: u64, tid: u64, fd: i64) -> Vec<u8> {
    EventBuilder::new()
        .i64(0)
        .i64(fd)
        .finish(ts, tid, raw::PPME_SYSCALL_CLOSE_X as u16)
        .unwrap()
}

pub fn procexit(ts: u64, tid: u64) -> Vec<u8> {
    EventBuilder::new()
        .i64(0)
        .i64(0)
        .u8(0)
        .u8(0)
        .i64(0)
        .finish(ts, tid, raw::PPME_PROCEXIT_1_E as u16)
        .unwrap()
}

pub fn field(st: &State, ev: &[u8], name: &str) -> Option<String> {
    let ev = EventRef::parse(ev).unwrap();
    let mut s = String::new();
    StateField::parse(name)
        .unwrap()
        .extract(st, &ev)?
        .write_to(&mut s);
    Some(s)
}

pub fn feed(st: &mut State, ev: &[u8]) {
    st.process(&EventRef::parse(ev).unwrap());
}

/// A clone exit with every parameter chosen (cgroups NUL-separated).
pub struct Clone<'a> {
    pub tid: u64,
    pub res: i64,
    pub pid: u64,
    pub ptid: u64,
    pub comm: &'a str,
    pub cgroups: &'a str,
    pub flags: u32,
    pub vtid: i64,
    pub vpid: i64,
    pub pidns_init_start_ts: u64,
}

impl Clone<'_> {
    pub fn event(&self, ts: u64) -> Vec<u8> {
        let mut b = EventBuilder::new();
        b.i64(self.res)
            .str(self.comm)
            .raw(b"")
            .i64(self.tid as i64)
            .i64(self.pid as i64)
            .i64(self.ptid as i64)
            .str("/")
            .u64(1024);
        b.u64(0)
            .u64(0)
            .u32(0)
            .u32(0)
            .u32(0)
            .str(self.comm)
            .raw(self.cgroups.as_bytes())
            .u32(self.flags)
            .u32(0)
            .u32(0);
        b.i64(self.vtid)
            .i64(self.vpid)
            .u64(self.pidns_init_start_ts);
        b.finish(ts, self.tid, raw::PPME_SYSCALL_CLONE_20_X as u16)
            .unwrap()
    }
}

pub fn unshare(ts: u64, tid: u64, res: i64, flags: u32) -> Vec<u8> {
    EventBuilder::new()
        .i64(res)
        .u32(flags)
        .finish(ts, tid, raw::PPME_SYSCALL_UNSHARE_X as u16)
        .unwrap()
}

pub fn setns(ts: u64, tid: u64, res: i64, fd: i64, nstype: u32) -> Vec<u8> {
    EventBuilder::new()
        .i64(res)
        .i64(fd)
        .u32(nstype)
        .finish(ts, tid, raw::PPME_SYSCALL_SETNS_X as u16)
        .unwrap()
}

pub fn capset(ts: u64, tid: u64, inh: u64, prm: u64, eff: u64) -> Vec<u8> {
    EventBuilder::new()
        .i64(0)
        .u64(inh)
        .u64(prm)
        .u64(eff)
        .finish(ts, tid, raw::PPME_SYSCALL_CAPSET_X as u16)
        .unwrap()
}

/// socket(domain, type) returning `fd`.
pub fn socket(ts: u64, tid: u64, fd: i64, domain: u32, ty: u32) -> Vec<u8> {
    EventBuilder::new()
        .i64(fd)
        .u32(domain)
        .u32(ty)
        .u32(0)
        .u32(0)
        .finish(ts, tid, raw::PPME_SOCKET_SOCKET_X as u16)
        .unwrap()
}

/// An AF_INET socket tuple src->dst.
pub fn tuple4(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16) -> Vec<u8> {
    let mut t = vec![raw::PPM_AF_INET as u8];
    t.extend_from_slice(&src);
    t.extend_from_slice(&sport.to_le_bytes());
    t.extend_from_slice(&dst);
    t.extend_from_slice(&dport.to_le_bytes());
    t
}

pub fn sendto(ts: u64, tid: u64, fd: i64, tuple: &[u8]) -> Vec<u8> {
    EventBuilder::new()
        .i64(4)
        .raw(b"ping")
        .i64(fd)
        .u32(4)
        .raw(tuple)
        .finish(ts, tid, raw::PPME_SOCKET_SENDTO_X as u16)
        .unwrap()
}

pub fn write(ts: u64, tid: u64, fd: i64) -> Vec<u8> {
    EventBuilder::new()
        .i64(1)
        .raw(b"x")
        .i64(fd)
        .u32(1)
        .finish(ts, tid, raw::PPME_SYSCALL_WRITE_X as u16)
        .unwrap()
}

pub fn connect(ts: u64, tid: u64, res: i64, fd: i64, tuple: &[u8]) -> Vec<u8> {
    EventBuilder::new()
        .i64(res)
        .raw(tuple)
        .i64(fd)
        .empty()
        .finish(ts, tid, raw::PPME_SOCKET_CONNECT_X as u16)
        .unwrap()
}
