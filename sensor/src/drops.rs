//! What `peregrine run` does when the drop monitor reports kernel-side event
//! loss: `syscall_event_drops.actions` (log, alert, exit), with Falco's
//! messages so scripts that watch for them keep working.

use peregrine_config::{DropAction, DropConfig};
use peregrine_daemon::{DropPolicy, DropReport, DROP_RULE};
use peregrine_outputs::{Alert, Outputs};

/// The drop monitor's policy from `syscall_event_drops`.
pub fn policy(d: &DropConfig) -> DropPolicy {
    DropPolicy {
        log: d.actions.contains(&DropAction::Log),
        alert: d.actions.contains(&DropAction::Alert),
        exit: d.actions.contains(&DropAction::Exit),
        threshold: d.threshold,
        rate: d.rate,
        max_burst: d.max_burst,
        simulate: d.simulate_drops,
    }
}

/// Takes the actions of `r` (checked at `ts`, ns since the epoch); true
/// when the sensor must exit.
pub fn act(r: &DropReport, ts: u64, outputs: &Outputs, hostname: &str) -> bool {
    let text = r.message();
    if r.log || r.exit {
        eprintln!(
            "peregrine: {text} ({} of {} events in the last second)",
            r.drops,
            r.drops + r.events
        );
    }
    if r.alert {
        // The same line shape as a rule's alert: `time: Priority message`.
        let mut line = String::new();
        peregrine_format::format_time(ts, &mut line);
        line.push_str(": Critical ");
        line.push_str(&text);
        outputs.submit(Alert {
            priority: peregrine_outputs::Priority::Critical,
            rule: DROP_RULE.into(),
            json: internal_alert_json(hostname, &line),
            text: line,
        });
    }
    if r.exit {
        eprintln!("peregrine: syscall_event_drops.actions has exit. Exiting.");
    }
    r.exit
}

/// Falco's JSON for an internal alert (source `internal`, no tags), escaped
/// by the rule engine's JSON string writer.
fn internal_alert_json(hostname: &str, text: &str) -> String {
    use peregrine_rules::output::json_str;
    let mut o = String::from("{\"hostname\":");
    json_str(hostname, &mut o);
    o.push_str(",\"output\":");
    json_str(text, &mut o);
    o.push_str(",\"priority\":\"Critical\",\"rule\":");
    json_str(DROP_RULE, &mut o);
    o.push_str(",\"source\":\"internal\"}");
    o
}

#[cfg(test)]
mod tests {
    /// Regression: the drop alert's JSON was built with Rust's `{:?}`,
    /// whose escapes (`\u{1b}`) are not JSON.
    #[test]
    fn internal_alert_json_is_json_escaped() {
        let j = super::internal_alert_json("host\u{1b}\"x", "dropped \"5\"");
        assert_eq!(
            j,
            "{\"hostname\":\"host\\u001b\\\"x\",\"output\":\"dropped \\\"5\\\"\",\"priority\":\"Critical\",\"rule\":\"Falco internal: syscall event drop\",\"source\":\"internal\"}"
        );
    }
}
