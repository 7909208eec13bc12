//! The capture reader: header phase (metadata blocks) then event phase
//! (driver.md §3.4, event-table.md §3.1).

use std::fs::File;
use std::io::Read;
use std::path::Path;

use peregrine_event::{DecodeError, EventRef};
use peregrine_wire::{event_info, raw, EVENT_MAX, HEADER_LEN};

use crate::block::{BlockHeader, BlockReader, MAX_BLOCK_LEN, MAX_EVENT_BLOCK_LEN};
use crate::converter::{ConvertStats, Converter, Outcome};
use crate::error::ScapError;
use crate::header::{self, BYTE_ORDER_MAGIC};
use crate::proclist::pl_version;
use crate::{fdlist, Metadata};

/// Header length of V1 events, which lack `nparams`.
const V1_HEADER_LEN: usize = HEADER_LEN - 4;

/// One event of a capture and where it came from.
#[derive(Debug, Clone, Copy)]
pub struct CapturedEvent<'a> {
    pub event: EventRef<'a>,
    /// The cpu id (ring index) the event was captured on.
    pub cpu: u16,
    /// `scap_dump_flags` of EVF blocks; 0 for EV blocks.
    pub dump_flags: u32,
    /// 1-based number among the events `next_raw` returns (sysdig's
    /// `evt.num`); a converted event has the number of the raw event that
    /// produced it.
    pub num: u64,
    /// Byte offset of the event's block in the decompressed stream.
    pub offset: u64,
}

/// Counters of one reader.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Blocks read, all types.
    pub blocks: u64,
    /// Decompressed bytes consumed.
    pub bytes: u64,
    /// Metadata blocks understood (MI, PL, FDL, IL, UL).
    pub metadata_blocks: u64,
    /// Header-phase blocks of unknown type, skipped.
    pub unknown_blocks: u64,
    /// Events returned by the raw stream (`num` of the last one).
    pub events: u64,
    /// Events with a type >= EVENT_MAX (written by newer software), skipped.
    pub skipped_unknown_type: u64,
    /// V1 events (no nparams in the header) upgraded in memory.
    pub v1_events: u64,
    /// What the converter did (only `next_event` feeds it; filled in by
    /// [`CaptureReader::stats`]).
    pub convert: ConvertStats,
}

/// Where the current raw event sits in the block buffer.
#[derive(Debug, Clone, Copy)]
struct RawPos {
    start: usize,
    large: bool,
    cpu: u16,
    dump_flags: u32,
    num: u64,
    h: BlockHeader,
}

/// Reads a .scap capture: plain or gzip, buffered.
///
/// The header phase runs in [`open`](Self::open)/[`from_reader`](Self::from_reader);
/// events are then read one block at a time into a reused buffer and handed
/// out as borrowed [`EventRef`]s.
pub struct CaptureReader {
    blocks: BlockReader,
    meta: Metadata,
    buf: Vec<u8>,
    /// The first event block, met at the end of the header phase.
    pending: Option<BlockHeader>,
    stats: ReadStats,
    converter: Converter,
}

