//! `auto` against a fake HOST_ROOT and repositories served by `peregrine-driver-index serve`
//! on 127.0.0.1. Nothing is ever inserted: a dry-run inserter records what would be.

mod common;

use common::*;
use peregrine_driver_index::{fetch, modinfo, repo};
use peregrine_loader::auto::auto;
use peregrine_loader::insert::DryRun;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[test]
fn kernel_without_module_support_ends_on_modern_ebpf() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let f = host(tmp.path(), false);
    let mut ins = DryRun::default();
    let d = auto(&f, &config(tmp.path(), vec![]), &mut ins, None);
    assert_eq!(d.driver, "modern-ebpf");
    assert!(
        d.reason.contains("kernel without module support"),
        "{}",
        d.reason
    );
    assert!(ins.inserted.is_empty());
}

#[test]
fn verified_prebuilt_is_inserted_and_then_served_from_cache() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo_dir = tmp.path().join("repo");
    let ko = make_repo(&repo_dir, RELEASE, "1.0.0");
    let f = host(tmp.path(), true);
    let mut cfg = config(tmp.path(), vec![served(&repo_dir)]);
    let mut ins = DryRun::default();
    let d = auto(&f, &cfg, &mut ins, None);
    assert_eq!(d.driver, "kmod", "{}", explain(&d));
    assert_eq!(ins.inserted.len(), 1);
    assert!(ins.inserted[0].starts_with(tmp.path().join("cache").join(RELEASE)));
    // Offline now: the repository loses its files, --no-download still decides from the cache.
    std::fs::remove_file(ko).expect("rm");
    std::fs::remove_file(repo_dir.join("index.json")).expect("rm");
    cfg.repos.no_download = true;
    let mut ins = DryRun::default();
    let d = auto(&f, &cfg, &mut ins, None);
    assert_eq!(d.driver, "kmod", "{}", explain(&d));
    assert!(explain(&d).contains("verified in the cache"));
}

#[test]
fn tampered_artifact_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo_dir = tmp.path().join("repo");
    let ko = make_repo(&repo_dir, RELEASE, "1.0.0");
    let mut bytes = std::fs::read(&ko).expect("read");
    bytes[0x40] ^= 0x5a;
    std::fs::write(&ko, bytes).expect("tamper");
    let f = host(tmp.path(), true);
    let mut ins = DryRun::default();
    let d = auto(
        &f,
        &config(tmp.path(), vec![served(&repo_dir)]),
        &mut ins,
        None,
    );
    assert_eq!(d.driver, "modern-ebpf");
    assert!(explain(&d).contains("sha256"), "{}", explain(&d));
    assert!(ins.inserted.is_empty());
    assert!(!files_under(&tmp.path().join("cache"))
        .iter()
        .any(|p| p.to_string_lossy().contains(".ko")));
}

#[test]
fn truncated_download_is_refused_and_cache_left_clean() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo_dir = tmp.path().join("repo");
    make_repo(&repo_dir, RELEASE, "1.0.0");
    let index = std::fs::read(repo_dir.join("index.json")).expect("index");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            let mut buf = [0u8; 2048];
            let n = s.read(&mut buf).unwrap_or(0);
            let req = String::from_utf8_lossy(&buf[..n]).into_owned();
            if req.starts_with("GET /index.json") {
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
                    index.len()
                );
                let _ = s.write_all(&index);
            } else {
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n\x7fELF cut short");
            }
        }
    });
    let f = host(tmp.path(), true);
    let mut ins = DryRun::default();
    let d = auto(
        &f,
        &config(tmp.path(), vec![format!("http://{addr}")]),
        &mut ins,
        None,
    );
    assert_eq!(d.driver, "modern-ebpf", "{}", explain(&d));
    assert!(ins.inserted.is_empty());
    let left: Vec<PathBuf> = files_under(&tmp.path().join("cache").join(RELEASE));
    assert!(left.is_empty(), "partial files left: {left:?}");
}

#[test]
fn not_found_moves_to_the_next_repository() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let broken = tmp.path().join("broken");
    let ko = make_repo(&broken, RELEASE, "1.0.0");
    std::fs::remove_file(ko).expect("rm"); // index lists it, GET gives 404
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).expect("mkdir"); // no index at all
    let good = tmp.path().join("good");
    make_repo(&good, RELEASE, "1.0.0");
    let good_url = served(&good);
    let f = host(tmp.path(), true);
    let mut ins = DryRun::default();
    let cfg = config(
        tmp.path(),
        vec![served(&empty), served(&broken), good_url.clone()],
    );
    let d = auto(&f, &cfg, &mut ins, None);
    assert_eq!(d.driver, "kmod", "{}", explain(&d));
    assert_eq!(d.module.as_ref().map(|m| m.source.clone()), Some(good_url));
    assert!(explain(&d).contains("404"), "{}", explain(&d));
}

