//! Events straight out of an in-memory (or mmapped) uncompressed capture:
//! no read calls, no copies. This is the decoder's fast path; the streaming
//! [`CaptureReader`](crate::CaptureReader) is the general one (gzip, V1
//! blocks, metadata, conversion).

use crate::block::{check_len, BlockHeader, MAX_BLOCK_LEN, MAX_EVENT_BLOCK_LEN};
use crate::error::ScapError;
use crate::reader::event_block;
use crate::CapturedEvent;
use peregrine_event::{DecodeError, EventRef};
use peregrine_wire::{raw, EVENT_MAX};

/// Iterator over the event blocks of a capture held in memory. Metadata
/// blocks before the first event are skipped unparsed; V1 event blocks
/// (pre-2016 files) are refused with an error naming their offset (use
/// `CaptureReader` for those). Event types >= `EVENT_MAX` are skipped.
pub struct SliceEvents<'a> {
    data: &'a [u8],
    pos: usize,
    num: u64,
    failed: bool,
}

impl<'a> SliceEvents<'a> {
    /// Checks the section header and positions before the first block.
    pub fn new(data: &'a [u8]) -> Result<Self, ScapError> {
        let mut s = SliceEvents {
            data,
            pos: 0,
            num: 0,
            failed: false,
        };
        let h = s.header()?.ok_or(ScapError::Truncated {
            offset: 0,
            block_type: None,
            need: 8,
            have: 0,
        })?;
        if h.block_type != raw::SHB_BLOCK_TYPE {
            return Err(ScapError::NotACapture {
                found: h.block_type,
            });
        }
        s.body(&h, MAX_BLOCK_LEN)?;
        Ok(s)
    }

    fn header(&self) -> Result<Option<BlockHeader>, ScapError> {
        let rest = &self.data[self.pos..];
        if rest.is_empty() {
            return Ok(None);
        }
        if rest.len() < 8 {
            return Err(ScapError::Truncated {
                offset: self.pos as u64,
                block_type: None,
                need: 8,
                have: rest.len() as u64,
            });
        }
        let h = BlockHeader {
            block_type: u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]),
            len: u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]),
            offset: self.pos as u64,
        };
        check_len(&h).map(Some)
    }

    /// The block body (without header and trailer); advances past the block.
    fn body(&mut self, h: &BlockHeader, max: u32) -> Result<&'a [u8], ScapError> {
        if h.len > max {
            return Err(ScapError::BlockTooLarge {
                offset: h.offset,
                block_type: h.block_type,
                len: h.len,
                max: max as u64,
            });
        }
        let start = self.pos;
        let end = start + h.len as usize;
        let Some(block) = self.data.get(start..end) else {
            return Err(ScapError::Truncated {
                offset: h.offset,
                block_type: Some(h.block_type),
                need: u64::from(h.len),
                have: (self.data.len() - start) as u64,
            });
        };
        let t = block.len() - 4;
        let trailer = u32::from_le_bytes([block[t], block[t + 1], block[t + 2], block[t + 3]]);
        if trailer != h.len {
            return Err(ScapError::Trailer {
                offset: h.offset,
                block_type: h.block_type,
                header: h.len,
                trailer,
            });
        }
        self.pos = end;
        Ok(&block[8..t])
    }

    fn step(&mut self) -> Result<Option<CapturedEvent<'a>>, ScapError> {
        loop {
            let Some(h) = self.header()? else {
                return Ok(None);
            };
            let Some(kind) = event_block(h.block_type) else {
                if self.num == 0 {
                    self.body(&h, MAX_BLOCK_LEN)?; // metadata before the first event
                    continue;
                }
                return Err(ScapError::UnexpectedBlock {
                    offset: h.offset,
                    block_type: h.block_type,
                });
            };
            let body = self.body(
                &h,
                if kind.large {
                    MAX_BLOCK_LEN
                } else {
                    MAX_EVENT_BLOCK_LEN
                },
            )?;
            let ev_err = |source| ScapError::Event {
                offset: h.offset,
                block_type: h.block_type,
                source,
            };
            if kind.v1 {
                return Err(ScapError::V1InSlice {
                    offset: h.offset,
                    block_type: h.block_type,
                });
            }
            let start = if kind.flags { 6 } else { 2 };
            if body.len() < start + 22 {
                return Err(ev_err(DecodeError::Truncated {
                    need: start + 26,
                    have: body.len(),
                }));
            }
            let cpu = u16::from_le_bytes([body[0], body[1]]);
            let dump_flags = if kind.flags {
                u32::from_le_bytes([body[2], body[3], body[4], body[5]])
            } else {
                0
            };
            let code = u16::from_le_bytes([body[start + 20], body[start + 21]]);
            if code >= EVENT_MAX {
                continue;
            }
            let event = EventRef::parse_with(&body[start..], kind.large).map_err(ev_err)?;
            self.num += 1;
            return Ok(Some(CapturedEvent {
                event,
                cpu,
                dump_flags,
                num: self.num,
                offset: h.offset,
            }));
        }
    }
}

impl<'a> Iterator for SliceEvents<'a> {
    type Item = Result<CapturedEvent<'a>, ScapError>;
    /// Stops after the first error.
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let r = self.step();
        self.failed = r.is_err();
        r.transpose()
    }
}
