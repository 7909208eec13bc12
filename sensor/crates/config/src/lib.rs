//! The sensor's configuration file: the subset of Falco's `falco.yaml` that
//! Peregrine implements, read with positions so every error names
//! `file:line:column`. Keys Peregrine does not implement are reported as
//! warnings, never silently taken.
//!
//! `-o key=value` overrides use dotted paths (`-o file_output.enabled=true`,
//! `-o json_output=true`, `-o rules_files=/etc/peregrine/rules.d`).

mod drops;
mod model;

pub use drops::{DropAction, DropConfig};
pub use model::*;

use peregrine_rules::yaml::{self, Kind, Node, Pos};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// A configuration error: where, what, and what to do.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read configuration {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{col}: {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },
    #[error("{path}:{line}:{col}: {key}: {message}")]
    Value {
        path: PathBuf,
        line: usize,
        col: usize,
        key: String,
        message: String,
    },
    #[error("-o {arg}: {message} (expected -o key.subkey=value)")]
    Override { arg: String, message: String },
}

/// A configuration value with where it came from.
pub(crate) struct Src<'a> {
    pub path: &'a Path,
}

impl Src<'_> {
    pub(crate) fn err(&self, pos: Pos, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::Value {
            path: self.path.to_path_buf(),
            line: pos.line,
            col: pos.col,
            key: key.to_string(),
            message: message.into(),
        }
    }
}

/// Sets `path` (dotted) in a map node to the scalar `value`, creating maps
/// on the way; positions of overridden values are line 0 (`-o`).
fn apply_override(root: &mut Node, arg: &str) -> Result<(), ConfigError> {
    let (key, value) = arg.split_once('=').ok_or_else(|| ConfigError::Override {
        arg: arg.into(),
        message: "no '='".into(),
    })?;
    if key.is_empty() || key.split('.').any(str::is_empty) {
        return Err(ConfigError::Override {
            arg: arg.into(),
            message: "empty key".into(),
        });
    }
    let pos = Pos { line: 0, col: 0 };
    let mut cur = root;
    let parts: Vec<&str> = key.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        if !matches!(cur.kind, Kind::Map(_)) {
            cur.kind = Kind::Map(Vec::new());
        }
        let Kind::Map(entries) = &mut cur.kind else {
            unreachable!("just made a map")
        };
        let idx = match entries.iter().position(|(k, _)| k.as_str() == Some(part)) {
            Some(i) => i,
            None => {
                entries.push((
                    Node {
                        kind: Kind::Scalar(part.to_string(), true),
                        pos,
                    },
                    Node {
                        kind: Kind::Null,
                        pos,
                    },
                ));
                entries.len() - 1
            }
        };
        let node = &mut entries[idx].1;
        if i == parts.len() - 1 {
            *node = Node {
                kind: Kind::Scalar(value.to_string(), true),
                pos,
            };
            return Ok(());
        }
        cur = node;
    }
    Ok(())
}

impl Config {
    /// Reads `path` (when given) and applies `overrides` in order.
    pub fn load(
        path: Option<&Path>,
        overrides: &[String],
    ) -> Result<(Config, Vec<String>), ConfigError> {
        let shown = path.unwrap_or(Path::new("<defaults>"));
        let mut root = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.into(),
                    source,
                })?;
                let docs = yaml::parse(&text).map_err(|e| ConfigError::Syntax {
                    path: p.into(),
                    line: e.pos.line,
                    col: e.pos.col,
                    message: e.message,
                })?;
                docs.into_iter().next().unwrap_or(Node {
                    kind: Kind::Null,
                    pos: Pos::default(),
                })
            }
            None => Node {
                kind: Kind::Null,
                pos: Pos::default(),
            },
        };
        if root.is_null() {
            root.kind = Kind::Map(Vec::new());
        }
        if !matches!(root.kind, Kind::Map(_)) {
            return Err(Src { path: shown }.err(
                root.pos,
                "<top>",
                "the configuration must be a mapping of keys",
            ));
        }
        for o in overrides {
            apply_override(&mut root, o)?;
        }
        let base = path.and_then(Path::parent).unwrap_or(Path::new("."));
        model::from_node(&root, &Src { path: shown }, base)
    }
}
