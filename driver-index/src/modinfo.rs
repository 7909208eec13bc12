//! Reading a kernel module's `.modinfo` section with the `object` crate.
//!
//! `.modinfo` is a run of NUL-terminated `key=value` strings. `vermagic` starts with the
//! `uname -r` of the kernel the module was built against; the kernel refuses a module whose
//! vermagic differs from its own, so the loader checks it before `finit_module`.

use object::{Object, ObjectSection};
use std::collections::BTreeMap;

/// What we need to know about a `.ko`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModInfo {
    pub name: String,
    pub vermagic: String,
    pub version: String,
    pub api_version: String,
    pub schema_version: String,
    /// modpost's digest of the module's sources (empty when absent); with the version it
    /// tells two builds apart, as `/sys/module/<name>/srcversion` does for a loaded one.
    pub srcversion: String,
    /// `uname -m` spelling derived from the ELF machine.
    pub arch: String,
}

impl ModInfo {
    /// The kernel release the module was built for: vermagic's first word.
    pub fn kernel_release(&self) -> &str {
        self.vermagic.split_whitespace().next().unwrap_or("")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ModInfoError {
    #[error("{what}: not an ELF object ({why}); the file is not a kernel module or is corrupt")]
    NotElf { what: String, why: String },
    #[error("{what}: no .modinfo section; the file is not a kernel module")]
    NoModinfo { what: String },
    #[error(
        "{what}: .modinfo has no {key:?}; the module was not built from Peregrine's kmod/module"
    )]
    Missing { what: String, key: &'static str },
}

/// Parses the module bytes; `what` (path or URL) is named in errors.
pub fn read(bytes: &[u8], what: &str) -> Result<ModInfo, ModInfoError> {
    let file = object::File::parse(bytes).map_err(|e| ModInfoError::NotElf {
        what: what.into(),
        why: e.to_string(),
    })?;
    let section = file
        .section_by_name(".modinfo")
        .ok_or_else(|| ModInfoError::NoModinfo { what: what.into() })?;
    let data = section.data().map_err(|e| ModInfoError::NotElf {
        what: what.into(),
        why: e.to_string(),
    })?;
    let fields = parse_fields(data);
    let get = |key: &'static str| {
        fields
            .get(key)
            .cloned()
            .ok_or_else(|| ModInfoError::Missing {
                what: what.into(),
                key,
            })
    };
    let arch = match file.architecture() {
        object::Architecture::X86_64 => "x86_64",
        object::Architecture::Aarch64 => "aarch64",
        object::Architecture::I386 => "i686",
        object::Architecture::Arm => "armv7l",
        object::Architecture::S390x => "s390x",
        object::Architecture::PowerPc64 => "ppc64le",
        object::Architecture::Riscv64 => "riscv64",
        _ => "unknown",
    };
    Ok(ModInfo {
        name: get("name")?,
        vermagic: get("vermagic")?,
        version: fields.get("version").cloned().unwrap_or_default(),
        api_version: get("api_version")?,
        schema_version: fields.get("schema_version").cloned().unwrap_or_default(),
        srcversion: fields.get("srcversion").cloned().unwrap_or_default(),
        arch: arch.into(),
    })
}

/// Marker the kernel's sign-file appends after a module signature.
pub const SIGNATURE_MARKER: &[u8] = b"~Module signature appended~\n";

/// True when the module carries an appended signature (which the kernel, not we, verifies).
pub fn has_signature(image: &[u8]) -> bool {
    image.ends_with(SIGNATURE_MARKER)
}

/// `key=value\0` strings into a map; the first value of a repeated key wins.
pub fn parse_fields(data: &[u8]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for entry in data.split(|&b| b == 0) {
        let Ok(text) = std::str::from_utf8(entry) else {
            continue;
        };
        if let Some((k, v)) = text.split_once('=') {
            out.entry(k.to_string()).or_insert_with(|| v.to_string());
        }
    }
    out
}

/// Writes a minimal x86_64 ELF relocatable object with a `.modinfo` section. Used by tests
/// (here and in the loader) to stand in for a real `.ko` without a kernel build.
pub fn fake_module(vermagic: &str, version: &str, api_version: &str) -> Vec<u8> {
    use object::write::Object as WObject;
    let mut obj = WObject::new(
        object::BinaryFormat::Elf,
        object::Architecture::X86_64,
        object::Endianness::Little,
    );
    let sec = obj.add_section(
        Vec::new(),
        b".modinfo".to_vec(),
        object::SectionKind::ReadOnlyData,
    );
    let info = format!(
        "version={version}\0api_version={api_version}\0schema_version=4.5.1\0name=peregrine\0vermagic={vermagic}\0"
    );
    obj.append_section_data(sec, info.as_bytes(), 1);
    obj.write().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fake_module() {
        let ko = fake_module(
            "6.1.0-10-amd64 SMP preempt mod_unload modversions ",
            "1.0.0",
            "1.0.0",
        );
        let info = read(&ko, "mem").expect("modinfo");
        assert_eq!(info.kernel_release(), "6.1.0-10-amd64");
        assert_eq!(info.api_version, "1.0.0");
        assert_eq!(info.arch, "x86_64");
        assert_eq!(info.name, "peregrine");
    }

    #[test]
    fn refuses_non_elf() {
        assert!(matches!(
            read(b"not elf", "x"),
            Err(ModInfoError::NotElf { .. })
        ));
    }

    #[test]
    fn fields_tolerate_garbage() {
        let f = parse_fields(b"a=1\0\xff\xfe\0noequals\0b=2=3\0a=9\0");
        assert_eq!(f.get("a").map(String::as_str), Some("1"));
        assert_eq!(f.get("b").map(String::as_str), Some("2=3"));
        assert_eq!(f.len(), 2);
    }
}
