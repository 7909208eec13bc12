//! What the host is: kernel, distribution, module support, lockdown, secure boot, BTF,
//! capabilities and an already-loaded peregrine module. Every path is read under an optional
//! host root (an init container mounts the host's `/proc`, `/sys`, `/etc`, `/lib/modules`,
//! `/usr/src` and `/boot` there). Nothing here runs a program or builds a shell string.

use serde::Serialize;
use std::path::{Path, PathBuf};

const CAP_SYS_MODULE: u32 = 16;
const CAP_SYS_ADMIN: u32 = 21;
const CAP_BPF: u32 = 39;

/// The facts `auto` decides on.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct HostFacts {
    pub host_root: PathBuf,
    /// `uname -m`.
    pub arch: String,
    /// `uname -r`.
    pub kernel_release: String,
    /// `uname -v`.
    pub kernel_version: String,
    /// Debian's package version of the running kernel, from `uname -v` (`6.1.38-2`).
    pub debian_version: Option<String>,
    /// os-release `ID` and `VERSION_ID`.
    pub os_id: Option<String>,
    pub os_version_id: Option<String>,
    /// The kernel can load modules (`/proc/modules` exists only with CONFIG_MODULES).
    pub module_support: bool,
    /// Active lockdown mode (`none`, `integrity`, `confidentiality`), when the LSM is present.
    pub lockdown: Option<String>,
    /// `module.sig_enforce` is on: the kernel refuses unsigned modules.
    pub sig_enforce: bool,
    /// Secure Boot state from the EFI variable, when visible.
    pub secure_boot: Option<bool>,
    /// `/sys/kernel/btf/vmlinux` exists.
    pub btf: bool,
    /// Effective capability mask of this process.
    pub cap_eff: Option<u64>,
    /// The loaded peregrine module's version (its `MODULE_VERSION` is the API version).
    pub loaded_module: Option<String>,
    /// The loaded module's `srcversion` (modpost's source digest), telling two builds of one
    /// version apart.
    pub loaded_srcversion: Option<String>,
}

impl HostFacts {
    pub fn has_cap(&self, cap: u32) -> bool {
        self.cap_eff.is_some_and(|m| m & (1u64 << cap) != 0)
    }
    pub fn can_load_modules(&self) -> bool {
        self.has_cap(CAP_SYS_MODULE)
    }
    /// Why only signed modules can be inserted, if so (lockdown or `sig_enforce`).
    pub fn signed_modules_only(&self) -> Option<String> {
        match self.lockdown.as_deref() {
            Some(mode @ ("integrity" | "confidentiality")) => Some(format!(
                "kernel lockdown is {mode}, so only signed modules load"
            )),
            _ if self.sig_enforce => {
                Some("module.sig_enforce is on, so only signed modules load".into())
            }
            _ => None,
        }
    }
    pub fn can_bpf(&self) -> bool {
        self.has_cap(CAP_BPF) || self.has_cap(CAP_SYS_ADMIN)
    }
}

/// Overrides for building a module for another kernel than the running one.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub kernel_release: Option<String>,
    pub kernel_version: Option<String>,
}

fn under(root: &Path, abs: &str) -> PathBuf {
    root.join(abs.trim_start_matches('/'))
}

fn read_trim(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
}

fn uname() -> Option<(String, String, String)> {
    // SAFETY: utsname is plain data; uname fills it or fails.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut u) } != 0 {
        return None;
    }
    let field = |f: &[libc::c_char]| {
        let bytes: Vec<u8> = f
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Some((field(&u.machine), field(&u.release), field(&u.version)))
}

/// Reads every fact. The kernel strings come from `<root>/proc/sys/kernel/*` (the host's,
/// also right in a container) and fall back to `uname(2)`.
pub fn detect(root: &Path, ov: &Overrides) -> HostFacts {
    let (u_arch, u_release, u_version) = uname().unwrap_or_default();
    let kernel_release = ov
        .kernel_release
        .clone()
        .or_else(|| read_trim(&under(root, "/proc/sys/kernel/osrelease")))
        .unwrap_or(u_release);
    let kernel_version = ov
        .kernel_version
        .clone()
        .or_else(|| read_trim(&under(root, "/proc/sys/kernel/version")))
        .unwrap_or(u_version);
    let arch = read_trim(&under(root, "/proc/sys/kernel/arch"))
        .filter(|s| !s.is_empty())
        .unwrap_or(u_arch);
    let os = std::fs::read_to_string(under(root, "/etc/os-release"))
        .or_else(|_| std::fs::read_to_string(under(root, "/usr/lib/os-release")))
        .unwrap_or_default();
    HostFacts {
        host_root: root.to_path_buf(),
        debian_version: debian_version(&kernel_version),
        arch,
        kernel_release,
        kernel_version,
        os_id: os_release_value(&os, "ID").map(|s| s.to_ascii_lowercase()),
        os_version_id: os_release_value(&os, "VERSION_ID"),
        module_support: under(root, "/proc/modules").exists(),
        lockdown: read_trim(&under(root, "/sys/kernel/security/lockdown"))
            .and_then(|s| lockdown_mode(&s)),
        sig_enforce: read_trim(&under(root, "/sys/module/module/parameters/sig_enforce"))
            .is_some_and(|v| v == "Y" || v == "1"),
        secure_boot: secure_boot(root),
        btf: under(root, "/sys/kernel/btf/vmlinux").exists(),
        cap_eff: cap_eff(&std::fs::read_to_string("/proc/self/status").unwrap_or_default()),
        loaded_module: read_trim(&under(root, "/sys/module/peregrine/version")).or_else(|| {
            under(root, "/sys/module/peregrine")
                .exists()
                .then(String::new)
        }),
        loaded_srcversion: read_trim(&under(root, "/sys/module/peregrine/srcversion"))
            .filter(|s| !s.is_empty()),
    }
}

