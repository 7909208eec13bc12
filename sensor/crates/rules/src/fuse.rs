//! Fusing `or` chains of prefix / substring checks on one field
//! (`fd.name startswith /bin/ or fd.name startswith /sbin/ or ...`, common
//! in the upstream rules) into one Aho-Corasick automaton: one pass over
//! the value instead of one comparison per literal.

use crate::compile::{CCheck, Lhs, Pred, Test};
use aho_corasick::{AhoCorasick, Anchored, Input, StartKind};

/// Fewer alternatives than this are compared one by one.
const MIN_FUSE: usize = 3;

/// A set of literals matched in one pass.
#[derive(Debug, Clone)]
pub struct LiteralSet {
    ac: AhoCorasick,
    anchored: bool,
}

impl LiteralSet {
    fn new(pats: &[String], anchored: bool) -> Option<Self> {
        let kind = if anchored {
            StartKind::Anchored
        } else {
            StartKind::Unanchored
        };
        let ac = AhoCorasick::builder().start_kind(kind).build(pats).ok()?;
        Some(LiteralSet { ac, anchored })
    }
    pub fn is_match(&self, s: &str) -> bool {
        let input = Input::new(s).anchored(if self.anchored {
            Anchored::Yes
        } else {
            Anchored::No
        });
        self.ac.find(input).is_some()
    }
}

fn fusable(p: &Pred) -> Option<(usize, bool, &str)> {
    let Pred::Check(c) = p else { return None };
    let (Lhs::Field(slot), false) = (&c.lhs, c.negate) else {
        return None;
    };
    match &c.test {
        Test::StartsWith(s) => Some((*slot, true, s)),
        Test::Contains(s) => Some((*slot, false, s)),
        _ => None,
    }
}

/// `p` with fusable `or` chains replaced by [`Test::AnyOf`] checks.
pub fn fuse(p: Pred) -> Pred {
    match p {
        Pred::And(v) => Pred::And(v.into_iter().map(fuse).collect()),
        Pred::Not(x) => Pred::Not(Box::new(fuse(*x))),
        Pred::Memo(id, x) => Pred::Memo(id, Box::new(fuse(*x))),
        Pred::Check(_) | Pred::Const(_) => p,
        Pred::Or(v) => {
            let v: Vec<Pred> = v.into_iter().map(fuse).collect();
            // Group (field, prefix?) -> literals, keeping the first position.
            let mut groups: Vec<((usize, bool), Vec<String>)> = Vec::new();
            for x in &v {
                if let Some((slot, anchored, lit)) = fusable(x) {
                    match groups.iter_mut().find(|g| g.0 == (slot, anchored)) {
                        Some(g) => g.1.push(lit.to_string()),
                        None => groups.push(((slot, anchored), vec![lit.to_string()])),
                    }
                }
            }
            let mut out = Vec::with_capacity(v.len());
            let mut done: Vec<(usize, bool)> = Vec::new();
            for x in v {
                let Some((slot, anchored, _)) = fusable(&x) else {
                    out.push(x);
                    continue;
                };
                let key = (slot, anchored);
                let Some(g) = groups.iter().find(|g| g.0 == key && g.1.len() >= MIN_FUSE) else {
                    out.push(x);
                    continue;
                };
                if done.contains(&key) {
                    continue;
                }
                match LiteralSet::new(&g.1, anchored) {
                    Some(set) => {
                        done.push(key);
                        out.push(Pred::Check(Box::new(CCheck {
                            lhs: Lhs::Field(slot),
                            test: Test::AnyOf(Box::new(set)),
                            negate: false,
                            types: None,
                        })));
                    }
                    None => out.push(x),
                }
            }
            if out.len() == 1 {
                out.pop().unwrap_or(Pred::Const(false))
            } else {
                Pred::Or(out)
            }
        }
    }
}
