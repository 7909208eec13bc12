//! `syscall_event_drops`: what the sensor does when the kernel side loses
//! events (Falco's keys and defaults; the checks happen once a second).

use crate::model::Reader;
use crate::{ConfigError, Src};
use peregrine_rules::yaml::{Kind, Node};

/// What to do about kernel-side event drops (`syscall_event_drops.actions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropAction {
    Ignore,
    Log,
    Alert,
    Exit,
}

/// The `syscall_event_drops` section.
#[derive(Debug, Clone, PartialEq)]
pub struct DropConfig {
    pub actions: Vec<DropAction>,
    /// Act only when drops / events in the last second exceed this (0..=1).
    pub threshold: f64,
    /// Actions allowed per second on average (token bucket rate) ...
    pub rate: f64,
    /// ... and at most this many in a burst.
    pub max_burst: u64,
    /// Pretend one event was dropped at every check (tests, replays).
    pub simulate_drops: bool,
}

impl Default for DropConfig {
    fn default() -> Self {
        DropConfig {
            actions: vec![DropAction::Log, DropAction::Alert],
            threshold: 0.1,
            rate: 0.03333,
            max_burst: 1,
            simulate_drops: false,
        }
    }
}

impl DropAction {
    pub fn name(self) -> &'static str {
        match self {
            DropAction::Ignore => "ignore",
            DropAction::Log => "log",
            DropAction::Alert => "alert",
            DropAction::Exit => "exit",
        }
    }
}

fn float(src: &Src<'_>, n: &Node, key: &str) -> Result<f64, ConfigError> {
    n.as_str()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite())
        .ok_or_else(|| src.err(n.pos, key, "expected a number"))
}

pub(crate) fn read(r: &Reader<'_>, src: &Src<'_>, sec: &Node) -> Result<DropConfig, ConfigError> {
    let mut d = DropConfig::default();
    if let Some(n) = sec.get("actions") {
        let Kind::Seq(items) = &n.kind else {
            return Err(src.err(
                n.pos,
                "syscall_event_drops.actions",
                "expected a list (log, alert, exit, ignore)",
            ));
        };
        let mut actions = Vec::new();
        for i in items {
            let a = match r.str(i, "syscall_event_drops.actions")?.as_str() {
                "ignore" => DropAction::Ignore,
                "log" => DropAction::Log,
                "alert" => DropAction::Alert,
                "exit" => DropAction::Exit,
                o => {
                    return Err(src.err(
                        i.pos,
                        "syscall_event_drops.actions",
                        format!("'{o}': expected log, alert, exit or ignore"),
                    ))
                }
            };
            actions.push((a, i.pos));
        }
        // "ignore" with another action is a contradiction; Falco's wording,
        // so scripts that grep for it keep working.
        if actions.iter().any(|(a, _)| *a == DropAction::Ignore) {
            if let Some((other, pos)) = actions.iter().find(|(a, _)| *a != DropAction::Ignore) {
                return Err(src.err(
                    *pos,
                    "syscall_event_drops.actions",
                    format!(
                        "syscall event drop action \"{}\" does not make sense with the \"ignore\" action",
                        other.name()
                    ),
                ));
            }
        }
        d.actions = actions.into_iter().map(|(a, _)| a).collect();
    }
    if let Some(n) = sec.get("threshold") {
        let key = "syscall_event_drops.threshold";
        let v = float(src, n, key)?;
        if !(0.0..=1.0).contains(&v) {
            return Err(src.err(
                n.pos,
                key,
                format!(
                    "syscall event drops threshold must be a double in the range [0, 1], not {v}"
                ),
            ));
        }
        d.threshold = v;
    }
    if let Some(n) = sec.get("rate") {
        let key = "syscall_event_drops.rate";
        let v = float(src, n, key)?;
        if v <= 0.0 {
            return Err(src.err(n.pos, key, "expected a rate above 0 (actions per second)"));
        }
        d.rate = v;
    }
    if let Some(n) = sec.get("max_burst") {
        let v = r.uint(n, "syscall_event_drops.max_burst")?;
        if v == 0 {
            return Err(src.err(
                n.pos,
                "syscall_event_drops.max_burst",
                "expected at least 1 (0 would never act)",
            ));
        }
        d.max_burst = v;
    }
    if let Some(n) = sec.get("simulate_drops") {
        d.simulate_drops = r.bool(n, "syscall_event_drops.simulate_drops")?;
    }
    Ok(d)
}
