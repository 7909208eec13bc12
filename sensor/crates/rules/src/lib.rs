//! Falco's rule language for Peregrine: rules files (lists, macros, rules,
//! exceptions, append/override) read with positions, conditions compiled
//! into typed predicate trees indexed by event type, and alerts formatted
//! as Falco prints them.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use peregrine_rules::RuleSet;
//! let (mut rules, warnings) = RuleSet::load(&["/etc/peregrine/rules.yaml"])?;
//! for w in &warnings { eprintln!("warning: {w}"); }
//! rules.append_output("syscall", peregrine_rules::SUGGESTED_OUTPUT)?; // Falco's default
//! let kernel_needs = rules.syscall_interest(); // event types for the driver
//! # let _ = kernel_needs; Ok(()) }
//! ```
//!
//! Per event, after `state.process(&ev)`: `rules.evaluate(&ev, &state, num,
//! cpu)` gives the alerts (`Alert::to_text` / `Alert::to_json`). A
//! [`SharedRuleSet`] (`arc_swap::ArcSwap`) swaps a reloaded set atomically.
//!
//! Semantics follow Falco (reference: rules.md): files load in order into
//! one collector and everything is recompiled after each file; a check on
//! a missing field is false (also `!=`); `glob` is fnmatch without flags;
//! `regex` is anchored; first matching rule wins unless
//! [`Matching::All`]. Known differences: `evt.time` prints UTC (captures
//! carry no zone); fields this sensor cannot extract yet (container
//! runtime metadata, k8s, DNS names, `fd.name_changed`, ...) are accepted
//! and always missing; k8s_audit rules load and validate but have no event
//! source; the `getopt` transformer is accepted and never matches.

// Load errors are cold and carry everything a user needs (item, place,
// snippet); boxing them would only add noise to every reader function.
#![allow(clippy::result_large_err)]

pub mod ast;
mod build;
mod collect;
pub mod compile;
mod error;
mod eval;
pub mod evttypes;
pub mod fields;
mod fuse;
mod lists;
pub mod matchers;
pub mod output;
pub mod parser;
mod reader;
mod reader_rule;
mod ruleset;
mod specialize;
pub mod yaml;

pub use collect::Priority;
pub use error::{ErrorCode, Item, LoadError, LoadFailure, Loc, Warning, WarningCode};
pub use output::{Alert, JsonOptions, OutValue};
pub use reader::ENGINE_VERSION;
pub use ruleset::{CompiledRule, Interest, Matching, RuleSet, Selection, SUGGESTED_OUTPUT};

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Plugins whose fields this sensor provides itself.
const BUILTIN_PLUGINS: &[&str] = &["container"];

/// Expands directories into their `.yaml`/`.yml` files in name order, as
/// Falco does for `rules_files`.
pub fn expand_paths<P: AsRef<Path>>(paths: &[P]) -> Result<Vec<PathBuf>, LoadError> {
    let mut out = Vec::new();
    for p in paths {
        let p = p.as_ref();
        if p.is_dir() {
            let rd = std::fs::read_dir(p).map_err(|e| read_err(p, &e))?;
            let mut files: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.is_file()
                        && matches!(f.extension().and_then(|x| x.to_str()), Some("yaml" | "yml"))
                })
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(p.to_path_buf());
        }
    }
    Ok(out)
}

fn read_err(p: &Path, e: &std::io::Error) -> LoadError {
    LoadError {
        code: ErrorCode::FileRead,
        item: Item {
            kind: "rules file".into(),
            name: p.display().to_string(),
        },
        message: format!("cannot read: {e}"),
        loc: None,
        snippet: None,
    }
}

/// Loads rules texts in order, as Falco loads several files: one collector,
/// everything recompiled after each file, the first error stops.
pub fn load_texts(files: &[(String, String)]) -> Result<(RuleSet, Vec<Warning>), LoadFailure> {
    let mut c = collect::Collector::default();
    let mut warnings = Vec::new();
    let mut set = None;
    for (name, text) in files {
        let mut file_warnings = Vec::new();
        let res = reader::Reader {
            c: &mut c,
            warnings: &mut file_warnings,
            file: Arc::from(name.as_str()),
            src: text,
        }
        .read(text)
        .and_then(|_| build::build(&c, &mut file_warnings));
        // Unused-item warnings are re-derived on every recompile: keep the last.
        warnings.retain(|w: &Warning| {
            !matches!(w.code, WarningCode::UnusedMacro | WarningCode::UnusedList)
        });
        warnings.extend(file_warnings);
        match res {
            Ok(s) => set = Some(s),
            Err(error) => {
                return Err(LoadFailure {
                    error: Box::new(error),
                    warnings,
                })
            }
        }
    }
    dedup(&mut warnings);
    for req in &c.plugin_reqs {
        let builtin = |n: &str| BUILTIN_PLUGINS.contains(&n);
        if !builtin(&req.name) && !req.alternatives.iter().any(|(n, _)| builtin(n)) {
            warnings.push(Warning {
                code: WarningCode::PluginRequirement,
                item: Item {
                    kind: "required_plugin_versions".into(),
                    name: req.name.clone(),
                },
                message: format!(
                    "plugin {} >= {} is not built in: rules of its source load but cannot fire",
                    req.name, req.version
                ),
                loc: Some(req.loc.clone()),
            });
        }
    }
    let set =
        set.unwrap_or_else(|| ruleset::RuleSet::new(Vec::new(), compile::FieldTable::default(), 0));
    Ok((set, warnings))
}

fn dedup(w: &mut Vec<Warning>) {
    let mut seen = std::collections::HashSet::new();
    w.retain(|x| seen.insert(x.to_string()));
}

impl RuleSet {
    /// Loads rules files and directories in order (rules.md §1.7).
    pub fn load<P: AsRef<Path>>(paths: &[P]) -> Result<(RuleSet, Vec<Warning>), LoadFailure> {
        let files = expand_paths(paths).map_err(|error| LoadFailure {
            error: Box::new(error),
            warnings: Vec::new(),
        })?;
        let mut texts = Vec::new();
        for f in files {
            let t = std::fs::read_to_string(&f).map_err(|e| LoadFailure {
                error: Box::new(read_err(&f, &e)),
                warnings: Vec::new(),
            })?;
            texts.push((f.display().to_string(), t));
        }
        load_texts(&texts)
    }
}

/// An atomically swappable rule set (reload without stopping evaluation).
pub type SharedRuleSet = arc_swap::ArcSwap<RuleSet>;
