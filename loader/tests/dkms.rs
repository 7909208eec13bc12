//! The build step through DKMS: a fake `dkms` (a shell script that records its arguments and
//! drops a fake module where DKMS puts one) and a fake HOST_ROOT holding headers and a DKMS
//! source tree. DKMS is used when present, kbuild when it fails, and only DKMS under lockdown.

mod common;

use common::*;
use peregrine_driver_index::modinfo;
use peregrine_loader::auto::{auto, Step};
use peregrine_loader::insert::DryRun;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Headers and `/usr/src/peregrine-1.0.0/dkms.conf` under the fake host root.
fn host_with_sources(tmp: &Path) -> peregrine_loader::detect::HostFacts {
    let f = host(tmp, true);
    for (p, s) in [
        (format!("lib/modules/{RELEASE}/build/Makefile"), "all:\n"),
        (
            "usr/src/peregrine-1.0.0/dkms.conf".into(),
            "PACKAGE_NAME=\"peregrine\"\n",
        ),
        ("usr/src/peregrine-1.0.0/prg_main.c".into(), "\n"),
    ] {
        let path = f.host_root.join(p);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, s).expect("write");
    }
    f
}

fn script(path: &Path, body: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, format!("#!/bin/sh\n{body}")).expect("write");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// A module for RELEASE, with an appended signature when `signed`.
fn module(tmp: &Path, signed: bool) -> PathBuf {
    let mut ko = modinfo::fake_module(
        &format!("{RELEASE} SMP preempt mod_unload "),
        "1.0.0",
        "1.0.0",
    );
    if signed {
        ko.extend_from_slice(&[0u8; 16]);
        ko.extend_from_slice(modinfo::SIGNATURE_MARKER);
    }
    let p = tmp.join(if signed { "signed.ko" } else { "built.ko" });
    std::fs::write(&p, ko).expect("write");
    p
}

/// `bin/dkms`: appends its arguments to `dkms.calls`; `build` exits `build_rc`, else puts
/// `ko` where DKMS keeps a built module.
fn fake_dkms(tmp: &Path, ko: &Path, build_rc: u8) -> PathBuf {
    fake_dkms_leaving(tmp, ko, build_rc, "peregrine.ko")
}

/// As [`fake_dkms`], the module left under the file name `name`.
fn fake_dkms_leaving(tmp: &Path, ko: &Path, build_rc: u8, name: &str) -> PathBuf {
    let calls = tmp.join("dkms.calls");
    let body = format!(
        r#"echo "$*" >>'{calls}'
action=$1; shift
tree=; k=
while [ $# -gt 0 ]; do
	case $1 in --dkmstree) tree=$2; shift ;; -k) k=$2; shift ;; esac
	shift
done
case $action in
add) mkdir -p "$tree/peregrine/1.0.0" ;;
build)
	[ {build_rc} -eq 0 ] || {{ echo 'make: *** [modules] Error 2' >&2; exit {build_rc}; }}
	mkdir -p "$tree/peregrine/1.0.0/$k/x86_64/module"
	cp '{ko}' "$tree/peregrine/1.0.0/$k/x86_64/module/{name}" ;;
esac
"#,
        calls = calls.display(),
        ko = ko.display()
    );
    script(&tmp.join("bin/dkms"), &body);
    tmp.join("bin")
}

fn calls(tmp: &Path) -> Vec<String> {
    std::fs::read_to_string(tmp.join("dkms.calls"))
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn dkms_builds_and_installs_when_present() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let f = host_with_sources(tmp.path());
    let bin = fake_dkms(tmp.path(), &module(tmp.path(), false), 0);
    let mut cfg = config(tmp.path(), vec![]);
    cfg.order = vec![Step::Build, Step::ModernEbpf];
    cfg.build.dkms = peregrine_loader::dkms::find(&f.host_root, Some(bin.as_os_str()));
    assert_eq!(cfg.build.dkms, Some(bin.join("dkms")));
    let mut ins = DryRun::default();
    let d = auto(&f, &cfg, &mut ins, None);
    assert_eq!(d.driver, "kmod", "{}", explain(&d));
    assert_eq!(d.module.as_ref().map(|m| m.source.as_str()), Some("dkms"));
    let tree = f.host_root.join("var/lib/dkms");
    assert_eq!(
        ins.inserted,
        [tree.join(format!(
            "peregrine/1.0.0/{RELEASE}/x86_64/module/peregrine.ko"
        ))]
    );
    let c = calls(tmp.path());
    let actions: Vec<&str> = c.iter().filter_map(|l| l.split(' ').next()).collect();
    assert_eq!(actions, ["add", "build", "install"], "{c:?}");
    let headers = f.host_root.join(format!("lib/modules/{RELEASE}/build"));
    assert!(
        c[1].contains("-m peregrine -v 1.0.0")
            && c[1].contains(&format!("-k {RELEASE}"))
            && c[1].contains(&format!("--kernelsourcedir {}", headers.display()))
            && c[1].contains(&format!("--dkmstree {}", tree.display())),
        "{c:?}"
    );
    // Added already: a rerun builds and installs only.
    let mut ins = DryRun::default();
    let d = auto(&f, &cfg, &mut ins, None);
    assert_eq!(d.driver, "kmod", "{}", explain(&d));
    assert_eq!(calls(tmp.path()).len(), 5);
}

