//! Fetching from repositories (`http://`, `https://`, `file://`) with timeouts, retries with
//! backoff, a size limit, sha256 checks and atomic writes: a file appears at its final path
//! only once it is complete and verified, so a cache never holds a partial download.

use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How to fetch.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Whole-transfer limit per attempt (connect, headers and body).
    pub timeout: Duration,
    /// Extra attempts after the first for transient failures (network, 5xx).
    pub retries: u32,
    /// Wait before the first retry; doubled for each later one.
    pub backoff: Duration,
    /// PEM bundle whose certificates replace the built-in roots (private mirrors).
    pub ca_bundle: Option<PathBuf>,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            timeout: Duration::from_secs(30),
            retries: 2,
            backoff: Duration::from_millis(500),
            ca_bundle: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: not found (404); the repository does not hold this file")]
    NotFound { url: String },
    #[error("{url}: HTTP status {code}; check the repository URL and the server")]
    Status { url: String, code: u16 },
    #[error("{url}: timed out after {secs}s; check the network or proxy (HTTPS_PROXY/NO_PROXY), or pass --no-download")]
    Timeout { url: String, secs: u64 },
    #[error("{url}: {why}; check the network, proxy variables and CA bundle")]
    Transport { url: String, why: String },
    #[error("{url}: larger than {limit} bytes; the repository serves something else than its index says")]
    TooLarge { url: String, limit: u64 },
    #[error("{url}: got {got} bytes, the index says {expected}; the transfer was cut or the file was replaced")]
    Size {
        url: String,
        expected: u64,
        got: u64,
    },
    #[error("{url}: sha256 {got} does not match the index ({expected}); the file was altered: refusing it")]
    Sha256 {
        url: String,
        expected: String,
        got: String,
    },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{url}: unsupported URL scheme; use http://, https:// or file://")]
    Scheme { url: String },
    #[error("CA bundle {path}: {why}")]
    CaBundle { path: String, why: String },
}

impl FetchError {
    /// Worth another attempt at the same URL.
    pub(crate) fn transient(&self) -> bool {
        match self {
            FetchError::Timeout { .. } | FetchError::Transport { .. } => true,
            FetchError::Status { code, .. } => *code >= 500,
            _ => false,
        }
    }
}

/// A configured HTTP client plus the `file://` path.
pub struct Fetcher {
    pub(crate) agent: ureq::Agent,
    pub(crate) opts: FetchOptions,
}

impl Fetcher {
    pub fn new(opts: FetchOptions) -> Result<Self, FetchError> {
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(path) = &opts.ca_bundle {
            let err = |why: String| FetchError::CaBundle {
                path: path.display().to_string(),
                why,
            };
            let pem = std::fs::read(path).map_err(|e| err(e.to_string()))?;
            let mut certs = Vec::new();
            for item in ureq::tls::parse_pem(&pem) {
                if let ureq::tls::PemItem::Certificate(c) = item.map_err(|e| err(e.to_string()))? {
                    certs.push(c);
                }
            }
            if certs.is_empty() {
                return Err(err("no certificate in the file".into()));
            }
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
        }
        // ureq reads HTTP(S)_PROXY, ALL_PROXY and NO_PROXY itself (Proxy::try_from_env).
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(opts.timeout))
            .http_status_as_error(false)
            .tls_config(tls.build())
            .build()
            .into();
        Ok(Fetcher { agent, opts })
    }

    /// The body at `url`, at most `limit` bytes, retried on transient failures.
    pub fn get(&self, url: &str, limit: u64) -> Result<Vec<u8>, FetchError> {
        let mut wait = self.opts.backoff;
        let mut attempt = 0;
        loop {
            match self.get_once(url, limit) {
                Err(e) if e.transient() && attempt < self.opts.retries => {
                    attempt += 1;
                    std::thread::sleep(wait);
                    wait = wait.saturating_mul(2);
                }
                other => return other,
            }
        }
    }

    fn get_once(&self, url: &str, limit: u64) -> Result<Vec<u8>, FetchError> {
        if let Some(path) = url.strip_prefix("file://") {
            return read_local(Path::new(path), url, limit);
        }
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(FetchError::Scheme { url: url.into() });
        }
        let resp = self
            .agent
            .get(url)
            .call()
            .map_err(|e| self.map_err(url, e))?;
        let code = resp.status().as_u16();
        if code == 404 {
            return Err(FetchError::NotFound { url: url.into() });
        }
        if code != 200 {
            return Err(FetchError::Status {
                url: url.into(),
                code,
            });
        }
        let mut body = Vec::new();
        resp.into_body()
            .into_reader()
            .take(limit.saturating_add(1))
            .read_to_end(&mut body)
            .map_err(|e| self.map_io(url, e))?;
        if body.len() as u64 > limit {
            return Err(FetchError::TooLarge {
                url: url.into(),
                limit,
            });
        }
        Ok(body)
    }

    pub(crate) fn map_err(&self, url: &str, e: ureq::Error) -> FetchError {
        match e {
            ureq::Error::Timeout(_) => FetchError::Timeout {
                url: url.into(),
                secs: self.opts.timeout.as_secs(),
            },
            ureq::Error::Io(io) => self.map_io(url, io),
            other => FetchError::Transport {
                url: url.into(),
                why: other.to_string(),
            },
        }
    }

    pub(crate) fn map_io(&self, url: &str, e: std::io::Error) -> FetchError {
        let text = e.to_string();
        if matches!(
            e.kind(),
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
        ) || text.contains("imeout")
        {
            FetchError::Timeout {
                url: url.into(),
                secs: self.opts.timeout.as_secs(),
            }
        } else {
            FetchError::Transport {
                url: url.into(),
                why: text,
            }
        }
    }

    /// Downloads `url`, checks size and sha256, then writes it atomically to `dest`.
    /// Returns the verified bytes. On any failure `dest` is untouched.
    pub fn fetch_verified(
        &self,
        url: &str,
        size: u64,
        sha256: &str,
        dest: &Path,
    ) -> Result<Vec<u8>, FetchError> {
        let body = self.get(url, size)?;
        check(&body, url, size, sha256)?;
        write_atomic(dest, &body)?;
        Ok(body)
    }
}

