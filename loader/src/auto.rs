//! `auto`: try each way to get a driver, in order, and say why each one worked or not.

use crate::api;
use crate::build::{self, BuildConfig};
use crate::detect::HostFacts;
use crate::insert::Inserter;
use crate::repos::{RepoConfig, Want};
use peregrine_driver_index::modinfo;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// One way to get a driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// A compatible peregrine module is already loaded.
    Loaded,
    /// A prebuilt module from the repositories (or the cache).
    Prebuilt,
    /// A module built against the installed kernel headers (DKMS when present, else kbuild).
    Build,
    /// The modern eBPF probe embedded in the sensor.
    ModernEbpf,
}

impl Step {
    pub fn parse(s: &str) -> Option<Step> {
        match s {
            "loaded" => Some(Step::Loaded),
            "prebuilt" => Some(Step::Prebuilt),
            "build" => Some(Step::Build),
            "modern-ebpf" | "modern_ebpf" => Some(Step::ModernEbpf),
            _ => None,
        }
    }
    pub const DEFAULT_ORDER: [Step; 4] =
        [Step::Loaded, Step::Prebuilt, Step::Build, Step::ModernEbpf];
}

/// What one step found.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    pub step: Step,
    pub ok: bool,
    /// Why it worked or not, then each thing it tried.
    pub detail: Vec<String>,
}

/// The module `auto` settled on.
#[derive(Debug, Clone, Serialize)]
pub struct ModuleChoice {
    pub path: Option<PathBuf>,
    pub source: String,
    pub version: String,
    pub api_version: String,
    /// True when this run put it into the kernel (so `cleanup` may remove it).
    pub inserted: bool,
    /// True when it was already loaded and left there (`path`, when known, holds a copy).
    pub kept: bool,
}

/// The result, written where the sensor reads it.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    /// `kmod`, `modern-ebpf`, or `none`.
    pub driver: String,
    pub reason: String,
    pub module: Option<ModuleChoice>,
    pub kernel_release: String,
    pub sensor_api_version: String,
    pub decided_at: u64,
    pub attempts: Vec<Attempt>,
    pub facts: HostFacts,
}

/// Everything `auto` needs besides the facts.
pub struct AutoConfig {
    pub order: Vec<Step>,
    pub repos: RepoConfig,
    pub build: BuildConfig,
    /// Checks that the modern eBPF probe can run here; `Err` says why not.
    pub ebpf_check: Box<dyn Fn() -> Result<(), String>>,
}

/// Why no kernel module can be loaded at all on this host, if so.
pub fn kmod_blocker(f: &HostFacts) -> Option<String> {
    if !f.module_support {
        return Some(
            "kernel without module support (no /proc/modules: CONFIG_MODULES is off)".into(),
        );
    }
    if !f.can_load_modules() {
        return Some("no CAP_SYS_MODULE: run the loader as root in a privileged container".into());
    }
    None
}

/// Refuses a module image unless its vermagic names the running kernel and its API is ours.
pub fn check_module(image: &[u8], what: &str, f: &HostFacts) -> Result<modinfo::ModInfo, String> {
    let info = modinfo::read(image, what).map_err(|e| e.to_string())?;
    if info.kernel_release() != f.kernel_release {
        return Err(format!(
            "{what}: vermagic {:?} is for kernel {}, this kernel is {}: refusing to insert it",
            info.vermagic,
            info.kernel_release(),
            f.kernel_release
        ));
    }
    if info.arch != f.arch {
        return Err(format!(
            "{what}: built for {}, this host is {}: refusing it",
            info.arch, f.arch
        ));
    }
    if !api::compatible(&info.api_version) {
        return Err(format!(
            "{what}: driver API {} does not match the sensor's {}: refusing it",
            info.api_version,
            api::sensor_api()
        ));
    }
    if let Some(why) = f.signed_modules_only() {
        if !modinfo::has_signature(image) {
            return Err(format!(
                "{what} is unsigned and {why}: sign it with a key the kernel trusts (MOK) or use the modern eBPF probe"
            ));
        }
    }
    Ok(info)
}

/// What [`install`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placed {
    /// The new module is in the kernel.
    Inserted,
    /// The loaded module stays (same build, or it could not be replaced); why. `reinserted`
    /// when this run put the old module back after a failed replacement.
    Kept {
        why: String,
        reinserted: bool,
        /// A file holding the kept module, to restore it after a later failed replacement.
        copy: Option<PathBuf>,
    },
}

/// The loaded module is the same build as `info`: same version and, when both are known,
/// same source digest.
fn same_build(f: &HostFacts, loaded: &str, info: &modinfo::ModInfo) -> bool {
    loaded == info.version
        && match (f.loaded_srcversion.as_deref(), info.srcversion.as_str()) {
            (Some(a), b) if !b.is_empty() => a == b,
            _ => true,
        }
}

