//! Compiling everything collected so far (rules.md §1.7, §2.5): lists
//! expanded, lists substituted into conditions, conditions parsed, macros
//! resolved with Falco's visibility, rules compiled and indexed.

use crate::ast::Expr;
use crate::collect::{Collector, MacroInfo, RuleInfo};
use crate::compile::{CompileError, Compiler, FieldTable, Resolver};
use crate::error::{ErrorCode, Item, LoadError, Loc, Warning, WarningCode};
use crate::evttypes::{self, TypeSet};
use crate::fields::{resolve_k8s_audit, resolve_syscall};
use crate::lists::{apply_exceptions, substitute};
use crate::output::OutputFormat;
use crate::parser::{self, ParseError};
use crate::ruleset::{CompiledRule, RuleSet};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// More event types than this warns (LOAD_NO_EVTTYPE).
const MAX_EVTTYPES: usize = 100;

fn item(kind: &str, name: &str) -> Item {
    Item {
        kind: kind.into(),
        name: name.into(),
    }
}

fn snippet(text: &str, pos: usize) -> String {
    let col = text[..pos.min(text.len())].chars().count();
    format!("{}\n        {}^", text.replace('\n', " "), " ".repeat(col))
}

/// Where compile error `e` of a rule lies. Operands keep byte offsets into
/// the text they were parsed from: the rule's own condition, or a macro
/// expanded into it. An unknown field's name tells which: the rule's text
/// when it holds that name at that offset, else the macro (among those the
/// rule uses) that does, named in the snippet. Otherwise the condition's start.
fn locate(
    ri: &RuleInfo,
    text: &str,
    ast: Option<&Expr>,
    m: &Macros<'_>,
    e: &CompileError,
) -> (Loc, String) {
    let field = if e.unknown {
        e.message.rsplit(' ').next()
    } else {
        None
    };
    let at = |t: &str| field.is_some_and(|f| t.get(e.pos..).is_some_and(|r| r.starts_with(f)));
    if at(text) {
        let loc = exact(&ri.cond_loc, &ri.cond_inline, &ri.condition, text, e.pos);
        return (loc, snippet(text, e.pos));
    }
    // The macros this rule uses, directly or through other macros.
    let mut used: Vec<usize> = Vec::new();
    let mut todo: Vec<String> = Vec::new();
    if let Some(a) = ast {
        a.visit_macros(&mut |n, _| todo.push(n.to_string()));
    }
    while let Some(n) = todo.pop() {
        for (i, mi) in m.infos.iter().enumerate() {
            if mi.name == n && !used.contains(&i) {
                used.push(i);
                if let Ok(a) = &m.parsed[i] {
                    a.visit_macros(&mut |n, _| todo.push(n.to_string()));
                }
            }
        }
    }
    if let Some(&i) = used.iter().find(|&&i| at(&m.texts[i])) {
        let (mi, t) = (&m.infos[i], &m.texts[i]);
        let loc = exact(&mi.cond_loc, &mi.cond_inline, &mi.condition, t, e.pos);
        let head = format!("macro '{}' ({loc}): ", mi.name);
        let col = head.chars().count() + t[..e.pos.min(t.len())].chars().count();
        let snip = format!(
            "{head}{}\n        {}^",
            t.replace('\n', " "),
            " ".repeat(col)
        );
        return (loc, snip);
    }
    (ri.cond_loc.clone(), text.to_string())
}

fn lerr(code: ErrorCode, it: Item, loc: &Loc, msg: String, snip: Option<String>) -> LoadError {
    LoadError {
        code,
        item: it,
        message: msg,
        loc: Some(loc.clone()),
        snippet: snip,
    }
}

/// The place of byte `pos` of the parsed `text`: its exact column when the
/// condition is written on one line and lists changed nothing, else the
/// condition's start.
fn exact(start: &Loc, inline: &Option<Loc>, written: &str, text: &str, pos: usize) -> Loc {
    match inline {
        Some(l) if written == text && pos <= text.len() && text.is_char_boundary(pos) => Loc {
            col: l.col + text[..pos].chars().count(),
            ..l.clone()
        },
        _ => start.clone(),
    }
}

