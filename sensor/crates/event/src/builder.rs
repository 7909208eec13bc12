//! Building events: for producers written in Rust (tests, the capture-file
//! converter, synthetic workloads). Output is always a valid event.

use peregrine_wire::{event_info, HEADER_LEN, MAX_EVENT_PARAMS};

/// Accumulates parameters, then writes header + lengths + data.
#[derive(Debug, Clone, Default)]
pub struct EventBuilder {
    lens: Vec<u32>,
    data: Vec<u8>,
}

/// Why an event could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("more than {MAX_EVENT_PARAMS} parameters")]
    TooManyParams,
    #[error("parameter of {len} bytes does not fit a {width}-byte length entry")]
    ParamTooLarge { len: usize, width: usize },
    #[error("event of {0} bytes does not fit the u32 length field")]
    EventTooLarge(usize),
}

impl EventBuilder {
    pub fn new() -> Self {
        Self::default()
    }
    /// Forget the parameters, keep the allocations.
    pub fn clear(&mut self) {
        self.lens.clear();
        self.data.clear();
    }
    /// Append raw parameter bytes (an empty slice is an empty parameter).
    pub fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.lens.push(bytes.len() as u32);
        self.data.extend_from_slice(bytes);
        self
    }
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.raw(&[v])
    }
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.raw(&v.to_le_bytes())
    }
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.raw(&v.to_le_bytes())
    }
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.raw(&v.to_le_bytes())
    }
    pub fn i64(&mut self, v: i64) -> &mut Self {
        self.raw(&v.to_le_bytes())
    }
    /// A string parameter: the bytes plus a NUL.
    pub fn str(&mut self, s: &str) -> &mut Self {
        self.lens.push(s.len() as u32 + 1);
        self.data.extend_from_slice(s.as_bytes());
        self.data.push(0);
        self
    }
    pub fn empty(&mut self) -> &mut Self {
        self.raw(&[])
    }
    pub fn nparams(&self) -> usize {
        self.lens.len()
    }

    /// Appends the finished event to `out`. The length-array width follows
    /// the event type (u32 for large-payload types).
    pub fn finish_into(
        &self,
        ts: u64,
        tid: u64,
        code: u16,
        out: &mut Vec<u8>,
    ) -> Result<(), BuildError> {
        if self.lens.len() > MAX_EVENT_PARAMS {
            return Err(BuildError::TooManyParams);
        }
        let large = event_info(code).is_some_and(|i| i.is_large());
        let w = if large { 4 } else { 2 };
        if let Some(&l) = self.lens.iter().find(|&&l| !large && l > u16::MAX as u32) {
            return Err(BuildError::ParamTooLarge {
                len: l as usize,
                width: w,
            });
        }
        let total = HEADER_LEN + self.lens.len() * w + self.data.len();
        let len = u32::try_from(total).map_err(|_| BuildError::EventTooLarge(total))?;
        out.reserve(total);
        out.extend_from_slice(&ts.to_le_bytes());
        out.extend_from_slice(&tid.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&code.to_le_bytes());
        out.extend_from_slice(&(self.lens.len() as u32).to_le_bytes());
        for &l in &self.lens {
            if large {
                out.extend_from_slice(&l.to_le_bytes());
            } else {
                out.extend_from_slice(&(l as u16).to_le_bytes());
            }
        }
        out.extend_from_slice(&self.data);
        Ok(())
    }

    /// The finished event as a new vector.
    pub fn finish(&self, ts: u64, tid: u64, code: u16) -> Result<Vec<u8>, BuildError> {
        let mut v = Vec::new();
        self.finish_into(ts, tid, code, &mut v)?;
        Ok(v)
    }
}
