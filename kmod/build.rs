//! Turns `include/peregrine/*.h` into Rust: bindgen for the layout types and
//! constants, and a line reader for the X-macro tables (events, flags, PPM_SC,
//! converter). The header stays the single source of truth; nothing here
//! restates a value.

use std::collections::BTreeMap;
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let inc = Path::new(env!("CARGO_MANIFEST_DIR")).join("include");
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    for f in [
        "wire.h",
        "scap_file.h",
        "event_table.h",
        "flag_tables.h",
        "ppm_sc.h",
        "converter_table.h",
        "ring.h",
    ] {
        println!("cargo:rerun-if-changed=include/peregrine/{f}");
    }

    let bindings = bindgen::Builder::default()
        .header(inc.join("peregrine/scap_file.h").to_string_lossy())
        // The kernel module's ring/ioctl ABI (sensor/crates/kmod-source).
        .header(inc.join("peregrine/ring.h").to_string_lossy())
        .clang_arg(format!("-I{}", inc.display()))
        .allowlist_type("ppm_evt_hdr|scap_machine_info|ppm_.*|scap_.*|prg_.*")
        .allowlist_var("PRG_.*|PPM_.*|SCAP_.*")
        .default_enum_style(bindgen::EnumVariation::Consts)
        .prepend_enum_name(false)
        .derive_default(true)
        .layout_tests(true)
        .generate()
        .expect("bindgen failed on kmod/include/peregrine/scap_file.h (is libclang installed? run scripts/install-deps.sh)");
    bindings
        .write_to_file(out.join("bindings.rs"))
        .expect("write bindings.rs");

    let read = |f: &str| fs::read_to_string(inc.join("peregrine").join(f)).expect("read header");
    let mut code = String::new();
    gen_flags(&read("flag_tables.h"), &mut code);
    gen_events(&read("event_table.h"), &mut code);
    gen_ppm_sc(&read("ppm_sc.h"), &mut code);
    gen_converter(&read("converter_table.h"), &mut code);
    gen_syscalls(&read("syscalls_x86_64.h"), &mut code);
    fs::write(out.join("tables.rs"), code).expect("write tables.rs");
}

/// Arguments of every `MACRO(...)` line in a header, split on top-level commas.
fn records(text: &str, mac: &str) -> Vec<Vec<String>> {
    let pre = format!("{mac}(");
    text.lines()
        .map(str::trim)
        .filter(|l| l.starts_with(&pre))
        .map(|l| {
            let inner = &l[pre.len()..l.rfind(')').expect("closing paren")];
            split_args(inner)
        })
        .collect()
}