impl CaptureReader {
    /// Opens a capture file (plain or gzip, detected by the `1f 8b` magic).
    pub fn open(path: &Path) -> Result<Self, ScapError> {
        let f = File::open(path).map_err(|source| ScapError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        Self::start(BlockReader::new(Box::new(f), Some(path.to_path_buf()))?)
    }

    /// Reads a capture from any byte stream (plain or gzip).
    pub fn from_reader(r: Box<dyn Read + Send>) -> Result<Self, ScapError> {
        Self::start(BlockReader::new(r, None)?)
    }

    fn start(blocks: BlockReader) -> Result<Self, ScapError> {
        let mut r = CaptureReader {
            blocks,
            meta: Metadata::default(),
            buf: Vec::with_capacity(MAX_EVENT_BLOCK_LEN as usize),
            pending: None,
            stats: ReadStats::default(),
            converter: Converter::new(),
        };
        r.read_header_phase()?;
        Ok(r)
    }

    /// Everything read before the first event.
    pub fn metadata(&self) -> &Metadata {
        &self.meta
    }

    /// The counters so far (the converter's are read from it here rather
    /// than copied on every event).
    pub fn stats(&self) -> ReadStats {
        ReadStats {
            convert: *self.converter.stats(),
            ..self.stats
        }
    }

    fn read_header_phase(&mut self) -> Result<(), ScapError> {
        let Some(h) = self.blocks.next_header_unchecked()? else {
            return Err(ScapError::Truncated {
                offset: 0,
                block_type: None,
                need: 8,
                have: 0,
            });
        };
        if h.block_type != raw::SHB_BLOCK_TYPE {
            return Err(ScapError::NotACapture {
                found: h.block_type,
            });
        }
        let h = crate::block::check_len(&h)?;
        self.blocks.read_body(&h, MAX_BLOCK_LEN, &mut self.buf)?;
        self.stats.blocks += 1;
        let (magic, shb) = header::parse_shb(&self.buf).map_err(|e| meta_err(&h, e))?;
        if magic != BYTE_ORDER_MAGIC {
            return Err(ScapError::ByteOrder {
                offset: h.offset,
                magic,
            });
        }
        if shb.major != 1 {
            return Err(ScapError::Version {
                offset: h.offset,
                major: shb.major,
                minor: shb.minor,
            });
        }
        self.meta.section = shb;
        loop {
            let Some(h) = self.blocks.next_header()? else {
                // No events at all: upstream refuses such a file ("no events
                // in file"); for us it is an empty event stream.
                self.stats.bytes = self.blocks.pos();
                return Ok(());
            };
            if event_block(h.block_type).is_some() {
                self.pending = Some(h);
                return Ok(());
            }
            self.blocks.read_body(&h, MAX_BLOCK_LEN, &mut self.buf)?;
            self.stats.blocks += 1;
            self.stats.bytes = self.blocks.pos();
            self.parse_metadata_block(&h)?;
        }
    }

    fn parse_metadata_block(&mut self, h: &BlockHeader) -> Result<(), ScapError> {
        let body = &self.buf[..];
        let m = &mut self.meta;
        let t = h.block_type;
        let res: Result<(), String> = match t {
            raw::MI_BLOCK_TYPE | raw::MI_BLOCK_TYPE_INT => header::parse_mi(body)
                .map(|mi| m.machine = Some(mi))
                .map_err(|e| e.to_string()),
            raw::FDL_BLOCK_TYPE | raw::FDL_BLOCK_TYPE_INT | raw::FDL_BLOCK_TYPE_V2 => {
                fdlist::parse_fdl(body, t == raw::FDL_BLOCK_TYPE_V2, &mut m.fds)
            }
            raw::IL_BLOCK_TYPE | raw::IL_BLOCK_TYPE_INT | raw::IL_BLOCK_TYPE_V2 => {
                // A later list replaces an earlier one, as upstream does.
                header::parse_il(body, t == raw::IL_BLOCK_TYPE_V2).map(|l| m.interfaces = l)
            }
            raw::UL_BLOCK_TYPE | raw::UL_BLOCK_TYPE_INT | raw::UL_BLOCK_TYPE_V2 => {
                m.users.clear();
                m.groups.clear();
                header::parse_ul(
                    body,
                    t == raw::UL_BLOCK_TYPE_V2,
                    &mut m.users,
                    &mut m.groups,
                )
            }
            _ => match pl_version(t) {
                Some(v) => crate::proclist::parse_pl(body, v, &mut m.procs),
                None => {
                    self.stats.unknown_blocks += 1;
                    return Ok(());
                }
            },
        };
        self.stats.metadata_blocks += 1;
        res.map_err(|what| ScapError::Metadata {
            offset: h.offset,
            block_type: h.block_type,
            what,
        })
    }

    /// The next event as stored (V1 events upgraded in memory, nothing
    /// converted). Types >= EVENT_MAX are skipped and counted.
    pub fn next_raw(&mut self) -> Result<Option<CapturedEvent<'_>>, ScapError> {
        let Some(p) = self.advance()? else {
            return Ok(None);
        };
        let event = event_in(&self.buf, &p)?;
        self.stats.events += 1;
        Ok(Some(CapturedEvent {
            event,
            cpu: p.cpu,
            dump_flags: p.dump_flags,
            num: p.num,
            offset: p.h.offset,
        }))
    }

