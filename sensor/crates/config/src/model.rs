//! Typed configuration and its defaults (falco.yaml 0.44 defaults where
//! Falco has the key; rules.md §5.3).

use crate::{ConfigError, DropConfig, Src};
use peregrine_rules::yaml::{Kind, Node};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Which capture engine to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    /// The loader's decision, else the kernel module, else modern eBPF.
    Auto,
    Kmod,
    ModernEbpf,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FileOutput {
    pub enabled: bool,
    pub keep_alive: bool,
    pub filename: PathBuf,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProgramOutput {
    pub enabled: bool,
    pub keep_alive: bool,
    pub program: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HttpOutput {
    pub enabled: bool,
    pub url: String,
    pub user_agent: String,
    pub insecure: bool,
    /// CA bundle to trust in addition (http_output.ca_bundle or ca_cert).
    pub ca_bundle: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Webserver {
    pub enabled: bool,
    pub listen_address: String,
    pub listen_port: u16,
    pub healthz_endpoint: String,
}

/// The sensor's configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub rules_files: Vec<PathBuf>,
    /// Minimum priority of rules loaded (name as in falco.yaml).
    pub priority: String,
    pub rule_matching_all: bool,
    pub json_output: bool,
    pub json_include_output_property: bool,
    pub json_include_tags_property: bool,
    pub buffered_outputs: bool,
    pub time_format_iso_8601: bool,
    pub stdout_output: bool,
    pub syslog_output: bool,
    pub file_output: FileOutput,
    pub program_output: ProgramOutput,
    pub http_output: HttpOutput,
    pub webserver: Webserver,
    pub engine: EngineKind,
    /// Ring size per CPU in bytes.
    pub buffer_bytes: usize,
    pub drops: DropConfig,
    /// Alerts queued per output before dropping.
    pub outputs_queue_capacity: usize,
    pub output_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            rules_files: vec![
                PathBuf::from("/etc/peregrine/peregrine_rules.yaml"),
                PathBuf::from("/etc/peregrine/rules.d"),
            ],
            priority: "debug".into(),
            rule_matching_all: false,
            json_output: false,
            json_include_output_property: true,
            json_include_tags_property: true,
            buffered_outputs: false,
            time_format_iso_8601: false,
            stdout_output: true,
            syslog_output: true,
            file_output: FileOutput {
                enabled: false,
                keep_alive: false,
                filename: "./events.txt".into(),
            },
            program_output: ProgramOutput {
                enabled: false,
                keep_alive: false,
                program: String::new(),
            },
            http_output: HttpOutput {
                enabled: false,
                url: String::new(),
                user_agent: "falcosecurity/falco".into(),
                insecure: false,
                ca_bundle: None,
            },
            webserver: Webserver {
                enabled: true,
                listen_address: "0.0.0.0".into(),
                listen_port: 8765,
                healthz_endpoint: "/healthz".into(),
            },
            engine: EngineKind::Auto,
            buffer_bytes: 8 << 20,
            drops: DropConfig::default(),
            outputs_queue_capacity: 4096,
            output_timeout: Duration::from_millis(2000),
        }
    }
}

/// Keys of falco.yaml we read; others are warned about.
const KNOWN: &[&str] = &[
    "rules_files",
    "rules_file",
    "priority",
    "rule_matching",
    "json_output",
    "json_include_output_property",
    "json_include_tags_property",
    "buffered_outputs",
    "time_format_iso_8601",
    "stdout_output",
    "syslog_output",
    "file_output",
    "program_output",
    "http_output",
    "webserver",
    "engine",
    "syscall_event_drops",
    "outputs_queue",
    "output_timeout",
];

pub(crate) struct Reader<'a> {
    src: &'a Src<'a>,
}

