//! Container id and runtime from cgroup paths; the rest of what a runtime
//! knows (names, images, mounts, pods) behind [`ContainerMetadata`].

use std::collections::HashMap;
use std::sync::Arc;

/// What a container runtime says about one container. Filled by a client of
/// the runtime (CRI, docker); fields it does not know stay empty/`None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerMeta {
    pub name: String,
    /// Image as the runtime names it (`docker.io/library/nginx:1.25`).
    pub image: String,
    pub image_repository: String,
    pub image_tag: String,
    pub image_id: String,
    pub privileged: Option<bool>,
    pub k8s_namespace: Option<String>,
    pub k8s_pod_name: Option<String>,
    pub k8s_pod_uid: Option<String>,
    /// The container's mounts, in the runtime's order.
    pub mounts: Vec<Mount>,
}

/// One mount of a container, as the runtime reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mount {
    /// Host path (or volume name) mounted.
    pub source: String,
    /// Path inside the container.
    pub dest: String,
    /// Runtime-specific mode string (e.g. docker's `z`, `ro`); often empty.
    pub mode: String,
    pub read_write: bool,
    /// `private`, `rprivate`, `shared`, ...; often empty.
    pub propagation: String,
}

impl ContainerMeta {
    /// `container.mounts`: `source:dest:mode:rdrw:propagation` per mount,
    /// space separated (rules.md §4).
    pub fn mounts_text(&self) -> String {
        let mut s = String::new();
        for (i, m) in self.mounts.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(&m.source);
            s.push(':');
            s.push_str(&m.dest);
            s.push(':');
            s.push_str(&m.mode);
            s.push(':');
            s.push_str(if m.read_write { "true" } else { "false" });
            s.push(':');
            s.push_str(&m.propagation);
        }
        s
    }

    /// `container.mount.dest[SRC]`: the destination of the first mount whose
    /// source matches `src`, a path or a glob (`*`, `?`, as the upstream
    /// rules write them: `/proc*`, `/root*`).
    pub fn mount_dest(&self, src: &str) -> Option<&str> {
        self.mounts
            .iter()
            .find(|m| glob_match(src.as_bytes(), m.source.as_bytes()))
            .map(|m| m.dest.as_str())
    }
}

/// fnmatch without flags, for `*` and `?` (`*` crosses `/`); other
/// characters match themselves.
fn glob_match(pat: &[u8], s: &[u8]) -> bool {
    // Iterative matcher with one backtrack point: linear in practice.
    let (mut p, mut i) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        match pat.get(p) {
            Some(b'*') => {
                star = Some((p, i));
                p += 1;
            }
            Some(&c) if c == b'?' || c == s[i] => {
                p += 1;
                i += 1;
            }
            _ => match star {
                Some((sp, si)) => {
                    p = sp + 1;
                    i = si + 1;
                    star = Some((sp, si + 1));
                }
                None => return false,
            },
        }
    }
    pat[p..].iter().all(|&c| c == b'*')
}

/// Where container metadata comes from. State asks by 12-char container id;
/// an implementation must answer from its cache without blocking (the
/// lookup is on the event path), fetching asynchronously if it must.
pub trait ContainerMetadata: Send + Sync + std::fmt::Debug {
    fn lookup(&self, id: &str) -> Option<Arc<ContainerMeta>>;
}

/// A fixed table, for tests and for metadata read from a file.
#[derive(Debug, Default)]
pub struct StaticContainers(pub HashMap<String, Arc<ContainerMeta>>);

impl ContainerMetadata for StaticContainers {
    fn lookup(&self, id: &str) -> Option<Arc<ContainerMeta>> {
        self.0.get(id).cloned()
    }
}

/// What a cgroup path says about the container of a process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerInfo {
    /// First 12 hex characters of the container id, or `host`.
    pub id: String,
    /// docker, containerd, cri-o, podman; empty for host processes.
    pub runtime: &'static str,
}

fn hex64_at(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    (b.len() >= 64 && b[..64].iter().all(u8::is_ascii_hexdigit)).then(|| &s[..64])
}

