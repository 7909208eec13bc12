use crate::error::DecodeError;
use crate::param::Param;
use peregrine_wire::{event_info, EventInfo, HEADER_LEN, MAX_EVENT_PARAMS};

/// Event direction by code parity: even codes are enter events (and
/// non-syscall events such as procexit), odd codes exit events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Enter,
    Exit,
}

impl Direction {
    /// sysdig's `evt.dir` character.
    pub fn as_char(self) -> char {
        match self {
            Direction::Enter => '>',
            Direction::Exit => '<',
        }
    }
}

/// A validated view of one event. Cheap to copy.
#[derive(Clone, Copy)]
pub struct EventRef<'a> {
    /// Exactly `len` bytes.
    bytes: &'a [u8],
    /// Table entry; `None` for codes this build does not know.
    info: Option<&'static EventInfo>,
    nparams: u32,
    /// Width of one length-array entry: 2, or 4 for large-payload types.
    lw: u8,
}

#[inline(always)]
pub(crate) fn rd_u16(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([b[off], b[off + 1]])
}
#[inline(always)]
pub(crate) fn rd_u32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}
#[inline(always)]
pub(crate) fn rd_u64(b: &[u8], off: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(a)
}

impl<'a> EventRef<'a> {
    /// Validates the event at the start of `buf` (which may hold more bytes
    /// after it) and returns a view of exactly `len` bytes.
    ///
    /// The length-array width comes from the event type (large-payload types
    /// use u32 lengths); unknown types use u16 lengths.
    #[inline]
    pub fn parse(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < HEADER_LEN {
            return Err(DecodeError::Truncated {
                need: HEADER_LEN,
                have: buf.len(),
            });
        }
        let code = rd_u16(buf, 20);
        let large = event_info(code).is_some_and(EventInfo::is_large);
        Self::parse_with(buf, large)
    }

    /// As [`parse`](Self::parse), with the length-array width given by the
    /// caller (capture files say it through their block type).
    pub fn parse_with(buf: &'a [u8], large: bool) -> Result<Self, DecodeError> {
        if buf.len() < HEADER_LEN {
            return Err(DecodeError::Truncated {
                need: HEADER_LEN,
                have: buf.len(),
            });
        }
        let len = rd_u32(buf, 16);
        let code = rd_u16(buf, 20);
        let nparams = rd_u32(buf, 22);
        if nparams as usize > MAX_EVENT_PARAMS {
            return Err(DecodeError::TooManyParams {
                code,
                nparams,
                max: MAX_EVENT_PARAMS,
            });
        }
        let lw: usize = if large { 4 } else { 2 };
        let data_off = HEADER_LEN + nparams as usize * lw;
        if (len as usize) < data_off {
            return Err(DecodeError::LengthTooSmall { len, min: data_off });
        }
        if len as usize > buf.len() {
            return Err(DecodeError::LengthOverflow {
                len,
                avail: buf.len(),
            });
        }
        let bytes = &buf[..len as usize];
        let mut sum: u64 = 0;
        for i in 0..nparams as usize {
            let o = HEADER_LEN + i * lw;
            sum += if large {
                rd_u32(bytes, o) as u64
            } else {
                rd_u16(bytes, o) as u64
            };
        }
        let avail = len as usize - data_off;
        if sum > avail as u64 {
            return Err(DecodeError::ParamsOverflow { sum, avail });
        }
        Ok(EventRef {
            bytes,
            info: event_info(code),
            nparams,
            lw: lw as u8,
        })
    }

