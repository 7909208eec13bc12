//! The fields the decoder alone can give, and the names of the ones that
//! state tracking will give.

use crate::time::{format_date_time, format_time};
use crate::EventContext;
use peregrine_event::render::{render_args, render_param, render_raw_param, render_res, type_name};
use peregrine_state::StateField;
use std::fmt::Write;

/// A field reference in a format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    Num,
    RawTime,
    Time,
    DateTime,
    Cpu,
    Dir,
    Type,
    Res,
    RawRes,
    Failed,
    Args,
    /// `evt.arg.NAME` / `evt.arg[N]`: rendered value.
    Arg(ArgRef),
    /// `evt.rawarg.NAME`: raw value.
    RawArg(ArgRef),
    Tid,
    Len,
    /// Read from state (proc.*, fd.*, user.*, container.*, ...).
    State(StateField),
}

/// A parameter named or numbered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgRef {
    Name(String),
    Index(usize),
}

/// Documentation of one field, for `peregrine list-fields`.
pub struct FieldInfo {
    pub name: &'static str,
    pub desc: &'static str,
}

/// Every field the decoder gives.
pub const FIELDS: &[FieldInfo] = &[
    FieldInfo {
        name: "evt.num",
        desc: "event number in the capture (as sysdig numbers them)",
    },
    FieldInfo {
        name: "evt.rawtime",
        desc: "timestamp, ns since the epoch",
    },
    FieldInfo {
        name: "evt.time",
        desc: "timestamp as HH:MM:SS.nnnnnnnnn (UTC)",
    },
    FieldInfo {
        name: "evt.datetime",
        desc: "timestamp as YYYY-MM-DD HH:MM:SS.nnnnnnnnn (UTC)",
    },
    FieldInfo {
        name: "evt.cpu",
        desc: "CPU (ring) the event was captured on",
    },
    FieldInfo {
        name: "evt.dir",
        desc: "'>' enter, '<' exit",
    },
    FieldInfo {
        name: "evt.type",
        desc: "event type (syscall name for generic events)",
    },
    FieldInfo {
        name: "evt.res",
        desc: "SUCCESS, or the errno name of a failed syscall",
    },
    FieldInfo {
        name: "evt.rawres",
        desc: "the syscall result as a number",
    },
    FieldInfo {
        name: "evt.failed",
        desc: "true when the result is negative",
    },
    FieldInfo {
        name: "evt.args",
        desc: "all parameters as name=value",
    },
    FieldInfo {
        name: "evt.arg.NAME",
        desc: "parameter NAME, rendered (evt.arg[N] by position)",
    },
    FieldInfo {
        name: "evt.rawarg.NAME",
        desc: "parameter NAME, raw number or bytes",
    },
    FieldInfo {
        name: "evt.buflen",
        desc: "event length in bytes",
    },
    FieldInfo {
        name: "thread.tid",
        desc: "thread id (host namespace)",
    },
];

impl Field {
    /// Parses a field name; `None` for names no Falco source knows.
    pub fn parse(name: &str) -> Option<Field> {
        let f = match name {
            "evt.num" => Field::Num,
            "evt.rawtime" => Field::RawTime,
            "evt.time" => Field::Time,
            "evt.datetime" => Field::DateTime,
            "evt.cpu" => Field::Cpu,
            "evt.dir" => Field::Dir,
            "evt.type" => Field::Type,
            "evt.res" => Field::Res,
            "evt.rawres" => Field::RawRes,
            "evt.failed" => Field::Failed,
            "evt.args" => Field::Args,
            "evt.buflen" => Field::Len,
            "thread.tid" => Field::Tid,
            _ => {
                if let Some(rest) = name.strip_prefix("evt.arg.") {
                    return (!rest.is_empty()).then(|| Field::Arg(ArgRef::Name(rest.into())));
                }
                if let Some(rest) = name.strip_prefix("evt.rawarg.") {
                    return (!rest.is_empty()).then(|| Field::RawArg(ArgRef::Name(rest.into())));
                }
                if let Some(idx) = name
                    .strip_prefix("evt.arg[")
                    .and_then(|r| r.strip_suffix(']'))
                {
                    return idx.parse().ok().map(|i| Field::Arg(ArgRef::Index(i)));
                }
                return StateField::parse(name).map(Field::State);
            }
        };
        Some(f)
    }

    /// Appends the value; false when the event has none.
    pub fn extract(&self, ctx: &EventContext<'_>, out: &mut String) -> bool {
        let ev = &ctx.event;
        match self {
            Field::Num => write!(out, "{}", ctx.num).is_ok(),
            Field::RawTime => write!(out, "{}", ev.ts()).is_ok(),
            Field::Time => {
                format_time(ev.ts(), out);
                true
            }
            Field::DateTime => {
                format_date_time(ev.ts(), out);
                true
            }
            Field::Cpu => write!(out, "{}", ctx.cpu).is_ok(),
            Field::Dir => {
                out.push(ev.direction().as_char());
                true
            }
            Field::Type => {
                out.push_str(type_name(ev));
                true
            }
            Field::Res => match render_res(ev) {
                Some(s) => {
                    out.push_str(&s);
                    true
                }
                None => false,
            },
            Field::RawRes => ev.result().is_some_and(|r| write!(out, "{r}").is_ok()),
            Field::Failed => ev
                .result()
                .is_some_and(|r| write!(out, "{}", r < 0).is_ok()),
            Field::Args => {
                match ctx.state {
                    Some(st) => crate::render_args_with_state(ev, st, out),
                    None => render_args(ev, out),
                }
                true
            }
            Field::Arg(a) => arg_index(ctx, a).is_some_and(|i| render_param(ev, i, out)),
            Field::RawArg(a) => arg_index(ctx, a).is_some_and(|i| render_raw_param(ev, i, out)),
            Field::Tid => write!(out, "{}", ev.tid()).is_ok(),
            Field::Len => write!(out, "{}", ev.len()).is_ok(),
            Field::State(f) => match ctx.state.and_then(|st| f.extract(st, ev)) {
                Some(v) => {
                    v.write_to(out);
                    true
                }
                None => false,
            },
        }
    }
}

fn arg_index(ctx: &EventContext<'_>, a: &ArgRef) -> Option<usize> {
    match a {
        ArgRef::Name(n) => ctx.event.param_index(n),
        ArgRef::Index(i) => (*i < ctx.event.nparams() as usize).then_some(*i),
    }
}
