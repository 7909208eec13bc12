//! The embedded webserver: `GET /healthz`, `/versions`, `/metrics`.
//! Deliberately small (HTTP/1.1, one request per connection, GET only):
//! it serves Kubernetes probes and Prometheus scrapes, nothing else.

use crate::Metrics;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What the handlers read.
pub struct WebState {
    pub metrics: Arc<Metrics>,
    /// JSON document for /versions.
    pub versions: String,
    /// False while starting or when capture has stopped: /healthz answers 503.
    pub healthy: AtomicBool,
}

/// A running server; stops when dropped.
pub struct WebServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    join: Option<std::thread::JoinHandle<()>>,
}

impl WebServer {
    /// Binds `addr` (e.g. `0.0.0.0:8765`) and serves on a thread.
    pub fn start(addr: &str, state: Arc<WebState>) -> std::io::Result<WebServer> {
        let l = TcpListener::bind(addr)?;
        l.set_nonblocking(true)?;
        let local = l.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let st = stop.clone();
        let join = std::thread::Builder::new()
            .name("webserver".into())
            .spawn(move || {
                while !st.load(Ordering::Relaxed) {
                    match l.accept() {
                        Ok((s, _)) => {
                            let _ = s.set_nonblocking(false);
                            let _ = handle(s, &state);
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(50));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(50)),
                    }
                }
            })?;
        Ok(WebServer {
            addr: local,
            stop,
            join: Some(join),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for WebServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(j) = self.join.take() {
            let _ = j.join();
        }
    }
}

fn handle(s: TcpStream, st: &WebState) -> std::io::Result<()> {
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    s.set_write_timeout(Some(Duration::from_secs(5)))?;
    let mut r = BufReader::new(s.try_clone()?);
    let mut line = String::new();
    r.read_line(&mut line)?;
    // Drain the headers.
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = path.split('?').next().unwrap_or("");
    let (status, ctype, body) = match (method, path) {
        ("GET", "/healthz") => {
            if st.healthy.load(Ordering::Relaxed) {
                (
                    "200 OK",
                    "application/json",
                    "{\"status\": \"ok\"}".to_string(),
                )
            } else {
                (
                    "503 Service Unavailable",
                    "application/json",
                    "{\"status\": \"not ready\"}".to_string(),
                )
            }
        }
        ("GET", "/versions") => ("200 OK", "application/json", st.versions.clone()),
        ("GET", "/metrics") => ("200 OK", "text/plain; version=0.0.4", st.metrics.render()),
        ("GET", _) => ("404 Not Found", "text/plain", "not found\n".to_string()),
        _ => (
            "405 Method Not Allowed",
            "text/plain",
            "only GET\n".to_string(),
        ),
    };
    let mut w = s;
    write!(
        w,
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    w.flush()
}
