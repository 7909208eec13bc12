//! Repository operations: build an index from a directory of modules, verify a directory
//! against its index, mirror a remote repository into a directory.

use crate::fetch::{self, FetchError, Fetcher};
use crate::index::{Artifact, Index, IndexError, Kind, MAX_INDEX_BYTES};
use crate::{modinfo, unpack};
use ed25519_dalek::{SigningKey, VerifyingKey};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The file names a repository's modules may have.
const MODULE_SUFFIXES: [&str; 4] = [".ko", ".ko.gz", ".ko.xz", ".ko.zst"];

/// Name of the index at a repository root.
pub const INDEX_FILE: &str = "index.json";

#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    ModInfo(#[from] modinfo::ModInfoError),
    #[error(transparent)]
    Unpack(#[from] unpack::UnpackError),
    #[error("{0} problem(s) found; see the lines above")]
    Verify(usize),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> RepoError + '_ {
    move |source| RepoError::Io {
        path: path.display().to_string(),
        source,
    }
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Every `*.ko` / `*.ko.gz` / `*.ko.xz` / `*.ko.zst` below `dir`, as paths relative to it, sorted.
fn modules(dir: &Path) -> Result<Vec<String>, RepoError> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let full = dir.join(&rel);
        for entry in std::fs::read_dir(&full).map_err(io(&full))? {
            let entry = entry.map_err(io(&full))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let child = rel.join(&name);
            let ft = entry.file_type().map_err(io(&full))?;
            if ft.is_dir() && !name.starts_with('.') {
                stack.push(child);
            } else if ft.is_file() && MODULE_SUFFIXES.iter().any(|s| name.ends_with(s)) {
                out.push(child.to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Builds the index of every module below `dir`. The kernel's `uname -v` cannot be read from
/// a module, so it comes from a side file `<module>.uname-v` when present.
pub fn build(dir: &Path, target: &str, key: Option<&SigningKey>) -> Result<Index, RepoError> {
    let mut index = Index::new(now());
    for rel in modules(dir)? {
        let path = dir.join(&rel);
        let stored = std::fs::read(&path).map_err(io(&path))?;
        let raw = unpack::image(&stored, &path.display().to_string())?;
        let info = modinfo::read(&raw, &path.display().to_string())?;
        let side = dir.join(format!("{rel}.uname-v"));
        let kernel_version = std::fs::read_to_string(side)
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        let built_at = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_secs())
            .unwrap_or(0);
        index.artifacts.push(Artifact {
            kind: Kind::Kmod,
            arch: info.arch.clone(),
            kernel_release: info.kernel_release().to_string(),
            kernel_version,
            target: target.into(),
            driver_version: info.version.clone(),
            api_version: info.api_version.clone(),
            schema_version: info.schema_version.clone(),
            file: rel,
            size: stored.len() as u64,
            sha256: fetch::sha256_hex(&stored),
            built_at,
        });
    }
    if let Some(key) = key {
        index.sign(key);
    }
    Ok(index)
}

/// Reads and validates `dir/index.json`.
pub fn read_index(dir: &Path) -> Result<Index, RepoError> {
    let path = dir.join(INDEX_FILE);
    let bytes = std::fs::read(&path).map_err(io(&path))?;
    Ok(Index::parse(&bytes, &path.display().to_string())?)
}

/// Checks every artifact of `dir`'s index (present, size, sha256) and the signature when a
/// key is given. Returns one line per problem; empty means the repository is sound.
/// With `allow_missing`, absent artifacts are fine (a partial mirror).
pub fn verify(
    dir: &Path,
    key: Option<&VerifyingKey>,
    allow_missing: bool,
) -> Result<Vec<String>, RepoError> {
    let index = read_index(dir)?;
    let mut problems = Vec::new();
    if let Some(key) = key {
        if let Err(e) = index.verify_signature(key, &dir.join(INDEX_FILE).display().to_string()) {
            problems.push(e.to_string());
        }
    }
    for a in &index.artifacts {
        let path = dir.join(&a.file);
        match std::fs::read(&path) {
            Ok(bytes) => {
                if let Err(e) = fetch::check(&bytes, &path.display().to_string(), a.size, &a.sha256)
                {
                    problems.push(e.to_string());
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && allow_missing => {}
            Err(e) => problems.push(format!("{}: {e}", path.display())),
        }
    }
    Ok(problems)
}

/// What a mirror run did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct MirrorReport {
    pub fetched: usize,
    /// Of those fetched, how many continued a partial download of an earlier run.
    pub resumed: usize,
    pub already_present: usize,
    pub skipped: usize,
}

/// Where `mirror` keeps the partial download of `a`: outside the mirrored tree (a dot
/// directory, which `build` and `serve` clients never list), named by the sha256 so a changed
/// index never continues another file.
pub fn partial_path(to: &Path, a: &Artifact) -> PathBuf {
    to.join(".partial").join(format!("{}.part", a.sha256))
}

/// Copies the repository at `from` into `to`: the index first (verified against `key` when
/// given), then each selected artifact, verified and written atomically. A rerun only fetches
/// what is missing or wrong, and continues a file cut mid-transfer (HTTP Range). The index is written last and
/// byte for byte, so its signature still verifies in the mirror.
pub fn mirror(
    fetcher: &Fetcher,
    from: &str,
    to: &Path,
    releases: &[String],
    key: Option<&VerifyingKey>,
) -> Result<MirrorReport, RepoError> {
    let index_url = fetch::join_url(from, INDEX_FILE);
    let bytes = fetcher.get(&index_url, MAX_INDEX_BYTES)?;
    let index = Index::parse(&bytes, &index_url)?;
    if let Some(key) = key {
        index.verify_signature(key, &index_url)?;
    }
    let mut report = MirrorReport::default();
    for a in &index.artifacts {
        if !releases.is_empty() && !releases.iter().any(|r| r == &a.kernel_release) {
            report.skipped += 1;
            continue;
        }
        let dest = to.join(&a.file);
        if let Ok(have) = std::fs::read(&dest) {
            if fetch::check(&have, "", a.size, &a.sha256).is_ok() {
                report.already_present += 1;
                continue;
            }
        }
        let resumed = fetcher.fetch_resumable(
            &fetch::join_url(from, &a.file),
            a.size,
            &a.sha256,
            &dest,
            &partial_path(to, a),
        )?;
        report.fetched += 1;
        report.resumed += usize::from(resumed > 0);
    }
    // Empty once every download has completed; left in place otherwise.
    let _ = std::fs::remove_dir(to.join(".partial"));
    fetch::write_atomic(&to.join(INDEX_FILE), &bytes)?;
    Ok(report)
}