    /// The next event after the savefile converter (event-table.md §3):
    /// old enter/exit pairs merged into current exit events, dropped and
    /// stored events not returned. Unchanged events are still borrowed from
    /// the block buffer; converted ones come from the converter's buffer.
    pub fn next_event(&mut self) -> Result<Option<CapturedEvent<'_>>, ScapError> {
        loop {
            let Some(p) = self.advance()? else {
                return Ok(None);
            };
            let outcome = {
                let ev = event_in(&self.buf, &p)?;
                self.stats.events += 1;
                self.converter.step(ev)
            };
            let outcome = outcome.map_err(|source| ScapError::Convert {
                offset: p.h.offset,
                num: p.num,
                source,
            })?;
            // Parsed again rather than kept from above: a borrow returned
            // from one iteration of this loop would outlive the next.
            let event = match outcome {
                Outcome::Dropped | Outcome::Stored => continue,
                Outcome::Pass => event_in(&self.buf, &p)?,
                Outcome::Converted => {
                    EventRef::parse(self.converter.output()).map_err(|source| {
                        ScapError::Convert {
                            offset: p.h.offset,
                            num: p.num,
                            source: source.into(),
                        }
                    })?
                }
            };
            return Ok(Some(CapturedEvent {
                event,
                cpu: p.cpu,
                dump_flags: p.dump_flags,
                num: p.num,
                offset: p.h.offset,
            }));
        }
    }

    /// Reads event blocks until one holds an event this build knows. The
    /// caller validates the event (`event_in`) and counts it.
    fn advance(&mut self) -> Result<Option<RawPos>, ScapError> {
        loop {
            let h = match self.pending.take() {
                Some(h) => h,
                None => match self.blocks.next_header()? {
                    Some(h) => h,
                    None => return Ok(None),
                },
            };
            let Some(kind) = event_block(h.block_type) else {
                return Err(ScapError::UnexpectedBlock {
                    offset: h.offset,
                    block_type: h.block_type,
                });
            };
            let max = if kind.large {
                MAX_BLOCK_LEN
            } else {
                MAX_EVENT_BLOCK_LEN
            };
            self.blocks.read_body(&h, max, &mut self.buf)?;
            self.stats.blocks += 1;
            self.stats.bytes = self.blocks.pos();
            let ev_err = |source| ScapError::Event {
                offset: h.offset,
                block_type: h.block_type,
                source,
            };
            let start = if kind.flags { 6 } else { 2 };
            let hdr = if kind.v1 { V1_HEADER_LEN } else { HEADER_LEN };
            let avail = self.buf.len().saturating_sub(start);
            if avail < hdr {
                return Err(ev_err(DecodeError::Truncated {
                    need: start + hdr,
                    have: self.buf.len(),
                }));
            }
            let b = &self.buf;
            let cpu = u16::from_le_bytes([b[0], b[1]]);
            let dump_flags = if kind.flags {
                u32::from_le_bytes([b[2], b[3], b[4], b[5]])
            } else {
                0
            };
            let code = u16::from_le_bytes([b[start + 20], b[start + 21]]);
            if code >= EVENT_MAX {
                self.stats.skipped_unknown_type += 1;
                continue;
            }
            if kind.v1 {
                upgrade_v1(&mut self.buf, start, code).map_err(|e| match e {
                    V1Error::Decode(d) => ev_err(d),
                    V1Error::NoMatch(len) => ScapError::V1Params {
                        offset: h.offset,
                        block_type: h.block_type,
                        code,
                        len,
                    },
                })?;
                self.stats.v1_events += 1;
            }
            let pos = RawPos {
                start,
                large: kind.large,
                cpu,
                dump_flags,
                num: self.stats.events + 1,
                h,
            };
            return Ok(Some(pos));
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct EventBlockKind {
    pub flags: bool,
    pub v1: bool,
    pub large: bool,
}

pub(crate) fn event_block(t: u32) -> Option<EventBlockKind> {
    let k = |flags, v1, large| Some(EventBlockKind { flags, v1, large });
    match t {
        raw::EV_BLOCK_TYPE | raw::EV_BLOCK_TYPE_INT => k(false, true, false),
        raw::EVF_BLOCK_TYPE | raw::EVF_BLOCK_TYPE_INT => k(true, true, false),
        raw::EV_BLOCK_TYPE_V2 => k(false, false, false),
        raw::EVF_BLOCK_TYPE_V2 => k(true, false, false),
        raw::EV_BLOCK_TYPE_V2_LARGE => k(false, false, true),
        raw::EVF_BLOCK_TYPE_V2_LARGE => k(true, false, true),
        _ => None,
    }
}

enum V1Error {
    Decode(DecodeError),
    NoMatch(u32),
}

/// Widens a V1 event header (no nparams) in place and infers nparams: the
/// table count first, then fewer, until the u16 lengths add up exactly to
/// the event length (driver.md §3.4).
fn upgrade_v1(buf: &mut Vec<u8>, start: usize, code: u16) -> Result<(), V1Error> {
    let hdr_end = start + V1_HEADER_LEN;
    buf.splice(hdr_end..hdr_end, [0u8; 4]);
    let len_at = start + 16;
    let rd32 = |b: &[u8], o: usize| {
        b.get(o..o + 4)
            .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
            .unwrap_or(0)
    };
    let mut len =
        rd32(buf, len_at)
            .checked_add(4)
            .ok_or(V1Error::Decode(DecodeError::LengthOverflow {
                len: u32::MAX,
                avail: buf.len() - start,
            }))?;
    // Old captures store these two with a length 3 bytes too long.
    if code == raw::PPME_NOTIFICATION_E as u16 || code == raw::PPME_INFRASTRUCTURE_EVENT_E as u16 {
        len = len.saturating_sub(3);
    }
    let avail = buf.len() - start;
    if len as usize > avail {
        return Err(V1Error::Decode(DecodeError::LengthOverflow { len, avail }));
    }
    if (len as usize) < HEADER_LEN {
        return Err(V1Error::Decode(DecodeError::LengthTooSmall {
            len,
            min: HEADER_LEN,
        }));
    }
    let ev = &buf[start..start + len as usize];
    let table_n = event_info(code).map_or(0, |i| i.params.len());
    let end = len as usize;
    let found = (0..=table_n).rev().find(|&n| {
        let lens_end = HEADER_LEN + 2 * n;
        if lens_end > end {
            return false;
        }
        let sum: usize = (0..n)
            .map(|i| {
                let o = HEADER_LEN + 2 * i;
                u16::from_le_bytes([ev[o], ev[o + 1]]) as usize
            })
            .sum();
        lens_end + sum == end
    });
    let Some(n) = found else {
        return Err(V1Error::NoMatch(len));
    };
    buf[len_at..len_at + 4].copy_from_slice(&len.to_le_bytes());
    buf[start + 22..start + 26].copy_from_slice(&(n as u32).to_le_bytes());
    Ok(())
}

fn meta_err(h: &BlockHeader, e: crate::bytes::Short) -> ScapError {
    ScapError::Metadata {
        offset: h.offset,
        block_type: h.block_type,
        what: e.to_string(),
    }
}

/// The event of `p` in a block buffer.
fn event_in<'a>(buf: &'a [u8], p: &RawPos) -> Result<EventRef<'a>, ScapError> {
    let bytes = buf.get(p.start..).unwrap_or(&[]);
    EventRef::parse_with(bytes, p.large).map_err(|source| ScapError::Event {
        offset: p.h.offset,
        block_type: p.h.block_type,
        source,
    })
}
