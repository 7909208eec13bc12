//! Errors of the eBPF source, each carrying what a user needs to act.

use crate::support::SupportReport;
use std::io;

/// Why the probe could not be loaded, attached or read.
#[derive(Debug, thiserror::Error)]
pub enum BpfError {
    /// The host cannot run the probe; the report says why and what to do.
    #[error("the modern eBPF probe cannot run on this host:\n{0}")]
    Unsupported(SupportReport),
    /// The embedded object could not be parsed or its maps created.
    #[error("loading the probe object into the kernel failed: {0}")]
    Object(#[source] Box<aya::EbpfError>),
    /// The verifier rejected a program; `log` is its verifier log.
    #[error("the kernel verifier rejected program `{program}` ({source}); verifier log:\n{log}")]
    Verifier {
        program: String,
        #[source]
        source: io::Error,
        log: String,
    },
    /// Any other failure to load a program.
    #[error("loading program `{program}` failed: {source}")]
    Program {
        program: String,
        #[source]
        source: Box<aya::programs::ProgramError>,
    },
    /// Attaching a loaded program failed.
    #[error("attaching `{program}` to {target} failed: {source}")]
    Attach {
        program: String,
        target: String,
        #[source]
        source: Box<aya::programs::ProgramError>,
    },
    /// A map operation failed.
    #[error("map `{name}`: {source}")]
    Map {
        name: &'static str,
        #[source]
        source: Box<aya::maps::MapError>,
    },
    /// The embedded object lacks a program or map this loader expects (a build mismatch).
    #[error("the embedded probe has no {0}; rebuild peregrine-bpf")]
    Missing(String),
    /// A system call failed.
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: io::Error,
    },
    /// Bad configuration.
    #[error("invalid configuration: {0}")]
    Config(String),
}

impl BpfError {
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(io::Error) -> Self {
        let what = what.into();
        move |source| Self::Io { what, source }
    }

    pub(crate) fn map(name: &'static str) -> impl FnOnce(aya::maps::MapError) -> Self {
        move |e| Self::Map {
            name,
            source: Box::new(e),
        }
    }

    /// Turns an aya program error into a Verifier error when it carries a log.
    pub(crate) fn program(program: &str, e: aya::programs::ProgramError) -> Self {
        match e {
            aya::programs::ProgramError::LoadError {
                io_error,
                verifier_log,
            } => Self::Verifier {
                program: program.to_string(),
                source: io_error,
                log: verifier_log.to_string(),
            },
            e => Self::Program {
                program: program.to_string(),
                source: Box::new(e),
            },
        }
    }
}
