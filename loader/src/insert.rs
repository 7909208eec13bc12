//! Putting a module into the kernel. A trait, so tests (and `--dry-run`) can stand in for the
//! kernel: this host has no module support, and a test must never insert anything.

use std::path::{Path, PathBuf};

pub trait Inserter {
    /// Inserts the module file at `path`.
    fn insert(&mut self, path: &Path) -> Result<(), String>;
    /// Removes the loaded module `name`.
    fn remove(&mut self, name: &str) -> Result<(), String>;
    /// How a successful insert is reported.
    fn done(&self) -> &'static str {
        "inserted"
    }
}

/// The real kernel: `finit_module(2)` and `delete_module(2)`.
pub struct Kernel;

impl Inserter for Kernel {
    fn insert(&mut self, path: &Path) -> Result<(), String> {
        use std::os::fd::AsRawFd;
        let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let params = c"";
        // SAFETY: a valid open fd and a NUL-terminated empty parameter string.
        let rc =
            unsafe { libc::syscall(libc::SYS_finit_module, file.as_raw_fd(), params.as_ptr(), 0) };
        if rc != 0 {
            let e = std::io::Error::last_os_error();
            let hint = match e.raw_os_error() {
                Some(libc::EKEYREJECTED) | Some(libc::EPERM) => {
                    "; Secure Boot/lockdown refuses unsigned modules: sign it with an enrolled MOK key or use the modern eBPF probe"
                }
                Some(libc::ENOEXEC) => "; the kernel refused the module format (vermagic or symbol versions)",
                Some(libc::EEXIST) => "; a module with this name is already loaded",
                _ => "",
            };
            return Err(format!("finit_module {}: {e}{hint}", path.display()));
        }
        Ok(())
    }

    fn remove(&mut self, name: &str) -> Result<(), String> {
        let cname = std::ffi::CString::new(name).map_err(|e| e.to_string())?;
        // SAFETY: a NUL-terminated module name; O_NONBLOCK so a busy module fails at once.
        let rc =
            unsafe { libc::syscall(libc::SYS_delete_module, cname.as_ptr(), libc::O_NONBLOCK) };
        if rc != 0 {
            let e = std::io::Error::last_os_error();
            // With O_NONBLOCK a held reference gives EWOULDBLOCK instead of a wait.
            let hint = match e.raw_os_error() {
                Some(libc::EWOULDBLOCK) => ": it is in use (a sensor has its devices open)",
                _ => "",
            };
            return Err(format!("delete_module {name}: {e}{hint}"));
        }
        Ok(())
    }
}

/// Records what would be done; inserts nothing.
#[derive(Debug, Default)]
pub struct DryRun {
    pub inserted: Vec<PathBuf>,
    pub removed: Vec<String>,
    /// When set, every insert fails with this message (to test the fallback paths).
    pub fail_insert: Option<String>,
}

impl Inserter for DryRun {
    fn insert(&mut self, path: &Path) -> Result<(), String> {
        if let Some(msg) = &self.fail_insert {
            return Err(msg.clone());
        }
        self.inserted.push(path.to_path_buf());
        Ok(())
    }
    fn remove(&mut self, name: &str) -> Result<(), String> {
        self.removed.push(name.to_string());
        Ok(())
    }
    fn done(&self) -> &'static str {
        "would be inserted (dry run)"
    }
}
