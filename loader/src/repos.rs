//! Finding a prebuilt module: each repository's index is read first, the artifact is chosen by
//! exact kernel release, kernel version, arch and API, then fetched (or found in the cache),
//! checked for size and sha256, and only then written, atomically, into the cache.

use crate::api;
use ed25519_dalek::VerifyingKey;
use peregrine_driver_index::{
    fetch, index::MAX_INDEX_BYTES, unpack, Artifact, FetchOptions, Fetcher, Index, Kind,
};
use std::path::PathBuf;

/// Where and how to look.
#[derive(Debug, Clone)]
pub struct RepoConfig {
    /// Ordered base URLs (`https://`, `http://`, `file://`).
    pub repos: Vec<String>,
    pub cache_dir: PathBuf,
    /// No network: only `file://` repositories and what the cache already holds.
    pub no_download: bool,
    pub fetch: FetchOptions,
    /// When set, every index must carry a valid signature by this key.
    pub public_key: Option<VerifyingKey>,
}

/// What the module must be built for.
#[derive(Debug, Clone)]
pub struct Want {
    pub kernel_release: String,
    pub kernel_version: String,
    pub arch: String,
}

/// A verified module in the cache.
#[derive(Debug, Clone)]
pub struct Found {
    pub repo: String,
    pub artifact: Artifact,
    /// Uncompressed module to insert.
    pub path: PathBuf,
    pub image: Vec<u8>,
    pub from_cache: bool,
}

/// A short, stable file name for a repository's cached index.
fn index_cache_name(repo: &str) -> String {
    format!("index-{}.json", &fetch::sha256_hex(repo.as_bytes())[..16])
}

fn matches(a: &Artifact, want: &Want) -> bool {
    a.kind == Kind::Kmod
        && a.kernel_release == want.kernel_release
        && a.arch == want.arch
        && api::compatible(&a.api_version)
        && (a.kernel_version.is_empty()
            || want.kernel_version.is_empty()
            || a.kernel_version == want.kernel_version)
}

impl RepoConfig {
    fn is_remote(repo: &str) -> bool {
        !repo.starts_with("file://")
    }

    fn read_index(&self, fetcher: &Fetcher, repo: &str) -> Result<Index, String> {
        let url = fetch::join_url(repo, "index.json");
        let cached = self.cache_dir.join(index_cache_name(repo));
        let bytes = if self.no_download && Self::is_remote(repo) {
            std::fs::read(&cached).map_err(|e| {
                format!(
                    "--no-download and no cached index for {repo} at {}: {e}",
                    cached.display()
                )
            })?
        } else {
            let bytes = fetcher
                .get(&url, MAX_INDEX_BYTES)
                .map_err(|e| e.to_string())?;
            // Keep a copy so a later --no-download run can still decide.
            if let Err(e) = fetch::write_atomic(&cached, &bytes) {
                tracing_note(&format!("could not cache index: {e}"));
            }
            bytes
        };
        let index = Index::parse(&bytes, &url).map_err(|e| e.to_string())?;
        if let Some(key) = &self.public_key {
            index
                .verify_signature(key, &url)
                .map_err(|e| e.to_string())?;
        }
        Ok(index)
    }

    /// Tries each repository in order; `log` receives one line per thing tried.
    pub fn find(&self, want: &Want, log: &mut Vec<String>) -> Option<Found> {
        if self.repos.is_empty() {
            log.push("no repository configured (--repo or PEREGRINE_DRIVER_REPOS)".into());
            return None;
        }
        let fetcher = match Fetcher::new(self.fetch.clone()) {
            Ok(f) => f,
            Err(e) => {
                log.push(e.to_string());
                return None;
            }
        };
        for repo in &self.repos {
            let index = match self.read_index(&fetcher, repo) {
                Ok(i) => i,
                Err(e) => {
                    log.push(format!("repository {repo}: index unusable: {e}"));
                    continue;
                }
            };
            let mut candidates: Vec<&Artifact> = index
                .artifacts
                .iter()
                .filter(|a| matches(a, want))
                .collect();
            candidates.sort_by(|a, b| {
                (&b.driver_version, b.built_at).cmp(&(&a.driver_version, a.built_at))
            });
            let Some(artifact) = candidates.first() else {
                let e = peregrine_driver_index::explain::explain(
                    &index,
                    &want.kernel_release,
                    Some(&want.arch),
                );
                log.push(format!(
                    "repository {repo}: no kmod for kernel {} {} with API {} (nearest: {})",
                    want.kernel_release,
                    want.arch,
                    api::sensor_api(),
                    if e.nearest.is_empty() {
                        "none".into()
                    } else {
                        e.nearest.join(", ")
                    }
                ));
                continue;
            };
            match self.obtain(&fetcher, repo, artifact) {
                Ok(found) => {
                    log.push(format!(
                        "repository {repo}: {} ({} bytes, sha256 {}) {}",
                        artifact.file,
                        artifact.size,
                        artifact.sha256,
                        if found.from_cache {
                            "verified in the cache"
                        } else {
                            "downloaded and verified"
                        }
                    ));
                    return Some(found);
                }
                Err(e) => log.push(format!("repository {repo}: {e}")),
            }
        }
        None
    }

    fn obtain(&self, fetcher: &Fetcher, repo: &str, a: &Artifact) -> Result<Found, String> {
        let dir = self.cache_dir.join(&a.kernel_release);
        // The suffix is picked from a fixed set, never copied from the
        // index: a file name there is remote input.
        let suffix = ["ko.gz", "ko.xz", "ko.zst"]
            .into_iter()
            .find(|s| a.file.ends_with(&format!(".{s}")))
            .unwrap_or("ko");
        let stored = dir.join(format!("{}.{suffix}", a.sha256));
        let (bytes, from_cache) = match std::fs::read(&stored) {
            Ok(b) if fetch::check(&b, "", a.size, &a.sha256).is_ok() => (b, true),
            _ if self.no_download && Self::is_remote(repo) => {
                return Err(format!(
                    "{} not in the cache and --no-download is set",
                    a.file
                ))
            }
            _ => {
                let url = fetch::join_url(repo, &a.file);
                let b = fetcher
                    .fetch_verified(&url, a.size, &a.sha256, &stored)
                    .map_err(|e| e.to_string())?;
                (b, false)
            }
        };
        // Compressed or not is read from the bytes (verified by sha256 above).
        let (path, image) = if unpack::Format::of(&bytes) != Some(unpack::Format::Elf) {
            let image =
                unpack::image(&bytes, &stored.display().to_string()).map_err(|e| e.to_string())?;
            let path = dir.join(format!("{}.ko", a.sha256));
            fetch::write_atomic(&path, &image).map_err(|e| e.to_string())?;
            (path, image)
        } else {
            (stored, bytes)
        };
        Ok(Found {
            repo: repo.into(),
            artifact: a.clone(),
            path,
            image,
            from_cache,
        })
    }
}

fn tracing_note(msg: &str) {
    eprintln!("peregrine-loader: note: {msg}");
}
