//! Specialising a rule's predicate for one event type: `evt.type` checks
//! become constants (the index already chose the type) and the tree is
//! simplified, so a rule never re-tests the type it was indexed under.

use crate::compile::Pred;

/// `p` for events of type `id`.
pub fn specialize(p: &Pred, id: u16) -> Pred {
    match p {
        Pred::Check(c) => match &c.types {
            Some(set) => Pred::Const(set.contains(id)),
            None => p.clone(),
        },
        Pred::Const(_) => p.clone(),
        Pred::Not(x) => match specialize(x, id) {
            Pred::Const(b) => Pred::Const(!b),
            other => Pred::Not(Box::new(other)),
        },
        Pred::And(v) | Pred::Or(v) => {
            let is_and = matches!(p, Pred::And(_));
            let mut out = Vec::with_capacity(v.len());
            for x in v {
                match specialize(x, id) {
                    // `false` decides an and, `true` decides an or.
                    Pred::Const(b) if b != is_and => return Pred::Const(b),
                    Pred::Const(_) => {}
                    other => out.push(other),
                }
            }
            match out.len() {
                0 => Pred::Const(is_and),
                1 => out.pop().unwrap_or(Pred::Const(is_and)),
                _ if is_and => Pred::And(out),
                _ => Pred::Or(out),
            }
        }
        Pred::Memo(m, x) => match specialize(x, id) {
            Pred::Const(b) => Pred::Const(b),
            other => Pred::Memo(*m, Box::new(other)),
        },
    }
}
