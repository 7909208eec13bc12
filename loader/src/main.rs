//! `peregrine-loader`: detect the host, choose and install the driver, explain why.
//!
//! Exit codes: 0 a driver is ready (kmod or modern eBPF; the decision file says which),
//! 1 error (I/O, bad key, bad configuration), 2 usage, 3 no driver can run on this host.

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use peregrine_driver_index::FetchOptions;
use peregrine_loader::auto::{self, AutoConfig, Step};
use peregrine_loader::build::BuildConfig;
use peregrine_loader::detect::{self, Overrides};
use peregrine_loader::insert::{DryRun, Inserter, Kernel};
use peregrine_loader::repos::RepoConfig;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Clone, Copy, ValueEnum)]
enum Output {
    Text,
    Json,
}

#[derive(Parser)]
#[command(
    name = "peregrine-loader",
    version,
    about = "Choose, verify and install the Peregrine driver"
)]
struct Cli {
    /// Where the host's /proc, /sys, /etc, /lib/modules, /usr/src and /boot are mounted.
    #[arg(long, env = "HOST_ROOT", default_value = "/", global = true)]
    host_root: PathBuf,
    #[arg(long, value_enum, default_value = "text", global = true)]
    output: Output,
    /// Print every step tried and why it worked or not.
    #[arg(long, global = true)]
    explain: bool,
    /// The decision file the sensor reads.
    #[arg(
        long,
        env = "PEREGRINE_DRIVER_DECISION",
        default_value = "/var/run/peregrine/driver.json",
        global = true
    )]
    decision_file: PathBuf,
    #[arg(
        long,
        env = "PEREGRINE_DRIVER_CACHE",
        default_value = "/var/cache/peregrine/drivers",
        global = true
    )]
    cache_dir: PathBuf,
    /// Decide and verify, but insert and remove nothing.
    #[arg(long, global = true)]
    dry_run: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Print what the loader knows about this host.
    Detect,
    /// Choose and install a driver.
    Auto(Box<AutoArgs>),
    /// Unload the module this loader inserted and remove its cache and decision file.
    Cleanup,
}

#[derive(clap::Args)]
struct AutoArgs {
    /// Repository base URL (https://, http://, file://), tried in order; repeatable.
    /// PEREGRINE_DRIVER_REPOS holds a list separated by `,`, `;` or blanks.
    #[arg(long = "repo")]
    repos: Vec<String>,
    /// File with one repository URL per line (`#` comments), used when neither --repo nor
    /// PEREGRINE_DRIVER_REPOS is set.
    #[arg(
        long,
        env = "PEREGRINE_DRIVER_REPOS_FILE",
        default_value = "/etc/peregrine/driver-repos"
    )]
    repos_file: PathBuf,
    /// Steps in order, comma-separated: loaded, prebuilt, build, modern-ebpf.
    #[arg(long, default_value = "loaded,prebuilt,build,modern-ebpf")]
    order: String,
    /// Use only the cache and file:// repositories.
    #[arg(long)]
    no_download: bool,
    /// Hex ed25519 public key: every index must be signed by it.
    #[arg(long)]
    public_key: Option<PathBuf>,
    /// Seconds per download attempt.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    #[arg(long, default_value_t = 2)]
    retries: u32,
    /// PEM bundle replacing the built-in TLS roots (a private mirror's CA).
    #[arg(long)]
    ca_bundle: Option<PathBuf>,
    /// Module sources for the build step (default: <host>/usr/src/peregrine-*).
    #[arg(long)]
    module_source: Option<PathBuf>,
    #[arg(long, default_value_t = 600)]
    build_timeout: u64,
    /// Build with kbuild even when dkms and a DKMS source tree are installed.
    #[arg(long)]
    no_dkms: bool,
    /// Decide for this kernel release instead of the running one.
    #[arg(long)]
    kernel_release: Option<String>,
    /// Decide for this `uname -v` instead of the running one.
    #[arg(long)]
    kernel_version: Option<String>,
}

fn main() {
    let code = match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("peregrine-loader: {e:#}");
            1
        }
    };
    std::process::exit(code);
}

fn print<T: serde::Serialize>(output: Output, value: &T, text: &str) -> anyhow::Result<()> {
    match output {
        Output::Json => println!("{}", serde_json::to_string_pretty(value)?),
        Output::Text => println!("{text}"),
    }
    Ok(())
}

