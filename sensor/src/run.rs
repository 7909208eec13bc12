//! `peregrine run`: the sensor daemon. Capture → state → rules → outputs,
//! with a falco.yaml-compatible configuration, the /healthz /versions
//! /metrics webserver, SIGHUP reloads and graceful SIGTERM/SIGINT.

use crate::exit;
use anyhow::{Context, Result};
use clap::Args;
use peregrine_config::Config;
use peregrine_daemon::{sd_notify, DropMonitor, Metrics, WebServer, WebState};
use peregrine_outputs::{
    Alert, FileSink, HttpConfig, HttpSink, Outputs, ProgramSink, Sink, StdoutSink, SyslogSink,
};
use peregrine_rules::{
    output::JsonOptions, Matching, Priority as RulePriority, RuleSet, Selection,
};
use peregrine_state::{Limits, State};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The default rules, shipped inside the binary.
pub const DEFAULT_RULES: &str = include_str!("../../rules/peregrine_rules.yaml");
const DEFAULT_CONFIG: &str = "/etc/peregrine/peregrine.yaml";

#[derive(Args)]
pub struct RunArgs {
    /// Configuration file (the falco.yaml keys Peregrine implements).
    /// Default: /etc/peregrine/peregrine.yaml when it exists, else built-in defaults.
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Override a configuration key, e.g. -o json_output=true -o file_output.enabled=true (repeatable).
    #[arg(short = 'o', value_name = "KEY=VALUE")]
    overrides: Vec<String>,
    /// Rules files or directories, loaded in order, instead of the configuration's rules_files.
    #[arg(short = 'r', long = "rules", value_name = "RULES")]
    rules: Vec<PathBuf>,
    /// Check the configuration and rules, print problems, and exit.
    #[arg(long)]
    validate: bool,
    /// Replay this capture file through the pipeline instead of capturing
    /// (Falco's -e): state from the file, alerts to the configured outputs,
    /// exit at its end.
    #[arg(short = 'e', long = "trace", value_name = "FILE.scap")]
    trace: Option<PathBuf>,
    /// Stop after S seconds (tests, benchmarks).
    #[arg(long, value_name = "S")]
    duration: Option<f64>,
}

fn load_config(a: &RunArgs) -> Result<Config> {
    let path = a.config.clone().or_else(|| {
        Path::new(DEFAULT_CONFIG)
            .exists()
            .then(|| DEFAULT_CONFIG.into())
    });
    let (mut cfg, warnings) = Config::load(path.as_deref(), &a.overrides)
        .map_err(|e| crate::Failure::config(e.to_string()))?;
    for w in warnings {
        eprintln!("peregrine: warning: {w}");
    }
    if !a.rules.is_empty() {
        cfg.rules_files = a.rules.clone();
    }
    Ok(cfg)
}

/// Loads the configured rules; when none of the configured paths exists,
/// the built-in default rules.
fn load_rules(cfg: &Config) -> Result<(RuleSet, String)> {
    let existing: Vec<&PathBuf> = cfg.rules_files.iter().filter(|p| p.exists()).collect();
    let (mut rs, warnings, from) = if existing.is_empty() {
        let (rs, w) = peregrine_rules::load_texts(&[(
            "<built-in peregrine_rules.yaml>".into(),
            DEFAULT_RULES.into(),
        )])
        .map_err(|f| crate::Failure::rules(format!("built-in rules: {}", f.error)))?;
        (rs, w, "built-in default rules".to_string())
    } else {
        let (rs, w) = RuleSet::load(&existing).map_err(|f| {
            for w in &f.warnings {
                eprintln!("peregrine: warning: {w}");
            }
            crate::Failure::rules(f.error.to_string())
        })?;
        let names: Vec<String> = existing.iter().map(|p| p.display().to_string()).collect();
        (rs, w, names.join(", "))
    };
    for w in warnings {
        eprintln!("peregrine: warning: {w}");
    }
    rs.select(&Selection {
        min_priority: RulePriority::parse(&cfg.priority),
        ..Default::default()
    });
    if cfg.rule_matching_all {
        rs.matching = Matching::All;
    }
    Ok((rs, from))
}