#[test]
fn stalled_repository_times_out_and_the_next_one_is_used() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let stalled = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    let good = tmp.path().join("good");
    make_repo(&good, RELEASE, "1.0.0");
    let f = host(tmp.path(), true);
    let mut ins = DryRun::default();
    let start = Instant::now();
    let d = auto(
        &f,
        &config(tmp.path(), vec![stalled, served(&good)]),
        &mut ins,
        None,
    );
    assert_eq!(d.driver, "kmod", "{}", explain(&d));
    assert!(explain(&d).contains("timed out"), "{}", explain(&d));
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn wrong_vermagic_is_never_inserted() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo_dir = tmp.path().join("repo");
    let ko = make_repo(&repo_dir, "6.1.0-9-amd64", "1.0.0");
    // The index claims the running kernel; the module's vermagic says otherwise.
    let wanted = repo_dir
        .join("x86_64")
        .join(format!("peregrine_debian_{RELEASE}.ko"));
    std::fs::rename(&ko, &wanted).expect("mv");
    let mut index = repo::build(&repo_dir, "debian", None).expect("build");
    index.artifacts[0].kernel_release = RELEASE.into();
    fetch::write_atomic(&repo_dir.join("index.json"), &index.to_json()).expect("index");
    let f = host(tmp.path(), true);
    let mut ins = DryRun::default();
    let d = auto(
        &f,
        &config(tmp.path(), vec![served(&repo_dir)]),
        &mut ins,
        None,
    );
    assert!(ins.inserted.is_empty());
    assert_eq!(d.driver, "modern-ebpf");
    assert!(explain(&d).contains("vermagic"), "{}", explain(&d));
}

#[test]
fn incompatible_api_is_not_chosen() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo_dir = tmp.path().join("repo");
    make_repo(&repo_dir, RELEASE, "99.0.0");
    let f = host(tmp.path(), true);
    let mut ins = DryRun::default();
    let d = auto(
        &f,
        &config(tmp.path(), vec![served(&repo_dir)]),
        &mut ins,
        None,
    );
    assert!(ins.inserted.is_empty());
    assert!(
        explain(&d).contains("no kmod for kernel"),
        "{}",
        explain(&d)
    );
}

#[test]
fn compressed_artifacts_are_verified_then_unpacked_into_the_cache() {
    for ext in PACKED {
        let tmp = tempfile::tempdir().expect("tempdir");
        let repo_dir = tmp.path().join("repo");
        let ko = make_repo(&repo_dir, RELEASE, "1.0.0");
        let raw = std::fs::read(&ko).expect("read");
        let packed_path = ko.with_extension(format!("ko.{ext}"));
        std::fs::write(&packed_path, pack(&raw, ext)).expect("write");
        std::fs::remove_file(&ko).expect("rm");
        std::fs::rename(
            ko.with_extension("ko.uname-v"),
            packed_path.with_extension(format!("{ext}.uname-v")),
        )
        .expect("mv");
        write_index(&repo_dir);
        let f = host(tmp.path(), true);
        let mut ins = DryRun::default();
        let d = auto(
            &f,
            &config(tmp.path(), vec![served(&repo_dir)]),
            &mut ins,
            None,
        );
        assert_eq!(d.driver, "kmod", "{ext}: {}", explain(&d));
        let inserted = std::fs::read(&ins.inserted[0]).expect("unpacked");
        assert!(
            inserted == raw,
            "{ext}: the inserted image is not the module"
        );
    }
}

#[test]
fn lockdown_refuses_unsigned_modules_and_accepts_signed_ones() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo_dir = tmp.path().join("repo");
    let ko = make_repo(&repo_dir, RELEASE, "1.0.0");
    let mut f = host(tmp.path(), true);
    f.lockdown = Some("integrity".into());
    let mut ins = DryRun::default();
    let d = auto(
        &f,
        &config(tmp.path(), vec![served(&repo_dir)]),
        &mut ins,
        None,
    );
    assert!(ins.inserted.is_empty());
    assert_eq!(d.driver, "modern-ebpf");
    assert!(d.reason.contains("unsigned"), "{}", d.reason);
    assert!(d.reason.contains("lockdown is integrity"), "{}", d.reason);

    // A module with an appended signature goes on to the kernel, which verifies it.
    let mut signed = std::fs::read(&ko).expect("read");
    signed.extend_from_slice(&[0u8; 16]);
    signed.extend_from_slice(modinfo::SIGNATURE_MARKER);
    std::fs::write(&ko, signed).expect("write");
    write_index(&repo_dir);
    let tmp2 = tempfile::tempdir().expect("tempdir");
    let mut ins = DryRun::default();
    let d = auto(
        &f,
        &config(tmp2.path(), vec![served(&repo_dir)]),
        &mut ins,
        None,
    );
    assert_eq!(d.driver, "kmod", "{}", explain(&d));
    assert_eq!(ins.inserted.len(), 1);
}
