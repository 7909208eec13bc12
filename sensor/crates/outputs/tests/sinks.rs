//! Every sink delivers, and a stuck sink drops (counted) instead of blocking.

use peregrine_outputs::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::os::unix::net::UnixDatagram;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn alert(i: u32) -> Alert {
    Alert {
        priority: Priority::Warning,
        rule: "Test rule".into(),
        text: format!("12:00:00.000000000: Warning alert {i}"),
        json: format!(
            "{{\"output\":\"alert {i}\",\"priority\":\"Warning\",\"rule\":\"Test rule\"}}"
        ),
    }
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("prg-out-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn wait_for(mut f: impl FnMut() -> bool) -> bool {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(10) {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn file_sink_appends_and_reopens_after_rotation() {
    let d = tmp("file");
    let path = d.join("alerts.txt");
    let reopen = Arc::new(AtomicBool::new(false));
    let sink = FileSink::open(path.clone(), true, false, reopen.clone()).unwrap();
    let out = Outputs::start(vec![Box::new(sink)], 16);
    out.submit(alert(1));
    assert!(wait_for(|| std::fs::read_to_string(&path)
        .unwrap_or_default()
        .contains("alert 1")));
    std::fs::rename(&path, d.join("alerts.txt.1")).unwrap();
    reopen.store(true, Ordering::Relaxed); // what SIGHUP does
    out.submit(alert(2));
    assert!(wait_for(|| std::fs::read_to_string(&path)
        .unwrap_or_default()
        .contains("alert 2")));
    out.shutdown(Duration::from_secs(2));
    assert!(!std::fs::read_to_string(&path).unwrap().contains("alert 1"));
}

#[test]
fn program_sink_keeps_one_process_for_many_alerts() {
    let d = tmp("prog");
    let path = d.join("out.txt");
    let prog = format!("echo started >> {p}; cat >> {p}", p = path.display());
    let out = Outputs::start(vec![Box::new(ProgramSink::new(prog, false))], 16);
    for i in 0..5 {
        out.submit(alert(i));
    }
    out.shutdown(Duration::from_secs(5));
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.matches("started").count(), 1, "{text}");
    assert_eq!(text.matches("Warning alert").count(), 5, "{text}");
}

#[test]
fn syslog_sink_writes_rfc3164_to_a_unix_socket() {
    let d = tmp("syslog");
    let sockp = d.join("log");
    let server = UnixDatagram::bind(&sockp).unwrap();
    server
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let out = Outputs::start(vec![Box::new(SyslogSink::new(sockp))], 16);
    out.submit(alert(7));
    let mut buf = [0u8; 512];
    let n = server.recv(&mut buf).unwrap();
    let msg = String::from_utf8_lossy(&buf[..n]);
    assert!(msg.starts_with("<12>peregrine["), "{msg}"); // user.warning = 8 + 4
    assert!(msg.ends_with("Warning alert 7"), "{msg}");
    out.shutdown(Duration::from_secs(2));
}

/// Reads one HTTP request; returns (head, body).
fn read_request(s: &mut std::net::TcpStream) -> (String, String) {
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut head = String::new();
    let mut len = 0usize;
    loop {
        let mut l = String::new();
        if r.read_line(&mut l).unwrap_or(0) == 0 || l == "\r\n" {
            break;
        }
        if let Some(v) = l.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
        head.push_str(&l);
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).unwrap();
    (head, String::from_utf8(body).unwrap())
}

#[test]
fn http_sink_posts_json_and_retries_after_a_server_error() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", l.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let mut got = Vec::new();
        for (i, s) in l.incoming().take(2).enumerate() {
            let mut s = s.unwrap();
            let (head, body) = read_request(&mut s);
            got.push((head, body));
            let status = if i == 0 {
                "500 Internal Server Error"
            } else {
                "200 OK"
            };
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
        got
    });
    let cfg = HttpConfig {
        url,
        user_agent: "peregrine-test/1".into(),
        insecure: false,
        ca_bundle: None,
        timeout: Duration::from_secs(5),
        attempts: 3,
    };
    let out = Outputs::start(vec![Box::new(HttpSink::new(cfg).unwrap())], 16);
    out.submit(alert(3));
    let got = server.join().unwrap();
    out.shutdown(Duration::from_secs(5));
    assert_eq!(got.len(), 2, "one failure, one retry");
    let (head, body) = &got[1];
    assert!(head.starts_with("POST / HTTP/1.1"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("user-agent: peregrine-test/1"),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    assert_eq!(body, &alert(3).json);
}

/// A sink that never returns: the submitter must not block, the queue must
/// fill and further alerts must be counted as dropped.
struct Stuck;
impl Sink for Stuck {
    fn name(&self) -> &str {
        "stuck"
    }
    fn send(&mut self, _: &Alert) -> std::io::Result<()> {
        std::thread::sleep(Duration::from_secs(3600));
        Ok(())
    }
}

#[test]
fn stuck_sink_drops_and_counts_without_blocking_submit() {
    let out = Outputs::start(vec![Box::new(Stuck)], 4);
    let t = Instant::now();
    for i in 0..1000 {
        out.submit(alert(i));
    }
    assert!(t.elapsed() < Duration::from_secs(1), "submit blocked");
    let st = &out.stats()[0];
    // 1 in the sink's hands, 4 queued, the rest dropped.
    assert!(st.dropped.load(Ordering::Relaxed) >= 995 - 1, "{st:?}");
    std::mem::forget(out); // its thread sleeps for an hour; don't wait
}

#[test]
fn priorities_parse_like_falco() {
    assert_eq!(Priority::parse("WARNING"), Some(Priority::Warning));
    assert_eq!(Priority::parse("info"), Some(Priority::Informational));
    assert!(Priority::Critical < Priority::Notice);
    assert_eq!(Priority::parse("loud"), None);
}
