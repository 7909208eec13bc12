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
    /// A module built against the installed kernel headers with kbuild.
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

/// Inserts `path`, replacing an incompatible loaded module. The old one is removed only right
/// before the insert, and put back from `previous` when the new one fails, so the host is not
/// left without a driver by a failed replacement.
fn install(
    f: &HostFacts,
    ins: &mut dyn Inserter,
    path: &Path,
    previous: Option<&Path>,
    log: &mut Vec<String>,
) -> Result<(), String> {
    let replacing = f.loaded_module.is_some();
    if replacing {
        ins.remove("peregrine")
            .map_err(|e| format!("cannot unload the old module: {e}; left it loaded"))?;
        log.push(format!(
            "unloaded peregrine {}",
            f.loaded_module.as_deref().unwrap_or("?")
        ));
    }
    match ins.insert(path) {
        Ok(()) => Ok(()),
        Err(e) if replacing => {
            let back = match previous {
                Some(p) => match ins.insert(p) {
                    Ok(()) => format!("restored the previous module from {}", p.display()),
                    Err(e2) => format!("could not restore the previous module: {e2}"),
                },
                None => "no copy of the previous module to restore".into(),
            };
            Err(format!("{e}; {back}"))
        }
        Err(e) => Err(e),
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
    let mut chosen: Option<(String, Option<ModuleChoice>)> = None;
    let blocker = kmod_blocker(f);
    // Why no kernel module: what the modern eBPF choice reports.
    let mut kmod_reasons: Vec<String> = blocker.iter().cloned().collect();
    for &step in &cfg.order {
        let mut detail = Vec::new();
        let result: Result<(String, Option<ModuleChoice>), String> = match step {
            Step::Loaded => match &f.loaded_module {
                None => Err("no peregrine module is loaded".into()),
                Some(v) if api::compatible(v) => Ok((
                    format!("peregrine {v} is already loaded and speaks the sensor's API {}", api::sensor_api()),
                    Some(ModuleChoice {
                        path: None,
                        source: "already loaded".into(),
                        version: v.clone(),
                        api_version: v.clone(),
                        inserted: false,
                    }),
                )),
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
                detail.insert(0, why);
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
                chosen = Some((driver.into(), module));
                break;
            }
            Err(why) => {
                if matches!(step, Step::Prebuilt | Step::Build) && !kmod_reasons.contains(&why) {
                    kmod_reasons.push(why.clone());
                }
                detail.insert(0, why);
                attempts.push(Attempt {
                    step,
                    ok: false,
                    detail,
                });
            }
        }
    }
    let (driver, reason, module) = match chosen {
        Some((driver, module)) => {
            let reason = attempts
                .last()
                .and_then(|a| a.detail.first().cloned())
                .unwrap_or_default();
            (driver, reason, module)
        }
        None => (
            "none".into(),
            "no driver can run here; see the attempts".into(),
            None,
        ),
    };
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
    install(f, ins, &found.path, previous, log)?;
    Ok((
        format!(
            "prebuilt module from {} {} (vermagic and API checked)",
            found.repo,
            ins.done()
        ),
        Some(ModuleChoice {
            path: Some(found.path),
            source: found.repo,
            version: info.version,
            api_version: info.api_version,
            inserted: true,
        }),
    ))
}

fn built(
    f: &HostFacts,
    cfg: &AutoConfig,
    ins: &mut dyn Inserter,
    previous: Option<&Path>,
    log: &mut Vec<String>,
) -> StepResult {
    if let Some(why) = f.signed_modules_only() {
        return Err(format!(
            "{why}, and a local build is unsigned: sign modules with an enrolled MOK key (DKMS can) or use the modern eBPF probe"
        ));
    }
    let path = build::build(f, &cfg.build, log)?;
    let image = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let info = check_module(&image, &path.display().to_string(), f)?;
    install(f, ins, &path, previous, log)?;
    Ok((
        format!("module built against the installed headers {}", ins.done()),
        Some(ModuleChoice {
            path: Some(path),
            source: "kbuild".into(),
            version: info.version,
            api_version: info.api_version,
            inserted: true,
        }),
    ))
}
