//! Conditions (macros expanded) compiled into a typed predicate tree:
//! fields resolved to slots of a per-ruleset field table, literals parsed
//! for the field's type, literal lists turned into hash sets.

use crate::ast::{Check, Expr, Modifier, Op, Operand, Rhs};
use crate::fields::{FType, FieldDef};
use crate::matchers::{parse_hex, PathPrefix};
use regex::Regex;
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

/// An IP network `addr/prefix`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Net {
    pub fn parse(s: &str) -> Option<Net> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(Net { addr, prefix })
    }
    pub fn contains(&self, ip: &IpAddr) -> bool {
        let bits = |ip: &IpAddr| -> Option<(u128, u32)> {
            match ip {
                IpAddr::V4(v) => Some((u32::from(*v) as u128, 32)),
                IpAddr::V6(v) => Some((u128::from(*v), 128)),
            }
        };
        let (Some((a, w)), Some((b, w2))) = (bits(&self.addr), bits(ip)) else {
            return false;
        };
        if w != w2 {
            return false;
        }
        let shift = w - self.prefix as u32;
        shift >= w || (a >> shift) == (b >> shift)
    }
}

/// Left-hand side of a check.
#[derive(Debug, Clone)]
pub enum Lhs {
    Field(usize),
    /// `proc.aname` & co. without index in a filter: any ancestor matches.
    AnyAncestor(Ancestor),
    Xform(String, Vec<XArg>),
}

#[derive(Debug, Clone)]
pub enum XArg {
    Lhs(Lhs),
    Lit(String),
}

/// The comparison applied to a present value.
#[derive(Debug, Clone)]
pub enum Test {
    Exists,
    StrEq(String),
    StrIn(FxSet<String>),
    StrOrd(Op, String),
    Contains(String),
    IContains(String),
    StartsWith(String),
    EndsWith(String),
    Glob(Vec<u8>, bool),
    Regex(Regex),
    PMatch(Vec<PathPrefix>),
    BContains(Vec<u8>),
    BStartsWith(Vec<u8>),
    IntCmp(Op, i128),
    IntIn(FxSet<i128>),
    BoolEq(bool),
    NetIn(Vec<Net>),
    /// `evt.rawarg.*`: numeric when the value is, text otherwise.
    Dyn(Box<Test>, Option<Box<Test>>),
    Modified(Modifier, Vec<Test>),
    /// `val(...)` / transformer on the right.
    Other(Op, Lhs),
    /// Fused `startswith`/`contains` alternatives (see `fuse`).
    AnyOf(Box<crate::fuse::LiteralSet>),
}

#[derive(Debug, Clone)]
pub struct CCheck {
    pub lhs: Lhs,
    pub test: Test,
    /// `!=`: true when present and not equal.
    pub negate: bool,
    /// For `evt.type` checks: the event types they are true for (lets the
    /// index specialise rules per type, see `specialize`).
    pub types: Option<crate::evttypes::TypeSet>,
}

#[derive(Debug, Clone)]
pub enum Pred {
    And(Vec<Pred>),
    Or(Vec<Pred>),
    Not(Box<Pred>),
    Check(Box<CCheck>),
    /// A sub-condition several rules share (typically a macro such as
    /// `open_read`): evaluated once per event, the result remembered in
    /// slot `.0` of the event's memo.
    Memo(usize, Box<Pred>),
    /// Known for the event type the predicate was specialised for.
    Const(bool),
}

/// A compile error with its byte offset in the condition.
#[derive(Debug, Clone)]
pub struct CompileError {
    pub pos: usize,
    pub message: String,
    /// Unknown field or event type (downgraded under skip-if-unknown-filter).
    pub unknown: bool,
}

fn err(pos: usize, message: String) -> CompileError {
    CompileError {
        pos,
        message,
        unknown: false,
    }
}

/// Distinct fields of a rule set, in slot order.
#[derive(Debug, Default, Clone)]
pub struct FieldTable {
    pub defs: Vec<FieldDef>,
    /// Slots below this are condition fields (cached per event); the rest
    /// appear only in outputs and are extracted when an alert is rendered.
    pub n_cond: usize,
    by_name: HashMap<String, usize>,
}

impl FieldTable {
    pub fn slot(&mut self, key: &str, def: FieldDef) -> usize {
        if let Some(i) = self.by_name.get(key) {
            return *i;
        }
        self.defs.push(def);
        self.by_name.insert(key.to_string(), self.defs.len() - 1);
        self.defs.len() - 1
    }
}

pub type Resolver = fn(&str, Option<&str>) -> Option<FieldDef>;

pub struct Compiler<'t> {
    pub fields: &'t mut FieldTable,
    pub resolve: Resolver,
    /// Shared sub-conditions (by their text) and their memo slots.
    pub shared: &'t HashMap<String, usize>,
}