/// Size and sha256 of `body` against the index.
pub fn check(body: &[u8], what: &str, size: u64, sha256: &str) -> Result<(), FetchError> {
    if body.len() as u64 != size {
        return Err(FetchError::Size {
            url: what.into(),
            expected: size,
            got: body.len() as u64,
        });
    }
    let got = sha256_hex(body);
    if !got.eq_ignore_ascii_case(sha256) {
        return Err(FetchError::Sha256 {
            url: what.into(),
            expected: sha256.into(),
            got,
        });
    }
    Ok(())
}

fn read_local(path: &Path, url: &str, limit: u64) -> Result<Vec<u8>, FetchError> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(FetchError::NotFound { url: url.into() })
        }
        Err(source) => {
            return Err(FetchError::Io {
                path: path.display().to_string(),
                source,
            })
        }
    };
    let mut body = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut body)
        .map_err(|source| FetchError::Io {
            path: path.display().to_string(),
            source,
        })?;
    if body.len() as u64 > limit {
        return Err(FetchError::TooLarge {
            url: url.into(),
            limit,
        });
    }
    Ok(body)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    crate::index::to_hex(&Sha256::digest(bytes))
}

/// Writes `bytes` to a temporary file beside `dest`, syncs it and renames it over `dest`.
pub fn write_atomic(dest: &Path, bytes: &[u8]) -> Result<(), FetchError> {
    let io = |source| FetchError::Io {
        path: dest.display().to_string(),
        source,
    };
    let dir = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io)?;
    let name = dest.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, dest)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

/// Joins a repository base URL and a relative file path.
pub fn join_url(base: &str, file: &str) -> String {
    let escaped: String = file
        .chars()
        .map(|c| match c {
            '+' => "%2B".to_string(),
            ' ' => "%20".to_string(),
            '#' => "%23".to_string(),
            '?' => "%3F".to_string(),
            '%' => "%25".to_string(),
            c => c.to_string(),
        })
        .collect();
    if base.starts_with("file://") {
        return format!("{}/{}", base.trim_end_matches('/'), file);
    }
    format!("{}/{}", base.trim_end_matches('/'), escaped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_and_checks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let dest = dir.path().join("a/b.ko");
        write_atomic(&dest, b"abc").expect("write");
        assert_eq!(std::fs::read(&dest).expect("read"), b"abc");
        let sha = sha256_hex(b"abc");
        assert!(check(b"abc", "x", 3, &sha).is_ok());
        assert!(matches!(
            check(b"ab", "x", 3, &sha),
            Err(FetchError::Size { .. })
        ));
        assert!(matches!(
            check(b"abd", "x", 3, &sha),
            Err(FetchError::Sha256 { .. })
        ));
    }

    #[test]
    fn file_urls_and_joining() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("f"), b"12345").expect("write");
        let f = Fetcher::new(FetchOptions::default()).expect("fetcher");
        let base = format!("file://{}", dir.path().display());
        assert_eq!(f.get(&join_url(&base, "f"), 10).expect("get"), b"12345");
        assert!(matches!(
            f.get(&join_url(&base, "f"), 2),
            Err(FetchError::TooLarge { .. })
        ));
        assert!(matches!(
            f.get(&join_url(&base, "g"), 2),
            Err(FetchError::NotFound { .. })
        ));
        assert!(matches!(
            f.get("ftp://x/y", 2),
            Err(FetchError::Scheme { .. })
        ));
        assert_eq!(
            join_url("http://h/r/", "x86_64/a+b.ko"),
            "http://h/r/x86_64/a%2Bb.ko"
        );
    }
}
