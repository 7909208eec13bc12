//! The index format: one JSON document, `index.json`, at the root of a repository.
//!
//! The loader reads it before it fetches anything, so it can choose an artifact by exact
//! kernel release, kernel version, arch and driver API, and check the bytes it then downloads
//! against the size and sha256 recorded here. The optional ed25519 signature covers the
//! canonical bytes: the document serialized by [`Index::canonical_bytes`] with no signature.

use ed25519_dalek::{Signature as EdSignature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Value of the `format` field; anything else is not our index.
pub const FORMAT: &str = "peregrine-driver-index";
/// Newest `format_version` this code reads. Bump on an incompatible change.
pub const FORMAT_VERSION: u32 = 1;
/// An index larger than this is refused before parsing.
pub const MAX_INDEX_BYTES: u64 = 16 << 20;

/// What an artifact is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// A kernel module (`.ko`, possibly gzip-compressed as `.ko.gz`).
    #[serde(rename = "kmod")]
    Kmod,
    /// A modern eBPF probe object; the sensor embeds one, a repository may carry others.
    #[serde(rename = "modern-ebpf")]
    ModernEbpf,
}

/// One prebuilt driver in a repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    pub kind: Kind,
    /// `uname -m` spelling: `x86_64`, `aarch64`.
    pub arch: String,
    /// `uname -r` of the kernel the module was built for (first word of its vermagic).
    pub kernel_release: String,
    /// `uname -v` of that kernel (Debian: `#1 SMP PREEMPT_DYNAMIC Debian 6.1.38-2 (2023-07-27)`);
    /// empty when unknown.
    #[serde(default)]
    pub kernel_version: String,
    /// Distribution the kernel comes from (`debian`).
    pub target: String,
    /// Version of the driver source (the module's `version` modinfo).
    pub driver_version: String,
    /// Ring/ioctl API version the driver speaks (`api_version` modinfo).
    pub api_version: String,
    /// Event schema version (`schema_version` modinfo).
    pub schema_version: String,
    /// Path relative to the repository root, `/`-separated.
    pub file: String,
    /// Bytes of `file` as stored (compressed size for `.gz`).
    pub size: u64,
    /// Lower-case hex sha256 of `file` as stored.
    pub sha256: String,
    /// Build time, seconds since the Unix epoch.
    pub built_at: u64,
}

/// A detached ed25519 signature over [`Index::canonical_bytes`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexSignature {
    /// Always `ed25519`.
    pub algorithm: String,
    /// Hex public key of the signer (informative: trust comes from the key the user passes).
    pub public_key: String,
    /// Hex signature (64 bytes).
    pub value: String,
}

/// The whole index document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    pub format: String,
    pub format_version: u32,
    /// Seconds since the Unix epoch when the index was written.
    pub generated_at: u64,
    pub artifacts: Vec<Artifact>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<IndexSignature>,
}

/// Why an index was refused.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(
        "{origin}: not a driver index ({source}); point at a repository root that holds index.json"
    )]
    Parse {
        origin: String,
        source: serde_json::Error,
    },
    #[error("{origin}: format {found:?} version {version} is not {FORMAT:?} version <= {FORMAT_VERSION}; upgrade peregrine-loader or rebuild the index")]
    Format {
        origin: String,
        found: String,
        version: u32,
    },
    #[error(
        "{origin}: artifact {file:?}: {why}; rebuild the index with `peregrine-driver-index build`"
    )]
    BadArtifact {
        origin: String,
        file: String,
        why: &'static str,
    },
    #[error("{origin}: index is not signed but a public key was given; sign it with `peregrine-driver-index build --signing-key`")]
    Unsigned { origin: String },
    #[error("{origin}: index signature does not verify with the given public key; the index was altered or signed by another key")]
    BadSignature { origin: String },
    #[error("bad key {what}: {why}")]
    Key { what: String, why: String },
}

impl Index {
    /// An empty index stamped with `generated_at`.
    pub fn new(generated_at: u64) -> Self {
        Index {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            generated_at,
            artifacts: Vec::new(),
            signature: None,
        }
    }

