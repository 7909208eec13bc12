//! Decode throughput over the anchor captures (written by Falco's kernel
//! module in the lab VM). Prints events/s and bytes/s per core for:
//! - `slice`: validation + type dispatch over an in-memory capture, zero-copy
//!   (the decoder's fast path; target >= 20 M events/s/core);
//! - `slice+params`: the same plus reading every parameter as a typed value;
//! - `reader-raw` / `reader-converted`: the streaming reader from memory.
//!
//! `cargo bench -p peregrine-scap --bench decode`

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use peregrine_scap::{CaptureReader, SliceEvents};
use std::hint::black_box;
use std::path::Path;

fn fixture(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../tests/fixtures/captures/anchor-vm")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Type dispatch: what a consumer does first with every event.
#[inline(always)]
fn dispatch(code: u16, tid: u64) -> u64 {
    match code {
        2..=3 | 306..=307 | 326..=327 => tid ^ 1,
        5 | 7 | 9 => tid ^ 2,
        152 => tid ^ 3,
        222..=227 | 292..=293 => tid ^ 4,
        _ => tid,
    }
}

fn bench(c: &mut Criterion) {
    for name in ["syscall-burst.scap", "known-workload.scap"] {
        let data = fixture(name);
        let n = SliceEvents::new(&data).unwrap().count() as u64;
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Elements(n));
        g.bench_function("slice", |b| {
            b.iter(|| {
                let mut acc = 0u64;
                for ce in SliceEvents::new(black_box(&data)).unwrap() {
                    let ce = ce.unwrap();
                    acc = acc.wrapping_add(dispatch(ce.event.code(), ce.event.tid()));
                }
                acc
            })
        });
        g.bench_function("slice+params", |b| {
            b.iter(|| {
                let mut acc = 0u64;
                for ce in SliceEvents::new(black_box(&data)).unwrap() {
                    let ev = ce.unwrap().event;
                    for i in 0..ev.nparams() as usize {
                        if let Some(p) = ev.param(i) {
                            acc = acc.wrapping_add(p.as_u64().unwrap_or(1));
                        }
                    }
                }
                acc
            })
        });
        for converted in [false, true] {
            let id = if converted {
                "reader-converted"
            } else {
                "reader-raw"
            };
            g.bench_function(id, |b| {
                b.iter_batched(
                    || data.clone(),
                    |d| {
                        let mut r =
                            CaptureReader::from_reader(Box::new(std::io::Cursor::new(d))).unwrap();
                        let mut acc = 0u64;
                        loop {
                            let next = if converted {
                                r.next_event()
                            } else {
                                r.next_raw()
                            };
                            let Some(ce) = next.unwrap() else { break };
                            acc = acc.wrapping_add(dispatch(ce.event.code(), ce.event.tid()));
                        }
                        acc
                    },
                    BatchSize::LargeInput,
                )
            });
        }
        g.finish();
        // Bytes per second follow from the file size: print it once.
        println!(
            "{name}: {} events, {} bytes ({:.1} bytes/event)",
            n,
            data.len(),
            data.len() as f64 / n as f64
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
