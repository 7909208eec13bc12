//! The C side of the wire format compiles warning-free as C11 with its
//! compile-time checks, and its X-macro tables expand to what Rust sees.

use std::path::Path;
use std::process::Command;

const PROBE: &str = r#"
#include "peregrine/scap_file.h"
#include "peregrine/flag_tables.h"
#include "peregrine/ppm_sc.h"
#include "peregrine/converter_table.h"
#include "peregrine/syscalls_x86_64.h"

#define PRG_EVENT(code, e, name, cat, flags, n) + 1
#define PRG_PARAM(code, i, name, t, f, info)
enum { N_EVENTS = 0 PRG_EVENT_TABLE };
#undef PRG_EVENT
#undef PRG_PARAM
_Static_assert((int)N_EVENTS == (int)PPM_EVENT_MAX, "one PRG_EVENT per code");

#define PRG_EVENT(code, e, name, cat, flags, n)
#define PRG_PARAM(code, i, name, t, f, info) + 1
enum { N_PARAMS = 0 PRG_EVENT_TABLE };

#define PRG_FLAG(t, name, v) + 1
enum { N_FLAGS = 0 PRG_FLAG_TABLES };
#define PRG_CONV(c, n, a, tc, tn) + 1
#define PRG_INSTR(c, n, s, i, f)
enum { N_CONV = 0 PRG_CONVERTER_TABLE };
_Static_assert(N_CONV == 253, "converter keys");

int printf(const char *, ...);
int main(void)
{
	printf("%d %d %d %d\n", N_EVENTS, N_PARAMS, N_FLAGS, N_CONV);
	return 0;
}
"#;

#[test]
fn c_header_compiles_and_tables_agree_with_rust() {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let dir = std::env::temp_dir().join(format!("prg-wire-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("probe.c");
    let bin = dir.join("probe");
    std::fs::write(&src, PROBE).unwrap();
    let inc = Path::new(env!("CARGO_MANIFEST_DIR")).join("include");
    let out = Command::new(&cc)
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-I"])
        .arg(&inc)
        .arg(&src)
        .arg("-o")
        .arg(&bin)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cc}: {e} (install gcc: scripts/install-deps.sh)"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = Command::new(&bin).output().unwrap();
    let got = String::from_utf8(run.stdout).unwrap();
    let n_params: usize = peregrine_wire::EVENTS.iter().map(|e| e.params.len()).sum();
    let n_flags: usize = peregrine_wire::FLAG_TABLES
        .iter()
        .map(|t| t.entries.len())
        .sum();
    assert_eq!(got.trim(), format!("454 {n_params} {n_flags} 253"));
    let _ = std::fs::remove_dir_all(&dir);
}
