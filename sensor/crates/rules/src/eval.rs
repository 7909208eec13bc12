//! Evaluating compiled predicates. Field values are extracted lazily, at
//! most once per event, into a cache indexed by field slot.

use crate::ast::{Modifier, Op};
use crate::compile::{Ancestor, CCheck, Lhs, Pred, Test, XArg};
use crate::fields::{Ctx, FieldDef, Val};
use crate::matchers::{fnmatch, icontains};
use std::borrow::Cow;

/// Per-event values; `None` = not extracted yet, `Some(None)` = missing.
pub struct Cache<'x> {
    slots: Vec<Option<Option<Val<'x>>>>,
    /// Shared sub-condition results: 0 unknown, 1 false, 2 true.
    memo: Vec<u8>,
}

/// The allocations of a [`Cache`], kept between events.
#[derive(Default)]
pub struct Scratch {
    slots: Vec<Option<Option<Val<'static>>>>,
    memo: Vec<u8>,
}

impl<'x> Cache<'x> {
    pub fn new(n: usize) -> Self {
        Cache {
            slots: (0..n).map(|_| None).collect(),
            memo: Vec::new(),
        }
    }
    /// A cache in a recycled allocation (see [`Cache::recycle`]).
    pub fn reuse(buf: Scratch, n: usize, n_memo: usize) -> Self {
        // `buf.slots` is empty: collecting it is free and keeps the allocation.
        let mut slots: Vec<Option<Option<Val<'x>>>> = buf.slots.into_iter().map(|_| None).collect();
        slots.resize_with(n, || None);
        let mut memo = buf.memo;
        memo.resize(n_memo, 0);
        Cache { slots, memo }
    }
    /// The allocations back, emptied, for the next event.
    pub fn recycle(mut self) -> Scratch {
        self.slots.clear();
        self.memo.clear();
        Scratch {
            slots: self.slots.into_iter().map(|_| None).collect(),
            memo: self.memo,
        }
    }
    pub fn get(&mut self, i: usize, defs: &[FieldDef], c: &Ctx<'x>) -> Option<&Val<'x>> {
        let slot = self.slots.get_mut(i)?;
        if slot.is_none() {
            *slot = Some(defs.get(i).and_then(|d| d.ex.extract(c)));
        }
        slot.as_ref().and_then(Option::as_ref)
    }
}

pub struct Eval<'e, 'x> {
    pub defs: &'e [FieldDef],
    pub ctx: &'e Ctx<'x>,
    pub cache: &'e mut Cache<'x>,
}

impl<'x> Eval<'_, 'x> {
    pub fn pred(&mut self, p: &Pred) -> bool {
        match p {
            Pred::And(v) => v.iter().all(|x| self.pred(x)),
            Pred::Or(v) => v.iter().any(|x| self.pred(x)),
            Pred::Not(x) => !self.pred(x),
            Pred::Check(c) => self.check(c),
            Pred::Const(b) => *b,
            Pred::Memo(id, p) => match self.cache.memo.get(*id).copied() {
                Some(1) => false,
                Some(2) => true,
                _ => {
                    let r = self.pred(p);
                    if let Some(m) = self.cache.memo.get_mut(*id) {
                        *m = 1 + r as u8;
                    }
                    r
                }
            },
        }
    }