fn split_args(s: &str) -> Vec<String> {
    let (mut out, mut cur, mut depth, mut in_str) = (Vec::new(), String::new(), 0, false);
    for c in s.chars() {
        match c {
            '"' => in_str = !in_str,
            '(' if !in_str => depth += 1,
            ')' if !in_str => depth -= 1,
            ',' if !in_str && depth == 0 => {
                out.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur.trim().to_string());
    out
}

/// `PT_CHARBUF_PAIR_ARRAY` -> `CharbufPairArray`.
fn camel(c_name: &str, prefix: &str) -> String {
    let rest = c_name.strip_prefix(prefix).expect("prefix");
    let mut s = String::new();
    for part in rest.split('_') {
        let mut ch = part.chars();
        if let Some(f) = ch.next() {
            if f.is_ascii_digit() && s.is_empty() {
                s.push('N');
            }
            s.push(f.to_ascii_uppercase());
            s.extend(ch.map(|c| c.to_ascii_lowercase()));
        }
    }
    s
}

fn consts(expr: &str) -> String {
    // `EC_FILE|EC_SYSCALL` -> `raw::EC_FILE | raw::EC_SYSCALL`; `0` stays.
    expr.split('|')
        .map(|t| {
            if t == "0" {
                "0".to_string()
            } else {
                format!("raw::{t}")
            }
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

fn gen_flags(text: &str, code: &mut String) {
    let mut tables: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for r in records(text, "PRG_FLAG") {
        tables
            .entry(r[0].clone())
            .or_default()
            .push((r[1].clone(), r[2].clone()));
    }
    for (t, ents) in &tables {
        let _ = writeln!(
            code,
            "/// Flag table `{t}`.\npub static FT_{}: FlagTable = FlagTable {{ name: \"{t}\", entries: &[{}] }};",
            t.to_uppercase(),
            ents.iter().map(|(n, v)| format!("({n}, {v})")).collect::<Vec<_>>().join(", ")
        );
    }
    let _ = writeln!(
        code,
        "/// Every flag table, by name.\npub static FLAG_TABLES: &[&FlagTable] = &[{}];",
        tables
            .keys()
            .map(|t| format!("&FT_{}", t.to_uppercase()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut dyns: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for r in records(text, "PRG_DYN") {
        dyns.entry(r[0].clone())
            .or_default()
            .push((r[2].clone(), r[3].clone()));
    }
    for (t, ents) in &dyns {
        let _ = writeln!(
            code,
            "/// PT_DYN table `{t}`.\npub static DT_{}: DynTable = DynTable {{ name: \"{t}\", entries: &[{}] }};",
            t.to_uppercase(),
            ents.iter()
                .map(|(pt, pf)| format!("(ParamType::{}, PrintFormat::{})", camel(pt, "PT_"), camel(pf, "PF_")))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    // Remember which tables exist so events can point at them.
    let _ = writeln!(
        code,
        "// flag tables: {}",
        tables.keys().cloned().collect::<Vec<_>>().join(" ")
    );
    let _ = writeln!(
        code,
        "// dyn tables: {}",
        dyns.keys().cloned().collect::<Vec<_>>().join(" ")
    );
}

fn gen_events(text: &str, code: &mut String) {
    let flag_tables: Vec<String> = code
        .lines()
        .find_map(|l| l.strip_prefix("// flag tables: "))
        .unwrap_or("")
        .split(' ')
        .map(str::to_string)
        .collect();
    let mut params: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for r in records(text, "PRG_PARAM") {
        let ev: u32 = r[0].parse().expect("code");
        let extra = &r[5];
        let info = if extra == "PRG_NOINFO" {
            "ParamInfo::None".to_string()
        } else if let Some(t) = extra.strip_prefix("PRG_FLAGTABLE(") {
            let t = t.trim_end_matches(')');
            if flag_tables.iter().any(|x| x == t) {
                format!("ParamInfo::Flags(&FT_{})", t.to_uppercase())
            } else {
                format!("ParamInfo::UnknownTable(\"{t}\")")
            }
        } else if let Some(i) = extra.strip_prefix("PRG_DIRFD(") {
            format!("ParamInfo::DirFd({})", i.trim_end_matches(')'))
        } else if let Some(t) = extra.strip_prefix("PRG_DYNTABLE(") {
            format!(
                "ParamInfo::Dyn(&DT_{})",
                t.trim_end_matches(')').to_uppercase()
            )
        } else {
            panic!("unknown param info {extra}");
        };
        params.entry(ev).or_default().push(format!(
            "ParamDesc {{ name: {}, ptype: ParamType::{}, format: PrintFormat::{}, info: {info} }}",
            r[2],
            camel(&r[3], "PT_"),
            camel(&r[4], "PF_")
        ));
    }
    let evs = records(text, "PRG_EVENT");
    let _ = writeln!(
        code,
        "/// Every event code, indexed by code.\npub static EVENTS: [EventInfo; {}] = [",
        evs.len()
    );
    for (i, r) in evs.iter().enumerate() {
        let c: u32 = r[0].parse().expect("code");
        assert_eq!(
            c as usize, i,
            "event table must be in code order without gaps"
        );
        let ps = params.get(&c).map(|v| v.join(", ")).unwrap_or_default();
        assert_eq!(
            params.get(&c).map_or(0, Vec::len),
            r[5].parse::<usize>().expect("nparams")
        );
        let _ = writeln!(
            code,
            "    EventInfo {{ code: {c}, enum_name: \"{}\", name: {}, category: {}, flags: {}, params: &[{ps}] }},",
            r[1],
            r[2],
            consts(&r[3]),
            consts(&r[4])
        );
    }
    let _ = writeln!(code, "];");
}

fn gen_ppm_sc(text: &str, code: &mut String) {
    let _ = writeln!(code, "/// Known PPM_SC codes: (code, name, x86_64 syscall number or -1).\npub static PPM_SC: &[(u16, &str, i32)] = &[");
    for r in records(text, "PRG_SC") {
        let _ = writeln!(
            code,
            "    ({}, \"{}\", {}),",
            r[0],
            r[1].to_lowercase(),
            r[2]
        );
    }
    let _ = writeln!(code, "];");
}

fn gen_converter(text: &str, code: &mut String) {
    let mut instrs: BTreeMap<(u32, u32), Vec<String>> = BTreeMap::new();
    for r in records(text, "PRG_INSTR") {
        let key = (r[0].parse().expect("code"), r[1].parse().expect("n"));
        instrs.entry(key).or_default().push(format!(
            "Instr {{ source: InstrSource::{}, index: {}, fallback_empty: {} }}",
            camel(&r[2], "INSTR_"),
            r[3],
            r[4] == "1"
        ));
    }
    let convs = records(text, "PRG_CONV");
    let _ = writeln!(code, "/// Converter table keyed by (code, nparams), sorted.\npub static CONVERSIONS: [Conversion; {}] = [", convs.len());
    let mut keys = Vec::new();
    for r in &convs {
        let key: (u32, u32) = (r[0].parse().expect("code"), r[1].parse().expect("n"));
        keys.push(key);
        let ins = instrs.get(&key).map(|v| v.join(", ")).unwrap_or_default();
        let _ = writeln!(
            code,
            "    Conversion {{ code: {}, nparams: {}, action: Action::{}, target_code: {}, target_nparams: {}, instrs: &[{ins}] }},",
            r[0],
            r[1],
            camel(&r[2], "CONV_"),
            r[3],
            r[4]
        );
    }
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, keys, "converter keys must be sorted and unique");
    let _ = writeln!(code, "];");
    // Where each code's entries start (entries of code c are
    // CONVERSION_START[c]..CONVERSION_START[c + 1]): the savefile converter
    // looks up twice per old event, and a binary search over the whole table
    // was a measurable share of a replay.
    let max_code = keys.iter().map(|k| k.0).max().unwrap_or(0) as usize;
    let mut start = Vec::with_capacity(max_code + 2);
    let mut i = 0;
    for c in 0..=max_code + 1 {
        while i < keys.len() && (keys[i].0 as usize) < c {
            i += 1;
        }
        start.push(i.to_string());
    }
    let _ = writeln!(
        code,
        "/// Index of the first CONVERSIONS entry of each code (one past the last code at the end).\npub static CONVERSION_START: [u16; {}] = [{}];",
        start.len(),
        start.join(", ")
    );
}

fn gen_syscalls(text: &str, code: &mut String) {
    let _ = writeln!(code, "/// x86_64 syscall numbers and names, sorted by number.\npub static SYSCALLS_X86_64: &[(u16, &str)] = &[");
    for r in records(text, "PRG_NR") {
        let _ = writeln!(code, "    ({}, \"{}\"),", r[0], r[1]);
    }
    let _ = writeln!(code, "];");
}
