//! The build step for real: kmod/module built by kbuild, and by the host's dkms, against
//! Debian headers unpacked by the VM harness (scripts/vm/fetch.sh), seen through a fake
//! HOST_ROOT. Skipped, saying so, on a machine without those headers (or without dkms).

use peregrine_driver_index::FetchOptions;
use peregrine_loader::auto::{auto, AutoConfig, Step};
use peregrine_loader::build::BuildConfig;
use peregrine_loader::detect::{detect, Overrides};
use peregrine_loader::insert::DryRun;
use peregrine_loader::repos::RepoConfig;
use std::path::{Path, PathBuf};
use std::time::Duration;

const KVER: &str = "6.1.0-56-cloud-amd64";

/// The unpacked kernel tree of the VM harness, when it holds KVER's headers.
fn vm_root() -> Option<PathBuf> {
    let cache = std::env::var_os("PEREGRINE_VM_CACHE")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/peregrine-vm"))
        })?;
    let kroot = cache.join("root/6.1.0-56");
    kroot
        .join(format!("usr/src/linux-headers-{KVER}/Makefile"))
        .exists()
        .then_some(kroot)
}

#[test]
fn builds_against_unpacked_debian_headers_and_checks_vermagic() {
    let Some(kroot) = vm_root() else {
        eprintln!("skipped: no unpacked headers for {KVER} (run scripts/vm/fetch.sh {KVER})");
        return;
    };
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

/// The same kernel through the host's real `dkms` (when installed), with every DKMS tree
/// private to the test below a fake HOST_ROOT: `add`, `build` and `install` run, the module
/// comes from DKMS's tree, and it passes the vermagic and API checks.
#[test]
fn builds_with_the_hosts_dkms_into_a_private_tree() {
    let Some(dkms) =
        peregrine_loader::dkms::find(Path::new("/"), std::env::var_os("PATH").as_deref())
    else {
        eprintln!("skipped: dkms is not installed (apt-get install dkms)");
        return;
    };
    let Some(kroot) = vm_root() else {
        eprintln!("skipped: no unpacked headers for {KVER} (run scripts/vm/fetch.sh {KVER})");
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let host = tmp.path().join("host");
    let src = host.join("usr/src");
    std::fs::create_dir_all(&src).expect("mkdir");
    for e in std::fs::read_dir(kroot.join("usr/src"))
        .expect("ls")
        .flatten()
    {
        std::os::unix::fs::symlink(e.path(), src.join(e.file_name())).expect("symlink");
    }
    let out = std::process::Command::new(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../dkms/make-source-tree.sh"),
    )
    .arg(&src)
    .output()
    .expect("make-source-tree");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let modules = host.join("lib/modules").join(KVER);
    std::fs::create_dir_all(&modules).expect("mkdir");
    // Absolute, as on a real host: resolved below the host root.
    std::os::unix::fs::symlink(
        format!("/usr/src/linux-headers-{KVER}"),
        modules.join("build"),
    )
    .expect("symlink");
    std::fs::create_dir_all(host.join("proc/sys/kernel")).expect("mkdir");
    std::fs::write(host.join("proc/sys/kernel/osrelease"), KVER).expect("write");
    std::fs::write(host.join("proc/modules"), "").expect("write");
    let mut f = detect(&host, &Overrides::default());
    f.arch = "x86_64".into();
    f.cap_eff = Some(u64::MAX);
    let cfg = AutoConfig {
        order: vec![Step::Build],
        repos: RepoConfig {
            repos: vec![],
            cache_dir: tmp.path().join("cache"),
            no_download: true,
            fetch: FetchOptions::default(),
            public_key: None,
        },
        build: BuildConfig {
            source: None,
            work_dir: tmp.path().join("build"),
            timeout: Duration::from_secs(600),
            make: "make".into(),
            dkms: Some(dkms),
        },
        ebpf_check: Box::new(|| Err("not in this test".into())),
    };
    let mut ins = DryRun::default();
    let d = auto(&f, &cfg, &mut ins, None);
    assert_eq!(d.driver, "kmod", "{:#?}", d.attempts);
    assert_eq!(
        d.module.as_ref().map(|m| m.source.as_str()),
        Some("dkms"),
        "{:#?}",
        d.attempts
    );
    // `install` runs depmod for a kernel this machine does not have installed, which fails:
    // noted, and the built module is used anyway.
    assert!(
        ins.inserted[0].starts_with(host.join("var/lib/dkms/peregrine")),
        "{:?}",
        ins.inserted
    );
}
