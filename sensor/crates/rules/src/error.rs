//! Load errors and warnings, with Falco's codes (`falco_load_result.cpp`)
//! and the place in the rules file they concern.

use std::fmt;
use std::sync::Arc;

/// A place in a rules file (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    pub file: Arc<str>,
    pub line: usize,
    pub col: usize,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// Falco's error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    FileRead,
    YamlParse,
    YamlValidate,
    CompileCondition,
    CompileOutput,
    Validate,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::FileRead => "LOAD_ERR_FILE_READ",
            ErrorCode::YamlParse => "LOAD_ERR_YAML_PARSE",
            ErrorCode::YamlValidate => "LOAD_ERR_YAML_VALIDATE",
            ErrorCode::CompileCondition => "LOAD_ERR_COMPILE_CONDITION",
            ErrorCode::CompileOutput => "LOAD_ERR_COMPILE_OUTPUT",
            ErrorCode::Validate => "LOAD_ERR_VALIDATE",
        }
    }
}

/// Falco's warning codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarningCode {
    UnknownSource,
    UnsafeNaCheck,
    NoEvttype,
    UnknownFilter,
    UnusedMacro,
    UnusedList,
    UnknownItem,
    DeprecatedItem,
    AppendNoValues,
    ExceptionNameNotUnique,
    InvalidMacroName,
    InvalidListName,
    CompileCondition,
    UnknownKey,
    /// Ours: a plugin the file requires is not built in (its rules are
    /// loaded but cannot fire).
    PluginRequirement,
}

impl WarningCode {
    pub fn as_str(self) -> &'static str {
        use WarningCode::*;
        match self {
            UnknownSource => "LOAD_UNKNOWN_SOURCE",
            UnsafeNaCheck => "LOAD_UNSAFE_NA_CHECK",
            NoEvttype => "LOAD_NO_EVTTYPE",
            UnknownFilter => "LOAD_UNKNOWN_FILTER",
            UnusedMacro => "LOAD_UNUSED_MACRO",
            UnusedList => "LOAD_UNUSED_LIST",
            UnknownItem => "LOAD_UNKNOWN_ITEM",
            DeprecatedItem => "LOAD_DEPRECATED_ITEM",
            AppendNoValues => "LOAD_APPEND_NO_VALUES",
            ExceptionNameNotUnique => "LOAD_EXCEPTION_NAME_NOT_UNIQUE",
            InvalidMacroName => "LOAD_INVALID_MACRO_NAME",
            InvalidListName => "LOAD_INVALID_LIST_NAME",
            CompileCondition => "LOAD_COMPILE_CONDITION",
            UnknownKey => "LOAD_UNKNOWN_KEY",
            PluginRequirement => "LOAD_PLUGIN_REQUIREMENT",
        }
    }
}

/// What an error or warning is about: item type (`rule`, `macro`, `list`,
/// `required_engine_version`, `rules content`, ...) and name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Item {
    pub kind: String,
    pub name: String,
}

/// The error that stopped loading.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LoadError {
    pub code: ErrorCode,
    pub item: Item,
    pub message: String,
    pub loc: Option<Loc>,
    /// The condition or output text the error is in, if any.
    pub snippet: Option<String>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_diag(
            f,
            self.loc.as_ref(),
            self.code.as_str(),
            &self.item,
            &self.message,
        )?;
        if let Some(s) = &self.snippet {
            write!(f, "\n    in: {s}")?;
        }
        Ok(())
    }
}

/// A warning: loading goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub code: WarningCode,
    pub item: Item,
    pub message: String,
    pub loc: Option<Loc>,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_diag(
            f,
            self.loc.as_ref(),
            self.code.as_str(),
            &self.item,
            &self.message,
        )
    }
}

fn write_diag(
    f: &mut fmt::Formatter<'_>,
    loc: Option<&Loc>,
    code: &str,
    item: &Item,
    msg: &str,
) -> fmt::Result {
    if let Some(l) = loc {
        write!(f, "{l}: ")?;
    }
    write!(f, "{code}: {}", item.kind)?;
    if !item.name.is_empty() {
        write!(f, " '{}'", item.name)?;
    }
    write!(f, ": {msg}")
}

/// A failed load: the error and the warnings seen before it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{error}")]
pub struct LoadFailure {
    pub error: Box<LoadError>,
    pub warnings: Vec<Warning>,
}