    /// The value of a left-hand side (cloned out of the cache only for
    /// transformers and `val()`).
    pub fn value(&mut self, l: &Lhs) -> Option<Val<'x>> {
        match l {
            Lhs::Field(i) => self.cache.get(*i, self.defs, self.ctx).cloned(),
            Lhs::AnyAncestor(a) => {
                let mut first: Option<Val<'x>> = None;
                self.ancestors(*a, |v| {
                    first = Some(match v {
                        Val::Str(s) => Val::Str(Cow::Owned(s.to_string())),
                        Val::Int(i) => Val::Int(*i),
                        _ => return false,
                    });
                    true
                });
                first
            }
            Lhs::Xform(name, args) => self.xform(name, args),
        }
    }

    fn xform(&mut self, name: &str, args: &[XArg]) -> Option<Val<'x>> {
        let mut texts = Vec::with_capacity(args.len());
        for a in args {
            texts.push(match a {
                XArg::Lit(s) => s.clone(),
                XArg::Lhs(l) => {
                    let mut s = String::new();
                    self.value(l)?.write_to(&mut s);
                    s
                }
            });
        }
        let first = texts.first().cloned().unwrap_or_default();
        let s = match name {
            "tolower" => first.to_lowercase(),
            "toupper" => first.to_uppercase(),
            "basename" => first.rsplit('/').next().unwrap_or("").to_string(),
            "len" => return Some(Val::Int(first.chars().count() as i128)),
            "b64" => String::from_utf8_lossy(&b64_decode(&first)?).into_owned(),
            "concat" => texts.concat(),
            "join" => texts.get(1..).map(|t| t.join(&first)).unwrap_or_default(),
            _ => return None,
        };
        Some(Val::Str(Cow::Owned(s)))
    }

    fn check(&mut self, c: &CCheck) -> bool {
        if let Lhs::AnyAncestor(a) = &c.lhs {
            return self.ancestors(*a, |v| test_val(&c.test, v, c.negate));
        }
        if let Test::Other(op, rhs) = &c.test {
            let (Some(a), Some(b)) = (self.value(&c.lhs), self.value(rhs)) else {
                return false;
            };
            return compare_vals(*op, &a, &b);
        }
        match &c.lhs {
            Lhs::Field(i) => {
                let defs = self.defs;
                match self.cache.get(*i, defs, self.ctx) {
                    Some(v) => test_val(&c.test, v, c.negate),
                    None => false,
                }
            }
            other => match self.value(other) {
                Some(v) => test_val(&c.test, &v, c.negate),
                None => false,
            },
        }
    }

    /// Calls `f` on each ancestor's value (parent first) until it returns
    /// true; walks the thread table in place, without copying names.
    fn ancestors(&self, a: Ancestor, mut f: impl FnMut(&Val<'_>) -> bool) -> bool {
        let st = self.ctx.state;
        let Some(mut cur) = st.process_of(self.ctx.ev.tid()) else {
            return false;
        };
        for _ in 1..64 {
            let Some(p) = st.process_of(cur.ptid).filter(|p| p.tid != cur.tid) else {
                return false;
            };
            let v = match a {
                Ancestor::Name => Val::Str(Cow::Borrowed(p.comm.as_str())),
                Ancestor::Exe => Val::Str(Cow::Borrowed(p.exe.as_str())),
                Ancestor::Exepath => Val::Str(Cow::Borrowed(p.exepath.as_str())),
                Ancestor::Cmdline => Val::Str(Cow::Owned(p.cmdline())),
                Ancestor::Pid => Val::Int(p.pid as i128),
            };
            if f(&v) {
                return true;
            }
            cur = p;
        }
        false
    }
}

fn b64_decode(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let b: Vec<u8> = s.bytes().filter(|c| *c != b'=').collect();
    let mut out = Vec::new();
    for ch in b.chunks(4) {
        let mut acc = 0u32;
        for (i, c) in ch.iter().enumerate() {
            acc |= val(*c)? << (18 - 6 * i);
        }
        let n = ch.len() * 6 / 8;
        out.extend_from_slice(&acc.to_be_bytes()[1..1 + n]);
    }
    Some(out)
}

fn compare_vals(op: Op, a: &Val<'_>, b: &Val<'_>) -> bool {
    if let (Val::Int(x), Val::Int(y)) = (a, b) {
        return ord(op, x.cmp(y));
    }
    let (mut x, mut y) = (String::new(), String::new());
    a.write_to(&mut x);
    b.write_to(&mut y);
    match op {
        Op::Contains => x.contains(&y),
        Op::IContains => icontains(&x, &y.to_ascii_lowercase()),
        Op::StartsWith => x.starts_with(&y),
        Op::EndsWith => x.ends_with(&y),
        Op::Glob => fnmatch(y.as_bytes(), x.as_bytes()),
        Op::In | Op::Intersects => x == y,
        _ => ord(op, x.cmp(&y)),
    }
}

