//! Block framing (driver.md §3.1): `u32 type, u32 total_length`, body, zero
//! padding to 4 bytes, `u32 total_length` again. Also opening plain or gzip
//! streams.

use std::io::{BufReader, Read};
use std::path::PathBuf;

use flate2::read::MultiGzDecoder;

use crate::error::ScapError;

/// Header + trailer bytes around every block body.
pub(crate) const FRAMING: u32 = 12;
/// Largest metadata or large-event block we accept. Upstream has no limit;
/// this one keeps a corrupt length from asking for gigabytes.
pub const MAX_BLOCK_LEN: u32 = 256 << 20;
/// Largest non-large event block: upstream reads `total - 8` bytes into a
/// 64 KiB buffer (READER_BUF_SIZE).
pub const MAX_EVENT_BLOCK_LEN: u32 = 8 + 65536;

/// A block header and where it starts in the decompressed stream.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BlockHeader {
    pub block_type: u32,
    pub len: u32,
    pub offset: u64,
}

/// Bytes read from the underlying stream at a time. Blocks that fit are
/// served from this window without going through `Read` per block (replay
/// reads millions of ~70-byte event blocks).
const WINDOW: usize = 256 << 10;

pub(crate) struct BlockReader {
    /// The file, or a gzip decoder over it.
    inner: Box<dyn Read + Send>,
    path: Option<PathBuf>,
    /// Bytes consumed from the decompressed stream.
    pos: u64,
    /// Read-ahead window: bytes `lo..hi` are read but not consumed.
    win: Vec<u8>,
    lo: usize,
    hi: usize,
}

impl BlockReader {
    /// Wraps `r`, transparently decompressing it when it starts with the
    /// gzip magic `1f 8b` (as zlib's gzopen does).
    pub fn new(r: Box<dyn Read + Send>, path: Option<PathBuf>) -> Result<Self, ScapError> {
        let mut br = BlockReader {
            inner: r,
            path,
            pos: 0,
            win: vec![0; WINDOW],
            lo: 0,
            hi: 0,
        };
        let n = br.fill(2).map_err(|e| br.read_err(e))?;
        if n >= 2 && br.win[..2] == [0x1f, 0x8b] {
            // The magic is already in the window: the decoder reads it from
            // there, then the rest of the stream.
            let head = std::io::Cursor::new(br.win[br.lo..br.hi].to_vec());
            let raw = std::mem::replace(&mut br.inner, Box::new(std::io::empty()));
            br.inner = Box::new(MultiGzDecoder::new(BufReader::with_capacity(
                128 << 10,
                head.chain(raw),
            )));
            (br.lo, br.hi) = (0, 0);
        }
        Ok(br)
    }

    pub fn pos(&self) -> u64 {
        self.pos
    }

    fn read_err(&self, source: std::io::Error) -> ScapError {
        ScapError::Read {
            path: self.path.clone(),
            offset: self.pos,
            source,
        }
    }

    /// Makes at least `need` (<= WINDOW) bytes available in the window, or
    /// as many as the stream has left; returns how many are available.
    fn fill(&mut self, need: usize) -> std::io::Result<usize> {
        if self.hi - self.lo >= need {
            return Ok(self.hi - self.lo);
        }
        if self.lo > 0 {
            self.win.copy_within(self.lo..self.hi, 0);
            self.hi -= self.lo;
            self.lo = 0;
        }
        while self.hi < need {
            match self.inner.read(&mut self.win[self.hi..]) {
                Ok(0) => break,
                Ok(k) => self.hi += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.hi)
    }

    /// Consumes `n` available bytes.
    fn consume(&mut self, n: usize) -> &[u8] {
        let s = &self.win[self.lo..self.lo + n];
        self.lo += n;
        self.pos += n as u64;
        s
    }

    /// The next block header, its length checked; `None` at a clean end of
    /// stream (0 bytes).
    pub fn next_header(&mut self) -> Result<Option<BlockHeader>, ScapError> {
        match self.next_header_unchecked()? {
            Some(h) => check_len(&h).map(Some),
            None => Ok(None),
        }
    }

    /// As `next_header`, without the length checks (so the first block can
    /// be recognised as "not a capture" before its length is judged).
    pub fn next_header_unchecked(&mut self) -> Result<Option<BlockHeader>, ScapError> {
        let offset = self.pos;
        let n = self.fill(8).map_err(|e| self.read_err(e))?.min(8);
        let h = self.consume(n);
        if n == 0 {
            return Ok(None);
        }
        if n < 8 {
            return Err(ScapError::Truncated {
                offset,
                block_type: None,
                need: 8,
                have: n as u64,
            });
        }
        let block_type = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
        let len = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
        Ok(Some(BlockHeader {
            block_type,
            len,
            offset,
        }))
    }

    /// Reads the body (with padding) of the block `h` into `buf` and checks
    /// the trailer. `buf` grows only as bytes actually arrive, so a huge
    /// declared length in a short file costs no memory.
    pub fn read_body(
        &mut self,
        h: &BlockHeader,
        max: u32,
        buf: &mut Vec<u8>,
    ) -> Result<(), ScapError> {
        if h.len > max {
            return Err(ScapError::BlockTooLarge {
                offset: h.offset,
                block_type: h.block_type,
                len: h.len,
                max: max as u64,
            });
        }
        // Body plus trailer; len >= FRAMING was checked by next_header.
        let want = (h.len - 8) as usize;
        buf.clear();
        let mut got = if want <= WINDOW {
            let n = self.fill(want).map_err(|e| self.read_err(e))?.min(want);
            buf.extend_from_slice(self.consume(n));
            n
        } else {
            // Larger than the window: what it holds, then straight from the
            // stream.
            let n = self.hi - self.lo;
            buf.extend_from_slice(self.consume(n));
            n
        };
        if got < want {
            let more = (&mut self.inner)
                .take((want - got) as u64)
                .read_to_end(buf)
                .map_err(|e| self.read_err(e))?;
            self.pos += more as u64;
            got += more;
        }
        if got < want {
            return Err(ScapError::Truncated {
                offset: h.offset,
                block_type: Some(h.block_type),
                need: want as u64,
                have: got as u64,
            });
        }
        let body_len = buf.len() - 4;
        let t = buf.get(body_len..).unwrap_or(&[0, 0, 0, 0]);
        let trailer = u32::from_le_bytes([t[0], t[1], t[2], t[3]]);
        if trailer != h.len {
            return Err(ScapError::Trailer {
                offset: h.offset,
                block_type: h.block_type,
                header: h.len,
                trailer,
            });
        }
        buf.truncate(body_len);
        Ok(())
    }
}

/// A block is at least its framing long and a multiple of 4.
pub(crate) fn check_len(h: &BlockHeader) -> Result<BlockHeader, ScapError> {
    let (offset, block_type, len) = (h.offset, h.block_type, h.len);
    if len < FRAMING {
        return Err(ScapError::BlockTooShort {
            offset,
            block_type,
            len,
            min: FRAMING,
        });
    }
    if len % 4 != 0 {
        return Err(ScapError::BlockMisaligned {
            offset,
            block_type,
            len,
        });
    }
    Ok(*h)
}
