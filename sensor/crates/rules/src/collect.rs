//! The collector: every list, macro and rule read so far, with the
//! definition index (first position) and visibility (latest
//! (re)definition) Falco uses for ordering and scoping (rules.md §1.7).

use crate::error::Loc;
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    Emergency,
    Alert,
    Critical,
    Error,
    Warning,
    Notice,
    Informational,
    Debug,
}

impl Priority {
    pub fn parse(s: &str) -> Option<Priority> {
        Some(match s.to_ascii_lowercase().as_str() {
            "emergency" => Priority::Emergency,
            "alert" => Priority::Alert,
            "critical" => Priority::Critical,
            "error" => Priority::Error,
            "warning" => Priority::Warning,
            "notice" => Priority::Notice,
            "informational" | "info" => Priority::Informational,
            "debug" => Priority::Debug,
            _ => return None,
        })
    }
    /// The word alerts print.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Emergency => "Emergency",
            Priority::Alert => "Alert",
            Priority::Critical => "Critical",
            Priority::Error => "Error",
            Priority::Warning => "Warning",
            Priority::Notice => "Notice",
            Priority::Informational => "Informational",
            Priority::Debug => "Debug",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ListInfo {
    pub name: String,
    pub items: Vec<String>,
    pub index: usize,
    pub visibility: usize,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct MacroInfo {
    pub name: String,
    pub condition: String,
    pub index: usize,
    pub visibility: usize,
    pub loc: Loc,
    pub cond_loc: Loc,
    /// Start of the condition text when it is on one line as written.
    pub cond_inline: Option<Loc>,
}

/// One exception value cell: a scalar or a list of scalars.
#[derive(Debug, Clone, PartialEq)]
pub enum ExValue {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone)]
pub struct Exception {
    pub name: String,
    /// `None`: scalar `fields` (a single field compared with a list).
    pub fields: Result<Vec<String>, String>,
    pub comps: Vec<String>,
    pub values: Vec<Vec<ExValue>>,
}

#[derive(Debug, Clone)]
pub struct RuleInfo {
    pub name: String,
    pub condition: String,
    pub output: String,
    pub desc: String,
    pub priority: Priority,
    pub source: String,
    pub enabled: bool,
    pub tags: BTreeSet<String>,
    pub exceptions: Vec<Exception>,
    pub warn_evttypes: bool,
    pub skip_if_unknown_filter: bool,
    pub capture: bool,
    pub capture_duration: u64,
    pub index: usize,
    pub loc: Loc,
    pub cond_loc: Loc,
    /// Start of the condition text when it is on one line as written.
    pub cond_inline: Option<Loc>,
    pub output_loc: Loc,
}

/// A `required_plugin_versions` entry.
#[derive(Debug, Clone)]
pub struct PluginReq {
    pub name: String,
    pub version: String,
    pub alternatives: Vec<(String, String)>,
    pub loc: Loc,
}

#[derive(Debug, Default, Clone)]
pub struct Collector {
    pub lists: Vec<ListInfo>,
    pub macros: Vec<MacroInfo>,
    pub rules: Vec<RuleInfo>,
    pub plugin_reqs: Vec<PluginReq>,
    pub required_engine: Option<(u64, u64, u64)>,
    /// Next definition index.
    pub next: usize,
}

impl Collector {
    pub fn list_mut(&mut self, n: &str) -> Option<&mut ListInfo> {
        self.lists.iter_mut().find(|l| l.name == n)
    }
    pub fn macro_mut(&mut self, n: &str) -> Option<&mut MacroInfo> {
        self.macros.iter_mut().find(|m| m.name == n)
    }
    pub fn rule_mut(&mut self, n: &str) -> Option<&mut RuleInfo> {
        self.rules.iter_mut().find(|r| r.name == n)
    }
}
