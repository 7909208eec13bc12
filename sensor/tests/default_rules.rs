//! The shipped default rules load cleanly and fire on the known workload
//! (tests/fixtures/captures/anchor-vm/known-workload.workload.txt: it reads
//! /etc/shadow and touches /etc/anchor-written, among harmless steps).

use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

#[test]
fn default_rules_validate_without_warnings() {
    let out = Command::new(env!("CARGO_BIN_EXE_peregrine"))
        .args(["rules", "validate"])
        .arg(root().join("rules/peregrine_rules.yaml"))
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("0 warnings"), "{text}");
}

#[test]
fn default_rules_fire_exactly_on_the_known_workload_attacks() {
    let out = Command::new(env!("CARGO_BIN_EXE_peregrine"))
        .args(["replay", "-r"])
        .arg(root().join("rules/peregrine_rules.yaml"))
        .arg(root().join("tests/fixtures/captures/anchor-vm/known-workload.scap"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].contains(": Warning Sensitive file opened for reading (file=/etc/shadow"),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].contains("command=cat /etc/shadow") && lines[0].contains("parent=dash"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains(": Error File below /etc opened for writing (file=/etc/anchor-written"),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].contains("command=touch /etc/anchor-written"),
        "{}",
        lines[1]
    );
}
