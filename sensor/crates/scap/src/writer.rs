//! The capture writer: SHB, MI, IL_V2, UL_V2, PL_V9, FDL_V2, then event
//! blocks (EV_V2/EVF_V2, or the _LARGE types for large-payload events), the
//! block set and order of current writers (driver.md §3.4-3.5).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;
use peregrine_event::EventRef;
use peregrine_wire::raw;

use crate::block::{FRAMING, MAX_EVENT_BLOCK_LEN};
use crate::error::ScapError;
use crate::{fdlist, header, proclist, Metadata};

/// Size past which a process or fd list continues in a new block: far
/// below MAX_BLOCK_LEN even after the largest entry (about 460 KiB: seven
/// strings of at most 64 KiB), and small enough for readers to hold whole.
const LIST_BLOCK_TARGET: usize = 8 << 20;

enum Sink<W: Write> {
    Plain(W),
    Gzip(GzEncoder<W>),
}

/// Writes a .scap capture, plain or gzip.
pub struct CaptureWriter<W: Write> {
    sink: Sink<W>,
    path: Option<PathBuf>,
    block: Vec<u8>,
}

impl CaptureWriter<BufWriter<File>> {
    /// Creates (truncates) `path` and writes the metadata blocks.
    pub fn create(path: &Path, gzip: bool, meta: &Metadata) -> Result<Self, ScapError> {
        let f = File::create(path).map_err(|source| ScapError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let w = BufWriter::with_capacity(256 << 10, f);
        let sink = if gzip {
            Sink::Gzip(GzEncoder::new(w, Compression::default()))
        } else {
            Sink::Plain(w)
        };
        Self::start(sink, Some(path.to_path_buf()), meta)
    }
}

impl<W: Write> CaptureWriter<W> {
    /// A plain (uncompressed) capture on `w`; writes the metadata blocks.
    pub fn new(w: W, meta: &Metadata) -> Result<Self, ScapError> {
        Self::start(Sink::Plain(w), None, meta)
    }

    /// A gzip-compressed capture on `w`; writes the metadata blocks.
    pub fn new_gzip(w: W, meta: &Metadata) -> Result<Self, ScapError> {
        Self::start(
            Sink::Gzip(GzEncoder::new(w, Compression::default())),
            None,
            meta,
        )
    }

    fn start(sink: Sink<W>, path: Option<PathBuf>, meta: &Metadata) -> Result<Self, ScapError> {
        let mut w = CaptureWriter {
            sink,
            path,
            block: Vec::with_capacity(MAX_EVENT_BLOCK_LEN as usize),
        };
        w.write_metadata(meta)?;
        Ok(w)
    }

    fn write_metadata(&mut self, meta: &Metadata) -> Result<(), ScapError> {
        let mut body = Vec::new();
        header::write_shb(&mut body, &meta.section);
        self.emit(raw::SHB_BLOCK_TYPE, &body)?;
        if let Some(mi) = &meta.machine {
            body.clear();
            header::write_mi(&mut body, mi);
            self.emit(raw::MI_BLOCK_TYPE, &body)?;
        }
        // Empty lists are left out: old readers may fail on an empty block.
        if !meta.interfaces.is_empty() {
            body.clear();
            header::write_il(&mut body, &meta.interfaces);
            self.emit(raw::IL_BLOCK_TYPE_V2, &body)?;
        }
        if !meta.users.is_empty() || !meta.groups.is_empty() {
            body.clear();
            header::write_ul(&mut body, &meta.users, &meta.groups);
            self.emit(raw::UL_BLOCK_TYPE_V2, &body)?;
        }
        // Readers (ours included) refuse blocks past MAX_BLOCK_LEN, which the
        // process list of a big host can reach (long environments times
        // many threads): lists go in as many blocks as they need, each of
        // which readers add to what they have.
        let mut procs = meta.procs.iter().peekable();
        while procs.peek().is_some() {
            body.clear();
            while let Some(p) = procs.next_if(|_| body.len() < LIST_BLOCK_TARGET) {
                proclist::write_pl_entry(&mut body, p);
            }
            self.emit(raw::PL_BLOCK_TYPE_V9, &body)?;
        }
        // One FDL block per run of entries of the same thread (or more for
        // huge runs), so the order of `fds` survives a round trip.
        let mut i = 0;
        while let Some(first) = meta.fds.get(i) {
            body.clear();
            body.extend_from_slice(&first.tid.to_le_bytes());
            while let Some(e) = meta
                .fds
                .get(i)
                .filter(|e| e.tid == first.tid && body.len() < LIST_BLOCK_TARGET)
            {
                fdlist::write_fd_entry(&mut body, e);
                i += 1;
            }
            self.emit(raw::FDL_BLOCK_TYPE_V2, &body)?;
        }
        Ok(())
    }