/// Inserts `path` (whose modinfo is `info`). A loaded peregrine module is replaced only when
/// it is another build: a compatible one of the same version is kept without touching the
/// kernel. The old module is removed only right before the insert; when it cannot be removed
/// (in use by a running sensor) a compatible one is kept, and when the new insert fails the
/// old one is put back from `previous`, so a failed replacement never leaves the host without
/// a driver it had.
fn install(
    f: &HostFacts,
    ins: &mut dyn Inserter,
    path: &Path,
    info: &modinfo::ModInfo,
    previous: Option<&Path>,
    log: &mut Vec<String>,
) -> Result<Placed, String> {
    let Some(old) = f.loaded_module.as_deref() else {
        return ins.insert(path).map(|()| Placed::Inserted);
    };
    let usable = api::compatible(old);
    if usable && same_build(f, old, info) {
        return Ok(Placed::Kept {
            why: format!(
                "peregrine {old} is already loaded, the same version as {}: kept it",
                path.display()
            ),
            reinserted: false,
            copy: Some(path.to_path_buf()),
        });
    }
    let new = if info.version.is_empty() {
        "?"
    } else {
        &info.version
    };
    if let Err(e) = ins.remove("peregrine") {
        return if usable {
            Ok(Placed::Kept {
                why: format!(
                    "peregrine {old} is already loaded and kept: version {new} is available but the old module cannot be unloaded ({e}); stop the sensor and run the loader again to replace it"
                ),
                reinserted: false,
                copy: previous.map(Path::to_path_buf),
            })
        } else {
            Err(format!("cannot unload the old module: {e}; left it loaded"))
        };
    }
    log.push(format!("unloaded peregrine {old} to replace it with {new}"));
    let e = match ins.insert(path) {
        Ok(()) => return Ok(Placed::Inserted),
        Err(e) => e,
    };
    let restored = match previous {
        Some(p) => ins.insert(p).map(|()| p),
        None => Err("no copy of the previous module to restore".into()),
    };
    match restored {
        Ok(p) if usable => Ok(Placed::Kept {
            why: format!(
                "peregrine {old} is loaded again: version {new} failed ({e}); restored the previous module from {}",
                p.display()
            ),
            reinserted: true,
            copy: Some(p.to_path_buf()),
        }),
        Ok(p) => Err(format!(
            "{e}; restored the previous module from {}",
            p.display()
        )),
        Err(e2) => Err(format!("{e}; could not restore the previous module: {e2}")),
    }
}

/// Runs the steps in order until one yields a driver.
pub fn auto(
    f: &HostFacts,
    cfg: &AutoConfig,
    ins: &mut dyn Inserter,
    previous: Option<&Path>,
) -> Decision {
    let mut attempts = Vec::new();
    let mut chosen: Option<(String, String, Option<ModuleChoice>)> = None;
    let blocker = kmod_blocker(f);
    // Why no kernel module: what the modern eBPF choice reports.
    let mut kmod_reasons: Vec<String> = blocker.iter().cloned().collect();
    // A compatible loaded module while a prebuilt step follows: the repositories decide
    // whether another version replaces it; it is kept when they offer nothing.
    let mut loaded_kept: Option<(String, ModuleChoice)> = None;
    for (pos, &step) in cfg.order.iter().enumerate() {
        let mut detail = Vec::new();
        let result: StepResult = match step {
            Step::Loaded => match &f.loaded_module {
                None => Err("no peregrine module is loaded".into()),
                Some(v) if api::compatible(v) => {
                    let why = format!(
                        "peregrine {v} is already loaded and speaks the sensor's API {}",
                        api::sensor_api()
                    );
                    let choice = ModuleChoice {
                        path: previous.map(Path::to_path_buf),
                        source: "already loaded".into(),
                        version: v.clone(),
                        api_version: v.clone(),
                        inserted: false,
                        kept: true,
                    };
                    if cfg.order[pos + 1..].contains(&Step::Prebuilt) && !cfg.repos.repos.is_empty() {
                        attempts.push(Attempt {
                            step,
                            ok: true,
                            detail: vec![format!(
                                "{why}; the repositories decide whether another version replaces it"
                            )],
                        });
                        loaded_kept = Some((why, choice));
                        continue;
                    }
                    Ok((why, Some(choice)))
                }
                Some(v) => Err(format!(
                    "loaded peregrine {v:?} does not speak the sensor's API {}; it will be replaced",
                    api::sensor_api()
                )),
            },
            Step::Prebuilt | Step::Build if blocker.is_some() => Err(blocker.clone().unwrap_or_default()),
            Step::Prebuilt => prebuilt(f, cfg, ins, previous, &mut detail),
            Step::Build => built(f, cfg, ins, previous, &mut detail),
            Step::ModernEbpf => (cfg.ebpf_check)().map(|()| {
                let why = if kmod_reasons.is_empty() {
                    "first in the configured order".to_string()
                } else {
                    kmod_reasons.join("; ")
                };
                (format!("modern eBPF probe: {why}"), None)
            }),
        };
        match result {
            Ok((why, module)) => {
                detail.insert(0, why.clone());
                attempts.push(Attempt {
                    step,
                    ok: true,
                    detail,
                });
                let driver = if step == Step::ModernEbpf {
                    "modern-ebpf"
                } else {
                    "kmod"
                };
                chosen = Some((driver.into(), why, module));
                break;
            }
            Err(why) => {
                if matches!(step, Step::Prebuilt | Step::Build) && !kmod_reasons.contains(&why) {
                    kmod_reasons.push(why.clone());
                }
                detail.insert(0, why.clone());
                attempts.push(Attempt {
                    step,
                    ok: false,
                    detail,
                });
                if step == Step::Prebuilt {
                    if let Some((kept_why, choice)) = loaded_kept.take() {
                        let reason = format!("{kept_why}; kept it (no other version: {why})");
                        chosen = Some(("kmod".into(), reason, Some(choice)));
                        break;
                    }
                }
            }
        }
    }
    let (driver, reason, module) = chosen.unwrap_or_else(|| {
        (
            "none".into(),
            "no driver can run here; see the attempts".into(),
            None,
        )
    });
    Decision {
        driver,
        reason,
        module,
        kernel_release: f.kernel_release.clone(),
        sensor_api_version: api::sensor_api(),
        decided_at: peregrine_driver_index::repo::now(),
        attempts,
        facts: f.clone(),
    }
}

