//! `peregrine run` live on this host (modern eBPF): alerts reach stdout, a
//! file, a local HTTP receiver (falcosidekick's payload), a program and a
//! syslog socket; /healthz and /metrics answer; SIGHUP with broken rules
//! keeps the old ones; a dead HTTP sink drops (counted) while capture goes
//! on without ring drops. Needs root and BTF (skips with a reason otherwise).
//! Also: bad configuration and rules exit with their documented codes.

mod common;
use common::can_capture;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("prg-run-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").ok()?;
    let mut r = String::new();
    s.read_to_string(&mut r).ok()?;
    let code = r.split_whitespace().nth(1)?.parse().ok()?;
    Some((code, r.split_once("\r\n\r\n")?.1.to_string()))
}

fn wait_until(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(secs) {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// (request head, body) pairs a receiver got.
type Requests = Arc<Mutex<Vec<(String, String)>>>;

/// A local HTTP receiver that records request bodies and answers 200.
fn receiver() -> (u16, Requests) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let mut r = BufReader::new(s.try_clone().unwrap());
            let (mut head, mut len) = (String::new(), 0usize);
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                head.push_str(&line);
            }
            let mut body = vec![0; len];
            let _ = r.read_exact(&mut body);
            g.lock()
                .unwrap()
                .push((head, String::from_utf8_lossy(&body).into_owned()));
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    (port, got)
}

struct Sensor {
    child: Child,
    web: u16,
}

impl Drop for Sensor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &Path, config: &str, env: &[(&str, &Path)]) -> Sensor {
    let web = free_port();
    let cfg = dir.join("peregrine.yaml");
    std::fs::write(
        &cfg,
        format!("{config}\nwebserver:\n  listen_address: 127.0.0.1\n  listen_port: {web}\n"),
    )
    .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_peregrine"));
    cmd.args(["run", "-c"])
        .arg(&cfg)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().unwrap();
    let s = Sensor { child, web };
    assert!(
        wait_until(60, || http_get(web, "/healthz")
            .is_some_and(|(c, _)| c == 200)),
        "sensor never became healthy"
    );
    s
}