fn build_outputs(cfg: &Config, reopen: Arc<AtomicBool>) -> Result<Outputs> {
    let mut sinks: Vec<Box<dyn Sink>> = Vec::new();
    if cfg.stdout_output {
        sinks.push(Box::new(StdoutSink {
            json: cfg.json_output,
        }));
    }
    if cfg.file_output.enabled {
        let f = &cfg.file_output;
        let sink = FileSink::open(
            f.filename.clone(),
            cfg.json_output,
            f.keep_alive || cfg.buffered_outputs,
            reopen,
        )
        .map_err(|e| {
            crate::Failure::config(format!(
                "file_output.filename {}: {e}",
                f.filename.display()
            ))
        })?;
        sinks.push(Box::new(sink));
    }
    if cfg.syslog_output {
        let path = std::env::var_os("PEREGRINE_SYSLOG_SOCKET")
            .map_or_else(|| PathBuf::from("/dev/log"), PathBuf::from);
        if path.exists() {
            sinks.push(Box::new(SyslogSink::new(path)));
        } else {
            eprintln!(
                "peregrine: warning: syslog_output: {} does not exist; syslog output disabled",
                path.display()
            );
        }
    }
    if cfg.program_output.enabled {
        sinks.push(Box::new(ProgramSink::new(
            cfg.program_output.program.clone(),
            cfg.json_output,
        )));
    }
    if cfg.http_output.enabled {
        let h = &cfg.http_output;
        let sink = HttpSink::new(HttpConfig {
            url: h.url.clone(),
            user_agent: h.user_agent.clone(),
            insecure: h.insecure,
            ca_bundle: h.ca_bundle.clone(),
            timeout: cfg.output_timeout,
            attempts: 3,
        })
        .map_err(|e| crate::Failure::config(format!("http_output: {e}")))?;
        sinks.push(Box::new(sink));
    }
    Ok(Outputs::start(sinks, cfg.outputs_queue_capacity))
}

/// Syscalls state tracking needs whatever the rules say.
const STATE_SYSCALLS: &[&str] = &[
    "clone",
    "clone3",
    "fork",
    "vfork",
    "execve",
    "execveat",
    "open",
    "openat",
    "openat2",
    "creat",
    "close",
    "close_range",
    "dup",
    "dup2",
    "dup3",
    "fcntl",
    "pipe",
    "pipe2",
    "socket",
    "socketpair",
    "connect",
    "accept",
    "accept4",
    "bind",
    "chdir",
    "fchdir",
    "setuid",
    "setgid",
    "setresuid",
    "setresgid",
    "setreuid",
    "setregid",
    "setsid",
    "setpgid",
    "capset",
    "prctl",
    "memfd_create",
    "pidfd_open",
    "pidfd_getfd",
    "open_by_handle_at",
    "eventfd",
    "eventfd2",
    "signalfd",
    "signalfd4",
    "inotify_init",
    "inotify_init1",
    "timerfd_create",
    "userfaultfd",
    "io_uring_setup",
    "epoll_create",
    "epoll_create1",
    "chroot",
];

/// Native syscall numbers to capture: what the rules and state need, among
/// the syscalls the probe has fillers for.
fn interest(rs: &RuleSet) -> Vec<u32> {
    let want = rs.syscall_interest();
    let filled: Vec<u32> = peregrine_bpf::FILLERS.iter().map(|(nr, _)| *nr).collect();
    if want.all {
        return filled;
    }
    let native = |name: &str| {
        let name = match name {
            "pread" => "pread64",
            "pwrite" => "pwrite64",
            n => n,
        };
        peregrine_wire::SYSCALLS_X86_64
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(nr, _)| *nr as u32)
    };
    let mut v: Vec<u32> = want
        .names
        .iter()
        .copied()
        .chain(STATE_SYSCALLS.iter().copied())
        .filter_map(native)
        .filter(|nr| filled.contains(nr))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

