//! `peregrine replay` with the oracle format of tests/fixtures/captures/README.md
//! against sysdig 0.29's lines: process, fd and user fields from our state.
//!
//! Differences are allowed only by a rule below or by a line in
//! tests/oracle-differences.txt (each with its reason); the test fails on any
//! other difference *and* on a listed one that no longer occurs, so the list
//! stays exact.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const FORMAT: &str = "*%evt.num %evt.rawtime %evt.dir %evt.type %thread.tid %proc.name %proc.pname %proc.cmdline %fd.name %fd.typechar %user.name %evt.res";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Columns: num ts dir type tid name pname, then "cmdline fd.name" (both may
/// hold spaces, so they are compared together), then typechar user res.
fn columns(line: &str) -> Option<[String; 11]> {
    let p: Vec<&str> = line.split(' ').collect();
    if p.len() < 12 {
        return None;
    }
    let n = p.len();
    let mid = p[7..n - 3].join(" ");
    let c = [
        p[0],
        p[1],
        p[2],
        p[3],
        p[4],
        p[5],
        p[6],
        &mid,
        p[n - 3],
        p[n - 2],
        p[n - 1],
    ];
    Some(c.map(str::to_string))
}
const NAMES: [&str; 11] = [
    "num",
    "rawtime",
    "dir",
    "type",
    "tid",
    "proc.name",
    "proc.pname",
    "cmdline+fd.name",
    "fd.typechar",
    "user.name",
    "res",
];

/// Event types that gained EF_USES_FD after 2022 (event-table.md §2.3):
/// current Falco resolves their fd, sysdig 0.29 did not.
const USES_FD_SINCE_2022: &[&str] = &[
    "mmap",
    "mmap2",
    "sendmmsg",
    "recvmmsg",
    "symlinkat",
    "unlinkat",
    "mkdirat",
    "fchmodat",
    "fchmod",
];

fn allowed_by_rule(col: &str, ours: &[String; 11], theirs: &[String; 11]) -> bool {
    match col {
        // Current libsinsp names uid 0 `root` without a user table; 2022 sysdig printed <NA>.
        "user.name" => ours[9] == "root" && theirs[9] == "<NA>",
        // 2022 sysdig could not name syscalls its table lacked (rseq, statx...).
        "type" => theirs[3] == "<unknown>",
        "cmdline+fd.name" | "fd.typechar" => {
            USES_FD_SINCE_2022.contains(&theirs[3].as_str()) && theirs[8] == "<NA>"
        }
        _ => false,
    }
}

#[test]
fn state_fields_match_sysdig_oracle_or_documented_differences() {
    let fx = root().join("tests/fixtures");
    let listed: BTreeSet<String> =
        std::fs::read_to_string(root().join("tests/oracle-differences.txt"))
            .expect("tests/oracle-differences.txt")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| l.split(" | ").next().unwrap_or(l).trim().to_string())
            .collect();
    let mut found = BTreeSet::new();
    let (mut same, mut by_rule, mut total) = (0, 0, 0);
    for (dir, prefix) in [
        ("captures/upstream", ""),
        ("captures/anchor-vm", ""),
        ("falco-0.35-tests/trace_files", "falco-0.35-tests-"),
    ] {
        for e in std::fs::read_dir(fx.join(dir)).unwrap().flatten() {
            let cap = e.path();
            let stem = cap.file_stem().unwrap().to_string_lossy().to_string();
            let oracle = fx
                .join("captures/oracle")
                .join(format!("{prefix}{stem}.sysdig.txt"));
            if cap.extension().is_none_or(|x| x != "scap") || !oracle.exists() {
                continue;
            }
            let out = Command::new(env!("CARGO_BIN_EXE_peregrine"))
                .args(["replay", "-p", FORMAT])
                .arg(&cap)
                .output()
                .unwrap();
            if !out.status.success() {
                continue; // the malformed capture; replay_oracle.rs covers it
            }
            let ours: std::collections::HashMap<String, [String; 11]> =
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .filter_map(columns)
                    .map(|c| (c[0].clone(), c))
                    .collect();
            for line in std::fs::read_to_string(&oracle).unwrap().lines() {
                let Some(t) = columns(line) else { continue };
                let Some(o) = ours.get(&t[0]) else { continue }; // enter events merged away
                total += 1;
                let mut line_same = true;
                for (i, col) in NAMES.iter().enumerate() {
                    if o[i] == t[i] {
                        continue;
                    }
                    line_same = false;
                    if allowed_by_rule(col, o, &t) {
                        by_rule += 1;
                    } else {
                        found.insert(format!("{stem} {} {col}", t[0]));
                    }
                }
                same += line_same as usize;
            }
        }
    }
    println!("{total} lines compared: {same} identical, {by_rule} differences allowed by rule, {} listed", found.len());
    let new: Vec<_> = found.difference(&listed).collect();
    let gone: Vec<_> = listed.difference(&found).collect();
    assert!(
        new.is_empty(),
        "differences not in tests/oracle-differences.txt:\n{new:#?}"
    );
    assert!(
        gone.is_empty(),
        "listed differences that no longer occur (remove them):\n{gone:#?}"
    );
    assert!(found.len() <= 40, "the list must stay short");
}