/// Composite sub-conditions that occur more than once across `exprs`,
/// numbered: the compiler turns them into [`Pred::Memo`] nodes.
pub fn shared_subconditions<'e>(exprs: impl Iterator<Item = &'e Expr>) -> HashMap<String, usize> {
    fn walk(e: &Expr, seen: &mut HashMap<String, usize>) {
        if let Expr::And(v) | Expr::Or(v) = e {
            *seen.entry(e.to_string()).or_default() += 1;
            v.iter().for_each(|x| walk(x, seen));
        }
        if let Expr::Not(x) = e {
            walk(x, seen);
        }
    }
    let mut seen = HashMap::new();
    exprs.for_each(|e| walk(e, &mut seen));
    let mut shared: Vec<String> = seen
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(k, _)| k)
        .collect();
    shared.sort();
    shared
        .into_iter()
        .enumerate()
        .map(|(i, k)| (k, i))
        .collect()
}

/// Which ancestor value `proc.a*` compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ancestor {
    Name,
    Exe,
    Exepath,
    Cmdline,
    Pid,
}

fn any_ancestor(name: &str) -> Option<Ancestor> {
    Some(match name {
        "proc.aname" => Ancestor::Name,
        "proc.aexe" => Ancestor::Exe,
        "proc.aexepath" => Ancestor::Exepath,
        "proc.acmdline" => Ancestor::Cmdline,
        "proc.apid" => Ancestor::Pid,
        _ => return None,
    })
}

/// FxHash: literal sets are hashed once per lookup on the hot path, and
/// their keys come from rules files, not from an adversary.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        for b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ *b as u64).wrapping_mul(K);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write(&[i]);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

pub type FxBuild = std::hash::BuildHasherDefault<FxHasher>;
pub type FxSet<T> = HashSet<T, FxBuild>;