fn run(cli: Cli) -> anyhow::Result<i32> {
    let mut dry = DryRun::default();
    let mut kernel = Kernel;
    let ins: &mut dyn Inserter = if cli.dry_run { &mut dry } else { &mut kernel };
    match cli.cmd {
        Cmd::Detect => {
            let f = detect::detect(&cli.host_root, &Overrides::default());
            let text = format!(
                "kernel {} ({}) {} debian {:?} os {:?} {:?}\nmodule support {} lockdown {:?} sig_enforce {} secure boot {:?} btf {}\nCAP_SYS_MODULE {} CAP_BPF/SYS_ADMIN {} loaded peregrine {:?}\nkmod blocked: {}",
                f.kernel_release,
                f.kernel_version,
                f.arch,
                f.debian_version,
                f.os_id,
                f.os_version_id,
                f.module_support,
                f.lockdown,
                f.sig_enforce,
                f.secure_boot,
                f.btf,
                f.can_load_modules(),
                f.can_bpf(),
                f.loaded_module,
                auto::kmod_blocker(&f).unwrap_or_else(|| "no".into())
            );
            print(cli.output, &f, &text)?;
            Ok(0)
        }
        Cmd::Auto(a) => {
            let facts = detect::detect(
                &cli.host_root,
                &Overrides {
                    kernel_release: a.kernel_release.clone(),
                    kernel_version: a.kernel_version.clone(),
                },
            );
            let mut order = Vec::new();
            for s in a.order.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                order.push(Step::parse(s).with_context(|| {
                    format!("--order: unknown step {s:?}; use loaded, prebuilt, build, modern-ebpf")
                })?);
            }
            let mut repos = a.repos.clone();
            if repos.is_empty() {
                if let Ok(list) = std::env::var("PEREGRINE_DRIVER_REPOS") {
                    repos = list
                        .split([',', ';', ' ', '\n', '\t'])
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect();
                }
            }
            if repos.is_empty() {
                match std::fs::read_to_string(&a.repos_file) {
                    Ok(text) => {
                        repos = text
                            .lines()
                            .map(|l| l.split('#').next().unwrap_or("").trim())
                            .filter(|l| !l.is_empty())
                            .map(String::from)
                            .collect()
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(e)
                            .with_context(|| format!("--repos-file {}", a.repos_file.display()))
                    }
                }
            }
            let public_key = a
                .public_key
                .as_deref()
                .map(peregrine_driver_index::index::read_public_key)
                .transpose()?;
            let cfg = AutoConfig {
                order,
                repos: RepoConfig {
                    repos,
                    cache_dir: cli.cache_dir.clone(),
                    no_download: a.no_download,
                    fetch: FetchOptions {
                        timeout: Duration::from_secs(a.timeout),
                        retries: a.retries,
                        ca_bundle: a.ca_bundle.clone(),
                        ..FetchOptions::default()
                    },
                    public_key,
                },
                build: BuildConfig {
                    source: a.module_source.clone(),
                    work_dir: cli.cache_dir.join("build"),
                    timeout: Duration::from_secs(a.build_timeout),
                    make: PathBuf::from("make"),
                    dkms: if a.no_dkms {
                        None
                    } else {
                        peregrine_loader::dkms::find(
                            &cli.host_root,
                            std::env::var_os("PATH").as_deref(),
                        )
                    },
                },
                ebpf_check: Box::new(|| {
                    let report = peregrine_bpf::support::check();
                    if report.ok() {
                        Ok(())
                    } else {
                        Err(report.to_string().trim().to_string())
                    }
                }),
            };
            let previous = peregrine_loader::previous_module(&cli.decision_file);
            let inserted_before = peregrine_loader::previous_inserted(&cli.decision_file);
            // A module chosen for another kernel than the running one is fetched and verified
            // (to fill a cache or a mirror ahead of a reboot) but never inserted.
            let running = detect::detect(&cli.host_root, &Overrides::default());
            let other_kernel = running.kernel_release != facts.kernel_release;
            let mut ahead = DryRun::default();
            let ins: &mut dyn Inserter = if other_kernel { &mut ahead } else { ins };
            let mut decision = auto::auto(&facts, &cfg, ins, previous.as_deref());
            if other_kernel {
                decision.reason = format!(
                    "{} (for kernel {}, not the running {}: nothing inserted, no decision file written)",
                    decision.reason, facts.kernel_release, running.kernel_release
                );
            }
            // A module kept because it is loaded is still ours to clean up if an earlier run
            // of this loader inserted it.
            if let Some(m) = decision.module.as_mut() {
                m.inserted |= m.kept && inserted_before;
            }
            // The sensor reads the decision for the running kernel only.
            if !other_kernel {
                peregrine_loader::write_decision(&cli.decision_file, &decision)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", cli.decision_file.display()))?;
            }
            let mut text = format!("driver: {}\nreason: {}", decision.driver, decision.reason);
            if cli.explain {
                for at in &decision.attempts {
                    let step = serde_json::to_value(at.step)?;
                    let step = step.as_str().unwrap_or("?");
                    let mark = if at.ok { "ok" } else { "no" };
                    text.push_str(&format!("\n[{mark}] {step}"));
                    for d in &at.detail {
                        text.push_str(&format!("\n    {d}"));
                    }
                }
            }
            print(cli.output, &decision, &text)?;
            Ok(if decision.driver == "none" { 3 } else { 0 })
        }
        Cmd::Cleanup => {
            let mut done = Vec::new();
            if peregrine_loader::previous_inserted(&cli.decision_file) {
                ins.remove("peregrine").map_err(|e| anyhow::anyhow!(e))?;
                done.push("unloaded peregrine".to_string());
            }
            for p in [&cli.cache_dir, &cli.decision_file] {
                let r = if p.is_dir() {
                    std::fs::remove_dir_all(p)
                } else {
                    std::fs::remove_file(p)
                };
                match r {
                    Ok(()) => done.push(format!("removed {}", p.display())),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e).with_context(|| format!("remove {}", p.display())),
                }
            }
            let text = if done.is_empty() {
                "nothing to clean".to_string()
            } else {
                done.join("\n")
            };
            print(cli.output, &done, &text)?;
            Ok(0)
        }
    }
}
