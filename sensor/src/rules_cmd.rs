//! `peregrine rules …`: check rules files, and the rule engine glue that
//! `replay -r` uses.
//!
//! Exit codes of `rules validate`: 0 every file loaded (warnings may have
//! been printed), 4 a file failed to load (the error says file:line:column,
//! the item and Falco's error code), 2 bad usage.

use anyhow::Result;
use clap::{Args, Subcommand};
use peregrine_rules::{Matching, RuleSet};
use std::path::PathBuf;

#[derive(Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    cmd: RulesCmd,
}

#[derive(Subcommand)]
enum RulesCmd {
    /// Load rules files/directories in order, as Falco does, and report
    /// errors and warnings with file:line:column. Exit 0 when they load.
    Validate {
        #[arg(required = true, value_name = "RULES")]
        files: Vec<PathBuf>,
        /// Also print the event types the enabled rules need from the kernel.
        #[arg(long)]
        interest: bool,
    },
}

pub fn run(a: RulesArgs) -> Result<u8> {
    let RulesCmd::Validate { files, interest } = a.cmd;
    match RuleSet::load(&files) {
        Ok((rs, warnings)) => {
            for w in &warnings {
                eprintln!("warning: {w}");
            }
            let enabled = (0..rs.rules().len()).filter(|i| rs.is_active(*i)).count();
            println!(
                "ok: {} rules ({enabled} enabled), {} warnings",
                rs.rules().len(),
                warnings.len()
            );
            if interest {
                let i = rs.syscall_interest();
                let names: Vec<&str> = i.names.iter().copied().collect();
                if i.all {
                    println!("event types: all (a rule matches every event type)");
                } else {
                    println!("event types: {}", names.join(" "));
                }
            }
            Ok(crate::exit::OK)
        }
        Err(f) => {
            for w in &f.warnings {
                eprintln!("warning: {w}");
            }
            eprintln!("error: {}", f.error);
            Ok(crate::exit::RULES)
        }
    }
}

/// Loads the rules for `replay -r`; warnings go to stderr.
pub fn load_for_replay(files: &[PathBuf], all: bool) -> Result<Option<RuleSet>> {
    if files.is_empty() {
        return Ok(None);
    }
    let (mut rs, warnings) = RuleSet::load(files).map_err(|f| anyhow::anyhow!("{}", f.error))?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    if all {
        rs.matching = Matching::All;
    }
    Ok(Some(rs))
}

/// Falco's hostname for alerts: `FALCO_HOSTNAME`, else the kernel's.
pub fn hostname() -> String {
    std::env::var("FALCO_HOSTNAME").ok().unwrap_or_else(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    })
}
