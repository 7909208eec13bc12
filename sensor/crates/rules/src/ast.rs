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
            } => {
                let plain = !a.is_empty()
                    && !a
                        .bytes()
                        .any(|c| matches!(c, b'[' | b']' | b'"' | b'\'' | b'\\') || c <= b' ');
                if plain {
                    format!("{name}[{a}]")
                } else {
                    format!("{name}[{}]", quote(a))
                }
            }
            Operand::Transform { name, args, .. } => {
                let a: Vec<String> = args.iter().map(Operand::text).collect();
                format!("{name}({})", a.join(", "))
            }
            Operand::Literal(s) => {
                let q = quote(s);
                if q.starts_with('"') {
                    q
                } else {
                    format!("\"{q}\"")
                }
            }
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

fn quote(v: &str) -> String {
    let bare = !v.is_empty()
        && v.bytes().all(|c| {
            !matches!(c, b'(' | b')' | b'"' | b'\'' | b'=' | b',' | b'\\') && c > b' ' && c != 0x7f
        });
    if bare {
        return v.to_string();
    }
    let mut s = String::with_capacity(v.len() + 2);
    s.push('"');
    for c in v.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\t' => s.push_str("\\t"),
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

impl std::fmt::Display for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Contains => "contains",
            Op::IContains => "icontains",
            Op::BContains => "bcontains",
            Op::StartsWith => "startswith",
            Op::BStartsWith => "bstartswith",
            Op::EndsWith => "endswith",
            Op::Glob => "glob",
            Op::IGlob => "iglob",
            Op::Regex => "regex",
            Op::In => "in",
            Op::Intersects => "intersects",
            Op::PMatch => "pmatch",
            Op::Exists => "exists",
        })
    }
}

/// The condition as filter text (macros must be expanded first): what
/// `sysdig -r FILE "<filter>"` accepts, used as the benchmark anchor.
impl std::fmt::Display for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expr::And(v) | Expr::Or(v) => {
                let sep = if matches!(self, Expr::And(_)) {
                    " and "
                } else {
                    " or "
                };
                f.write_str("(")?;
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        f.write_str(sep)?;
                    }
                    write!(f, "{x}")?;
                }
                f.write_str(")")
            }
            Expr::Not(x) => write!(f, "not ({x})"),
            Expr::Macro { name, .. } => f.write_str(name),
            Expr::Check(c) => {
                write!(f, "{} {}", c.lhs.text(), c.op)?;
                if let Some(m) = c.modifier {
                    let w = match m {
                        Modifier::OneOf => "oneof",
                        Modifier::AnyOf => "anyof",
                        Modifier::AllOf => "allof",
                    };
                    write!(f, " {w}")?;
                }
                match &c.rhs {
                    Rhs::None => Ok(()),
                    Rhs::Value(v) => write!(f, " {}", quote(v)),
                    Rhs::List(l) => {
                        let items: Vec<String> = l.iter().map(|v| quote(v)).collect();
                        write!(f, " ({})", items.join(", "))
                    }
                    Rhs::Operand(o) => write!(f, " val({})", o.text()),
                }
            }
        }
    }
}
