//! Rule evaluation cost with all stable rules, side by side with Debian's
//! sysdig 0.29 (libsinsp's filter engine) running the same conditions,
//! macros and lists expanded, over the same long capture.
//!
//! `cargo bench -p peregrine-rules --bench rules_vs_sysdig`
//! (`PEREGRINE_BENCH_REPEAT=N` sets how many times the workload capture is
//! repeated into the long file; default 40.)

use peregrine_event::EventRef;
use peregrine_rules::{RuleSet, Selection};
use peregrine_scap::{CaptureReader, CaptureWriter};
use peregrine_state::{Limits, State};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

/// CPU seconds (user+sys) of this process and of its waited-for children.
fn cpu_secs() -> (f64, f64) {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let f: Vec<f64> = s
        .rsplit_once(')')
        .map(|(_, r)| {
            r.split_whitespace()
                .map(|x| x.parse().unwrap_or(0.0))
                .collect()
        })
        .unwrap_or_default();
    let t = |i: usize| f.get(i).copied().unwrap_or(0.0) / 100.0;
    // Fields after the name: state is index 0, utime 11, stime 12, cutime 13, cstime 14.
    (t(11) + t(12), t(13) + t(14))
}

/// Writes the workload capture `repeat` times, timestamps shifted so time
/// keeps going forward. Returns the number of events in the file.
fn make_long(src: &Path, dst: &Path, repeat: u64) -> u64 {
    let mut r = CaptureReader::open(src).expect("workload capture");
    let meta = r.metadata().clone();
    let mut evs: Vec<(Vec<u8>, u16)> = Vec::new();
    while let Some(ce) = r.next_raw().expect("decode") {
        evs.push((ce.event.as_bytes().to_vec(), ce.cpu));
    }
    let first = evs
        .first()
        .map_or(0, |e| EventRef::parse(&e.0).map_or(0, |x| x.ts()));
    let last = evs
        .last()
        .map_or(0, |e| EventRef::parse(&e.0).map_or(0, |x| x.ts()));
    let span = last - first + 1_000_000;
    let mut w = CaptureWriter::create(dst, false, &meta).expect("create long capture");
    let mut n = 0;
    for rep in 0..repeat {
        for (bytes, cpu) in &evs {
            let mut b = bytes.clone();
            let ts = u64::from_le_bytes(b[0..8].try_into().expect("header")) + rep * span;
            b[0..8].copy_from_slice(&ts.to_le_bytes());
            let ev = EventRef::parse(&b).expect("event");
            w.write_event(&ev, *cpu, 0).expect("write");
            n += 1;
        }
    }
    w.finish().expect("finish");
    n
}