/// Debian's 6.12 kernels compress their modules with xz, and DKMS compresses
/// what it builds to match: `peregrine.ko.xz` (or .zst, .gz) is unpacked and
/// the plain image inserted. It used to be "holds no peregrine.ko" and a
/// needless kbuild.
#[test]
fn dkms_module_compressed_like_the_kernels_is_unpacked() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let f = host_with_sources(tmp.path());
    let plain = std::fs::read(module(tmp.path(), false)).expect("read");
    for ext in PACKED {
        let name = format!("peregrine.ko.{ext}");
        let ko = tmp.path().join(&name);
        std::fs::write(&ko, pack(&plain, ext)).expect("write");
        let _ = std::fs::remove_dir_all(f.host_root.join("var/lib/dkms"));
        let bin = fake_dkms_leaving(tmp.path(), &ko, 0, &name);
        let mut cfg = config(tmp.path(), vec![]);
        cfg.order = vec![Step::Build];
        cfg.build.dkms = Some(bin.join("dkms"));
        let mut ins = DryRun::default();
        let d = auto(&f, &cfg, &mut ins, None);
        assert_eq!(d.driver, "kmod", "{name}: {}", explain(&d));
        assert_eq!(d.module.as_ref().map(|m| m.source.as_str()), Some("dkms"));
        assert_eq!(ins.inserted.len(), 1, "{name}");
        let inserted = std::fs::read(&ins.inserted[0]).expect("read inserted");
        assert!(
            inserted == plain,
            "{name}: the inserted image is not the plain module"
        );
    }
}

#[test]
fn failed_dkms_build_falls_back_to_kbuild() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let f = host_with_sources(tmp.path());
    let ko = module(tmp.path(), false);
    let bin = fake_dkms(tmp.path(), &ko, 10);
    // make -C HEADERS M=DIR modules: drops the module into DIR.
    script(
        &tmp.path().join("make"),
        &format!(
            "for a; do case $a in M=*) cp '{}' \"${{a#M=}}/peregrine.ko\" ;; esac; done\n",
            ko.display()
        ),
    );
    let mut cfg = config(tmp.path(), vec![]);
    cfg.order = vec![Step::Build, Step::ModernEbpf];
    cfg.build.dkms = Some(bin.join("dkms"));
    cfg.build.make = tmp.path().join("make");
    let mut ins = DryRun::default();
    let d = auto(&f, &cfg, &mut ins, None);
    assert_eq!(d.driver, "kmod", "{}", explain(&d));
    assert_eq!(d.module.as_ref().map(|m| m.source.as_str()), Some("kbuild"));
    let text = explain(&d);
    assert!(
        text.contains("dkms build failed") && text.contains("trying kbuild"),
        "{text}"
    );
}

#[test]
fn under_lockdown_only_a_signed_dkms_module_goes_in() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut f = host_with_sources(tmp.path());
    f.lockdown = Some("integrity".into());
    let mut cfg = config(tmp.path(), vec![]);
    cfg.order = vec![Step::Build];
    // No DKMS: kbuild is not even tried, and the reason names the way out.
    let d = auto(&f, &cfg, &mut DryRun::default(), None);
    assert_eq!(d.driver, "none");
    assert!(
        explain(&d).contains("install dkms with an enrolled MOK key"),
        "{}",
        explain(&d)
    );
    // DKMS signing with the host's MOK key: accepted for the kernel to verify.
    let bin = fake_dkms(tmp.path(), &module(tmp.path(), true), 0);
    cfg.build.dkms = Some(bin.join("dkms"));
    let mut ins = DryRun::default();
    let d = auto(&f, &cfg, &mut ins, None);
    assert_eq!(d.driver, "kmod", "{}", explain(&d));
    assert_eq!(ins.inserted.len(), 1);
}

#[test]
fn the_binary_finds_dkms_on_path() {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let caps = peregrine_loader::detect::cap_eff(&status).unwrap_or(0);
    if caps & (1 << 16) == 0 {
        eprintln!("skipped: no CAP_SYS_MODULE, the kmod steps would be skipped");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let f = host_with_sources(tmp.path());
    std::fs::write(f.host_root.join("proc/sys/kernel/arch"), "x86_64\n").expect("write");
    let bin = fake_dkms(tmp.path(), &module(tmp.path(), false), 0);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_peregrine-loader"))
        .arg("--host-root")
        .arg(&f.host_root)
        .arg("--decision-file")
        .arg(tmp.path().join("driver.json"))
        .arg("--cache-dir")
        .arg(tmp.path().join("cache"))
        .args([
            "--dry-run",
            "--explain",
            "auto",
            "--order",
            "build",
            "--repos-file",
        ])
        .arg(tmp.path().join("none"))
        .env("PATH", path)
        .env_remove("PEREGRINE_DRIVER_REPOS")
        .output()
        .expect("run");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("with dkms would be inserted"), "{text}");
    assert_eq!(calls(tmp.path()).len(), 3, "{text}");
}
