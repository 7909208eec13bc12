//! Reading `rule` items: full definitions, legacy `append: true`,
//! `override`, the legacy enable/disable form, and exceptions.

use crate::collect::*;
use crate::error::{ErrorCode, Item, LoadError, WarningCode};
use crate::reader::Reader;
use crate::yaml::{Kind, Node};

type R<T> = Result<T, LoadError>;

const KEYS: &[&str] = &[
    "rule",
    "condition",
    "output",
    "desc",
    "priority",
    "source",
    "enabled",
    "capture",
    "capture_duration",
    "warn_evttypes",
    "skip-if-unknown-filter",
    "tags",
    "exceptions",
    "override",
    "append",
];
const APPENDABLE: &[&str] = &["condition", "output", "desc", "tags", "exceptions"];
const REPLACEABLE: &[&str] = &[
    "condition",
    "output",
    "desc",
    "priority",
    "capture",
    "capture_duration",
    "tags",
    "exceptions",
    "enabled",
    "warn_evttypes",
    "skip-if-unknown-filter",
];

fn ex_value(r: &Reader<'_>, v: &Node, it: &Item) -> R<ExValue> {
    match &v.kind {
        Kind::Scalar(s, _) => Ok(ExValue::One(s.clone())),
        Kind::Null => Ok(ExValue::One(String::new())),
        Kind::Seq(_) => Ok(ExValue::Many(r.strings(v, it)?)),
        Kind::Map(_) => Err(r.error(
            ErrorCode::YamlValidate,
            it.clone(),
            v,
            "Expected values array element to be a scalar or sequence",
        )),
    }
}

fn exceptions(r: &mut Reader<'_>, n: &Node, it: &Item) -> R<Option<Vec<Exception>>> {
    let Some(list) = n.get("exceptions") else {
        return Ok(None);
    };
    let Kind::Seq(entries) = &list.kind else {
        return Err(r.error(
            ErrorCode::YamlValidate,
            it.clone(),
            list,
            "Rule exceptions must be a sequence",
        ));
    };
    let mut out: Vec<Exception> = Vec::new();
    for e in entries {
        let (name, _) = r.required(e, "name", it)?;
        if out.iter().any(|x| x.name == name) {
            r.warn_at(
                WarningCode::ExceptionNameNotUnique,
                it.clone(),
                e,
                "Multiple definitions of exception with the same name",
            );
        }
        let fields = match e.get("fields") {
            None => Err(String::new()),
            Some(f) => match &f.kind {
                Kind::Scalar(s, _) => Err(s.clone()),
                _ => Ok(r.strings(f, it)?),
            },
        };
        let comps = match e.get("comps") {
            None => Vec::new(),
            Some(c) => match &c.kind {
                Kind::Scalar(s, _) => vec![s.clone()],
                _ => r.strings(c, it)?,
            },
        };
        let mut values = Vec::new();
        if let Some(vs) = e.get("values") {
            let Kind::Seq(rows) = &vs.kind else {
                return Err(r.error(
                    ErrorCode::YamlValidate,
                    it.clone(),
                    vs,
                    "Rule exception values must be a sequence",
                ));
            };
            for row in rows {
                match (&fields, &row.kind) {
                    (Ok(fs), Kind::Seq(cells)) => {
                        if cells.len() != fs.len() {
                            return Err(r.error(ErrorCode::Validate, it.clone(), row, format!("Exception item '{name}': fields and values lists must have equal length")));
                        }
                        values.push(cells.iter().map(|c| ex_value(r, c, it)).collect::<R<_>>()?);
                    }
                    (Ok(_), _) => {
                        return Err(r.error(
                            ErrorCode::Validate,
                            it.clone(),
                            row,
                            format!(
                                "Exception item '{name}': values must be a sequence of sequences"
                            ),
                        ))
                    }
                    (Err(_), _) => values.push(vec![ex_value(r, row, it)?]),
                }
            }
        }
        if let Ok(fs) = &fields {
            if !comps.is_empty() && comps.len() != fs.len() {
                return Err(r.error(
                    ErrorCode::Validate,
                    it.clone(),
                    e,
                    format!(
                        "Exception item '{name}': fields and comps lists must have equal length"
                    ),
                ));
            }
        }
        out.push(Exception {
            name: name.into(),
            fields,
            comps,
            values,
        });
    }
    Ok(Some(out))
}