pub fn resolver(source: &str) -> Option<Resolver> {
    match source {
        "syscall" => Some(resolve_syscall),
        "k8s_audit" => Some(|n, _| resolve_k8s_audit(n)),
        _ => None,
    }
}

struct Lists {
    /// (name, expanded items) in definition order.
    expanded: Vec<(String, Vec<String>)>,
    used: HashSet<String>,
}

impl Lists {
    fn new(c: &Collector) -> Self {
        let mut done: HashMap<&str, Vec<String>> = HashMap::new();
        let mut used = HashSet::new();
        let mut expanded = Vec::new();
        for l in &c.lists {
            let mut items = Vec::new();
            for it in &l.items {
                match c
                    .lists
                    .iter()
                    .find(|m| m.name == *it && m.index < l.visibility)
                {
                    Some(m) => {
                        used.insert(m.name.clone());
                        items.extend(
                            done.get(m.name.as_str())
                                .unwrap_or(&m.items)
                                .iter()
                                .cloned(),
                        );
                    }
                    None => items.push(it.clone()),
                }
            }
            done.insert(&l.name, items.clone());
            expanded.push((l.name.clone(), items));
        }
        Lists { expanded, used }
    }
    fn apply(&mut self, text: &str) -> String {
        let mut t = text.to_string();
        for (name, items) in &self.expanded {
            if substitute(&mut t, name, items) {
                self.used.insert(name.clone());
            }
        }
        t
    }
}

struct Macros<'c> {
    infos: &'c [MacroInfo],
    parsed: Vec<Result<Expr, ParseError>>,
    texts: Vec<String>,
    resolved: HashMap<usize, Expr>,
}

