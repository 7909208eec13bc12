//! The event-type universe (event names and syscall names) and the set of
//! types a condition can match (rules.md §2.5): `and` intersects, `or`
//! unites, `not` complements only the `evt.type` checks beneath it.

use crate::ast::{Check, Expr, Op, Operand, Rhs};
use peregrine_wire::{event_info, EVENT_MAX, PPM_SC};
use std::collections::HashMap;
use std::sync::OnceLock;

pub struct Universe {
    pub names: Vec<&'static str>,
    pub index: HashMap<&'static str, u16, crate::compile::FxBuild>,
    /// Type id of each event code (codes 0/1 are generic: named per event).
    pub by_code: Vec<Option<u16>>,
    /// Type id of each PPM_SC syscall code (how generic events are named).
    pub by_sc: Vec<Option<u16>>,
}

pub fn universe() -> &'static Universe {
    static U: OnceLock<Universe> = OnceLock::new();
    U.get_or_init(|| {
        let mut names: Vec<&'static str> = (0..EVENT_MAX)
            .filter_map(event_info)
            .map(|i| i.name)
            .filter(|n| *n != "NA" && !n.is_empty())
            .chain(PPM_SC.iter().map(|e| e.1))
            .collect();
        names.sort_unstable();
        names.dedup();
        let index: HashMap<&'static str, u16, crate::compile::FxBuild> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (*n, i as u16))
            .collect();
        let by_code = (0..EVENT_MAX)
            .map(|c| {
                if c <= 1 {
                    return None;
                }
                event_info(c).and_then(|i| index.get(i.name).copied())
            })
            .collect();
        let max_sc = PPM_SC.iter().map(|e| e.0 as usize + 1).max().unwrap_or(0);
        let mut by_sc = vec![None; max_sc];
        for (code, name, _) in PPM_SC {
            by_sc[*code as usize] = index.get(name).copied();
        }
        Universe {
            names,
            index,
            by_code,
            by_sc,
        }
    })
}

/// A set of type ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeSet(Vec<u64>);

impl TypeSet {
    pub fn all() -> Self {
        let n = universe().names.len();
        let mut v = vec![u64::MAX; n.div_ceil(64)];
        if n % 64 != 0 {
            if let Some(last) = v.last_mut() {
                *last = (1u64 << (n % 64)) - 1;
            }
        }
        TypeSet(v)
    }
    pub fn none() -> Self {
        TypeSet(vec![0; universe().names.len().div_ceil(64)])
    }
    pub fn insert(&mut self, id: u16) {
        if let Some(w) = self.0.get_mut(id as usize / 64) {
            *w |= 1 << (id % 64);
        }
    }
    pub fn contains(&self, id: u16) -> bool {
        self.0
            .get(id as usize / 64)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }
    pub fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn is_all(&self) -> bool {
        *self == TypeSet::all()
    }
    fn and(mut self, o: &TypeSet) -> Self {
        self.0.iter_mut().zip(&o.0).for_each(|(a, b)| *a &= b);
        self
    }
    fn or(mut self, o: &TypeSet) -> Self {
        self.0.iter_mut().zip(&o.0).for_each(|(a, b)| *a |= b);
        self
    }
    fn complement(self) -> Self {
        let all = TypeSet::all();
        TypeSet(self.0.iter().zip(&all.0).map(|(a, b)| !a & b).collect())
    }
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        let u = universe();
        (0..u.names.len() as u16)
            .filter(|i| self.contains(*i))
            .map(|i| u.names[i as usize])
    }
}

/// The types for which an `evt.type` check (`=`, `!=`, `in`) is true;
/// `None` for any other check.
pub fn check_set(c: &Check) -> Option<TypeSet> {
    if !matches!(&c.lhs, Operand::Field { name, arg: None, .. } if name == "evt.type") {
        return None;
    }
    let vals: Vec<&str> = match (&c.op, &c.rhs) {
        (Op::Eq | Op::Ne, Rhs::Value(v)) => vec![v.as_str()],
        (Op::In, Rhs::List(l)) => l.iter().map(String::as_str).collect(),
        (Op::In, Rhs::Value(v)) => vec![v.as_str()],
        _ => return None,
    };
    let mut s = TypeSet::none();
    for v in vals {
        if let Some(id) = universe().index.get(v) {
            s.insert(*id);
        }
    }
    Some(if c.op == Op::Ne { s.complement() } else { s })
}

/// The types `e` (macros already expanded) can match.
pub fn of(e: &Expr, negated: bool) -> TypeSet {
    match e {
        Expr::And(v) | Expr::Or(v) => {
            let intersect = matches!(e, Expr::And(_)) != negated;
            let mut it = v.iter().map(|x| of(x, negated));
            let first = it.next().unwrap_or_else(TypeSet::all);
            it.fold(
                first,
                |acc, s| {
                    if intersect {
                        acc.and(&s)
                    } else {
                        acc.or(&s)
                    }
                },
            )
        }
        Expr::Not(x) => of(x, !negated),
        Expr::Macro { .. } => TypeSet::all(),
        Expr::Check(c) => match check_set(c) {
            Some(s) if negated => s.complement(),
            Some(s) => s,
            None => TypeSet::all(),
        },
    }
}
