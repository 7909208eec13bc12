//! Replacing a loaded peregrine module: only when the repository's build differs, never
//! leaving the host without the driver it had (busy module kept, failed insert restored).

mod common;

use common::*;
use peregrine_loader::auto::{auto, Step};
use peregrine_loader::insert::Inserter;
use std::path::{Path, PathBuf};

/// A stand-in kernel that records calls and fails where told.
#[derive(Default)]
struct FakeKernel {
    calls: Vec<String>,
    /// `delete_module` fails with this (a module in use).
    remove_error: Option<String>,
    /// Inserting any of these fails.
    refuse: Vec<PathBuf>,
}

impl Inserter for FakeKernel {
    fn insert(&mut self, path: &Path) -> Result<(), String> {
        self.calls.push(format!("insert {}", path.display()));
        if self.refuse.iter().any(|p| p == path) {
            return Err("finit_module: Key was rejected by service".into());
        }
        Ok(())
    }
    fn remove(&mut self, name: &str) -> Result<(), String> {
        self.calls.push(format!("remove {name}"));
        match &self.remove_error {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }
}

fn loaded(tmp: &Path, version: &str) -> peregrine_loader::detect::HostFacts {
    let mut f = host(tmp, true);
    f.loaded_module = Some(version.into());
    f
}

#[test]
fn same_version_loaded_is_kept_without_touching_the_kernel() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo_dir = tmp.path().join("repo");
    make_repo_version(&repo_dir, RELEASE, "1.0.0", "1.0.0");
    let f = loaded(tmp.path(), "1.0.0");
    let mut k = FakeKernel::default();
    let d = auto(
        &f,
        &config(tmp.path(), vec![served(&repo_dir)]),
        &mut k,
        None,
    );
    assert_eq!(d.driver, "kmod", "{}", explain(&d));
    assert!(k.calls.is_empty(), "{:?}", k.calls);
    let m = d.module.expect("module");
    assert!(m.kept && !m.inserted, "{m:?}");
    assert!(
        d.reason.contains("already loaded, the same version"),
        "{}",
        d.reason
    );
    // The verified cached copy is recorded, to restore this build after a later failure.
    assert!(m.path.expect("copy").starts_with(tmp.path().join("cache")));
}

#[test]
fn other_version_replaces_the_loaded_module() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo_dir = tmp.path().join("repo");
    make_repo_version(&repo_dir, RELEASE, "1.0.1", "1.0.0");
    let f = loaded(tmp.path(), "1.0.0");
    let mut k = FakeKernel::default();
    let d = auto(
        &f,
        &config(tmp.path(), vec![served(&repo_dir)]),
        &mut k,
        None,
    );
    assert_eq!(d.driver, "kmod", "{}", explain(&d));
    assert_eq!(k.calls.len(), 2, "{:?}", k.calls);
    assert_eq!(k.calls[0], "remove peregrine");
    assert!(k.calls[1].starts_with("insert "), "{:?}", k.calls);
    let text = explain(&d);
    assert!(
        text.contains("unloaded peregrine 1.0.0 to replace it with 1.0.1"),
        "{text}"
    );
    let m = d.module.expect("module");
    assert_eq!(m.version, "1.0.1");
    assert!(m.inserted && !m.kept, "{m:?}");
}

#[test]
fn busy_old_module_is_kept_and_the_reason_says_so() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo_dir = tmp.path().join("repo");
    make_repo_version(&repo_dir, RELEASE, "1.0.1", "1.0.0");
    let f = loaded(tmp.path(), "1.0.0");
    let mut k = FakeKernel {
        remove_error: Some(
            "delete_module peregrine: Resource temporarily unavailable: it is in use".into(),
        ),
        ..Default::default()
    };
    let d = auto(
        &f,
        &config(tmp.path(), vec![served(&repo_dir)]),
        &mut k,
        None,
    );
    assert_eq!(d.driver, "kmod", "{}", explain(&d));
    assert_eq!(k.calls, ["remove peregrine"]);
    let m = d.module.expect("module");
    assert!(m.kept && m.version == "1.0.0", "{m:?}");
    assert!(d.reason.contains("cannot be unloaded"), "{}", d.reason);
    assert!(d.reason.contains("in use"), "{}", d.reason);
}

