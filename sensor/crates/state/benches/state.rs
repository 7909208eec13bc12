//! State update plus extraction of the stable rules' output fields, per
//! event, over the anchor captures replayed (converted) from memory; and the
//! memory a 100 000-thread table takes.
//!
//! `cargo bench -p peregrine-state --bench state`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use peregrine_event::{EventBuilder, EventRef};
use peregrine_scap::{CaptureReader, Metadata};
use peregrine_state::{Limits, State, StateField};
use std::hint::black_box;
use std::path::Path;

/// The fields the stable rules print in their outputs (rules.md §3.2).
const OUTPUT_FIELDS: &[&str] = &[
    "proc.name",
    "proc.pname",
    "proc.cmdline",
    "proc.exepath",
    "proc.tty",
    "proc.aname[2]",
    "user.name",
    "user.uid",
    "user.loginuid",
    "fd.name",
    "container.id",
];

fn load(name: &str) -> (Metadata, Vec<Vec<u8>>) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../tests/fixtures/captures/anchor-vm")
        .join(name);
    let mut r = CaptureReader::open(&p).expect("fixture");
    let meta = r.metadata().clone();
    let mut evs = Vec::new();
    while let Some(ce) = r.next_event().expect("decode") {
        evs.push(ce.event.as_bytes().to_vec());
    }
    (meta, evs)
}

fn rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn bench(c: &mut Criterion) {
    let fields: Vec<StateField> = OUTPUT_FIELDS
        .iter()
        .map(|f| StateField::parse(f).unwrap())
        .collect();
    for name in ["syscall-burst.scap", "known-workload.scap"] {
        let (meta, evs) = load(name);
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Elements(evs.len() as u64));
        g.bench_function("update", |b| {
            b.iter(|| {
                let mut st = State::from_capture(&meta, Limits::default());
                for e in &evs {
                    st.process(&EventRef::parse(e).unwrap());
                }
                st.thread_count()
            })
        });
        g.bench_function("update+output-fields", |b| {
            let mut out = String::new();
            b.iter(|| {
                let mut st = State::from_capture(&meta, Limits::default());
                for e in &evs {
                    let ev = EventRef::parse(e).unwrap();
                    st.process(&ev);
                    out.clear();
                    for f in &fields {
                        if let Some(v) = f.extract(&st, &ev) {
                            v.write_to(&mut out);
                        }
                        out.push(' ');
                    }
                    black_box(&out);
                }
            })
        });
        g.finish();
    }

    // Memory of 100 000 threads (each with argv, cwd, env, cgroups and 8 fds).
    let before = rss_kib();
    let mut st = State::new(Limits::default());
    let mut b = EventBuilder::new();
    for i in 0..100_000u64 {
        let tid = 10_000 + i;
        b.clear();
        b.i64(0)
            .str("/usr/bin/worker")
            .raw(b"--serve\0--port\08080\0")
            .i64(tid as i64)
            .i64(tid as i64)
            .i64(1);
        b.str("/srv/app")
            .u64(1024)
            .u64(0)
            .u64(0)
            .u32(0)
            .u32(0)
            .u32(0)
            .str("worker");
        b.raw(b"cpu=/system.slice/app.service\0memory=/system.slice/app.service\0")
            .u32(0)
            .u32(1000)
            .u32(1000);
        b.i64(tid as i64).i64(tid as i64).u64(0);
        let ev = b
            .finish(i, tid, peregrine_wire::raw::PPME_SYSCALL_CLONE_20_X as u16)
            .unwrap();
        st.process(&EventRef::parse(&ev).unwrap());
        for fd in 0..8i64 {
            let mut o = EventBuilder::new();
            o.i64(fd)
                .i64(-100)
                .str("/srv/app/data/file.db")
                .u32(0x3)
                .u32(0)
                .u32(0)
                .u64(0);
            let ev = o
                .finish(i, tid, peregrine_wire::raw::PPME_SYSCALL_OPENAT_2_X as u16)
                .unwrap();
            st.process(&EventRef::parse(&ev).unwrap());
        }
    }
    let after = rss_kib();
    println!(
        "state memory: {} threads, {} fds: {} MiB RSS growth ({} bytes/thread incl. 8 fds)",
        st.thread_count(),
        st.fd_count(),
        (after.saturating_sub(before)) / 1024,
        (after.saturating_sub(before)) * 1024 / st.thread_count().max(1) as u64
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
