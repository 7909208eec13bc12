//! The condition syntax tree, as the parser gives it (macros unresolved).

/// A boolean expression. `pos` fields are byte offsets in the condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    /// A bare identifier: a macro reference.
    Macro {
        name: String,
        pos: usize,
    },
    Check(Box<Check>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub lhs: Operand,
    pub op: Op,
    pub modifier: Option<Modifier>,
    pub rhs: Rhs,
    pub pos: usize,
}

/// A field, or a transformer applied to operands.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Field {
        name: String,
        arg: Option<String>,
        pos: usize,
    },
    Transform {
        name: String,
        args: Vec<Operand>,
        pos: usize,
    },
    /// A literal argument of a transformer (`join(",", ...)`).
    Literal(String),
}

impl Operand {
    /// The text as written, e.g. `proc.aname[2]` or `tolower(proc.name)`.
    pub fn text(&self) -> String {
        match self {
            Operand::Field {
                name, arg: None, ..
            } => name.clone(),
            Operand::Field {
                name, arg: Some(a), ..
            } => format!("{name}[{a}]"),
            Operand::Transform { name, args, .. } => {
                let a: Vec<String> = args.iter().map(Operand::text).collect();
                format!("{name}({})", a.join(", "))
            }
            Operand::Literal(s) => format!("{s:?}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Rhs {
    None,
    Value(String),
    List(Vec<String>),
    /// `val(field)` or a transformer: another value of the same event.
    Operand(Operand),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    IContains,
    BContains,
    StartsWith,
    BStartsWith,
    EndsWith,
    Glob,
    IGlob,
    Regex,
    In,
    Intersects,
    PMatch,
    Exists,
}

impl Op {
    pub fn from_word(w: &str) -> Option<Op> {
        Some(match w {
            "=" | "==" => Op::Eq,
            "!=" => Op::Ne,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "contains" => Op::Contains,
            "icontains" => Op::IContains,
            "bcontains" => Op::BContains,
            "startswith" => Op::StartsWith,
            "bstartswith" => Op::BStartsWith,
            "endswith" => Op::EndsWith,
            "glob" => Op::Glob,
            "iglob" => Op::IGlob,
            "regex" => Op::Regex,
            "in" => Op::In,
            "intersects" => Op::Intersects,
            "pmatch" => Op::PMatch,
            "exists" => Op::Exists,
            _ => return None,
        })
    }
    pub fn is_list(self) -> bool {
        matches!(self, Op::In | Op::Intersects | Op::PMatch)
    }
    pub fn is_word(self) -> bool {
        !matches!(
            self,
            Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge | Op::Exists
        ) && !self.is_list()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modifier {
    OneOf,
    AnyOf,
    AllOf,
}

impl Expr {
    /// Calls `f` on every macro reference.
    pub fn visit_macros(&self, f: &mut impl FnMut(&str, usize)) {
        match self {
            Expr::And(v) | Expr::Or(v) => v.iter().for_each(|e| e.visit_macros(f)),
            Expr::Not(e) => e.visit_macros(f),
            Expr::Macro { name, pos } => f(name, *pos),
            Expr::Check(_) => {}
        }
    }
}
