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

/// The anchor workload (`tests/fixtures/captures/anchor-vm`, recorded with
/// Falco's kernel module) reads /etc/shadow with cat and touches a file in
/// /etc: the upstream rules fire exactly for those two actions.
#[test]
fn upstream_rules_fire_on_the_anchor_workload() {
    use peregrine_scap::CaptureReader;
    use peregrine_state::{Limits, State};
    let (rs, _) = load(&[
        "falco_rules.yaml",
        "falco-incubating_rules.yaml",
        "falco-sandbox_rules.yaml",
    ]);
    let cap = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../tests/fixtures/captures/anchor-vm/known-workload.scap");
    let mut r = CaptureReader::open(&cap).expect("capture");
    let mut st = State::from_capture(r.metadata(), Limits::default());
    let mut fired = Vec::new();
    while let Some(ce) = r.next_event().expect("decode") {
        st.process(&ce.event);
        for a in rs.evaluate(&ce.event, &st, ce.num, ce.cpu) {
            fired.push((a.rule.to_string(), a.message));
        }
    }
    let names: Vec<&str> = fired.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(names, ["Read sensitive file untrusted", "Write below etc"]);
    assert!(fired[0].1.contains("file=/etc/shadow") && fired[0].1.contains("process=cat"));
    assert!(fired[1].1.contains("file=/etc/anchor-written"));
}
