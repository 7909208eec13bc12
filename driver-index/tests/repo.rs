//! A real repository on disk, served on 127.0.0.1 and mirrored back through HTTP.

use ed25519_dalek::SigningKey;
use peregrine_driver_index::{
    fetch, modinfo, repo, serve, FetchError, FetchOptions, Fetcher, Index,
};
use std::path::Path;
use std::time::{Duration, Instant};

fn make_repo(dir: &Path) {
    for release in ["6.1.0-10-amd64", "6.1.0-13-amd64"] {
        let sub = dir.join("x86_64");
        std::fs::create_dir_all(&sub).expect("mkdir");
        let ko = modinfo::fake_module(
            &format!("{release} SMP preempt mod_unload modversions "),
            "1.0.0",
            "1.0.0",
        );
        let name = format!("peregrine_debian_{release}.ko");
        std::fs::write(sub.join(&name), ko).expect("write ko");
        std::fs::write(
            sub.join(format!("{name}.uname-v")),
            "#1 SMP PREEMPT_DYNAMIC Debian 6.1.38-2 (2023-07-27)\n",
        )
        .expect("write uname-v");
    }
}

fn quick() -> Fetcher {
    Fetcher::new(FetchOptions {
        timeout: Duration::from_secs(2),
        retries: 1,
        backoff: Duration::from_millis(50),
        ca_bundle: None,
    })
    .expect("fetcher")
}

#[test]
fn build_sign_serve_mirror_verify() {
    let src = tempfile::tempdir().expect("tempdir");
    make_repo(src.path());
    let key = SigningKey::from_bytes(&[3u8; 32]);
    let index = repo::build(src.path(), "debian", Some(&key)).expect("build");
    assert_eq!(index.artifacts.len(), 2);
    assert!(index.artifacts[0]
        .kernel_version
        .contains("Debian 6.1.38-2"));
    fetch::write_atomic(&src.path().join(repo::INDEX_FILE), &index.to_json()).expect("write index");
    assert!(repo::verify(src.path(), Some(&key.verifying_key()), false)
        .expect("verify")
        .is_empty());

    let addr = serve::spawn(src.path().to_path_buf(), "127.0.0.1:0").expect("serve");
    let url = format!("http://{addr}");
    let dst = tempfile::tempdir().expect("tempdir");
    let only = vec!["6.1.0-13-amd64".to_string()];
    let r = repo::mirror(
        &quick(),
        &url,
        dst.path(),
        &only,
        Some(&key.verifying_key()),
    )
    .expect("mirror");
    assert_eq!((r.fetched, r.already_present, r.skipped), (1, 0, 1));
    // Partial mirror: verifies with --allow-missing, signature intact.
    assert!(repo::verify(dst.path(), Some(&key.verifying_key()), true)
        .expect("verify")
        .is_empty());
    assert_eq!(
        repo::verify(dst.path(), None, false).expect("verify").len(),
        1
    );

    // Resumes: a second full run fetches only what is missing.
    let r = repo::mirror(&quick(), &url, dst.path(), &[], None).expect("mirror");
    assert_eq!((r.fetched, r.already_present), (1, 1));

    // A corrupted local copy is detected and replaced on the next run.
    let one = dst.path().join(&index.artifacts[0].file);
    std::fs::write(&one, b"junk").expect("corrupt");
    assert_eq!(
        repo::verify(dst.path(), None, false).expect("verify").len(),
        1
    );
    let r = repo::mirror(&quick(), &url, dst.path(), &[], None).expect("mirror");
    assert_eq!(r.fetched, 1);
    assert!(repo::verify(dst.path(), None, false)
        .expect("verify")
        .is_empty());
}

#[test]
fn tampered_artifact_is_refused_and_leaves_nothing() {
    let src = tempfile::tempdir().expect("tempdir");
    make_repo(src.path());
    let index = repo::build(src.path(), "debian", None).expect("build");
    fetch::write_atomic(&src.path().join(repo::INDEX_FILE), &index.to_json()).expect("write index");
    let a = &index.artifacts[0];
    let mut bytes = std::fs::read(src.path().join(&a.file)).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(src.path().join(&a.file), &bytes).expect("tamper");

    let addr = serve::spawn(src.path().to_path_buf(), "127.0.0.1:0").expect("serve");
    let dst = tempfile::tempdir().expect("tempdir");
    let err = repo::mirror(&quick(), &format!("http://{addr}"), dst.path(), &[], None)
        .expect_err("must refuse");
    assert!(err.to_string().contains("sha256"), "{err}");
    assert!(!dst.path().join(&a.file).exists());
    assert!(!dst.path().join(repo::INDEX_FILE).exists());
    assert_eq!(
        repo::verify(src.path(), None, false).expect("verify").len(),
        1
    );
}

