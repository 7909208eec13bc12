//! Host-side checks of what a guest run brought back.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use peregrine_event::{render::render_args, EventRef, Param, SockAddr, SockTuple};
use peregrine_scap::CaptureReader;
use peregrine_wire::raw;

fn kv(path: &Path) -> Result<HashMap<String, String>> {
    let s = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(s.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect())
}

pub(crate) fn get<T: std::str::FromStr>(m: &HashMap<String, String>, k: &str) -> Result<T> {
    m.get(k)
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("expectation file lacks a valid {k}="))
}

pub(crate) fn s<'a>(ev: &EventRef<'a>, i: usize) -> &'a [u8] {
    match ev.param(i) {
        Some(Param::Str(b)) | Some(Param::Bytes(b)) => b,
        _ => b"",
    }
}

pub(crate) fn n(ev: &EventRef<'_>, i: usize) -> i64 {
    ev.param(i).and_then(|p| p.as_i64()).unwrap_or(i64::MIN)
}

pub(crate) const LO: [u8; 4] = [127, 0, 0, 1];

/// An expectation: true for the event it describes.
pub(crate) type Pred = Box<dyn Fn(&EventRef<'_>) -> bool>;

/// The first event matching each expectation (description, event bytes).
pub type Matches = Vec<(&'static str, Vec<u8>)>;

pub fn workload(capture: &Path, expect: &Path) -> Result<Matches> {
    let x = kv(expect)?;
    let pid: i64 = get(&x, "pid")?;
    let child: i64 = get(&x, "child")?;
    let su: i64 = get(&x, "setuid_child")?;
    let port: u16 = get(&x, "port")?;
    let cport: u16 = get(&x, "client_port")?;
    let cfd: i64 = get(&x, "created_fd")?;
    let created = get::<String>(&x, "created")?.into_bytes();
    let renamed = get::<String>(&x, "renamed")?.into_bytes();
    let mkdir = get::<String>(&x, "mkdir")?.into_bytes();
    let cat_arg = get::<String>(&x, "cat_arg")?.into_bytes();
    let missing = get::<String>(&x, "exec_missing")?.into_bytes();

    // (description, predicate) — every one must match at least one event.
    let mut want: Vec<(&'static str, Pred, u64, Option<Vec<u8>>)> = Vec::new();
    let mut add = |d: &'static str, p: Pred| want.push((d, p, 0, None));
    let c = |x: u32| x as u16;
    {
        let (a, arg) = (pid, cat_arg.clone());
        add(
            "execve of /bin/cat (sched_process_exec)",
            Box::new(move |e| {
                e.code() == c(raw::PPME_SYSCALL_EXECVE_19_X)
                    && n(e, 0) == 0
                    && s(e, 1) == b"/bin/cat"
                    && s(e, 2).starts_with(&arg)
                    && n(e, 5) == a
                    && s(e, 30) == b"/bin/cat"
                    && s(e, 13) == b"cat"
                    && n(e, 3) == e.tid() as i64
            }),
        );
    }
    {
        let m = missing.clone();
        add(
            "failed execve of a missing program",
            Box::new(move |e| {
                e.code() == c(raw::PPME_SYSCALL_EXECVE_19_X)
                    && n(e, 0) == -2
                    && e.nparams() == 31
                    && s(e, 30) == m.as_slice()
            }),
        );
    }
    let wl = move |e: &EventRef<'_>| e.tid() as i64 == pid;
    {
        let p = created.clone();
        add(
            "openat enter O_CREAT",
            Box::new(move |e| {
                wl(e)
                    && e.code() == c(raw::PPME_SYSCALL_OPENAT_2_E)
                    && s(e, 1) == p.as_slice()
                    && n(e, 0) == -100
                    && n(e, 2) as u32 == (0x2 | 0x4 | 0x1000)
                    && n(e, 3) == 0o640
            }),
        );
    }
    {
        let p = created.clone();
        add(
            "openat exit O_CREAT, created, dev/ino",
            Box::new(move |e| {
                wl(e)
                    && e.code() == c(raw::PPME_SYSCALL_OPENAT_2_X)
                    && s(e, 2) == p.as_slice()
                    && n(e, 0) == cfd
                    && n(e, 3) as u32 == (0x2 | 0x4 | 0x1000 | 0x4000)
                    && n(e, 4) == 0o640
                    && n(e, 6) > 0
            }),
        );
    }
    add(
        "write of hello",
        Box::new(move |e| {
            wl(e)
                && e.code() == c(raw::PPME_SYSCALL_WRITE_X)
                && n(e, 0) == 5
                && s(e, 1) == b"hello"
                && n(e, 2) == cfd
                && n(e, 3) == 5
        }),
    );
    add(
        "close of the created fd",
        Box::new(move |e| {
            wl(e) && e.code() == c(raw::PPME_SYSCALL_CLOSE_X) && n(e, 0) == 0 && n(e, 1) == cfd
        }),
    );
    add(
        "socket AF_INET",
        Box::new(move |e| {
            wl(e) && e.code() == c(raw::PPME_SOCKET_SOCKET_X) && n(e, 0) >= 0 && n(e, 1) == 2
        }),
    );
    add(
        "bind 127.0.0.1",
        Box::new(move |e| {
            wl(e)
                && e.code() == c(raw::PPME_SOCKET_BIND_X)
                && n(e, 0) == 0
                && matches!(
                    e.param(1),
                    Some(Param::SockAddr(SockAddr::Inet { addr: LO, .. }))
                )
        }),
    );
    add(
        "listen",
        Box::new(move |e| wl(e) && e.code() == c(raw::PPME_SOCKET_LISTEN_X) && n(e, 0) == 0),
    );
    add(
        "connect enter to the listener",
        Box::new(move |e| {
            wl(e)
                && e.code() == c(raw::PPME_SOCKET_CONNECT_E)
                && matches!(e.param(1), Some(Param::SockAddr(SockAddr::Inet { addr: LO, port: p })) if p == port)
        }),
    );
    add(
        "connect exit with the tuple",
        Box::new(move |e| {
            wl(e)
                && e.code() == c(raw::PPME_SOCKET_CONNECT_X)
                && n(e, 0) == 0
                && matches!(e.param(1), Some(Param::SockTuple(SockTuple::Inet { sip: LO, sport, dip: LO, dport }))
                if sport == cport && dport == port)
        }),
    );
    add(
        "accept with the inbound tuple",
        Box::new(move |e| {
            wl(e)
                && (e.code() == c(raw::PPME_SOCKET_ACCEPT4_6_X)
                    || e.code() == c(raw::PPME_SOCKET_ACCEPT_5_X))
                && n(e, 0) >= 0
                && matches!(e.param(1), Some(Param::SockTuple(SockTuple::Inet { sip: LO, sport, dip: LO, dport }))
                if sport == cport && dport == port)
        }),
    );
    {
        let (o, r) = (created.clone(), renamed.clone());
        add(
            "rename",
            Box::new(move |e| {
                wl(e)
                    && n(e, 0) == 0
                    && match e.code() {
                        x if x == c(raw::PPME_SYSCALL_RENAME_X) => {
                            s(e, 1) == o.as_slice() && s(e, 2) == r.as_slice()
                        }
                        x if x == c(raw::PPME_SYSCALL_RENAMEAT_X)
                            || x == c(raw::PPME_SYSCALL_RENAMEAT2_X) =>
                        {
                            s(e, 2) == o.as_slice() && s(e, 4) == r.as_slice()
                        }
                        _ => false,
                    }
            }),
        );
    }
    {
        let d = mkdir.clone();
        add(
            "mkdir",
            Box::new(move |e| {
                wl(e)
                    && n(e, 0) == 0
                    && ((e.code() == c(raw::PPME_SYSCALL_MKDIR_2_X) && s(e, 1) == d.as_slice())
                        || (e.code() == c(raw::PPME_SYSCALL_MKDIRAT_X) && s(e, 2) == d.as_slice()))
            }),
        );
    }
    {
        let r = renamed.clone();
        add(
            "chmod 0600",
            Box::new(move |e| {
                wl(e)
                    && n(e, 0) == 0
                    && ((e.code() == c(raw::PPME_SYSCALL_CHMOD_X)
                        && s(e, 1) == r.as_slice()
                        && n(e, 2) == 0o600)
                        || (e.code() == c(raw::PPME_SYSCALL_FCHMODAT_X)
                            && s(e, 2) == r.as_slice()
                            && n(e, 3) == 0o600))
            }),
        );
    }
    {
        let r = renamed.clone();
        add(
            "unlink",
            Box::new(move |e| {
                wl(e)
                    && n(e, 0) == 0
                    && ((e.code() == c(raw::PPME_SYSCALL_UNLINK_2_X) && s(e, 1) == r.as_slice())
                        || (e.code() == c(raw::PPME_SYSCALL_UNLINKAT_2_X)
                            && s(e, 2) == r.as_slice()))
            }),
        );
    }
    let clone = |e: &EventRef<'_>| {
        [
            raw::PPME_SYSCALL_CLONE_20_X,
            raw::PPME_SYSCALL_CLONE3_X,
            raw::PPME_SYSCALL_FORK_20_X,
        ]
        .iter()
        .any(|&x| e.code() == x as u16)
    };
    add(
        "clone in the parent (res = child)",
        Box::new(move |e| wl(e) && clone(e) && n(e, 0) == child && n(e, 4) == pid),
    );
    add(
        "clone in the child (res = 0)",
        Box::new(move |e| {
            e.tid() as i64 == child
                && clone(e)
                && n(e, 0) == 0
                && n(e, 3) == child
                && n(e, 5) == pid
        }),
    );
    add(
        "clone by the child (grandchild)",
        Box::new(move |e| e.tid() as i64 == child && clone(e) && n(e, 0) > 0),
    );
    add(
        "clone in the grandchild",
        Box::new(move |e| clone(e) && n(e, 0) == 0 && n(e, 5) == child),
    );
    add(
        "procexit of the child, ret 3",
        Box::new(move |e| {
            e.tid() as i64 == child
                && e.code() == c(raw::PPME_PROCEXIT_1_E)
                && n(e, 1) == 3
                && n(e, 2) == 0
        }),
    );
    add(
        "setuid(65534)",
        Box::new(move |e| {
            e.tid() as i64 == su
                && e.code() == c(raw::PPME_SYSCALL_SETUID_X)
                && n(e, 0) == 0
                && n(e, 1) == 65534
        }),
    );
    add(
        "procexit of the workload",
        Box::new(move |e| wl(e) && e.code() == c(raw::PPME_PROCEXIT_1_E)),
    );
    add(
        "GENERIC_X of getpid",
        // std::process::id() at the start of the workload: getpid (39).
        Box::new(move |e| wl(e) && e.code() == c(raw::PPME_GENERIC_X) && n(e, 1) == 39),
    );

    crate::more_checks::add(&x, &mut add)?;

    if x.get("cgroup").is_some_and(|v| v == "1") {
        add(
            "cgroups of the workload: cpu=/prg/wl",
            Box::new(move |e| {
                wl(e)
                    && e.code() == c(raw::PPME_SYSCALL_CLONE_20_X)
                    && s(e, 14).split(|&b| b == 0).any(|p| p == b"cpu=/prg/wl")
            }),
        );
    }

    // Every child the workload made, for the dump.
    let kids: Vec<i64> = x
        .iter()
        .filter(|(k, _)| k.ends_with("child") || *k == "tracee")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let mut rd =
        CaptureReader::open(capture).with_context(|| format!("opening {}", capture.display()))?;
    let mut total = 0u64;
    let mut dump = String::new();
    let mut prev_ts = 0u64;
    let mut out_of_order = 0u64;
    while let Some(ce) = rd.next_raw()? {
        let e = ce.event;
        total += 1;
        if e.ts() < prev_ts {
            out_of_order += 1;
        }
        prev_ts = e.ts();
        for w in want.iter_mut() {
            if (w.1)(&e) {
                w.2 += 1;
                if w.3.is_none() {
                    w.3 = Some(e.as_bytes().to_vec());
                }
            }
        }
        if e.tid() as i64 == pid || n(&e, 5) == pid || kids.contains(&(e.tid() as i64)) {
            dump.push_str(&format!("{} tid={} {} ", e.ts(), e.tid(), e.type_name()));
            render_args(&e, &mut dump);
            dump.push('\n');
        }
    }
    let dump_path = capture.with_extension("workload.txt");
    std::fs::write(&dump_path, &dump)?;
    let mut missing_n = 0;
    for (d, _, hits, _) in &want {
        println!(
            "  {:<45} {}",
            d,
            if *hits > 0 {
                format!("ok ({hits})")
            } else {
                "MISSING".into()
            }
        );
        if *hits == 0 {
            missing_n += 1;
        }
    }
    println!("check-workload: {total} events, {out_of_order} out of timestamp order, events of the workload in {}", dump_path.display());
    if missing_n > 0 {
        bail!(
            "{missing_n} expected events missing from {}",
            capture.display()
        );
    }
    Ok(want
        .into_iter()
        .filter_map(|(d, _, _, b)| b.map(|b| (d, b)))
        .collect())
}

/// Parameters that differ between two runs of the same workload: ids,
/// inode numbers and times, memory counters, ephemeral ports.
const VARYING: &[&str] = &[
    "tid",
    "pid",
    "ptid",
    "vtid",
    "vpid",
    "pgid",
    "vpgid",
    "ino",
    "exe_ino",
    "exe_ino_ctime",
    "exe_ino_mtime",
    "pgft_maj",
    "pgft_min",
    "vm_size",
    "vm_rss",
    "vm_swap",
    "pidns_init_start_ts",
    "reaper_tid",
    "tuple",
    "addr",
    "fd",
    // Fds the workload got from the kernel, and kernel socket addresses.
    "oldfd",
    "fd1",
    "fd2",
    "source",
    "peer",
];

/// The same workload captured by peregrine.ko and by the eBPF probe must
/// decode to the same parameters, ids and times aside.
pub fn compare(kmod: (&Path, &Path), ebpf: (&Path, &Path)) -> Result<()> {
    println!("kmod capture:");
    let a = workload(kmod.0, kmod.1)?;
    println!("eBPF capture:");
    let b = workload(ebpf.0, ebpf.1)?;
    let mut diffs = 0;
    for ((d, ka), (_, kb)) in a.iter().zip(b.iter()) {
        let (Ok(x), Ok(y)) = (EventRef::parse(ka), EventRef::parse(kb)) else {
            bail!("{d}: stored event does not parse");
        };
        if x.code() != y.code() || x.nparams() != y.nparams() {
            println!(
                "  {d}: kmod {} ({} params) vs eBPF {} ({} params)",
                x.code(),
                x.nparams(),
                y.code(),
                y.nparams()
            );
            diffs += 1;
            continue;
        }
        let names: Vec<&str> = x
            .info()
            .map(|i| i.params.iter().map(|p| p.name).collect())
            .unwrap_or_default();
        for i in 0..x.nparams() as usize {
            let name = names.get(i).copied().unwrap_or("?");
            let (pa, pb) = (
                x.param_raw(i).unwrap_or_default(),
                y.param_raw(i).unwrap_or_default(),
            );
            let varying = VARYING.contains(&name)
                // clone's res in the parent is the child's pid.
                || (name == "res" && x.code() != raw::PPME_GENERIC_X as u16 && n(&x, 0) > 0 && n(&y, 0) > 0)
                // io_uring_register's user pointer: the two runs' stacks differ (ASLR).
                || (name == "arg" && x.code() == raw::PPME_SYSCALL_IO_URING_REGISTER_X as u16);
            if pa != pb && !(varying && pa.len() == pb.len()) {
                let (mut ra, mut rb) = (String::new(), String::new());
                peregrine_event::render::render_raw_param(&x, i, &mut ra);
                peregrine_event::render::render_raw_param(&y, i, &mut rb);
                println!("  {d}: param {i} {name}: kmod {ra:?} vs eBPF {rb:?}");
                diffs += 1;
            }
        }
    }
    println!(
        "compare: {} expectations compared, {diffs} differences",
        a.len().min(b.len())
    );
    if diffs > 0 {
        bail!("{diffs} parameter differences between the kmod and eBPF captures");
    }
    Ok(())
}

pub fn stress(stats: &Path, counts: &Path) -> Result<()> {
    let st = kv(stats)?;
    let ct = kv(counts)?;
    let produced: u64 = get(&ct, "opens")?;
    let matched: u64 = get(&st, "matched")?;
    let dropped: u64 = get(&st, "dropped")?;
    let received: u64 = get(&st, "received")?;
    let events: u64 = get(&st, "kernel_events")?;
    let attempts: u64 = get(&st, "attempts")?;
    println!("check-stress: produced marker opens {produced}, received {matched}, dropped (all kinds) {dropped}; ring: received {received} kernel events {events} attempts {attempts}");
    if received != events || events + dropped != attempts {
        bail!("ring counters disagree");
    }
    if matched > produced || matched + dropped < produced || (dropped == 0 && matched != produced) {
        bail!("marker opens: received {matched} + dropped {dropped} does not account for produced {produced}");
    }
    if produced == 0 {
        bail!("the stress workers did nothing");
    }
    Ok(())
}