fn metric(port: u16, prefix: &str) -> u64 {
    http_get(port, "/metrics")
        .map(|(_, b)| {
            b.lines()
                .filter(|l| l.starts_with(prefix))
                .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0)
}

fn read_shadow() {
    let _ = Command::new("cat")
        .arg("/etc/shadow")
        .stdout(Stdio::null())
        .status();
}

#[test]
fn run_sends_alerts_everywhere_serves_health_and_survives_a_bad_reload() {
    if !can_capture() {
        eprintln!("SKIP run_sends_alerts_everywhere...: needs root and kernel BTF");
        return;
    }
    let dir = tmpdir("all");
    let rules = dir.join("rules.yaml");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../rules/peregrine_rules.yaml"),
        &rules,
    )
    .unwrap();
    let (http_port, bodies) = receiver();
    let syslog_path = dir.join("log");
    let syslog = UnixDatagram::bind(&syslog_path).unwrap();
    syslog
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let alerts = dir.join("alerts.json");
    let program_out = dir.join("program.txt");
    let config = format!(
        "rules_files: [{}]\njson_output: true\nstdout_output:\n  enabled: true\nsyslog_output:\n  enabled: true\n\
         file_output:\n  enabled: true\n  filename: {}\nprogram_output:\n  enabled: true\n  keep_alive: true\n  \
         program: cat >> {}\nhttp_output:\n  enabled: true\n  url: http://127.0.0.1:{http_port}/\n  user_agent: peregrine-test\n",
        rules.display(),
        alerts.display(),
        program_out.display()
    );
    let mut s = start(&dir, &config, &[("PEREGRINE_SYSLOG_SOCKET", &syslog_path)]);
    let fired = wait_until(30, || {
        read_shadow();
        std::fs::read_to_string(&alerts)
            .unwrap_or_default()
            .contains("Read sensitive file")
    });
    assert!(fired, "no alert in the file output");

    // HTTP: falcosidekick's payload, field by field.
    // Other activity on the host may raise other alerts: find ours.
    let ours = |b: &(String, String)| b.1.contains("\"rule\":\"Read sensitive file\"");
    assert!(wait_until(10, || bodies.lock().unwrap().iter().any(ours)));
    let (head, body) = bodies
        .lock()
        .unwrap()
        .iter()
        .find(|b| ours(b))
        .cloned()
        .unwrap();
    assert!(head.starts_with("POST / HTTP/1.1"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("user-agent: peregrine-test"),
        "{head}"
    );
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["rule"], "Read sensitive file");
    assert_eq!(v["priority"], "Warning");
    assert_eq!(v["source"], "syscall");
    assert!(v["hostname"].as_str().is_some_and(|h| !h.is_empty()));
    let time = v["time"].as_str().unwrap();
    assert!(time.ends_with('Z') && time.len() == 30, "{time}");
    assert!(v["output"]
        .as_str()
        .unwrap()
        .contains("Warning Sensitive file opened for reading (file=/etc/shadow"));
    assert_eq!(v["output_fields"]["fd.name"], "/etc/shadow");
    assert_eq!(v["output_fields"]["proc.name"], "cat");
    assert_eq!(v["output_fields"]["user.name"], "root");
    assert_eq!(v["output_fields"]["container.id"], "host");
    assert!(v["output_fields"]["evt.time"].is_u64());
    assert!(v["tags"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t == "filesystem"));

    // Program and syslog.
    assert!(wait_until(10, || std::fs::read_to_string(&program_out)
        .unwrap_or_default()
        .contains("Read sensitive file")));
    let mut buf = [0u8; 4096];
    let msg = loop {
        let n = syslog.recv(&mut buf).expect("a syslog message");
        let m = String::from_utf8_lossy(&buf[..n]).into_owned();
        if m.contains("Sensitive file opened for reading") {
            break m;
        }
    };
    assert!(msg.starts_with("<12>peregrine["), "{msg}");

    // Health and metrics.
    assert_eq!(http_get(s.web, "/healthz").unwrap().0, 200);
    assert!(http_get(s.web, "/versions")
        .unwrap()
        .1
        .contains("peregrine_version"));
    assert!(metric(s.web, "peregrine_alerts_total{rule=\"Read sensitive file\"") >= 1);
    assert!(metric(s.web, "peregrine_events_total{source=\"syscall\"}") > 0);

    // SIGHUP with broken rules: the old rules stay.
    std::fs::write(&rules, "- rule: broken\n  condition: evt.type = \n").unwrap();
    let before = std::fs::read_to_string(&alerts).unwrap().lines().count();
    unsafe_kill(s.child.id(), 1);
    assert!(
        wait_until(20, || metric(s.web, "peregrine_rule_reload_failures_total")
            == 1),
        "reload failure not counted"
    );
    assert!(wait_until(20, || {
        read_shadow();
        std::fs::read_to_string(&alerts).unwrap().lines().count() > before
    }));

    // SIGTERM: clean exit, stdout has the JSON alerts.
    unsafe_kill(s.child.id(), 15);
    let t = Instant::now();
    let status = loop {
        if let Some(st) = s.child.try_wait().unwrap() {
            break st;
        }
        assert!(
            t.elapsed() < Duration::from_secs(15),
            "no exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success());
    let mut out = String::new();
    s.child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(
        out.lines()
            .any(|l| l.starts_with("{\"hostname\"") && l.contains("Read sensitive file")),
        "{out}"
    );
}

#[test]
fn dead_http_sink_drops_counted_while_capture_continues() {
    if !can_capture() {
        eprintln!("SKIP dead_http_sink...: needs root and kernel BTF");
        return;
    }
    let dir = tmpdir("dead");
    let alerts = dir.join("alerts.txt");
    let dead = free_port(); // nothing listens there
    let config = format!(
        "rules_files: [{}]\nstdout_output:\n  enabled: false\nsyslog_output:\n  enabled: false\n\
         file_output:\n  enabled: true\n  filename: {}\nhttp_output:\n  enabled: true\n  url: http://127.0.0.1:{dead}/\n\
         outputs_queue:\n  capacity: 2\n",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../rules/peregrine_rules.yaml"),
        alerts.display()
    );
    let s = start(&dir, &config, &[]);
    for _ in 0..40 {
        read_shadow();
    }
    assert!(
        wait_until(30, || metric(
            s.web,
            "peregrine_output_drops_total{output=\"http\"}"
        ) > 0),
        "no http drops counted"
    );
    // The other sink got every alert, capture kept going, the rings dropped nothing.
    assert!(wait_until(20, || std::fs::read_to_string(&alerts)
        .unwrap_or_default()
        .lines()
        .count()
        >= 40));
    assert_eq!(metric(s.web, "peregrine_drops_total"), 0);
    assert!(metric(s.web, "peregrine_events_total") > 0);
}

#[test]
fn bad_configuration_exits_3_naming_the_position() {
    let dir = tmpdir("badcfg");
    let cfg = dir.join("bad.yaml");
    std::fs::write(&cfg, "json_output: maybe\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_peregrine"))
        .args(["run", "--validate", "-c"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.yaml:1:14: json_output: expected true or false"),
        "{err}"
    );
}

#[test]
fn bad_rules_exit_4_naming_the_position() {
    let dir = tmpdir("badrules");
    let rules = dir.join("r.yaml");
    std::fs::write(&rules, "- rule: x\n  desc: d\n  condition: evt.type = open and\n  output: o\n  priority: WARNING\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_peregrine"))
        .args(["run", "--validate", "-r"])
        .arg(&rules)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("r.yaml:3:"), "{err}");
}

