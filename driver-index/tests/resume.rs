//! `mirror` resumes a file cut mid-transfer with an HTTP Range on the partial download, checks
//! the whole file against the index, and discards a partial that does not verify.

use peregrine_driver_index::{fetch, modinfo, repo, serve, Artifact, FetchOptions, Fetcher};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A repository with one 64 KiB module; returns its artifact.
fn make_repo(dir: &Path) -> Artifact {
    std::fs::create_dir_all(dir.join("x86_64")).expect("mkdir");
    let mut ko = modinfo::fake_module("6.1.0-10-amd64 SMP preempt mod_unload ", "1.0.0", "1.0.0");
    // Bytes past the ELF's end are still part of the file the index describes.
    ko.extend((0..64u32 << 10).map(|i| (i * 7 % 251) as u8));
    std::fs::write(dir.join("x86_64/peregrine_debian_6.1.0-10-amd64.ko"), ko).expect("write");
    let index = repo::build(dir, "debian", None).expect("build");
    fetch::write_atomic(&dir.join(repo::INDEX_FILE), &index.to_json()).expect("index");
    index.artifacts[0].clone()
}

fn fetcher(retries: u32) -> Fetcher {
    Fetcher::new(FetchOptions {
        timeout: Duration::from_secs(5),
        retries,
        backoff: Duration::from_millis(10),
        ca_bundle: None,
    })
    .expect("fetcher")
}

/// A server over `dir` that cuts the first transfer of `cut_file` after `cut_at` bytes, and
/// ignores Range when `ignore_range`; every Range header it gets is recorded.
fn flaky_server(
    dir: &Path,
    cut_file: &str,
    cut_at: usize,
    ignore_range: bool,
) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let ranges = Arc::new(Mutex::new(Vec::new()));
    let seen = ranges.clone();
    let (dir, cut_file) = (dir.to_path_buf(), format!("/{cut_file}"));
    std::thread::spawn(move || {
        let mut cut_done = false;
        for mut s in listener.incoming().flatten() {
            let mut reader = BufReader::new(s.try_clone().expect("clone"));
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let mut range = None;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                    break;
                }
                if let Some(v) = h.strip_prefix("range: ").or(h.strip_prefix("Range: ")) {
                    range = Some(v.trim().to_string());
                }
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
            let Ok(body) = std::fs::read(dir.join(path.trim_start_matches('/'))) else {
                let _ = s.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
                continue;
            };
            if let Some(r) = &range {
                seen.lock().expect("lock").push(r.clone());
            }
            let from = range
                .as_deref()
                .and_then(|r| r.strip_prefix("bytes="))
                .and_then(|r| r.trim_end_matches('-').parse::<usize>().ok())
                .filter(|_| !ignore_range)
                .unwrap_or(0);
            if from > 0 {
                let _ = write!(
                    s,
                    "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {from}-{}/{}\r\n\r\n",
                    body.len() - from,
                    body.len() - 1,
                    body.len()
                );
                let _ = s.write_all(&body[from..]);
                continue;
            }
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            if path == cut_file && !cut_done {
                cut_done = true;
                let _ = s.write_all(&body[..cut_at]);
                let _ = s.flush();
                continue; // closes the connection mid-body
            }
            let _ = s.write_all(&body);
        }
    });
    (format!("http://{addr}"), ranges)
}

#[test]
fn a_mirror_cut_halfway_resumes_from_the_partial_and_verifies() {
    let src = tempfile::tempdir().expect("tempdir");
    let a = make_repo(src.path());
    let half = (a.size / 2) as usize;
    let (url, ranges) = flaky_server(src.path(), &a.file, half, false);
    let dst = tempfile::tempdir().expect("tempdir");
    // No retries: the cut ends this run, leaving the received half outside the tree.
    let err = repo::mirror(&fetcher(0), &url, dst.path(), &[], None).expect_err("cut");
    let partial = repo::partial_path(dst.path(), &a);
    assert_eq!(
        std::fs::metadata(&partial).map(|m| m.len()).ok(),
        Some(half as u64),
        "{err}"
    );
    assert!(!dst.path().join(&a.file).exists());
    assert!(!dst.path().join(repo::INDEX_FILE).exists());
    // The next run asks for the rest only.
    let r = repo::mirror(&fetcher(0), &url, dst.path(), &[], None).expect("resume");
    assert_eq!((r.fetched, r.resumed), (1, 1));
    assert_eq!(*ranges.lock().expect("lock"), [format!("bytes={half}-")]);
    assert!(repo::verify(dst.path(), None, false)
        .expect("verify")
        .is_empty());
    assert!(!partial.exists() && !dst.path().join(".partial").exists());
}

