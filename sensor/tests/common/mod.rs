//! What the live tests share.

use std::path::Path;

/// Live capture with the modern eBPF probe needs root and kernel BTF; the
/// live tests skip (saying why) without them.
pub fn can_capture() -> bool {
    let root = std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false);
    root && Path::new("/sys/kernel/btf/vmlinux").exists()
}
