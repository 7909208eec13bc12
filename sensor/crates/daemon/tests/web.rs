use peregrine_daemon::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

fn get(addr: std::net::SocketAddr, path: &str) -> (String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut r = String::new();
    s.read_to_string(&mut r).unwrap();
    let (head, body) = r.split_once("\r\n\r\n").unwrap();
    (head.to_string(), body.to_string())
}

#[test]
fn healthz_versions_and_metrics_answer() {
    let metrics = Arc::new(Metrics::new());
    metrics
        .alerts
        .with(&["Read sensitive file", "Warning"])
        .add(3);
    metrics.drops.with(&["buffer_full", "1"]).add(2);
    metrics.events.with(&["syscall"]).add(100);
    let st = Arc::new(WebState {
        metrics,
        versions: "{\"peregrine\":\"0.1.0\"}".into(),
        healthy: AtomicBool::new(false),
    });
    let srv = WebServer::start("127.0.0.1:0", st.clone()).unwrap();
    let a = srv.local_addr();
    assert!(get(a, "/healthz").0.starts_with("HTTP/1.1 503"));
    st.healthy.store(true, Ordering::Relaxed);
    let (h, b) = get(a, "/healthz");
    assert!(h.starts_with("HTTP/1.1 200"), "{h}");
    assert!(b.contains("ok"));
    assert_eq!(get(a, "/versions").1, "{\"peregrine\":\"0.1.0\"}");
    let (_, m) = get(a, "/metrics");
    assert!(
        m.contains("peregrine_alerts_total{rule=\"Read sensitive file\",priority=\"Warning\"} 3"),
        "{m}"
    );
    assert!(
        m.contains("peregrine_drops_total{reason=\"buffer_full\",cpu=\"1\"} 2"),
        "{m}"
    );
    assert!(
        m.contains("peregrine_events_total{source=\"syscall\"} 100"),
        "{m}"
    );
    assert!(get(a, "/nope").0.starts_with("HTTP/1.1 404"));
}

#[test]
fn label_sets_stay_bounded() {
    let v = CounterVec::new(&["rule"], 3);
    for i in 0..100 {
        v.with(&[&format!("r{i}")]).inc();
    }
    let m = Metrics::new();
    let _ = m.render();
    assert_eq!(v.with(&["r0"]).get(), 1);
    assert_eq!(v.with(&["zzz"]).get(), 97, "r3..r99 fold into other");
}

#[test]
fn sd_notify_without_systemd_is_a_no_op() {
    std::env::remove_var("NOTIFY_SOCKET");
    assert!(!sd_notify("READY=1"));
}