    /// Writes one event block: EV_V2 when `dump_flags` is 0, EVF_V2
    /// otherwise; the _LARGE variants for events with u32 lengths.
    pub fn write_event(
        &mut self,
        ev: &EventRef<'_>,
        cpu: u16,
        dump_flags: u32,
    ) -> Result<(), ScapError> {
        let block_type = match (ev.is_large(), dump_flags != 0) {
            (false, false) => raw::EV_BLOCK_TYPE_V2,
            (false, true) => raw::EVF_BLOCK_TYPE_V2,
            (true, false) => raw::EV_BLOCK_TYPE_V2_LARGE,
            (true, true) => raw::EVF_BLOCK_TYPE_V2_LARGE,
        };
        let mut body = std::mem::take(&mut self.block);
        body.clear();
        body.extend_from_slice(&cpu.to_le_bytes());
        if dump_flags != 0 {
            body.extend_from_slice(&dump_flags.to_le_bytes());
        }
        body.extend_from_slice(ev.as_bytes());
        let total = padded(body.len()) + FRAMING as usize;
        if !ev.is_large() && total > MAX_EVENT_BLOCK_LEN as usize {
            self.block = body;
            return Err(ScapError::Unwritable {
                ts: ev.ts(),
                code: ev.code(),
                what: format!(
                    "its {total}-byte block exceeds the {MAX_EVENT_BLOCK_LEN}-byte limit readers enforce for non-large event blocks"
                ),
            });
        }
        let r = self.emit(block_type, &body);
        self.block = body;
        r
    }

    /// Flushes everything (and ends the gzip stream); returns the writer.
    pub fn finish(self) -> Result<W, ScapError> {
        let path = self.path;
        let err = |source| ScapError::Write {
            path: path.clone(),
            source,
        };
        let mut w = match self.sink {
            Sink::Plain(w) => w,
            Sink::Gzip(g) => g.finish().map_err(err)?,
        };
        w.flush().map_err(err)?;
        Ok(w)
    }

    /// Frames `body` as a block of `block_type`.
    fn emit(&mut self, block_type: u32, body: &[u8]) -> Result<(), ScapError> {
        let padded_len = padded(body.len());
        let total = u32::try_from(padded_len + FRAMING as usize).map_err(|_| ScapError::Write {
            path: self.path.clone(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("block of type {block_type:#x} would exceed 4 GiB"),
            ),
        })?;
        let pad = [0u8; 3];
        let w: &mut dyn Write = match &mut self.sink {
            Sink::Plain(w) => w,
            Sink::Gzip(g) => g,
        };
        let res = w
            .write_all(&block_type.to_le_bytes())
            .and_then(|_| w.write_all(&total.to_le_bytes()))
            .and_then(|_| w.write_all(body))
            .and_then(|_| w.write_all(&pad[..padded_len - body.len()]))
            .and_then(|_| w.write_all(&total.to_le_bytes()));
        res.map_err(|source| ScapError::Write {
            path: self.path.clone(),
            source,
        })
    }
}

fn padded(n: usize) -> usize {
    n.div_ceil(4) * 4
}
