//! `peregrine`: the sensor binary. Thin glue over the library crates.

mod capture;
mod capture_kmod;
mod drops;
mod engine;
mod replay;
mod rules_cmd;
mod run;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Exit codes (documented in README.md).
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// The input could not be read or decoded (bad file, bad bytes).
    pub const INPUT: u8 = 1;
    /// Bad usage: unknown flag, bad format string.
    pub const USAGE: u8 = 2;
    /// `run`: the configuration is invalid (the message says file:line:col).
    pub const CONFIG: u8 = 3;
    /// `run`: the rules do not load (the message says file:line:col).
    pub const RULES: u8 = 4;
}

/// A failure with its own exit code (usage, configuration, rules); any
/// other error exits with [`exit::INPUT`].
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: exit::USAGE,
            message: message.into(),
        }
    }
    pub fn config(message: impl Into<String>) -> Self {
        Failure {
            code: exit::CONFIG,
            message: message.into(),
        }
    }
    pub fn rules(message: impl Into<String>) -> Self {
        Failure {
            code: exit::RULES,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

#[derive(Parser)]
#[command(
    name = "peregrine",
    version,
    about = "Runtime security sensor that speaks Falco's languages",
    long_about = "Peregrine watches what processes do (syscalls, process lifecycle) and raises \
alerts when Falco rules match. It reads and writes Falco/sysdig .scap captures.\n\n\
Examples:\n  peregrine run                       (the sensor, default rules)\n  \
peregrine run -c /etc/peregrine/peregrine.yaml -r my_rules.yaml\n  \
peregrine replay capture.scap\n  \
peregrine replay capture.scap -p '%evt.num %evt.type %evt.args'\n  \
peregrine replay capture.scap --stats\n  peregrine list-fields"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the sensor: capture, apply Falco rules, send alerts to the configured outputs.
    Run(run::RunArgs),
    /// Print the events of a .scap capture file (plain or gzip), like `sysdig -r`.
    Replay(replay::ReplayArgs),
    /// Capture live events from this host's kernel
    Capture(capture::CaptureArgs),
    /// Check Falco rules files: `peregrine rules validate FILE…`.
    Rules(rules_cmd::RulesArgs),
    /// List the fields that output formats (-p) accept.
    ListFields,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    // evt.time and the alert lines in local time, as sysdig and Falco print them.
    peregrine_format::use_local_time();
    let res = match cli.cmd {
        Cmd::Run(a) => run::run(a),
        Cmd::Replay(a) => replay::run(a),
        Cmd::Capture(a) => capture::run(a),
        Cmd::Rules(a) => rules_cmd::run(a),
        Cmd::ListFields => {
            for f in peregrine_format::FIELDS {
                println!("{:<28} {}", f.name, f.desc);
            }
            for (name, desc) in peregrine_state::STATE_FIELDS {
                println!("{name:<28} {desc}");
            }
            Ok(exit::OK)
        }
    };
    match res {
        Ok(c) => ExitCode::from(c),
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::from(exit::OK);
            }
            eprintln!("peregrine: error: {e:#}");
            let code = e.downcast_ref::<Failure>().map_or(exit::INPUT, |f| f.code);
            ExitCode::from(code)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
