//! `peregrine replay` against what sysdig 0.29 printed for the same captures
//! (tests/fixtures/captures/oracle). Columns compared: evt.num, evt.rawtime,
//! evt.dir, evt.type, thread.tid, evt.res. Process/fd/user columns come with
//! state tracking.

use std::path::{Path, PathBuf};
use std::process::Command;

const FORMAT: &str = "*%evt.num %evt.rawtime %evt.dir %evt.type %thread.tid %evt.res";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

/// (capture, oracle) pairs for every capture sysdig could read.
fn cases() -> Vec<(PathBuf, PathBuf)> {
    let f = fixtures();
    let mut v = Vec::new();
    for (dir, prefix) in [
        ("captures/upstream", ""),
        ("captures/anchor-vm", ""),
        ("falco-0.35-tests/trace_files", "falco-0.35-tests-"),
    ] {
        let Ok(rd) = std::fs::read_dir(f.join(dir)) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_none_or(|x| x != "scap") {
                continue;
            }
            let stem = p.file_stem().unwrap().to_string_lossy().to_string();
            let oracle = f
                .join("captures/oracle")
                .join(format!("{prefix}{stem}.sysdig.txt"));
            if oracle.exists()
                && !f
                    .join("captures/oracle")
                    .join(format!("{prefix}{stem}.err"))
                    .exists()
            {
                v.push((p, oracle));
            }
        }
    }
    v.sort();
    v
}

fn replay(args: &[&str]) -> (String, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_peregrine"))
        .args(args)
        .output()
        .expect("run peregrine");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// Names that differ on purpose: we name events as current Falco does, sysdig
/// 0.29 used the 2022 names; syscalls its table did not know (PPM_SC 0, e.g.
/// rseq, statx) it printed as `<unknown>`, we name them by their native number.
fn same_type(ours: &str, sysdig: &str) -> bool {
    ours == sysdig
        || matches!(
            (ours, sysdig),
            ("rt_sigreturn", "sigreturn") | (_, "<unknown>")
        )
}

/// sysdig's `-p` output hides procinfo and container metadata events but
/// still counts them in evt.num; we print them.
fn hidden_by_sysdig(our_line: &str) -> bool {
    matches!(our_line.split(' ').nth(3), Some("procinfo" | "container"))
}

fn oracle_cols(line: &str) -> Vec<&str> {
    let c: Vec<&str> = line.split(' ').collect();
    // num rawtime dir type tid ... res (the last column)
    vec![c[0], c[1], c[2], c[3], c[4], c[c.len() - 1]]
}

#[test]
fn raw_replay_matches_sysdig_one_for_one() {
    let cases = cases();
    assert!(cases.len() >= 10, "fixtures missing: {:?}", fixtures());
    for (cap, oracle) in cases {
        let (out, err, code) = replay(&["replay", "--raw", "-p", FORMAT, cap.to_str().unwrap()]);
        assert_eq!(code, 0, "{}: {err}", cap.display());
        let want = std::fs::read_to_string(&oracle).unwrap();
        let ours: Vec<&str> = out.lines().filter(|l| !hidden_by_sysdig(l)).collect();
        let theirs: Vec<&str> = want.lines().collect();
        assert_eq!(ours.len(), theirs.len(), "{}: event count", cap.display());
        for (o, t) in ours.iter().zip(&theirs) {
            let oc: Vec<&str> = o.split(' ').collect();
            let tc = oracle_cols(t);
            assert_eq!(
                oc[..3],
                tc[..3],
                "{}: num/rawtime/dir\n ours: {o}\n sysdig: {t}",
                cap.display()
            );
            assert!(
                same_type(oc[3], tc[3]),
                "{}: type\n ours: {o}\n sysdig: {t}",
                cap.display()
            );
            assert_eq!(
                oc[4],
                tc[4],
                "{}: tid\n ours: {o}\n sysdig: {t}",
                cap.display()
            );
            assert_eq!(
                oc[5],
                tc[5],
                "{}: res\n ours: {o}\n sysdig: {t}",
                cap.display()
            );
        }
    }
}

/// Converting old enter/exit pairs (as current Falco does) drops most enter
/// events and keeps each exit at its own evt.num, timestamp and thread: the
/// converted stream is a subsequence of sysdig's lines, and every exit that
/// sysdig printed is still there with the same type and result.
#[test]
fn converted_replay_is_the_exit_subsequence_of_sysdig() {
    for (cap, oracle) in cases() {
        let (out, err, code) = replay(&["replay", "-p", FORMAT, cap.to_str().unwrap()]);
        assert_eq!(code, 0, "{}: {err}", cap.display());
        let want = std::fs::read_to_string(&oracle).unwrap();
        let by_num: std::collections::HashMap<&str, &str> = want
            .lines()
            .map(|l| (l.split(' ').next().unwrap(), l))
            .collect();
        let mut seen = std::collections::HashSet::new();
        for o in out.lines().filter(|l| !hidden_by_sysdig(l)) {
            let oc: Vec<&str> = o.split(' ').collect();
            let t = by_num.get(oc[0]).unwrap_or_else(|| {
                panic!(
                    "{}: converted event {} not in sysdig's stream",
                    cap.display(),
                    oc[0]
                )
            });
            let tc = oracle_cols(t);
            assert_eq!(
                oc[1..3],
                tc[1..3],
                "{}: ts/dir\n ours: {o}\n sysdig: {t}",
                cap.display()
            );
            assert_eq!(oc[4], tc[4], "{}: tid", cap.display());
            seen.insert(oc[0]);
            if oc[2] == "<" {
                assert!(
                    same_type(oc[3], tc[3]),
                    "{}: type\n ours: {o}\n sysdig: {t}",
                    cap.display()
                );
                assert_eq!(
                    oc[5],
                    tc[5],
                    "{}: res\n ours: {o}\n sysdig: {t}",
                    cap.display()
                );
            }
        }
        // Every exit sysdig printed survives conversion (enter events may be merged away).
        for t in want.lines() {
            let tc = oracle_cols(t);
            if tc[2] == "<" {
                assert!(
                    seen.contains(tc[0]),
                    "{}: exit event {} lost in conversion: {t}",
                    cap.display(),
                    tc[0]
                );
            }
        }
    }
}

#[test]
fn malformed_capture_gives_a_clear_error() {
    let cap = fixtures().join("captures/upstream/libs-e2e-curl_google_comments.scap");
    let (_, err, code) = replay(&["replay", cap.to_str().unwrap()]);
    // Either it decodes (exit 0) or the error names the file and a byte offset.
    if code != 0 {
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains("curl_google_comments.scap") && err.contains("offset"),
            "{err}"
        );
    }
}

#[test]
fn bad_format_is_a_usage_error_with_column() {
    let cap = fixtures().join("captures/upstream/libs-e2e-single_ipv6_conn.scap");
    let (_, err, code) = replay(&["replay", "-p", "%evt.num %evt.nope", cap.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("column 10") && err.contains("evt.nope"),
        "{err}"
    );
}

#[test]
fn missing_file_names_the_path() {
    let (_, err, code) = replay(&["replay", "/nonexistent/x.scap"]);
    assert_eq!(code, 1);
    assert!(err.contains("/nonexistent/x.scap"), "{err}");
}
