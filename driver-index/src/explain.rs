//! "Is there a driver for this kernel?": exact matches, or the nearest kernels when none.

use crate::index::{Artifact, Index};

/// Answer for one kernel release.
#[derive(Debug)]
pub struct Explanation<'a> {
    pub exact: Vec<&'a Artifact>,
    /// Up to five other kernel releases in the index, nearest first.
    pub nearest: Vec<String>,
}

/// Numbers in a release, in order: `6.1.0-10-amd64` → [6, 1, 0, 10].
fn numbers(release: &str) -> Vec<u64> {
    release
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|s| s.parse().ok())
        .collect()
}

/// Distance key: longer common numeric prefix first, then smaller gap at the first difference.
fn distance(want: &[u64], have: &[u64]) -> (usize, u64) {
    let common = want.iter().zip(have).take_while(|(a, b)| a == b).count();
    let gap = match (want.get(common), have.get(common)) {
        (Some(a), Some(b)) => a.abs_diff(*b),
        _ => 0,
    };
    (usize::MAX - common, gap)
}

/// The flavour words of a release: `6.12.115+deb12-cloud-amd64` → `cloud-amd64`.
fn flavour(release: &str) -> String {
    release
        .split('-')
        .filter(|w| w.starts_with(|c: char| c.is_ascii_alphabetic()))
        .collect::<Vec<_>>()
        .join("-")
}

pub fn explain<'a>(index: &'a Index, release: &str, arch: Option<&str>) -> Explanation<'a> {
    let arch_ok = |a: &Artifact| arch.is_none_or(|want| a.arch == want);
    let exact: Vec<&Artifact> = index
        .artifacts
        .iter()
        .filter(|a| a.kernel_release == release && arch_ok(a))
        .collect();
    let want = numbers(release);
    let want_flavour = flavour(release);
    let mut others: Vec<&str> = index
        .artifacts
        .iter()
        .filter(|a| a.kernel_release != release && arch_ok(a))
        .map(|a| a.kernel_release.as_str())
        .collect();
    // Same flavour first (a cloud kernel wants a cloud module), then numerically nearest.
    others.sort_by_key(|r| {
        (
            flavour(r) != want_flavour,
            distance(&want, &numbers(r)),
            r.to_string(),
        )
    });
    others.dedup();
    Explanation {
        exact,
        nearest: others.into_iter().take(5).map(String::from).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{Artifact, Index, Kind};

    fn a(release: &str) -> Artifact {
        Artifact {
            kind: Kind::Kmod,
            arch: "x86_64".into(),
            kernel_release: release.into(),
            kernel_version: String::new(),
            target: "debian".into(),
            driver_version: "1.0.0".into(),
            api_version: "1.0.0".into(),
            schema_version: "4.5.1".into(),
            file: format!("{release}.ko"),
            size: 1,
            sha256: "0".repeat(64),
            built_at: 0,
        }
    }

    #[test]
    fn nearest_prefers_same_series() {
        let mut index = Index::new(0);
        for r in [
            "5.10.0-20-amd64",
            "6.1.0-9-amd64",
            "6.1.0-12-amd64",
            "6.12.0-1-amd64",
        ] {
            index.artifacts.push(a(r));
        }
        let e = explain(&index, "6.1.0-10-amd64", Some("x86_64"));
        assert!(e.exact.is_empty());
        assert_eq!(e.nearest[0], "6.1.0-9-amd64");
        assert_eq!(e.nearest[1], "6.1.0-12-amd64");
        index.artifacts.push(a("6.1.0-10-cloud-amd64"));
        let e = explain(&index, "6.1.0-10-amd64", None);
        assert_eq!(e.nearest[0], "6.1.0-9-amd64");
        assert_eq!(
            e.nearest.last().map(String::as_str),
            Some("6.1.0-10-cloud-amd64")
        );
        let e = explain(&index, "6.1.0-9-amd64", None);
        assert_eq!(e.exact.len(), 1);
        assert!(explain(&index, "6.1.0-9-amd64", Some("aarch64"))
            .exact
            .is_empty());
    }
}