/// `#1 SMP PREEMPT_DYNAMIC Debian 6.1.38-2 (2023-07-27)` → `6.1.38-2`.
pub fn debian_version(uname_v: &str) -> Option<String> {
    let mut words = uname_v.split_whitespace();
    words.find(|w| *w == "Debian")?;
    let v = words.next()?;
    v.starts_with(|c: char| c.is_ascii_digit())
        .then(|| v.to_string())
}

/// A `KEY=value` line of os-release, quotes removed.
pub fn os_release_value(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let (k, v) = l.trim().split_once('=')?;
        (k == key).then(|| v.trim().trim_matches(['"', '\'']).to_string())
    })
}

/// `none [integrity] confidentiality` → `integrity`.
pub fn lockdown_mode(text: &str) -> Option<String> {
    let start = text.find('[')?;
    let end = text[start..].find(']')? + start;
    Some(text[start + 1..end].to_string())
}

fn secure_boot(root: &Path) -> Option<bool> {
    let dir = under(root, "/sys/firmware/efi/efivars");
    let entry = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with("SecureBoot-"))?;
    // 4 bytes of attributes, then the one-byte value.
    let bytes = std::fs::read(entry.path()).ok()?;
    bytes.get(4).map(|&b| b == 1)
}

pub fn cap_eff(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("CapEff:"))?;
    u64::from_str_radix(line.trim_start_matches("CapEff:").trim(), 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kernel_and_distro_strings() {
        assert_eq!(
            debian_version("#1 SMP PREEMPT_DYNAMIC Debian 6.1.38-2 (2023-07-27)").as_deref(),
            Some("6.1.38-2")
        );
        assert_eq!(debian_version("#1 SMP PREEMPT_DYNAMIC @0"), None);
        assert_eq!(
            os_release_value("NAME=x\nID=\"debian\"\n", "ID").as_deref(),
            Some("debian")
        );
        assert_eq!(
            lockdown_mode("none [integrity] confidentiality").as_deref(),
            Some("integrity")
        );
        assert_eq!(lockdown_mode("garbage"), None);
        assert_eq!(cap_eff("CapEff:\t000001fffeffffff\n"), Some(0x1fffeffffff));
    }

    #[test]
    fn reads_a_fake_host_root() {
        let root = tempfile::tempdir().expect("tempdir");
        let w = |p: &str, s: &[u8]| {
            let path = under(root.path(), p);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, s).expect("write");
        };
        w("/proc/sys/kernel/osrelease", b"6.1.0-10-amd64\n");
        w(
            "/proc/sys/kernel/version",
            b"#1 SMP PREEMPT_DYNAMIC Debian 6.1.38-2 (2023-07-27)\n",
        );
        w("/proc/modules", b"");
        w("/etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\n");
        w(
            "/sys/kernel/security/lockdown",
            b"[none] integrity confidentiality\n",
        );
        w(
            "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-e0cb4e9c9d70",
            &[6, 0, 0, 0, 1],
        );
        w("/sys/module/peregrine/version", b"1.0.0\n");
        let f = detect(root.path(), &Overrides::default());
        assert_eq!(f.kernel_release, "6.1.0-10-amd64");
        assert_eq!(f.debian_version.as_deref(), Some("6.1.38-2"));
        assert_eq!(f.os_id.as_deref(), Some("debian"));
        assert_eq!(f.os_version_id.as_deref(), Some("12"));
        assert!(f.module_support);
        assert_eq!(f.lockdown.as_deref(), Some("none"));
        assert_eq!(f.secure_boot, Some(true));
        assert!(!f.btf);
        assert_eq!(f.loaded_module.as_deref(), Some("1.0.0"));
    }
}
