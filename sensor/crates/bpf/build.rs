//! Compiles the CO-RE probe in kmod/bpf with clang (BPF target) into OUT_DIR,
//! where src/probe.rs embeds it. The probe is built against the checked-in
//! kmod/bpf/vmlinux.h, never against the build machine's running kernel.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let kmod = manifest.join("../../../kmod");
    let bpf = kmod.join("bpf");
    let include = kmod.join("include");
    let out =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("probe.bpf.o");

    for dir in [&bpf, &include.join("peregrine")] {
        println!("cargo:rerun-if-changed={}", dir.display());
        if let Ok(rd) = std::fs::read_dir(dir) {
            for e in rd.flatten() {
                println!("cargo:rerun-if-changed={}", e.path().display());
            }
        }
    }
    println!("cargo:rerun-if-env-changed=PEREGRINE_BPF_CLANG");

    let clang = std::env::var("PEREGRINE_BPF_CLANG").unwrap_or_else(|_| "clang-19".into());
    let status = Command::new(&clang)
        .args([
            "-target",
            "bpf",
            "-O2",
            "-g",
            "-D__TARGET_ARCH_x86",
            "-Wall",
            "-Werror",
        ])
        .arg("-Wno-unused-function")
        .arg(format!("-I{}", bpf.display()))
        .arg(format!("-I{}", include.display()))
        .arg("-c")
        .arg(bpf.join("probe.bpf.c"))
        .arg("-o")
        .arg(&out)
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => panic!("{clang} failed to compile kmod/bpf/probe.bpf.c ({s})"),
        Err(e) => panic!(
            "cannot run {clang} ({e}): install clang-19 (scripts/install-deps.sh) or set PEREGRINE_BPF_CLANG"
        ),
    }
}