fn merge_exceptions(
    r: &Reader<'_>,
    rule: &mut RuleInfo,
    new: Vec<Exception>,
    n: &Node,
    it: &Item,
) -> R<()> {
    for e in new {
        match rule.exceptions.iter_mut().find(|x| x.name == e.name) {
            Some(x) => x.values.extend(e.values),
            None => {
                if matches!(&e.fields, Err(s) if s.is_empty()) {
                    return Err(r.error(ErrorCode::Validate, it.clone(), n, format!("Rule exception new item {}: must have fields property with a list of values", e.name)));
                }
                rule.exceptions.push(e)
            }
        }
    }
    Ok(())
}

pub fn read_rule(r: &mut Reader<'_>, n: &Node) -> R<()> {
    let name = n.get("rule").and_then(Node::as_str).unwrap_or("");
    let it = Item {
        kind: "rule".into(),
        name: name.into(),
    };
    let (name, _) = r.required(n, "rule", &it)?;
    let name = name.to_string();
    for (k, pos) in n.keys() {
        if !KEYS.contains(&k) {
            let kn = Node {
                kind: Kind::Null,
                pos,
            };
            r.warn_at(
                WarningCode::UnknownKey,
                it.clone(),
                &kn,
                &format!("Unknown key '{k}'. The key will be ignored."),
            );
        }
    }
    let legacy_append = r.boolean(n, "append", &it)? == Some(true);
    let ov = n.get("override");
    if ov.is_some() && legacy_append {
        return Err(r.error(ErrorCode::YamlValidate, it, n, "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead."));
    }
    let exc = exceptions(r, n, &it)?;
    let cond = r.opt_scalar(n, "condition", &it)?;
    if legacy_append {
        r.warn_at(
            WarningCode::DeprecatedItem,
            it.clone(),
            n,
            "The 'append' key is deprecated. Rule appends should use the 'override' key instead.",
        );
        if cond.is_none() && exc.is_none() {
            return Err(r.error(
                ErrorCode::Validate,
                it,
                n,
                "Appended rule must have exceptions or condition property",
            ));
        }
        let loc = r.location(n);
        let Some(rule) = r.c.rule_mut(&name) else {
            return Err(r.error(
                ErrorCode::Validate,
                it,
                n,
                "Rule has 'append' key but no rule by that name already exists",
            ));
        };
        if let Some((c, _)) = cond {
            rule.condition = format!("{} {}", rule.condition, c);
            rule.cond_inline = None;
        }
        let mut rule = rule.clone();
        if let Some(e) = exc {
            merge_exceptions(r, &mut rule, e, n, &it)?;
        }
        rule.loc = loc;
        if let Some(slot) = r.c.rule_mut(&name) {
            *slot = rule;
        }
        return Ok(());
    }
    if let Some(ov) = ov {
        return override_rule(r, n, ov, &name, it, exc);
    }
    let defines = ["condition", "output", "desc", "priority"]
        .iter()
        .any(|k| n.get(k).is_some());
    if !defines {
        let Some(en) = r.boolean(n, "enabled", &it)? else {
            return Err(r.error(
                ErrorCode::YamlValidate,
                it,
                n,
                "Item has no mapping for key 'condition'",
            ));
        };
        r.warn_at(
            WarningCode::DeprecatedItem,
            it.clone(),
            n,
            "The 'enabled' key alone is deprecated. Use 'override: {enabled: replace}' instead.",
        );
        let Some(rule) = r.c.rule_mut(&name) else {
            return Err(r.error(
                ErrorCode::Validate,
                it,
                n,
                "Rule has 'enabled' key but no rule by that name already exists",
            ));
        };
        rule.enabled = en;
        return Ok(());
    }
    let (condition, cnode) = r.required(n, "condition", &it)?;
    let (output, onode) = r.required(n, "output", &it)?;
    let (desc, _) = r.required(n, "desc", &it)?;
    let (prio, pnode) = r.required(n, "priority", &it)?;
    let priority = Priority::parse(prio).ok_or_else(|| {
        r.error(
            ErrorCode::YamlValidate,
            it.clone(),
            pnode,
            "Invalid priority",
        )
    })?;
    let source = r
        .opt_scalar(n, "source", &it)?
        .map_or("syscall", |s| s.0)
        .to_string();
    let info = RuleInfo {
        name: name.clone(),
        condition: condition.into(),
        output: output.trim().into(),
        desc: desc.into(),
        priority,
        source,
        enabled: r.boolean(n, "enabled", &it)?.unwrap_or(true),
        tags: r.tags(n, &it)?.unwrap_or_default(),
        exceptions: exc.unwrap_or_default(),
        warn_evttypes: r.boolean(n, "warn_evttypes", &it)?.unwrap_or(true),
        skip_if_unknown_filter: r
            .boolean(n, "skip-if-unknown-filter", &it)?
            .unwrap_or(false),
        capture: r.boolean(n, "capture", &it)?.unwrap_or(false),
        capture_duration: r
            .opt_scalar(n, "capture_duration", &it)?
            .and_then(|s| s.0.parse().ok())
            .unwrap_or(0),
        index: r.c.next,
        loc: r.location(n),
        cond_loc: r.location(cnode),
        cond_inline: r.inline_loc(cnode, condition),
        output_loc: r.location(onode),
    };
    r.c.next += 1;
    match r.c.rule_mut(&name) {
        Some(old) => {
            if old.source != info.source {
                return Err(r.error(
                    ErrorCode::Validate,
                    it,
                    n,
                    "Rule has been re-defined with a different source",
                ));
            }
            let index = old.index;
            *old = RuleInfo { index, ..info };
        }
        None => r.c.rules.push(info),
    }
    Ok(())
}

