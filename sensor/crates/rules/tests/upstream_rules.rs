//! The four upstream rules files load unchanged, alone and together in
//! Falco's order (stable, incubating, sandbox; k8s_audit apart).

use peregrine_rules::{RuleSet, WarningCode};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../tests/fixtures/rules")
        .join(name)
}

fn load(names: &[&str]) -> (RuleSet, Vec<peregrine_rules::Warning>) {
    let paths: Vec<PathBuf> = names.iter().map(|n| fixture(n)).collect();
    match RuleSet::load(&paths) {
        Ok(r) => r,
        Err(f) => panic!("{names:?}: {}", f.error),
    }
}

fn counts(rs: &RuleSet) -> (usize, usize) {
    let enabled = (0..rs.rules().len()).filter(|i| rs.is_active(*i)).count();
    (rs.rules().len(), enabled)
}

#[test]
fn stable_alone() {
    let (rs, w) = load(&["falco_rules.yaml"]);
    for x in &w {
        eprintln!("warning: {x}");
    }
    assert_eq!(counts(&rs), (25, 25));
    assert!(!w.iter().any(|w| w.code == WarningCode::NoEvttype));
    let i = rs.syscall_interest();
    assert!(!i.all);
    assert!(i.names.contains("execve") && i.names.contains("openat2"));
}

#[test]
fn incubating_alone() {
    let (rs, _) = load(&["falco-incubating_rules.yaml"]);
    assert_eq!(counts(&rs), (31, 31));
}

#[test]
fn sandbox_alone() {
    let (rs, _) = load(&["falco-sandbox_rules.yaml"]);
    assert_eq!(counts(&rs), (37, 25));
}

#[test]
fn k8s_audit_alone() {
    let (rs, w) = load(&["k8s_audit_rules.yaml"]);
    assert_eq!(counts(&rs), (48, 48));
    assert!(w.iter().any(|w| w.code == WarningCode::PluginRequirement));
    assert!(rs.syscall_interest().names.is_empty());
}

#[test]
fn all_together_in_falcos_order() {
    let (rs, w) = load(&[
        "falco_rules.yaml",
        "falco-incubating_rules.yaml",
        "falco-sandbox_rules.yaml",
        "k8s_audit_rules.yaml",
    ]);
    for x in &w {
        eprintln!("warning: {x}");
    }
    assert_eq!(rs.rules().len(), 25 + 31 + 37 + 48);
}
