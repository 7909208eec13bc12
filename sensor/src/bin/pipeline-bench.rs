//! Whole-pipeline benchmark: `peregrine run` (capture → state → rules →
//! JSON alerts to a file) under a syscall load, at increasing rates.
//! Prints, per step: events/s the sensor processed, kernel-side drops,
//! alerts written, the sensor's CPU (% of one core) and memory (RSS).
//!
//!   cargo build --release -p peregrine && target/release/pipeline-bench [SECONDS_PER_STEP]
//!
//! Needs root. The load is open+close of a file by 1 to 4 worker
//! processes; every 100th open hits a marker file a rule alerts on.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn metric(port: u16, prefix: &str) -> u64 {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return 0;
    };
    let _ = write!(s, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut r = String::new();
    let _ = s.read_to_string(&mut r);
    r.lines()
        .filter(|l| l.starts_with(prefix))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

fn cpu_ticks(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let f: Vec<&str> = s
        .rsplit_once(')')
        .map(|(_, r)| r.split_whitespace().collect())
        .unwrap_or_default();
    f.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
        + f.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
}

fn rss_kib(pid: u32) -> (u64, u64) {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let get = |k: &str| {
        s.lines()
            .find_map(|l| l.strip_prefix(k))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    (get("VmRSS:"), get("VmHWM:"))
}

fn worker(dir: &Path, secs: u64) -> Child {
    // A tiny shell-free loop: python keeps the load generator out of our binary.
    let code = format!(
        "import os,time\nt=time.time()+{secs}\ni=0\nwhile time.time()<t:\n i+=1\n p='{d}/marker' if i%100==0 else '{d}/plain'\n os.close(os.open(p,os.O_RDONLY))\n",
        d = dir.display()
    );
    Command::new("python3")
        .arg("-c")
        .arg(code)
        .spawn()
        .expect("python3")
}

fn main() {
    let secs: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let exe = std::env::current_exe().expect("exe");
    let peregrine = exe.with_file_name("peregrine");
    let dir = std::env::temp_dir().join(format!("prg-pipeline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    std::fs::write(dir.join("plain"), "x").expect("file");
    std::fs::write(dir.join("marker"), "x").expect("file");
    let rules = dir.join("bench_rules.yaml");
    std::fs::write(
        &rules,
        format!(
            "- rule: Bench marker opened\n  desc: every 100th open of the load\n  condition: evt.type in (open, openat) and fd.name = {}/marker\n  output: marker opened (file=%fd.name process=%proc.name command=%proc.cmdline user=%user.name container_id=%container.id)\n  priority: NOTICE\n",
            dir.display()
        ),
    )
    .expect("rules");
    let default_rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/peregrine_rules.yaml");
    let alerts: PathBuf = dir.join("alerts.json");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(18799);
    let mut sensor = Command::new(&peregrine)
        .args(["run", "-r"])
        .arg(&default_rules)
        .arg("-r")
        .arg(&rules)
        .args([
            "-o",
            "json_output=true",
            "-o",
            "stdout_output.enabled=false",
            "-o",
            "syslog_output.enabled=false",
        ])
        .args([
            "-o",
            "file_output.enabled=true",
            "-o",
            &format!("file_output.filename={}", alerts.display()),
        ])
        .args([
            "-o",
            "file_output.keep_alive=true",
            "-o",
            "webserver.listen_address=127.0.0.1",
        ])
        .args(["-o", &format!("webserver.listen_port={port}")])
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (build it first: cargo build --release -p peregrine)",
                peregrine.display()
            )
        });
    let t = Instant::now();
    while metric(port, "peregrine_threads") == 0 && t.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(200));
    }
    let hz = 100.0; // USER_HZ
    println!("pipeline: peregrine run (modern eBPF, default rules + a marker rule, JSON alerts to a file), {secs} s per step");
    println!(
        "{:>8} {:>12} {:>10} {:>10} {:>9} {:>10} {:>10}",
        "workers", "events/s", "drops", "alerts", "cpu %", "rss MiB", "peak MiB"
    );
    for workers in [1, 2, 4] {
        let (e0, d0, a0, c0) = (
            metric(port, "peregrine_events_total"),
            metric(port, "peregrine_drops_total"),
            metric(port, "peregrine_alerts_total"),
            cpu_ticks(sensor.id()),
        );
        let start = Instant::now();
        let mut ws: Vec<Child> = (0..workers).map(|_| worker(&dir, secs)).collect();
        for w in &mut ws {
            let _ = w.wait();
        }
        std::thread::sleep(Duration::from_millis(1500)); // let the sensor drain and report
        let el = start.elapsed().as_secs_f64();
        let (e1, d1, a1, c1) = (
            metric(port, "peregrine_events_total"),
            metric(port, "peregrine_drops_total"),
            metric(port, "peregrine_alerts_total"),
            cpu_ticks(sensor.id()),
        );
        let (rss, hwm) = rss_kib(sensor.id());
        println!(
            "{workers:>8} {:>12.0} {:>10} {:>10} {:>9.1} {:>10.1} {:>10.1}",
            (e1 - e0) as f64 / el,
            d1 - d0,
            a1 - a0,
            (c1 - c0) as f64 / hz / el * 100.0,
            rss as f64 / 1024.0,
            hwm as f64 / 1024.0
        );
    }
    let _ = sensor.kill();
    let _ = sensor.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