fn override_rule(
    r: &mut Reader<'_>,
    n: &Node,
    ov: &Node,
    name: &str,
    it: Item,
    exc: Option<Vec<Exception>>,
) -> R<()> {
    let mut ops = Vec::new();
    for (k, _) in ov.keys() {
        let op = ov.get(k).and_then(Node::as_str).unwrap_or("");
        let allowed = match op {
            "append" => APPENDABLE,
            "replace" => REPLACEABLE,
            _ => {
                return Err(r.error(
                    ErrorCode::YamlValidate,
                    it,
                    ov,
                    format!(
                        "Invalid override operation for key '{k}': must be one of: append, replace"
                    ),
                ))
            }
        };
        if !allowed.contains(&k) {
            return Err(r.error(
                ErrorCode::YamlValidate,
                it,
                ov,
                format!("Key '{k}' cannot be {op}ed"),
            ));
        }
        if n.get(k).is_none() {
            return Err(r.error(
                ErrorCode::YamlValidate,
                it,
                ov,
                format!("An override is defined for '{k}' but it is not defined in the item"),
            ));
        }
        ops.push((k.to_string(), op == "append"));
    }
    for (k, _) in n.keys() {
        if !matches!(k, "rule" | "override") && !ops.iter().any(|(o, _)| o == k) {
            return Err(r.error(ErrorCode::YamlValidate, it, n, format!("Unexpected key '{k}': an 'override' entry is given but no corresponding entry under 'override'")));
        }
    }
    let Some(mut rule) = r.c.rule_mut(name).map(|x| x.clone()) else {
        return Err(r.error(
            ErrorCode::Validate,
            it,
            n,
            "Rule has 'override' key but no rule by that name already exists",
        ));
    };
    let mut exc = exc;
    // Appends first, then replacements.
    for append in [true, false] {
        for (k, _) in ops.iter().filter(|(_, a)| *a == append) {
            let s = || {
                r.opt_scalar(n, k, &it)
                    .map(|o| o.map_or("", |x| x.0).to_string())
            };
            match k.as_str() {
                "condition" | "output" | "desc" => {
                    let v = s()?;
                    let field = match k.as_str() {
                        "condition" => &mut rule.condition,
                        "output" => &mut rule.output,
                        _ => &mut rule.desc,
                    };
                    *field = if append { format!("{field} {v}") } else { v };
                    if k == "condition" {
                        rule.cond_inline = None;
                    }
                }
                "tags" => {
                    let t = r.tags(n, &it)?.unwrap_or_default();
                    if append {
                        rule.tags.extend(t)
                    } else {
                        rule.tags = t
                    }
                }
                "exceptions" => {
                    let e = exc.take().unwrap_or_default();
                    if append {
                        merge_exceptions(r, &mut rule, e, n, &it)?
                    } else {
                        rule.exceptions = e
                    }
                }
                "priority" => {
                    let p = s()?;
                    rule.priority = Priority::parse(&p).ok_or_else(|| {
                        r.error(ErrorCode::YamlValidate, it.clone(), n, "Invalid priority")
                    })?;
                }
                "enabled" => rule.enabled = r.boolean(n, k, &it)?.unwrap_or(true),
                "warn_evttypes" => rule.warn_evttypes = r.boolean(n, k, &it)?.unwrap_or(true),
                "skip-if-unknown-filter" => {
                    rule.skip_if_unknown_filter = r.boolean(n, k, &it)?.unwrap_or(false)
                }
                "capture" => rule.capture = r.boolean(n, k, &it)?.unwrap_or(false),
                "capture_duration" => rule.capture_duration = s()?.parse().unwrap_or(0),
                _ => {}
            }
        }
    }
    if let Some(slot) = r.c.rule_mut(name) {
        *slot = rule;
    }
    Ok(())
}
