//! What a long-running sensor needs around its pipeline: counters exported
//! in Prometheus text format, a small HTTP server for `/healthz`,
//! `/versions` and `/metrics`, and systemd readiness notification.

mod metrics;
mod notify;
mod web;

pub use metrics::{Counter, CounterVec, Gauge, Metrics};
pub use notify::sd_notify;
pub use web::{WebServer, WebState};
