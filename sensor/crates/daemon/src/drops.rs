//! Watching for kernel-side event loss the way Falco's
//! `syscall_event_drops` does: once a second (of event time) compare the
//! drop counter with the event counter; when the share of dropped events
//! exceeds the threshold, take the configured actions, at most as often as
//! a token bucket (`rate`, `max_burst`) allows.

const SECOND: u64 = 1_000_000_000;

/// The policy (from `syscall_event_drops`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DropPolicy {
    pub log: bool,
    pub alert: bool,
    pub exit: bool,
    /// Act when drops / (events + drops) in the last second exceeds this.
    pub threshold: f64,
    /// Token bucket: actions per second on average, and the burst.
    pub rate: f64,
    pub max_burst: u64,
    /// Count one more drop at every check (to test the actions on replays).
    pub simulate: bool,
}

/// Drops seen at one check that passed the threshold and the rate limit:
/// what to do is in the policy's flags, copied here.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DropReport {
    /// Events dropped and delivered since the previous check.
    pub drops: u64,
    pub events: u64,
    pub ratio: f64,
    pub log: bool,
    pub alert: bool,
    pub exit: bool,
}

impl DropReport {
    /// The text Falco uses (its alert's rule name is the first part).
    pub fn message(&self) -> String {
        format!(
            "{}. {} system calls dropped in last second.",
            DROP_RULE, self.drops
        )
    }
}

/// Rule name of the internal drop alert, as Falco names it.
pub const DROP_RULE: &str = "Falco internal: syscall event drop";

#[derive(Debug, Clone)]
pub struct DropMonitor {
    policy: DropPolicy,
    /// Event time after which the next check happens; 0 before the first event.
    next_check: u64,
    last_events: u64,
    last_drops: u64,
    tokens: f64,
    last_refill: u64,
    /// Checks that found drops, and those that led to actions.
    pub occurrences: u64,
    pub actions_taken: u64,
}

impl DropMonitor {
    pub fn new(policy: DropPolicy) -> Self {
        DropMonitor {
            policy,
            next_check: 0,
            last_events: 0,
            last_drops: 0,
            tokens: policy.max_burst as f64,
            last_refill: 0,
            occurrences: 0,
            actions_taken: 0,
        }
    }

    /// Feeds the running totals at event time `ts` (ns). Call it for every
    /// event (replay) or every so often (live); it checks once a second.
    pub fn observe(&mut self, ts: u64, events: u64, drops: u64) -> Option<DropReport> {
        if self.next_check == 0 {
            self.next_check = ts.saturating_add(SECOND);
            self.last_refill = ts;
            (self.last_events, self.last_drops) = (events, drops);
            return None;
        }
        if ts <= self.next_check {
            return None;
        }
        self.next_check = ts.saturating_add(SECOND);
        let mut d_drops = drops.saturating_sub(self.last_drops);
        let d_events = events.saturating_sub(self.last_events);
        (self.last_events, self.last_drops) = (events, drops);
        if self.policy.simulate {
            d_drops += 1;
        }
        if d_drops == 0 {
            return None;
        }
        self.occurrences += 1;
        let ratio = d_drops as f64 / (d_events + d_drops) as f64;
        if ratio <= self.policy.threshold || !self.claim(ts) {
            return None;
        }
        self.actions_taken += 1;
        Some(DropReport {
            drops: d_drops,
            events: d_events,
            ratio,
            log: self.policy.log,
            alert: self.policy.alert,
            exit: self.policy.exit,
        })
    }

    fn claim(&mut self, ts: u64) -> bool {
        let dt = ts.saturating_sub(self.last_refill) as f64 / SECOND as f64;
        self.last_refill = ts;
        self.tokens = (self.tokens + dt * self.policy.rate).min(self.policy.max_burst as f64);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// The end-of-run summary (Falco prints the same two counts).
    pub fn summary(&self) -> String {
        format!(
            "Syscall event drop monitoring:\n   - event drop detected: {} occurrences\n   - num times actions taken: {}",
            self.occurrences, self.actions_taken
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> DropPolicy {
        DropPolicy {
            log: true,
            alert: false,
            exit: false,
            threshold: 0.1,
            rate: 1.0 / 30.0,
            max_burst: 1,
            simulate: false,
        }
    }

    #[test]
    fn acts_once_a_second_above_the_threshold_only() {
        let mut m = DropMonitor::new(policy());
        assert_eq!(m.observe(SECOND, 0, 0), None);
        // Within the second: no check.
        assert_eq!(m.observe(SECOND + 10, 100, 50), None);
        // 5 of 1005 lost: below 10 %, counted but no action.
        assert_eq!(m.observe(2 * SECOND + 1, 1000, 5), None);
        assert_eq!((m.occurrences, m.actions_taken), (1, 0));
        // 500 of 1500: acts.
        let r = m.observe(3 * SECOND + 2, 2000, 505).expect("acts");
        assert_eq!((r.drops, r.events, r.log), (500, 1000, true));
        assert!(r.message().contains("500 system calls dropped"));
        assert_eq!((m.occurrences, m.actions_taken), (2, 1));
    }

    #[test]
    fn token_bucket_limits_actions() {
        let mut m = DropMonitor::new(DropPolicy {
            simulate: true,
            ..policy()
        });
        m.observe(0, 0, 0);
        let acted = (1..=60u64)
            .filter(|s| m.observe(s * SECOND + s, 0, 0).is_some())
            .count();
        // One at once (burst 1), then one per 30 s.
        assert_eq!(acted, 2);
        assert_eq!((m.occurrences, m.actions_taken), (60, 2));
    }
}
