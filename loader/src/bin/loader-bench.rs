//! Benchmark (not a test): loader decision time with the module already in the cache.
//!
//! Builds a fake host root (module support, CAP_SYS_MODULE from this process), a repository
//! with one 2 MiB module served on 127.0.0.1, runs `auto` once to fill the cache, then times
//! `auto` with `--no-download` semantics (cached index + cached module: read, sha256,
//! vermagic/API check, dry-run insert), with the index re-read over HTTP, and with the same
//! version already loaded (kept after the same checks).
//!
//!     cargo run --release -p peregrine-loader --bin loader-bench [-- ITERATIONS]

use peregrine_driver_index::{fetch, modinfo, repo, serve, FetchOptions};
use peregrine_loader::auto::{auto, AutoConfig, Step};
use peregrine_loader::build::BuildConfig;
use peregrine_loader::detect::{detect, Overrides};
use peregrine_loader::insert::DryRun;
use peregrine_loader::repos::RepoConfig;
use std::time::{Duration, Instant};

const RELEASE: &str = "6.1.0-10-amd64";

fn main() -> anyhow::Result<()> {
    let iterations: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let tmp = tempfile::TempDir::new()?;
    let root = tmp.path().join("host");
    for (p, s) in [
        ("proc/sys/kernel/osrelease", RELEASE),
        (
            "proc/sys/kernel/version",
            "#1 SMP PREEMPT_DYNAMIC Debian 6.1.38-2 (2023-07-27)",
        ),
        ("proc/modules", ""),
        ("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n"),
    ] {
        let path = root.join(p);
        std::fs::create_dir_all(path.parent().unwrap_or(&root))?;
        std::fs::write(path, s)?;
    }
    let repo_dir = tmp.path().join("repo");
    std::fs::create_dir_all(repo_dir.join("x86_64"))?;
    let mut ko = modinfo::fake_module(
        &format!("{RELEASE} SMP preempt mod_unload modversions "),
        "1.0.0",
        "1.0.0",
    );
    ko.resize(ko.len() + (2 << 20), 0); // a real peregrine.ko is a few MiB
    std::fs::write(
        repo_dir.join(format!("x86_64/peregrine_debian_{RELEASE}.ko")),
        &ko,
    )?;
    let index = repo::build(&repo_dir, "debian", None)?;
    fetch::write_atomic(&repo_dir.join("index.json"), &index.to_json())?;
    let addr = serve::spawn(repo_dir, "127.0.0.1:0")?;

    let mut facts = detect(&root, &Overrides::default());
    facts.arch = "x86_64".into();
    facts.cap_eff = Some(u64::MAX);
    let cfg = |no_download: bool| AutoConfig {
        order: Step::DEFAULT_ORDER.to_vec(),
        repos: RepoConfig {
            repos: vec![format!("http://{addr}")],
            cache_dir: tmp.path().join("cache"),
            no_download,
            fetch: FetchOptions::default(),
            public_key: None,
        },
        build: BuildConfig {
            source: None,
            work_dir: tmp.path().join("build"),
            timeout: Duration::from_secs(1),
            make: "make".into(),
            dkms: None,
        },
        ebpf_check: Box::new(|| Ok(())),
    };
    let first = auto(&facts, &cfg(false), &mut DryRun::default(), None);
    anyhow::ensure!(first.driver == "kmod", "setup failed: {}", first.reason);

    for (label, no_download, loaded) in [
        ("cached index + cached module", true, false),
        ("index over HTTP + cached module", false, false),
        // The same version loaded: the repositories are still asked whether it is current.
        ("same version loaded, kept (cached)", true, true),
    ] {
        let c = cfg(no_download);
        let version = root.join("sys/module/peregrine/version");
        if loaded {
            std::fs::create_dir_all(root.join("sys/module/peregrine"))?;
            std::fs::write(&version, "1.0.0\n")?;
        }
        let mut times = Vec::with_capacity(iterations);
        for _ in 0..iterations {
            let start = Instant::now();
            let facts = {
                let mut f = detect(&root, &Overrides::default());
                f.arch = "x86_64".into();
                f.cap_eff = Some(u64::MAX);
                f
            };
            let d = auto(&facts, &c, &mut DryRun::default(), None);
            times.push(start.elapsed());
            anyhow::ensure!(d.driver == "kmod", "{}", d.reason);
            anyhow::ensure!(
                d.module.as_ref().is_some_and(|m| m.kept) == loaded,
                "{}",
                d.reason
            );
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "{label}: n={iterations} median {:.2} ms, p99 {:.2} ms, max {:.2} ms (module {} bytes)",
            ms(times[iterations / 2]),
            ms(times[(iterations * 99 / 100).min(iterations - 1)]),
            ms(times[iterations - 1]),
            ko.len()
        );
    }
    Ok(())
}
