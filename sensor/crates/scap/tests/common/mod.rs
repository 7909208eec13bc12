//! Fixture helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use peregrine_scap::{CaptureReader, Metadata, ScapError};

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../tests/fixtures")
}

/// A fixture capture and the name of its sysdig oracle (without suffix).
pub struct Fixture {
    pub path: PathBuf,
    pub oracle: Option<String>,
}

/// Every fixture capture.
pub fn captures() -> Vec<Fixture> {
    let f = fixtures();
    let mut v = Vec::new();
    for name in [
        "libs-e2e-curl_google",
        "libs-e2e-curl_google_comments",
        "libs-e2e-single_ipv6_conn",
        "libs-e2e-test_ipv6_client",
    ] {
        v.push(Fixture {
            path: f.join(format!("captures/upstream/{name}.scap")),
            oracle: Some(name.to_string()),
        });
    }
    v.push(Fixture {
        path: f.join("captures/anchor-vm/known-workload.scap"),
        oracle: Some("known-workload".into()),
    });
    v.push(Fixture {
        path: f.join("captures/anchor-vm/syscall-burst.scap"),
        oracle: None,
    });
    for stem in [
        "cat_write",
        "connect_localhost",
        "empty",
        "open-multiple-files",
        "ping_sendto",
        "syscall",
    ] {
        v.push(Fixture {
            path: f.join(format!("falco-0.35-tests/trace_files/{stem}.scap")),
            oracle: Some(format!("falco-0.35-tests-{stem}")),
        });
    }
    v
}

/// An event copied out of a reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owned {
    pub bytes: Vec<u8>,
    pub cpu: u16,
    pub flags: u32,
    pub num: u64,
}

pub fn read_all(path: &std::path::Path) -> Result<(Metadata, Vec<Owned>), ScapError> {
    let mut r = CaptureReader::open(path)?;
    let meta = r.metadata().clone();
    let mut v = Vec::new();
    while let Some(e) = r.next_raw()? {
        v.push(Owned {
            bytes: e.event.as_bytes().to_vec(),
            cpu: e.cpu,
            flags: e.dump_flags,
            num: e.num,
        });
    }
    Ok((meta, v))
}

/// The oracle lines of a fixture.
pub fn oracle(name: &str) -> String {
    std::fs::read_to_string(fixtures().join(format!("captures/oracle/{name}.sysdig.txt")))
        .unwrap_or_else(|e| panic!("oracle {name}: {e}"))
}

/// sysdig's `-p` output hides these internal meta events (procinfo,
/// container json) but counts them in `evt.num`.
pub const HIDDEN_BY_SYSDIG: [u16; 2] = [234, 272];

pub const ORACLE_FORMAT: &str = "*%evt.num %evt.rawtime %evt.dir %evt.type %thread.tid %proc.name %proc.pname %proc.cmdline %fd.name %fd.typechar %user.name %evt.res";
