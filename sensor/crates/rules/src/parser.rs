//! The condition grammar (rules.md §2.1-2.2): recursive descent over bytes,
//! `not` > `and` > `or`, n-ary and left to right.

use crate::ast::{Check, Expr, Modifier, Op, Operand, Rhs};

/// A syntax error: what was expected and where (byte offset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub pos: usize,
    pub message: String,
}

/// Falco's limit on nesting.
const MAX_DEPTH: usize = 1000;

/// Transformers that take operands (`val` is handled apart).
pub const TRANSFORMERS: &[&str] = &[
    "tolower", "toupper", "b64", "basename", "len", "join", "concat", "getopt",
];

struct P<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
    depth: usize,
    last: String,
}

fn is_blank(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\x08' | b'\r' | b'\n')
}

fn is_bare(c: u8) -> bool {
    !matches!(c, b'(' | b')' | b'"' | b'\'' | b'=' | b',') && !is_blank(c)
}

/// Parses a whole condition.
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    let mut p = P {
        s: text.as_bytes(),
        text,
        i: 0,
        depth: 0,
        last: String::new(),
    };
    p.blanks();
    let e = p.or()?;
    p.blanks();
    if p.i < p.s.len() {
        return Err(p.err(format!(
            "unexpected token after '{}', expecting 'or', 'and'",
            p.last
        )));
    }
    Ok(e)
}