fn ord(op: Op, o: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        Op::Eq => o == Equal,
        Op::Ne => o != Equal,
        Op::Lt => o == Less,
        Op::Le => o != Greater,
        Op::Gt => o == Greater,
        Op::Ge => o != Less,
        _ => false,
    }
}

/// Applies `t` to a present value; `negate` is `!=`.
pub fn test_val(t: &Test, v: &Val<'_>, negate: bool) -> bool {
    if let Val::Pair(a, b) = v {
        return test_val(t, a, negate) || test_val(t, b, negate);
    }
    let r = match (t, v) {
        (Test::Exists, _) => true,
        (Test::IntCmp(op, n), Val::Int(x)) => ord(*op, x.cmp(n)),
        (Test::IntIn(set), Val::Int(x)) => set.contains(x),
        (Test::BoolEq(b), Val::Bool(x)) => b == x,
        (Test::NetIn(nets), Val::Ip(ip)) => nets.iter().any(|n| n.contains(ip)),
        (Test::NetIn(nets), Val::Str(s)) => s
            .parse()
            .is_ok_and(|ip| nets.iter().any(|n| n.contains(&ip))),
        (Test::Dyn(st, it), _) => match (v, it) {
            (Val::Int(_), Some(it)) => test_val(it, v, false),
            _ => test_val(st, v, false),
        },
        (Test::Modified(m, tests), _) => {
            let n = tests.iter().filter(|t| test_val(t, v, false)).count();
            match m {
                Modifier::OneOf => n == 1,
                Modifier::AnyOf => n >= 1,
                Modifier::AllOf => n == tests.len(),
            }
        }
        (Test::BContains(n), _) => bytes_of(v).is_some_and(|h| memfind(&h, n)),
        (Test::BStartsWith(n), _) => bytes_of(v).is_some_and(|h| h.starts_with(n)),
        (Test::Other(..), _) => false,
        (_, Val::Str(s)) => str_test(t, s),
        (_, Val::Bytes(b)) => str_test(t, &String::from_utf8_lossy(b)),
        (_, other) => {
            let mut s = String::new();
            other.write_to(&mut s);
            str_test(t, &s)
        }
    };
    r != negate
}

fn bytes_of<'a>(v: &'a Val<'_>) -> Option<Cow<'a, [u8]>> {
    match v {
        Val::Bytes(b) => Some(Cow::Borrowed(b)),
        Val::Str(s) => Some(Cow::Borrowed(s.as_bytes())),
        _ => None,
    }
}

fn memfind(h: &[u8], n: &[u8]) -> bool {
    n.is_empty() || h.windows(n.len()).any(|w| w == n)
}

fn str_test(t: &Test, s: &str) -> bool {
    match t {
        Test::StrEq(x) => s == x,
        Test::StrIn(set) => set.contains(s),
        Test::StrOrd(op, x) => ord(*op, s.cmp(x.as_str())),
        Test::Contains(x) => s.contains(x.as_str()),
        Test::IContains(x) => icontains(s, x),
        Test::StartsWith(x) => s.starts_with(x.as_str()),
        Test::EndsWith(x) => s.ends_with(x.as_str()),
        Test::Glob(p, false) => fnmatch(p, s.as_bytes()),
        Test::Glob(p, true) => fnmatch(p, s.to_ascii_lowercase().as_bytes()),
        Test::Regex(r) => r.is_match(s),
        Test::PMatch(ps) => ps.iter().any(|p| p.matches(s)),
        Test::AnyOf(set) => set.is_match(s),
        Test::IntCmp(op, n) => s.parse::<i128>().is_ok_and(|x| ord(*op, x.cmp(n))),
        Test::IntIn(set) => s.parse::<i128>().is_ok_and(|x| set.contains(&x)),
        Test::BoolEq(b) => s == if *b { "true" } else { "false" },
        _ => false,
    }
}