impl Macros<'_> {
    /// `e` with macro references replaced; `vis` = the referrer's
    /// visibility (`usize::MAX` for rules).
    fn resolve(
        &mut self,
        e: &Expr,
        vis: usize,
        stack: &mut Vec<usize>,
    ) -> Result<Expr, (String, bool)> {
        Ok(match e {
            Expr::And(v) => Expr::And(
                v.iter()
                    .map(|x| self.resolve(x, vis, stack))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Or(v) => Expr::Or(
                v.iter()
                    .map(|x| self.resolve(x, vis, stack))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Not(x) => Expr::Not(Box::new(self.resolve(x, vis, stack)?)),
            Expr::Check(_) => e.clone(),
            Expr::Macro { name, .. } => {
                let Some(i) = self
                    .infos
                    .iter()
                    .position(|m| m.name == *name && m.index < vis)
                else {
                    return Err((format!("Undefined macro '{name}' used in filter."), false));
                };
                if let Some(r) = self.resolved.get(&i) {
                    return Ok(r.clone());
                }
                if stack.contains(&i) {
                    return Err((format!("reference loop in macro '{name}'"), true));
                }
                let Ok(ast) = self.parsed[i].clone() else {
                    return Err((format!("Undefined macro '{name}' used in filter."), false));
                };
                stack.push(i);
                let r = self.resolve(&ast, self.infos[i].visibility, stack);
                stack.pop();
                let r = r?;
                self.resolved.insert(i, r.clone());
                r
            }
        })
    }
}

/// Compiles `c` into a rule set; warnings are appended to `warnings`.
pub fn build(c: &Collector, warnings: &mut Vec<Warning>) -> Result<RuleSet, LoadError> {
    let mut lists = Lists::new(c);
    let mut m = Macros {
        infos: &c.macros,
        parsed: Vec::new(),
        texts: Vec::new(),
        resolved: HashMap::new(),
    };
    for mi in &c.macros {
        let t = lists.apply(&mi.condition);
        m.parsed.push(parser::parse(&t));
        m.texts.push(t);
    }
    let rule_texts: Vec<String> = c
        .rules
        .iter()
        .map(|r| lists.apply(&apply_exceptions(&r.condition, &r.exceptions)))
        .collect();
    let rule_asts: Vec<Result<Expr, ParseError>> =
        rule_texts.iter().map(|t| parser::parse(t)).collect();
    // Usage, for the unused-item warnings (reported even when a later error stops the load).
    let mut used: HashSet<String> = HashSet::new();
    for ast in m.parsed.iter().chain(&rule_asts).flatten() {
        ast.visit_macros(&mut |n, _| {
            used.insert(n.to_string());
        });
    }
    for mi in &c.macros {
        if !used.contains(&mi.name) {
            warnings.push(Warning {
                code: WarningCode::UnusedMacro,
                item: item("macro", &mi.name),
                message: "Macro not referred to by any other rule/macro".into(),
                loc: Some(mi.loc.clone()),
            });
        }
    }
    for l in &c.lists {
        if !lists.used.contains(&l.name) {
            warnings.push(Warning {
                code: WarningCode::UnusedList,
                item: item("list", &l.name),
                message: "List not referred to by any other rule/macro".into(),
                loc: Some(l.loc.clone()),
            });
        }
    }
    for (i, mi) in c.macros.iter().enumerate() {
        let it = item("macro", &mi.name);
        let ast = match &m.parsed[i] {
            Ok(a) => a.clone(),
            Err(e) => {
                return Err(lerr(
                    ErrorCode::CompileCondition,
                    it,
                    &exact(
                        &mi.cond_loc,
                        &mi.cond_inline,
                        &mi.condition,
                        &m.texts[i],
                        e.pos,
                    ),
                    e.message.clone(),
                    Some(snippet(&m.texts[i], e.pos)),
                ))
            }
        };
        let mut stack = vec![i];
        if let Err((msg, _)) = m.resolve(&ast, mi.visibility, &mut stack) {
            return Err(lerr(
                ErrorCode::Validate,
                it,
                &mi.cond_loc,
                msg,
                Some(m.texts[i].clone()),
            ));
        }
    }
    let mut exprs = Vec::new();
    for (i, ri) in c.rules.iter().enumerate() {
        let it = item("rule", &ri.name);
        let text = &rule_texts[i];
        let ast = match &rule_asts[i] {
            Ok(a) => a,
            Err(e) => {
                return Err(lerr(
                    ErrorCode::CompileCondition,
                    it,
                    &exact(&ri.cond_loc, &ri.cond_inline, &ri.condition, text, e.pos),
                    e.message.clone(),
                    Some(snippet(text, e.pos)),
                ))
            }
        };
        let expr = m
            .resolve(ast, usize::MAX, &mut Vec::new())
            .map_err(|(msg, _)| {
                lerr(
                    ErrorCode::Validate,
                    it.clone(),
                    &ri.cond_loc,
                    msg,
                    Some(text.clone()),
                )
            })?;
        exprs.push(expr);
    }
    let shared = crate::compile::shared_subconditions(exprs.iter());
    let mut fields = FieldTable::default();
    let mut rules = Vec::new();
    for (i, ((ri, expr), text)) in c.rules.iter().zip(exprs).zip(&rule_texts).enumerate() {
        let it = item("rule", &ri.name);
        let Some(resolve) = resolver(&ri.source) else {
            warnings.push(Warning {
                code: WarningCode::UnknownSource,
                item: it,
                message: format!("Unknown source {}, skipping", ri.source),
                loc: Some(ri.loc.clone()),
            });
            continue;
        };
        let place = |e: &CompileError| locate(ri, text, rule_asts[i].as_ref().ok(), &m, e);
        if let Some(r) = compile_rule(ri, &expr, &place, resolve, &mut fields, &shared, warnings)? {
            rules.push((r, ri, resolve));
        }
    }
    // Outputs after every condition: condition fields get the low slots,
    // the only ones the per-event cache holds.
    fields.n_cond = fields.defs.len();
    let mut compiled = Vec::with_capacity(rules.len());
    for (mut r, ri, resolve) in rules {
        let it = item("rule", &ri.name);
        // `%container.info` is deprecated: Falco drops it from the text.
        let output = if ri.output.contains("%container.info") {
            warnings.push(Warning {
                code: WarningCode::DeprecatedItem,
                item: it.clone(),
                message: "%container.info is deprecated and removed from the output".into(),
                loc: Some(ri.output_loc.clone()),
            });
            ri.output.replace("%container.info", "").trim().to_string()
        } else {
            ri.output.clone()
        };
        match OutputFormat::parse(&output, &mut fields, resolve) {
            Ok(o) => r.output = o,
            Err(tok) if ri.skip_if_unknown_filter => {
                warnings.push(Warning {
                    code: WarningCode::UnknownFilter,
                    item: it,
                    message: format!("invalid formatting token {tok}"),
                    loc: Some(ri.output_loc.clone()),
                });
                continue;
            }
            Err(tok) => {
                return Err(lerr(
                    ErrorCode::CompileOutput,
                    it,
                    &ri.output_loc,
                    format!("invalid formatting token {tok}"),
                    Some(ri.output.clone()),
                ))
            }
        }
        compiled.push(r);
    }
    let rules = compiled;
    Ok(RuleSet::new(rules, fields, shared.len()))
}

fn compile_rule(
    ri: &RuleInfo,
    expr: &Expr,
    place: &dyn Fn(&CompileError) -> (Loc, String),
    resolve: Resolver,
    fields: &mut FieldTable,
    shared: &HashMap<String, usize>,
    warnings: &mut Vec<Warning>,
) -> Result<Option<CompiledRule>, LoadError> {
    let it = item("rule", &ri.name);
    let pred = match (Compiler {
        fields,
        resolve,
        shared,
    })
    .compile(expr)
    {
        Ok(p) => crate::fuse::fuse(p),
        Err(CompileError {
            message,
            unknown: true,
            ..
        }) if ri.skip_if_unknown_filter => {
            warnings.push(Warning {
                code: WarningCode::UnknownFilter,
                item: it,
                message,
                loc: Some(ri.cond_loc.clone()),
            });
            return Ok(None);
        }
        Err(e) => {
            let code = if e.message.starts_with("Undefined macro") {
                ErrorCode::Validate
            } else {
                ErrorCode::CompileCondition
            };
            let (loc, snip) = place(&e);
            return Err(lerr(code, it, &loc, e.message, Some(snip)));
        }
    };
    let mut deprecated = false;
    expr_fields(expr, &mut |f| {
        deprecated |= matches!(f, "evt.dir" | "evt.latency" | "evt.wait_latency")
    });
    if deprecated {
        warnings.push(Warning {
            code: WarningCode::DeprecatedItem,
            item: it.clone(),
            message: "Rule uses a deprecated field (evt.dir, evt.latency, evt.wait_latency)".into(),
            loc: Some(ri.cond_loc.clone()),
        });
    }
    let types = if ri.source == "syscall" {
        evttypes::of(expr, false)
    } else {
        TypeSet::all()
    };
    if ri.source == "syscall" && ri.warn_evttypes && types.len() > MAX_EVTTYPES {
        warnings.push(Warning {
            code: WarningCode::NoEvttype,
            item: it.clone(),
            message:
                "Rule matches too many evt.type values. This has a significant performance penalty."
                    .into(),
            loc: Some(ri.cond_loc.clone()),
        });
    }
    Ok(Some(CompiledRule {
        name: Arc::from(ri.name.as_str()),
        desc: ri.desc.clone(),
        priority: ri.priority,
        source: Arc::from(ri.source.as_str()),
        tags: ri.tags.iter().cloned().collect(),
        pred,
        output: OutputFormat::default(),
        types,
        enabled: ri.enabled,
        expr: expr.clone(),
        index: ri.index,
    }))
}

fn expr_fields(e: &Expr, f: &mut impl FnMut(&str)) {
    match e {
        Expr::And(v) | Expr::Or(v) => v.iter().for_each(|x| expr_fields(x, f)),
        Expr::Not(x) => expr_fields(x, f),
        Expr::Macro { .. } => {}
        Expr::Check(c) => {
            if let crate::ast::Operand::Field { name, .. } = &c.lhs {
                f(name)
            }
        }
    }
}