impl<'a> P<'a> {
    fn err(&self, message: String) -> ParseError {
        ParseError {
            pos: self.i,
            message,
        }
    }
    fn blanks(&mut self) -> bool {
        let start = self.i;
        while self.i < self.s.len() && is_blank(self.s[self.i]) {
            self.i += 1;
        }
        self.i > start
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    /// `word` followed by a blank, or by `(` when `paren_ok`.
    fn keyword(&mut self, word: &str, paren_ok: bool) -> bool {
        let w = word.as_bytes();
        if !self.s[self.i..].starts_with(w) {
            return false;
        }
        match self.s.get(self.i + w.len()) {
            Some(&c) if is_blank(c) || (paren_ok && c == b'(') => {
                self.i += w.len();
                true
            }
            _ => false,
        }
    }
    fn ident_at(&self, at: usize) -> usize {
        let mut j = at;
        if j < self.s.len() && self.s[j].is_ascii_alphabetic() {
            while j < self.s.len() && (self.s[j].is_ascii_alphanumeric() || self.s[j] == b'_') {
                j += 1;
            }
        }
        j
    }
    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err("exceeded max depth limit".into()));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        self.enter()?;
        let mut v = vec![self.and()?];
        loop {
            let save = self.i;
            self.blanks();
            if self.keyword("or", true) {
                self.blanks();
                v.push(self.and()?);
            } else {
                self.i = save;
                break;
            }
        }
        self.depth -= 1;
        Ok(if v.len() == 1 {
            v.remove(0)
        } else {
            Expr::Or(v)
        })
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut v = vec![self.not()?];
        loop {
            let save = self.i;
            self.blanks();
            if self.keyword("and", true) {
                self.blanks();
                v.push(self.not()?);
            } else {
                self.i = save;
                break;
            }
        }
        Ok(if v.len() == 1 {
            v.remove(0)
        } else {
            Expr::And(v)
        })
    }

    fn not(&mut self) -> Result<Expr, ParseError> {
        let mut neg = false;
        loop {
            if self.keyword("not", false) {
                self.blanks();
                neg = !neg;
            } else if self.s[self.i..].starts_with(b"not(") {
                self.i += 3;
                neg = !neg;
            } else {
                break;
            }
        }
        let e = self.check()?;
        Ok(if neg { Expr::Not(Box::new(e)) } else { e })
    }

    fn check(&mut self) -> Result<Expr, ParseError> {
        if self.peek() == Some(b'(') {
            self.i += 1;
            self.blanks();
            self.enter()?;
            let e = self.or()?;
            self.depth -= 1;
            self.blanks();
            if self.peek() != Some(b')') {
                return Err(self.err("expected a ')' token".into()));
            }
            self.i += 1;
            self.last = ")".into();
            return Ok(e);
        }
        let pos = self.i;
        let lhs = match self.operand()? {
            Some(o) => o,
            None => {
                let end = self.ident_at(self.i);
                if end == self.i {
                    return Err(
                        self.err("missing condition, expecting a field, a macro or '('".into())
                    );
                }
                let name = self.text[self.i..end].to_string();
                self.i = end;
                self.last = name.clone();
                return Ok(Expr::Macro { name, pos });
            }
        };
        self.condition(lhs, pos)
    }

    /// A field or a transformer; `None` (position unchanged) for anything else.
    fn operand(&mut self) -> Result<Option<Operand>, ParseError> {
        let start = self.i;
        let mut j = self.ident_at(start);
        if j == start {
            return Ok(None);
        }
        let word = &self.text[start..j];
        if self.s.get(j) == Some(&b'(') && TRANSFORMERS.contains(&word) {
            let name = word.to_string();
            self.i = j + 1;
            let args = self.operand_args()?;
            return Ok(Some(Operand::Transform {
                name,
                args,
                pos: start,
            }));
        }
        let mut segments = 1;
        while self.s.get(j) == Some(&b'.') {
            let k = self.ident_at(j + 1);
            if k == j + 1 {
                break;
            }
            j = k;
            segments += 1;
        }
        if segments < 2 {
            return Ok(None);
        }
        let name = self.text[start..j].to_string();
        self.i = j;
        let mut arg = None;
        if self.peek() == Some(b'[') {
            self.i += 1;
            let a = if matches!(self.peek(), Some(b'"' | b'\'')) {
                self.quoted()?
            } else {
                let st = self.i;
                while self.i < self.s.len()
                    && !matches!(self.s[self.i], b'[' | b']' | b'"' | b'\'')
                    && !is_blank(self.s[self.i])
                {
                    self.i += 1;
                }
                self.text[st..self.i].to_string()
            };
            if self.peek() != Some(b']') {
                return Err(self.err("expected a ']' token".into()));
            }
            self.i += 1;
            arg = Some(a);
        }
        self.last = self.text[start..self.i].to_string();
        Ok(Some(Operand::Field {
            name,
            arg,
            pos: start,
        }))
    }

    fn operand_args(&mut self) -> Result<Vec<Operand>, ParseError> {
        let mut args = Vec::new();
        loop {
            self.blanks();
            if self.peek() == Some(b')') && args.is_empty() {
                self.i += 1;
                return Ok(args);
            }
            if matches!(self.peek(), Some(b'"' | b'\'')) {
                args.push(Operand::Literal(self.quoted()?));
            } else {
                match self.operand()? {
                    Some(o) => args.push(o),
                    None => return Err(self.err("expected a field or a transformer".into())),
                }
            }
            self.blanks();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b')') => {
                    self.i += 1;
                    return Ok(args);
                }
                _ => return Err(self.err("expected ',' or ')'".into())),
            }
        }
    }

    fn op(&mut self) -> Option<Op> {
        for sym in ["==", "!=", "<=", ">=", "=", "<", ">"] {
            if self.s[self.i..].starts_with(sym.as_bytes()) {
                self.i += sym.len();
                return Op::from_word(sym);
            }
        }
        let end = self.ident_at(self.i);
        let op = Op::from_word(&self.text[self.i..end])?;
        let next = self.s.get(end).copied();
        let ok = match op {
            Op::Exists => next.is_none_or(|c| is_blank(c) || c == b')'),
            o if o.is_list() => next.is_some_and(|c| is_blank(c) || c == b'('),
            _ => next.is_some_and(is_blank),
        };
        if !ok {
            return None;
        }
        self.i = end;
        Some(op)
    }

    fn condition(&mut self, lhs: Operand, pos: usize) -> Result<Expr, ParseError> {
        self.blanks();
        let Some(op) = self.op() else {
            return Err(self.err("expected an operator".into()));
        };
        let mut modifier = None;
        let rhs = if op == Op::Exists {
            self.last = "exists".into();
            Rhs::None
        } else {
            self.blanks();
            if op.is_word() || matches!(op, Op::Eq | Op::Ne) {
                modifier = self.modifier();
            }
            if let Some(o) = self.rhs_operand()? {
                Rhs::Operand(o)
            } else if op.is_list() || modifier.is_some() {
                if self.peek() == Some(b'(') {
                    Rhs::List(self.list()?)
                } else {
                    Rhs::Value(self.value()?)
                }
            } else {
                Rhs::Value(self.value()?)
            }
        };
        Ok(Expr::Check(Box::new(Check {
            lhs,
            op,
            modifier,
            rhs,
            pos,
        })))
    }

    fn modifier(&mut self) -> Option<Modifier> {
        let end = self.ident_at(self.i);
        let m = match &self.text[self.i..end] {
            "oneof" => Modifier::OneOf,
            "anyof" => Modifier::AnyOf,
            "allof" => Modifier::AllOf,
            _ => return None,
        };
        let save = self.i;
        self.i = end;
        self.blanks();
        if self.peek() == Some(b'(') {
            return Some(m);
        }
        self.i = save;
        None
    }

    /// `val(field)` or a transformer on the right-hand side.
    fn rhs_operand(&mut self) -> Result<Option<Operand>, ParseError> {
        let end = self.ident_at(self.i);
        let word = &self.text[self.i..end];
        if self.s.get(end) != Some(&b'(') {
            return Ok(None);
        }
        if word == "val" {
            self.i = end + 1;
            self.blanks();
            let Some(o) = self.operand()? else {
                return Err(self.err("expected a field in val()".into()));
            };
            self.blanks();
            if self.peek() != Some(b')') {
                return Err(self.err("expected a ')' token".into()));
            }
            self.i += 1;
            return Ok(Some(o));
        }
        if TRANSFORMERS.contains(&word) {
            return self.operand();
        }
        Ok(None)
    }

    fn list(&mut self) -> Result<Vec<String>, ParseError> {
        self.i += 1;
        let mut v = Vec::new();
        self.blanks();
        if self.peek() == Some(b')') {
            self.i += 1;
            self.last = ")".into();
            return Ok(v);
        }
        loop {
            self.blanks();
            v.push(self.value()?);
            self.blanks();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b')') => {
                    self.i += 1;
                    self.last = ")".into();
                    return Ok(v);
                }
                _ => return Err(self.err("expected a ',' or ')' token".into())),
            }
        }
    }

    fn value(&mut self) -> Result<String, ParseError> {
        if matches!(self.peek(), Some(b'"' | b'\'')) {
            let v = self.quoted()?;
            self.last = v.clone();
            return Ok(v);
        }
        let st = self.i;
        while self.i < self.s.len() && is_bare(self.s[self.i]) {
            self.i += 1;
        }
        if self.i == st {
            return Err(self.err("expected a value".into()));
        }
        let v = self.text[st..self.i].to_string();
        self.last = v.clone();
        Ok(v)
    }

    /// A quoted string with Falco's escapes (rules.md §2.2).
    fn quoted(&mut self) -> Result<String, ParseError> {
        let q = self.s[self.i];
        let start = self.i;
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        while self.i < self.s.len() {
            let c = self.s[self.i];
            if c == q {
                self.i += 1;
                return String::from_utf8(out).map_err(|_| ParseError {
                    pos: start,
                    message: "invalid UTF-8 in quoted string".into(),
                });
            }
            if c != b'\\' {
                out.push(c);
                self.i += 1;
                continue;
            }
            let Some(&e) = self.s.get(self.i + 1) else {
                break;
            };
            self.i += 2;
            match e {
                b'b' => out.push(8),
                b'f' => out.push(12),
                b'n' => out.push(b'\n'),
                b'r' => out.push(b'\r'),
                b't' => out.push(b'\t'),
                b'\\' => out.push(b'\\'),
                b'/' => out.push(b'/'),
                b' ' => out.push(b'\\'),
                b'"' if q == b'"' => out.push(b'"'),
                b'\'' if q == b'\'' => out.push(b'\''),
                b'x' => {
                    let h = self
                        .s
                        .get(self.i..self.i + 2)
                        .and_then(|h| std::str::from_utf8(h).ok())
                        .and_then(|h| u8::from_str_radix(h, 16).ok());
                    let Some(h) = h else {
                        return Err(self.err("invalid \\x escape".into()));
                    };
                    out.push(h);
                    self.i += 2;
                }
                _ => {
                    return Err(ParseError {
                        pos: self.i - 2,
                        message: format!("invalid escape sequence '\\{}'", e as char),
                    })
                }
            }
        }
        Err(ParseError {
            pos: start,
            message: "unterminated quoted string".into(),
        })
    }
}

#[cfg(test)]
#[path = "parser_tests.rs"]
mod tests;