    /// Parses and validates an index; `origin` (URL or path) is named in errors.
    pub fn parse(bytes: &[u8], origin: &str) -> Result<Self, IndexError> {
        let index: Index = serde_json::from_slice(bytes).map_err(|source| IndexError::Parse {
            origin: origin.into(),
            source,
        })?;
        if index.format != FORMAT
            || index.format_version == 0
            || index.format_version > FORMAT_VERSION
        {
            return Err(IndexError::Format {
                origin: origin.into(),
                found: index.format,
                version: index.format_version,
            });
        }
        for a in &index.artifacts {
            let bad = |why| IndexError::BadArtifact {
                origin: origin.into(),
                file: a.file.clone(),
                why,
            };
            if !safe_relative_path(&a.file) {
                return Err(bad("file must be a relative path without `..`"));
            }
            if a.sha256.len() != 64 || !a.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad("sha256 must be 64 hex digits"));
            }
            if a.kernel_release.is_empty() || a.arch.is_empty() {
                return Err(bad("kernel_release and arch must not be empty"));
            }
        }
        Ok(index)
    }

    /// The bytes the signature covers: this index, signature removed, as compact JSON.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut unsigned = self.clone();
        unsigned.signature = None;
        // Serializing plain structs and vectors of them cannot fail.
        serde_json::to_vec(&unsigned).unwrap_or_default()
    }

    /// Signs the canonical bytes with `key`, replacing any earlier signature.
    pub fn sign(&mut self, key: &SigningKey) {
        let sig = key.sign(&self.canonical_bytes());
        self.signature = Some(IndexSignature {
            algorithm: "ed25519".into(),
            public_key: to_hex(key.verifying_key().as_bytes()),
            value: to_hex(&sig.to_bytes()),
        });
    }

    /// Checks the signature with the trusted `key`.
    pub fn verify_signature(&self, key: &VerifyingKey, origin: &str) -> Result<(), IndexError> {
        let Some(sig) = &self.signature else {
            return Err(IndexError::Unsigned {
                origin: origin.into(),
            });
        };
        let bad = || IndexError::BadSignature {
            origin: origin.into(),
        };
        let bytes: [u8; 64] = from_hex(&sig.value)
            .and_then(|v| v.try_into().ok())
            .ok_or_else(bad)?;
        if sig.algorithm != "ed25519" {
            return Err(bad());
        }
        key.verify(&self.canonical_bytes(), &EdSignature::from_bytes(&bytes))
            .map_err(|_| bad())
    }

    /// Pretty JSON for writing to disk.
    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_default();
        v.push(b'\n');
        v
    }
}

/// True when `p` stays inside the repository root.
pub fn safe_relative_path(p: &str) -> bool {
    !p.is_empty()
        && !p.starts_with('/')
        && !p.contains('\\')
        && Path::new(p)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn from_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

/// Reads a hex public key (64 hex digits) from a file.
pub fn read_public_key(path: &Path) -> Result<VerifyingKey, IndexError> {
    let err = |why: String| IndexError::Key {
        what: path.display().to_string(),
        why,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let bytes: [u8; 32] = from_hex(&text)
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| err("expected 64 hex digits (an ed25519 public key)".into()))?;
    VerifyingKey::from_bytes(&bytes).map_err(|e| err(e.to_string()))
}

/// Reads a hex secret key (64 hex digits, the ed25519 seed) from a file.
pub fn read_signing_key(path: &Path) -> Result<SigningKey, IndexError> {
    let err = |why: String| IndexError::Key {
        what: path.display().to_string(),
        why,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let bytes: [u8; 32] = from_hex(&text)
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| err("expected 64 hex digits (an ed25519 secret seed)".into()))?;
    Ok(SigningKey::from_bytes(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn artifact(release: &str) -> Artifact {
        Artifact {
            kind: Kind::Kmod,
            arch: "x86_64".into(),
            kernel_release: release.into(),
            kernel_version: "#1 SMP PREEMPT_DYNAMIC Debian 6.1.38-2 (2023-07-27)".into(),
            target: "debian".into(),
            driver_version: "1.0.0".into(),
            api_version: "1.0.0".into(),
            schema_version: "4.5.1".into(),
            file: format!("x86_64/peregrine_debian_{release}.ko"),
            size: 3,
            sha256: "0".repeat(64),
            built_at: 1,
        }
    }

    #[test]
    fn round_trip_and_signature() {
        let mut index = Index::new(7);
        index.artifacts.push(artifact("6.1.0-10-amd64"));
        let key = SigningKey::from_bytes(&[7u8; 32]);
        index.sign(&key);
        let parsed = Index::parse(&index.to_json(), "mem").expect("parses");
        parsed
            .verify_signature(&key.verifying_key(), "mem")
            .expect("verifies");
        let mut tampered = parsed.clone();
        tampered.artifacts[0].sha256 = "1".repeat(64);
        assert!(matches!(
            tampered.verify_signature(&key.verifying_key(), "mem"),
            Err(IndexError::BadSignature { .. })
        ));
        let other = SigningKey::from_bytes(&[8u8; 32]);
        assert!(parsed
            .verify_signature(&other.verifying_key(), "mem")
            .is_err());
    }

    #[test]
    fn refuses_escaping_paths_and_foreign_formats() {
        let mut index = Index::new(1);
        let mut a = artifact("6.1.0-10-amd64");
        a.file = "../etc/passwd".into();
        index.artifacts.push(a);
        assert!(matches!(
            Index::parse(&index.to_json(), "mem"),
            Err(IndexError::BadArtifact { .. })
        ));
        let mut index = Index::new(1);
        index.format_version = 99;
        assert!(matches!(
            Index::parse(&index.to_json(), "mem"),
            Err(IndexError::Format { .. })
        ));
        assert!(Index::parse(b"{", "mem").is_err());
    }

    #[test]
    fn hex_round_trip() {
        assert_eq!(from_hex(&to_hex(&[0, 255, 16])), Some(vec![0, 255, 16]));
        assert_eq!(from_hex("zz"), None);
        assert_eq!(from_hex("abc"), None);
    }
}