#[test]
fn signature_from_another_key_is_refused() {
    let src = tempfile::tempdir().expect("tempdir");
    make_repo(src.path());
    let index = repo::build(
        src.path(),
        "debian",
        Some(&SigningKey::from_bytes(&[1u8; 32])),
    )
    .expect("build");
    fetch::write_atomic(&src.path().join(repo::INDEX_FILE), &index.to_json()).expect("write index");
    let other = SigningKey::from_bytes(&[2u8; 32]).verifying_key();
    let addr = serve::spawn(src.path().to_path_buf(), "127.0.0.1:0").expect("serve");
    let dst = tempfile::tempdir().expect("tempdir");
    let err = repo::mirror(
        &quick(),
        &format!("http://{addr}"),
        dst.path(),
        &[],
        Some(&other),
    )
    .expect_err("refuse");
    assert!(err.to_string().contains("signature"), "{err}");
    let parsed = Index::parse(&index.to_json(), "x").expect("parse");
    assert!(parsed.verify_signature(&other, "x").is_err());
}

#[test]
fn stalled_server_times_out() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s); // accept and never answer
        }
    });
    let start = Instant::now();
    let err = quick()
        .get(&format!("http://{addr}/index.json"), 1024)
        .expect_err("timeout");
    assert!(matches!(err, FetchError::Timeout { .. }), "{err}");
    assert!(start.elapsed() < Duration::from_secs(15));
}

#[test]
fn truncated_body_is_refused() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for mut s in listener.incoming().flatten() {
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b");
        }
    });
    let dst = tempfile::tempdir().expect("tempdir");
    let dest = dst.path().join("m.ko");
    let err = quick()
        .fetch_verified(&format!("http://{addr}/m.ko"), 100, &"0".repeat(64), &dest)
        .expect_err("truncated");
    assert!(!dest.exists(), "{err}");
    assert_eq!(std::fs::read_dir(dst.path()).expect("ls").count(), 0);
}

#[test]
fn missing_file_is_404() {
    let src = tempfile::tempdir().expect("tempdir");
    let addr = serve::spawn(src.path().to_path_buf(), "127.0.0.1:0").expect("serve");
    let err = quick()
        .get(&format!("http://{addr}/nope.ko"), 10)
        .expect_err("404");
    assert!(matches!(err, FetchError::NotFound { .. }), "{err}");
    let err = quick()
        .get(&format!("http://{addr}/../etc/passwd"), 10)
        .expect_err("404");
    assert!(
        matches!(
            err,
            FetchError::NotFound { .. } | FetchError::Transport { .. }
        ),
        "{err}"
    );
}

#[test]
fn transient_failure_is_retried_with_backoff() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for (n, mut s) in listener.incoming().flatten().enumerate() {
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf);
            let reply: &[u8] = if n == 0 {
                b"HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n"
            } else {
                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
            };
            let _ = s.write_all(reply);
        }
    });
    let url = format!("http://{addr}/x");
    assert_eq!(quick().get(&url, 10).expect("second attempt"), b"ok");
    let no_retry = Fetcher::new(FetchOptions {
        retries: 0,
        ..FetchOptions::default()
    })
    .expect("fetcher");
    // The server answers 200 from now on; a 404 or 503 is never cached as success.
    assert_eq!(no_retry.get(&url, 10).expect("ok"), b"ok");
}

#[test]
fn a_ca_bundle_without_certificates_is_refused_by_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pem = dir.path().join("ca.pem");
    std::fs::write(&pem, "not a certificate\n").expect("write");
    let err = Fetcher::new(FetchOptions {
        ca_bundle: Some(pem.clone()),
        ..FetchOptions::default()
    })
    .err()
    .expect("refused");
    assert!(
        err.to_string().contains(&pem.display().to_string()),
        "{err}"
    );
}