fn sysdig_accepts(filter: &str, probe: &Path) -> bool {
    Command::new("sysdig")
        .arg("-r")
        .arg(probe)
        .arg("-p")
        .arg("%evt.num")
        .arg(filter)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs sysdig over `file` with `filter`: (wall s, cpu s, matched events).
fn run_sysdig(file: &Path, filter: &str) -> (f64, f64, u64) {
    let (_, c0) = cpu_secs();
    let t = Instant::now();
    let mut child = Command::new("sysdig")
        .arg("-r")
        .arg(file)
        .arg("-p")
        .arg("%evt.num")
        .arg(filter)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("sysdig runs (apt-get install sysdig)");
    let mut out = Vec::new();
    if let Some(mut so) = child.stdout.take() {
        let _ = so.read_to_end(&mut out);
    }
    let _ = child.wait();
    let wall = t.elapsed().as_secs_f64();
    let (_, c1) = cpu_secs();
    (
        wall,
        c1 - c0,
        out.iter().filter(|b| **b == b'\n').count() as u64,
    )
}

/// Decode + state (+ rules evaluated `k` times per event, to lift the rule
/// cost above the noise of a shared machine): (wall s, cpu s, events, alerts).
fn run_ours_k(file: &Path, rules: Option<&RuleSet>, k: usize) -> (f64, f64, u64, u64) {
    let (c0, _) = cpu_secs();
    let t = Instant::now();
    let mut r = CaptureReader::open(file).expect("long capture");
    let mut st = State::from_capture(r.metadata(), Limits::default());
    let (mut n, mut alerts) = (0u64, 0u64);
    while let Some(ce) = r.next_event().expect("decode") {
        st.process(&ce.event);
        n += 1;
        if let Some(rs) = rules {
            alerts += rs.evaluate(&ce.event, &st, ce.num, ce.cpu).len() as u64;
            for _ in 1..k {
                std::hint::black_box(rs.evaluate(&ce.event, &st, ce.num, ce.cpu));
            }
        }
    }
    let wall = t.elapsed().as_secs_f64();
    let (c1, _) = cpu_secs();
    (wall, c1 - c0, n, alerts)
}

fn run_ours(file: &Path, rules: Option<&RuleSet>) -> (f64, f64, u64, u64) {
    run_ours_k(file, rules, 1)
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` does not: then
    // there is nothing to check (the run needs sysdig and takes minutes).
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let repeat = std::env::var("PEREGRINE_BENCH_REPEAT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    let fx = root().join("tests/fixtures");
    let long = std::env::temp_dir().join("peregrine-rules-bench.scap");
    let file_events = make_long(
        &fx.join("captures/anchor-vm/known-workload.scap"),
        &long,
        repeat,
    );
    let (mut rs, _) =
        RuleSet::load(&[fx.join("rules/falco_rules.yaml")]).expect("stable rules load");
    let probe = fx.join("falco-0.35-tests/trace_files/cat_write.scap");
    let mut kept = Vec::new();
    let mut dropped = Vec::new();
    for (i, r) in rs.rules().iter().enumerate() {
        if !rs.is_active(i) {
            continue;
        }
        let f = r.expr.to_string();
        if sysdig_accepts(&f, &probe) {
            kept.push(f);
        } else {
            dropped.push(r.name.to_string());
        }
    }
    rs.select(&Selection {
        disable_names: dropped
            .iter()
            .map(|n| regex::Regex::new(&format!("^{}$", regex::escape(n))).expect("name regex"))
            .collect(),
        ..Selection::default()
    });
    let filter = format!("({})", kept.join(") or ("));
    println!(
        "long capture: {} ({file_events} events in the file, workload x{repeat})",
        long.display()
    );
    println!(
        "stable rules: {} compared, {} left out (fields sysdig 0.29 does not know): {dropped:?}",
        kept.len(),
        dropped.len()
    );
    // For `perf stat`/`perf record`: only our side, 5 runs, with or without rules.
    if let Some(p) = std::env::var_os("PEREGRINE_BENCH_PROFILE") {
        let with_rules = p != "norules";
        for _ in 0..5 {
            run_ours(&long, with_rules.then_some(&rs));
        }
        return;
    }
    // Best of three, interleaved: the machine is shared.
    let best = |a: (f64, f64, u64, u64), b: (f64, f64, u64, u64)| if b.0 < a.0 { b } else { a };
    let (mut base, mut ours) = (run_ours(&long, None), run_ours(&long, Some(&rs)));
    let mut sd = run_sysdig(&long, &filter);
    // sysdig's own decode+state cost: a filter that is one cheap check.
    let mut sd_base = run_sysdig(&long, "evt.num=0");
    for _ in 0..2 {
        let s = run_sysdig(&long, "evt.num=0");
        if s.0 < sd_base.0 {
            sd_base = s;
        }
        base = best(base, run_ours(&long, None));
        ours = best(ours, run_ours(&long, Some(&rs)));
        let s = run_sysdig(&long, &filter);
        if s.0 < sd.0 {
            sd = s;
        }
    }
    const K: usize = 11;
    let mut ours_k = run_ours_k(&long, Some(&rs), K);
    for _ in 0..2 {
        let o = run_ours_k(&long, Some(&rs), K);
        if o.0 < ours_k.0 {
            ours_k = o;
        }
    }
    let rate = |secs: f64| file_events as f64 / secs.max(1e-9);
    println!(
        "{:<44} {:>9} {:>9} {:>14} {:>9}",
        "", "wall s", "cpu s", "file events/s", "matches"
    );
    println!(
        "{:<44} {:>9.3} {:>9.3} {:>14.0} {:>9}",
        "peregrine decode+state (no rules)",
        base.0,
        base.1,
        rate(base.0),
        "-"
    );
    println!(
        "{:<44} {:>9.3} {:>9.3} {:>14.0} {:>9}",
        "peregrine decode+state+rules",
        ours.0,
        ours.1,
        rate(ours.0),
        ours.3
    );
    let row = |label: &str, r: (f64, f64, u64)| {
        println!(
            "{label:<44} {:>9.3} {:>9.3} {:>14.0} {:>9}",
            r.0,
            r.1,
            rate(r.0),
            r.2
        );
    };
    row("sysdig -r FILE \"evt.num=0\" (decode+state)", sd_base);
    row("sysdig -r FILE \"<same conditions>\"", sd);
    // Evaluating K times per event: (T_K - T_base) / K is one evaluation.
    let ours_eval = (ours_k.0 - base.0).max(0.0) / K as f64;
    let sd_eval = (sd.0 - sd_base.0).max(0.0);
    println!(
        "rule evaluation alone, per file event: peregrine {:.1} ns, sysdig {:.1} ns ({:.2}x)",
        ours_eval * 1e9 / file_events as f64,
        sd_eval * 1e9 / file_events as f64,
        sd_eval / ours_eval.max(1e-9)
    );
    println!(
        "  (peregrine per delivered event, enter/exit merged: {:.1} ns over {} events)",
        ours_eval * 1e9 / ours.2.max(1) as f64,
        ours.2
    );
    println!(
        "whole replay with rules, peregrine/sysdig throughput (wall): {:.2}x",
        sd.0 / ours.0.max(1e-9)
    );
    let _ = std::fs::remove_file(&long);
}
