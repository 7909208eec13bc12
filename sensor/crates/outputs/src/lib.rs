//! Alert outputs that never block capture.
//!
//! [`Outputs::submit`] hands an alert to every sink's bounded queue with a
//! non-blocking send; a full queue drops the alert for that sink, counts it
//! and logs (at most once per 10 s per sink). Each sink writes from its own
//! thread, so a slow HTTP endpoint or a stuck program delays only itself.

mod sinks;

pub use sinks::{FileSink, HttpConfig, HttpSink, ProgramSink, StdoutSink, SyslogSink};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Falco's priorities, most severe first; the rule engine's type (its
/// discriminants 0..7 are the syslog severities).
pub use peregrine_rules::Priority;

/// An alert, already rendered by the rule engine.
#[derive(Debug, Clone)]
pub struct Alert {
    pub priority: Priority,
    pub rule: String,
    /// The text line (time, priority, output).
    pub text: String,
    /// The JSON document (Falco's alert JSON, falcosidekick's payload).
    pub json: String,
}

/// Where alerts go.
pub trait Sink: Send {
    /// Short name for metrics and logs (`stdout`, `file`, `http`...).
    fn name(&self) -> &str;
    /// Writes one alert; may block (it runs on the sink's own thread).
    fn send(&mut self, alert: &Alert) -> std::io::Result<()>;
    /// Flushes buffered output (called when the queue runs empty and at shutdown).
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Counters of one sink, for /metrics.
#[derive(Debug, Default)]
pub struct SinkStats {
    pub name: String,
    pub sent: AtomicU64,
    pub dropped: AtomicU64,
    pub errors: AtomicU64,
}

struct Worker {
    tx: Option<SyncSender<Arc<Alert>>>,
    stats: Arc<SinkStats>,
    last_drop_log: Mutex<Option<Instant>>,
    join: Option<JoinHandle<()>>,
}

/// All configured sinks.
pub struct Outputs {
    workers: Vec<Worker>,
}

impl Outputs {
    /// Starts one thread per sink, each with a queue of `capacity` alerts.
    pub fn start(sinks: Vec<Box<dyn Sink>>, capacity: usize) -> Outputs {
        let workers = sinks
            .into_iter()
            .map(|mut sink| {
                let (tx, rx) = sync_channel::<Arc<Alert>>(capacity.max(1));
                let stats = Arc::new(SinkStats {
                    name: sink.name().to_string(),
                    ..Default::default()
                });
                let st = stats.clone();
                let join = std::thread::Builder::new()
                    .name(format!("out-{}", sink.name()))
                    .spawn(move || {
                        let mut last_err: Option<Instant> = None;
                        let mut dirty = false;
                        loop {
                            match rx.recv_timeout(Duration::from_millis(100)) {
                                Ok(a) => {
                                    match sink.send(&a) {
                                        Ok(()) => st.sent.fetch_add(1, Ordering::Relaxed),
                                        Err(e) => {
                                            if last_err.is_none_or(|t| {
                                                t.elapsed() > Duration::from_secs(10)
                                            }) {
                                                eprintln!(
                                                    "peregrine: output {}: {e} (alert dropped)",
                                                    sink.name()
                                                );
                                                last_err = Some(Instant::now());
                                            }
                                            st.errors.fetch_add(1, Ordering::Relaxed)
                                        }
                                    };
                                    dirty = true;
                                }
                                // Idle: flush buffered sinks so alerts stay timely.
                                Err(RecvTimeoutError::Timeout) => {
                                    if dirty {
                                        let _ = sink.flush();
                                        dirty = false;
                                    }
                                }
                                Err(RecvTimeoutError::Disconnected) => break,
                            }
                        }
                        let _ = sink.flush();
                    })
                    .ok();
                Worker {
                    tx: Some(tx),
                    stats,
                    last_drop_log: Mutex::new(None),
                    join,
                }
            })
            .collect();
        Outputs { workers }
    }

    /// Queues `alert` for every sink without blocking.
    pub fn submit(&self, alert: Alert) {
        let a = Arc::new(alert);
        for w in &self.workers {
            let Some(tx) = &w.tx else { continue };
            match tx.try_send(a.clone()) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                    let n = w.stats.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                    if let Ok(mut last) = w.last_drop_log.lock() {
                        if last.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
                            eprintln!(
                                "peregrine: output {} is not keeping up: alert dropped ({n} so far)",
                                w.stats.name
                            );
                            *last = Some(Instant::now());
                        }
                    }
                }
            }
        }
    }

    /// Per-sink counters.
    pub fn stats(&self) -> Vec<Arc<SinkStats>> {
        self.workers.iter().map(|w| w.stats.clone()).collect()
    }

    /// Closes the queues and waits up to `timeout` for the sinks to drain.
    pub fn shutdown(mut self, timeout: Duration) {
        for w in &mut self.workers {
            w.tx = None;
        }
        let deadline = Instant::now() + timeout;
        for w in &mut self.workers {
            if let Some(j) = w.join.take() {
                while !j.is_finished() && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(10));
                }
                if j.is_finished() {
                    let _ = j.join();
                } else {
                    eprintln!("peregrine: output {} did not drain in time", w.stats.name);
                }
            }
        }
    }
}
