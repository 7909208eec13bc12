//! Textual list substitution (rules.md §1.3, §2.5) and exception
//! expansion into condition text (§1.6).

use crate::collect::{ExValue, Exception};

fn delim(c: Option<u8>) -> bool {
    c.is_none_or(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n' | b'(' | b')' | b',' | b'='))
}

/// An item as it is written into a condition: items with a space that do
/// not start with a quote are double-quoted.
pub fn quote_item(s: &str) -> String {
    if s.contains(' ') && !s.starts_with('"') && !s.starts_with('\'') {
        format!("\"{s}\"")
    } else {
        s.to_string()
    }
}

/// Replaces every delimited occurrence of `name` in `text` by `items`
/// joined with ", "; an empty list also takes one adjacent comma. Returns
/// whether anything was replaced.
pub fn substitute(text: &mut String, name: &str, items: &[String]) -> bool {
    if name.is_empty() || !text.contains(name) {
        return false;
    }
    let repl = items
        .iter()
        .map(|i| quote_item(i))
        .collect::<Vec<_>>()
        .join(", ");
    let mut out = String::with_capacity(text.len() + repl.len());
    let b = text.as_bytes();
    let mut i = 0;
    let mut hit = false;
    while let Some(off) = text[i..].find(name) {
        let at = i + off;
        let end = at + name.len();
        let before = if at == 0 { None } else { Some(b[at - 1]) };
        if !(delim(before) && delim(b.get(end).copied())) {
            out.push_str(&text[i..end]);
            i = end;
            continue;
        }
        hit = true;
        out.push_str(&text[i..at]);
        let mut next = end;
        if items.is_empty() {
            // Drop one comma next to the empty list.
            let rest = &text[end..];
            let trimmed = rest.trim_start();
            if trimmed.starts_with(',') {
                next = end + (rest.len() - trimmed.len()) + 1;
            } else {
                let t = out.trim_end();
                if t.ends_with(',') {
                    let keep = t.len() - 1;
                    out.truncate(keep);
                }
            }
        } else {
            out.push_str(&repl);
        }
        i = next;
    }
    out.push_str(&text[i..]);
    if hit {
        *text = out;
    }
    hit
}

fn quote_value(v: &str) -> String {
    let needs = v.is_empty()
        || v.bytes()
            .any(|c| matches!(c, b' ' | b'\t' | b'(' | b')' | b',' | b'=' | b'"' | b'\''));
    if needs && !(v.starts_with('"') && v.ends_with('"') && v.len() > 1) {
        format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        v.to_string()
    }
}

fn list_text(v: &ExValue) -> String {
    match v {
        ExValue::One(s) => format!("({})", quote_value(s)),
        ExValue::Many(items) => format!(
            "({})",
            items
                .iter()
                .map(|s| quote_value(s))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn is_list_comp(c: &str) -> bool {
    matches!(
        c.split_whitespace().next(),
        Some("in" | "intersects" | "pmatch")
    ) || c.split_whitespace().count() > 1
}

/// `(COND) and not (...)` for every exception with values.
pub fn apply_exceptions(cond: &str, exceptions: &[Exception]) -> String {
    if exceptions.is_empty() {
        return cond.to_string();
    }
    let mut s = format!("({cond})");
    for e in exceptions {
        if e.values.is_empty() {
            continue;
        }
        let alts: Vec<String> = match &e.fields {
            Ok(fields) => e
                .values
                .iter()
                .map(|row| {
                    let parts: Vec<String> = fields
                        .iter()
                        .zip(row)
                        .enumerate()
                        .map(|(i, (f, v))| {
                            let comp = e.comps.get(i).map_or("=", String::as_str);
                            let val = if is_list_comp(comp) {
                                list_text(v)
                            } else {
                                match v {
                                    ExValue::One(x) => quote_value(x),
                                    m => list_text(m),
                                }
                            };
                            format!("{f} {comp} {val}")
                        })
                        .collect();
                    format!("({})", parts.join(" and "))
                })
                .collect(),
            Err(field) => {
                let comp = e.comps.first().map_or("in", String::as_str);
                let vals: Vec<String> = e
                    .values
                    .iter()
                    .flatten()
                    .flat_map(|v| match v {
                        ExValue::One(x) => vec![quote_value(x)],
                        ExValue::Many(m) => m.iter().map(|x| quote_value(x)).collect(),
                    })
                    .collect();
                vec![format!("{field} {comp} ({})", vals.join(", "))]
            }
        };
        s.push_str(&format!(" and not ({})", alts.join(" or ")));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitution_is_delimited() {
        let mut t = "proc.name in (shells, sh) and fd.name=shells_x".to_string();
        assert!(substitute(&mut t, "shells", &["bash".into(), "zsh".into()]));
        assert_eq!(t, "proc.name in (bash, zsh, sh) and fd.name=shells_x");
        let mut t = "proc.name in (file_my_list)".to_string();
        assert!(!substitute(&mut t, "my_list", &["x".into()]));
    }

    #[test]
    fn empty_list_eats_a_comma() {
        let mut t = "x in (a, empty, b)".to_string();
        substitute(&mut t, "empty", &[]);
        assert_eq!(t, "x in (a,  b)");
        let mut t = "x in (a, empty)".to_string();
        substitute(&mut t, "empty", &[]);
        assert_eq!(t, "x in (a)");
    }

    #[test]
    fn items_with_spaces_are_quoted() {
        let mut t = "proc.cmdline in (l)".to_string();
        substitute(&mut t, "l", &["sh -c x".into(), "'\"q r\"'".into()]);
        assert_eq!(t, "proc.cmdline in (\"sh -c x\", '\"q r\"')");
    }
}