    /// The event's bytes, exactly `len` of them.
    #[inline]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }
    /// Nanoseconds since the epoch.
    #[inline]
    pub fn ts(&self) -> u64 {
        rd_u64(self.bytes, 0)
    }
    /// Host thread id.
    #[inline]
    pub fn tid(&self) -> u64 {
        rd_u64(self.bytes, 8)
    }
    #[inline]
    pub fn len(&self) -> u32 {
        self.bytes.len() as u32
    }
    /// Never true: a valid event holds at least its header.
    #[inline]
    pub fn is_empty(&self) -> bool {
        false
    }
    /// Event code.
    #[inline]
    pub fn code(&self) -> u16 {
        rd_u16(self.bytes, 20)
    }
    #[inline]
    pub fn nparams(&self) -> u32 {
        self.nparams
    }
    /// Table entry, `None` for codes newer than this build.
    #[inline]
    pub fn info(&self) -> Option<&'static EventInfo> {
        self.info
    }
    /// True when lengths are u32 (large-payload events).
    #[inline]
    pub fn is_large(&self) -> bool {
        self.lw == 4
    }
    #[inline]
    pub fn direction(&self) -> Direction {
        if self.code() & 1 == 0 {
            Direction::Enter
        } else {
            Direction::Exit
        }
    }
    /// `evt.type` as the table names it (`NA`/`unknown` aside). GENERIC events
    /// are named after their syscall by the renderer, not here.
    pub fn type_name(&self) -> &'static str {
        self.info.map_or("unknown", |i| i.name)
    }

    #[inline]
    fn param_len(&self, i: usize) -> usize {
        let o = HEADER_LEN + i * self.lw as usize;
        if self.lw == 4 {
            rd_u32(self.bytes, o) as usize
        } else {
            rd_u16(self.bytes, o) as usize
        }
    }

    /// Raw bytes of parameter `i`; `None` past `nparams`. Empty slices are
    /// empty parameters.
    #[inline]
    pub fn param_raw(&self, i: usize) -> Option<&'a [u8]> {
        if i >= self.nparams as usize {
            return None;
        }
        let mut off = HEADER_LEN + self.nparams as usize * self.lw as usize;
        for j in 0..i {
            off += self.param_len(j);
        }
        let l = self.param_len(i);
        // In bounds: parse() checked the sum of all lengths.
        Some(&self.bytes[off..off + l])
    }

    /// Iterates over (raw bytes) of every parameter in order.
    pub fn params(&self) -> Params<'a> {
        Params {
            ev: *self,
            i: 0,
            off: HEADER_LEN + self.nparams as usize * self.lw as usize,
        }
    }

    /// Typed parameter `i`, interpreted with the table's type for it.
    /// `None` past `nparams` or for codes without a table entry.
    pub fn param(&self, i: usize) -> Option<Param<'a>> {
        let desc = self.info?.params.get(i)?;
        let raw = self.param_raw(i)?;
        Some(Param::decode(desc.ptype, raw))
    }

    /// Index of the parameter called `name` in this event's table entry,
    /// if this event carries it.
    pub fn param_index(&self, name: &str) -> Option<usize> {
        let i = self.info?.param_index(name)?;
        (i < self.nparams as usize).then_some(i)
    }

    /// Typed parameter by name (`evt.arg.NAME` / `evt.rawarg.NAME`).
    pub fn param_by_name(&self, name: &str) -> Option<Param<'a>> {
        self.param(self.param_index(name)?)
    }

    /// The syscall result: parameter `res` or, for fd-creating events, `fd`
    /// (both at index 0 of exit events), as a signed integer.
    pub fn result(&self) -> Option<i64> {
        let info = self.info?;
        if self.direction() != Direction::Exit {
            return None;
        }
        let d = info.params.first()?;
        if !matches!(d.name, "res" | "fd") {
            return None;
        }
        self.param(0)?.as_i64()
    }
}

impl std::fmt::Debug for EventRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventRef")
            .field("ts", &self.ts())
            .field("tid", &self.tid())
            .field("type", &self.type_name())
            .field("code", &self.code())
            .field("nparams", &self.nparams)
            .field("len", &self.len())
            .finish()
    }
}

/// Iterator over the raw parameter slices of an event.
pub struct Params<'a> {
    ev: EventRef<'a>,
    i: usize,
    off: usize,
}

impl<'a> Iterator for Params<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.i >= self.ev.nparams as usize {
            return None;
        }
        let l = self.ev.param_len(self.i);
        let s = &self.ev.bytes[self.off..self.off + l];
        self.off += l;
        self.i += 1;
        Some(s)
    }
}
