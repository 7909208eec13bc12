//! Expectations of the workload's second part (more_workload.rs): the exit
//! event of each call, with the parameters the eBPF probe gives it. Grouped
//! as the workload's calls are, and added in the workload's order.

mod bounds;
mod fdc;
mod fs;
mod io;
mod lim;
mod moves;
mod proc;
mod sec;

use std::collections::HashMap;

use anyhow::Result;
use peregrine_event::EventRef;

use crate::check::Pred;

/// PPM_O_CLOEXEC, PPM_O_NONBLOCK, PPM_CL_CLONE_NEWUTS (ppm_flags.h).
const O_CLOEXEC: i64 = 0x1000;
const O_NONBLOCK: i64 = 0x40;
const CLONE_NEWUTS: i64 = 0x80;

fn raw_param<'a>(e: &EventRef<'a>, i: usize) -> &'a [u8] {
    e.param_raw(i).unwrap_or_default()
}

/// The events of one type from thread `tid`.
fn by(e: &EventRef<'_>, tid: i64, code: u32) -> bool {
    e.tid() as i64 == tid && e.code() == code as u16
}

/// The workload's own events of one type: `by` with the workload's pid.
fn of(pid: i64) -> impl Fn(&EventRef<'_>, u32) -> bool + Copy {
    move |e: &EventRef<'_>, code: u32| by(e, pid, code)
}

/// Adds the expectations; `add(description, predicate)`.
pub fn add(x: &HashMap<String, String>, add: &mut dyn FnMut(&'static str, Pred)) -> Result<()> {
    proc::prctl(x, add)?;
    io::dups(x, add)?;
    fs::ownership(x, add)?;
    io::pipes_and_sockets(x, add)?;
    io::vectors_and_memory(x, add)?;
    fs::links_and_mounts(x, add)?;
    proc::signals_and_refusals(x, add)?;
    proc::children(x, add)?;
    proc::ptrace(x, add)?;
    bounds::faults_and_bounds(x, add)?;
    sec::add(x, add)?;
    fdc::add(x, add)?;
    moves::add(x, add)?;
    lim::add(x, add)
}
