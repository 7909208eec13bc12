//! Which capture engine `peregrine run` uses, and one interface over both.
//!
//! `auto`: the loader's decision file when it names a driver (written by
//! `peregrine-loader auto`, default /var/run/peregrine/driver.json, or
//! $PEREGRINE_DRIVER_DECISION), else the kernel module when its devices
//! exist, else the modern eBPF probe.

use anyhow::{Context, Result};
use peregrine_config::EngineKind;
use peregrine_event::EventRef;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The engine chosen and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub kmod: bool,
    pub reason: String,
}

pub fn decision_path() -> PathBuf {
    std::env::var_os("PEREGRINE_DRIVER_DECISION").map_or_else(
        || PathBuf::from("/var/run/peregrine/driver.json"),
        PathBuf::from,
    )
}

/// `"driver": "kmod"` / `"modern-ebpf"` from the loader's decision file.
fn decided_driver(text: &str) -> Option<&'static str> {
    let at = text.find("\"driver\"")?;
    let rest = text[at + 8..].trim_start().strip_prefix(':')?.trim_start();
    if rest.starts_with("\"kmod\"") {
        Some("kmod")
    } else if rest.starts_with("\"modern-ebpf\"") {
        Some("modern-ebpf")
    } else {
        None
    }
}

/// Picks the engine for `kind`, looking at `decision` and `dev_dir`.
pub fn choose(kind: EngineKind, decision: &Path, dev_dir: &Path) -> Choice {
    let have_kmod = dev_dir.join("peregrine0").exists();
    match kind {
        EngineKind::Kmod => Choice {
            kmod: true,
            reason: "engine.kind is kmod".into(),
        },
        EngineKind::ModernEbpf => Choice {
            kmod: false,
            reason: "engine.kind is modern_ebpf".into(),
        },
        EngineKind::Auto => match std::fs::read_to_string(decision)
            .ok()
            .as_deref()
            .and_then(decided_driver)
        {
            Some("kmod") if have_kmod => Choice {
                kmod: true,
                reason: format!(
                    "the loader chose the kernel module ({})",
                    decision.display()
                ),
            },
            Some("kmod") => Choice {
                kmod: false,
                reason: format!(
                    "the loader chose the kernel module ({}) but {} is missing: using modern eBPF",
                    decision.display(),
                    dev_dir.join("peregrine0").display()
                ),
            },
            Some(_) => Choice {
                kmod: false,
                reason: format!("the loader chose modern eBPF ({})", decision.display()),
            },
            None if have_kmod => Choice {
                kmod: true,
                reason: "peregrine.ko is loaded".into(),
            },
            None => Choice {
                kmod: false,
                reason: "no loader decision and no kernel module: modern eBPF".into(),
            },
        },
    }
}

/// A capture source: the modern eBPF probe or the kernel module's rings.
pub enum Source {
    Bpf(Box<peregrine_bpf::Capture>),
    Kmod(peregrine_kmod_source::KmodSource),
    File(Box<peregrine_scap::CaptureReader>),
}

impl Source {
    /// Replays a capture file (`run -e`): its events after the savefile
    /// converter, then the end.
    pub fn file(reader: peregrine_scap::CaptureReader) -> Source {
        Source::File(Box::new(reader))
    }

    pub fn is_file(&self) -> bool {
        matches!(self, Source::File(_))
    }

    /// Opens the chosen engine for `syscalls` (native numbers).
    pub fn open(choice: &Choice, syscalls: Vec<u32>, ring_bytes: usize) -> Result<Source> {
        if choice.kmod {
            let cfg = peregrine_kmod_source::Config {
                syscalls: Some(syscalls.iter().map(|&n| n as u16).collect()),
                ..Default::default()
            };
            let src = peregrine_kmod_source::KmodSource::open(&cfg)
                .context("cannot start the kernel-module capture")?;
            return Ok(Source::Kmod(src));
        }
        let cfg = peregrine_bpf::Config {
            syscalls,
            ring_bytes,
            ..Default::default()
        };
        let cap =
            peregrine_bpf::Capture::open(&cfg).context("cannot start the modern eBPF capture")?;
        for w in cap.probe().warnings() {
            eprintln!("peregrine: warning: {w}");
        }
        Ok(Source::Bpf(Box::new(cap)))
    }

