//! The `peregrine-driver-index` binary end to end: keygen, build (signed), serve, mirror,
//! verify, explain, and their exit codes.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_peregrine-driver-index");

fn run(args: &[&str]) -> (i32, String) {
    let out = Command::new(BIN).args(args).output().expect("run");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn serve(dir: &Path) -> (Server, String) {
    let addr = format!("127.0.0.1:{}", free_port());
    let child = Command::new(BIN)
        .args(["serve", &dir.display().to_string(), "--listen", &addr])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn serve");
    let start = Instant::now();
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "serve did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    (Server(child), format!("http://{addr}"))
}

#[test]
fn signed_repository_round_trip_through_the_binary() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(repo.join("x86_64")).expect("mkdir");
    for r in ["6.1.0-10-amd64", "6.1.0-13-amd64"] {
        let ko =
            peregrine_driver_index::modinfo::fake_module(&format!("{r} SMP "), "1.0.0", "1.0.0");
        std::fs::write(repo.join(format!("x86_64/peregrine_debian_{r}.ko")), ko).expect("write");
    }
    let keys = tmp.path().join("k");
    let s = |p: &Path| p.display().to_string();
    assert_eq!(run(&["keygen", &s(&keys)]).0, 0);
    let (code, text) = run(&[
        "build",
        &s(&repo),
        "--signing-key",
        &s(&keys.with_extension("key")),
    ]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("2 artifact(s), signed"), "{text}");
    let pubkey = s(&keys.with_extension("pub"));
    assert_eq!(run(&["verify", &s(&repo), "--public-key", &pubkey]).0, 0);

    let (_server, url) = serve(&repo);
    let mirror = tmp.path().join("mirror");
    let (code, text) = run(&[
        "mirror",
        "--from",
        &url,
        "--to",
        &s(&mirror),
        "--kernel-release",
        "6.1.0-10-amd64",
        "--public-key",
        &pubkey,
        "--timeout",
        "5",
    ]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("fetched 1"), "{text}");
    let (code, text) = run(&["verify", &s(&mirror), "--public-key", &pubkey]);
    assert_eq!(code, 3, "a partial mirror misses a file: {text}");
    assert_eq!(
        run(&[
            "verify",
            &s(&mirror),
            "--public-key",
            &pubkey,
            "--allow-missing"
        ])
        .0,
        0
    );

    let (code, text) = run(&[
        "explain",
        "--repo",
        &url,
        "--kernel-release",
        "6.1.0-10-amd64",
    ]);
    assert_eq!(code, 0, "{text}");
    let (code, text) = run(&[
        "explain",
        "--repo",
        &s(&mirror),
        "--kernel-release",
        "6.1.0-11-amd64",
    ]);
    assert_eq!(code, 4, "{text}");
    assert!(
        text.contains("nearest kernels in the index: 6.1.0-10-amd64"),
        "{text}"
    );

    // Tamper with the served copy: verify reports it, mirror refuses it.
    std::fs::write(
        repo.join("x86_64/peregrine_debian_6.1.0-13-amd64.ko"),
        b"evil",
    )
    .expect("tamper");
    let (code, text) = run(&["verify", &s(&repo)]);
    assert_eq!(code, 3, "{text}");
    let (code, text) = run(&[
        "mirror",
        "--from",
        &url,
        "--to",
        &s(&mirror),
        "--timeout",
        "5",
    ]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("sha256") || text.contains("bytes"), "{text}");
    assert!(!mirror
        .join("x86_64/peregrine_debian_6.1.0-13-amd64.ko")
        .exists());
}
