//! The driver loader: detect the host, then `auto` picks and installs a driver (a loaded
//! module, a verified prebuilt, a module built with DKMS or kbuild, or the modern eBPF probe) and
//! records why, in a JSON decision file the sensor reads.

pub mod api;
pub mod auto;
pub mod build;
pub mod detect;
pub mod dkms;
pub mod insert;
pub mod repos;

use std::path::Path;

/// Writes the decision atomically where the sensor reads it.
pub fn write_decision(path: &Path, decision: &auto::Decision) -> Result<(), String> {
    let mut json = serde_json::to_vec_pretty(decision).map_err(|e| e.to_string())?;
    json.push(b'\n');
    peregrine_driver_index::fetch::write_atomic(path, &json).map_err(|e| e.to_string())
}

/// The module path recorded by an earlier decision, to restore it if a replacement fails.
pub fn previous_module(path: &Path) -> Option<std::path::PathBuf> {
    let bytes = std::fs::read(path).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let p = v.get("module")?.get("path")?.as_str()?;
    Some(std::path::PathBuf::from(p)).filter(|p| p.exists())
}

/// Whether an earlier decision says this loader inserted the module.
pub fn previous_inserted(path: &Path) -> bool {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v.get("module")?.get("inserted")?.as_bool())
        .unwrap_or(false)
}