fn unsafe_kill(pid: u32, sig: i32) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status();
}

/// Issue 7's live check: Falco's own stable rules file, loaded unchanged,
/// fires on `cat /etc/shadow` run from a shell, in Falco's output format.
#[test]
fn upstream_stable_rules_fire_live_on_cat_shadow_from_a_shell() {
    if !can_capture() {
        eprintln!("SKIP upstream_stable_rules_fire_live...: needs root and kernel BTF");
        return;
    }
    let dir = tmpdir("upstream");
    let alerts = dir.join("alerts.txt");
    let config =
        format!(
        "rules_files: [{}]\nstdout_output:\n  enabled: false\nsyslog_output:\n  enabled: false\n\
         file_output:\n  enabled: true\n  filename: {}\n",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/rules/falco_rules.yaml"),
        alerts.display()
    );
    let _s = start(&dir, &config, &[]);
    let fired = wait_until(30, || {
        let _ = Command::new("bash")
            .arg("-c")
            .arg("cat /etc/shadow > /dev/null")
            .status();
        std::fs::read_to_string(&alerts)
            .unwrap_or_default()
            .contains("Sensitive file opened for reading by non-trusted program")
    });
    let text = std::fs::read_to_string(&alerts).unwrap_or_default();
    assert!(fired, "{text}");
    let line = text
        .lines()
        .find(|l| l.contains("non-trusted program"))
        .unwrap();
    // "<HH:MM:SS.nnnnnnnnn>: Warning Sensitive file opened ... (file=/etc/shadow ... process=cat ...)"
    let (time, rest) = line.split_once(": ").unwrap();
    assert_eq!(time.len(), 18, "{line}");
    assert!(
        rest.starts_with("Warning Sensitive file opened for reading by non-trusted program"),
        "{line}"
    );
    assert!(
        line.contains("file=/etc/shadow")
            && line.contains("process=cat")
            && line.contains("parent=bash"),
        "{line}"
    );
}

/// Rules reloaded with SIGHUP that need a syscall the first rules did not
/// (mkdir) get it captured without a restart.
#[test]
fn a_reload_needing_new_syscalls_captures_them() {
    if !can_capture() {
        eprintln!("SKIP a_reload_needing_new_syscalls...: needs root and kernel BTF");
        return;
    }
    let dir = tmpdir("hup-syscalls");
    let rules = dir.join("rules.yaml");
    let rule = |name: &str, cond: &str| {
        format!("- rule: {name}\n  desc: d\n  condition: {cond}\n  output: \"{name} %evt.type %evt.arg.path\"\n  priority: WARNING\n")
    };
    std::fs::write(
        &rules,
        rule("Opened", "evt.type = openat and fd.name = /nonexistent"),
    )
    .unwrap();
    let alerts = dir.join("alerts.txt");
    let config = format!(
        "rules_files: [{}]\nstdout_output:\n  enabled: false\nsyslog_output:\n  enabled: false\n\
         file_output:\n  enabled: true\n  filename: {}\n",
        rules.display(),
        alerts.display()
    );
    let s = start(&dir, &config, &[]);
    let marker = dir.join("made-by-test");
    std::fs::write(
        &rules,
        rule(
            "Made",
            "evt.type in (mkdir, mkdirat) and evt.arg.path contains made-by-test",
        ),
    )
    .unwrap();
    unsafe_kill(s.child.id(), 1);
    assert!(
        wait_until(20, || metric(s.web, "peregrine_rule_reloads_total") == 1),
        "reload not counted"
    );
    let seen = wait_until(20, || {
        let _ = std::fs::remove_dir(&marker);
        let _ = Command::new("mkdir").arg(&marker).status();
        std::fs::read_to_string(&alerts).is_ok_and(|t| t.contains("Made mkdir"))
    });
    assert!(seen, "no mkdir alert after the reload");
}
