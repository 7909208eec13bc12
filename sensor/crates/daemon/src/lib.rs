//! What a long-running sensor needs around its pipeline: counters exported
//! in Prometheus text format, kernel-side drop monitoring with Falco's
//! `syscall_event_drops` semantics, a small HTTP server for `/healthz`,
//! `/versions` and `/metrics`, and systemd readiness notification.

mod drops;
mod metrics;
mod notify;
mod web;

pub use drops::{DropMonitor, DropPolicy, DropReport, DROP_RULE};
pub use metrics::{Counter, CounterVec, Gauge, Metrics};
pub use notify::sd_notify;
pub use web::{WebServer, WebState};