fn to_output(a: &peregrine_rules::output::Alert, cfg: &Config, hostname: &str) -> Alert {
    let opts = JsonOptions {
        output: cfg.json_include_output_property,
        tags: cfg.json_include_tags_property,
        ..Default::default()
    };
    Alert {
        priority: peregrine_outputs::Priority::parse(a.priority.as_str())
            .unwrap_or(peregrine_outputs::Priority::Debug),
        rule: a.rule.to_string(),
        text: a.to_text(cfg.time_format_iso_8601),
        json: a.to_json(hostname, cfg.time_format_iso_8601, opts),
    }
}

pub fn run(a: RunArgs) -> Result<u8> {
    let cfg = load_config(&a)?;
    let (rules, rules_from) = load_rules(&cfg)?;
    let active = (0..rules.rules().len())
        .filter(|i| rules.is_active(*i))
        .count();
    if a.validate {
        println!("configuration ok; {active} rules enabled from {rules_from}");
        return Ok(exit::OK);
    }
    eprintln!("peregrine: {active} rules enabled from {rules_from}");

    let term = Arc::new(AtomicBool::new(false));
    let hup = Arc::new(AtomicBool::new(false));
    let reopen = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, term.clone()).context("installing signal handlers")?;
    }
    signal_hook::flag::register(signal_hook::consts::SIGHUP, hup.clone())
        .context("installing signal handlers")?;

    let outputs = build_outputs(&cfg, reopen.clone())?;
    let metrics = Arc::new(Metrics::new());
    let web_state = Arc::new(WebState {
        metrics: metrics.clone(),
        versions: format!(
            "{{\"peregrine_version\":\"{}\",\"engine_version\":\"0.26.0\",\"schema_version\":\"{}.{}.{}\"}}",
            env!("CARGO_PKG_VERSION"),
            peregrine_wire::SCHEMA_VERSION.0,
            peregrine_wire::SCHEMA_VERSION.1,
            peregrine_wire::SCHEMA_VERSION.2
        ),
        healthy: AtomicBool::new(false),
    });
    // A replay (-e) serves nothing, as Falco skips its webserver in capture
    // mode: it ends on its own and must not clash with a running daemon's port.
    let _web = if cfg.webserver.enabled && a.trace.is_none() {
        let addr = format!(
            "{}:{}",
            cfg.webserver.listen_address, cfg.webserver.listen_port
        );
        let w = WebServer::start(&addr, web_state.clone()).map_err(|e| {
            crate::Failure::config(format!("webserver: cannot listen on {addr}: {e}"))
        })?;
        eprintln!(
            "peregrine: webserver on http://{}/ (/healthz /versions /metrics)",
            w.local_addr()
        );
        Some(w)
    } else {
        None
    };

    let mut syscalls = interest(&rules);
    let (mut state, mut cap) = match &a.trace {
        Some(path) => {
            let reader = peregrine_scap::CaptureReader::open(path)
                .with_context(|| format!("-e {}", path.display()))?;
            let state = State::from_capture(reader.metadata(), Limits::default());
            eprintln!(
                "peregrine: replaying {}, {} threads known",
                path.display(),
                state.thread_count()
            );
            (state, crate::engine::Source::file(reader))
        }
        None => {
            let host_root =
                std::env::var_os("HOST_ROOT").map_or_else(|| PathBuf::from("/"), PathBuf::from);
            let state = State::from_proc(&host_root, Limits::default());
            let choice = crate::engine::choose(
                cfg.engine,
                &crate::engine::decision_path(),
                Path::new("/dev"),
            );
            let cap = crate::engine::Source::open(&choice, syscalls.clone(), cfg.buffer_bytes)?;
            eprintln!(
                "peregrine: capturing with {} ({}): {} syscalls, {} threads known",
                if choice.kmod {
                    "the kernel module"
                } else {
                    "modern eBPF"
                },
                choice.reason,
                syscalls.len(),
                state.thread_count()
            );
            (state, cap)
        }
    };
    let hostname = crate::rules_cmd::hostname();
    let mut rules = Arc::new(rules);
    web_state.healthy.store(true, Ordering::Relaxed);
    sd_notify("READY=1");

    let deadline = a
        .duration
        .map(|d| Instant::now() + Duration::from_secs_f64(d.max(0.0)));
    let events = metrics.events.with(&["syscall"]);
    let mut last_check = Instant::now();
    let is_file = cap.is_file();
    let mut drop_monitor = DropMonitor::new(crate::drops::policy(&cfg.drops));
    let mut code = exit::OK;
    while !term.load(Ordering::Relaxed) && deadline.is_none_or(|d| Instant::now() < d) {
        if hup.swap(false, Ordering::Relaxed) {
            reopen.store(true, Ordering::Relaxed);
            sd_notify("RELOADING=1");
            match load_rules(&cfg) {
                Ok((rs, from)) => {
                    let missing: Vec<u32> = interest(&rs)
                        .into_iter()
                        .filter(|nr| !syscalls.contains(nr))
                        .collect();
                    if !missing.is_empty() && !is_file {
                        match cap.add_syscalls(&missing) {
                            Ok(added) => {
                                eprintln!("peregrine: now also capturing {} syscalls the new rules need", added.len());
                                syscalls.extend(added);
                            }
                            Err(e) => eprintln!("peregrine: warning: the new rules need {} syscalls not captured ({e:#}); restart to capture them", missing.len()),
                        }
                    }
                    rules = Arc::new(rs);
                    metrics.rule_reloads.inc();
                    eprintln!("peregrine: rules reloaded from {from}");
                }
                Err(e) => {
                    metrics.rule_reload_failures.inc();
                    eprintln!(
                        "peregrine: error: rules reload failed, keeping the previous rules: {e:#}"
                    );
                }
            }
            sd_notify("READY=1");
        }
        let next = cap.next(Duration::from_millis(100))?;
        if next.is_none() && is_file {
            break;
        }
        if let Some((cpu, ev)) = next {
            events.inc();
            if is_file {
                // A file has no kernel-side counters (Falco reads zeros from
                // a savefile's capture stats too): only simulated drops, each
                // of which is then all of the second's loss.
                if let Some(r) = drop_monitor.observe(ev.ts(), 0, 0) {
                    if crate::drops::act(&r, ev.ts(), &outputs, &hostname) {
                        code = exit::INPUT;
                        break;
                    }
                }
            }
            state.process(&ev);
            for al in rules.evaluate(&ev, &state, events.get(), cpu) {
                metrics.alerts.with(&[&al.rule, al.priority.as_str()]).inc();
                outputs.submit(to_output(&al, &cfg, &hostname));
            }
        }
        if last_check.elapsed() >= Duration::from_secs(1) {
            last_check = Instant::now();
            metrics.threads.set(state.thread_count() as u64);
            metrics.rules_loaded.set(
                (0..rules.rules().len())
                    .filter(|i| rules.is_active(*i))
                    .count() as u64,
            );
            for s in outputs.stats() {
                metrics
                    .output_drops
                    .with(&[&s.name])
                    .set(s.dropped.load(Ordering::Relaxed) + s.errors.load(Ordering::Relaxed));
            }
            {
                let drops = cap.drops();
                for (cpu, reason, n) in &drops {
                    metrics.drops.with(&[reason, &cpu.to_string()]).set(*n);
                }
                let total: u64 = drops.iter().map(|d| d.2).sum();
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as u64);
                // A replay's checks follow event time, above.
                if !is_file {
                    if let Some(r) = drop_monitor.observe(now, events.get(), total) {
                        if crate::drops::act(&r, now, &outputs, &hostname) {
                            code = exit::INPUT;
                            break;
                        }
                    }
                }
            }
        }
    }
    web_state.healthy.store(false, Ordering::Relaxed);
    sd_notify("STOPPING=1");
    eprintln!("peregrine: stopping after {} events", events.get());
    eprintln!("{}", drop_monitor.summary());
    outputs.shutdown(Duration::from_secs(5));
    Ok(code)
}
