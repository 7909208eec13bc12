//! The support probe: checks, before loading anything, that this host can
//! run the modern probe, and explains precisely what is missing.

use std::fmt;
use std::path::Path;

const CAP_SYS_ADMIN: u32 = 21;
const CAP_PERFMON: u32 = 38;
const CAP_BPF: u32 = 39;

/// One reason the probe cannot run, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub what: String,
    pub fix: String,
}

/// Result of [`check`]: empty `problems` means the host looks able to run the probe.
#[derive(Debug, Clone, Default)]
pub struct SupportReport {
    pub kernel: String,
    pub problems: Vec<Problem>,
}

impl SupportReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

impl fmt::Display for SupportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.problems.is_empty() {
            return write!(f, "kernel {}: the modern eBPF probe can run", self.kernel);
        }
        for p in &self.problems {
            writeln!(f, "  - kernel {}: {}; {}", self.kernel, p.what, p.fix)?;
        }
        Ok(())
    }
}

fn kernel_release() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "?".into())
}

/// (major, minor) of a release string like "6.1.0-56-cloud-amd64".
fn version(release: &str) -> Option<(u32, u32)> {
    let mut it = release.split(|c: char| !c.is_ascii_digit());
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}

/// Effective capability mask of this process.
fn cap_eff() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("CapEff:"))?;
    u64::from_str_radix(line.trim_start_matches("CapEff:").trim(), 16).ok()
}

/// Checks kernel version, BTF, lockdown and capabilities.
pub fn check() -> SupportReport {
    let kernel = kernel_release();
    let mut problems = Vec::new();
    if let Some((maj, min)) = version(&kernel) {
        if (maj, min) < (5, 8) {
            problems.push(Problem {
                what: format!("kernel {maj}.{min} has no BPF ring buffer (needs 5.8 or newer)"),
                fix: "use the kernel module driver, or boot a 5.8+ kernel".into(),
            });
        }
    }
    if !Path::new("/sys/kernel/btf/vmlinux").exists() {
        problems.push(Problem {
            what: "/sys/kernel/btf/vmlinux is missing (kernel built without CONFIG_DEBUG_INFO_BTF)".into(),
            fix: "the probe needs the running kernel's own BTF; use the kernel module driver or a kernel with BTF"
                .into(),
        });
    }
    if let Ok(l) = std::fs::read_to_string("/sys/kernel/security/lockdown") {
        if l.contains("[confidentiality]") {
            problems.push(Problem {
                what: "kernel lockdown is in confidentiality mode, which forbids reading kernel memory from BPF"
                    .into(),
                fix: "boot with lockdown=integrity or none (or without Secure Boot enforcement)".into(),
            });
        }
    }
    match cap_eff() {
        Some(caps) => {
            let has = |c: u32| caps & (1u64 << c) != 0;
            let admin = has(CAP_SYS_ADMIN);
            if !(admin || has(CAP_BPF)) {
                problems.push(Problem {
                    what: "this process lacks CAP_BPF (and CAP_SYS_ADMIN), so it cannot create BPF maps".into(),
                    fix: "run as root or grant CAP_BPF and CAP_PERFMON (e.g. setcap cap_bpf,cap_perfmon+ep)".into(),
                });
            }
            if !(admin || has(CAP_PERFMON)) {
                problems.push(Problem {
                    what: "this process lacks CAP_PERFMON, which tracing programs need".into(),
                    fix: "run as root or grant CAP_PERFMON in addition to CAP_BPF".into(),
                });
            }
        }
        None => problems.push(Problem {
            what: "cannot read this process's capabilities from /proc/self/status".into(),
            fix: "mount /proc".into(),
        }),
    }
    SupportReport { kernel, problems }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_release_versions() {
        assert_eq!(version("6.1.0-56-cloud-amd64"), Some((6, 1)));
        assert_eq!(version("6.18.44-fc-v782"), Some((6, 18)));
        assert_eq!(version("x"), None);
    }

    #[test]
    fn report_names_kernel_and_fix() {
        let r = SupportReport {
            kernel: "5.4.0".into(),
            problems: vec![Problem {
                what: "no ringbuf".into(),
                fix: "use kmod".into(),
            }],
        };
        assert_eq!(r.to_string(), "  - kernel 5.4.0: no ringbuf; use kmod\n");
    }
}
