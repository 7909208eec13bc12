//! The `peregrine-loader` binary on this very host.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_peregrine-loader");

#[test]
fn auto_on_this_host_writes_a_decision_and_explains_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let decision = tmp.path().join("run/driver.json");
    let out = Command::new(BIN)
        .args(["--decision-file", &decision.display().to_string()])
        .args([
            "--cache-dir",
            &tmp.path().join("cache").display().to_string(),
        ])
        .args(["--explain", "--dry-run", "auto", "--no-download"])
        .args([
            "--repos-file",
            &tmp.path().join("none").display().to_string(),
        ])
        .env_remove("PEREGRINE_DRIVER_REPOS")
        .output()
        .expect("run");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let code = out.status.code().unwrap_or(-1);
    assert!(code == 0 || code == 3, "{text}");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&decision).expect("decision file")).expect("json");
    assert!(text.contains("[no] prebuilt"), "{text}");
    if !std::path::Path::new("/proc/modules").exists() {
        // This machine's kernel has CONFIG_MODULES off: the modern probe, and why.
        assert!(text.contains("kernel without module support"), "{text}");
        if code == 0 {
            assert_eq!(json["driver"], "modern-ebpf", "{text}");
        }
    }
}

#[test]
fn cleanup_removes_the_decision_and_cache() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let decision = tmp.path().join("driver.json");
    let cache = tmp.path().join("cache");
    std::fs::create_dir_all(cache.join("6.1.0-10-amd64")).expect("mkdir");
    std::fs::write(&decision, br#"{"driver":"modern-ebpf","module":null}"#).expect("write");
    let out = Command::new(BIN)
        .args(["--decision-file", &decision.display().to_string()])
        .args([
            "--cache-dir",
            &cache.display().to_string(),
            "--dry-run",
            "cleanup",
        ])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!decision.exists() && !cache.exists());
}

#[test]
fn unknown_step_is_a_usage_error_naming_it() {
    let out = Command::new(BIN)
        .args(["auto", "--order", "prebuilt,dkms"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"dkms\""));
}

#[test]
fn another_kernel_is_prepared_but_never_inserted() {
    use peregrine_driver_index::{fetch, modinfo, repo, serve};
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("host");
    std::fs::create_dir_all(root.join("proc/sys/kernel")).expect("mkdir");
    std::fs::write(root.join("proc/sys/kernel/osrelease"), "6.1.0-10-amd64\n").expect("write");
    std::fs::write(root.join("proc/modules"), "").expect("write");
    let repo_dir = tmp.path().join("repo");
    std::fs::create_dir_all(repo_dir.join("x86_64")).expect("mkdir");
    let next = "6.1.0-11-amd64";
    let ko = modinfo::fake_module(&format!("{next} SMP "), "1.0.0", "1.0.0");
    std::fs::write(
        repo_dir.join(format!("x86_64/peregrine_debian_{next}.ko")),
        ko,
    )
    .expect("write");
    let index = repo::build(&repo_dir, "debian", None).expect("build");
    fetch::write_atomic(&repo_dir.join("index.json"), &index.to_json()).expect("index");
    let addr = serve::spawn(repo_dir, "127.0.0.1:0").expect("serve");
    let decision = tmp.path().join("driver.json");
    let out = Command::new(BIN)
        .args(["--host-root", &root.display().to_string()])
        .args(["--decision-file", &decision.display().to_string()])
        .args([
            "--cache-dir",
            &tmp.path().join("cache").display().to_string(),
        ])
        .args([
            "auto",
            "--order",
            "prebuilt",
            "--kernel-release",
            next,
            "--kernel-version",
            "",
        ])
        .args(["--repo", &format!("http://{addr}")])
        .output()
        .expect("run");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    if !text.contains("CAP_SYS_MODULE") {
        assert!(text.contains("nothing inserted"), "{text}");
        assert!(text.contains("driver: kmod"), "{text}");
        assert!(!decision.exists(), "{text}");
        assert!(tmp.path().join("cache").join(next).exists(), "{text}");
    }
}
