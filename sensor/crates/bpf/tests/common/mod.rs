//! What the live probe tests share: the skip check and the workload run.
#![allow(dead_code)] // each test binary uses its own subset

use peregrine_bpf::{AttachMode, Capture, Config};
use peregrine_event::EventRef;
use std::collections::HashMap;
use std::time::{Duration, Instant};

pub fn skip_reason() -> Option<String> {
    // SAFETY: geteuid has no side effects.
    if unsafe { libc::geteuid() } != 0 {
        return Some("not root".into());
    }
    let r = peregrine_bpf::support::check();
    (!r.ok()).then(|| r.to_string())
}

pub struct Run {
    pub facts: HashMap<String, String>,
    pub events: Vec<Vec<u8>>,
}

impl Run {
    pub fn fact(&self, k: &str) -> i64 {
        self.facts
            .get(k)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("workload fact {k} missing"))
    }

    /// Events of `code` from thread `tid`.
    pub fn find(&self, code: u16, tid: i64) -> Vec<EventRef<'_>> {
        self.events
            .iter()
            .filter_map(|b| EventRef::parse(b).ok())
            .filter(|e| e.code() == code && e.tid() as i64 == tid)
            .collect()
    }

    /// The earliest matching event (for calls the workload repeats, e.g. bind).
    pub fn first(&self, code: u16, tid: i64, pred: impl Fn(&EventRef<'_>) -> bool) -> EventRef<'_> {
        let all = self.find(code, tid);
        let hit = all
            .iter()
            .filter(|e| pred(e))
            .min_by_key(|e| e.ts())
            .copied();
        hit.unwrap_or_else(|| {
            panic!(
                "no event {code} of tid {tid} matching; {} candidates",
                all.len()
            )
        })
    }

    pub fn one(&self, code: u16, tid: i64, pred: impl Fn(&EventRef<'_>) -> bool) -> EventRef<'_> {
        let all = self.find(code, tid);
        let hits: Vec<_> = all.iter().filter(|e| pred(e)).copied().collect();
        assert_eq!(
            hits.len(),
            1,
            "want exactly one event {code} of tid {tid} matching; {} candidates",
            all.len()
        );
        hits[0]
    }
}

pub fn int(e: &EventRef<'_>, name: &str) -> i64 {
    e.param_by_name(name)
        .and_then(|p| p.as_i64())
        .unwrap_or_else(|| panic!("{} has no int {name}", e.type_name()))
}

pub fn raw<'a>(e: &EventRef<'a>, name: &str) -> &'a [u8] {
    let i = e
        .param_index(name)
        .unwrap_or_else(|| panic!("{} has no param {name}", e.type_name()));
    e.param_raw(i).unwrap_or_default()
}

pub fn cstr(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

pub fn run_workload(attach: AttachMode) -> Run {
    let cap_cfg = Config {
        snaplen: 80,
        attach,
        ..Config::default()
    };
    let mut cap = match Capture::open(&cap_cfg) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(cap.probe().mode(), attach);
    if attach == AttachMode::Fexit {
        // Some kernels refuse fentry/fexit (this host: EPERM under its lockdown);
        // the probe then falls back to the dispatcher and says why.
        let fx = cap.probe().fexit_syscalls();
        if fx.is_empty() {
            let w = cap.probe().warnings();
            assert!(
                w.iter().any(|w| w.contains("fell back from fexit")),
                "{w:?}"
            );
            eprintln!("fexit unavailable here: {w:?}");
        } else {
            assert!(
                fx.contains(&257) && fx.contains(&42),
                "openat and connect via fexit: {fx:?}"
            );
        }
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_bpf-workload"))
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn workload: {e}"));
    let wpid = child.id() as u64;
    let waiter = std::thread::spawn(move || child.wait_with_output());
    let mut events = Vec::new();
    let mut quiet_since: Option<Instant> = None;
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut last_ts = 0u64;
    while Instant::now() < deadline {
        match cap.next_event(Duration::from_millis(20)) {
            Ok(Some(re)) => {
                let ev = re.event;
                assert!(
                    ev.ts() >= last_ts || ev.tid() < wpid,
                    "merge order: {} after {last_ts}",
                    ev.ts()
                );
                last_ts = last_ts.max(ev.ts());
                if ev.tid() >= wpid {
                    events.push(ev.as_bytes().to_vec());
                }
            }
            Ok(None) => {}
            Err(e) => panic!("capture: {e}"),
        }
        if waiter.is_finished() {
            let q = *quiet_since.get_or_insert_with(Instant::now);
            if q.elapsed() > Duration::from_millis(300) {
                break;
            }
        }
    }
    if !waiter.is_finished() {
        // SAFETY: kill on the pid of our own child.
        unsafe { libc::kill(wpid as i32, libc::SIGKILL) };
        panic!("the workload did not finish within 20 s (no loopback network?)");
    }
    let stats = cap.stats().unwrap_or_else(|e| panic!("stats: {e}"));
    assert_eq!(stats.total().drops(), 0, "drops: {:?}", stats.total());
    assert_eq!(stats.decode_errors, 0);
    let out = waiter
        .join()
        .unwrap_or_else(|_| panic!("waiter"))
        .unwrap_or_else(|e| panic!("workload: {e}"));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let mut facts: HashMap<String, String> = text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    facts.insert("dir".into(), dir.path().display().to_string());
    assert_eq!(
        facts.get("pid").map(String::as_str),
        Some(wpid.to_string().as_str())
    );
    Run { facts, events }
}
