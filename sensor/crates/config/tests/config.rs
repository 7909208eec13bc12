use peregrine_config::*;
use std::path::PathBuf;

fn write(name: &str, text: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("prg-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let p = d.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn falco_yaml_subset_and_overrides() {
    let p = write(
        "ok.yaml",
        "rules_files:\n  - /etc/falco/falco_rules.yaml\n  - rules.d\njson_output: true\npriority: warning\n\
         file_output:\n  enabled: true\n  filename: /var/log/alerts.json\nhttp_output:\n  enabled: true\n  \
         url: http://sidekick:2801/\nwebserver:\n  listen_port: 9000\nengine:\n  kind: modern_ebpf\n  \
         modern_ebpf:\n    buf_size_preset: 4\nload_plugins: []\n",
    );
    let (c, warnings) = Config::load(
        Some(&p),
        &[
            "stdout_output.enabled=false".into(),
            "json_output=false".into(),
        ],
    )
    .unwrap();
    assert_eq!(
        c.rules_files[0],
        PathBuf::from("/etc/falco/falco_rules.yaml")
    );
    assert_eq!(c.rules_files[1], p.parent().unwrap().join("rules.d"));
    assert!(!c.json_output, "-o wins over the file");
    assert!(!c.stdout_output);
    assert!(c.file_output.enabled);
    assert_eq!(c.http_output.url, "http://sidekick:2801/");
    assert_eq!(c.webserver.listen_port, 9000);
    assert_eq!(c.engine, EngineKind::ModernEbpf);
    assert_eq!(c.buffer_bytes, 8 << 20);
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].contains("load_plugins") && warnings[0].contains(":18:1"),
        "{warnings:?}"
    );
}

#[test]
fn bad_values_name_file_line_and_column() {
    let p = write("bad.yaml", "json_output: yes please\n");
    let e = Config::load(Some(&p), &[]).unwrap_err().to_string();
    assert!(
        e.ends_with("bad.yaml:1:14: json_output: expected true or false"),
        "{e}"
    );
    let p = write("bad2.yaml", "webserver:\n  listen_port: 70000\n");
    let e = Config::load(Some(&p), &[]).unwrap_err().to_string();
    assert!(
        e.contains("bad2.yaml:2:16: webserver.listen_port: port out of range"),
        "{e}"
    );
    let p = write("bad3.yaml", "engine:\n  kind: ebpf\n");
    let e = Config::load(Some(&p), &[]).unwrap_err().to_string();
    assert!(
        e.contains(":2:9: engine.kind: 'ebpf' is not supported"),
        "{e}"
    );
    let p = write("bad4.yaml", "json_output: [\n");
    assert!(matches!(
        Config::load(Some(&p), &[]).unwrap_err(),
        ConfigError::Syntax { line: 2, .. } | ConfigError::Syntax { .. }
    ));
    let e = Config::load(None, &["nonsense".into()])
        .unwrap_err()
        .to_string();
    assert!(e.contains("-o nonsense: no '='"), "{e}");
    let e = Config::load(Some(std::path::Path::new("/nonexistent/p.yaml")), &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("/nonexistent/p.yaml"), "{e}");
}

#[test]
fn defaults_without_a_file() {
    let (c, w) = Config::load(None, &[]).unwrap();
    assert!(w.is_empty());
    assert!(c.stdout_output && c.syslog_output && c.webserver.enabled);
    assert_eq!(c.webserver.listen_port, 8765);
    assert_eq!(c.engine, EngineKind::Auto);
}

#[test]
fn syscall_event_drops_keys_defaults_and_errors() {
    let (c, _) = Config::load(None, &[]).unwrap();
    assert_eq!(c.drops, DropConfig::default());
    assert_eq!(c.drops.actions, [DropAction::Log, DropAction::Alert]);
    assert_eq!((c.drops.threshold, c.drops.max_burst), (0.1, 1));
    let p = write(
        "drops.yaml",
        "syscall_event_drops:\n  threshold: 0.25\n  actions: [log, exit]\n  rate: 2\n  max_burst: 5\n  simulate_drops: true\n",
    );
    let (c, _) = Config::load(Some(&p), &[]).unwrap();
    assert_eq!(
        c.drops,
        DropConfig {
            actions: vec![DropAction::Log, DropAction::Exit],
            threshold: 0.25,
            rate: 2.0,
            max_burst: 5,
            simulate_drops: true,
        }
    );
    for (text, want) in [
        ("syscall_event_drops:\n  max_burst: 0\n", ":2:14: syscall_event_drops.max_burst"),
        ("syscall_event_drops:\n  rate: -1\n", ":2:9: syscall_event_drops.rate"),
        ("syscall_event_drops:\n  threshold: x\n", "expected a number"),
        (
            "syscall_event_drops:\n  actions:\n    - alert\n    - ignore\n",
            ":3:7: syscall_event_drops.actions: syscall event drop action \"alert\" does not make sense with the \"ignore\" action",
        ),
    ] {
        let p = write("bad-drops.yaml", text);
        let e = Config::load(Some(&p), &[]).unwrap_err().to_string();
        assert!(e.contains(want), "{text:?}: {e}");
    }
}
