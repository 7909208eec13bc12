//! The modern eBPF source of Peregrine.
//!
//! The CO-RE probe in `kmod/bpf` (C, built by build.rs with clang-19 against
//! the checked-in `vmlinux.h`) is embedded in this crate and loaded with aya.
//! It writes scap events (the wire format of `kmod/include/peregrine`) into
//! one BPF ring buffer per CPU; [`Capture`] reads them with its own mmap
//! consumer and merges them by timestamp into zero-copy
//! [`peregrine_event::EventRef`] views.
//!
//! # Minimum kernel version
//! 5.8 (BPF ring buffer) with BTF at `/sys/kernel/btf/vmlinux`; CAP_BPF and
//! CAP_PERFMON (or CAP_SYS_ADMIN). [`support::check`] explains what is missing.

mod error;
mod extend;
mod fillers;
mod probe;
mod ring;
mod source;
mod stats;
pub mod support;
mod sys;

pub use error::BpfError;
pub use fillers::FILLERS;
pub use probe::{AttachMode, Config, Probe, NR_SYSCALLS};
pub use source::{Capture, RingEvent};
pub use stats::{Counters, Stats};
pub use support::{Problem, SupportReport};
pub use sys::stop_on_signals;
#[cfg(test)]
mod flags_check;