impl Reader<'_> {
    pub(crate) fn bool(&self, n: &Node, key: &str) -> Result<bool, ConfigError> {
        n.as_bool()
            .ok_or_else(|| self.src.err(n.pos, key, "expected true or false"))
    }
    pub(crate) fn str(&self, n: &Node, key: &str) -> Result<String, ConfigError> {
        match &n.kind {
            Kind::Scalar(s, _) => Ok(s.clone()),
            Kind::Null => Ok(String::new()),
            _ => Err(self.src.err(n.pos, key, "expected a string")),
        }
    }
    pub(crate) fn uint(&self, n: &Node, key: &str) -> Result<u64, ConfigError> {
        n.as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| self.src.err(n.pos, key, "expected a non-negative integer"))
    }
    fn path(&self, n: &Node, key: &str, base: &Path) -> Result<PathBuf, ConfigError> {
        let s = self.str(n, key)?;
        if s.is_empty() {
            return Err(self.src.err(n.pos, key, "empty path"));
        }
        let p = PathBuf::from(s);
        Ok(if p.is_absolute() { p } else { base.join(p) })
    }
}

pub(crate) fn from_node(
    root: &Node,
    src: &Src<'_>,
    base: &Path,
) -> Result<(Config, Vec<String>), ConfigError> {
    let r = Reader { src };
    let mut c = Config::default();
    let mut warnings = Vec::new();
    for (k, pos) in root.keys() {
        if !KNOWN.contains(&k) {
            warnings.push(format!(
                "{}:{}:{}: {k}: not implemented by Peregrine; ignored",
                src.path.display(),
                pos.line,
                pos.col
            ));
        }
    }
    for key in ["rules_files", "rules_file"] {
        if let Some(n) = root.get(key) {
            c.rules_files = match &n.kind {
                Kind::Seq(items) => items
                    .iter()
                    .map(|i| r.path(i, key, base))
                    .collect::<Result<_, _>>()?,
                Kind::Scalar(..) => r
                    .str(n, key)?
                    .split(',')
                    .map(|s| PathBuf::from(s.trim()))
                    .collect(),
                _ => return Err(src.err(n.pos, key, "expected a list of files or directories")),
            };
        }
    }
    if let Some(n) = root.get("priority") {
        let p = r.str(n, "priority")?;
        const OK: [&str; 9] = [
            "emergency",
            "alert",
            "critical",
            "error",
            "warning",
            "notice",
            "informational",
            "info",
            "debug",
        ];
        if !OK.contains(&p.to_ascii_lowercase().as_str()) {
            return Err(src.err(
                n.pos,
                "priority",
                format!("unknown priority '{p}' (one of {})", OK.join(", ")),
            ));
        }
        c.priority = p;
    }
    if let Some(n) = root.get("rule_matching") {
        c.rule_matching_all = match r.str(n, "rule_matching")?.as_str() {
            "first" => false,
            "all" => true,
            other => {
                return Err(src.err(
                    n.pos,
                    "rule_matching",
                    format!("'{other}': expected first or all"),
                ))
            }
        };
    }
    for (key, dst) in [
        ("json_output", &mut c.json_output),
        (
            "json_include_output_property",
            &mut c.json_include_output_property,
        ),
        (
            "json_include_tags_property",
            &mut c.json_include_tags_property,
        ),
        ("buffered_outputs", &mut c.buffered_outputs),
        ("time_format_iso_8601", &mut c.time_format_iso_8601),
    ] {
        if let Some(n) = root.get(key) {
            *dst = r.bool(n, key)?;
        }
    }
    for (key, dst) in [
        ("stdout_output", &mut c.stdout_output),
        ("syslog_output", &mut c.syslog_output),
    ] {
        if let Some(n) = root.get(key).and_then(|m| m.get("enabled")) {
            *dst = r.bool(n, &format!("{key}.enabled"))?;
        }
    }
    if let Some(m) = root.get("file_output") {
        if let Some(n) = m.get("enabled") {
            c.file_output.enabled = r.bool(n, "file_output.enabled")?;
        }
        if let Some(n) = m.get("keep_alive") {
            c.file_output.keep_alive = r.bool(n, "file_output.keep_alive")?;
        }
        if let Some(n) = m.get("filename") {
            c.file_output.filename = r.path(n, "file_output.filename", base)?;
        }
    }
    if let Some(m) = root.get("program_output") {
        if let Some(n) = m.get("enabled") {
            c.program_output.enabled = r.bool(n, "program_output.enabled")?;
        }
        if let Some(n) = m.get("keep_alive") {
            c.program_output.keep_alive = r.bool(n, "program_output.keep_alive")?;
        }
        if let Some(n) = m.get("program") {
            c.program_output.program = r.str(n, "program_output.program")?;
        }
        if c.program_output.enabled && c.program_output.program.is_empty() {
            let pos = m.get("enabled").map_or(m.pos, |n| n.pos);
            return Err(src.err(pos, "program_output", "enabled but no program given"));
        }
    }
    if let Some(m) = root.get("http_output") {
        if let Some(n) = m.get("enabled") {
            c.http_output.enabled = r.bool(n, "http_output.enabled")?;
        }
        if let Some(n) = m.get("url") {
            c.http_output.url = r.str(n, "http_output.url")?;
        }
        if let Some(n) = m.get("user_agent") {
            c.http_output.user_agent = r.str(n, "http_output.user_agent")?;
        }
        if let Some(n) = m.get("insecure") {
            c.http_output.insecure = r.bool(n, "http_output.insecure")?;
        }
        for key in ["ca_bundle", "ca_cert"] {
            if let Some(n) = m
                .get(key)
                .filter(|n| n.as_str().is_some_and(|s| !s.is_empty()))
            {
                c.http_output.ca_bundle = Some(r.path(n, &format!("http_output.{key}"), base)?);
            }
        }
        if c.http_output.enabled
            && !(c.http_output.url.starts_with("http://")
                || c.http_output.url.starts_with("https://"))
        {
            let pos = m.get("url").map_or(m.pos, |n| n.pos);
            return Err(src.err(
                pos,
                "http_output.url",
                format!("'{}' is not an http:// or https:// URL", c.http_output.url),
            ));
        }
    }
    if let Some(m) = root.get("webserver") {
        if let Some(n) = m.get("enabled") {
            c.webserver.enabled = r.bool(n, "webserver.enabled")?;
        }
        if let Some(n) = m.get("listen_address") {
            c.webserver.listen_address = r.str(n, "webserver.listen_address")?;
        }
        if let Some(n) = m.get("listen_port") {
            let p = r.uint(n, "webserver.listen_port")?;
            c.webserver.listen_port = u16::try_from(p).map_err(|_| {
                src.err(
                    n.pos,
                    "webserver.listen_port",
                    "port out of range (0..65535)",
                )
            })?;
        }
        if let Some(n) = m.get("k8s_healthz_endpoint") {
            c.webserver.healthz_endpoint = r.str(n, "webserver.k8s_healthz_endpoint")?;
        }
    }
    if let Some(m) = root.get("engine") {
        if let Some(n) = m.get("kind") {
            c.engine = match r.str(n, "engine.kind")?.as_str() {
                "auto" => EngineKind::Auto,
                "kmod" => EngineKind::Kmod,
                "modern_ebpf" | "modern-ebpf" => EngineKind::ModernEbpf,
                other => {
                    return Err(src.err(
                        n.pos,
                        "engine.kind",
                        format!("'{other}' is not supported (auto, kmod or modern_ebpf)"),
                    ))
                }
            };
        }
        for key in ["kmod", "modern_ebpf"] {
            if let Some(n) = m.get(key).and_then(|e| e.get("buf_size_preset")) {
                // Falco's presets: 1 = 1 MiB ... 4 = 8 MiB, 5 = 16 MiB, 6 = 32 MiB, 7 = 64 MiB...
                let p = r.uint(n, &format!("engine.{key}.buf_size_preset"))?;
                if !(1..=10).contains(&p) {
                    return Err(src.err(n.pos, "buf_size_preset", "expected 1..10"));
                }
                c.buffer_bytes = (1usize << 20) << (p.saturating_sub(1).min(9) as usize);
            }
        }
    }
    if let Some(n) = root.get("syscall_event_drops") {
        c.drops = crate::drops::read(&r, src, n)?;
    }
    if let Some(n) = root.get("outputs_queue").and_then(|m| m.get("capacity")) {
        let cap = r.uint(n, "outputs_queue.capacity")?;
        // 0 means "unbounded" in Falco; outputs must never block capture, so
        // we keep a large bound instead.
        c.outputs_queue_capacity = if cap == 0 { 1 << 20 } else { cap as usize };
    }
    if let Some(n) = root.get("output_timeout") {
        c.output_timeout = Duration::from_millis(r.uint(n, "output_timeout")?);
    }
    Ok((c, warnings))
}
