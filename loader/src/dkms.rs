//! Building the module with DKMS when the host has it and the module sources are installed as
//! a DKMS tree (`<host>/usr/src/peregrine-<version>/dkms.conf`, see `dkms/`). DKMS installs the
//! module for the kernel (it comes back at boot, is rebuilt for new kernels, and is signed with
//! the host's MOK key when one is set up), which a private kbuild cannot. Every `dkms` call is
//! an argument vector, never a shell string; the trees are named explicitly so a loader in a
//! container works on the host's trees below `--host-root`.

use crate::build::{run_logged, under};
use crate::detect::HostFacts;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The `dkms` program: first on `path_env` (the loader's own environment), then the host's
/// (`<root>/usr/sbin/dkms`, `<root>/usr/bin/dkms`).
pub fn find(root: &Path, path_env: Option<&OsStr>) -> Option<PathBuf> {
    let on_path = path_env
        .into_iter()
        .flat_map(std::env::split_paths)
        .map(|d| d.join("dkms"));
    let on_host = ["/usr/sbin/dkms", "/usr/bin/dkms", "/sbin/dkms"]
        .into_iter()
        .map(|p| under(root, Path::new(p)));
    on_path.chain(on_host).find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The DKMS package version of a source directory named `peregrine-<version>` that holds a
/// `dkms.conf`.
pub fn package_version(source: &Path) -> Option<String> {
    let name = source.file_name()?.to_str()?;
    let version = name.strip_prefix("peregrine-")?;
    (!version.is_empty() && source.join("dkms.conf").is_file()).then(|| version.to_string())
}

/// `dkms add` (when the tree lacks this version), `build` and `install` for the running
/// kernel; returns the module DKMS built. `install` failing (a read-only `/lib/modules`) is
/// noted, and the built module still used.
pub fn build(
    f: &HostFacts,
    dkms: &Path,
    source: &Path,
    headers: &Path,
    work: &Path,
    timeout: Duration,
    log: &mut Vec<String>,
) -> Result<PathBuf, String> {
    let version = package_version(source)
        .ok_or_else(|| format!("{} is not a DKMS source tree", source.display()))?;
    let source_tree = source.parent().unwrap_or(Path::new("/"));
    let dkms_tree = under(&f.host_root, Path::new("/var/lib/dkms"));
    let install_tree = under(&f.host_root, Path::new("/lib/modules"));
    // dkms refuses to add to a tree that does not exist: the package creates it, a host root
    // mounted without /var/lib/dkms lacks it.
    for dir in [work, dkms_tree.as_path()] {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let call = |action: &str| {
        let mut c = Command::new(dkms);
        c.arg(action)
            .args(["-m", "peregrine", "-v", &version])
            .arg("--sourcetree")
            .arg(source_tree)
            .arg("--dkmstree")
            .arg(&dkms_tree)
            .arg("--installtree")
            .arg(&install_tree);
        if action != "add" {
            c.args(["-k", &f.kernel_release])
                .arg("--kernelsourcedir")
                .arg(headers);
        }
        c
    };
    let run = |action: &str| {
        let logfile = work.join(format!("dkms-{action}.log"));
        run_logged(call(action), &logfile, timeout, &format!("dkms {action}"))
    };
    if !dkms_tree.join("peregrine").join(&version).exists() {
        run("add")?;
    }
    // A failed build can still leave an older module of this version in the tree: only
    // a build that succeeded counts.
    run("build")?;
    log.push(format!(
        "dkms built peregrine/{version} for {} with {}",
        f.kernel_release,
        dkms.display()
    ));
    if let Err(e) = run("install") {
        log.push(format!(
            "{e}; the module is used from the DKMS tree but will not load at boot"
        ));
    }
    let dir = dkms_tree
        .join("peregrine")
        .join(&version)
        .join(&f.kernel_release)
        .join(&f.arch)
        .join("module");
    // DKMS compresses the module as the kernel's own are (Debian's 6.12: xz).
    for name in [
        "peregrine.ko",
        "peregrine.ko.xz",
        "peregrine.ko.zst",
        "peregrine.ko.gz",
    ] {
        let p = dir.join(name);
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(format!(
        "dkms build succeeded but {} holds no peregrine.ko (plain, .xz, .zst or .gz)",
        dir.display()
    ))
}
