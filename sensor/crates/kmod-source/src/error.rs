//! Errors of the kernel-module source.

use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum KmodError {
    #[error("cannot open {path}: {source} (is peregrine.ko loaded? try `modprobe peregrine`; the devices are root-only)")]
    Open { path: PathBuf, source: io::Error },
    #[error("{path} is in use by another consumer (only one process may read the rings)")]
    Busy { path: PathBuf },
    #[error(
        "no /dev/peregrine<N> device found (possible CPUs: {cpus:?}); is peregrine.ko loaded?"
    )]
    NoDevices { cpus: Vec<u32> },
    #[error(
        "{path}: driver API {found} is incompatible with {wanted} (rebuild/reload peregrine.ko)"
    )]
    Api {
        path: PathBuf,
        found: String,
        wanted: String,
    },
    #[error("{what} on {path}: {source}")]
    Sys {
        what: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error(
        "ring of CPU {cpu} reports size {size}, which is not a power of two of at least a page"
    )]
    BadRingSize { cpu: u32, size: u64 },
    #[error("reading {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
}
