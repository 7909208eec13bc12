//! Building the module against the installed kernel headers: with DKMS when the host has it
//! and the sources are a DKMS tree (see [`crate::dkms`]), else with kbuild. `make` is run with
//! an argument vector (never a shell string) in a private copy of the sources, under a time
//! limit; the result is checked like any prebuilt before it is inserted.

use crate::detect::HostFacts;
use peregrine_driver_index::unpack;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct BuildConfig {
    /// Module sources (kmod/module, or a DKMS tree); default: `<host>/usr/src/peregrine-*`.
    pub source: Option<PathBuf>,
    /// Where private build trees go (`<dir>/<release>/`).
    pub work_dir: PathBuf,
    pub timeout: Duration,
    /// The `make` program.
    pub make: PathBuf,
    /// The `dkms` program ([`crate::dkms::find`]); `None` builds with kbuild only.
    pub dkms: Option<PathBuf>,
}

/// A module built for the running kernel.
#[derive(Debug, Clone)]
pub struct Built {
    pub path: PathBuf,
    /// `dkms` or `kbuild`.
    pub via: &'static str,
}

pub(crate) fn under(root: &Path, abs: &Path) -> PathBuf {
    root.join(abs.strip_prefix("/").unwrap_or(abs))
}

/// `<host>/lib/modules/<release>/build`, following an absolute symlink inside the host root.
pub fn headers_dir(f: &HostFacts) -> Option<PathBuf> {
    let link = under(
        &f.host_root,
        Path::new(&format!("/lib/modules/{}/build", f.kernel_release)),
    );
    let dir = match std::fs::read_link(&link) {
        Ok(target) if target.is_absolute() => under(&f.host_root, &target),
        _ => link,
    };
    dir.join("Makefile").exists().then_some(dir)
}

fn default_source(f: &HostFacts) -> Option<PathBuf> {
    let src = under(&f.host_root, Path::new("/usr/src"));
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(src)
        .ok()?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("peregrine-"))
        .map(|e| e.path())
        .collect();
    dirs.sort();
    dirs.pop()
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let ft = entry.file_type()?;
        let dest = to.join(entry.file_name());
        if ft.is_dir() {
            copy_tree(&entry.path(), &dest)?;
        } else if ft.is_file() {
            std::fs::copy(entry.path(), dest)?;
        }
    }
    Ok(())
}

/// Runs `cmd` with stdout and stderr into `logfile`, killed after `timeout`.
pub(crate) fn run_logged(
    mut cmd: Command,
    logfile: &Path,
    timeout: Duration,
    what: &str,
) -> Result<(), String> {
    let out = std::fs::File::create(logfile).map_err(|e| format!("{}: {e}", logfile.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => {
                return Err(format!(
                    "{what} failed ({status}); log: {}",
                    logfile.display()
                ));
            }
            Ok(None) if start.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{what} took longer than {}s; log: {}",
                    timeout.as_secs(),
                    logfile.display()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => return Err(format!("waiting for {program}: {e}")),
        }
    }
}

/// Builds `peregrine.ko` for the running kernel: DKMS first when it can, kbuild when DKMS is
/// absent or fails. Under lockdown only DKMS is tried, since only it can sign the module.
pub fn build(f: &HostFacts, cfg: &BuildConfig, log: &mut Vec<String>) -> Result<Built, String> {
    let headers = headers_dir(f).ok_or_else(|| {
        let link = under(&f.host_root, Path::new(&format!("/lib/modules/{}/build", f.kernel_release)));
        format!(
            "no kernel headers at {}: install linux-headers-{} (in a container, mount the host's /lib/modules and /usr/src)",
            link.display(),
            f.kernel_release
        )
    })?;
    let source = cfg
        .source
        .clone()
        .or_else(|| default_source(f))
        .ok_or("no module sources: install the peregrine module sources in /usr/src/peregrine-<version> or pass --module-source")?;
    log.push(format!(
        "headers {}, sources {}",
        headers.display(),
        source.display()
    ));
    let work = cfg.work_dir.join(&f.kernel_release);
    let _ = std::fs::remove_dir_all(&work);
    let dkms = cfg
        .dkms
        .as_deref()
        .filter(|_| crate::dkms::package_version(&source).is_some());
    if let Some(dkms) = dkms {
        match crate::dkms::build(f, dkms, &source, &headers, &work, cfg.timeout, log) {
            Ok(path) => return unpacked(path, &work).map(|path| Built { path, via: "dkms" }),
            Err(e) => log.push(format!("{e}; trying kbuild")),
        }
    }
    if let Some(why) = f.signed_modules_only() {
        return Err(format!(
            "{why}, and a kbuild module is unsigned: install dkms with an enrolled MOK key (it signs what it builds) or use the modern eBPF probe"
        ));
    }
    kbuild(&headers, &source, &work, cfg, log).map(|path| Built {
        path,
        via: "kbuild",
    })
}

/// DKMS may leave the module compressed (gzip, xz or zstd, as the kernel's
/// own); the checks and `finit_module` want it plain.
fn unpacked(path: PathBuf, work: &Path) -> Result<PathBuf, String> {
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    if unpack::Format::of(&bytes) == Some(unpack::Format::Elf) {
        return Ok(path);
    }
    let image = unpack::image(&bytes, &path.display().to_string()).map_err(|e| e.to_string())?;
    let out = work.join("peregrine.ko");
    peregrine_driver_index::fetch::write_atomic(&out, &image).map_err(|e| e.to_string())?;
    Ok(out)
}

fn kbuild(
    headers: &Path,
    source: &Path,
    work: &Path,
    cfg: &BuildConfig,
    log: &mut Vec<String>,
) -> Result<PathBuf, String> {
    let module = work.join("module");
    copy_tree(source, &module)
        .map_err(|e| format!("copy {} to {}: {e}", source.display(), module.display()))?;
    let include = source.join("../include");
    if !source.join("include").exists() && include.exists() {
        copy_tree(&include, &work.join("include"))
            .map_err(|e| format!("copy {}: {e}", include.display()))?;
    }
    let mut make = Command::new(&cfg.make);
    make.arg("-C")
        .arg(headers)
        .arg(format!("M={}", module.display()))
        .arg("modules");
    run_logged(make, &work.join("build.log"), cfg.timeout, "kbuild").map_err(|e| {
        if e.starts_with("cannot run") {
            format!("{e}; install make and gcc")
        } else {
            e
        }
    })?;
    let ko = module.join("peregrine.ko");
    if !ko.exists() {
        return Err(format!("kbuild succeeded but {} is missing", ko.display()));
    }
    log.push(format!("built {}", ko.display()));
    Ok(ko)
}
