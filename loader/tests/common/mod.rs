//! Shared by the loader's integration tests: a fake HOST_ROOT, repositories of fake modules
//! served by `peregrine-driver-index serve` on 127.0.0.1, and an `auto` configuration.
#![allow(dead_code)] // each test binary uses a different part

use peregrine_driver_index::{fetch, modinfo, repo, serve, FetchOptions};
use peregrine_loader::auto::{AutoConfig, Decision, Step};
use peregrine_loader::build::BuildConfig;
use peregrine_loader::detect::{detect, HostFacts, Overrides};
use peregrine_loader::repos::RepoConfig;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const RELEASE: &str = "6.1.0-10-amd64";
pub const UNAME_V: &str = "#1 SMP PREEMPT_DYNAMIC Debian 6.1.38-2 (2023-07-27)";

pub fn host(dir: &Path, modules: bool) -> HostFacts {
    let root = dir.join("host");
    let mut files = vec![
        ("proc/sys/kernel/osrelease", RELEASE),
        ("proc/sys/kernel/version", UNAME_V),
        ("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n"),
    ];
    if modules {
        files.push(("proc/modules", ""));
    }
    for (p, s) in files {
        let path = root.join(p);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, s).expect("write");
    }
    let mut f = detect(&root, &Overrides::default());
    f.arch = "x86_64".into();
    f.cap_eff = Some(u64::MAX);
    f
}

/// A repository holding one module whose vermagic names `vermagic_release`.
pub fn make_repo(dir: &Path, vermagic_release: &str, api: &str) -> PathBuf {
    make_repo_version(dir, vermagic_release, "1.0.0", api)
}

/// The same with the module's `version` (the driver version) set to `version`.
pub fn make_repo_version(dir: &Path, vermagic_release: &str, version: &str, api: &str) -> PathBuf {
    let sub = dir.join("x86_64");
    std::fs::create_dir_all(&sub).expect("mkdir");
    let ko = modinfo::fake_module(
        &format!("{vermagic_release} SMP preempt mod_unload "),
        version,
        api,
    );
    let name = format!("peregrine_debian_{vermagic_release}.ko");
    std::fs::write(sub.join(&name), ko).expect("write");
    std::fs::write(sub.join(format!("{name}.uname-v")), UNAME_V).expect("write");
    write_index(dir);
    dir.join("x86_64").join(name)
}

pub fn write_index(dir: &Path) {
    let index = repo::build(dir, "debian", None).expect("build");
    fetch::write_atomic(&dir.join("index.json"), &index.to_json()).expect("index");
}

pub fn config(tmp: &Path, repos: Vec<String>) -> AutoConfig {
    AutoConfig {
        order: Step::DEFAULT_ORDER.to_vec(),
        repos: RepoConfig {
            repos,
            cache_dir: tmp.join("cache"),
            no_download: false,
            fetch: FetchOptions {
                timeout: Duration::from_secs(1),
                retries: 0,
                backoff: Duration::from_millis(10),
                ca_bundle: None,
            },
            public_key: None,
        },
        build: BuildConfig {
            source: None,
            work_dir: tmp.join("build"),
            timeout: Duration::from_secs(5),
            make: "make".into(),
            dkms: None,
        },
        ebpf_check: Box::new(|| Ok(())),
    }
}

pub fn served(dir: &Path) -> String {
    format!(
        "http://{}",
        serve::spawn(dir.to_path_buf(), "127.0.0.1:0").expect("serve")
    )
}

pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.path().is_dir() {
                out.extend(files_under(&e.path()));
            } else {
                out.push(e.path());
            }
        }
    }
    out
}

pub fn explain(d: &Decision) -> String {
    serde_json::to_string_pretty(&d.attempts).unwrap_or_default()
}

/// The suffixes of compressed modules (`peregrine.ko.<ext>`), as kbuild and DKMS make them.
pub const PACKED: [&str; 3] = ["gz", "xz", "zst"];

/// `raw` compressed as a `.ko.<ext>` file is.
pub fn pack(raw: &[u8], ext: &str) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut out = Vec::new();
    match ext {
        "gz" => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            gz.write_all(raw).expect("gzip");
            out = gz.finish().expect("gzip");
        }
        "xz" => {
            liblzma::read::XzEncoder::new(raw, 6)
                .read_to_end(&mut out)
                .expect("xz");
        }
        "zst" => {
            out =
                ruzstd::encoding::compress_to_vec(raw, ruzstd::encoding::CompressionLevel::Fastest)
        }
        other => panic!("no packer for .{other}"),
    }
    out
}
