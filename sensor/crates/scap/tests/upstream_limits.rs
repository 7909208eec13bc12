//! Regression for "sysdig -r failed: Could not initialize reader: invalid
//! argslen 25505": a live host had a process whose command line was longer
//! than libscap's reader accepts, `capture -w` wrote it whole, and sysdig
//! refused the entire file. The writer now cuts every metadata string to
//! the length upstream readers accept.

mod common;

use common::{fixtures, read_all};
use peregrine_event::EventRef;
use peregrine_scap::{CaptureWriter, FdEntry, FdInfo, GroupInfo, ProcInfo, UserInfo};
use std::path::Path;
use std::process::Command;

/// `n` NUL-terminated items of `len` bytes each, named by their index.
fn items(prefix: &str, n: usize, len: usize) -> Vec<u8> {
    let mut v = Vec::new();
    for i in 0..n {
        let item = format!("{prefix}{i:04}=");
        v.extend_from_slice(item.as_bytes());
        v.extend(std::iter::repeat_n(b'x', len - item.len() - 1));
        v.push(0);
    }
    v
}

#[test]
fn metadata_strings_longer_than_upstream_readers_accept_are_cut_and_sysdig_reads_the_file() {
    let src = fixtures().join("captures/upstream/libs-e2e-curl_google.scap");
    let (mut meta, evs) = read_all(&src).unwrap_or_else(|e| panic!("{e}"));
    let long = |c: u8, n: usize| vec![c; n];
    // The command line of the bug: 25505 bytes of 100-byte arguments.
    let args = items("arg", 255, 100);
    let env = items("VAR", 100, 100);
    meta.procs.push(ProcInfo {
        tid: 999_999,
        pid: 999_999,
        comm: long(b'c', 2000),
        exe: long(b'e', 5000),
        exepath: long(b'p', 1025),
        args: args.clone(),
        cwd: long(b'w', 4097),
        env: env.clone(),
        cgroups: long(b'g', 70_000),
        root: long(b'r', 1025),
        ..Default::default()
    });
    meta.fds.push(FdEntry {
        tid: 999_999,
        fd: 3,
        ino: 1,
        info: FdInfo::File {
            open_flags: 0,
            name: long(b'f', 1024),
            dev: Some(0),
        },
    });
    meta.fds.push(FdEntry {
        tid: 999_999,
        fd: 4,
        ino: 2,
        info: FdInfo::Unix {
            source: 1,
            dest: 2,
            name: long(b'u', 3000),
        },
    });
    meta.users.push(UserInfo {
        uid: 4242,
        gid: 4242,
        name: long(b'n', 256),
        homedir: long(b'h', 1000),
        shell: long(b's', 300),
    });
    meta.groups.push(GroupInfo {
        gid: 4242,
        name: long(b'g', 256),
    });

    let dir = std::env::temp_dir().join(format!("peregrine-scap-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let out = dir.join("long.scap");
    let mut w = CaptureWriter::create(&out, false, &meta).unwrap_or_else(|e| panic!("{e}"));
    for e in &evs {
        let ev = EventRef::parse(&e.bytes).unwrap_or_else(|e| panic!("{e}"));
        w.write_event(&ev, e.cpu, e.flags)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    w.finish().unwrap_or_else(|e| panic!("{e}"));

    let (back, back_evs) = read_all(&out).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back_evs.len(), evs.len());
    let p = back
        .procs
        .iter()
        .find(|p| p.tid == 999_999)
        .unwrap_or_else(|| panic!("process lost"));
    let lens = [&p.comm, &p.exe, &p.exepath, &p.cwd, &p.root].map(|s| s.len());
    assert_eq!(lens, [1024; 5], "paths are cut at 1024 bytes");
    // Lists keep whole items: 40 arguments and 40 variables of 100 bytes.
    assert_eq!(p.args, args[..4000], "args cut after the last whole item");
    assert_eq!(p.env, env[..4000], "env cut after the last whole item");
    // A single item longer than the limit is cut inside it.
    assert_eq!(p.cgroups.len(), 4096);
    let names: Vec<usize> = back
        .fds
        .iter()
        .filter(|f| f.tid == 999_999)
        .map(|f| match &f.info {
            FdInfo::File { name, .. } | FdInfo::Unix { name, .. } => name.len(),
            other => panic!("fd type changed: {other:?}"),
        })
        .collect();
    assert_eq!(names, [1023, 1023]);
    let u = back.users.iter().find(|u| u.uid == 4242);
    let u = u.unwrap_or_else(|| panic!("user lost"));
    assert_eq!([u.name.len(), u.homedir.len(), u.shell.len()], [255; 3]);
    let g = back.groups.iter().find(|g| g.gid == 4242);
    assert_eq!(g.map(|g| g.name.len()), Some(255));

    let sysdig = Path::new("/usr/bin/sysdig");
    if sysdig.exists() {
        let s = Command::new(sysdig)
            .arg("-r")
            .arg(&out)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            s.status.success(),
            "sysdig -r refused the file: {}",
            String::from_utf8_lossy(&s.stderr)
        );
        assert!(!s.stdout.is_empty(), "sysdig printed no events");
    } else {
        eprintln!("skipping the sysdig check: /usr/bin/sysdig is not installed");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
