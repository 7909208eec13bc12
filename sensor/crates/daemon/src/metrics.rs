//! Counters with bounded labels (rules, priorities, CPUs, sinks, reasons:
//! never per event), rendered in Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A monotonically increasing counter.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    /// For counters mirrored from elsewhere (kernel drop counters).
    pub fn set(&self, n: u64) {
        self.0.store(n, Ordering::Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A value that goes up and down.
#[derive(Debug, Default)]
pub struct Gauge(AtomicU64);

impl Gauge {
    pub fn set(&self, v: u64) {
        self.0.store(v, Ordering::Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Counters by label values. The set of label values must stay bounded;
/// past `max_series` new values are folded into `other`.
#[derive(Debug)]
pub struct CounterVec {
    labels: Vec<&'static str>,
    series: Mutex<BTreeMap<Vec<String>, Arc<Counter>>>,
    max_series: usize,
}

impl CounterVec {
    pub fn new(labels: &[&'static str], max_series: usize) -> Self {
        CounterVec {
            labels: labels.to_vec(),
            series: Mutex::new(BTreeMap::new()),
            max_series,
        }
    }

    /// The counter for these label values (created on first use).
    pub fn with(&self, values: &[&str]) -> Arc<Counter> {
        let Ok(mut m) = self.series.lock() else {
            return Arc::new(Counter::default());
        };
        let key: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        if let Some(c) = m.get(&key) {
            return c.clone();
        }
        let key = if m.len() >= self.max_series {
            vec!["other".to_string(); self.labels.len()]
        } else {
            key
        };
        m.entry(key).or_default().clone()
    }

    fn render(&self, name: &str, help: &str, out: &mut String) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        let Ok(m) = self.series.lock() else { return };
        for (vals, c) in m.iter() {
            let labels: Vec<String> = self
                .labels
                .iter()
                .zip(vals)
                .map(|(l, v)| format!("{l}=\"{}\"", escape(v)))
                .collect();
            let _ = writeln!(out, "{name}{{{}}} {}", labels.join(","), c.get());
        }
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Everything /metrics shows.
#[derive(Debug)]
pub struct Metrics {
    /// Events received, by source (`syscall` from a driver, `scap` replay).
    pub events: CounterVec,
    /// Kernel-side drops by reason and CPU.
    pub drops: CounterVec,
    /// Alerts by rule and priority.
    pub alerts: CounterVec,
    /// Alerts an output dropped (queue full or error), by output.
    pub output_drops: CounterVec,
    pub rule_reloads: Counter,
    pub rule_reload_failures: Counter,
    pub rules_loaded: Gauge,
    pub threads: Gauge,
    pub start_time: u64,
}

impl Metrics {
    pub fn new() -> Self {
        let start_time = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Metrics {
            events: CounterVec::new(&["source"], 8),
            drops: CounterVec::new(&["reason", "cpu"], 4096),
            alerts: CounterVec::new(&["rule", "priority"], 2048),
            output_drops: CounterVec::new(&["output"], 16),
            rule_reloads: Counter::default(),
            rule_reload_failures: Counter::default(),
            rules_loaded: Gauge::default(),
            threads: Gauge::default(),
            start_time,
        }
    }

    /// Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut s = String::new();
        self.events.render(
            "peregrine_events_total",
            "Events received, by source.",
            &mut s,
        );
        self.drops.render(
            "peregrine_drops_total",
            "Events the kernel side dropped, by reason and CPU.",
            &mut s,
        );
        self.alerts.render(
            "peregrine_alerts_total",
            "Alerts raised, by rule and priority.",
            &mut s,
        );
        self.output_drops.render(
            "peregrine_output_drops_total",
            "Alerts an output dropped because it was full or failing.",
            &mut s,
        );
        for (name, help, v) in [
            (
                "peregrine_rule_reloads_total",
                "Successful rule reloads.",
                self.rule_reloads.get(),
            ),
            (
                "peregrine_rule_reload_failures_total",
                "Rule reloads refused (old rules kept).",
                self.rule_reload_failures.get(),
            ),
        ] {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}");
        }
        for (name, help, v) in [
            (
                "peregrine_rules_loaded",
                "Enabled rules in the active rule set.",
                self.rules_loaded.get(),
            ),
            (
                "peregrine_threads",
                "Threads in the state table.",
                self.threads.get(),
            ),
            (
                "peregrine_start_time_seconds",
                "Start time, seconds since the epoch.",
                self.start_time,
            ),
        ] {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        }
        s
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
