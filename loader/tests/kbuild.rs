//! The build step for real: kmod/module built by kbuild against Debian headers unpacked by
//! the VM harness (scripts/vm/fetch.sh), seen through a fake HOST_ROOT. Skipped, saying so,
//! on a machine without those headers.

use peregrine_driver_index::FetchOptions;
use peregrine_loader::auto::{auto, AutoConfig, Step};
use peregrine_loader::build::BuildConfig;
use peregrine_loader::detect::{detect, Overrides};
use peregrine_loader::insert::DryRun;
use peregrine_loader::repos::RepoConfig;
use std::path::PathBuf;
use std::time::Duration;

const KVER: &str = "6.1.0-56-cloud-amd64";

#[test]
fn builds_against_unpacked_debian_headers_and_checks_vermagic() {
    let cache = std::env::var_os("PEREGRINE_VM_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/peregrine-vm")));
    let Some(kroot) = cache.map(|c| c.join("root/6.1.0-56")) else {
        eprintln!("skipped: no HOME or PEREGRINE_VM_CACHE");
        return;
    };
    if !kroot
        .join(format!("usr/src/linux-headers-{KVER}/Makefile"))
        .exists()
    {
        eprintln!("skipped: no unpacked headers for {KVER} (run scripts/vm/fetch.sh {KVER})");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let host = tmp.path().join("host");
    std::fs::create_dir_all(host.join("proc/sys/kernel")).expect("mkdir");
    std::os::unix::fs::symlink(kroot.join("lib"), host.join("lib")).expect("symlink");
    std::os::unix::fs::symlink(kroot.join("usr"), host.join("usr")).expect("symlink");
    std::fs::write(host.join("proc/sys/kernel/osrelease"), KVER).expect("write");
    std::fs::write(host.join("proc/modules"), "").expect("write");
    let mut f = detect(&host, &Overrides::default());
    f.arch = "x86_64".into();
    f.cap_eff = Some(u64::MAX);
    let cfg = AutoConfig {
        order: vec![Step::Build, Step::ModernEbpf],
        repos: RepoConfig {
            repos: vec![],
            cache_dir: tmp.path().join("cache"),
            no_download: true,
            fetch: FetchOptions::default(),
            public_key: None,
        },
        build: BuildConfig {
            source: Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../kmod/module")),
            work_dir: tmp.path().join("build"),
            timeout: Duration::from_secs(600),
            make: "make".into(),
            dkms: None,
        },
        ebpf_check: Box::new(|| Err("not in this test".into())),
    };
    let mut ins = DryRun::default();
    let d = auto(&f, &cfg, &mut ins, None);
    assert_eq!(d.driver, "kmod", "{:#?}", d.attempts);
    assert_eq!(ins.inserted.len(), 1);

    // The same build for a kernel it was not made for is refused before any insert.
    let image = std::fs::read(&ins.inserted[0]).expect("read ko");
    let mut other = f.clone();
    other.kernel_release = "6.1.0-55-cloud-amd64".into();
    let err = peregrine_loader::auto::check_module(&image, "built", &other).expect_err("refused");
    assert!(err.contains("vermagic"), "{err}");
}