type StepResult = Result<(String, Option<ModuleChoice>), String>;

/// The step's result for what [`install`] did: the new module, or the loaded one kept.
fn outcome(
    f: &HostFacts,
    placed: Placed,
    inserted_why: String,
    new: ModuleChoice,
) -> (String, Option<ModuleChoice>) {
    match placed {
        Placed::Inserted => (inserted_why, Some(new)),
        Placed::Kept {
            why,
            reinserted,
            copy,
        } => {
            let v = f.loaded_module.clone().unwrap_or_default();
            let kept = ModuleChoice {
                path: copy,
                source: "already loaded".into(),
                version: v.clone(),
                api_version: v,
                inserted: reinserted,
                kept: true,
            };
            (why, Some(kept))
        }
    }
}

fn prebuilt(
    f: &HostFacts,
    cfg: &AutoConfig,
    ins: &mut dyn Inserter,
    previous: Option<&Path>,
    log: &mut Vec<String>,
) -> StepResult {
    let want = Want {
        kernel_release: f.kernel_release.clone(),
        kernel_version: f.kernel_version.clone(),
        arch: f.arch.clone(),
    };
    let found = cfg.repos.find(&want, log).ok_or_else(|| {
        format!(
            "no usable prebuilt module for kernel {} {}",
            f.kernel_release, f.arch
        )
    })?;
    let info = check_module(&found.image, &found.path.display().to_string(), f)?;
    let placed = install(f, ins, &found.path, &info, previous, log)?;
    Ok(outcome(
        f,
        placed,
        format!(
            "prebuilt module from {} {} (vermagic and API checked)",
            found.repo,
            ins.done()
        ),
        ModuleChoice {
            path: Some(found.path),
            source: found.repo,
            version: info.version,
            api_version: info.api_version,
            inserted: true,
            kept: false,
        },
    ))
}

fn built(
    f: &HostFacts,
    cfg: &AutoConfig,
    ins: &mut dyn Inserter,
    previous: Option<&Path>,
    log: &mut Vec<String>,
) -> StepResult {
    let built = build::build(f, &cfg.build, log)?;
    let path = built.path;
    let image = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let info = check_module(&image, &path.display().to_string(), f)?;
    let placed = install(f, ins, &path, &info, previous, log)?;
    Ok(outcome(
        f,
        placed,
        format!(
            "module built against the installed headers with {} {}",
            built.via,
            ins.done()
        ),
        ModuleChoice {
            path: Some(path),
            source: built.via.into(),
            version: info.version,
            api_version: info.api_version,
            inserted: true,
            kept: false,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_build_needs_the_version_and_a_known_srcversion_to_match() {
        let ko = modinfo::fake_module("6.1.0-10-amd64 SMP ", "1.0.0", "1.0.0");
        let mut info = modinfo::read(&ko, "mem").expect("modinfo");
        let mut f = HostFacts::default();
        assert!(same_build(&f, "1.0.0", &info));
        assert!(!same_build(&f, "1.0.1", &info));
        // Unknown on either side: the version decides.
        f.loaded_srcversion = Some("AAAA".into());
        assert!(same_build(&f, "1.0.0", &info));
        info.srcversion = "BBBB".into();
        assert!(
            !same_build(&f, "1.0.0", &info),
            "rebuilt from other sources"
        );
        info.srcversion = "AAAA".into();
        assert!(same_build(&f, "1.0.0", &info));
    }
}
