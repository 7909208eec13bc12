//! The savefile converter (event-table.md §3.2-3.4): turns old enter/exit
//! pairs and old event versions into current exit events, using the
//! conversion table from `peregrine-wire`.
//!
//! Deviations from upstream, both only where upstream fails:
//! - an enter/exit mismatch in a thread's store slot (the slot holds an
//!   enter of another syscall, because an exit was lost) is treated as an
//!   empty slot: the stale enter is discarded, the instruction falls back,
//!   and `slot_mismatches` counts it. Upstream aborts the read.
//! - the store is bounded: past `max_tids` threads the oldest slot is
//!   evicted (`slot_evictions`). Upstream's store grows without limit.

use peregrine_event::{EventBuilder, EventRef};
use peregrine_wire::{
    conversion, event_info, Action, Instr, InstrSource, ParamType, MAX_EVENT_SIZE,
};

use crate::enter_store::EnterStore;
use crate::error::ConvertError;

/// `MAX_CONVERSION_BOUNDARY`: an event that takes this many steps is an error.
const MAX_STEPS: usize = 50;

/// What the converter did, per event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConvertStats {
    /// Delivered unchanged.
    pub passed: u64,
    /// Delivered after at least one ADD_PARAMS/CHANGE_TYPE step.
    pub converted: u64,
    /// Dropped (unused events, unmanaged old enters, ...).
    pub dropped: u64,
    /// Stored in their thread's slot and not delivered.
    pub stored: u64,
    /// Stored and also delivered (STORE_AND_PASS).
    pub stored_and_passed: u64,
    /// FROM_ENTER found an enter of another syscall (an error upstream).
    pub slot_mismatches: u64,
    /// Slots evicted because the store was full.
    pub slot_evictions: u64,
}

/// Result of one event through the converter; the event itself stays with
/// the caller (Pass) or in [`Converter::output`] (Converted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Pass,
    Converted,
    Dropped,
    Stored,
}

enum Eligibility {
    Pass,
    Drop,
    Continue,
}

/// The converter with its per-thread enter store. Feed it the events of one
/// capture in order.
pub struct Converter {
    store: EnterStore,
    cur: Vec<u8>,
    next: Vec<u8>,
    builder: EventBuilder,
    stats: ConvertStats,
}

impl Default for Converter {
    fn default() -> Self {
        Self::new()
    }
}

impl Converter {
    /// Threads whose enter events may wait in the store at once.
    pub const DEFAULT_MAX_TIDS: usize = 65536;

    pub fn new() -> Self {
        Self::with_max_tids(Self::DEFAULT_MAX_TIDS)
    }

    /// A converter whose store holds at most `max_tids` (>= 1) threads.
    pub fn with_max_tids(max_tids: usize) -> Self {
        Converter {
            store: EnterStore::new(max_tids),
            cur: Vec::new(),
            next: Vec::new(),
            builder: EventBuilder::new(),
            stats: ConvertStats::default(),
        }
    }

    pub fn stats(&self) -> &ConvertStats {
        &self.stats
    }

    /// Threads with an enter event in the store.
    pub fn stored_tids(&self) -> usize {
        self.store.len()
    }

