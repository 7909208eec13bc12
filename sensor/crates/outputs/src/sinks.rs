//! The sinks.

use crate::{Alert, Sink};
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Text or JSON lines on standard output.
pub struct StdoutSink {
    pub json: bool,
}

impl Sink for StdoutSink {
    fn name(&self) -> &str {
        "stdout"
    }
    fn send(&mut self, a: &Alert) -> io::Result<()> {
        let mut out = io::stdout().lock();
        out.write_all(if self.json {
            a.json.as_bytes()
        } else {
            a.text.as_bytes()
        })?;
        out.write_all(b"\n")?;
        out.flush()
    }
}

/// Appends lines to a file; reopens it when `reopen` is set (SIGHUP, for
/// log rotation) or after a write error.
pub struct FileSink {
    path: PathBuf,
    json: bool,
    keep_alive: bool,
    out: Option<BufWriter<File>>,
    reopen: Arc<AtomicBool>,
}

impl FileSink {
    /// Opens `path` for appending now, so a bad path is a startup error.
    pub fn open(
        path: PathBuf,
        json: bool,
        keep_alive: bool,
        reopen: Arc<AtomicBool>,
    ) -> io::Result<FileSink> {
        let f = OpenOptions::new().create(true).append(true).open(&path)?;
        Ok(FileSink {
            path,
            json,
            keep_alive,
            out: Some(BufWriter::new(f)),
            reopen,
        })
    }
}

impl Sink for FileSink {
    fn name(&self) -> &str {
        "file"
    }
    fn send(&mut self, a: &Alert) -> io::Result<()> {
        if self.reopen.swap(false, Ordering::Relaxed) || self.out.is_none() {
            if let Some(mut o) = self.out.take() {
                let _ = o.flush();
            }
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?;
            self.out = Some(BufWriter::new(f));
        }
        let Some(out) = self.out.as_mut() else {
            return Err(io::Error::other("file not open"));
        };
        let r = out
            .write_all(if self.json {
                a.json.as_bytes()
            } else {
                a.text.as_bytes()
            })
            .and_then(|_| out.write_all(b"\n"));
        if r.is_err() {
            self.out = None; // reopen on the next alert
        } else if !self.keep_alive {
            out.flush()?;
        }
        r
    }
    fn flush(&mut self) -> io::Result<()> {
        match self.out.as_mut() {
            Some(o) => o.flush(),
            None => Ok(()),
        }
    }
}

/// RFC 3164 messages to a syslog socket (`/dev/log`), facility user.
pub struct SyslogSink {
    path: PathBuf,
    sock: Option<UnixDatagram>,
}

impl SyslogSink {
    pub fn new(path: PathBuf) -> SyslogSink {
        SyslogSink { path, sock: None }
    }
}

impl Sink for SyslogSink {
    fn name(&self) -> &str {
        "syslog"
    }
    fn send(&mut self, a: &Alert) -> io::Result<()> {
        if self.sock.is_none() {
            let s = UnixDatagram::unbound()?;
            s.connect(&self.path)?;
            self.sock = Some(s);
        }
        // facility user (1) * 8 + severity
        let pri = 8 + a.priority as u32;
        let msg = format!("<{pri}>peregrine[{}]: {}", std::process::id(), a.text);
        let r = self.sock.as_ref().map_or(Ok(0), |s| s.send(msg.as_bytes()));
        if r.is_err() {
            self.sock = None; // syslogd restarted: reconnect next time
        }
        r.map(|_| ())
    }
}

/// Pipes alerts into a shell command's stdin, keeping the pipe open
/// (Falco's program_output with keep_alive) and restarting the program if
/// it exits.
pub struct ProgramSink {
    program: String,
    json: bool,
    child: Option<(Child, ChildStdin)>,
}

impl ProgramSink {
    pub fn new(program: String, json: bool) -> ProgramSink {
        ProgramSink {
            program,
            json,
            child: None,
        }
    }
}

impl Sink for ProgramSink {
    fn name(&self) -> &str {
        "program"
    }
    fn send(&mut self, a: &Alert) -> io::Result<()> {
        if let Some((c, _)) = self.child.as_mut() {
            if let Ok(Some(_)) = c.try_wait() {
                self.child = None;
            }
        }
        if self.child.is_none() {
            let mut c = Command::new("/bin/sh")
                .arg("-c")
                .arg(&self.program)
                .stdin(Stdio::piped())
                .spawn()?;
            let stdin = c
                .stdin
                .take()
                .ok_or_else(|| io::Error::other("no stdin pipe"))?;
            self.child = Some((c, stdin));
        }
        let Some((_, stdin)) = self.child.as_mut() else {
            return Err(io::Error::other("program not running"));
        };
        let r = stdin
            .write_all(if self.json {
                a.json.as_bytes()
            } else {
                a.text.as_bytes()
            })
            .and_then(|_| stdin.write_all(b"\n"))
            .and_then(|_| stdin.flush());
        if r.is_err() {
            self.child = None;
        }
        r
    }
}

impl Drop for ProgramSink {
    fn drop(&mut self) {
        if let Some((mut c, stdin)) = self.child.take() {
            drop(stdin); // EOF lets the program finish
            let _ = c.wait();
        }
    }
}

/// HTTP output settings (falco.yaml `http_output`).
#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub url: String,
    pub user_agent: String,
    /// Skip TLS certificate verification.
    pub insecure: bool,
    /// Extra CA bundle (PEM) to trust.
    pub ca_bundle: Option<PathBuf>,
    pub timeout: Duration,
    /// Attempts per alert (1 = no retry).
    pub attempts: u32,
}

/// POSTs Falco's JSON alert (falcosidekick's payload) with retries and
/// exponential backoff.
pub struct HttpSink {
    cfg: HttpConfig,
    agent: ureq::Agent,
}

impl HttpSink {
    pub fn new(cfg: HttpConfig) -> io::Result<HttpSink> {
        let mut tls = ureq::tls::TlsConfig::builder().disable_verification(cfg.insecure);
        if let Some(ca) = &cfg.ca_bundle {
            let pem = std::fs::read(ca)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", ca.display())))?;
            let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(&pem)
                .filter_map(|i| match i {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .collect();
            if certs.is_empty() {
                return Err(io::Error::other(format!(
                    "{}: no PEM certificate found",
                    ca.display()
                )));
            }
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
        }
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(cfg.timeout))
            .user_agent(cfg.user_agent.as_str())
            .http_status_as_error(true)
            .tls_config(tls.build())
            .build();
        Ok(HttpSink {
            agent: config.into(),
            cfg,
        })
    }
}

impl Sink for HttpSink {
    fn name(&self) -> &str {
        "http"
    }
    fn send(&mut self, a: &Alert) -> io::Result<()> {
        let mut delay = Duration::from_millis(100);
        let mut last = String::new();
        for attempt in 0..self.cfg.attempts.max(1) {
            if attempt > 0 {
                std::thread::sleep(delay);
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            match self
                .agent
                .post(&self.cfg.url)
                .header("Content-Type", "application/json")
                .send(a.json.as_str())
            {
                Ok(_) => return Ok(()),
                Err(e) => last = e.to_string(),
            }
        }
        Err(io::Error::other(format!("POST {}: {last}", self.cfg.url)))
    }
}
