//! `auto` against a fake HOST_ROOT and repositories served by `peregrine-driver-index serve`
//! on 127.0.0.1. Nothing is ever inserted: a dry-run inserter records what would be.

use peregrine_driver_index::{fetch, modinfo, repo, serve, FetchOptions};
use peregrine_loader::auto::{auto, AutoConfig, Decision, Step};
use peregrine_loader::build::BuildConfig;
use peregrine_loader::detect::{detect, HostFacts, Overrides};
use peregrine_loader::insert::{DryRun, Inserter};
use peregrine_loader::repos::RepoConfig;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const RELEASE: &str = "6.1.0-10-amd64";
const UNAME_V: &str = "#1 SMP PREEMPT_DYNAMIC Debian 6.1.38-2 (2023-07-27)";

fn host(dir: &Path, modules: bool) -> HostFacts {
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
fn make_repo(dir: &Path, vermagic_release: &str, api: &str) -> PathBuf {
    let sub = dir.join("x86_64");
    std::fs::create_dir_all(&sub).expect("mkdir");
    let ko = modinfo::fake_module(
        &format!("{vermagic_release} SMP preempt mod_unload "),
        "1.0.0",
        api,
    );
    let name = format!("peregrine_debian_{vermagic_release}.ko");
    std::fs::write(sub.join(&name), ko).expect("write");
    std::fs::write(sub.join(format!("{name}.uname-v")), UNAME_V).expect("write");
    write_index(dir);
    dir.join("x86_64").join(name)
}

fn write_index(dir: &Path) {
    let index = repo::build(dir, "debian", None).expect("build");
    fetch::write_atomic(&dir.join("index.json"), &index.to_json()).expect("index");
}

fn config(tmp: &Path, repos: Vec<String>) -> AutoConfig {
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
        },
        ebpf_check: Box::new(|| Ok(())),
    }
}

fn served(dir: &Path) -> String {
    format!(
        "http://{}",
        serve::spawn(dir.to_path_buf(), "127.0.0.1:0").expect("serve")
    )
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
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

fn explain(d: &Decision) -> String {
    serde_json::to_string_pretty(&d.attempts).unwrap_or_default()
}

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

/// Fails the first insert, accepts the rest.
#[derive(Default)]
struct FailsOnce {
    calls: Vec<String>,
}

impl Inserter for FailsOnce {
    fn insert(&mut self, path: &Path) -> Result<(), String> {
        self.calls.push(format!("insert {}", path.display()));
        if self
            .calls
            .iter()
            .filter(|c| c.starts_with("insert"))
            .count()
            == 1
        {
            return Err("finit_module: Key was rejected by service".into());
        }
        Ok(())
    }
    fn remove(&mut self, name: &str) -> Result<(), String> {
        self.calls.push(format!("remove {name}"));
        Ok(())
    }
}

#[test]
fn failed_replacement_restores_the_previous_module() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo_dir = tmp.path().join("repo");
    make_repo(&repo_dir, RELEASE, "1.0.0");
    let old = tmp.path().join("old.ko");
    std::fs::write(&old, b"old").expect("write");
    let mut f = host(tmp.path(), true);
    f.loaded_module = Some("0.1.0".into());
    let mut cfg = config(tmp.path(), vec![served(&repo_dir)]);
    cfg.order = vec![Step::Loaded, Step::Prebuilt];
    let mut ins = FailsOnce::default();
    let d = auto(&f, &cfg, &mut ins, Some(&old));
    assert_eq!(d.driver, "none");
    assert_eq!(ins.calls.len(), 3, "{:?}", ins.calls);
    assert_eq!(ins.calls[2], format!("insert {}", old.display()));
    assert!(
        explain(&d).contains("restored the previous module"),
        "{}",
        explain(&d)
    );
}

#[test]
fn gzip_artifact_is_verified_then_unpacked_into_the_cache() {
    use std::io::Write as _;
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo_dir = tmp.path().join("repo");
    let ko = make_repo(&repo_dir, RELEASE, "1.0.0");
    let raw = std::fs::read(&ko).expect("read");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&raw).expect("gzip");
    let gz_path = ko.with_extension("ko.gz");
    std::fs::write(&gz_path, gz.finish().expect("gzip")).expect("write");
    std::fs::remove_file(&ko).expect("rm");
    std::fs::rename(
        ko.with_extension("ko.uname-v"),
        gz_path.with_extension("gz.uname-v"),
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
    assert_eq!(d.driver, "kmod", "{}", explain(&d));
    assert_eq!(std::fs::read(&ins.inserted[0]).expect("unpacked"), raw);
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
