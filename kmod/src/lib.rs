//! The scap wire format, read from `kmod/include/peregrine/` at build time.
//!
//! `raw` is what bindgen makes of the C header (layout structs and
//! constants); the tables (`EVENTS`, flag tables, `PPM_SC`, `CONVERSIONS`)
//! are generated from the header's X-macro lines. The compile-time assertions
//! at the bottom pin the layout on the Rust side, as `_Static_assert` does in C.

#![deny(unsafe_code)]

/// bindgen output for `scap_file.h` (which includes `wire.h`).
#[allow(
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    dead_code,
    unsafe_code,
    clippy::all
)]
pub mod raw {
    include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
}

mod types;
pub use types::*;

include!(concat!(env!("OUT_DIR"), "/tables.rs"));

/// Length of the event header in bytes.
pub const HEADER_LEN: usize = raw::PRG_EVENT_HEADER_LEN as usize;
/// Most parameters an event may carry.
pub const MAX_EVENT_PARAMS: usize = raw::PRG_MAX_EVENT_PARAMS as usize;
/// Number of event codes (valid codes are `0..EVENT_MAX`).
pub const EVENT_MAX: u16 = raw::PPM_EVENT_MAX as u16;
/// Largest event the probe emits and the reader accepts in a non-large block.
pub const MAX_EVENT_SIZE: usize = raw::PRG_MAX_EVENT_SIZE as usize;
/// Schema version (major, minor, patch) of the event table.
pub const SCHEMA_VERSION: (u32, u32, u32) = (
    raw::PRG_SCHEMA_VERSION_MAJOR,
    raw::PRG_SCHEMA_VERSION_MINOR,
    raw::PRG_SCHEMA_VERSION_PATCH,
);

/// The table entry of an event code, if the code is known.
#[inline]
pub fn event_info(code: u16) -> Option<&'static EventInfo> {
    EVENTS.get(code as usize)
}

/// The lower-case name of a PPM_SC syscall code, if the reference knows it.
pub fn ppm_sc_name(code: u16) -> Option<&'static str> {
    PPM_SC
        .binary_search_by_key(&code, |e| e.0)
        .ok()
        .map(|i| PPM_SC[i].1)
}

/// Name of an x86_64 syscall number.
pub fn syscall_name_x86_64(nr: u16) -> Option<&'static str> {
    SYSCALLS_X86_64
        .binary_search_by_key(&nr, |e| e.0)
        .ok()
        .map(|i| SYSCALLS_X86_64[i].1)
}

/// The converter step for an old event with `nparams` parameters. `nparams`
/// is truncated to 8 bits, as upstream's table lookup does.
pub fn conversion(code: u16, nparams: u32) -> Option<&'static Conversion> {
    let c = code as usize;
    let (lo, hi) = (*CONVERSION_START.get(c)?, *CONVERSION_START.get(c + 1)?);
    let n = nparams & 0xff;
    CONVERSIONS
        .get(lo as usize..hi as usize)?
        .iter()
        .find(|e| e.nparams == n)
}

/// A flag table by its name in the event table (`file_flags`, ...).
pub fn flag_table(name: &str) -> Option<&'static FlagTable> {
    FLAG_TABLES.iter().copied().find(|t| t.name == name)
}

// Layout pins: the Rust view must agree with the C header.
const _: () = {
    assert!(std::mem::size_of::<raw::ppm_evt_hdr>() == 26);
    assert!(std::mem::offset_of!(raw::ppm_evt_hdr, ts) == 0);
    assert!(std::mem::offset_of!(raw::ppm_evt_hdr, tid) == 8);
    assert!(std::mem::offset_of!(raw::ppm_evt_hdr, len) == 16);
    assert!(std::mem::offset_of!(raw::ppm_evt_hdr, type_) == 20);
    assert!(std::mem::offset_of!(raw::ppm_evt_hdr, nparams) == 22);
    assert!(HEADER_LEN == 26);
    assert!(EVENTS.len() == EVENT_MAX as usize);
    assert!(std::mem::size_of::<raw::scap_machine_info>() == 180);
    assert!(raw::EF_LARGE_PAYLOAD == 0x800);
};