    /// Converts one event. `Ok(None)`: the event was dropped or stored.
    /// Unchanged events are returned as they came (same bytes); converted
    /// ones live in the converter until the next call.
    pub fn convert<'a>(
        &'a mut self,
        ev: EventRef<'a>,
    ) -> Result<Option<EventRef<'a>>, ConvertError> {
        match self.step(ev)? {
            Outcome::Pass => Ok(Some(ev)),
            Outcome::Converted => Ok(Some(EventRef::parse(&self.cur)?)),
            Outcome::Dropped | Outcome::Stored => Ok(None),
        }
    }

    /// The event built by the last step that returned `Converted`.
    pub(crate) fn output(&self) -> &[u8] {
        &self.cur
    }

    pub(crate) fn step(&mut self, ev: EventRef<'_>) -> Result<Outcome, ConvertError> {
        match eligibility(ev.code(), ev.nparams())? {
            Eligibility::Pass => {
                self.stats.passed += 1;
                return Ok(Outcome::Pass);
            }
            Eligibility::Drop => {
                self.stats.dropped += 1;
                return Ok(Outcome::Dropped);
            }
            Eligibility::Continue => {}
        }
        if ev.as_bytes().len() > MAX_EVENT_SIZE {
            return Err(ConvertError::TooLarge {
                len: ev.as_bytes().len(),
                max: MAX_EVENT_SIZE,
            });
        }
        let (ts, tid) = (ev.ts(), ev.tid());
        // The first round reads the input in place; later rounds read what
        // the previous one built into `cur`.
        let mut changed = false;
        for steps in 1..=MAX_STEPS {
            let cur = if changed {
                EventRef::parse(&self.cur)?
            } else {
                ev
            };
            let (code, n) = (cur.code(), cur.nparams());
            if steps == MAX_STEPS {
                return Err(ConvertError::TooManySteps { code, steps });
            }
            let conv =
                conversion(code, n).ok_or(ConvertError::NoConversion { code, nparams: n })?;
            let delivered = if changed {
                Outcome::Converted
            } else {
                Outcome::Pass
            };
            match conv.action {
                Action::Store => {
                    self.stats.slot_evictions += self.store.put(tid, cur.as_bytes());
                    self.stats.stored += 1;
                    return Ok(Outcome::Stored);
                }
                Action::Pass => {
                    self.count_delivered(delivered);
                    return Ok(delivered);
                }
                Action::StoreAndPass => {
                    self.stats.slot_evictions += self.store.put(tid, cur.as_bytes());
                    self.stats.stored_and_passed += 1;
                    self.count_delivered(delivered);
                    return Ok(delivered);
                }
                Action::AddParams | Action::ChangeType => {}
            }
            let (target, base) = if conv.action == Action::AddParams {
                (code, n as usize)
            } else {
                (conv.target_code as u16, 0)
            };
            self.builder.clear();
            if conv.action == Action::AddParams {
                for p in cur.params() {
                    self.builder.raw(p);
                }
            }
            let consumed = build_params(
                &mut self.builder,
                &cur,
                target,
                base,
                conv.instrs,
                tid,
                &mut self.store,
                &mut self.stats,
            )?;
            if consumed {
                self.store.take(tid);
            }
            self.next.clear();
            self.builder.finish_into(ts, tid, target, &mut self.next)?;
            std::mem::swap(&mut self.cur, &mut self.next);
            changed = true;
            if self.cur.len() > MAX_EVENT_SIZE {
                return Err(ConvertError::TooLarge {
                    len: self.cur.len(),
                    max: MAX_EVENT_SIZE,
                });
            }
            let new_n = (base + conv.instrs.len()) as u32;
            match eligibility(target, new_n)? {
                Eligibility::Pass => {
                    self.stats.converted += 1;
                    return Ok(Outcome::Converted);
                }
                Eligibility::Drop => {
                    self.stats.dropped += 1;
                    return Ok(Outcome::Dropped);
                }
                Eligibility::Continue => {}
            }
        }
        // Unreachable in practice: the loop returns at MAX_STEPS.
        Err(ConvertError::TooManySteps {
            code: ev.code(),
            steps: MAX_STEPS,
        })
    }

    fn count_delivered(&mut self, o: Outcome) {
        if o == Outcome::Converted {
            self.stats.converted += 1;
        } else {
            self.stats.passed += 1;
        }
    }
}

/// The eligibility test, in upstream's order (event-table.md §3.2).
fn eligibility(code: u16, n: u32) -> Result<Eligibility, ConvertError> {
    let Some(info) = event_info(code) else {
        // Newer than this build: the reader skips these before converting.
        return Ok(Eligibility::Pass);
    };
    if info.is_unused() {
        return Ok(Eligibility::Drop);
    }
    if !info.is_converter_managed() {
        return match (info.is_old(), code & 1 == 0) {
            (false, _) => Ok(Eligibility::Pass),
            (true, true) => Ok(Eligibility::Drop),
            (true, false) => Err(ConvertError::UnmanagedOldExit { code }),
        };
    }
    if code & 1 == 0 {
        return Ok(Eligibility::Continue);
    }
    let max = info.params.len();
    if n as usize > max {
        return Err(ConvertError::TooManyParams {
            code,
            nparams: n,
            max,
        });
    }
    if info.is_old() || n as usize != max {
        Ok(Eligibility::Continue)
    } else {
        Ok(Eligibility::Pass)
    }
}