#[test]
fn a_cut_transfer_is_resumed_by_the_retry_of_the_same_run() {
    let src = tempfile::tempdir().expect("tempdir");
    let a = make_repo(src.path());
    let (url, ranges) = flaky_server(src.path(), &a.file, 1000, false);
    let dst = tempfile::tempdir().expect("tempdir");
    let r = repo::mirror(&fetcher(1), &url, dst.path(), &[], None).expect("mirror");
    assert_eq!(r.fetched, 1);
    assert_eq!(*ranges.lock().expect("lock"), ["bytes=1000-"]);
    assert!(repo::verify(dst.path(), None, false)
        .expect("verify")
        .is_empty());
}

#[test]
fn serve_answers_range_so_a_partial_file_resumes() {
    let src = tempfile::tempdir().expect("tempdir");
    let a = make_repo(src.path());
    let bytes = std::fs::read(src.path().join(&a.file)).expect("read");
    let addr = serve::spawn(src.path().to_path_buf(), "127.0.0.1:0").expect("serve");
    let dst = tempfile::tempdir().expect("tempdir");
    let partial = repo::partial_path(dst.path(), &a);
    std::fs::create_dir_all(partial.parent().expect("parent")).expect("mkdir");
    std::fs::write(&partial, &bytes[..bytes.len() / 3]).expect("partial");
    let r = repo::mirror(
        &fetcher(0),
        &format!("http://{addr}"),
        dst.path(),
        &[],
        None,
    )
    .expect("mirror");
    assert_eq!((r.fetched, r.resumed), (1, 1));
    assert_eq!(
        std::fs::read(dst.path().join(&a.file)).expect("read"),
        bytes
    );
}

#[test]
fn a_tampered_partial_fails_the_sha256_and_is_discarded() {
    let src = tempfile::tempdir().expect("tempdir");
    let a = make_repo(src.path());
    let mut bytes = std::fs::read(src.path().join(&a.file)).expect("read");
    let addr = serve::spawn(src.path().to_path_buf(), "127.0.0.1:0").expect("serve");
    let url = format!("http://{addr}");
    let dst = tempfile::tempdir().expect("tempdir");
    let partial = repo::partial_path(dst.path(), &a);
    std::fs::create_dir_all(partial.parent().expect("parent")).expect("mkdir");
    bytes[10] ^= 0xff;
    std::fs::write(&partial, &bytes[..bytes.len() / 2]).expect("partial");
    let err = repo::mirror(&fetcher(0), &url, dst.path(), &[], None).expect_err("tampered");
    assert!(err.to_string().contains("sha256"), "{err}");
    assert!(!partial.exists(), "the bad partial is discarded");
    assert!(!dst.path().join(&a.file).exists());
    // Starting over then succeeds.
    let r = repo::mirror(&fetcher(0), &url, dst.path(), &[], None).expect("mirror");
    assert_eq!((r.fetched, r.resumed), (1, 0));
    assert!(repo::verify(dst.path(), None, false)
        .expect("verify")
        .is_empty());
}

#[test]
fn a_server_ignoring_range_restarts_the_file() {
    let src = tempfile::tempdir().expect("tempdir");
    let a = make_repo(src.path());
    let bytes = std::fs::read(src.path().join(&a.file)).expect("read");
    let (url, ranges) = flaky_server(src.path(), "none", 0, true);
    let dst = tempfile::tempdir().expect("tempdir");
    let partial = repo::partial_path(dst.path(), &a);
    std::fs::create_dir_all(partial.parent().expect("parent")).expect("mkdir");
    std::fs::write(&partial, &bytes[..100]).expect("partial");
    let r = repo::mirror(&fetcher(0), &url, dst.path(), &[], None).expect("mirror");
    assert_eq!((r.fetched, r.resumed), (1, 0));
    assert_eq!(ranges.lock().expect("lock").len(), 1, "Range was asked for");
    assert_eq!(
        std::fs::read(dst.path().join(&a.file)).expect("read"),
        bytes
    );
}
