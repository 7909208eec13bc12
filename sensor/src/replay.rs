//! `peregrine replay`: decode a capture file and print its events.

use anyhow::{Context, Result};
use clap::Args;
use peregrine_format::{EventContext, Format, DEFAULT_FORMAT};
use peregrine_scap::CaptureReader;
use peregrine_state::{Limits, State};
use std::io::{BufWriter, Write};
use std::path::PathBuf;

#[derive(Args)]
pub struct ReplayArgs {
    /// Capture file to read (.scap, plain or gzip-compressed).
    file: PathBuf,
    /// Output format, sysdig syntax: '%evt.num %evt.type %evt.args'. A leading
    /// '*' prints every event even when a field has no value. See `peregrine list-fields`.
    #[arg(short = 'p', long = "print", value_name = "FORMAT")]
    format: Option<String>,
    /// Print events as stored, without converting old enter/exit pairs into
    /// current exit-only events (what sysdig 0.29 shows for 2022 captures).
    #[arg(long)]
    raw: bool,
    /// Stop after N events.
    #[arg(short = 'n', long = "count", value_name = "N")]
    count: Option<u64>,
    /// Print read statistics to stderr at the end.
    #[arg(long)]
    stats: bool,
    /// Print nothing per event (with --stats: measure decoding alone).
    #[arg(short, long)]
    quiet: bool,
    /// Rules files or directories (Falco's language), loaded in order: print
    /// the alerts of matching rules instead of events.
    #[arg(short = 'r', long = "rules", value_name = "RULES")]
    rules: Vec<PathBuf>,
    /// With -r: print alerts as Falco's JSON.
    #[arg(long, requires = "rules")]
    json: bool,
    /// With -r: time prefix as ISO 8601 (Falco's time_format_iso_8601).
    #[arg(long, requires = "rules")]
    iso8601: bool,
    /// With -r: fire every matching rule, not only the first.
    #[arg(long, requires = "rules")]
    all_matches: bool,
}

pub fn run(a: ReplayArgs) -> Result<u8> {
    let fmt_str = a.format.as_deref().unwrap_or(DEFAULT_FORMAT);
    let format = Format::parse(fmt_str)
        .map_err(|e| crate::Failure::usage(format!("-p '{fmt_str}': {e}")))?;
    let mut reader = CaptureReader::open(&a.file)
        .with_context(|| format!("cannot read capture {}", a.file.display()))?;
    let mut state = State::from_capture(reader.metadata(), Limits::default());
    let engine = crate::rules_cmd::load_for_replay(&a.rules, a.all_matches)?;
    let hostname = crate::rules_cmd::hostname();
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut line = String::with_capacity(256);
    let mut printed = 0u64;
    let started = std::time::Instant::now();
    loop {
        if a.count.is_some_and(|n| printed >= n) {
            break;
        }
        let next = if a.raw {
            reader.next_raw()
        } else {
            reader.next_event()
        };
        let Some(ce) = next.with_context(|| format!("while reading {}", a.file.display()))? else {
            break;
        };
        printed += 1;
        state.process(&ce.event);
        if let Some(rs) = &engine {
            for alert in rs.evaluate(&ce.event, &state, ce.num, ce.cpu) {
                let line = if a.json {
                    alert.to_json(&hostname, a.iso8601, Default::default())
                } else {
                    alert.to_text(a.iso8601)
                };
                if !a.quiet {
                    out.write_all(line.as_bytes())?;
                    out.write_all(b"\n")?;
                }
            }
            continue;
        }
        if a.quiet {
            continue;
        }
        let ctx = EventContext {
            event: ce.event,
            num: ce.num,
            cpu: ce.cpu,
            state: Some(&state),
        };
        if format.render(&ctx, &mut line) {
            out.write_all(line.as_bytes())?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    if a.stats {
        let secs = started.elapsed().as_secs_f64();
        let st = reader.stats();
        let c = &st.convert;
        eprintln!(
            "read {} blocks, {} bytes: {} events stored in the file ({} of unknown types skipped)",
            st.blocks, st.bytes, st.events, st.skipped_unknown_type
        );
        if !a.raw {
            eprintln!(
                "conversion: {} passed, {} converted, {} stored enter events, {} dropped, {} enter/exit mismatches",
                c.passed, c.converted, c.stored + c.stored_and_passed, c.dropped, c.slot_mismatches
            );
        }
        eprintln!(
            "delivered {printed} events in {secs:.3}s ({:.0} events/s)",
            printed as f64 / secs.max(1e-9)
        );
    }
    Ok(crate::exit::OK)
}