/// Appends one parameter per instruction; returns whether a FROM_ENTER
/// instruction read the slot (which then must be emptied).
#[allow(clippy::too_many_arguments)]
fn build_params(
    b: &mut EventBuilder,
    cur: &EventRef<'_>,
    target: u16,
    base: usize,
    instrs: &[Instr],
    tid: u64,
    store: &mut EnterStore,
    stats: &mut ConvertStats,
) -> Result<bool, ConvertError> {
    let tinfo = event_info(target).ok_or(ConvertError::NoTargetParam {
        code: target,
        index: base,
    })?;
    let large = tinfo.is_large();
    let mut consumed = false;
    for (j, ins) in instrs.iter().enumerate() {
        let k = base + j;
        let ptype = tinfo
            .params
            .get(k)
            .ok_or(ConvertError::NoTargetParam {
                code: target,
                index: k,
            })?
            .ptype;
        let max = match ptype.fixed_size() {
            Some(s) => s as u64,
            None if large => u32::MAX as u64,
            None => u16::MAX as u64,
        };
        let copy = |b: &mut EventBuilder, p: &[u8]| {
            let l = (p.len() as u64).min(max) as usize;
            b.raw(p.get(..l).unwrap_or(p));
        };
        match ins.source {
            InstrSource::FromOld => {
                let p = cur
                    .param_raw(ins.index as usize)
                    .ok_or(ConvertError::MissingParam {
                        code: cur.code(),
                        index: ins.index,
                        nparams: cur.nparams(),
                    })?;
                copy(b, p);
            }
            InstrSource::FromEnter => {
                let want = cur.code().wrapping_sub(1);
                let slot = store.get(tid).map(EventRef::parse).transpose()?;
                match slot {
                    Some(enter) if enter.code() == want => {
                        let p = enter.param_raw(ins.index as usize).ok_or(
                            ConvertError::MissingParam {
                                code: enter.code(),
                                index: ins.index,
                                nparams: enter.nparams(),
                            },
                        )?;
                        copy(b, p);
                        consumed = true;
                    }
                    Some(_) => {
                        stats.slot_mismatches += 1;
                        store.take(tid);
                        fallback(b, ins, ptype);
                    }
                    None => fallback(b, ins, ptype),
                }
            }
            InstrSource::FromEmpty => {
                b.empty();
            }
            InstrSource::FromDefault => default_param(b, ptype),
            InstrSource::FromCallback => match container_json(cur) {
                Some(json) if json.len() as u64 > max => {
                    return Err(ConvertError::CallbackTooLarge {
                        code: target,
                        len: json.len(),
                        max,
                    })
                }
                Some(json) => {
                    b.raw(&json);
                }
                None => fallback(b, ins, ptype),
            },
        }
    }
    Ok(consumed)
}

fn fallback(b: &mut EventBuilder, ins: &Instr, t: ParamType) {
    if ins.fallback_empty {
        b.empty();
    } else {
        default_param(b, t);
    }
}

/// FROM_DEFAULT: zeros of the type's size, "no value" for uid/gid, empty
/// for variable-length types.
fn default_param(b: &mut EventBuilder, t: ParamType) {
    match t {
        ParamType::Uid | ParamType::Gid => b.raw(&[0xff; 4]),
        _ => match t.fixed_size() {
            Some(n) => b.raw(&[0u8; 16][..n.min(16)]),
            None => b.empty(),
        },
    };
}

/// The FROM_CALLBACK of PPME_CONTAINER_E: `{"id":..,"type":..,"name":..,
/// "image":..}` plus a NUL, strings inserted verbatim (no escaping, as
/// upstream). `None` when a parameter cannot be read.
fn container_json(ev: &EventRef<'_>) -> Option<Vec<u8>> {
    let s = |i: usize| -> Option<&[u8]> {
        let p = ev.param_raw(i)?;
        if p.is_empty() {
            return None;
        }
        Some(p.split(|&c| c == 0).next().unwrap_or(p))
    };
    let (id, name, image) = (s(0)?, s(2)?, s(3)?);
    let t = ev.param_raw(1)?;
    if t.is_empty() || t.len() > 4 {
        return None;
    }
    let mut a = [0u8; 4];
    a.get_mut(..t.len())?.copy_from_slice(t);
    let ty = u32::from_le_bytes(a);
    let mut out = Vec::with_capacity(id.len() + name.len() + image.len() + 48);
    out.extend_from_slice(b"{\"id\":\"");
    out.extend_from_slice(id);
    out.extend_from_slice(b"\",\"type\":");
    out.extend_from_slice(ty.to_string().as_bytes());
    out.extend_from_slice(b",\"name\":\"");
    out.extend_from_slice(name);
    out.extend_from_slice(b"\",\"image\":\"");
    out.extend_from_slice(image);
    out.extend_from_slice(b"\"}\0");
    Some(out)
}
