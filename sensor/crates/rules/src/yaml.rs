//! A YAML tree that keeps the position of every node, built from
//! saphyr-parser's event stream (the rules loader needs file:line:column
//! on every error, which value-only YAML libraries drop).

use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use std::collections::HashMap;

/// 1-based line and column of a node's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Text and whether it was plain (unquoted): only plain scalars can be
    /// null, booleans or numbers.
    Scalar(String, bool),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
    Null,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: Kind,
    pub pos: Pos,
}

/// A YAML syntax error with its position.
#[derive(Debug, Clone)]
pub struct YamlError {
    pub pos: Pos,
    pub message: String,
}

fn pos_of(span: &Span) -> Pos {
    Pos {
        line: span.start.line(),
        col: span.start.col() + 1,
    }
}

impl Node {
    /// Value of `key` in a map node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            Kind::Map(m) => m
                .iter()
                .find(|(k, _)| matches!(&k.kind, Kind::Scalar(s, _) if s == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }
    /// The text of a scalar (null for `~`, `null` or empty plain scalars).
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar(s, _) => Some(s),
            _ => None,
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Null)
    }
    /// The strings of a sequence node, or the one string of a scalar (YAML
    /// files often allow either); empty for anything else.
    pub fn strings(&self) -> Vec<String> {
        match &self.kind {
            Kind::Seq(v) => v
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            Kind::Scalar(s, _) => vec![s.clone()],
            _ => Vec::new(),
        }
    }
    /// YAML 1.2 core-schema boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match &self.kind {
            Kind::Scalar(s, true) => match s.as_str() {
                "true" | "True" | "TRUE" => Some(true),
                "false" | "False" | "FALSE" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }
    pub fn keys(&self) -> Vec<(&str, Pos)> {
        match &self.kind {
            Kind::Map(m) => m
                .iter()
                .filter_map(|(k, _)| k.as_str().map(|s| (s, k.pos)))
                .collect(),
            _ => Vec::new(),
        }
    }
}

struct Builder {
    stack: Vec<(Node, Option<Node>, usize)>,
    anchors: HashMap<usize, Node>,
    docs: Vec<Node>,
}

impl Builder {
    fn push_value(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some((parent, pending_key, _)) => match &mut parent.kind {
                Kind::Seq(items) => items.push(node),
                Kind::Map(entries) => match pending_key.take() {
                    None => *pending_key = Some(node),
                    Some(k) => entries.push((k, node)),
                },
                _ => {}
            },
        }
    }
}

/// Parses every document of `text`. Empty documents give `Kind::Null`.
///
/// yaml-cpp (Falco's parser) accepts a flow collection whose closing
/// bracket sits at its parent's indentation (the upstream sandbox rules
/// have `items: [` ... `  ]`); a strict YAML 1.2 parser refuses it. When
/// the strict parse fails on indentation, such closing lines are indented
/// under their opening line and the text is parsed again (columns of
/// those brackets move, nothing else does).
pub fn parse(text: &str) -> Result<Vec<Node>, YamlError> {
    match parse_strict(text) {
        Err(e) if e.message.contains("indentation") => {
            let relaxed = indent_flow_closers(text);
            if relaxed != text {
                return parse_strict(&relaxed).map_err(|_| e);
            }
            Err(e)
        }
        r => r,
    }
}

/// Indents lines that start with a flow closer (`]`, `}`) inside an open
/// flow collection one column deeper than the line that opened it.
fn indent_flow_closers(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut depth = 0usize;
    let mut opener_indent = 0usize;
    let mut quote: Option<char> = None;
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let first = line.trim_start_matches(' ').chars().next();
        if depth > 0
            && quote.is_none()
            && matches!(first, Some(']' | '}'))
            && indent <= opener_indent
        {
            out.push_str(&" ".repeat(opener_indent + 1 - indent));
        }
        let mut prev = ' ';
        for c in line.chars() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '#') if prev == ' ' || prev == '\t' => break,
                (None, '[' | '{') => {
                    if depth == 0 {
                        opener_indent = indent;
                    }
                    depth += 1;
                }
                (None, ']' | '}') => depth = depth.saturating_sub(1),
                _ => {}
            }
            prev = c;
        }
        if depth == 0 {
            quote = None;
        }
        out.push_str(line);
    }
    out
}

fn parse_strict(text: &str) -> Result<Vec<Node>, YamlError> {
    let mut b = Builder {
        stack: Vec::new(),
        anchors: HashMap::new(),
        docs: Vec::new(),
    };
    let mut in_doc = false;
    let mut doc_had_value = false;
    for item in Parser::new_from_str(text) {
        let (ev, span) = item.map_err(|e| YamlError {
            pos: Pos {
                line: e.marker().line(),
                col: e.marker().col() + 1,
            },
            message: e.info().to_string(),
        })?;
        let pos = pos_of(&span);
        match ev {
            Event::DocumentStart(_) => {
                in_doc = true;
                doc_had_value = false;
            }
            Event::DocumentEnd => {
                if in_doc && !doc_had_value {
                    b.docs.push(Node {
                        kind: Kind::Null,
                        pos,
                    });
                }
                in_doc = false;
            }
            Event::Scalar(v, style, anchor, tag) => {
                doc_had_value = true;
                let plain = style == ScalarStyle::Plain && tag.is_none();
                let kind = if plain && matches!(v.as_ref(), "" | "~" | "null" | "Null" | "NULL") {
                    Kind::Null
                } else {
                    Kind::Scalar(v.into_owned(), plain)
                };
                b.push_value(Node { kind, pos }, anchor);
            }
            Event::Alias(id) => {
                doc_had_value = true;
                let node = b.anchors.get(&id).cloned().ok_or_else(|| YamlError {
                    pos,
                    message: "unknown anchor".into(),
                })?;
                b.push_value(node, 0);
            }
            Event::SequenceStart(anchor, _) => {
                doc_had_value = true;
                let n = Node {
                    kind: Kind::Seq(Vec::new()),
                    pos,
                };
                b.stack.push((n, None, anchor));
            }
            Event::MappingStart(anchor, _) => {
                doc_had_value = true;
                let n = Node {
                    kind: Kind::Map(Vec::new()),
                    pos,
                };
                b.stack.push((n, None, anchor));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((n, _, anchor)) = b.stack.pop() {
                    b.push_value(n, anchor);
                }
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
    }
    Ok(b.docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_kinds() {
        let docs = parse("- rule: a\n  enabled: false\n  tags: [x, 'y']\n---\n").unwrap();
        assert_eq!(docs.len(), 2);
        let Kind::Seq(items) = &docs[0].kind else {
            panic!()
        };
        let r = &items[0];
        assert_eq!(r.pos, Pos { line: 1, col: 3 });
        assert_eq!(r.get("rule").unwrap().as_str(), Some("a"));
        assert_eq!(r.get("enabled").unwrap().as_bool(), Some(false));
        assert_eq!(r.get("enabled").unwrap().pos, Pos { line: 2, col: 12 });
        assert!(docs[1].is_null());
    }

    #[test]
    fn syntax_error_has_position() {
        let e = parse("this : is : not : yaml").unwrap_err();
        assert_eq!(e.pos.line, 1);
    }
}
