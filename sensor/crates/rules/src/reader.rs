//! Reading one rules file into the collector (rules.md §1.1-1.6).

use crate::collect::*;
use crate::error::{ErrorCode, Item, LoadError, Loc, Warning, WarningCode};
use crate::yaml::{self, Kind, Node};
use std::collections::BTreeSet;
use std::sync::Arc;

/// The engine version we implement (Falco 0.44.x reports 0.62.0).
pub const ENGINE_VERSION: (u64, u64, u64) = (0, 62, 0);

pub struct Reader<'c> {
    pub c: &'c mut Collector,
    pub warnings: &'c mut Vec<Warning>,
    pub file: Arc<str>,
    /// The file's text, to map condition offsets to columns.
    pub src: &'c str,
}

type R<T> = Result<T, LoadError>;

fn item(kind: &str, name: &str) -> Item {
    Item {
        kind: kind.into(),
        name: name.into(),
    }
}

impl Reader<'_> {
    fn loc(&self, n: &Node) -> Loc {
        Loc {
            file: self.file.clone(),
            line: n.pos.line,
            col: n.pos.col,
        }
    }
    /// Where the text of `value` (the scalar at `n`) starts, when it sits on
    /// one line of the file exactly as written (plain, or quoted without
    /// escapes before its end): offsets in the condition are then columns.
    pub fn inline_loc(&self, n: &Node, value: &str) -> Option<Loc> {
        let line = self.src.lines().nth(n.pos.line.checked_sub(1)?)?;
        let tail: String = line.chars().skip(n.pos.col.checked_sub(1)?).collect();
        let skip = usize::from(matches!(tail.chars().next(), Some('"' | '\'')));
        let rest: String = tail.chars().skip(skip).collect();
        (!value.is_empty() && !value.contains('\n') && rest.starts_with(value)).then(|| Loc {
            file: self.file.clone(),
            line: n.pos.line,
            col: n.pos.col + skip,
        })
    }

    fn err(&self, code: ErrorCode, it: Item, n: &Node, msg: impl Into<String>) -> LoadError {
        LoadError {
            code,
            item: it,
            message: msg.into(),
            loc: Some(self.loc(n)),
            snippet: None,
        }
    }
    fn warn(&mut self, code: WarningCode, it: Item, n: &Node, msg: impl Into<String>) {
        let loc = Some(self.loc(n));
        self.warnings.push(Warning {
            code,
            item: it,
            message: msg.into(),
            loc,
        });
    }

    /// Reads the whole text of one file.
    pub fn read(&mut self, text: &str) -> R<()> {
        let docs = yaml::parse(text).map_err(|e| LoadError {
            code: ErrorCode::YamlParse,
            item: item("rules content", ""),
            message: e.message,
            loc: Some(Loc {
                file: self.file.clone(),
                line: e.pos.line,
                col: e.pos.col,
            }),
            snippet: None,
        })?;
        for d in &docs {
            match &d.kind {
                Kind::Null => {}
                Kind::Seq(items) => {
                    for it in items {
                        match &it.kind {
                            Kind::Null => {}
                            Kind::Map(_) => self.read_item(it)?,
                            _ => {
                                return Err(self.err(
                                    ErrorCode::YamlValidate,
                                    item("rules content item", ""),
                                    it,
                                    "Unexpected element type. Each element should be a yaml associative array.",
                                ))
                            }
                        }
                    }
                }
                Kind::Scalar(..) => {
                    return Err(self.err(
                        ErrorCode::YamlValidate,
                        item("rules content", ""),
                        d,
                        "Rules content is not yaml",
                    ))
                }
                Kind::Map(_) => {
                    return Err(self.err(
                        ErrorCode::YamlValidate,
                        item("rules content", ""),
                        d,
                        "Rules content is not yaml array of objects",
                    ))
                }
            }
        }
        Ok(())
    }

    fn check_keys(&mut self, n: &Node, it: &Item, allowed: &[&str]) {
        for (k, pos) in n.keys() {
            if !allowed.contains(&k) {
                let key_node = Node {
                    kind: Kind::Null,
                    pos,
                };
                self.warn(
                    WarningCode::UnknownKey,
                    it.clone(),
                    &key_node,
                    format!("Unknown key '{k}'. The key will be ignored."),
                );
            }
        }
    }

    /// A scalar under `key`: `Ok(None)` when absent.
    fn opt_str<'n>(&self, n: &'n Node, key: &str, it: &Item) -> R<Option<(&'n str, &'n Node)>> {
        match n.get(key) {
            None => Ok(None),
            Some(v) => match &v.kind {
                Kind::Scalar(s, _) => Ok(Some((s.as_str(), v))),
                Kind::Null => Ok(Some(("", v))),
                _ => Err(self.err(
                    ErrorCode::YamlValidate,
                    it.clone(),
                    v,
                    "Can't decode YAML scalar value",
                )),
            },
        }
    }
    fn req_str<'n>(&self, n: &'n Node, key: &str, it: &Item) -> R<(&'n str, &'n Node)> {
        match self.opt_str(n, key, it)? {
            None => Err(self.err(
                ErrorCode::YamlValidate,
                it.clone(),
                n,
                format!("Item has no mapping for key '{key}'"),
            )),
            Some(("", v)) => Err(self.err(
                ErrorCode::YamlValidate,
                it.clone(),
                v,
                format!("Mapping for key '{key}' is empty"),
            )),
            Some(x) => Ok(x),
        }
    }
    fn opt_bool(&self, n: &Node, key: &str, it: &Item) -> R<Option<bool>> {
        match n.get(key) {
            None => Ok(None),
            Some(v) => v.as_bool().map(Some).ok_or_else(|| {
                self.err(
                    ErrorCode::YamlValidate,
                    it.clone(),
                    v,
                    "Can't decode YAML scalar value",
                )
            }),
        }
    }
    fn str_seq(&self, v: &Node, it: &Item) -> R<Vec<String>> {
        match &v.kind {
            Kind::Seq(items) => items
                .iter()
                .map(|x| match &x.kind {
                    Kind::Scalar(s, _) => Ok(s.clone()),
                    Kind::Null => Ok(String::new()),
                    _ => Err(self.err(
                        ErrorCode::YamlValidate,
                        it.clone(),
                        x,
                        "Can't decode YAML sequence value",
                    )),
                })
                .collect(),
            Kind::Null => Ok(Vec::new()),
            _ => Err(self.err(
                ErrorCode::YamlValidate,
                it.clone(),
                v,
                "Can't decode YAML sequence value",
            )),
        }
    }

    fn read_item(&mut self, n: &Node) -> R<()> {
        if let Some(v) = n.get("required_engine_version") {
            return self.engine_version(v);
        }
        if let Some(v) = n.get("required_plugin_versions") {
            return self.plugin_versions(v);
        }
        if n.get("list").is_some() {
            return self.list(n);
        }
        if n.get("macro").is_some() {
            return self.macro_item(n);
        }
        if n.get("rule").is_some() {
            return crate::reader_rule::read_rule(self, n);
        }
        self.warn(
            WarningCode::UnknownItem,
            item("rules content item", ""),
            n,
            "Unknown top level item",
        );
        Ok(())
    }

    fn engine_version(&mut self, v: &Node) -> R<()> {
        let it = item("required_engine_version", "");
        let bad = || {
            self.err(
                ErrorCode::YamlValidate,
                it.clone(),
                v,
                "Can't decode YAML scalar value",
            )
        };
        let Kind::Scalar(s, _) = &v.kind else {
            return Err(bad());
        };
        let ver = if let Ok(n) = s.parse::<u64>() {
            (0, n, 0)
        } else {
            let p: Vec<u64> = s
                .split('.')
                .map(|x| x.parse::<u64>())
                .collect::<Result<_, _>>()
                .map_err(|_| bad())?;
            match p[..] {
                [a, b, c] => (a, b, c),
                _ => return Err(bad()),
            }
        };
        let e = ENGINE_VERSION;
        if ver.0 != e.0 || ver > e {
            return Err(self.err(
                ErrorCode::Validate,
                it,
                v,
                format!(
                    "Rules require engine version {s}, but engine version is {}.{}.{}",
                    e.0, e.1, e.2
                ),
            ));
        }
        self.c.required_engine = self.c.required_engine.max(Some(ver));
        Ok(())
    }

    fn plugin_versions(&mut self, v: &Node) -> R<()> {
        let it = item("required_plugin_versions", "");
        let Kind::Seq(entries) = &v.kind else {
            return Err(self.err(
                ErrorCode::YamlValidate,
                it,
                v,
                "Value of required_plugin_versions must be a sequence",
            ));
        };
        for e in entries {
            let (name, _) = self.req_str(e, "name", &it)?;
            let (version, _) = self.req_str(e, "version", &it)?;
            let mut alternatives = Vec::new();
            if let Some(Kind::Seq(alts)) = e.get("alternatives").map(|a| &a.kind) {
                for a in alts {
                    let (n, _) = self.req_str(a, "name", &it)?;
                    let (ver, _) = self.req_str(a, "version", &it)?;
                    alternatives.push((n.to_string(), ver.to_string()));
                }
            }
            let loc = self.loc(e);
            self.c.plugin_reqs.push(PluginReq {
                name: name.into(),
                version: version.into(),
                alternatives,
                loc,
            });
        }
        Ok(())
    }

    /// `append: true` or `override: {key: append|replace}` for `key`.
    pub fn append_mode(&self, n: &Node, key: &str, it: &Item) -> R<Option<bool>> {
        if let Some(ov) = n.get("override") {
            if let Some(m) = ov.get(key) {
                return match m.as_str() {
                    Some("append") => Ok(Some(true)),
                    Some("replace") => Ok(Some(false)),
                    _ => Err(self.err(ErrorCode::YamlValidate, it.clone(), m, format!("Invalid override operation for key '{key}': must be one of: append, replace"))),
                };
            }
        }
        Ok(self.opt_bool(n, "append", it)?.filter(|a| *a))
    }

    fn list(&mut self, n: &Node) -> R<()> {
        let name = n.get("list").and_then(Node::as_str).unwrap_or("");
        let it = item("list", name);
        let (name, _) = self.req_str(n, "list", &it)?;
        self.check_keys(n, &it, &["list", "items", "append", "override"]);
        let Some(items_node) = n.get("items") else {
            return Err(self.err(
                ErrorCode::YamlValidate,
                it,
                n,
                "Item has no mapping for key 'items'",
            ));
        };
        let items = self.str_seq(items_node, &it)?;
        if name
            .chars()
            .any(|c| c.is_whitespace() || "()\"'=,".contains(c))
        {
            self.warn(WarningCode::InvalidListName, it.clone(), n, "List has an invalid name. List names should match a regular expression: ^[^()\"'\\s=,]+$");
        }
        let append = self.append_mode(n, "items", &it)?;
        let idx = self.c.next;
        self.c.next += 1;
        let loc = self.loc(n);
        match (append, self.c.list_mut(name)) {
            (Some(true), Some(l)) => {
                l.items.extend(items);
                l.visibility = idx;
            }
            (Some(true), None) => {
                return Err(self.err(
                    ErrorCode::Validate,
                    it,
                    n,
                    "List has 'append' key but no list by that name already exists",
                ))
            }
            (_, Some(l)) => {
                l.items = items;
                l.visibility = idx;
                l.loc = loc;
            }
            (_, None) => self.c.lists.push(ListInfo {
                name: name.into(),
                items,
                index: idx,
                visibility: idx,
                loc,
            }),
        }
        Ok(())
    }

    fn macro_item(&mut self, n: &Node) -> R<()> {
        let name = n.get("macro").and_then(Node::as_str).unwrap_or("");
        let it = item("macro", name);
        let (name, _) = self.req_str(n, "macro", &it)?;
        self.check_keys(n, &it, &["macro", "condition", "append", "override"]);
        let (cond, cnode) = self.req_str(n, "condition", &it)?;
        let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            self.warn(WarningCode::InvalidMacroName, it.clone(), n, "Macro has an invalid name. Macro names should match a regular expression: ^[a-zA-Z]+[a-zA-Z0-9_]*$");
        }
        let append = self.append_mode(n, "condition", &it)?;
        let idx = self.c.next;
        self.c.next += 1;
        let inline = self.inline_loc(cnode, cond);
        let (loc, cond_loc) = (self.loc(n), self.loc(cnode));
        match (append, self.c.macro_mut(name)) {
            (Some(true), Some(m)) => {
                m.condition = format!("{} {}", m.condition, cond);
                m.visibility = idx;
                m.cond_inline = None;
            }
            (Some(true), None) => {
                return Err(self.err(
                    ErrorCode::Validate,
                    it,
                    n,
                    "Macro has 'append' key but no macro by that name already exists",
                ))
            }
            (_, Some(m)) => {
                m.condition = cond.into();
                m.visibility = idx;
                m.loc = loc;
                m.cond_loc = cond_loc;
                m.cond_inline = inline;
            }
            (_, None) => self.c.macros.push(MacroInfo {
                name: name.into(),
                condition: cond.into(),
                index: idx,
                visibility: idx,
                loc,
                cond_loc,
                cond_inline: inline,
            }),
        }
        Ok(())
    }

    /// `tags` as a set.
    pub fn tags(&self, n: &Node, it: &Item) -> R<Option<BTreeSet<String>>> {
        n.get("tags")
            .map(|t| self.str_seq(t, it).map(|v| v.into_iter().collect()))
            .transpose()
    }

    pub fn warn_at(&mut self, code: WarningCode, it: Item, n: &Node, msg: &str) {
        self.warn(code, it, n, msg)
    }
    pub fn error(&self, code: ErrorCode, it: Item, n: &Node, msg: impl Into<String>) -> LoadError {
        self.err(code, it, n, msg)
    }
    pub fn location(&self, n: &Node) -> Loc {
        self.loc(n)
    }
    pub fn opt_scalar<'n>(
        &self,
        n: &'n Node,
        key: &str,
        it: &Item,
    ) -> R<Option<(&'n str, &'n Node)>> {
        self.opt_str(n, key, it)
    }
    pub fn required<'n>(&self, n: &'n Node, key: &str, it: &Item) -> R<(&'n str, &'n Node)> {
        self.req_str(n, key, it)
    }
    pub fn boolean(&self, n: &Node, key: &str, it: &Item) -> R<Option<bool>> {
        self.opt_bool(n, key, it)
    }
    pub fn strings(&self, v: &Node, it: &Item) -> R<Vec<String>> {
        self.str_seq(v, it)
    }
}