#[test]
fn failed_insert_of_the_new_version_restores_the_old_one() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo_dir = tmp.path().join("repo");
    make_repo_version(&repo_dir, RELEASE, "1.0.1", "1.0.0");
    let old = tmp.path().join("old.ko");
    std::fs::write(&old, b"old").expect("write");
    let f = loaded(tmp.path(), "1.0.0");
    let cached = tmp.path().join("cache").join(RELEASE);
    let mut cfg = config(tmp.path(), vec![served(&repo_dir)]);
    cfg.order = Step::DEFAULT_ORDER.to_vec();
    // Every insert but the old module's fails.
    let mut k = FakeKernel::default();
    let d = {
        // The cached file name is the sha256, known only after the download: refuse
        // anything below the cache.
        struct RefuseCache<'a>(&'a mut FakeKernel, PathBuf);
        impl Inserter for RefuseCache<'_> {
            fn insert(&mut self, path: &Path) -> Result<(), String> {
                if path.starts_with(&self.1) {
                    self.0.refuse.push(path.to_path_buf());
                }
                self.0.insert(path)
            }
            fn remove(&mut self, name: &str) -> Result<(), String> {
                self.0.remove(name)
            }
        }
        auto(&f, &cfg, &mut RefuseCache(&mut k, cached), Some(&old))
    };
    assert_eq!(d.driver, "kmod", "{}", explain(&d));
    assert_eq!(k.calls.len(), 3, "{:?}", k.calls);
    assert_eq!(k.calls[2], format!("insert {}", old.display()));
    let m = d.module.expect("module");
    assert!(m.kept && m.inserted && m.version == "1.0.0", "{m:?}");
    assert_eq!(m.path.as_deref(), Some(old.as_path()));
    assert!(
        d.reason.contains("restored the previous module"),
        "{}",
        d.reason
    );
}

#[test]
fn loaded_module_is_kept_when_no_repository_offers_this_kernel() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo_dir = tmp.path().join("repo");
    make_repo(&repo_dir, "6.1.0-9-amd64", "1.0.0");
    let previous = tmp.path().join("prev.ko");
    std::fs::write(&previous, b"prev").expect("write");
    let f = loaded(tmp.path(), "1.0.0");
    let mut k = FakeKernel::default();
    let d = auto(
        &f,
        &config(tmp.path(), vec![served(&repo_dir)]),
        &mut k,
        Some(&previous),
    );
    assert_eq!(d.driver, "kmod", "{}", explain(&d));
    assert!(k.calls.is_empty(), "{:?}", k.calls);
    assert!(
        d.reason.contains("kept it (no other version"),
        "{}",
        d.reason
    );
    // The build step never replaces a working module.
    assert!(
        !d.attempts.iter().any(|a| a.step == Step::Build),
        "{}",
        explain(&d)
    );
    let m = d.module.expect("module");
    assert_eq!(m.path.as_deref(), Some(previous.as_path()));
}

/// Regression (kept from the first replacement test): an incompatible old module is put
/// back when the new insert fails, and the decision says no driver is usable.
#[test]
fn failed_replacement_of_an_incompatible_module_restores_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo_dir = tmp.path().join("repo");
    make_repo(&repo_dir, RELEASE, "1.0.0");
    let old = tmp.path().join("old.ko");
    std::fs::write(&old, b"old").expect("write");
    let f = loaded(tmp.path(), "0.1.0");
    let mut cfg = config(tmp.path(), vec![served(&repo_dir)]);
    cfg.order = vec![Step::Loaded, Step::Prebuilt];
    let mut k = FakeKernel::default();
    struct FirstInsertFails<'a>(&'a mut FakeKernel, bool);
    impl Inserter for FirstInsertFails<'_> {
        fn insert(&mut self, path: &Path) -> Result<(), String> {
            if !self.1 {
                self.1 = true;
                self.0.refuse.push(path.to_path_buf());
            }
            self.0.insert(path)
        }
        fn remove(&mut self, name: &str) -> Result<(), String> {
            self.0.remove(name)
        }
    }
    let d = auto(&f, &cfg, &mut FirstInsertFails(&mut k, false), Some(&old));
    assert_eq!(d.driver, "none");
    assert_eq!(k.calls.len(), 3, "{:?}", k.calls);
    assert_eq!(k.calls[2], format!("insert {}", old.display()));
    assert!(
        explain(&d).contains("restored the previous module"),
        "{}",
        explain(&d)
    );
}
