//! Errors of the capture-file reader, writer and converter.
//!
//! Every variant that comes from file bytes names the byte offset of the block
//! in the (decompressed) stream and its block type, so a user can look at the
//! bytes with `xxd -s OFFSET`. Offsets inside a block are given relative to
//! the block start ("+N").

use std::path::PathBuf;

use peregrine_event::{BuildError, DecodeError};

/// Why a capture file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ScapError {
    #[error("cannot open {}: {source}", path.display())]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: read error at offset {offset}: {source} (a damaged gzip stream or a failing disk; the capture cannot be read past this point)", path_or_stream(path))]
    Read {
        path: Option<PathBuf>,
        offset: u64,
        source: std::io::Error,
    },
    #[error("{}: write error: {source}", path_or_stream(path))]
    Write {
        path: Option<PathBuf>,
        source: std::io::Error,
    },
    #[error("file truncated at offset {offset}{}: need {need} more bytes, got {have} (the capture was cut short; copy it again or cut it at the last complete block)", in_block(*block_type))]
    Truncated {
        offset: u64,
        block_type: Option<u32>,
        need: u64,
        have: u64,
    },
    #[error("not a scap capture: the first block (offset 0) has type {found:#x}, expected the section header 0x0a0d0d0a")]
    NotACapture { found: u32 },
    #[error("section header at offset {offset}: byte-order magic {magic:#010x} != 0x1a2b3c4d (big-endian or corrupt capture; only little-endian captures are supported)")]
    ByteOrder { offset: u64, magic: u32 },
    #[error("section header at offset {offset}: file format version {major}.{minor} is not supported (major must be 1; the file was written by newer software)")]
    Version { offset: u64, major: u16, minor: u16 },
    #[error("block at offset {offset} (type {block_type:#x}): total length {len} is shorter than the {min}-byte minimum (corrupt framing)")]
    BlockTooShort {
        offset: u64,
        block_type: u32,
        len: u32,
        min: u32,
    },
    #[error("block at offset {offset} (type {block_type:#x}): total length {len} is not a multiple of 4 (corrupt framing)")]
    BlockMisaligned {
        offset: u64,
        block_type: u32,
        len: u32,
    },
    #[error("block at offset {offset} (type {block_type:#x}): total length {len} exceeds the {max}-byte limit for this block type (corrupt framing, or an event block written by a broken producer)")]
    BlockTooLarge {
        offset: u64,
        block_type: u32,
        len: u32,
        max: u64,
    },
    #[error("block at offset {offset} (type {block_type:#x}): trailer length {trailer} != header length {header} (corrupt framing)")]
    Trailer {
        offset: u64,
        block_type: u32,
        header: u32,
        trailer: u32,
    },
    #[error("block at offset {offset} (type {block_type:#x}): only event blocks may follow the first event block (a concatenated or corrupt capture)")]
    UnexpectedBlock { offset: u64, block_type: u32 },
    #[error("block at offset {offset} (type {block_type:#x}): V1 event block (no parameter count in its header): the in-memory path does not widen those; read this file with CaptureReader")]
    V1InSlice { offset: u64, block_type: u32 },
    #[error("block at offset {offset} (type {block_type:#x}): {what}")]
    Metadata {
        offset: u64,
        block_type: u32,
        what: String,
    },
    #[error("block at offset {offset} (type {block_type:#x}): invalid event: {source}")]
    Event {
        offset: u64,
        block_type: u32,
        source: DecodeError,
    },
    #[error("block at offset {offset} (type {block_type:#x}): event of type {code} has no parameter count that matches its length {len} (corrupt V1 event)")]
    V1Params {
        offset: u64,
        block_type: u32,
        code: u16,
        len: u32,
    },
    #[error("block at offset {offset}, event #{num}: conversion failed: {source}")]
    Convert {
        offset: u64,
        num: u64,
        source: ConvertError,
    },
    #[error("cannot write event (ts {ts}, type {code}): {what}")]
    Unwritable { ts: u64, code: u16, what: String },
}

/// Why the savefile converter refused an event (event-table.md §3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    #[error("event type {code} is an old exit version the converter does not manage")]
    UnmanagedOldExit { code: u16 },
    #[error("event type {code} has {nparams} parameters, more than the {max} expected")]
    TooManyParams { code: u16, nparams: u32, max: usize },
    #[error(
        "event type {code} with {nparams} parameters needs a conversion the table does not have"
    )]
    NoConversion { code: u16, nparams: u32 },
    #[error("event type {code} took {steps} conversion steps (limit {steps})")]
    TooManySteps { code: u16, steps: usize },
    #[error("event of {len} bytes exceeds the {max}-byte limit")]
    TooLarge { len: usize, max: usize },
    #[error("instruction reads parameter {index} of event type {code}, which has only {nparams}")]
    MissingParam { code: u16, index: u8, nparams: u32 },
    #[error("target type {code} has no parameter #{index} in the event table")]
    NoTargetParam { code: u16, index: usize },
    #[error("container JSON of {len} bytes exceeds the {max}-byte limit of type {code}")]
    CallbackTooLarge { code: u16, len: usize, max: u64 },
    #[error("converted event could not be built: {0}")]
    Build(#[from] BuildError),
    #[error("converted event is invalid: {0}")]
    Decode(#[from] DecodeError),
}

fn path_or_stream(p: &Option<PathBuf>) -> String {
    match p {
        Some(p) => p.display().to_string(),
        None => "<stream>".to_string(),
    }
}

fn in_block(t: Option<u32>) -> String {
    match t {
        Some(t) => format!(" inside a block of type {t:#x}"),
        None => String::new(),
    }
}