// The kernel module's ring ABI (ring.h), pinned like its _Static_asserts.
const _: () = {
    assert!(std::mem::offset_of!(raw::prg_ring_ctrl, head) == 0);
    assert!(std::mem::offset_of!(raw::prg_ring_ctrl, size) == 8);
    assert!(std::mem::offset_of!(raw::prg_ring_ctrl, watermark) == 16);
    assert!(std::mem::offset_of!(raw::prg_ring_ctrl, cpu) == 24);
    assert!(std::mem::offset_of!(raw::prg_ring_ctrl, events) == 32);
    assert!(std::mem::offset_of!(raw::prg_ring_ctrl, drops) == 64);
    assert!(std::mem::offset_of!(raw::prg_ring_ctrl, tail) == 128);
    assert!(std::mem::offset_of!(raw::prg_ring_ctrl, waiting) == 136);
    assert!(std::mem::size_of::<raw::prg_ring_ctrl>() == 144);
    assert!(std::mem::size_of::<raw::prg_ring_stats>() == 112);
    assert!(std::mem::size_of::<raw::prg_interest>() == 64);
    assert!(raw::PRG_DROP_MAX == 8);
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_reference_counts() {
        let old = EVENTS
            .iter()
            .filter(|e| e.flags & raw::EF_OLD_VERSION != 0)
            .count();
        let unused = EVENTS
            .iter()
            .filter(|e| e.flags & raw::EF_UNUSED != 0)
            .count();
        let large = EVENTS.iter().filter(|e| e.is_large()).count();
        // event-table.md §1 summary: 223 OLD_VERSION, 35 UNUSED, 3 LARGE_PAYLOAD.
        assert_eq!((old, unused, large), (223, 35, 3));
        assert_eq!(CONVERSIONS.len(), 253);
    }

    #[test]
    fn conversion_index_finds_every_entry_and_nothing_else() {
        for c in &CONVERSIONS {
            let found = conversion(c.code as u16, c.nparams).expect("indexed");
            assert_eq!((found.code, found.nparams), (c.code, c.nparams));
            // nparams is truncated to 8 bits, as upstream's lookup does.
            assert!(conversion(c.code as u16, c.nparams + 256).is_some());
        }
        for code in 0..=EVENT_MAX + 1 {
            for n in 0..20 {
                let want = CONVERSIONS
                    .iter()
                    .find(|e| (e.code, e.nparams) == (code as u32, n));
                assert_eq!(
                    conversion(code, n).map(|e| e as *const _),
                    want.map(|e| e as *const _)
                );
            }
        }
    }

    #[test]
    fn well_known_layouts() {
        let e = event_info(raw::PPME_SYSCALL_OPENAT_2_X as u16).unwrap();
        assert_eq!(e.name, "openat");
        let names: Vec<_> = e.params.iter().map(|p| p.name).collect();
        assert_eq!(
            names,
            ["fd", "dirfd", "name", "flags", "mode", "dev", "ino"]
        );
        assert_eq!(e.params[2].info, ParamInfo::DirFd(1));
        assert_eq!(e.params[3].ptype, ParamType::Flags32);
        assert!(matches!(e.params[3].info, ParamInfo::Flags(t) if t.name == "file_flags"));
        assert_eq!(
            event_info(raw::PPME_SYSCALL_EXECVE_19_X as u16)
                .unwrap()
                .params
                .len(),
            31
        );
        assert_eq!(ppm_sc_name(324), Some("execve"));
        assert!(conversion(7, 2).is_some());
        assert!(conversion(7, 4).is_none());
        assert_eq!(
            ParamType::from_u8(raw::PT_PID32 as u8),
            Some(ParamType::Pid32)
        );
    }
}
