//! The syscall-drop monitoring cases of Falco 0.35's regression suite
//! (`monitor_syscall_drops_*` in falco_tests.yaml), run the way Falco's
//! runner ran them: `peregrine run -c CONF -r RULES -e TRACE`, then stdout,
//! stderr and the exit status checked. The suite's configurations set
//! `simulate_drops`, which counts one lost event at every once-a-second
//! check of the replay. The rest of the suite runs in
//! sensor/crates/rules/tests/falco_tests.rs.
//!
//! Exit status: Falco exits 1 for every failure; we keep our documented
//! codes (3 = bad configuration, 1 = the exit action), so "1" in the suite
//! means "the code for that failure" here.

use peregrine_rules::yaml::{self, Kind, Node};
use std::path::PathBuf;
use std::process::Command;

fn suite_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/falco-0.35-tests")
}

fn strs(n: Option<&Node>) -> Vec<String> {
    n.map(Node::strings).unwrap_or_default()
}

/// Python's `re.search`, as the suite's runner used.
fn search(pat: &str, text: &str) -> bool {
    regex::RegexBuilder::new(pat)
        .multi_line(true)
        .build()
        .unwrap_or_else(|e| panic!("pattern {pat:?}: {e}"))
        .is_match(text)
}

fn run_case(name: &str, case: &Node) -> Result<(), String> {
    let get = |k: &str| case.get(k).and_then(Node::as_str).unwrap_or("");
    let dir = suite_dir();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_peregrine"));
    cmd.arg("run")
        .arg("-c")
        .arg(dir.join(get("conf_file")))
        .arg("-e")
        .arg(dir.join(get("trace_file")))
        // Only stdout: no syslog on a shared test machine (-e never starts
        // the web server, so the cases may run in parallel).
        .args(["-o", "syslog_output.enabled=false"]);
    for r in strs(case.get("rules_file")) {
        cmd.arg("-r").arg(dir.join(r));
    }
    let out = cmd.output().map_err(|e| e.to_string())?;
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    let code = out.status.code().unwrap_or(-1);
    let want = get("exit_status").parse::<i32>().unwrap_or(0);
    let config_error =
        stderr.contains("peregrine: error:") && stderr.contains("syscall_event_drops");
    let want = match (want, config_error) {
        (1, true) => 3,
        (w, _) => w,
    };
    let mut problems = Vec::new();
    if code != want {
        problems.push(format!("exit {code}, want {want}"));
    }
    for p in strs(case.get("stderr_contains")) {
        if !search(&p, &stderr) {
            problems.push(format!("stderr lacks {p:?}"));
        }
    }
    for p in strs(case.get("stderr_not_contains")) {
        if search(&p, &stderr) {
            problems.push(format!("stderr has {p:?}"));
        }
    }
    for p in strs(case.get("stdout_contains")) {
        if !search(&p, &stdout) {
            problems.push(format!("stdout lacks {p:?}"));
        }
    }
    for p in strs(case.get("stdout_not_contains")) {
        if search(&p, &stdout) {
            problems.push(format!("stdout has {p:?}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{name}: {}\n--- stdout\n{stdout}--- stderr\n{stderr}",
            problems.join("; ")
        ))
    }
}

#[test]
fn falco_0_35_syscall_drop_cases() {
    let text = std::fs::read_to_string(suite_dir().join("falco_tests.yaml")).expect("suite file");
    let docs = yaml::parse(&text).expect("suite parses");
    let Some(Kind::Map(cases)) = docs
        .first()
        .and_then(|d| d.get("trace_files"))
        .map(|n| &n.kind)
    else {
        panic!("trace_files is not a map")
    };
    let mut ran = 0;
    let mut failures = Vec::new();
    for (k, case) in cases {
        let name = k.as_str().unwrap_or("?");
        if !name.starts_with("monitor_syscall_drops") {
            continue;
        }
        ran += 1;
        match run_case(name, case) {
            Ok(()) => println!("PASS {name}"),
            Err(e) => failures.push(e),
        }
    }
    assert_eq!(ran, 8, "the suite has 8 drop-monitoring cases");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