/// Recognises the cgroup layouts of docker, containerd/CRI, CRI-O and
/// podman, under cgroupfs (`/docker/<id>`, `/kubepods/.../<id>`) and
/// systemd (`docker-<id>.scope`, `cri-containerd-<id>.scope`,
/// `crio-<id>.scope`, `libpod-<id>.scope`) drivers.
pub fn container_from_cgroups<S: AsRef<str>>(
    cgroups: impl IntoIterator<Item = S>,
) -> ContainerInfo {
    const SCOPES: &[(&str, &str)] = &[
        ("docker-", "docker"),
        ("cri-containerd-", "containerd"),
        ("crio-", "cri-o"),
        ("libpod-", "podman"),
    ];
    for cg in cgroups {
        let cg = cg.as_ref();
        let path = cg.split_once('=').map_or(cg, |(_, p)| p);
        for comp in path.split('/').rev() {
            for (prefix, rt) in SCOPES {
                if let Some(id) = comp
                    .strip_prefix(prefix)
                    .and_then(|r| r.strip_suffix(".scope"))
                    .and_then(hex64_at)
                {
                    return ContainerInfo {
                        id: id[..12].to_string(),
                        runtime: rt,
                    };
                }
            }
            // A bare 64-hex directory counts only under a runtime's known
            // parent (cgroupfs driver); other tools name cgroups with hashes too.
            if let Some(id) = hex64_at(comp).filter(|_| comp.len() == 64) {
                let rt = if path.contains("/docker/") {
                    Some("docker")
                } else if path.contains("/kubepods") {
                    Some("containerd")
                } else if path.contains("/libpod") || path.contains("/machine.slice/") {
                    Some("podman")
                } else {
                    None
                };
                if let Some(rt) = rt {
                    return ContainerInfo {
                        id: id[..12].to_string(),
                        runtime: rt,
                    };
                }
            }
        }
    }
    ContainerInfo {
        id: "host".to_string(),
        runtime: "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const ID: &str = "3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e";

    fn c(paths: &[&str]) -> ContainerInfo {
        container_from_cgroups(paths)
    }

    #[test]
    fn runtimes() {
        assert_eq!(
            c(&[&format!("cpu=/docker/{ID}")]),
            ContainerInfo {
                id: ID[..12].into(),
                runtime: "docker"
            }
        );
        assert_eq!(
            c(&[&format!("0=/system.slice/docker-{ID}.scope")]).runtime,
            "docker"
        );
        assert_eq!(
            c(&[&format!("memory=/kubepods.slice/kubepods-burstable.slice/kubepods-pod1.slice/cri-containerd-{ID}.scope")])
                .runtime,
            "containerd"
        );
        assert_eq!(
            c(&[&format!("cpu=/kubepods/besteffort/pod123/{ID}")]).runtime,
            "containerd"
        );
        assert_eq!(
            c(&[&format!("0=/kubepods.slice/crio-{ID}.scope")]).runtime,
            "cri-o"
        );
        assert_eq!(
            c(&[&format!("0=/user.slice/libpod-{ID}.scope")]).runtime,
            "podman"
        );
    }

    #[test]
    fn mount_dest_matches_source_paths_and_globs() {
        let m = ContainerMeta {
            mounts: vec![
                Mount {
                    source: "/var/run/docker.sock".into(),
                    dest: "/run/docker.sock".into(),
                    read_write: true,
                    ..Default::default()
                },
                Mount {
                    source: "/proc/sys".into(),
                    dest: "/host/proc/sys".into(),
                    mode: "ro".into(),
                    propagation: "rprivate".into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        assert_eq!(
            m.mount_dest("/var/run/docker.sock"),
            Some("/run/docker.sock")
        );
        assert_eq!(m.mount_dest("/proc*"), Some("/host/proc/sys"));
        assert_eq!(m.mount_dest("/pro?/sys"), Some("/host/proc/sys"));
        assert_eq!(m.mount_dest("/root*"), None);
        assert_eq!(m.mount_dest("/"), None);
        assert_eq!(m.mount_dest("*"), Some("/run/docker.sock"));
        assert_eq!(
            m.mounts_text(),
            "/var/run/docker.sock:/run/docker.sock::true: /proc/sys:/host/proc/sys:ro:false:rprivate"
        );
    }

    #[test]
    fn host_processes() {
        assert_eq!(
            c(&[
                "cpuset=/",
                "memory=/user.slice/user-0.slice/session-1.scope"
            ])
            .id,
            "host"
        );
        assert_eq!(c(&[]).id, "host");
        assert_eq!(c(&["cpu=/docker/abc"]).id, "host");
        // Regression: a sandbox's cgroup named by a hash is not a container runtime's.
        assert_eq!(c(&[&format!("memory=/process_api/{ID}")]).id, "host");
    }
}