fn parse_int(s: &str) -> Option<i128> {
    let d = s.strip_prefix(['+', '-']).unwrap_or(s);
    if d.is_empty() || !d.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl Compiler<'_> {
    pub fn compile(&mut self, e: &Expr) -> Result<Pred, CompileError> {
        Ok(match e {
            Expr::And(v) => Pred::And(
                v.iter()
                    .map(|x| self.compile(x))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Or(v) => Pred::Or(
                v.iter()
                    .map(|x| self.compile(x))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Not(x) => Pred::Not(Box::new(self.compile(x)?)),
            Expr::Macro { name, pos } => {
                return Err(err(
                    *pos,
                    format!("Undefined macro '{name}' used in filter."),
                ))
            }
            Expr::Check(c) => Pred::Check(Box::new(self.check(c)?)),
        })
    }

    /// The LHS and the type its values have.
    fn lhs(&mut self, o: &Operand, filter: bool) -> Result<(Lhs, FType), CompileError> {
        match o {
            Operand::Field { name, arg, pos } => {
                if filter && arg.is_none() {
                    if let Some(f) = any_ancestor(name) {
                        let ty = if name == "proc.apid" {
                            FType::Int
                        } else {
                            FType::Str
                        };
                        return Ok((Lhs::AnyAncestor(f), ty));
                    }
                }
                let def = (self.resolve)(name, arg.as_deref()).ok_or_else(|| CompileError {
                    pos: *pos,
                    message: format!("filter_check called with nonexistent field {}", o.text()),
                    unknown: true,
                })?;
                let ty = def.ty;
                Ok((Lhs::Field(self.fields.slot(&o.text(), def)), ty))
            }
            Operand::Transform { name, args, .. } => {
                let mut xs = Vec::new();
                for a in args {
                    xs.push(match a {
                        Operand::Literal(s) => XArg::Lit(s.clone()),
                        other => XArg::Lhs(self.lhs(other, false)?.0),
                    });
                }
                let ty = if name == "len" {
                    FType::Int
                } else {
                    FType::Str
                };
                Ok((Lhs::Xform(name.clone(), xs), ty))
            }
            Operand::Literal(s) => Err(err(0, format!("unexpected literal {s:?}"))),
        }
    }

    fn check(&mut self, c: &Check) -> Result<CCheck, CompileError> {
        let (lhs, ty) = self.lhs(&c.lhs, true)?;
        let pos = c.pos;
        if let Operand::Field { name, .. } = &c.lhs {
            if name == "evt.type" {
                let vals: Vec<&String> = match &c.rhs {
                    Rhs::Value(v) => vec![v],
                    Rhs::List(l) => l.iter().collect(),
                    _ => vec![],
                };
                for v in vals {
                    if !crate::evttypes::universe().index.contains_key(v.as_str()) {
                        return Err(CompileError {
                            pos,
                            message: format!("unknown event type {v}"),
                            unknown: true,
                        });
                    }
                }
            }
        }
        let negate = c.op == Op::Ne;
        let test = match &c.rhs {
            Rhs::None => Test::Exists,
            Rhs::Operand(o) => Test::Other(c.op, self.lhs(o, false)?.0),
            Rhs::List(items) if c.modifier.is_some() => {
                let op = if c.op == Op::Ne { Op::Eq } else { c.op };
                let tests = items
                    .iter()
                    .map(|v| literal_test(op, ty, std::slice::from_ref(v), pos))
                    .collect::<Result<_, _>>()?;
                Test::Modified(c.modifier.unwrap_or(Modifier::AnyOf), tests)
            }
            Rhs::List(items) => literal_test(c.op, ty, items, pos)?,
            Rhs::Value(v) => literal_test(c.op, ty, std::slice::from_ref(v), pos)?,
        };
        let types = crate::evttypes::check_set(c);
        Ok(CCheck {
            lhs,
            test,
            negate,
            types,
        })
    }
}

/// The test for `op` against literal(s) on a field of type `ty`.
pub fn literal_test(op: Op, ty: FType, vals: &[String], pos: usize) -> Result<Test, CompileError> {
    let one = || vals.first().cloned().unwrap_or_default();
    let num =
        |s: &str| parse_int(s).ok_or_else(|| err(pos, format!("'{s}' is not a valid number")));
    let list_op = matches!(op, Op::In | Op::Intersects);
    match ty {
        FType::Dyn => {
            let st = literal_test(op, FType::Str, vals, pos)?;
            let it = literal_test(op, FType::Int, vals, pos).ok().map(Box::new);
            return Ok(Test::Dyn(Box::new(st), it));
        }
        FType::Int => {
            return Ok(match op {
                Op::Eq | Op::Ne => Test::IntCmp(Op::Eq, num(&one())?),
                Op::Lt | Op::Le | Op::Gt | Op::Ge => Test::IntCmp(op, num(&one())?),
                _ if list_op => Test::IntIn(vals.iter().map(|v| num(v)).collect::<Result<_, _>>()?),
                _ => {
                    return Err(err(
                        pos,
                        format!("operator {op:?} not supported on numeric fields"),
                    ))
                }
            })
        }
        FType::Bool => {
            let b = |s: &str| match s {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(err(pos, format!("'{s}' is not a valid boolean"))),
            };
            return match op {
                Op::Eq | Op::Ne => Ok(Test::BoolEq(b(&one())?)),
                _ if list_op && vals.len() == 1 => Ok(Test::BoolEq(b(&one())?)),
                _ => Err(err(
                    pos,
                    format!("operator {op:?} not supported on boolean fields"),
                )),
            };
        }
        FType::Ip | FType::Net => {
            let net = |s: &str| {
                Net::parse(s)
                    .ok_or_else(|| err(pos, format!("'{s}' is not a valid IP address or network")))
            };
            if matches!(op, Op::Eq | Op::Ne) || list_op {
                return Ok(Test::NetIn(
                    vals.iter().map(|v| net(v)).collect::<Result<_, _>>()?,
                ));
            }
            if ty == FType::Net {
                return Err(err(
                    pos,
                    format!("operator {op:?} not supported on network fields"),
                ));
            }
        }
        FType::Bytes => {
            let hex = |s: &str| {
                parse_hex(s)
                    .ok_or_else(|| err(pos, format!("'{s}' is not a valid hex byte string")))
            };
            match op {
                Op::BContains => return Ok(Test::BContains(hex(&one())?)),
                Op::BStartsWith => return Ok(Test::BStartsWith(hex(&one())?)),
                _ => {}
            }
        }
        FType::Str => {}
    }
    let s = one();
    Ok(match op {
        Op::Eq | Op::Ne => Test::StrEq(s),
        Op::Lt | Op::Le | Op::Gt | Op::Ge => Test::StrOrd(op, s),
        Op::Contains => Test::Contains(s),
        Op::IContains => Test::IContains(s.to_ascii_lowercase()),
        Op::StartsWith => Test::StartsWith(s),
        Op::EndsWith => Test::EndsWith(s),
        Op::Glob => Test::Glob(s.into_bytes(), false),
        Op::IGlob => Test::Glob(s.to_ascii_lowercase().into_bytes(), true),
        Op::Regex => Test::Regex(
            Regex::new(&format!("^(?:{s})$"))
                .map_err(|e| err(pos, format!("invalid regex: {e}")))?,
        ),
        Op::BContains | Op::BStartsWith => {
            let b = parse_hex(&s)
                .ok_or_else(|| err(pos, format!("'{s}' is not a valid hex byte string")))?;
            if op == Op::BContains {
                Test::BContains(b)
            } else {
                Test::BStartsWith(b)
            }
        }
        Op::In | Op::Intersects => Test::StrIn(vals.iter().cloned().collect()),
        Op::PMatch => Test::PMatch(vals.iter().map(|v| PathPrefix::new(v)).collect()),
        Op::Exists => Test::Exists,
    })
}