    /// The next event in timestamp order, waiting at most `timeout`.
    pub fn next(&mut self, timeout: Duration) -> Result<Option<(u16, EventRef<'_>)>> {
        match self {
            Source::Bpf(c) => Ok(c.next_event(timeout)?.map(|r| (r.cpu, r.event))),
            Source::Kmod(k) => {
                if k.pending() == 0 {
                    k.wait(timeout)?;
                }
                Ok(k.next_event().map(|(cpu, ev)| (cpu as u16, ev)))
            }
            // None at the end of the file.
            Source::File(r) => Ok(r.next_event()?.map(|ce| (ce.cpu, ce.event))),
        }
    }

    /// Captures these syscalls too, for rules reloaded while running;
    /// returns those newly captured.
    pub fn add_syscalls(&mut self, syscalls: &[u32]) -> Result<Vec<u32>> {
        match self {
            Source::Bpf(c) => Ok(c.add_syscalls(syscalls)?),
            Source::Kmod(k) => Ok(k.add_syscalls(syscalls)?),
            Source::File(_) => Ok(Vec::new()),
        }
    }

    /// Drops so far, per CPU and reason: (cpu, reason, count).
    pub fn drops(&self) -> Vec<(usize, &'static str, u64)> {
        match self {
            Source::Bpf(c) => c
                .stats()
                .map(|st| {
                    st.per_cpu
                        .iter()
                        .enumerate()
                        .flat_map(|(cpu, c)| {
                            [
                                (cpu, "ring_full", c.drop_full),
                                (cpu, "too_large", c.drop_too_large),
                            ]
                        })
                        .collect()
                })
                .unwrap_or_default(),
            Source::Kmod(k) => k
                .ring_stats()
                .iter()
                .flat_map(|r| {
                    r.drops
                        .iter()
                        .enumerate()
                        .map(move |(i, d)| (r.cpu as usize, kmod_reason(i), *d))
                })
                .collect(),
            Source::File(_) => Vec::new(),
        }
    }
}

fn kmod_reason(i: usize) -> &'static str {
    // Indexed by raw::PRG_DROP_* (kmod/include/peregrine/ring.h).
    const NAMES: [&str; 5] = ["ring_full", "too_large", "nested", "bad_tail", "no_ring"];
    NAMES.get(i).copied().unwrap_or("other")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("prg-engine-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn auto_follows_the_loader_then_the_devices_then_ebpf() {
        let d = tmp("auto");
        let (decision, dev) = (d.join("driver.json"), d.join("dev"));
        std::fs::create_dir_all(&dev).unwrap();
        assert!(
            !choose(EngineKind::Auto, &decision, &dev).kmod,
            "nothing: eBPF"
        );
        std::fs::write(dev.join("peregrine0"), "").unwrap();
        assert!(
            choose(EngineKind::Auto, &decision, &dev).kmod,
            "devices: kmod"
        );
        std::fs::write(
            &decision,
            r#"{"driver": "modern-ebpf", "reason": "kernel without module support"}"#,
        )
        .unwrap();
        let c = choose(EngineKind::Auto, &decision, &dev);
        assert!(
            !c.kmod && c.reason.contains("loader chose modern eBPF"),
            "{c:?}"
        );
        std::fs::write(&decision, r#"{"driver":"kmod","module":{}}"#).unwrap();
        assert!(choose(EngineKind::Auto, &decision, &dev).kmod);
        std::fs::remove_file(dev.join("peregrine0")).unwrap();
        let c = choose(EngineKind::Auto, &decision, &dev);
        assert!(!c.kmod && c.reason.contains("missing"), "{c:?}");
        assert!(choose(EngineKind::Kmod, &decision, &dev).kmod);
        assert!(!choose(EngineKind::ModernEbpf, &decision, &dev).kmod);
    }
}
