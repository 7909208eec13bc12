//! The .scap capture-file format: reader, writer and the savefile converter.
//!
//! A capture is a pcapng-like sequence of blocks (`driver.md` §3): a section
//! header, metadata blocks (machine info, process list, fd lists,
//! interfaces, users), then one block per event. Files may be gzip
//! compressed; [`CaptureReader`] detects that from the `1f 8b` magic.
//!
//! - [`CaptureReader::next_raw`] returns events as stored. Events are
//!   borrowed from the reader's block buffer (zero-copy); V1 events (old
//!   files without `nparams`) are widened in that buffer. Event types
//!   >= `EVENT_MAX` are skipped and counted, as upstream does.
//! - [`CaptureReader::next_event`] runs the savefile [`Converter`]
//!   (`event-table.md` §3), so old enter/exit pairs come out as the current
//!   exit-only events. Only converted events are copied.
//! - [`CaptureWriter`] writes SHB, MI, IL_V2, UL_V2, PL_V9, FDL_V2 and
//!   EV(F)_V2(_LARGE) blocks, which sysdig 0.29 and current Falco read.
//!   Metadata strings are cut to the lengths those readers accept (a
//!   longer one makes them refuse the whole file).
//!   Reading a capture and writing it back is a fixed point.
//!
//! Where we differ from upstream's reader, on purpose:
//! - a capture with a section header but no event block is an empty event
//!   stream, not an error ("no events in file" upstream);
//! - the section header's options are skipped, and bytes after the event in
//!   an event block (options some writers append) are ignored; upstream
//!   2022 readers fail on such files;
//! - V1 events get the largest parameter count (table count or fewer) whose
//!   lengths add up exactly, instead of failing as soon as one count
//!   overshoots;
//! - the converter is tolerant of enter/exit mismatches and bounds its
//!   per-thread store (see [`Converter`]);
//! - block lengths are capped (64 KiB + 8 for ordinary event blocks, as
//!   upstream; 256 MiB for metadata and large event blocks) and must be a
//!   multiple of 4.
//!
//! No input bytes can make this crate panic: every read is bounds-checked
//! and a malformed file yields a [`ScapError`] naming the block offset.

#![deny(unsafe_code)]

mod block;
mod bytes;
mod converter;
mod enter_store;
mod error;
mod fdlist;
mod header;
mod proclist;
mod reader;
mod slice;
mod writer;

pub use block::{MAX_BLOCK_LEN, MAX_EVENT_BLOCK_LEN};
pub use converter::{ConvertStats, Converter};
pub use error::{ConvertError, ScapError};
pub use fdlist::{FdEntry, FdInfo};
pub use header::{GroupInfo, InterfaceAddr, InterfaceInfo, MachineInfo, SectionHeader, UserInfo};
pub use proclist::ProcInfo;
pub use reader::{CaptureReader, CapturedEvent, ReadStats};
pub use slice::SliceEvents;
pub use writer::CaptureWriter;

/// Everything a capture holds before its first event; enough to write the
/// file back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    pub section: SectionHeader,
    pub machine: Option<MachineInfo>,
    pub procs: Vec<ProcInfo>,
    /// fd entries of all FDL blocks, in file order, each with its thread.
    pub fds: Vec<FdEntry>,
    pub interfaces: Vec<InterfaceInfo>,
    pub users: Vec<UserInfo>,
    pub groups: Vec<GroupInfo>,
}
